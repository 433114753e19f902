"""The reader's pages through the Flask test client, signed in through the real login form: what a browser
gets for a message, its body frame, attachments, source, print view, the image and receipt buttons, the
Mobile page, and bob walking every reader route on alice's message ids."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token
from tests.webmail.reading.xss_corpus import corpus
from tests.webmail.test_mobile_xhtml import well_formed
from webmail.reading.policy import BLOCKED_IMAGE_STYLE

ALICE = "alice@example.test"
REMOTE = (
    b"From: News <news@shop.test>\r\nTo: alice@example.test\r\nSubject: offers\r\n"
    b"Disposition-Notification-To: news@shop.test\r\nMessage-ID: <offer-1@shop.test>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Deals</p><img src="https://shop.test/banner.png" alt="banner">\r\n'
)


def deliver(seeded: Seeded, raw: bytes) -> tuple[int, int]:
    """Deliver to alice; (INBOX id, the new UID)."""
    seeded.store.mail.deliver(raw, [ALICE])
    inbox = seeded.store.folders.get(ALICE, "INBOX")
    uids = seeded.store.for_user(seeded.alice.id).reader(inbox.id).uids()
    return inbox.id, uids[-1]


def by_name(name: str) -> bytes:
    return next(c.raw for c in corpus() if c.name == name)


def test_message_page_escapes_headers_frames_the_body_and_marks_seen(
    seeded: Seeded, client: FlaskClient, auth: AuthActions
) -> None:
    folder, uid = deliver(seeded, by_name("header_subject_markup").replace(b"text/plain", b"text/html"))
    auth.login()
    page = client.get(f"/mail/folder/{folder}/{uid}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>top.document" not in html
    assert "&lt;script&gt;top.document.title=&#39;PWNED&#39;;alert(1)&lt;/script&gt;" in html
    frame = re.search(r'<iframe class="message-body" sandbox="([^"]*)"[^>]*\s+src="([^"]+)"', html)
    assert frame is not None
    assert frame.group(1) == "allow-popups allow-popups-to-escape-sandbox"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    flags = seeded.store.for_user(seeded.alice.id).reader(folder).flags([uid])[0].flags
    assert "\\Seen" in flags
    reply = re.search(r'<a class="reply" href="([^"]+)"', html)
    assert reply is not None and client.get(reply.group(1)).status_code == 200

    body = client.get(frame.group(2))
    assert body.status_code == 200
    assert body.headers["Content-Security-Policy"].startswith("default-src 'none'; img-src data:;")
    assert "sandbox allow-popups" in body.headers["Content-Security-Policy"]
    assert "<script" not in body.get_data(as_text=True)


def test_attachments_download_safely_and_images_show_inline(
    seeded: Seeded, client: FlaskClient, auth: AuthActions
) -> None:
    folder, uid = deliver(seeded, by_name("attachment_names"))
    auth.login()
    html = client.get(f"/mail/folder/{folder}/{uid}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in html
    links = re.findall(rf'href="(/mail/folder/{folder}/{uid}/part/[^"]+)"', html)
    assert len(links) == 6
    png, passwd, bat, script_html, exe, svg = (client.get(link) for link in links)
    assert png.headers["Content-Type"] == "image/png"
    assert script_html.headers["Content-Type"] == "application/octet-stream"
    assert svg.headers["Content-Type"] == "application/octet-stream"
    for response in (png, passwd, bat, script_html, exe, svg):
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
    assert 'filename="passwd"' in passwd.headers["Content-Disposition"]
    assert passwd.get_data() == b"root:x:0:0\n"
    image = client.get(f"/mail/folder/{folder}/{uid}/image/2")
    assert image.status_code == 200 and image.headers["Content-Disposition"].startswith("inline;")
    assert client.get(f"/mail/folder/{folder}/{uid}/image/7").status_code == 404  # the SVG is never inline

    raw = client.get(f"/mail/folder/{folder}/{uid}/raw")
    assert raw.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.get_data() == seeded.store.for_user(seeded.alice.id).reader(folder).raw(uid)


def test_remote_images_wait_for_the_user(seeded: Seeded, client: FlaskClient, auth: AuthActions) -> None:
    folder, uid = deliver(seeded, REMOTE)
    auth.login()
    page = client.get(f"/mail/folder/{folder}/{uid}")
    html = page.get_data(as_text=True)
    assert "1 remote image was not loaded" in html
    assert f'src="/mail/folder/{folder}/{uid}/body/1"' in html
    held = client.get(f"/mail/folder/{folder}/{uid}/body/1").get_data(as_text=True)
    assert "shop.test/banner" not in held
    assert BLOCKED_IMAGE_STYLE in held  # the placeholder shows as a small square, not a 520 px hole

    shown = client.get(f"/mail/folder/{folder}/{uid}?images=1").get_data(as_text=True)
    assert f'src="/mail/folder/{folder}/{uid}/body/1?images=1"' in shown
    body = client.get(f"/mail/folder/{folder}/{uid}/body/1?images=1")
    assert 'src="https://shop.test/banner.png"' in body.get_data(as_text=True)
    assert "img-src data: http: https:" in body.headers["Content-Security-Policy"]

    trust = client.post(f"/mail/folder/{folder}/{uid}/trust-sender", data={"csrf_token": csrf_token(page)})
    assert trust.status_code == 302
    assert seeded.store.settings.get("webmail.trusted_image_senders", account=ALICE) == ["news@shop.test"]
    again = client.get(f"/mail/folder/{folder}/{uid}").get_data(as_text=True)
    assert "remote image was not loaded" not in again
    assert 'src="https://shop.test/banner.png"' in client.get(f"/mail/folder/{folder}/{uid}/body/1").get_data(
        as_text=True
    )


@pytest.mark.parametrize("action", ["send", "ignore"])
def test_read_receipt_is_asked_once(
    seeded: Seeded, client: FlaskClient, auth: AuthActions, action: str
) -> None:
    folder, uid = deliver(seeded, REMOTE)
    auth.login()
    page = client.get(f"/mail/folder/{folder}/{uid}")
    assert "The sender asks for a read receipt (to news@shop.test)." in page.get_data(as_text=True)
    answer = client.post(
        f"/mail/folder/{folder}/{uid}/receipt", data={"csrf_token": csrf_token(page), "action": action}
    )
    assert answer.status_code == 302
    queued = seeded.store.queue.list()
    if action == "send":
        [receipt] = queued
        assert receipt.sender == ""
        assert b"Disposition: manual-action/MDN-sent-manually; displayed" in seeded.store.queue.raw(
            receipt.id
        )
    else:
        assert queued == []
    flags = seeded.store.for_user(seeded.alice.id).reader(folder).flags([uid])[0].flags
    assert "$MDNSent" in flags
    assert "asks for a read receipt" not in client.get(f"/mail/folder/{folder}/{uid}").get_data(as_text=True)


def test_mobile_reader_puts_sanitised_html_in_the_page(
    seeded: Seeded, client: FlaskClient, auth: AuthActions
) -> None:
    folder, uid = deliver(seeded, by_name("html_img_onerror"))
    auth.login()
    page = client.get(f"/m/folder/{folder}/{uid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<iframe" not in html and "onerror=" not in html
    well_formed(html)  # Mobile pages are XHTML, the message's HTML included
    assert '<div class="message-text message-text-html"><p>case img_onerror</p><img />\n</div>' in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]


def test_print_view_shows_several_messages(seeded: Seeded, client: FlaskClient, auth: AuthActions) -> None:
    folder, first = deliver(seeded, by_name("header_from_markup"))
    _, second = deliver(seeded, by_name("html_svg_onload"))
    auth.login()
    page = client.get(f"/mail/folder/{folder}/print?uid={first}&uid={second}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('<article class="message"') == 2
    assert "<svg" not in html and "<iframe" not in html

    listing = client.get(f"/mail/folder/{folder}")  # "Print" on the checked messages of the list
    button = re.search(r'formaction="([^"]+)"[^>]*class="print-selected"', listing.get_data(as_text=True))
    assert button is not None and button.group(1) == f"/mail/folder/{folder}/print"
    checked = client.post(button.group(1), data={"csrf_token": csrf_token(listing), "uid": [first, second]})
    assert checked.status_code == 200
    assert checked.get_data(as_text=True).count('<article class="message"') == 2


def test_bob_gets_404_on_every_reader_route_of_alices_messages(
    seeded: Seeded, client: FlaskClient, auth: AuthActions
) -> None:
    folder, uid = deliver(seeded, by_name("attachment_names"))
    auth.login("bob@example.test", "pass-bob")
    token = csrf_token(client.get("/mail/", follow_redirects=True))
    for prefix in ("/mail", "/m"):
        base = f"{prefix}/folder/{folder}/{uid}"
        for path in (base, f"{base}/body/1", f"{base}/part/2", f"{base}/image/2", f"{base}/raw"):
            assert client.get(path).status_code == 404, path
        assert client.get(f"{prefix}/folder/{folder}/print?uid={uid}").status_code == 404
        for action in ("trust-sender", "receipt"):
            assert client.post(f"{base}/{action}", data={"csrf_token": token}).status_code == 404
    flags = seeded.store.for_user(seeded.alice.id).reader(folder).flags([uid])[0].flags
    assert "\\Seen" not in flags


def test_every_corpus_message_is_well_formed_xhtml_on_mobile(
    seeded: Seeded, client: FlaskClient, auth: AuthActions
) -> None:
    for case in corpus():
        folder, uid = deliver(seeded, case.raw)
    auth.login()
    for number in range(uid - len(corpus()) + 1, uid + 1):
        well_formed(client.get(f"/m/folder/{folder}/{number}").get_data(as_text=True))
    well_formed(client.get(f"/m/folder/{folder}/print?uid={uid}&uid={uid - 1}").get_data(as_text=True))
