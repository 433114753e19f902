"""Contacts in WebMail (webmail/contact_routes.py): "add sender to contacts" from the reader, then the
composer's autocomplete offers the sender and the address book lists it (a card like any other, so it
opens and deletes there); bob cannot add from alice's message nor delete her cards."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token

ALICE = "alice@example.test"


def _from_juergen(seeded: Seeded) -> tuple[int, int]:
    raw = (
        b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@far.test>\r\nTo: alice@example.test\r\n"
        b"Subject: Hello from afar\r\nDate: 06 Jan 2025 10:00:00 +0000\r\nMessage-ID: <jm1@far.test>\r\n\r\nhi\r\n"
    )
    seeded.store.mail.deliver(raw, [ALICE])
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    return inbox, max(m.uid for m in seeded.store.for_user(seeded.alice.id).open(inbox).messages)


def test_add_sender_then_autocomplete_offers_it(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    inbox, uid = _from_juergen(seeded)
    auth.login()
    for prefix in ("/mail", "/m"):
        page = client.get(f"{prefix}/folder/{inbox}/{uid}")
        assert "add-sender" in page.get_data(as_text=True)
        added = client.post(
            f"{prefix}/folder/{inbox}/{uid}/add-sender",
            data={"csrf_token": csrf_token(page)},
            follow_redirects=True,
        )
        assert "jm@far.test is in your contacts." in added.get_data(as_text=True)
    suggested = client.get("/mail/compose/suggest?q=m%C3%BCll").get_json()
    assert any("jm@far.test" in str(item) and "Jürgen Müller" in str(item) for item in suggested)
    listing = client.get("/m/contacts").get_data(as_text=True)
    assert listing.count("jm@far.test") == 1  # added from both interfaces, kept once
    assert "Jürgen Müller" in client.get("/mail/contacts").get_data(as_text=True)

    card = seeded.store.for_user(seeded.alice.id).contacts.entries()[0]
    link = re.search(
        r'href="(/mail/contacts/\d+/[^"]+)"', client.get("/mail/contacts").get_data(as_text=True)
    )
    assert link
    auth.logout()
    auth.login("bob@example.test", "pass-bob")
    token = csrf_token(client.get("/mail/contacts"))
    assert (
        client.post(f"/mail/folder/{inbox}/{uid}/add-sender", data={"csrf_token": token}).status_code == 404
    )
    assert client.post(f"{link[1]}/delete", data={"csrf_token": token}).status_code == 404
    assert seeded.store.for_user(seeded.alice.id).contacts.entries() == [card]  # hers are untouched
    auth.logout()

    auth.login()
    page = client.get("/mail/contacts")
    gone = client.post(
        f"{link[1]}/delete", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "contacts-none" in gone and "jm@far.test" not in gone
