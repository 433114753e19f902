"""The user's personal contacts, as much as WebMail needs before the organizer: add a sender, list, delete.

Contacts are vCards (RFC 6350; vobject writes version 3.0, RFC 2426, which every CardDAV and IMAP
client reads) kept one per stored object in the account's own folder of kind ``contacts`` -- the first by
path, "Contacts" in every new mailbox -- which is what storage/addressbook.py reads for autocomplete. A
mailbox that has lost that folder gets a new one, named ``FOLDER_NAME``, on the first contact added.

Everything goes through the user's facade (``UserMail.append / reader / view.delete``), so the rights are
checked like any other write; only the account's own namespace is looked at (a contacts folder someone
shares with the user is theirs, not the user's address book).

Limits: ``LIST_LIMIT`` cards are listed (oldest first); a card bigger than ``CARD_BYTES`` is read only in
part. Adding an address that is already in the contacts adds nothing (the existing card is returned).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import vobject
from sqlalchemy import select

from storage import schema as s
from storage.addressbook import vcard_suggestions
from storage.errors import AlreadyExists, InvalidInput
from storage.folders import mailbox_namespace
from storage.models import Folder

if TYPE_CHECKING:
    from storage.usermail import UserMail

FOLDER_NAME = "Contacts"
KIND = "contacts"
LIST_LIMIT = 1000
CARD_BYTES = 64 * 1024
MAX_NAME = 200
MAX_ADDRESS = 320


@dataclass(frozen=True)
class Contact:
    """One stored card: its UID in the contacts folder, its name (FN) and first address (EMAIL)."""

    uid: int
    name: str
    address: str


def vcard(name: str, address: str) -> bytes:
    """A vCard 3.0 for one person: a new UID, FN, N (required by RFC 2426; the name is put in as the
    given name) and EMAIL.

    Raises:
        InvalidInput: no address, an address without "@", or a field too long.
    """
    name = " ".join(name.split())[:MAX_NAME]
    address = address.strip()
    if "@" not in address or len(address) > MAX_ADDRESS or any(ch in address for ch in "\r\n<>\"'"):
        raise InvalidInput("a contact needs a valid e-mail address")
    card = vobject.vCard()
    card.add("uid").value = str(uuid.uuid4())  # CardDAV needs one (RFC 6352 5.1); the organizer indexes by it
    card.add("fn").value = name or address
    card.add("n").value = vobject.vcard.Name(given=name or address)
    email = card.add("email")
    email.value = address
    email.type_param = "INTERNET"
    text: str = card.serialize()
    return text.encode("utf-8")


class PersonalContacts:
    """The user's own address book (see the module docstring)."""

    def __init__(self, user: UserMail) -> None:
        self.user = user
        self.store = user.store

    def folder(self, *, create: bool = False) -> Folder | None:
        """The account's contacts folder; None when it has none and ``create`` is false."""
        f = s.folders
        with self.store.db.read() as conn:
            path = conn.execute(
                select(f.c.path)
                .where(f.c.namespace == mailbox_namespace(self.user.account_id), f.c.kind == KIND)
                .order_by(f.c.path)
                .limit(1)
            ).scalar()
            owner = self.store.accounts.load(conn, self.user.account_id).address
        if path is not None:
            found, _rights = self.user.find(owner, path)
            return found
        if not create:
            return None
        try:
            return self.store.folders.create_for(self.user.account_id, owner, FOLDER_NAME, kind=KIND)
        except AlreadyExists:
            raise InvalidInput(
                f"a folder named {FOLDER_NAME!r} that is not an address book is in the way; rename it"
            ) from None

    def entries(self) -> list[Contact]:
        """The cards of the contacts folder, oldest first (at most ``LIST_LIMIT``); each card with an
        address once per address."""
        folder = self.folder()
        if folder is None:
            return []
        reader = self.user.reader(folder.id)
        out: list[Contact] = []
        for uid in reader.uids()[:LIST_LIMIT]:
            for found in vcard_suggestions(reader.raw(uid, end=CARD_BYTES)):
                out.append(Contact(uid, found.name, found.address))
        return out

    def add(self, name: str, address: str) -> Contact:
        """Store a card for ``address`` (creating the contacts folder if missing); an address already in
        the contacts is not added twice.

        Raises:
            InvalidInput: a bad address (see ``vcard``). QuotaExceeded: the mailbox is full.
        """
        raw = vcard(name, address)
        wanted = address.strip().lower()
        for contact in self.entries():
            if contact.address.lower() == wanted:
                return contact
        folder = self.folder(create=True)
        assert folder is not None
        uid = self.user.append(folder.id, raw).uid
        return Contact(uid, name.strip() or address.strip(), address.strip())

    def delete(self, uid: int) -> bool:
        """Remove one card at once (no Trash: a card is not mail); True if it was there."""
        folder = self.folder()
        if folder is None:
            return False
        return bool(self.user.view.delete(folder.id, [uid], expunge=True))
