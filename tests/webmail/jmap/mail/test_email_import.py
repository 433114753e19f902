"""Email/import and Email/parse (RFC 8621 4.8, 4.9) from the blobs of stored messages and their parts."""

from __future__ import annotations

from tests.webmail.conftest import Seeded
from tests.webmail.jmap.mail.conftest import Jmap

ALICE = "alice@example.test"

FORWARDED = (
    b"From: Carol <carol@example.test>\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: Fwd: minutes\r\n"
    b"Date: Wed, 08 Jan 2025 09:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n'
    b"\r\n"
    b"--b\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"See below.\r\n"
    b"--b\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: Dan <dan@outside.test>\r\n"
    b"Subject: minutes\r\n"
    b"Message-ID: <min@outside.test>\r\n"
    b"Date: Tue, 07 Jan 2025 18:00:00 +0100\r\n"
    b"\r\n"
    b"We agreed on Tuesday.\r\n"
    b"--b--\r\n"
)


def test_parse_an_attached_message_and_import_it(jmap: Jmap, seeded: Seeded) -> None:
    fid, uid = seeded.store.mail.deliver(FORWARDED, [ALICE]).delivered[ALICE]
    attached = f"b{fid}_{uid}_2"
    out = jmap(
        "Email/parse", {"blobIds": [attached, "b1_999", f"b{fid}_{uid}_7"], "fetchTextBodyValues": True}
    )
    email = out["parsed"][attached]
    assert email["subject"] == "minutes" and email["from"] == [{"name": "Dan", "email": "dan@outside.test"}]
    assert email["messageId"] == ["min@outside.test"] and email["sentAt"] == "2025-01-07T18:00:00+01:00"
    text = email["textBody"][0]
    assert text["blobId"] is None
    assert email["bodyValues"][text["partId"]]["value"].startswith("We agreed on Tuesday.")
    assert set(out["notFound"]) == {"b1_999", f"b{fid}_{uid}_7"}
    archive = seeded.store.folders.get(ALICE, "Archive").id
    made = jmap("Email/import", {"emails": {
        "i1": {"blobId": attached, "mailboxIds": {f"m{archive}": True}, "keywords": {"$seen": True},
               "receivedAt": "2025-01-07T17:30:00Z"},
        "i2": {"blobId": "b1_999", "mailboxIds": {f"m{archive}": True}},
        "i3": {"blobId": attached, "mailboxIds": {f"m{archive}": True, f"m{fid}": True}},
    }})  # fmt: skip
    created = made["created"]["i1"]
    assert created["id"] == f"e{archive}_1" and made["notCreated"]["i2"]["type"] == "blobNotFound"
    assert made["notCreated"]["i3"]["type"] == "invalidProperties"
    got = jmap("Email/get", {"ids": [created["id"]], "properties": ["subject", "keywords", "receivedAt"]})
    assert got["list"][0] == {"id": created["id"], "subject": "minutes", "keywords": {"$seen": True},
                              "receivedAt": "2025-01-07T17:30:00Z"}  # fmt: skip


def test_import_an_upload_and_attach_one_to_a_draft(jmap: Jmap, seeded: Seeded) -> None:
    uploads = seeded.store.for_user(seeded.alice.id).uploads
    message = uploads.put(FORWARDED, "message/rfc822", max_bytes=10_000_000)
    picture = uploads.put(b"\x89PNG\r\n\x1a\nfake", "image/png", max_bytes=10_000_000)
    archive = seeded.store.folders.get(ALICE, "Archive").id
    made = jmap(
        "Email/import",
        {"emails": {"i": {"blobId": f"u{message.sha256}", "mailboxIds": {f"m{archive}": True}}}},
    )
    assert made["created"]["i"]["size"] == len(FORWARDED)
    draft = jmap("Email/set", {"create": {"d": {
        "mailboxIds": {f"m{archive}": True}, "subject": "with a picture",
        "attachments": [{"blobId": f"u{picture.sha256}", "name": "p.png"}],
    }}})["created"]["d"]  # fmt: skip
    got = jmap("Email/get", {"ids": [draft["id"]], "properties": ["attachments"]})["list"][0]
    assert [(a["type"], a["name"]) for a in got["attachments"]] == [("image/png", "p.png")]
    bob = jmap("Email/import", {"emails": {"i": {"blobId": f"u{message.sha256}",
                                                 "mailboxIds": {f"m{archive}": True}}}}, who="bob")  # fmt: skip
    assert bob["notCreated"]["i"]["type"] in ("blobNotFound", "invalidProperties")
