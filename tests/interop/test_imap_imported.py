"""What a mailbox filled by ``fieldpost import mbox`` looks like to an IMAP client: each message byte for
byte as it was before it went into the mbox, with CRLF line ends (an mbox stores LF; RFC 5322 section
2.3 and RFC 3501 section 6.4.5 give a message's lines as CRLF), and RFC822.SIZE equal to the length of
what BODY[] returns (RFC 3501 section 7.4.2).

Against Dovecot (``FIELDPOST_INTEROP_IMAP=dovecot``) the mailbox is Maildir files of the same messages.
"""

from __future__ import annotations

import re

import pytest

from tests.interop.imap_clients import (
    Target,
    imap_target,  # noqa: F401  (fixture)
    message_id,
)

pytestmark = pytest.mark.slow


def test_imported_messages_read_back_with_crlf_and_their_size(imap_target: Target) -> None:  # noqa: F811
    messages = imap_target.extra["messages"]
    assert isinstance(messages, list)
    originals = {message_id(raw): raw for raw in messages}
    client = imap_target.connect()
    try:
        client.select("INBOX", readonly=True)
        typ, data = client.fetch("1:*", "(RFC822.SIZE BODY.PEEK[])")
        assert typ == "OK", data
    finally:
        client.logout()
    checked = 0
    for item in data:
        if not isinstance(item, tuple):
            continue
        raw = item[1]
        size = re.search(rb"RFC822\.SIZE (\d+)", item[0])
        assert size is not None, item[0]
        assert int(size.group(1)) == len(raw), item[0]
        assert b"\n" not in raw.replace(b"\r\n", b""), f"bare LF in {message_id(raw)}: {raw[:200]!r}"
        if message_id(raw) in originals:
            assert raw == originals[message_id(raw)]
            checked += 1
    assert checked == len(messages)
