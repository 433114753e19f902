"""``fieldpost queue ...`` in a subprocess, against a data directory made by ``fieldpost init``."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import open_store
from tests.fieldpost.conftest import run_cli

RAW = b"From: alice@example.test\r\nTo: x@dead.test\r\nSubject: stuck\r\n\r\nStuck in the queue.\r\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    run_cli(
        "init",
        "--data",
        str(data),
        "--hostname",
        "mail.example.test",
        "--admin-password",
        "adminpass1",
        check=True,
    )
    store = open_store(f"sqlite:///{data / 'db.sqlite3'}", data / "blobs")
    try:
        store.domains.add("example.test")
        store.accounts.add("alice@example.test", None)
        store.queue.enqueue(RAW, "alice@example.test", ["x@dead.test"])
        big = store.queue.enqueue(RAW + b"y" * 5000, "bob@other.test", ["z@far.test", "w@far.test"])
        store.queue.defer(big, store.queue.get(big).next_attempt_at, error="451 4.4.1 mx.far.test refused")
    finally:
        store.close()
    return data


def fp(data: Path, *args: str, check: bool = True):
    return run_cli("queue", *args, "--data", str(data), check=check)


def test_list_and_filters(data):
    out = fp(data, "list").stdout
    assert "2 message(s)" in out and "from <alice@example.test>" in out and "to z@far.test, w@far.test" in out
    assert "1 message(s)" in fp(data, "list", "--sender", "alice@").stdout
    assert "z@far.test" in fp(data, "list", "--recipient", "far.test").stdout
    assert "1 message(s)" in fp(data, "list", "--min-size", "4K").stdout
    assert "refused" in fp(data, "list", "--failure", "REFUSED").stdout
    assert "1 message(s)" in fp(data, "list", "--state", "send-failure").stdout


def test_show(data):
    out = fp(data, "show", "1").stdout
    assert "sender: <alice@example.test>" in out and "x@dead.test  received" in out
    assert "Subject: stuck" in out


def test_retry_delete_and_errors(data):
    assert "1 message(s) due" in fp(data, "retry", "1").stdout
    assert "2 message(s) due" in fp(data, "retry", "--all").stdout
    assert "deleted" in fp(data, "delete", "2").stdout
    assert "1 message(s)" in fp(data, "list").stdout
    missing = fp(data, "show", "99", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "fieldpost: error: queued message 99 does not exist"
    bad = fp(data, "list", "--state", "bogus", check=False)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert fp(data, "retry", check=False).returncode == 2


def test_bounce_returns_the_message_to_a_local_sender(data):
    assert "returned to its sender" in fp(data, "bounce", "1").stdout
    store = open_store(f"sqlite:///{data / 'db.sqlite3'}", data / "blobs")
    try:
        (ndr,) = [raw for _u, raw, _d, _f in store.mail.iter_raw("alice@example.test", "INBOX")]
        assert store.stats()["queued"] == 1
    finally:
        store.close()
    assert (
        b"Final-Recipient: rfc822; x@dead.test" in ndr and b"returned to the sender by the postmaster" in ndr
    )
