"""Recipient suggestions (storage/addressbook.py) and the special-use folder lookup, on both backends:
its contacts first, the domain's readable public address books, Sent recipients and the domain
directory, matching, limits, and nothing from another account or domain."""

from __future__ import annotations

import pytest

from storage.errors import NotFound
from tests.storage.conftest import Demo, build_message

VCARD = (
    b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Zed Zebra\r\nEMAIL;TYPE=work:zed@zoo.test\r\n"
    b"EMAIL:zebra@home.test\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Mail\r\nEND:VCARD\r\n"
)


def test_without_contacts_the_directory_and_sent_recipients_are_offered(demo: Demo) -> None:
    store = demo.store
    store.domains.add("other.test")
    store.accounts.add("stranger@other.test", None)
    store.accounts.add("dora@example.test", None, display_name="Dora Explorer")
    store.mail.deliver(build_message(to="friend@far.test, pal@far.test"), ["alice@example.test"], "Sent")
    book = store.for_user(demo.alice.id).addressbook
    got = [(s.address, s.name, s.source) for s in book.suggestions()]
    assert got[:2] == [("friend@far.test", "", "sent"), ("pal@far.test", "", "sent")]
    directory = [a for a, _, source in got if source == "directory"]
    assert directory == [  # the enabled accounts of alice's domain but alice
        "bob@example.test",
        "carol@example.test",
        "dora@example.test",
        "postmaster@example.test",
    ]
    assert [s.formatted() for s in book.suggestions("explor")] == ['"Dora Explorer" <dora@example.test>']
    assert [s.address for s in book.suggestions("FRIEND")] == ["friend@far.test"]
    assert len(book.suggestions(limit=2)) == 2
    assert "stranger@other.test" not in [s.address for s in book.suggestions("stranger")]


def test_contacts_come_first_and_the_directory_stays(demo: Demo) -> None:
    store = demo.store
    store.mail.deliver(VCARD, ["alice@example.test"], "Contacts")
    store.mail.deliver(VCARD.replace(b"zed@", b"bobs-zed@"), ["bob@example.test"], "Contacts")
    got = [(s.address, s.name, s.source) for s in store.for_user(demo.alice.id).addressbook.suggestions()]
    assert got[:2] == [
        ("zed@zoo.test", "Zed Zebra", "contacts"),
        ("zebra@home.test", "Zed Zebra", "contacts"),
    ]
    assert ("bob@example.test", "", "directory") in [(a, "", src) for a, _, src in got]
    assert "bobs-zed@zoo.test" not in [a for a, _, _ in got]  # bob's own address book is his


def test_public_contacts_of_the_domain_are_offered_where_readable(demo: Demo) -> None:
    store = demo.store
    store.folders.create("@example.test", "Company contacts", kind="contacts")
    card = VCARD.replace(b"Zed Zebra", b"Front Desk").replace(b"zed@zoo.test", b"desk@corp.test")
    store.mail.append("@example.test", "Company contacts", card)
    book = store.for_user(demo.alice.id).addressbook
    assert "desk@corp.test" not in [s.address for s in book.suggestions("desk")]  # no "r" yet
    store.acl.grant("@example.test", "Company contacts", "@example.test", "lr")
    assert [(s.address, s.name, s.source) for s in book.suggestions("desk")] == [
        ("desk@corp.test", "Front Desk", "contacts"),
        ("zebra@home.test", "Front Desk", "contacts"),  # the card's second EMAIL
    ]


def test_special_use_folders_by_role(demo: Demo) -> None:
    user = demo.store.for_user(demo.alice.id)
    assert user.folder_with_role("drafts").path == "Drafts"
    user.rename_folder("alice@example.test", "Sent", "Gesendet")
    assert user.folder_with_role("sent").path == "Gesendet"
    user.delete_folder("alice@example.test", "Junk")
    with pytest.raises(NotFound, match="you have no junk folder"):
        user.folder_with_role("junk")


def test_send_as_addresses_follow_grants_groups_and_denies(demo: Demo) -> None:
    store = demo.store
    senders = store.senders
    assert senders.addresses_for(demo.carol.id) == ["carol@example.test"]
    store.groups.add("team@example.test")
    store.groups.add_member("team@example.test", "carol@example.test")
    store.acl.grant("alice@example.test", "", "team@example.test", "0")
    store.acl.grant("bob@example.test", "", "anyone", "0")
    assert senders.addresses_for(demo.carol.id) == [
        "carol@example.test",
        "alice@example.test",
        "bob@example.test",
    ]
    store.acl.grant("bob@example.test", "", "carol@example.test", "0", allow=False)
    assert senders.addresses_for(demo.carol.id) == ["carol@example.test", "alice@example.test"]


def test_principals_are_the_domain_accounts_and_groups(demo: Demo) -> None:
    store = demo.store
    store.groups.add("team@example.test", "The Team")
    store.domains.add("other.test")
    store.accounts.add("stranger@other.test", None)
    store.groups.add("club@other.test")
    found = store.for_user(demo.alice.id).addressbook.principals()
    listed = [(p.kind, p.address, p.name) for p in found]
    assert ("individual", "alice@example.test", "") in listed  # the user too: Principal/query finds oneself
    assert listed[-1] == ("group", "team@example.test", "The Team")  # accounts first, then groups
    assert not [a for _, a, _ in listed if a.endswith("@other.test")]
    keys = {(p.kind, p.key) for p in found}
    assert len(keys) == len(found)
