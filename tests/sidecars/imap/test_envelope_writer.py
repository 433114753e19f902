"""FETCH ENVELOPE's fast path (response.envelope over mime.envelope_from_json) must write exactly what the
general writer (response.value over the whole cached parse) writes, for the awkward cases too: groups,
quoting, 8-bit text in both UTF-8 modes, empty and missing fields, a subject too long to quote."""

from __future__ import annotations

import pytest

from sidecars.imap import response as R
from storage import mime

MESSAGES = [
    b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: hello\r\n"
    b"Date: Mon, 6 Jan 2025 10:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n\r\nbody\r\n",
    b'From: undisclosed-recipients:;\r\nTo: Friends: a@b.example, "Q\\"x" <x@y.example>;, c@d.example\r\n'
    b"Cc: \r\nReply-To: r@e.example\r\nIn-Reply-To: <0@example.test>\r\n\r\nx\r\n",
    b'Subject: =?utf-8?q?h=C3=A9llo?= "quoted" back\\slash\r\nFrom: J\xc3\xb6rg <j@x.example>\r\n\r\nx\r\n',
    b"Subject: " + b"long " * 250 + b"\r\n\r\nx\r\n",
    b"\r\nno header at all\r\n",
]


@pytest.mark.parametrize("raw", MESSAGES)
@pytest.mark.parametrize("utf8", [False, True])
def test_envelope_fast_path_writes_what_the_general_writer_writes(raw: bytes, utf8: bool) -> None:
    cached = mime.to_json(mime.parse_message(raw))
    general = R.value(mime.envelope_structure(mime.from_json(cached)[0]), utf8=utf8)
    fast = R.envelope(mime.envelope_structure(mime.envelope_from_json(cached)), utf8=utf8)
    assert fast == general
    assert fast.startswith(b"(") and fast.endswith(b")")


def test_envelope_from_json_refuses_an_unknown_layout() -> None:
    with pytest.raises(ValueError):
        mime.envelope_from_json("[99, [], []]")
