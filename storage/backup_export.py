"""What a backup holds of a domain, an account, a group or a forwarder, as JSON-ready dictionaries.

The FTP backup service (sidecars/ftp) shows each object's configuration as one JSON file; this module
builds those documents inside the caller's transaction, and storage.backup_restore applies them. The
format is documented for operators in docs/backup.md ("The configuration files"); ``FORMAT`` names its
version and a restore refuses a document of another version.

What is kept and how:

* settings: the explicit values at the object's level only (inherited values belong to the level that
  sets them), as stored JSON values;
* credentials: the argon2id hash and the SCRAM-SHA-256 keys as stored (never a password); the sealed
  CRAM-MD5/APOP secret stays sealed and only opens on a server holding the same ``secret.key``;
* folders: path, role, kind, UIDVALIDITY and UIDNEXT, and their own ACL entries with principals named
  (``alice@example.test``, a group address, ``@example.test`` for all users of a domain, ``anyone``);
  public folders also list their folder recipients (local parts whose mail is filed into them);
* Sieve scripts: name, whether active, and the text.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from storage import acl
from storage import folders as fo
from storage import schema as s
from storage import settings as reg
from storage.models import Folder

if TYPE_CHECKING:
    from storage.store import Store

FORMAT = "fieldpost-backup/1"


def to_bytes(document: dict[str, Any]) -> bytes:
    """The stable text of a document: sorted keys, two-space indent, UTF-8, final newline; the same
    object always gives the same bytes, so two backups of equal servers compare equal file by file."""
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def acl_entries(store: Store, conn: Connection, folder_id: int) -> list[dict[str, Any]]:
    out = []
    for entry in acl.list_entries(conn, folder_id):
        name = store.acl.principal_name(conn, entry.principal)
        if name is None:
            continue  # a principal deleted since: nothing to restore
        out.append(
            {
                "principal": name,
                "kind": entry.principal[0],
                "allow": entry.allow,
                "rights": str(entry.rights),
                "inherit": entry.inherit,
            }
        )
    return out


def folder_entries(
    store: Store, conn: Connection, namespace: str, *, recipients: bool = False
) -> tuple[list[dict[str, Any]], Any]:
    """(folders without the root, the root's ACL entries) of one namespace; with ``recipients``, each
    folder's recipient addresses (local parts of the domain that deliver into it)."""
    root = fo.folder_by_path(conn, namespace, "")
    out = []
    for row in conn.execute(
        select(s.folders)
        .where(s.folders.c.namespace == namespace, s.folders.c.path != "")
        .order_by(s.folders.c.path)
    ):
        folder: Folder = fo.row_to_folder(row)
        entry: dict[str, Any] = {}
        if recipients:
            a = s.addresses
            entry["recipients"] = sorted(
                conn.execute(
                    select(a.c.local_part).where(a.c.folder_id == folder.id, a.c.kind == "folder")
                ).scalars()
            )
        out.append(
            entry
            | {
                "path": folder.path,
                "role": folder.role,
                "kind": folder.kind,
                "uidvalidity": folder.uidvalidity,
                "uidnext": folder.uidnext,
                "acl": acl_entries(store, conn, folder.id),
            }
        )
    return out, acl_entries(store, conn, root.id)


def scripts(conn: Connection, level: str, scope_id: int) -> dict[str, Any]:
    t = s.sieve_scripts
    rows = conn.execute(
        select(t.c.name, t.c.active, t.c.content).where(t.c.level == level, t.c.scope_id == scope_id)
    )
    return {r.name: {"active": bool(r.active), "content": r.content} for r in rows}


def domain_document(store: Store, conn: Connection, domain_id: int) -> dict[str, Any]:
    d = store.domains._load(conn, domain_id)
    classes = {
        str(r.name): reg.explicit_values(conn, "class", int(r.id))
        for r in conn.execute(
            select(s.account_classes.c.id, s.account_classes.c.name)
            .where(s.account_classes.c.domain_id == domain_id)
            .order_by(s.account_classes.c.name)
        )
    }
    public, public_root_acl = folder_entries(store, conn, fo.public_namespace(domain_id), recipients=True)
    return {
        "format": FORMAT,
        "domain": d.name,
        "enabled": d.enabled,
        "aliases": sorted(d.aliases),
        "settings": reg.explicit_values(conn, "domain", domain_id),
        "classes": classes,
        "sieve": scripts(conn, "domain", domain_id),
        "public_folders": public,
        "public_root_acl": public_root_acl,
    }


def account_document(store: Store, conn: Connection, account_id: int) -> dict[str, Any]:
    account = store.accounts.load(conn, account_id)
    row = conn.execute(
        select(s.accounts.c.password_hash, s.accounts.c.scram_keys, s.accounts.c.sealed_secret).where(
            s.accounts.c.id == account_id
        )
    ).one()
    folders, root_acl = folder_entries(store, conn, fo.mailbox_namespace(account_id))
    subscriptions = sorted(
        conn.execute(
            select(s.subscriptions.c.name).where(s.subscriptions.c.account_id == account_id)
        ).scalars()
    )
    return {
        "format": FORMAT,
        "address": account.address,
        "enabled": account.enabled,
        "display_name": account.display_name,
        "class": account.account_class,
        "aliases": list(account.aliases),
        "credentials": {
            "password_hash": row.password_hash,
            "scram_keys": row.scram_keys,
            "sealed_secret": row.sealed_secret,
        },
        "settings": reg.explicit_values(conn, "account", account_id),
        "sieve": scripts(conn, "account", account_id),
        "folders": folders,
        "mailbox_acl": root_acl,
        "subscriptions": subscriptions,
    }


def group_document(store: Store, conn: Connection, group_id: int) -> dict[str, Any]:
    group = store.groups._load(conn, group_id)
    display = conn.execute(select(s.groups.c.display_name).where(s.groups.c.id == group_id)).scalar()
    members = []
    for m in conn.execute(select(s.group_members).where(s.group_members.c.group_id == group_id)):
        if m.external:
            members.append({"address": m.external, "kind": "external"})
        elif m.account_id is not None:
            members.append({"address": store.accounts.load(conn, m.account_id).address, "kind": "user"})
        elif m.member_group_id is not None:
            members.append({"address": store.groups._load(conn, m.member_group_id).address, "kind": "group"})
    return {
        "format": FORMAT,
        "address": group.address,
        "display_name": display,
        "members": sorted(members, key=lambda m: (m["address"], m["kind"])),
    }


def forwarder_document(address: str, targets: tuple[str, ...]) -> dict[str, Any]:
    return {"format": FORMAT, "address": address, "targets": list(targets)}
