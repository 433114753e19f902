"""Email/get (RFC 8621 4.2): metadata, header forms, body structure and values, as alice reads them."""

from __future__ import annotations

from tests.webmail.conftest import Seeded
from tests.webmail.jmap.mail.conftest import Jmap

ALICE = "alice@example.test"

MULTIPART = (
    b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@outside.test>\r\n"
    b"Sender: Secretary <sec@outside.test>\r\n"
    b"To: Alice <alice@example.test>, team: bob@example.test, carol@example.test;\r\n"
    b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= and\r\n more\r\n"
    b"Date: Tue, 07 Jan 2025 10:00:00 +0100\r\n"
    b"Message-ID: <m1@outside.test>\r\n"
    b"References: <r0@outside.test> <r1@outside.test>\r\n"
    b"List-Unsubscribe: <mailto:leave@list.test>, <https://list.test/leave>\r\n"
    b"X-Custom: one\r\n"
    b"X-Custom: two\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n'
    b"\r\n"
    b"--inner\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hallo Gr=C3=BC=C3=9Fe, long plain text here.\r\n"
    b"--inner\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>Hallo <b>HTML</b></p>\r\n"
    b"--inner--\r\n"
    b"--outer\r\n"
    b'Content-Type: application/pdf; name="report.pdf"\r\n'
    b'Content-Disposition: attachment; filename="report.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"Content-ID: <pdf1@outside.test>\r\n"
    b"\r\n"
    b"JVBERi0xLjQKJcfs\r\n"
    b"--outer--\r\n"
)


def deliver(seeded: Seeded, raw: bytes) -> str:
    folder, uid = seeded.store.mail.deliver(raw, [ALICE]).delivered[ALICE]
    return f"e{folder}_{uid}"


def test_list_properties_from_the_cache(jmap: Jmap, seeded: Seeded) -> None:
    eid = deliver(seeded, MULTIPART)
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    props = ["threadId", "mailboxIds", "keywords", "from", "to", "subject", "sentAt", "receivedAt", "preview",
             "hasAttachment", "size", "messageId", "inReplyTo", "blobId"]  # fmt: skip
    out = jmap("Email/get", {"ids": [eid, "e1_999", "m1"], "properties": props})
    assert out["notFound"] == ["e1_999", "m1"]
    email = out["list"][0]
    assert email["id"] == eid and email["mailboxIds"] == {f"m{inbox}": True}
    assert email["keywords"] == {} and email["hasAttachment"] is True
    assert email["from"] == [{"name": "Jürgen", "email": "jurgen@outside.test"}]
    assert [a["email"] for a in email["to"]] == [
        "alice@example.test",
        "bob@example.test",
        "carol@example.test",
    ]
    assert email["subject"] == "Grüße and more"
    assert email["sentAt"] == "2025-01-07T10:00:00+01:00"
    assert email["receivedAt"].endswith("Z") and email["messageId"] == ["m1@outside.test"]
    assert email["inReplyTo"] is None and email["threadId"].startswith("t")
    assert "Hallo" in email["preview"] and email["size"] == len(MULTIPART)
    assert email["blobId"] == eid.replace("e", "b", 1)


def test_header_forms(jmap: Jmap, seeded: Seeded) -> None:
    eid = deliver(seeded, MULTIPART)
    props = ["header:Subject", "header:Subject:asText", "header:x-custom:all", "header:To:asGroupedAddresses",
             "header:List-Unsubscribe:asURLs", "header:Date:asDate", "references", "sender", "replyTo",
             "header:X-Missing", "header:X-Missing:all", "subject", "from"]  # fmt: skip
    email = jmap("Email/get", {"ids": [eid], "properties": props})["list"][0]
    assert email["header:Subject"] == " =?utf-8?q?Gr=C3=BC=C3=9Fe?= and\r\n more"
    assert email["header:Subject:asText"] == email["subject"] == "Grüße and more"
    assert email["header:x-custom:all"] == [" one", " two"]
    groups = email["header:To:asGroupedAddresses"]
    assert groups[0] == {"name": None, "addresses": [{"name": "Alice", "email": "alice@example.test"}]}
    assert groups[1]["name"] == "team" and len(groups[1]["addresses"]) == 2
    assert email["header:List-Unsubscribe:asURLs"] == ["mailto:leave@list.test", "https://list.test/leave"]
    assert email["header:Date:asDate"] == "2025-01-07T10:00:00+01:00"
    assert email["references"] == ["r0@outside.test", "r1@outside.test"]
    assert email["sender"] == [{"name": "Secretary", "email": "sec@outside.test"}]
    assert email["replyTo"] is None  # absent: not From, as IMAP's envelope would say
    assert email["header:X-Missing"] is None and email["header:X-Missing:all"] == []
    assert email["from"] == [{"name": "Jürgen", "email": "jurgen@outside.test"}]
    for bad in ("header:From:asDate", "header:Subject:asAddresses", "header:X:asColour", "colour"):
        assert jmap.error("Email/get", {"ids": [eid], "properties": [bad]}) == "invalidArguments"


