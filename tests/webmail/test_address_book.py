"""The address book in WebMail (webmail/contact_routes.py) through Flask's test client: a contact with
several addresses and phones made, found by a folded search, edited and deleted; a group; the domain's
public contacts shown read-only; the directory; bob meeting 404s on alice's cards."""

from __future__ import annotations

import re

import pytest
import vobject
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from tests.webmail.conftest import DOMAIN, AuthActions, Seeded, csrf_token


@pytest.fixture
def alice(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    auth.login()
    return client


def cards(seeded: Seeded) -> list[vobject.base.Component]:
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    (book,) = [c for c in organizer.collections("contacts") if not c.shared and not c.public]
    names = [ref.name for ref in organizer.items(book.folder_id)]
    return [vobject.readOne(i.data.decode()) for i in organizer.get_many(book.folder_id, names)]


def card_link(page: str) -> str:
    found = re.search(r'href="(/(?:mail|m)/contacts/\d+/[^"]+)"', page)
    assert found, "no card link on the page"
    return found.group(1)


def juergen(token: str) -> MultiDict[str, str]:
    return MultiDict(
        [
            ("csrf_token", token),
            ("given", "Jürgen"),
            ("family", "Müller"),
            ("email", "jm@far.test"),
            ("email_type", "work"),
            ("email", "juergen@home.test"),
            ("email_type", "home"),
            ("email", ""),
            ("email_type", "other"),
            ("tel", "+49 30 1234567"),
            ("tel_type", "cell"),
            ("organisation", "Müller GmbH"),
            ("street", "Hauptstraße 1"),
            ("city", "Berlin"),
            ("code", "10115"),
            ("country", "Germany"),
            ("birthday", "1980-02-29"),
            ("note", "Met at the fair"),
        ]
    )


@pytest.mark.parametrize("prefix", ["/mail", "/m"])
def test_a_contact_is_made_found_edited_and_deleted(alice: FlaskClient, seeded: Seeded, prefix: str) -> None:
    token = csrf_token(alice.get(f"{prefix}/contacts/new"))
    made = alice.post(f"{prefix}/contacts/new", data=juergen(token), follow_redirects=True)
    assert made.status_code == 200 and "The contact was saved." in made.get_data(as_text=True)
    (card,) = cards(seeded)
    assert card.fn.value == "Jürgen Müller" and card.n.value.family == "Müller"
    assert [e.value for e in card.contents["email"]] == ["jm@far.test", "juergen@home.test"]
    assert card.tel.value == "+49 30 1234567" and card.adr.value.city == "Berlin"
    assert card.bday.value == "1980-02-29" and card.note.value == "Met at the fair"

    found = alice.get(f"{prefix}/contacts?q=muller").get_data(as_text=True)  # accents folded
    assert "Jürgen Müller" in found and "jm@far.test" in found
    assert "Jürgen Müller" not in alice.get(f"{prefix}/contacts?q=nobody").get_data(as_text=True)

    link = card_link(found)
    page = alice.get(link).get_data(as_text=True)
    assert 'value="juergen@home.test"' in page and "Met at the fair" in page
    edit = juergen(token)
    edit.setlist("tel", ["+49 30 7654321", "+49 170 111"])
    edit.setlist("tel_type", ["work", "cell"])
    assert alice.post(link, data=edit).status_code == 302
    (card,) = cards(seeded)
    assert [t.value for t in card.contents["tel"]] == ["+49 30 7654321", "+49 170 111"]
    assert card.uid.value  # the UID stays over an edit

    gone = alice.post(f"{link}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "The contact was deleted." in gone.get_data(as_text=True) and cards(seeded) == []


def test_bad_contact_input_comes_back_with_the_form(alice: FlaskClient, seeded: Seeded) -> None:
    token = csrf_token(alice.get("/mail/contacts/new"))
    empty = alice.post("/mail/contacts/new", data={"csrf_token": token})
    assert empty.status_code == 400
    assert "Give at least a name, an organisation or an e-mail address." in empty.get_data(as_text=True)
    bad = alice.post(
        "/mail/contacts/new",
        data={"csrf_token": token, "given": "X", "email": "not an address", "birthday": "29.02.1980"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Not an e-mail address: not an address" in text
    assert "Not a date: use YYYY-MM-DD." in text and 'value="X"' in text
    assert cards(seeded) == []


def test_a_group_keeps_its_members_in_both_spellings(alice: FlaskClient, seeded: Seeded) -> None:
    page = alice.get("/mail/contacts/new?group=1")
    assert 'name="members"' in page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "kind": "group",
        "name": "Project Team",
        "members": "bob@example.test\nCarol <carol@example.test>\nnot-an-address",
    }
    refused = alice.post("/mail/contacts/new", data=data)
    assert refused.status_code == 400 and "Not an e-mail address: not-an-address" in refused.get_data(
        as_text=True
    )
    data["members"] = "bob@example.test\nCarol <carol@example.test>"
    assert alice.post("/mail/contacts/new", data=data).status_code == 302
    (card,) = cards(seeded)
    assert card.kind.value == "group" and card.contents["x-addressbookserver-kind"][0].value == "group"
    assert [m.value for m in card.contents["member"]] == [
        "mailto:bob@example.test",
        "mailto:carol@example.test",
    ]
    assert len(card.contents["x-addressbookserver-member"]) == 2
    listing = alice.get("/mail/contacts").get_data(as_text=True)
    assert "Project Team" in listing and "Group of 2" in listing


def test_public_contacts_are_read_only_and_the_directory_lists_colleagues(
    alice: FlaskClient, seeded: Seeded
) -> None:
    store = seeded.store
    store.folders.create(f"@{DOMAIN}", "Suppliers", kind="contacts")
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:s1\r\nFN:Paper Supplies Ltd\r\nN:;;;;\r\n"
    store.mail.append(f"@{DOMAIN}", "Suppliers", card + b"EMAIL:orders@paper.test\r\nEND:VCARD\r\n")
    store.acl.grant(f"@{DOMAIN}", "Suppliers", f"@{DOMAIN}", "lr")
    listing = alice.get("/mail/contacts").get_data(as_text=True)
    assert "Paper Supplies Ltd" in listing and "Public: Suppliers" in listing
    page = alice.get(card_link(listing)).get_data(as_text=True)
    assert 'id="contact-read-only"' in page and 'id="contact-save"' not in page

    directory = alice.get("/mail/contacts/directory").get_data(as_text=True)
    assert "bob@example.test" in directory and "carol@example.test" in directory
    only_bob = alice.get("/mail/contacts/directory?q=bob").get_data(as_text=True)
    assert "bob@example.test" in only_bob and "carol@example.test" not in only_bob


def test_bob_cannot_read_or_change_alices_contacts(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    token = csrf_token(client.get("/mail/contacts/new"))
    client.post("/mail/contacts/new", data=juergen(token))
    link = card_link(client.get("/mail/contacts").get_data(as_text=True))
    auth.logout()

    auth.login("bob@example.test", "pass-bob")
    token = csrf_token(client.get("/mail/contacts"))
    assert "Jürgen" not in client.get("/mail/contacts?q=jur").get_data(as_text=True)
    assert client.get(link).status_code == 404
    assert client.post(link, data=juergen(token)).status_code == 404
    assert client.post(f"{link}/delete", data={"csrf_token": token}).status_code == 404
    assert len(cards(seeded)) == 1
