"""Groups (nested, usable as ACL principals and as mail distribution addresses), forwarders, and the
resolution of a recipient address to the mailboxes and outside addresses it reaches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from storage import schema as s
from storage.errors import AlreadyExists, InvalidInput, NotFound
from storage.models import Forwarder, Group
from storage.names import as_utc, split_address, utcnow
from storage.temporary_aliases import live

if TYPE_CHECKING:
    from storage.store import Store

MAX_EXPANSION_DEPTH = 10


@dataclass
class Resolution:
    """Where mail for one address goes."""

    account_ids: set[int] = field(default_factory=set)
    external: set[str] = field(default_factory=set)
    folder_ids: set[int] = field(default_factory=set)  # public folders of folder recipients
    # the earliest expiry of a temporary alias the expansion went through (None: none did): the answer
    # holds until then (storage.recipients keeps answers that long at most)
    expires_at: datetime | None = None

    def _expiring(self, when: datetime | None) -> None:
        if when is not None and (self.expires_at is None or when < self.expires_at):
            self.expires_at = when


class Groups:
    def __init__(self, store: Store) -> None:
        self.store = store

    def id_of(self, conn: Connection, address: str) -> int:
        lp, dn = split_address(address)
        did = self.store.domains.id_of(conn, dn)
        gid = conn.execute(
            select(s.addresses.c.group_id).where(
                s.addresses.c.domain_id == did, s.addresses.c.local_part == lp, s.addresses.c.kind == "group"
            )
        ).scalar()
        if gid is None:
            raise NotFound(f"group {lp}@{dn} does not exist")
        return int(gid)

    def add(self, address: str, display_name: str | None = None) -> Group:
        lp, dn = split_address(address)
        with self.store.db.write() as conn:
            did = self.store.domains.id_of(conn, dn)
            if conn.execute(
                select(s.addresses.c.id).where(s.addresses.c.domain_id == did, s.addresses.c.local_part == lp)
            ).first():
                raise AlreadyExists(f"address {lp}@{dn} is already taken")
            gid = conn.execute(
                insert(s.groups)
                .values(domain_id=did, local_part=lp, display_name=display_name)
                .returning(s.groups.c.id)
            ).scalar_one()
            conn.execute(insert(s.addresses).values(domain_id=did, local_part=lp, kind="group", group_id=gid))
            return self._load(conn, int(gid))

    def delete(self, address: str) -> None:
        with self.store.db.write() as conn:
            gid = self.id_of(conn, address)
            self.store.changes.record_group_rights(conn, gid)  # its members lose what it granted
            conn.execute(
                s.acl_entries.delete().where(
                    s.acl_entries.c.principal_kind == "group", s.acl_entries.c.principal_id == gid
                )
            )
            conn.execute(s.groups.delete().where(s.groups.c.id == gid))

    def add_member(self, group: str, member: str) -> None:
        """Add an account, another group of the same server, or an outside address."""
        with self.store.db.write() as conn:
            gid = self.id_of(conn, group)
            values = self._member_values(conn, member)
            member_gid = values.get("member_group_id")
            if isinstance(member_gid, int) and (
                member_gid == gid or gid in self._descendant_groups(conn, member_gid)
            ):
                raise InvalidInput(f"adding {member} to {group} would make a group contain itself")
            exists = conn.execute(
                select(s.group_members.c.id).where(
                    s.group_members.c.group_id == gid,
                    *[getattr(s.group_members.c, k) == v for k, v in values.items()],
                )
            ).first()
            if exists:
                raise AlreadyExists(f"{member} is already a member of {group}")
            try:
                conn.execute(insert(s.group_members).values(group_id=gid, **values))
            except IntegrityError as exc:
                raise AlreadyExists(f"{member} is already a member of {group}") from exc
            self.store.changes.record_group_rights(conn, gid)  # open sessions re-check their rights

    def remove_member(self, group: str, member: str) -> None:
        with self.store.db.write() as conn:
            gid = self.id_of(conn, group)
            values = self._member_values(conn, member)
            gone = conn.execute(
                s.group_members.delete().where(
                    s.group_members.c.group_id == gid,
                    *[getattr(s.group_members.c, k) == v for k, v in values.items()],
                )
            ).rowcount
            if not gone:
                raise NotFound(f"{member} is not a member of {group}")
            self.store.changes.record_group_rights(conn, gid)  # open sessions re-check their rights

    def _member_values(self, conn: Connection, member: str) -> dict[str, object]:
        lp, dn = split_address(member)
        try:
            did = self.store.domains.id_of(conn, dn)
        except NotFound:
            return {"external": f"{lp}@{dn}"}
        row = conn.execute(
            select(s.addresses).where(s.addresses.c.domain_id == did, s.addresses.c.local_part == lp)
        ).first()
        if row is None:
            raise NotFound(f"{lp}@{dn} does not exist")
        if row.kind in ("account", "alias"):
            return {"account_id": int(row.account_id)}
        if row.kind == "group":
            return {"member_group_id": int(row.group_id)}
        if row.kind == "folder":
            raise InvalidInput(f"{lp}@{dn} is a folder recipient; it cannot be a group member")
        raise InvalidInput(f"{lp}@{dn} is a forwarder; add its targets instead")

    def _descendant_groups(self, conn: Connection, gid: int) -> set[int]:
        seen: set[int] = set()
        todo = [gid]
        while todo:
            rows = conn.execute(
                select(s.group_members.c.member_group_id).where(
                    s.group_members.c.group_id.in_(todo), s.group_members.c.member_group_id.is_not(None)
                )
            ).scalars()
            todo = [int(r) for r in rows if int(r) not in seen]
            seen.update(todo)
        return seen

    def _load(self, conn: Connection, gid: int) -> Group:
        row = conn.execute(
            select(s.groups.c.local_part, s.domains.c.name)
            .join(s.domains, s.domains.c.id == s.groups.c.domain_id)
            .where(s.groups.c.id == gid)
        ).one()
        members: list[str] = []
        for m in conn.execute(select(s.group_members).where(s.group_members.c.group_id == gid)).all():
            if m.external:
                members.append(m.external)
            elif m.account_id is not None:
                members.append(_address_of(conn, s.accounts, m.account_id))
            elif m.member_group_id is not None:
                members.append(_address_of(conn, s.groups, m.member_group_id))
        return Group(id=gid, address=f"{row.local_part}@{row.name}", members=tuple(sorted(members)))

    def get(self, address: str) -> Group:
        with self.store.db.read() as conn:
            return self._load(conn, self.id_of(conn, address))

    def list(self, domain: str | None = None) -> list[Group]:
        with self.store.db.read() as conn:
            q = select(s.groups.c.id).join(s.domains, s.domains.c.id == s.groups.c.domain_id)
            if domain is not None:
                q = q.where(s.groups.c.domain_id == self.store.domains.id_of(conn, domain))
            ids = conn.execute(q.order_by(s.domains.c.name, s.groups.c.local_part)).scalars().all()
            return [self._load(conn, int(i)) for i in ids]


class Forwarders:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, address: str, targets: list[str]) -> Forwarder:
        lp, dn = split_address(address)
        if not targets:
            raise InvalidInput("a forwarder needs at least one target address")
        clean = ["@".join(split_address(t)) for t in targets]
        with self.store.db.write() as conn:
            did = self.store.domains.id_of(conn, dn)
            if conn.execute(
                select(s.addresses.c.id).where(s.addresses.c.domain_id == did, s.addresses.c.local_part == lp)
            ).first():
                raise AlreadyExists(f"address {lp}@{dn} is already taken")
            fid = conn.execute(
                insert(s.forwarders)
                .values(domain_id=did, local_part=lp, targets=json.dumps(clean))
                .returning(s.forwarders.c.id)
            ).scalar_one()
            conn.execute(
                insert(s.addresses).values(domain_id=did, local_part=lp, kind="forwarder", forwarder_id=fid)
            )
        return Forwarder(id=int(fid), address=f"{lp}@{dn}", targets=tuple(clean))

    def delete(self, address: str) -> None:
        lp, dn = split_address(address)
        with self.store.db.write() as conn:
            did = self.store.domains.id_of(conn, dn)
            fid = conn.execute(
                select(s.forwarders.c.id).where(
                    s.forwarders.c.domain_id == did, s.forwarders.c.local_part == lp
                )
            ).scalar()
            if fid is None:
                raise NotFound(f"forwarder {lp}@{dn} does not exist")
            conn.execute(s.forwarders.delete().where(s.forwarders.c.id == fid))

    def list(self, domain: str) -> list[Forwarder]:
        with self.store.db.read() as conn:
            did = self.store.domains.id_of(conn, domain)
            dn = conn.execute(select(s.domains.c.name).where(s.domains.c.id == did)).scalar_one()
            rows = conn.execute(
                select(s.forwarders)
                .where(s.forwarders.c.domain_id == did)
                .order_by(s.forwarders.c.local_part)
            ).all()
            return [
                Forwarder(id=r.id, address=f"{r.local_part}@{dn}", targets=tuple(json.loads(r.targets)))
                for r in rows
            ]


def _address_of(conn: Connection, table: Table, row_id: int) -> str:
    """Address of an account or group row (both tables have local_part and domain_id)."""
    row = conn.execute(
        select(table.c.local_part, s.domains.c.name)
        .join(s.domains, s.domains.c.id == table.c.domain_id)
        .where(table.c.id == row_id)
    ).one()
    return f"{row.local_part}@{row.name}"


# Built once (asked for every recipient; see storage.domains): the live address row of a name.
_ADDRESS = select(s.addresses).where(
    s.addresses.c.domain_id == bindparam("domain_id"),
    s.addresses.c.local_part == bindparam("local_part"),
    live(bindparam("now", type_=s.addresses.c.expires_at.type)),
)


def resolve(
    store: Store, conn: Connection, address: str, _depth: int = 0, *, domain_id: int | None = None
) -> Resolution:
    """Expand an address to local accounts and outside addresses (groups and forwarders, recursively).

    ``domain_id``: the id of the address's domain when the caller has just read it (spares the lookup).

    Raises:
        NotFound: the address is in a local domain but names nothing there.
        InvalidInput: the address is malformed or expansion nests deeper than MAX_EXPANSION_DEPTH.
    """
    if _depth > MAX_EXPANSION_DEPTH:
        raise InvalidInput(f"expansion of {address} nests deeper than {MAX_EXPANSION_DEPTH} levels")
    lp, dn = split_address(address)
    out = Resolution()
    try:
        did = store.domains.id_of(conn, dn) if domain_id is None else domain_id
    except NotFound:
        out.external.add(f"{lp}@{dn}")
        return out
    row = conn.execute(_ADDRESS, {"domain_id": did, "local_part": lp, "now": utcnow()}).first()
    if row is None:  # no such name, or a temporary alias past its expiry (storage.temporary_aliases)
        # subaddress: alice+tag@ reaches alice
        base = lp.split("+", 1)[0]
        if base != lp:
            return resolve(store, conn, f"{base}@{dn}", _depth + 1)
        raise NotFound(f"{lp}@{dn} does not exist")
    out._expiring(as_utc(row.expires_at))
    if row.kind in ("account", "alias"):
        out.account_ids.add(int(row.account_id))
    elif row.kind == "folder":  # a folder recipient (storage.admin_public_folders)
        out.folder_ids.add(int(row.folder_id))
    elif row.kind == "group":
        _expand_group(conn, int(row.group_id), out, set())
    elif row.kind == "forwarder":
        targets = conn.execute(
            select(s.forwarders.c.targets).where(s.forwarders.c.id == row.forwarder_id)
        ).scalar_one()
        for t in json.loads(targets):
            sub = resolve(store, conn, t, _depth + 1)
            out.account_ids |= sub.account_ids
            out.external |= sub.external
            out.folder_ids |= sub.folder_ids
            out._expiring(sub.expires_at)
    return out


def _expand_group(conn: Connection, gid: int, out: Resolution, seen: set[int]) -> None:
    if gid in seen:
        return
    seen.add(gid)
    for m in conn.execute(select(s.group_members).where(s.group_members.c.group_id == gid)).all():
        if m.account_id is not None:
            out.account_ids.add(int(m.account_id))
        elif m.member_group_id is not None:
            _expand_group(conn, int(m.member_group_id), out, seen)
        elif m.external:
            out.external.add(m.external)
