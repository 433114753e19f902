"""A desktop client's day through imapclient, in the order Thunderbird does it (issue 5 "done when"):
login, namespace, list with special-use, select INBOX, fetch headers, read, flag, move to Trash, expunge,
append to Sent, and IDLE until new mail is delivered by another process."""

from __future__ import annotations

import time

from tests.sidecars.imap.conftest import MULLER, MULTIPART, ImapService, plain

HEADER_FIELDS = (
    b"BODY.PEEK[HEADER.FIELDS (FROM TO CC BCC SUBJECT DATE MESSAGE-ID PRIORITY X-PRIORITY REFERENCES "
    b"NEWSGROUPS IN-REPLY-TO CONTENT-TYPE REPLY-TO)]"
)


def test_thunderbird_style_session(imap_service: ImapService, fresh_account: str) -> None:
    for raw in (plain("hello from the flow"), MULTIPART, MULLER):
        imap_service.deliver(raw, fresh_account)
    with imap_service.imapclient(fresh_account) as c:
        assert c.has_capability("IDLE") and c.has_capability("MOVE")
        c.id_({"name": "conformance-suite"})
        ns = c.namespace()
        assert ns.personal[0][1] == "/"
        trash = c.find_special_folder(b"\\Trash")
        sent = c.find_special_folder(b"\\Sent")
        assert trash == "Trash" and sent == "Sent"

        info = c.select_folder("INBOX")
        assert info[b"EXISTS"] == 3 and info[b"UIDVALIDITY"] > 0
        uids = c.search("ALL")
        assert len(uids) == 3
        headers = c.fetch(uids, [b"UID", b"RFC822.SIZE", b"FLAGS", HEADER_FIELDS])
        subjects = [headers[u][b"BODY[HEADER.FIELDS (FROM TO CC BCC SUBJECT DATE MESSAGE-ID PRIORITY "
                               b"X-PRIORITY REFERENCES NEWSGROUPS IN-REPLY-TO CONTENT-TYPE REPLY-TO)]"]
                    for u in uids]  # fmt: skip
        assert b"Subject: Report attached\r\n" in subjects[1]
        assert all(b"\\Seen" not in headers[u][b"FLAGS"] for u in uids)

        body = c.fetch([uids[1]], [b"BODY[]"])[uids[1]][b"BODY[]"]  # reading marks it seen
        assert body == MULTIPART
        assert b"\\Seen" in c.get_flags([uids[1]])[uids[1]]
        c.add_flags([uids[0]], [b"\\Flagged"])
        assert c.search(["FLAGGED"]) == [uids[0]]

        c.move([uids[2]], trash)
        assert c.search("ALL") == uids[:2]
        c.delete_messages([uids[0]])
        c.expunge()
        assert c.search("ALL") == [uids[1]]
        assert c.folder_status(trash, [b"MESSAGES"])[b"MESSAGES"] == 1

        result = c.append(sent, plain("my reply"), flags=[b"\\Seen"])
        assert b"APPENDUID" in result  # UIDPLUS (RFC 4315 3)
        assert c.folder_status(sent, [b"MESSAGES"])[b"MESSAGES"] == 1

        c.idle()
        imap_service.deliver(plain("new while idling"), fresh_account)
        seen: list[tuple[object, ...]] = []
        deadline = time.monotonic() + 5
        while not any(r[1:2] == (b"EXISTS",) for r in seen) and time.monotonic() < deadline:
            seen += c.idle_check(timeout=1)
        c.idle_done()
        assert (2, b"EXISTS") in seen, seen
        assert len(c.search("UNSEEN")) == 1
