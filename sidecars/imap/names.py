"""Mailbox names as clients see them (RFC 3501 5.1, RFC 2342 NAMESPACE) <-> storage folders.

Three namespaces, each with the "/" delimiter:

* personal, prefix "": the user's own folders, ``INBOX`` case-insensitive (RFC 3501 5.1);
* other users, prefix ``Other Users/``: ``Other Users/bob@example.test/Projects`` is bob's
  ``Projects``, shown only where bob's ACL gives the user the lookup right;
* public folders, prefix ``Public Folders/``: the user's domain's public folders.

Names on the wire are modified UTF-7 (RFC 3501 5.1.3) unless the client enabled UTF8=ACCEPT (RFC
6855 3), when they are plain UTF-8. Only folders of kind "mail" are IMAP mailboxes; calendars and
address books stay out of listings and cannot be selected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sidecars.imap import mutf7
from sidecars.imap.patterns import MailboxPattern
from storage.models import Folder

if TYPE_CHECKING:
    from storage.mailbox_list import VisibleMailboxes

DELIMITER = "/"
OTHER_USERS = "Other Users"
PUBLIC = "Public Folders"
SPECIAL_USE = {
    "sent": "\\Sent",
    "drafts": "\\Drafts",
    "trash": "\\Trash",
    "junk": "\\Junk",
    "archive": "\\Archive",
}
ROLE_OF_USE = {v.lower(): k for k, v in SPECIAL_USE.items()}


class BadName(ValueError):
    """The name cannot be a mailbox (bad modified UTF-7, empty component...)."""


@dataclass(frozen=True)
class Place:
    """Where a client's mailbox name points: the storage owner ("addr" or "@domain") and path."""

    owner: str
    path: str
    personal: bool


@dataclass(frozen=True)
class Listed:
    name: str  # the client-visible name (decoded)
    folder: Folder | None  # None for a namespace node (\\Noselect)
    owner: str


def decode_wire(name: str, utf8: bool) -> str:
    if utf8:
        return name
    try:
        return mutf7.decode(name)
    except ValueError as exc:
        raise BadName(f"mailbox name is not valid modified UTF-7: {exc}") from None


def encode_wire(name: str, utf8: bool) -> str:
    return name if utf8 else mutf7.encode(name)


def place(name: str, user: str) -> Place:
    """Map a decoded client name to (owner, path)."""
    parts = name.split(DELIMITER)
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    if any(p == "" for p in parts):
        raise BadName("mailbox names have no empty parts")
    if parts[0] == OTHER_USERS:
        if len(parts) < 3:
            raise BadName(f"{OTHER_USERS}/ names a user and one of their folders")
        return Place(parts[1].lower(), DELIMITER.join(parts[2:]), False)
    if parts[0] == PUBLIC:
        if len(parts) < 2:
            raise BadName("name a folder under Public Folders/")
        return Place("@" + user.rpartition("@")[2], DELIMITER.join(parts[1:]), False)
    return Place(user, DELIMITER.join(parts), True)


def client_name(owner: str, path: str, user: str) -> str:
    if owner == user:
        return path
    if owner.startswith("@"):
        return f"{PUBLIC}/{path}"
    return f"{OTHER_USERS}/{owner}/{path}"


@dataclass(frozen=True)
class ListPatterns:
    """The patterns of one LIST/LSUB joined with its reference (RFC 3501 6.3.8), matched against
    decoded names; a pattern that is not valid modified UTF-7 is matched against the names as they
    go on the wire instead, so it still finds what it spells out and never fails the command."""

    decoded: MailboxPattern
    on_wire: MailboxPattern
    utf8: bool

    def matches(self, name: str) -> bool:
        if self.decoded.matches(name):
            return True
        return bool(self.on_wire.text) and self.on_wire.matches(encode_wire(name, self.utf8))

    def may_match_under(self, prefix: str) -> bool:
        if self.decoded.may_match_under(prefix):
            return True
        return bool(self.on_wire.text) and self.on_wire.may_match_under(encode_wire(prefix, self.utf8))


def list_patterns(reference: str, patterns: Iterable[str], utf8: bool) -> ListPatterns:
    """RFC 3501 6.3.8: the wire reference and each pattern joined with the delimiter, as one matcher
    ("*" matches anything, "%" anything but the delimiter; INBOX case-insensitive). The client writes
    them, so they are matched in linear time, never by a regular expression (see :mod:`patterns`)."""
    decoded: list[str] = []
    on_wire: list[str] = []
    for pattern in dict.fromkeys(patterns):
        full = (
            reference + pattern
            if not reference or reference.endswith(DELIMITER) or pattern.startswith(DELIMITER)
            else reference + DELIMITER + pattern
        )
        try:
            decoded.append(decode_wire(full, utf8))
        except BadName:
            on_wire.append(full)
    return ListPatterns(MailboxPattern(*decoded), MailboxPattern(*on_wire), utf8)


def visible_folders(found: VisibleMailboxes, user: str) -> list[Listed]:
    """Every mailbox of a storage listing (``UserMailbox.mailboxes``: the folders the user may look up),
    as client names: own first, then others', then public; only folders of kind "mail"."""
    out = [Listed(f.path, f, user) for f in found.own if f.kind == "mail"]
    others: list[Listed] = []
    for address, folders in found.shared:
        shared = [f for f in folders if f.kind == "mail"]
        if shared:
            others.append(Listed(f"{OTHER_USERS}/{address}", None, address))
            others += [Listed(f"{OTHER_USERS}/{address}/{f.path}", f, address) for f in shared]
    if others:
        out.append(Listed(OTHER_USERS, None, ""))
        out += others
    public = [f for f in found.public if f.kind == "mail"]
    if public:
        domain = "@" + user.rpartition("@")[2]
        out.append(Listed(PUBLIC, None, domain))
        out += [Listed(f"{PUBLIC}/{f.path}", f, domain) for f in public]
    return out
