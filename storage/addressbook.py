"""Where WebMail's recipient autocomplete gets its addresses from, for one account.

What it covers, merged in this order (each address offered once, under its first source):

1. The account's contacts: vCards (RFC 6350, also 2.1/3.0) kept as messages in the account's own
   folders of kind ``contacts`` (the organizer's address books). Their ``FN`` and every ``EMAIL`` line
   become suggestions.
2. The domain's public contacts: vCards in the public folders of kind ``contacts`` of the account's
   domain that the account may read (``r`` through the ACL engine, as for any other folder).
3. The addresses the account wrote to: the ``To`` addresses recorded for the newest ``SENT_SCAN``
   messages of its Sent folder (role ``sent``; the parsed header columns, no blob read).
4. The domain directory: the enabled accounts of its own domain with their display names.

Adding a contact therefore never hides the directory: a colleague stays one keystroke away.

Every source is bounded (``SENT_SCAN`` messages, ``CONTACTS_SCAN`` vCards, ``DIRECTORY_SCAN`` accounts),
so a suggestion costs the same on a mailbox of any size. Matching is a case-insensitive substring of the
address or the name; the first ``limit`` matches are returned, each address once.

Only the account's own folders, its domain's public folders and its domain's directory are read: a
folder another user shares is not an address book of theirs, and another domain's accounts are not in
their directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, case, false, or_, select

from storage import acl
from storage import schema as s
from storage.folders import mailbox_namespace, public_namespace

if TYPE_CHECKING:
    from storage.store import Store

SENT_SCAN = 500
CONTACTS_SCAN = 2000
DIRECTORY_SCAN = 5000
MAX_LIMIT = 100

_VCARD_LINE = re.compile(
    r"^(?:item\d+\.)?(FN|EMAIL|KIND|X-ADDRESSBOOKSERVER-KIND)(?:;[^:]*)?:(.*)$", re.IGNORECASE
)


@dataclass(frozen=True)
class Suggestion:
    """One address to offer: ``name`` may be empty; ``source`` is contacts, sent, directory or group.

    A ``group`` suggestion is a contact group (a vCard of kind group): its ``address`` is the group's
    name, which WebMail's composer replaces by the members' addresses when the message is sent."""

    address: str
    name: str
    source: str

    def formatted(self) -> str:
        """The form a recipient field takes: ``"Name" <address>``, or the bare address."""
        if not self.name:
            return self.address
        quoted = self.name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{self.address}>'


@dataclass(frozen=True)
class DirectoryPrincipal:
    """Someone a folder can be shared with (JMAP Sharing's Principal): an enabled account (``kind``
    "individual") or a group ("group") of the account's own domain. ``key`` is the account's or the
    group's id, so a principal keeps its id when renamed."""

    kind: str
    key: int
    address: str
    name: str


