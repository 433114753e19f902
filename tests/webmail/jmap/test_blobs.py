"""Upload (RFC 8620 6.1) and download (6.2): round trips, stored messages and parts, limits, and the
account boundary."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests.webmail.conftest import Seeded
from tests.webmail.jmap.conftest import HTTPS, Jmap
from webmail.jmap import ids, limits


def upload(jmap: Jmap, data: bytes, content_type: str, user: str = "alice") -> dict[str, object]:
    answer = jmap.post(
        data, user=user, content_type=content_type, path=f"/jmap/upload/{jmap.account_id(user)}/"
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body: dict[str, object] = answer.get_json()
    return body


def test_upload_then_download_gives_the_same_bytes_under_the_asked_name(jmap: Jmap) -> None:
    data = bytes(range(256)) * 1000
    made = upload(jmap, data, "application/pdf")
    assert made["accountId"] == jmap.account_id()
    assert made["type"] == "application/pdf"
    assert made["size"] == len(data)
    blob = str(made["blobId"])
    assert ids.parse_upload_blob_id(blob)
    again = upload(jmap, data, "application/pdf")
    assert again["blobId"] == blob  # same bytes, same blob
    got = jmap.get(f"/jmap/download/{jmap.account_id()}/{blob}/report.pdf?type=application/pdf")
    assert got.status_code == 200
    assert got.get_data() == data
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith('attachment; filename="report.pdf"')
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_a_dangerous_name_or_type_is_defused_on_download(jmap: Jmap) -> None:
    blob = upload(jmap, b"<script>alert(1)</script>", "text/html")["blobId"]
    got = jmap.get(
        f"/jmap/download/{jmap.account_id()}/{blob}/..%2F..%2Fevil%E2%80%AEtxt.html?type=text/html"
    )
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "application/octet-stream"
    disposition = got.headers["Content-Disposition"]
    assert "/" not in disposition.split("filename=")[1].split(";")[0]
    assert "\u202e" not in disposition and "%E2%80%AE" not in disposition
    assert "sandbox" in got.headers["Content-Security-Policy"]


def test_another_account_cannot_use_or_name_an_upload(jmap: Jmap) -> None:
    blob = upload(jmap, b"alice's secret", "text/plain")["blobId"]
    as_bob = jmap.get(f"/jmap/download/{jmap.account_id('bob')}/{blob}/x.txt", user="bob")
    assert as_bob.status_code == 404
    bob_names_alice = jmap.get(f"/jmap/download/{jmap.account_id()}/{blob}/x.txt", user="bob")
    assert bob_names_alice.status_code == 404
    into_alice = jmap.post(
        b"x", user="bob", content_type="text/plain", path=f"/jmap/upload/{jmap.account_id()}/"
    )
    assert into_alice.status_code == 404


def test_download_of_a_stored_message_and_of_one_of_its_parts(jmap: Jmap, seeded: Seeded) -> None:
    message = EmailMessage()
    message["From"] = "carol@example.test"
    message["To"] = "alice@example.test"
    message["Subject"] = "Figures"
    message.set_content("See the attachment.\n")
    message.add_attachment(
        b"\x00\x01binary figures\xff", maintype="application", subtype="zip", filename="f.zip"
    )
    raw = message.as_bytes()
    seeded.store.mail.deliver(raw, ["alice@example.test"])
    inbox = seeded.store.for_user(seeded.alice.id).folder_with_role("inbox")
    uid = max(seeded.store.for_user(seeded.alice.id).reader(inbox.id).uids())
    whole = jmap.get(
        f"/jmap/download/{jmap.account_id()}/{ids.message_blob_id(inbox.id, uid)}/m.eml?type=message/rfc822"
    )
    assert whole.status_code == 200
    assert whole.get_data() == raw
    assert whole.headers["Content-Type"] == "message/rfc822"
    part = jmap.get(
        f"/jmap/download/{jmap.account_id()}/{ids.message_blob_id(inbox.id, uid, '2')}/f.zip?type=application/zip"
    )
    assert part.status_code == 200
    assert part.get_data() == b"\x00\x01binary figures\xff"
    missing = jmap.get(f"/jmap/download/{jmap.account_id()}/{ids.message_blob_id(inbox.id, uid, '9')}/x")
    assert missing.status_code == 404
    as_bob = jmap.get(
        f"/jmap/download/{jmap.account_id('bob')}/{ids.message_blob_id(inbox.id, uid)}/m.eml", user="bob"
    )
    assert as_bob.status_code == 404  # alice's folder is not bob's to read
    assert jmap.get(f"/jmap/download/{jmap.account_id()}/nonsense/x").status_code == 404


def test_an_upload_over_max_size_upload_is_413_naming_the_limit(
    jmap: Jmap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_SIZE_UPLOAD", 1000)
    answer = jmap.post(b"x" * 1001, content_type="text/plain", path=f"/jmap/upload/{jmap.account_id()}/")
    assert answer.status_code == 413
    assert answer.get_json()["limit"] == "maxSizeUpload"
    assert upload(jmap, b"x" * 1000, "text/plain")["size"] == 1000


def test_a_malformed_content_type_is_refused(jmap: Jmap) -> None:
    answer = jmap.post(b"x", content_type="not a type", path=f"/jmap/upload/{jmap.account_id()}/")
    assert answer.status_code == 400


def test_the_upload_url_of_the_session_works_as_a_template(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    url = session["uploadUrl"].replace("{accountId}", jmap.account_id()).removeprefix(HTTPS)
    answer = jmap.post(b"hello", content_type="text/plain", path=url)
    assert answer.status_code == 201
    blob = answer.get_json()["blobId"]
    download = (
        session["downloadUrl"]
        .replace("{accountId}", jmap.account_id())
        .replace("{blobId}", blob)
        .replace("{name}", "hello.txt")
        .replace("{type}", "text/plain")
        .removeprefix(HTTPS)
    )
    assert jmap.get(download).get_data() == b"hello"
