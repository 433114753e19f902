"""A contact group used as a recipient (webmail/recipient_groups.py): alice writes to "Project Team" from
the composer; the message is queued for every member and the processing worker delivers it to each
member's Inbox, as any message sent from WebMail. The composer offers the group's name while typing. A group member given as another card (urn:uuid:, as
Apple's clients write) is resolved to that card's address. A name that is no group is refused as before."""

from __future__ import annotations

import email
from email import policy

from flask.testing import FlaskClient

from sidecars.processing.worker import Worker
from tests.webmail.conftest import AuthActions, Seeded, csrf_token
from tests.webmail.test_compose import form_of, queued

CAROL_CARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:carol-card\r\nFN:Carol\r\nN:;Carol;;;\r\nEMAIL:carol@example.test\r\nEND:VCARD\r\n"


def inbox(seeded: Seeded, address: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(raw, policy=policy.default)
        for _u, raw, _d, _f in seeded.store.mail.iter_raw(address, "INBOX")
    ]


def test_a_group_name_in_to_reaches_every_member(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    (book,) = [c for c in organizer.collections("contacts") if not c.shared and not c.public]
    organizer.put(book.folder_id, None, CAROL_CARD)
    auth.login()
    token = csrf_token(client.get("/mail/contacts/new?group=1"))
    made = client.post(
        "/mail/contacts/new",
        data={
            "csrf_token": token,
            "kind": "group",
            "name": "Project Team",
            "members": "bob@example.test\nurn:uuid:carol-card",
        },
    )
    assert made.status_code == 302

    page = client.get("/mail/compose")
    assert '<option value="Project Team">' in page.get_data(as_text=True)  # offered while typing
    offered = client.get("/mail/compose/suggest?q=proj").get_json()
    assert {"value": "Project Team", "name": "", "address": "Project Team"} in offered
    sent = client.post(
        "/mail/compose",
        data=form_of(page, to="project team", subject="Kick-off", body_text="Monday 9:00", action="send"),
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    ((recipients, message),) = queued(seeded)
    assert recipients == ["bob@example.test", "carol@example.test"]
    assert Worker(seeded.store, hostname="mail.example.test").run_once() == 1
    for member in ("bob@example.test", "carol@example.test"):
        (got,) = [m for m in inbox(seeded, member) if m["Subject"] == "Kick-off"]
        assert "Monday 9:00" in got.get_body(("plain",)).get_content()

    unknown = client.post(
        "/mail/compose",
        data=form_of(
            client.get("/mail/compose"), to="Nobody Group", subject="x", body_text="x", action="send"
        ),
    )
    assert unknown.status_code == 400 and "not an e-mail address" in unknown.get_data(as_text=True)


def test_bob_cannot_use_alices_group(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    token = csrf_token(client.get("/mail/contacts/new?group=1"))
    client.post(
        "/mail/contacts/new",
        data={"csrf_token": token, "kind": "group", "name": "Board", "members": "carol@example.test"},
    )
    auth.logout()
    auth.login("bob@example.test", "pass-bob")
    page = client.get("/mail/compose")
    answer = client.post(
        "/mail/compose",
        data={
            **form_of(page, to="Board", subject="x", body_text="x", action="send"),
            "identity": "bob@example.test",
        },
    )
    assert answer.status_code == 400
    assert queued(seeded) == []