class AddressBook:
    """Recipient suggestions for one account (see the module docstring for what it reads)."""

    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id

    def suggestions(self, text: str = "", limit: int = 20) -> list[Suggestion]:
        """Up to ``limit`` (at most ``MAX_LIMIT``) suggestions whose address or name contains ``text``."""
        limit = max(1, min(limit, MAX_LIMIT))
        needle = text.strip().lower()
        found = self._contacts()
        with self.store.db.read() as conn:
            found += self._sent(conn) + self._directory(conn)
        out: list[Suggestion] = []
        seen: set[str] = set()
        for item in found:
            key = item.address.lower()
            if key in seen or (needle and needle not in key and needle not in item.name.lower()):
                continue
            seen.add(key)
            out.append(item)
            if len(out) >= limit:
                break
        return out

    def directory(self, text: str = "", limit: int = DIRECTORY_SCAN) -> list[Suggestion]:
        """The domain directory (WebMail's read-only directory page): the other enabled accounts of the
        account's own domain whose address or display name contains ``text`` (case-insensitive), by
        address, at most ``limit`` (and ``DIRECTORY_SCAN``)."""
        needle = text.strip().lower()
        with self.store.db.read() as conn:
            found = self._directory(conn)
        matches = [e for e in found if not needle or needle in e.address.lower() or needle in e.name.lower()]
        return matches[: max(0, min(limit, DIRECTORY_SCAN))]

    def principals(self) -> list[DirectoryPrincipal]:
        """Who the account may share a folder with by name: the enabled accounts of its own domain
        (itself included) and the domain's groups, accounts first, each by address; at most
        ``DIRECTORY_SCAN`` of each. Another domain's accounts are not listed, as in the directory."""
        a, d, g = s.accounts, s.domains, s.groups
        with self.store.db.read() as conn:
            domain_id = self._domain_id(conn)
            people = conn.execute(
                select(a.c.id, a.c.local_part, a.c.display_name, d.c.name)
                .join(d, d.c.id == a.c.domain_id)
                .where(a.c.domain_id == domain_id, a.c.enabled.is_(True))
                .order_by(a.c.local_part)
                .limit(DIRECTORY_SCAN)
            ).all()
            groups = conn.execute(
                select(g.c.id, g.c.local_part, g.c.display_name, d.c.name)
                .join(d, d.c.id == g.c.domain_id)
                .where(g.c.domain_id == domain_id)
                .order_by(g.c.local_part)
                .limit(DIRECTORY_SCAN)
            ).all()
        return [
            DirectoryPrincipal(kind, key, f"{lp}@{dn}", name or "")
            for kind, rows in (("individual", people), ("group", groups))
            for key, lp, name, dn in rows
        ]

    def _contacts(self) -> list[Suggestion]:
        """The account's own vCards, then those of its domain's public address books it may read."""
        f, m = s.folders, s.messages
        with self.store.db.read() as conn:
            public = public_namespace(self._domain_id(conn))
            readable = [
                folder_id
                for folder_id, rights in acl.rights_in_namespace(conn, self.account_id, public).items()
                if "r" in rights
            ]
            own = f.c.namespace == mailbox_namespace(self.account_id)
            shared = and_(f.c.namespace == public, f.c.id.in_(readable)) if readable else false()
            rows = conn.execute(
                select(m.c.folder_id, m.c.uid)
                .join(f, f.c.id == m.c.folder_id)
                .where(f.c.kind == "contacts", or_(own, shared))
                .order_by(case((own, 0), else_=1), m.c.id)
                .limit(CONTACTS_SCAN)
            ).all()
        out: list[Suggestion] = []
        for folder_id, uid in rows:
            out += vcard_suggestions(self.store.mail.raw(folder_id, uid, end=64 * 1024), with_groups=True)
        return out

    def _sent(self, conn: Connection) -> list[Suggestion]:
        f, m, b = s.folders, s.messages, s.bodies
        rows = conn.execute(
            select(b.c.to_addrs)
            .join(m, m.c.body_id == b.c.id)
            .join(f, f.c.id == m.c.folder_id)
            .where(f.c.namespace == mailbox_namespace(self.account_id), f.c.role == "sent")
            .order_by(m.c.internal_date.desc())
            .limit(SENT_SCAN)
        ).scalars()
        return [
            Suggestion(address.strip(), "", "sent")
            for value in rows
            for address in (value or "").split(",")
            if "@" in address
        ]

    def _domain_id(self, conn: Connection) -> int:
        a = s.accounts
        return int(conn.execute(select(a.c.domain_id).where(a.c.id == self.account_id)).scalar_one())

    def _directory(self, conn: Connection) -> list[Suggestion]:
        a, d = s.accounts, s.domains
        domain_id = self._domain_id(conn)
        rows = conn.execute(
            select(a.c.local_part, a.c.display_name, d.c.name)
            .join(d, d.c.id == a.c.domain_id)
            .where(a.c.domain_id == domain_id, a.c.enabled.is_(True), a.c.id != self.account_id)
            .order_by(a.c.local_part)
            .limit(DIRECTORY_SCAN)
        ).all()
        return [Suggestion(f"{lp}@{dn}", name or "", "directory") for lp, name, dn in rows]


def vcard_suggestions(raw: bytes, *, with_groups: bool = False) -> list[Suggestion]:
    """The (name, address) pairs of the vCards in a stored object: each ``EMAIL`` with the card's ``FN``;
    with ``with_groups``, a group card (``KIND:group``, or Apple's ``X-ADDRESSBOOKSERVER-KIND``) as one
    ``group`` suggestion holding its name.

    Lines are unfolded first (RFC 6350 3.2); values are taken as text, escapes undone (3.4)."""
    text = re.sub(r"\r?\n[ \t]", "", raw.decode("utf-8", "replace"))
    out: list[Suggestion] = []
    name, emails, group = "", list[str](), False
    for line in text.splitlines():
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            name, emails, group = "", [], False
        elif upper == "END:VCARD":
            if group:
                out += [Suggestion(name, "", "group")] if with_groups and name else []
            else:
                out += [Suggestion(e, name, "contacts") for e in emails]
        else:
            match = _VCARD_LINE.match(line.strip())
            if match:
                value = re.sub(r"\\(.)", lambda m: "\n" if m[1] in "nN" else m[1], match[2]).strip()
                field = match[1].upper()
                if field == "FN":
                    name = value
                elif field.endswith("KIND"):
                    group = group or value.lower() == "group"
                elif "@" in value:
                    emails.append(value.removeprefix("mailto:"))
    return out
