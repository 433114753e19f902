"""The Sieve level of the filter chain, driven through the real processing worker."""

from __future__ import annotations

import email
import email.policy

import pytest

from filters import actions as act
from filters import chain, sieve_level
from sidecars.processing.worker import Worker
from storage import open_store

ALICE = "alice@example.test"


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    s.domains.add("example.test")
    s.accounts.add(ALICE, None)
    s.accounts.add("bob@example.test", None)
    yield s
    s.close()


@pytest.fixture
def worker(store) -> Worker:
    return Worker(store, hostname="mail.example.test")


def folder(store, name: str = "INBOX", address: str = ALICE) -> list[bytes]:
    return [raw for _uid, raw, _date, _flags in store.mail.iter_raw(address, name)]


def message(subject: str = "note", sender: str = "bob@example.test", mid: str = "<1@example.test>") -> bytes:
    return (
        f"From: {sender}\r\nTo: {ALICE}\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n\r\nSee you.\r\n"
    ).encode()


def deliver(store, worker, raw: bytes, sender: str = "bob@example.test") -> int:
    qid = store.queue.enqueue(raw, sender, [ALICE])
    worker.run_once()
    return qid


def test_account_script_files_into_a_folder(store, worker):
    script = 'require "fileinto"; if header :contains "subject" "invoice" { fileinto "Archive"; }'
    store.scripts.put("account", ALICE, "rules", script)
    store.scripts.activate("account", ALICE, "rules")
    deliver(store, worker, message("Your =?utf-8?q?Invoice?= 42"))
    deliver(store, worker, message("hello"))
    (filed,) = folder(store, "Archive")
    assert b"Invoice" in filed
    (kept,) = folder(store)
    assert b"Subject: hello" in kept


def test_last_level_with_a_destination_wins(store, worker):
    store.scripts.put("server", None, "junk", 'require "fileinto"; fileinto "Junk";')
    store.scripts.activate("server", None, "junk")
    store.scripts.put("account", ALICE, "mine", "keep;")
    store.scripts.activate("account", ALICE, "mine")
    deliver(store, worker, message())
    assert folder(store, "Junk") == [] and len(folder(store)) == 1
    store.scripts.put("account", ALICE, "mine", "if false { keep; }")  # sets nothing: server's stands
    deliver(store, worker, message())
    assert len(folder(store, "Junk")) == 1


def test_headers_accumulate_across_levels(store):
    store.scripts.put("server", None, "a", "keep;")
    store.scripts.activate("server", None, "a")
    msg = store.queue.get(store.queue.enqueue(message(), "bob@example.test", [ALICE]))
    before = {ALICE: (act.Keep(), act.AddHeader("X-Scanner", "clean"))}
    after = sieve_level.run_level(store, msg, message(), [ALICE, "x@far.test"], before)
    assert act.AddHeader("X-Scanner", "clean") in after[ALICE]
    assert "x@far.test" not in after  # not an account of ours: untouched


def test_reject_fails_the_recipient_with_a_report(store, worker):
    store.scripts.put("account", ALICE, "no", 'require "reject"; reject "I do not want this";')
    store.scripts.activate("account", ALICE, "no")
    qid = deliver(store, worker, message(), sender="bob@example.test")
    assert folder(store) == []
    (ndr,) = folder(store, address="bob@example.test")
    assert b"I do not want this" in ndr
    assert store.queue.list() == [] or all(m.id != qid for m in store.queue.list())


@pytest.mark.parametrize(
    "script",
    [
        'fileinto "Nowhere";',  # fileinto without require: a compile error
        'require "fileinto"; if header :is "subject" "note" { fileinto "Archive"',  # syntax error
    ],
)
def test_a_broken_script_falls_back_to_inbox(store, worker, script, caplog):
    store.scripts.put("account", ALICE, "broken", script)
    store.scripts.activate("account", ALICE, "broken")
    deliver(store, worker, message())
    assert len(folder(store)) == 1
    assert "does not compile" in caplog.text


def test_a_run_time_error_falls_back_to_inbox(store, worker, caplog):
    store.scripts.put("server", None, "junk", 'require "fileinto"; fileinto "Junk";')
    store.scripts.activate("server", None, "junk")
    script = 'require ["fileinto", "reject"]; fileinto "Archive"; reject "no";'  # incompatible: run-time
    store.scripts.put("account", ALICE, "r", script)
    store.scripts.activate("account", ALICE, "r")
    deliver(store, worker, message())
    assert len(folder(store, "Junk")) == 1 and folder(store, "Archive") == []  # earlier level stands
    assert "failed at run time" in caplog.text


def replies(store, worker, address: str = "bob@example.test") -> list[bytes]:
    """Vacation replies queued, or already delivered by the worker to ``address``."""
    worker.run_once()
    queued = [store.queue.raw(m.id) for m in store.queue.list() if m.origin.get("vacation_for")]
    delivered = [raw for raw in folder(store, address=address) if b"Auto-Submitted: auto-replied" in raw]
    return queued + delivered


def test_vacation_answers_once_per_sender_within_days(store, worker):
    script = 'require "vacation"; vacation :days 3 :subject "Away" "Back on Monday.";'
    store.scripts.put("account", ALICE, "away", script)
    store.scripts.activate("account", ALICE, "away")
    deliver(store, worker, message())
    (raw,) = replies(store, worker)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Away" and parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["From"] == ALICE and parsed["To"] == "bob@example.test"
    assert parsed["In-Reply-To"] == "<1@example.test>" and parsed["References"] == "<1@example.test>"
    assert parsed["Return-Path"] in (None, "<>")
    assert "Back on Monday." in parsed.get_content()
    deliver(store, worker, message(mid="<2@example.test>"))
    assert len(replies(store, worker)) == 1  # no second reply within :days
    assert len(folder(store)) == 2


def test_vacation_reply_has_a_null_sender_and_default_subject(store):
    store.scripts.put("account", ALICE, "away", 'require "vacation"; vacation "Gone.";')
    store.scripts.activate("account", ALICE, "away")
    raw = message("Lunch?", sender="dan@far.test")
    msg = store.queue.get(store.queue.enqueue(raw, "dan@far.test", [ALICE]))
    chain.run(store, msg, raw)
    (reply,) = [m for m in store.queue.list() if m.origin.get("vacation_for") == msg.id]
    assert reply.sender == "" and [r.address for r in reply.recipients] == ["dan@far.test"]
    parsed = email.message_from_bytes(store.queue.raw(reply.id), policy=email.policy.default)
    assert parsed["Subject"] == "Auto: Lunch?"


def test_compiled_scripts_are_cached_and_bounded(monkeypatch):
    monkeypatch.setattr(sieve_level, "_cache", {})
    monkeypatch.setattr(sieve_level, "CACHE_SIZE", 2)
    first = sieve_level.compiled("keep;")
    assert sieve_level.compiled("keep;") is first
    sieve_level.compiled("discard;")
    sieve_level.compiled("stop;")
    assert len(sieve_level._cache) == 2
