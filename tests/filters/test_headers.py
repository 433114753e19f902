"""The Return-Path field stamped at receipt and removed when relaying."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from filters.headers import SCANNER_FIELDS, with_return_path, without_fields, without_return_path

RAW = b"Received: from x\r\n by y\r\nSubject: hi\r\n\r\nReturn-Path: <in-the-body@x.test>\r\n"


def test_stamp_replaces_earlier_fields_with_their_continuations() -> None:
    raw = b"Return-Path: <old@x.test>\r\n\t(comment)\r\n" + RAW
    out = with_return_path(raw, "new@y.test")
    assert out == b"Return-Path: <new@y.test>\r\n" + RAW  # the body's look-alike line is untouched


def test_null_sender_and_removal() -> None:
    out = with_return_path(RAW, "")
    assert out.startswith(b"Return-Path: <>\r\n")
    assert without_return_path(out) == RAW
    assert without_return_path(RAW) is RAW


def test_message_without_body_separator() -> None:
    assert (
        with_return_path(b"Subject: only headers", "a@b.test")
        == b"Return-Path: <a@b.test>\r\nSubject: only headers"
    )


@given(st.binary(max_size=300), st.sampled_from(["", "a@b.test", "x+y@z.test"]))
def test_stamping_is_idempotent(raw: bytes, sender: str) -> None:
    # a message whose first line is a continuation (leading blank) has no field to continue; receiving
    # repairs such headers before stamping, so they are outside the promise
    raw = raw.lstrip(b" \t")
    once = with_return_path(raw, sender)
    assert with_return_path(once, sender) == once


def test_scanner_fields_from_outside_are_removed() -> None:
    raw = b"X-Fieldpost-Spam-Level: 1\r\nSubject: buy\r\nx-fieldpost-virus-level: 1\r\n\t(folded)\r\n\r\nbody\r\n"
    assert without_fields(raw, SCANNER_FIELDS) == b"Subject: buy\r\n\r\nbody\r\n"
    assert (
        without_fields(b"Subject: fine\r\n\r\nX-Fieldpost-Spam-Level: 1\r\n", SCANNER_FIELDS).count(b"Spam")
        == 1
    )
