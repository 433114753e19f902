"""Ids and state strings of AddressBook and ContactCard (RFC 9610), built on storage's folders.

Ids: an AddressBook is a contacts folder, ``ab<folder id>``; a ContactCard is a card of one by its
resource name (the name a CardDAV client sees, kept when the card is edited), ``k<folder id>_<name in
base64url>``. Names too long for a 255-character id are ``k<folder id>-<hash of the name>`` and are
found by scanning the folder's names. Both stay the same for the card's life; a card moved to another
address book is a new card (JMAP allows it), which is why ``addressBookIds`` cannot be changed by /set.

A ContactCard state is, per readable address book, ``<id>.<UIDVALIDITY>.<HIGHESTMODSEQ>`` in base 36:
what changed since is then the folder's sync (storage keeps removed names and MODSEQs for ever), so
/changes is exact however old the state. A card changed since is reported ``created`` when nothing of its
folder was expunged since (nothing was replaced or deleted, so every changed card is new) and
``updated`` otherwise: storage replaces a card by expunging and appending, so after an expunge a new card
and an edited one look alike, and ``updated`` is the answer a client handles for both. An address book
gone from the user's view makes /changes answer ``cannotCalculateChanges`` (the client reloads).

An AddressBook state is, per visible address book, its id and a short hash of what a client shows.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from storage.pim import Collection
from storage.usermail import UserMail
from webmail.jmap.ids import b36 as _b36

CARD_STATE_PREFIX = "c"
BOOK_STATE_PREFIX = "b"
_BOOK = re.compile(r"ab([1-9][0-9]{0,17})")
_CARD = re.compile(r"k([1-9][0-9]{0,17})_([A-Za-z0-9_-]{1,240})")
_HASHED_CARD = re.compile(r"k([1-9][0-9]{0,17})-([0-9a-f]{32})")
MAX_ENCODED = 236


def book_id(folder_id: int) -> str:
    return f"ab{folder_id}"


def parse_book_id(value: object) -> int | None:
    if not isinstance(value, str) or not (m := _BOOK.fullmatch(value)):
        return None
    return int(m.group(1))


def name_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:32]


def card_id(folder_id: int, name: str) -> str:
    encoded = base64.urlsafe_b64encode(name.encode()).decode("ascii").rstrip("=")
    if len(encoded) <= MAX_ENCODED:
        return f"k{folder_id}_{encoded}"
    return f"k{folder_id}-{name_hash(name)}"


@dataclass(frozen=True)
class CardKey:
    """A parsed ContactCard id: the folder and either the name or (for a long name) its hash."""

    folder_id: int
    name: str | None
    hashed: str | None = None


def parse_card_id(value: object) -> CardKey | None:
    if not isinstance(value, str):
        return None
    if m := _CARD.fullmatch(value):
        try:
            name = base64.urlsafe_b64decode(m.group(2) + "=" * (-len(m.group(2)) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return CardKey(int(m.group(1)), name)
    if m := _HASHED_CARD.fullmatch(value):
        return CardKey(int(m.group(1)), None, m.group(2))
    return None


@dataclass(frozen=True)
class BookPoint:
    uidvalidity: int
    modseq: int


def readable_books(user: UserMail) -> list[Collection]:
    """The address books the user may read, own first (storage's order)."""
    return [c for c in user.organizer.collections("contacts") if "r" in c.rights]


def point(book: Collection) -> BookPoint:
    validity, _, modseq = book.ctag.partition("-")
    return BookPoint(int(validity), int(modseq))


def card_state(books: list[Collection]) -> str:
    return format_card_state({book.folder_id: point(book) for book in books})


def format_card_state(points: dict[int, BookPoint]) -> str:
    parts = [f"{_b36(fid)}.{_b36(p.uidvalidity)}.{_b36(p.modseq)}" for fid, p in sorted(points.items())]
    return CARD_STATE_PREFIX + ",".join(parts)


def parse_card_state(state: object) -> dict[int, BookPoint] | None:
    if not isinstance(state, str) or not state.startswith(CARD_STATE_PREFIX) or len(state) > 100_000:
        return None
    body = state[len(CARD_STATE_PREFIX) :]
    out: dict[int, BookPoint] = {}
    if not body:
        return out
    try:
        for item in body.split(","):
            fid, validity, modseq = (int(x, 36) for x in item.split("."))
            out[fid] = BookPoint(validity, modseq)
    except ValueError:
        return None
    return out


def book_points(books: list[Collection]) -> dict[int, str]:
    out = {}
    for index, book in enumerate(books):
        shown = (book.display_name, book.owner, book.path, str(book.rights), index, book.color)
        out[book.folder_id] = hashlib.blake2s(repr(shown).encode(), digest_size=4).hexdigest()
    return out


def book_state(books: list[Collection]) -> str:
    points = book_points(books)
    return BOOK_STATE_PREFIX + ",".join(f"{_b36(fid)}.{h}" for fid, h in sorted(points.items()))


def parse_book_state(state: object) -> dict[int, str] | None:
    if not isinstance(state, str) or not state.startswith(BOOK_STATE_PREFIX) or len(state) > 100_000:
        return None
    body = state[len(BOOK_STATE_PREFIX) :]
    out: dict[int, str] = {}
    if not body:
        return out
    try:
        for item in body.split(","):
            fid, digest = item.split(".")
            if len(digest) != 8:
                return None
            out[int(fid, 36)] = digest
    except ValueError:
        return None
    return out


def current_states(user: UserMail) -> dict[str, str]:
    """The account's AddressBook and ContactCard states now (one read): for push (RFC 8620 7.1)."""
    books = user.organizer.collections("contacts")
    readable = [b for b in books if "r" in b.rights]
    return {"AddressBook": book_state(books), "ContactCard": card_state(readable)}
