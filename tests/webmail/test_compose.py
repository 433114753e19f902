"""The compose pages (Standard ``/mail/compose``, Mobile ``/m/compose``) through Flask's test client:
what a user without JavaScript gets (plain form posts), and the JSON the page's script uses. Sent mail is
checked where it ends up: the queue (what recipients get), the sender's Sent and Drafts folders."""

from __future__ import annotations

import email
import io
import re
from email import policy

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.storage.conftest import build_message
from tests.webmail.conftest import AuthActions, Seeded, csrf_token


def form_of(page: TestResponse, **fields: object) -> dict[str, object]:
    """The compose form's current fields (hidden ones included) with ``fields`` changed."""
    text = page.get_data(as_text=True)
    data: dict[str, object] = {"csrf_token": csrf_token(page)}
    for name in ("draft_uid", "message_id", "in_reply_to", "references", "format"):
        found = re.search(rf'name="{name}" value="([^"]*)"', text)
        data[name] = found.group(1) if found else ""
    for name in ("to", "cc", "bcc", "subject"):
        found = re.search(rf'name="{name}" value="([^"]*)"', text)
        data[name] = (
            found.group(1).replace("&#34;", '"').replace("&lt;", "<").replace("&gt;", ">") if found else ""
        )
    body = re.search(r'name="body_text"[^>]*>([^<]*)</textarea>', text)
    data["body_text"] = body.group(1) if body else ""
    data["identity"] = "alice@example.test"
    data.update(fields)
    return data


def queued(seeded: Seeded) -> list[tuple[list[str], email.message.EmailMessage]]:
    out = []
    for item in seeded.store.queue.list():
        raw = seeded.store.queue.raw(item.id)
        out.append(
            ([r.address for r in item.recipients], email.message_from_bytes(raw, policy=policy.default))
        )
    return out


def folder(seeded: Seeded, path: str, address: str = "alice@example.test") -> list[bytes]:
    return [raw for _u, raw, _d, _f in seeded.store.mail.iter_raw(address, path)]


