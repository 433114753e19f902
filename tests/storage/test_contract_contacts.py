"""The personal address book (storage/contacts.py), on both backends: a sender added as a vCard is offered
by autocomplete, listed, not added twice, deleted; a lost contacts folder is made again with its kind;
nothing of another account is read or written."""

from __future__ import annotations

import pytest

from storage.contacts import FOLDER_NAME
from storage.errors import InvalidInput
from storage.usermail import UserMail
from tests.storage.conftest import Demo


def test_added_sender_is_listed_and_suggested(demo: Demo) -> None:
    alice = demo.store.for_user(demo.alice.id)
    added = alice.contacts.add("Jürgen Müller", "jm@far.test")
    assert (added.name, added.address) == ("Jürgen Müller", "jm@far.test")
    assert alice.contacts.add("J. M.", "JM@far.test").uid == added.uid  # already there: not twice
    assert [(c.name, c.address) for c in alice.contacts.entries()] == [("Jürgen Müller", "jm@far.test")]
    found = alice.addressbook.suggestions("müll")
    assert [(s.address, s.name, s.source) for s in found] == [("jm@far.test", "Jürgen Müller", "contacts")]
    raw = alice.reader(added_folder(alice)).raw(added.uid)
    assert raw.startswith(b"BEGIN:VCARD") and b"EMAIL;TYPE=INTERNET:jm@far.test" in raw
    bob = demo.store.for_user(demo.bob.id)
    assert bob.contacts.entries() == []
    assert bob.contacts.delete(added.uid) is False  # the uid names nothing in bob's own book
    assert alice.contacts.entries() != []  # bob's delete did not reach alice's card
    assert alice.contacts.delete(added.uid) is True
    assert alice.contacts.entries() == []


def added_folder(user: UserMail) -> int:
    folder = user.contacts.folder()
    assert folder is not None
    return int(folder.id)


def test_a_lost_contacts_folder_is_made_again(demo: Demo) -> None:
    alice = demo.store.for_user(demo.alice.id)
    alice.delete_folder("alice@example.test", FOLDER_NAME)
    assert alice.contacts.folder() is None
    assert alice.contacts.entries() == []
    alice.contacts.add("", "pal@far.test")
    folder = alice.contacts.folder()
    assert folder is not None and folder.path == FOLDER_NAME and folder.kind == "contacts"
    assert [s.address for s in alice.addressbook.suggestions("pal")] == ["pal@far.test"]


@pytest.mark.parametrize("address", ["", "no-at-sign", "a@b\r\nEMAIL:evil@x.test", "x" * 400 + "@x.test"])
def test_bad_addresses_are_refused(demo: Demo, address: str) -> None:
    with pytest.raises(InvalidInput):
        demo.store.for_user(demo.alice.id).contacts.add("Name", address)