def test_body_structure_lists_and_values(jmap: Jmap, seeded: Seeded) -> None:
    eid = deliver(seeded, MULTIPART)
    out = jmap(
        "Email/get",
        {
            "ids": [eid],
            "properties": ["bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues"],
            "fetchTextBodyValues": True,
            "fetchHTMLBodyValues": True,
            "maxBodyValueBytes": 12,
        },
    )
    email = out["list"][0]
    root = email["bodyStructure"]
    assert root["type"] == "multipart/mixed" and root["partId"] is None
    alt, pdf = root["subParts"]
    assert [p["type"] for p in alt["subParts"]] == ["text/plain", "text/html"]
    assert (
        pdf["name"] == "report.pdf"
        and pdf["disposition"] == "attachment"
        and pdf["cid"] == "pdf1@outside.test"
    )
    assert pdf["blobId"] == eid.replace("e", "b", 1) + "_2" and pdf["size"] == 12
    assert [p["partId"] for p in email["textBody"]] == ["1.1"]
    assert [p["partId"] for p in email["htmlBody"]] == ["1.2"]
    assert [p["partId"] for p in email["attachments"]] == ["2"]
    values = email["bodyValues"]
    assert values["1.1"] == {"value": "Hallo Grüß", "isEncodingProblem": False, "isTruncated": True}
    assert values["1.2"]["value"] == "<p>Hallo <b>"
    full = jmap("Email/get", {"ids": [eid], "properties": ["bodyValues"], "fetchAllBodyValues": True,
                              "bodyProperties": ["partId", "headers"]})["list"][0]  # fmt: skip
    assert full["bodyValues"]["1.1"]["value"] == "Hallo Grüße, long plain text here."
    parts = jmap("Email/get", {"ids": [eid], "properties": ["attachments"],
                               "bodyProperties": ["partId", "headers", "header:Content-ID:asText"]})  # fmt: skip
    pdf_part = parts["list"][0]["attachments"][0]
    assert pdf_part["header:Content-ID:asText"] == "<pdf1@outside.test>"
    assert {"name": "Content-Transfer-Encoding", "value": " base64"} in pdf_part["headers"]


def test_plain_message_and_keywords(jmap: Jmap, seeded: Seeded) -> None:
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    alice = seeded.store.for_user(seeded.alice.id)
    alice.set_flags(inbox, [1], ["\\Seen", "\\Flagged", "$Forwarded", "\\Deleted"])
    email = jmap("Email/get", {"ids": [f"e{inbox}_1"]})["list"][0]
    assert email["keywords"] == {"$seen": True, "$flagged": True, "$forwarded": True}
    assert [p["partId"] for p in email["textBody"]] == ["1"] and email["htmlBody"][0]["partId"] == "1"
    assert email["attachments"] == [] and email["bodyValues"] == {}
    assert email["subject"] == "Welcome to WebMail"


def test_a_folder_not_shared_is_not_found(jmap: Jmap, seeded: Seeded) -> None:
    folder, uid = seeded.store.mail.deliver(MULTIPART, ["bob@example.test"]).delivered["bob@example.test"]
    out = jmap("Email/get", {"ids": [f"e{folder}_{uid}"], "properties": ["subject"]})
    assert out["list"] == [] and out["notFound"] == [f"e{folder}_{uid}"]
    assert jmap.error("Email/get", {"ids": None}) == "requestTooLarge"


def test_row_properties_alone_answer_as_in_a_full_get(jmap: Jmap, seeded: Seeded) -> None:
    """A get of only the message row's properties (a resync's keywords) skips the body, same values."""
    ids = jmap("Email/query", {})["ids"]
    user = seeded.store.for_user(seeded.alice.id)
    fid, uid = (int(x) for x in ids[0][1:].split("_"))
    user.set_flags(fid, [uid], ["\\Flagged", "custom"])
    row = ["keywords", "threadId", "mailboxIds", "size", "receivedAt", "blobId"]
    light = jmap("Email/get", {"ids": ids, "properties": row})["list"]
    full = jmap("Email/get", {"ids": ids, "properties": [*row, "subject", "preview"]})["list"]
    assert light == [{k: e[k] for k in ["id", *row]} for e in full]
    assert light[0]["keywords"] == {"$flagged": True, "custom": True}