@pytest.fixture
def alice(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    auth.login()
    return client


def test_every_page_links_to_compose(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    assert 'href="/mail/compose"' in client.get("/mail/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/m/compose"' in client.get("/m/").get_data(as_text=True)


def test_compose_page_offers_identities_suggestions_and_limits(alice: FlaskClient, seeded: Seeded) -> None:
    seeded.store.acl.grant("bob@example.test", "", "alice@example.test", "0")
    page = alice.get("/mail/compose")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option value="alice@example.test"' in text and '<option value="bob@example.test"' in text
    assert 'list="recipient-suggestions"' in text and '<option value="carol@example.test">' in text
    assert 'name="body_text"' in text and "compose.js" in text
    assert "Each file may be at most 25" in text


def test_send_with_an_attachment_queues_it_and_files_it_in_sent(alice: FlaskClient, seeded: Seeded) -> None:
    page = alice.get("/mail/compose")
    data = form_of(
        page,
        to="Bob <bob@example.test>",
        bcc="carol@example.test",
        subject="Figures",
        body_text="Here they are.",
        receipt="on",
        action="send",
        attachments=(io.BytesIO(b"q1,q2\n1,2\n"), "figures.csv", "text/csv"),
    )
    sent = alice.post("/mail/compose", data=data, content_type="multipart/form-data")
    assert sent.status_code == 302 and sent.headers["Location"] == "/mail/"
    assert "Your message was sent." in alice.get("/mail/", follow_redirects=True).get_data(as_text=True)
    ((recipients, message),) = queued(seeded)
    assert recipients == ["bob@example.test", "carol@example.test"]
    assert message["Subject"] == "Figures" and "Bcc" not in message
    assert message["Disposition-Notification-To"] == "alice@example.test"
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "figures.csv" and attachment.get_content() == "q1,q2\n1,2\n"
    (copy,) = folder(seeded, "Sent")
    assert b"Bcc: carol@example.test" in copy
    assert folder(seeded, "Drafts") == []  # the draft the upload made is gone once sent


def test_limits_and_bad_addresses_come_back_with_the_form_filled(alice: FlaskClient, seeded: Seeded) -> None:
    seeded.store.settings.set("mail.max_recipients", 1, account="alice@example.test")
    page = alice.get("/mail/compose")
    answer = alice.post(
        "/mail/compose",
        data=form_of(page, to="bob@example.test, carol@example.test", subject="Keep me", action="send"),
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "the message has 2 recipients; at most 1 are allowed" in text
    assert 'value="Keep me"' in text and "bob@example.test, carol@example.test" in text
    answer = alice.post("/mail/compose", data=form_of(page, to="bob", action="send"))
    assert answer.status_code == 400 and "not an e-mail address: bob" in answer.get_data(as_text=True)
    assert queued(seeded) == []


def test_drafts_upload_remove_and_autosave_json(alice: FlaskClient, seeded: Seeded) -> None:
    page = alice.get("/mail/compose")
    saved = alice.post("/mail/compose", data=form_of(page, subject="Later", to="bo", action="save"))
    assert saved.status_code == 200 and "Draft saved." in saved.get_data(as_text=True)
    assert len(folder(seeded, "Drafts")) == 1
    upload = form_of(saved, action="attach", attachments=(io.BytesIO(b"x" * 10), "a.txt", "text/plain"))
    attached = alice.post("/mail/compose", data=upload, content_type="multipart/form-data")
    assert ">a.txt</span>" in attached.get_data(as_text=True)
    (draft,) = folder(seeded, "Drafts")
    assert b'filename="a.txt"' in draft and b"X-Fieldpost-Draft-To: bo" in draft
    removed = alice.post("/mail/compose", data=form_of(attached, action="remove-0"))
    assert ">a.txt</span>" not in removed.get_data(as_text=True)
    (draft,) = folder(seeded, "Drafts")
    assert b"a.txt" not in draft
    auto = alice.post(
        "/mail/compose",
        data=form_of(removed, subject="Autosaved", action="save"),
        headers={"Accept": "application/json"},
    )
    answer = auto.get_json()
    assert answer["error"] == "" and answer["message_id"] in folder(seeded, "Drafts")[0].decode()
    reopened = alice.get(f"/mail/compose?draft={answer['draft_uid']}").get_data(as_text=True)
    assert 'value="Autosaved"' in reopened and 'value="bo"' in reopened


def test_an_upload_over_the_limit_is_refused_at_once(alice: FlaskClient, seeded: Seeded) -> None:
    seeded.store.settings.set("webmail.max_attachment_bytes", 1024, account="alice@example.test")
    page = alice.get("/mail/compose")
    upload = form_of(
        page, action="attach", attachments=(io.BytesIO(b"x" * 5000), "big.bin", "application/x-big")
    )
    answer = alice.post("/mail/compose", data=upload, content_type="multipart/form-data")
    assert answer.status_code == 400
    assert "the attachment big.bin is 4.9 KB; attachments may be at most 1 KB" in answer.get_data(
        as_text=True
    )
    assert folder(seeded, "Drafts") == []


def test_reply_reply_all_and_forwards_start_from_a_message(alice: FlaskClient, seeded: Seeded) -> None:
    raw = build_message(
        subject="Budget", sender="Bob <bob@example.test>", to="alice@example.test, carol@example.test"
    )
    seeded.store.mail.deliver(raw, ["alice@example.test"])
    inbox = seeded.store.folders.get("alice@example.test", "INBOX")
    uid = seeded.store.mail.uids(inbox.id)[-1]
    reply = alice.get(f"/mail/compose/reply/{inbox.id}/{uid}").get_data(as_text=True)
    assert (
        'value="Re: Budget"' in reply
        and "bob@example.test" in reply
        and "carol@" not in reply.split("<datalist")[0]
    )
    everyone = alice.get(f"/mail/compose/reply-all/{inbox.id}/{uid}").get_data(as_text=True)
    assert 'name="cc" value="carol@example.test"' in everyone
    start = f"/mail/compose/forward-attached/{inbox.id}/{uid}"
    asked = alice.get(start)  # a GET writes nothing: it asks for the POST that saves the draft
    assert asked.status_code == 200 and 'id="start-forward"' in asked.get_data(as_text=True)
    assert folder(seeded, "Drafts") == []
    assert alice.post(start).status_code == 400  # no CSRF token, no draft
    assert folder(seeded, "Drafts") == []
    forward = alice.post(start, data={"csrf_token": csrf_token(asked)})
    assert forward.status_code == 302 and "/mail/compose?draft=" in forward.headers["Location"]
    page = alice.get(forward.headers["Location"]).get_data(as_text=True)
    assert 'value="Fwd: Budget"' in page and ">Budget.eml</span>" in page
    sent = alice.post(
        "/mail/compose",
        data=form_of(alice.get(forward.headers["Location"]), to="dan@far.test", action="send"),
    )
    assert sent.status_code == 302
    ((_, message),) = queued(seeded)
    (part,) = message.iter_attachments()
    assert part.get_content_type() == "message/rfc822" and part.get_content()["Subject"] == "Budget"


def test_signature_of_the_identity_in_new_messages_and_replies(alice: FlaskClient, seeded: Seeded) -> None:
    seeded.store.settings.set("webmail.signatures", '{"*": "-- \\nAlice L."}', account="alice@example.test")
    assert "-- \nAlice L.</textarea>" in alice.get("/mail/compose").get_data(as_text=True)
    inbox = seeded.store.folders.get("alice@example.test", "INBOX")
    uid = seeded.store.mail.uids(inbox.id)[-1]
    reply = alice.get(f"/mail/compose/reply/{inbox.id}/{uid}").get_data(as_text=True)
    assert "-- \nAlice L.\n\nOn " in reply  # above the quoted original


def test_bob_cannot_start_a_reply_from_alices_message(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    inbox = seeded.store.folders.get("alice@example.test", "INBOX")
    uid = seeded.store.mail.uids(inbox.id)[-1]
    auth.login("bob@example.test", "pass-bob")
    assert client.get(f"/mail/compose/reply/{inbox.id}/{uid}").status_code == 404
    assert client.get(f"/m/compose/forward/{inbox.id}/{uid}").status_code == 404


def test_html_is_sanitised_before_it_is_sent(alice: FlaskClient, seeded: Seeded) -> None:
    page = alice.get("/mail/compose")
    switched = alice.post(
        "/mail/compose", data=form_of(page, body_text="Hello", action="format", format_to="html")
    )
    text = switched.get_data(as_text=True)
    assert 'name="body_html"' in text and "&lt;p&gt;Hello&lt;/p&gt;" in text
    html = '<p>Hi <b>Bob</b><img src=x onerror="alert(1)"><script>alert(2)</script><font color="#ff0000">red</font></p>'
    alice.post(
        "/mail/compose",
        data=form_of(switched, format="html", body_html=html, to="bob@example.test", action="send"),
    )
    ((_, message),) = queued(seeded)
    sent_html = message.get_body(("html",)).get_content()
    assert "<b>Bob</b>" in sent_html and '<font color="#ff0000">red</font>' in sent_html
    assert "onerror" not in sent_html and "script" not in sent_html and "<img" not in sent_html
    assert "Hi Bob" in message.get_body(("plain",)).get_content()


def test_a_draft_from_another_client_is_cleaned_before_the_editor_gets_it(
    alice: FlaskClient, seeded: Seeded
) -> None:
    raw = (
        b"From: alice@example.test\r\nSubject: imported\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>ok</p><img src=x onerror="alert(1)"><script>alert(2)</script>\r\n'
    )
    drafts = seeded.store.folders.get("alice@example.test", "Drafts")
    uid = seeded.store.for_user(seeded.alice.id).append(drafts.id, raw, ["\\Draft"]).uid
    text = alice.get(f"/mail/compose?draft={uid}").get_data(as_text=True)
    assert "&lt;p&gt;ok&lt;/p&gt;" in text
    assert "onerror" not in text and "alert(2)" not in text


def test_suggestions_json(alice: FlaskClient) -> None:
    found = alice.get("/mail/compose/suggest?q=car").get_json()
    assert found == [{"value": "carol@example.test", "name": "", "address": "carol@example.test"}]


def test_mobile_compose_sends(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login(interface="mobile")
    page = client.get("/m/compose")
    assert page.status_code == 200 and "compose.js" not in page.get_data(as_text=True)
    sent = client.post(
        "/m/compose", data=form_of(page, to="bob@example.test", subject="From my phone", action="send")
    )
    assert sent.status_code == 302 and sent.headers["Location"] == "/m/"
    ((recipients, message),) = queued(seeded)
    assert recipients == ["bob@example.test"] and message["Subject"] == "From my phone"
    assert len(folder(seeded, "Sent")) == 1


def test_send_on_behalf_of_a_mailbox_that_granted_it(alice: FlaskClient, seeded: Seeded) -> None:
    """Bob lets alice send on his behalf ("2" on his mailbox root): her From menu offers it; the message
    goes out From: bob, Sender: alice, envelope alice; a saved draft keeps the choice."""
    page = alice.get("/mail/compose")
    assert "behalf:bob@example.test" not in page.get_data(as_text=True)
    seeded.store.for_user(seeded.bob.id).sharing.set_delegate(
        "alice@example.test", send_as=False, send_on_behalf=True, free_busy=False
    )
    page = alice.get("/mail/compose")
    text = page.get_data(as_text=True)
    assert '<option value="behalf:bob@example.test"' in text and "on their behalf" in text
    saved = alice.post(
        "/mail/compose",
        data=form_of(page, identity="behalf:bob@example.test", subject="For Bob", action="save"),
    )
    assert 'value="behalf:bob@example.test" data-signature="" selected="selected"' in saved.get_data(
        as_text=True
    )
    sent = alice.post(
        "/mail/compose",
        data=form_of(saved, identity="behalf:bob@example.test", to="carol@example.test", action="send"),
    )
    assert sent.status_code == 302
    ((recipients, message),) = queued(seeded)
    assert message["From"] == "bob@example.test" and message["Sender"] == "alice@example.test"
    (item,) = seeded.store.queue.list()
    assert item.sender == "alice@example.test" and recipients == ["carol@example.test"]
    # once bob takes it back, the choice is gone and a stale form falls back to alice's own address
    seeded.store.for_user(seeded.bob.id).sharing.set_delegate(
        "alice@example.test", send_as=False, send_on_behalf=False, free_busy=False
    )
    page = alice.get("/mail/compose")
    assert "behalf:bob@example.test" not in page.get_data(as_text=True)
