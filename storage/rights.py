"""Rights as values: the ``Rights`` letter set, the named roles, and the pure deny-wins computation.

No database here: storage.acl (which re-exports all of this) reads and writes the entries and asks these
functions what they add up to. The letters and roles are described in storage.acl's notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from storage import flags as fl
from storage.errors import InvalidInput

CANONICAL_ORDER = "lrswipkxtea012"
FOLDER_RIGHTS = "lrswipkxtea"  # RFC 4314's rights; the digits are mailbox-level grants of our own
MAILBOX_RIGHTS = "012"  # send as, read free/busy, send on behalf: only ever read on a mailbox root
_LEGACY = {"c": "kx", "d": "et"}  # RFC 2086 rights, RFC 4314 section 2.1.1
PRINCIPAL_KINDS = ("user", "group", "domain", "anyone")

Principal = tuple[str, int]


@dataclass(frozen=True)
class Rights:
    """An immutable set of right letters. ``str()`` gives the canonical string ("lrs")."""

    letters: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.letters) - set(CANONICAL_ORDER)
        if unknown:
            raise InvalidInput(f"unknown ACL right(s): {''.join(sorted(unknown))}")

    @classmethod
    def parse(cls, text: str) -> Rights:
        """Read a rights string; RFC 2086 "c" becomes k+x and "d" becomes e+t.

        Raises:
            InvalidInput: a character that is not a right.
        """
        letters: set[str] = set()
        for ch in text:
            if ch in _LEGACY:
                letters.update(_LEGACY[ch])
            elif ch in CANONICAL_ORDER:
                letters.add(ch)
            else:
                raise InvalidInput(f"unknown ACL right {ch!r} in {text!r}")
        return cls(frozenset(letters))

    @classmethod
    def of(cls, value: str | Rights) -> Rights:
        return value if isinstance(value, Rights) else cls.parse(value)

    def __str__(self) -> str:
        return "".join(ch for ch in CANONICAL_ORDER if ch in self.letters)

    def __repr__(self) -> str:
        return f"Rights({str(self)!r})"

    def __iter__(self) -> Iterator[str]:
        return iter(str(self))

    def __len__(self) -> int:
        return len(self.letters)

    def __bool__(self) -> bool:
        return bool(self.letters)

    def __contains__(self, item: object) -> bool:
        """``"r" in rights``; a longer string or a Rights asks for all of its letters."""
        if isinstance(item, Rights):
            return item.letters <= self.letters
        if isinstance(item, str):
            return Rights.parse(item).letters <= self.letters
        return False

    def __or__(self, other: str | Rights) -> Rights:
        return Rights(self.letters | Rights.of(other).letters)

    def __and__(self, other: str | Rights) -> Rights:
        return Rights(self.letters & Rights.of(other).letters)

    def __sub__(self, other: str | Rights) -> Rights:
        return Rights(self.letters - Rights.of(other).letters)


NONE = Rights()
ALL = Rights(frozenset(CANONICAL_ORDER))
VIEWER = Rights.parse("lrs")
CONTRIBUTOR = VIEWER | "ip"
EDITOR = CONTRIBUTOR | "wtek"
MASTER = EDITOR | "xa"
ROLES: dict[str, Rights] = {"viewer": VIEWER, "contributor": CONTRIBUTOR, "editor": EDITOR, "master": MASTER}
SEND_AS = Rights.parse("0")
READ_FREEBUSY = Rights.parse("1")
SEND_ON_BEHALF = Rights.parse("2")
POSTMASTER_ON_MAILBOXES = Rights.parse("la")


def role_of(rights: Rights) -> str | None:
    """The role whose set is exactly ``rights``, or None (a custom set)."""
    return next((name for name, value in ROLES.items() if value == rights), None)


def rights_to_store(flags: Iterable[str], mode: str = "add") -> Rights:
    """Rights needed to set or clear ``flags`` (RFC 4314 4): \\Seen needs "s", \\Deleted "t", any other
    flag or keyword "w". Replacing (``mode`` "replace") may clear every flag, so it needs all three.

    Raises:
        InvalidInput: a bad flag name.
    """
    bits, keywords = fl.encode(flags)
    if mode == "replace":
        return Rights(frozenset("stw"))
    needed = {"s"} if bits & fl.SEEN else set()
    if bits & fl.DELETED:
        needed.add("t")
    if bits & ~(fl.SEEN | fl.DELETED) or keywords:
        needed.add("w")
    return Rights(frozenset(needed))


def may_store(rights: Rights, flags: Iterable[str]) -> bool:
    """Whether ``rights`` let a user set and clear every one of ``flags`` (see ``rights_to_store``)."""
    return rights_to_store(flags) in rights


def apply_modification(current: Rights, spec: str) -> Rights:
    """IMAP SETACL (RFC 4314 3.1): "+xyz" adds, "-xyz" removes, anything else replaces."""
    if spec.startswith("+"):
        return current | Rights.parse(spec[1:])
    if spec.startswith("-"):
        return current - Rights.parse(spec[1:])
    return Rights.parse(spec)


@dataclass(frozen=True)
class AclEntry:
    """One stored entry: allow or deny ``rights`` on ``folder_id`` to ``principal``."""

    folder_id: int
    principal: Principal
    rights: Rights
    allow: bool = True
    inherit: bool = True


def effective_rights(
    chain: Sequence[Iterable[AclEntry]], principals: Iterable[Principal], implicit: Rights = NONE
) -> Rights:
    """Apply the deny-wins rule to a folder's entries and its ancestors' (pure; no database).

    Args:
        chain: ``chain[0]`` holds the folder's own entries, ``chain[1]`` its parent's, and so on up to the
            namespace root.
        principals: everything the user matches (see ``principals_of``).
        implicit: rights that are added last and cannot be denied.
    """
    who = set(principals)
    allowed: set[str] = set()
    denied: set[str] = set()
    for depth, entries in enumerate(chain):
        for entry in entries:
            if entry.principal not in who or (depth > 0 and not entry.inherit):
                continue
            (allowed if entry.allow else denied).update(entry.rights.letters)
    return Rights(frozenset(allowed - denied)) | implicit
