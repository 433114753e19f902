"""The redirect copy's trace field and the hop count that ends redirect loops (sidecars/processing/redirects)."""

from __future__ import annotations

from datetime import UTC, datetime

from sidecars.processing.redirects import hops, redirected_copy

RAW = (
    b"Return-Path: <bob@example.test>\r\n"
    b"Received: from a (a [192.0.2.1])\r\n\tby mx.example.test; Wed, 25 Nov 2026 09:00:00 +0000\r\n"
    b"received : by b; Wed, 25 Nov 2026 08:59:00 +0000\r\n"
    b"Subject: Received: in a subject is not a hop\r\n"
    b"\r\n"
    b"Received: in the body is not a hop either\r\n"
)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def test_hops_count_received_fields_of_the_header_only() -> None:
    assert hops(RAW) == 2
    assert hops(b"Subject: none\r\n\r\nReceived: x\r\n") == 0
    assert hops(b"Received: x\r\n") == 1  # a header section without a body


def test_the_copy_carries_one_more_hop_below_its_return_path() -> None:
    copy = redirected_copy(RAW, "bob@example.test", "mx.example.test", 42, ["carol@example.test"], NOW)
    assert hops(copy) == 3
    lines = copy.split(b"\r\n")
    assert lines[0] == b"Return-Path: <bob@example.test>"
    assert lines[1] == b"Received: by mx.example.test (Fieldpost, Sieve redirect) id 42"
    assert lines[2] == b"\tfor <carol@example.test>; Wed, 25 Nov 2026 09:30:00 +0000"
    assert copy.count(b"Return-Path:") == 1
    assert copy.endswith(RAW[RAW.index(b"Received: from a") :])


def test_a_copy_for_several_addresses_names_none_of_them() -> None:
    copy = redirected_copy(RAW, "", "mx.example.test", 7, ["a@x.test", "b@x.test"], NOW)
    assert copy.startswith(
        b"Return-Path: <>\r\nReceived: by mx.example.test (Fieldpost, Sieve redirect) id 7;"
    )
    assert b"for <" not in copy.split(b"Received: from a")[0]
