"""What a user's Sieve script does to the stored message: the folder it lands in (fileinto :create,
RFC 5490), the IMAP flags it carries (RFC 5232), mailboxexists against the real folders; and the
housekeeping jobs that keep the vacation and identity records small."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from sidecars.processing.schedule import housekeeping_jobs, run_due
from storage.errors import NotFound

ALICE = "alice@example.test"
LOG = logging.getLogger("test.sieve_delivery")


@pytest.fixture
def logged_worker(worker):
    worker.log = LOG
    return worker


def script(store, text: str) -> None:
    store.scripts.put("account", ALICE, "rules", text)
    store.scripts.activate("account", ALICE, "rules")


def deliver(store, worker, subject: str = "note") -> None:
    raw = f"From: bob@example.test\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\nHello.\r\n".encode()
    store.queue.enqueue(raw, "bob@example.test", [ALICE])
    worker.run_once()


def stored(store, folder: str = "INBOX") -> list[tuple[bytes, frozenset[str]]]:
    return [(raw, flags) for _uid, raw, _date, flags in store.mail.iter_raw(ALICE, folder)]


def test_fileinto_create_makes_the_folder_with_the_flags(store, logged_worker):
    script(
        store,
        'require ["fileinto", "mailbox", "imap4flags"];\n'
        'setflag "\\\\Seen"; addflag "$Receipt";\n'
        'fileinto :create "Receipts/2026";\n',
    )
    deliver(store, logged_worker)
    ((raw, flags),) = stored(store, "Receipts/2026")
    assert b"Subject: note" in raw and flags == {"\\Seen", "$Receipt"}
    assert stored(store) == []
    assert store.folders.get(ALICE, "Receipts/2026").unseen_count == 0


def test_fileinto_without_create_falls_back_to_inbox_and_logs(store, logged_worker, caplog):
    script(store, 'require "fileinto"; fileinto "Nowhere";')
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        deliver(store, logged_worker)
    assert len(stored(store)) == 1
    with pytest.raises(NotFound):
        store.folders.get(ALICE, "Nowhere")
    assert any("Nowhere" in r.getMessage() and "INBOX" in r.getMessage() for r in caplog.records)


def test_keep_and_fileinto_flags_per_copy(store, worker):
    store.folders.create(ALICE, "Work")
    script(
        store,
        'require ["fileinto", "imap4flags"];\n'
        'keep :flags "\\\\Flagged";\n'
        'fileinto :flags ["$Work", "\\\\Answered"] "Work";\n',
    )
    deliver(store, worker)
    ((_, inbox_flags),) = stored(store)
    ((_, work_flags),) = stored(store, "Work")
    assert inbox_flags == {"\\Flagged"} and work_flags == {"$Work", "\\Answered"}


def test_implicit_keep_carries_the_flags(store, worker):
    script(store, 'require "imap4flags"; if header :contains "subject" "urgent" { addflag "\\\\Flagged"; }')
    deliver(store, worker, "urgent: call me")
    deliver(store, worker, "later")
    flags = sorted((b"urgent" in raw, sorted(f)) for raw, f in stored(store))
    assert flags == [(False, []), (True, ["\\Flagged"])]


def test_invalid_flags_are_left_out_and_the_message_still_arrives(store, logged_worker, caplog):
    script(store, 'require "imap4flags"; addflag ["$Good", "bad(flag", "\\\\Madeup"]; keep;')
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        deliver(store, logged_worker)
    ((_, flags),) = stored(store)
    assert flags == {"$Good"}
    assert any("bad(flag" in r.getMessage() for r in caplog.records)


def test_mailboxexists_sees_the_real_folders(store, worker):
    script(
        store,
        'require ["fileinto", "mailbox"];\n'
        'if mailboxexists "Projects" { fileinto "Projects"; } else { fileinto :create "Elsewhere"; }\n',
    )
    deliver(store, worker, "one")
    store.folders.create(ALICE, "Projects")
    deliver(store, worker, "two")
    assert [b"Subject: one" in raw for raw, _ in stored(store, "Elsewhere")] == [True]
    assert [b"Subject: two" in raw for raw, _ in stored(store, "Projects")] == [True]


def test_housekeeping_prunes_vacation_records_and_expires_challenges(store, caplog):
    aid = store.accounts.get(ALICE).id
    bob = store.accounts.get("bob@example.test").id
    now = store.queue.get(store.queue.enqueue(b"Subject: x\r\n\r\n", "", [ALICE])).received_at
    old = now - timedelta(days=60)
    assert store.scripts.vacation_due(aid, "h", "far@far.test", 7, now=old)
    assert store.scripts.vacation_due(aid, "h", "near@far.test", 7, now=now)
    store.auth.throttle.record_failure("recent@example.test", None, now=now)
    store.auth.throttle.record_failure("guessed@example.test", "192.0.2.66", now=old)  # two rows, long over
    stale = store.confirmations.challenge_due(aid, "old@far.test", timedelta(days=7), now=old)
    fresh = store.confirmations.challenge_due(bob, "new@far.test", timedelta(days=7), now=now)
    jobs = housekeeping_jobs()
    with caplog.at_level(logging.INFO, logger=LOG.name):
        ran = run_due(jobs, store, now, LOG)
    assert {"vacation replies prune", "identity challenges expiry"} <= set(ran)
    lines = [r.getMessage() for r in caplog.records]
    assert "vacation replies prune: 1 rows" in lines and "identity challenges expiry: 1 rows" in lines
    assert "login failures prune: 2 rows" in lines and store.auth.throttle.count() == 1
    with pytest.raises(NotFound):
        store.confirmations.by_token(stale or "")
    assert store.confirmations.by_token(fresh or "").sender == "new@far.test"
    # the reply to near@ is still remembered: no second one within its 7 days
    assert not store.scripts.vacation_due(aid, "h", "near@far.test", 7, now=now + timedelta(days=1))
    assert run_due(jobs, store, now + timedelta(minutes=5), LOG) == ["reminder mails"]  # the rest hourly


def test_housekeeping_prunes_the_change_feed_past_its_retention(store):
    """changes.retention_seconds (default 30 days) bounds the change feed; without the job it grew forever."""
    store.mail.deliver(b"Subject: x\r\n\r\nbody\r\n", [ALICE])
    recorded = store.changes.since(0)
    assert recorded
    newest = recorded[-1].at
    assert run_due(housekeeping_jobs(), store, newest + timedelta(days=29), LOG)
    assert store.changes.since(0) == recorded  # within 30 days: kept
    assert "change feed prune" in run_due(housekeeping_jobs(), store, newest + timedelta(days=31), LOG)
    assert store.changes.since(0) == []
