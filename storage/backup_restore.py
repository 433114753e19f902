"""Applying backup documents (storage.backup_export) and restoring messages with their UIDs.

Every function runs inside the caller's transaction (the admin facade storage.admin_backup opens it and
checks the administrator's scope first), so a document is applied whole or not at all.

Order does not matter: an FTP client uploads files in its own order, so a document may name an account
or a group that is not restored yet (a folder shared with bob, a group with carol in it). Such a name in
a domain the administrator may restore into is created as an empty placeholder (an account without a
password, a group without members) that its own document fills in when it arrives. A name in a domain
that does not exist is refused with the reason, so the operator restores that domain first.

Messages keep their UID when the folder holds no message with that UID or a higher one (a restore into
an empty or older folder); otherwise the message is appended with the next UID (restoring one message
into a live folder). A message whose UID is there already with the same content only gets its flags
back, so uploading the same backup twice adds nothing. A folder's UIDVALIDITY is taken from the backup
when the folder holds no message with a UID at or above the backup's UIDNEXT (it is empty, or all it
holds may be the backup's), so IMAP clients keep their caches after a full restore into a fresh server.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from storage import acl, adminlimits
from storage import flags as fl
from storage import folders as fo
from storage import schema as s
from storage import settings as reg
from storage.adminscope import Scope
from storage.backup_export import FORMAT
from storage.errors import InvalidInput, NotFound
from storage.mail_delivery import StagedMessage
from storage.models import Folder
from storage.names import folder_path, local_part, split_address
from storage.pim import item_rows

if TYPE_CHECKING:
    from storage.store import Store


def check_format(doc: Any, key: str) -> dict[str, Any]:
    """The document if it is a backup document of this version naming its object under ``key``."""
    if not isinstance(doc, dict):
        raise InvalidInput("a backup file holds one JSON object")
    if doc.get("format") != FORMAT:
        raise InvalidInput(f"not a {FORMAT} document (format {doc.get('format')!r})")
    if not isinstance(doc.get(key), str):
        raise InvalidInput(f"the document names no {key}")
    return doc


# -- placeholders -------------------------------------------------------------------------------------


def ensure_account(store: Store, conn: Connection, scope: Scope, address: str) -> int:
    """The id of account ``address``, created empty (no password) if it does not exist."""
    lp, dn = split_address(address)
    did = scope.domain(store, conn, dn)
    try:
        return store.accounts.id_of(conn, address)
    except NotFound:
        pass
    adminlimits.check_room_for_account(conn, scope, did, dn)  # a restore adds accounts like any other way
    aid = store.accounts.insert(conn, did, lp, None)
    adminlimits.cap_new_account(store, conn, scope, did, aid)
    return aid


def ensure_group(store: Store, conn: Connection, scope: Scope, address: str) -> int:
    scope.address(store, conn, address)
    try:
        return store.groups.id_of(conn, address)
    except NotFound:
        return store.groups.add(address).id


def _principal(store: Store, conn: Connection, scope: Scope, entry: dict[str, Any]) -> acl.Principal:
    name, kind = str(entry["principal"]), entry.get("kind")
    try:
        return store.acl.principal(conn, name)
    except NotFound:
        if kind == "user":
            return ("user", ensure_account(store, conn, scope, name))
        if kind == "group":
            return ("group", ensure_group(store, conn, scope, name))
        raise InvalidInput(f"{name} does not exist here: restore its domain first") from None


def _apply_acl(store: Store, conn: Connection, scope: Scope, folder_id: int, entries: Any) -> None:
    wanted = {}
    for entry in entries or ():
        principal = _principal(store, conn, scope, entry)
        wanted[(principal, bool(entry["allow"]))] = entry
    for old in acl.list_entries(conn, folder_id):
        if (old.principal, old.allow) not in wanted:
            acl.revoke(conn, folder_id, old.principal, allow=old.allow)
    for (principal, allow), entry in wanted.items():
        acl.grant(
            conn, folder_id, principal, str(entry["rights"]), allow=allow, inherit=bool(entry["inherit"])
        )
    store.changes.record_rights(conn, folder_id)


# -- pieces shared by domains and accounts -------------------------------------------------------------


def _apply_settings(conn: Connection, level: str, scope_id: int, values: Any) -> None:
    values = dict(values or {})
    for name in reg.explicit_values(conn, level, scope_id):
        if name not in values:
            reg.clear_value(conn, name, level, scope_id)
    for name, value in sorted(values.items()):
        reg.set_value(conn, name, level, scope_id, value)


def _apply_scripts(store: Store, level: str, scope: str, scripts: Any) -> None:
    active = None
    for name, script in sorted(dict(scripts or {}).items()):
        store.scripts.put(level, scope, name, str(script["content"]))
        if script.get("active"):
            active = name
    if active is not None:
        store.scripts.activate(level, scope, active)


def _apply_folders(store: Store, conn: Connection, scope: Scope, namespace: str, folders: Any) -> None:
    for entry in folders or ():
        path = folder_path(str(entry["path"]))
        try:
            folder = fo.folder_by_path(conn, namespace, path)
        except NotFound:
            folder = fo.create_folder(
                conn, namespace, path, role=entry.get("role"), kind=entry.get("kind", "mail")
            )
        kind = str(entry.get("kind", folder.kind))
        if kind != folder.kind and kind in fo.KINDS:  # made as mail by its messages, restored before it
            conn.execute(update(s.folders).where(s.folders.c.id == folder.id).values(kind=kind))
            folder = fo.folder_by_id(conn, folder.id)
            item_rows.kind_changed(store, conn, folder)
        uidnext = int(entry.get("uidnext", 1))
        values: dict[str, Any] = {"uidnext": max(folder.uidnext, uidnext)}
        highest = conn.execute(
            select(func.max(s.messages.c.uid)).where(s.messages.c.folder_id == folder.id)
        ).scalar()
        if entry.get("uidvalidity") and (highest is None or int(highest) < uidnext):
            values["uidvalidity"] = int(entry["uidvalidity"])  # every message in it may be the backup's
        conn.execute(update(s.folders).where(s.folders.c.id == folder.id).values(**values))
        _apply_acl(store, conn, scope, folder.id, entry.get("acl"))
        for local in entry.get("recipients") or ():
            _folder_recipient(conn, folder, str(local))


def _folder_recipient(conn: Connection, folder: Folder, local: str) -> None:
    """Make ``local`` of the folder's domain deliver into it (storage.admin_public_folders' rule: an
    address taken by anything else is refused)."""
    a = s.addresses
    lp = local_part(local)
    row = conn.execute(
        select(a.c.id, a.c.kind).where(a.c.domain_id == folder.domain_id, a.c.local_part == lp)
    ).first()
    if row is None:
        conn.execute(
            insert(a).values(domain_id=folder.domain_id, local_part=lp, kind="folder", folder_id=folder.id)
        )
    elif row.kind == "folder":
        conn.execute(update(a).where(a.c.id == row.id).values(folder_id=folder.id))
    else:
        raise InvalidInput(f"folder recipient {lp}: the address is taken by a {row.kind} here")


def ensure_folder(store: Store, conn: Connection, namespace: str, path: str) -> int:
    """The id of a folder, created (with its parents) if missing: a folder directory made by FTP."""
    try:
        return fo.folder_by_path(conn, namespace, folder_path(path)).id
    except NotFound:
        folder = fo.create_folder(conn, namespace, path)
        store.changes.record(conn, folder.id, folder.account_id, folder.highestmodseq, "folder")
        return folder.id


# -- domains, accounts, groups, forwarders -------------------------------------------------------------


def restore_domain(store: Store, conn: Connection, scope: Scope, doc: dict[str, Any]) -> None:
    """Apply a domain document (the domain must exist: creating one is the caller's, server-only)."""
    name = str(doc["domain"])
    did = scope.domain(store, conn, name)
    if scope.is_server:  # enabling a domain and its aliases are server-level work (storage.adminview)
        conn.execute(
            update(s.domains).where(s.domains.c.id == did).values(enabled=bool(doc.get("enabled", True)))
        )
        have = set(store.domains._load(conn, did).aliases)
        for alias in sorted(set(doc.get("aliases") or ()) - have):
            store.domains.add_alias(name, alias)
    _apply_settings(conn, "domain", did, doc.get("settings"))
    for class_name, values in sorted(dict(doc.get("classes") or {}).items()):
        cid = _class_id(store, conn, did, class_name, name)
        _apply_settings(conn, "class", cid, values)
        size = reg.explicit_values(conn, "class", cid).get(adminlimits.QUOTA_SETTING)
        if size is not None:
            adminlimits.check_quota_value(scope, did, size)
    size = reg.explicit_values(conn, "domain", did).get(adminlimits.QUOTA_SETTING)
    if size is not None:  # a mailbox size the document gives must be within the grant's limit
        adminlimits.check_quota_value(scope, did, size)
    _apply_scripts(store, "domain", name, doc.get("sieve"))
    namespace = fo.public_namespace(did)
    _apply_folders(store, conn, scope, namespace, doc.get("public_folders"))
    _apply_acl(store, conn, scope, fo.folder_by_path(conn, namespace, "").id, doc.get("public_root_acl"))


def _class_id(store: Store, conn: Connection, did: int, class_name: str, domain: str) -> int:
    cid = conn.execute(
        select(s.account_classes.c.id).where(
            s.account_classes.c.domain_id == did, s.account_classes.c.name == class_name
        )
    ).scalar()
    return int(cid) if cid is not None else store.accounts.add_class(domain, class_name)


def restore_account(store: Store, conn: Connection, scope: Scope, doc: dict[str, Any]) -> None:
    address = str(doc["address"])
    aid = ensure_account(store, conn, scope, address)
    did = scope.address(store, conn, address)
    class_name = doc.get("class")
    class_id = (
        _class_id(store, conn, did, str(class_name), address.rpartition("@")[2]) if class_name else None
    )
    creds = dict(doc.get("credentials") or {})
    conn.execute(
        update(s.accounts)
        .where(s.accounts.c.id == aid)
        .values(
            enabled=bool(doc.get("enabled", True)),
            display_name=doc.get("display_name"),
            account_class_id=class_id,
            password_hash=creds.get("password_hash"),
            scram_keys=creds.get("scram_keys"),
            sealed_secret=creds.get("sealed_secret"),
            password_generation=s.accounts.c.password_generation + 1,
        )
    )
    account = store.accounts.load(conn, aid)
    wanted = {a.lower() for a in doc.get("aliases") or ()}
    for alias in sorted(set(account.aliases) - wanted):
        store.accounts.remove_alias(account.address, alias)
    for alias in sorted(wanted - set(account.aliases)):
        store.accounts.add_alias(account.address, alias)
    _apply_settings(conn, "account", aid, doc.get("settings"))
    adminlimits.check_account_quota(store, conn, scope, did, aid)  # the grant's mailbox size limit holds
    _apply_scripts(store, "account", account.address, doc.get("sieve"))
    namespace = fo.mailbox_namespace(aid)
    _apply_folders(store, conn, scope, namespace, doc.get("folders"))
    _apply_acl(store, conn, scope, fo.folder_by_path(conn, namespace, "").id, doc.get("mailbox_acl"))
    for name in doc.get("subscriptions") or ():
        store.folders.subscribe(account.address, str(name))
    store.auth.forget(aid)


def restore_group(store: Store, conn: Connection, scope: Scope, doc: dict[str, Any]) -> None:
    address = str(doc["address"])
    gid = ensure_group(store, conn, scope, address)
    conn.execute(update(s.groups).where(s.groups.c.id == gid).values(display_name=doc.get("display_name")))
    have = set(store.groups._load(conn, gid).members)
    for member in doc.get("members") or ():
        target, kind = str(member["address"]), member.get("kind")
        if target in have:
            continue
        scope.member(store, conn, target)
        if kind == "user":
            _principal(store, conn, scope, {"principal": target, "kind": "user"})
        elif kind == "group":
            _principal(store, conn, scope, {"principal": target, "kind": "group"})
        store.groups.add_member(address, target)


def restore_forwarder(store: Store, conn: Connection, scope: Scope, doc: dict[str, Any]) -> None:
    address = str(doc["address"])
    scope.address(store, conn, address)
    for target in doc.get("targets") or ():
        scope.member(store, conn, str(target))
    with contextlib.suppress(NotFound):
        store.forwarders.delete(address)
    store.forwarders.add(address, [str(t) for t in doc.get("targets") or ()])


# -- messages ------------------------------------------------------------------------------------------


def restore_message(
    store: Store,
    conn: Connection,
    folder_id: int,
    uid: int | None,
    staged: StagedMessage,
    sha: str,
    internal_date: datetime | None,
) -> int:
    """Put a message back into a folder (see the module docstring for which UID it gets); its UID."""
    m = s.messages
    if uid is not None:
        same = conn.execute(
            select(m.c.id, s.bodies.c.sha256)
            .join(s.bodies, s.bodies.c.id == m.c.body_id)
            .where(m.c.folder_id == folder_id, m.c.uid == uid)
        ).first()
        if same is not None and same.sha256 == sha:
            _set_flags(store, conn, folder_id, uid, staged.bits, staged.keywords)
            return uid
        highest = conn.execute(select(func.max(m.c.uid)).where(m.c.folder_id == folder_id)).scalar()
        if same is None and (highest is None or int(highest) < uid):
            # no message at or above this UID: it may have its old UID, and UIDNEXT stays where it was
            # (a restored account document may have set it past this message already)
            uidnext = fo.folder_by_id(conn, folder_id, lock=True).uidnext
            conn.execute(update(s.folders).where(s.folders.c.id == folder_id).values(uidnext=uid))
            new = store.mail.append_in(conn, folder_id, staged, sha, internal_date).uid
            if uidnext > new + 1:
                conn.execute(update(s.folders).where(s.folders.c.id == folder_id).values(uidnext=uidnext))
            return new
    return store.mail.append_in(conn, folder_id, staged, sha, internal_date).uid


def _set_flags(store: Store, conn: Connection, folder_id: int, uid: int, bits: int, keywords: str) -> None:
    store.mail.set_flags_in(conn, folder_id, [uid], fl.decode(bits, keywords), "replace")


def set_internal_date(conn: Connection, folder_id: int, uid: int, when: datetime) -> None:
    done = conn.execute(
        update(s.messages)
        .where(s.messages.c.folder_id == folder_id, s.messages.c.uid == uid)
        .values(internal_date=when)
    ).rowcount
    if not done:
        raise NotFound(f"message {uid} does not exist")
