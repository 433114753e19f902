"""The scanner level in the real processing path: a message queued in the store, the processing worker
run once, and the result looked for where a user would find it (folders, delivery reports, the queue).
spamd, clamd and clamav-milter are Debian's, started once per session."""

from __future__ import annotations

import pytest

from sidecars.processing.worker import Worker
from tests.filters.scanners.daemons import EICAR, GTUBE, SIGNATURE, free_port
from tests.sidecars.processing.conftest import inbox

ALICE, BOB = "alice@example.test", "bob@example.test"
SPAM = b"From: promo@far.test\r\nTo: bob@example.test\r\nSubject: You won\r\n\r\n" + GTUBE + b"\r\n"
HAM = (
    b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: lunch\r\n"
    b"Date: Wed, 25 Nov 2026 09:00:00 +0000\r\nMessage-ID: <lunch.1@example.test>\r\n\r\n"
    b"Hi Bob, shall we have lunch at noon on Thursday?\r\n"
)
VIRUS = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: the file\r\n\r\n" + EICAR + b"\r\n"


def field(raw: bytes, name: str) -> str | None:
    for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.decode().lower() == name.lower():
            return value.decode().strip()
    return None


@pytest.fixture
def scanners(store, spamd_daemon, clamd_daemon):
    """Both scanners on, with the defaults for actions (spam to Junk, viruses discarded)."""
    for name, value in [
        ("scan.spamd.enabled", True),
        ("scan.spamd.address", spamd_daemon.address),
        ("scan.clamd.enabled", True),
        ("scan.clamd.address", clamd_daemon.address),
    ]:
        store.settings.set(name, value)
    return store


def run(store, worker: Worker, raw: bytes, sender: str = ALICE, rcpts: tuple[str, ...] = (BOB,)) -> int:
    qid = store.queue.enqueue(raw, sender, list(rcpts))
    worker.run_once()
    return qid


def test_gtube_lands_in_junk_with_our_spam_level(scanners, worker):
    run(scanners, worker, SPAM, sender="promo@far.test")
    assert inbox(scanners, BOB) == []
    (junk,) = inbox(scanners, BOB, "Junk")
    assert field(junk, "X-Fieldpost-Spam-Level") == "10"
    assert "GTUBE" in (field(junk, "X-Fieldpost-Spam-Report") or "")
    assert field(junk, "X-Fieldpost-Virus-Level") == "1"
    assert scanners.queue.list() == []


def test_a_clean_message_lands_in_inbox_with_a_low_level(scanners, worker):
    run(scanners, worker, HAM)
    (kept,) = inbox(scanners, BOB)
    assert 1 <= int(field(kept, "X-Fieldpost-Spam-Level") or "0") < 6
    assert field(kept, "X-Fieldpost-Virus-Level") == "1"
    assert inbox(scanners, BOB, "Junk") == []


def test_safe_senders_are_spared_the_spam_action_but_still_graded(scanners, worker):
    scanners.settings.set("lists.safe_senders", ["*@far.test"], account=BOB)
    scanners.accounts.add("carol@example.test", None)
    run(scanners, worker, SPAM, sender="promo@far.test", rcpts=(BOB, "carol@example.test"))
    (kept,) = inbox(scanners, BOB)
    assert field(kept, "X-Fieldpost-Spam-Level") == "10"
    assert len(inbox(scanners, "carol@example.test", "Junk")) == 1  # carol did not list the sender


@pytest.mark.parametrize("action", ["reject", "discard", "tag"])
def test_other_spam_actions(scanners, worker, action):
    scanners.settings.set("scan.spam.action", action)
    qid = run(scanners, worker, SPAM.replace(b"promo@far.test", ALICE.encode()))
    reports = inbox(scanners, ALICE)
    if action == "tag":
        (kept,) = inbox(scanners, BOB)
        assert field(kept, "X-Fieldpost-Spam-Level") == "10" and reports == []
        return
    assert inbox(scanners, BOB) == [] and inbox(scanners, BOB, "Junk") == []
    if action == "reject":
        (report,) = reports
        assert b"refused as spam" in report
    else:
        assert reports == []
    assert scanners.queue.list() == [] and qid


def test_eicar_is_discarded_by_default(scanners, worker):
    run(scanners, worker, VIRUS)
    for folder in ("INBOX", "Junk", "Trash"):
        assert inbox(scanners, BOB, folder) == []
    assert inbox(scanners, ALICE) == []  # nobody is told: the sender address of a virus is usually forged
    assert scanners.queue.list() == []


def test_eicar_rejected_tells_the_sender_the_virus_name(scanners, worker):
    scanners.settings.set("scan.virus.action", "reject")
    run(scanners, worker, VIRUS)
    assert inbox(scanners, BOB) == []
    (report,) = inbox(scanners, ALICE)
    assert b"contains a virus" in report and SIGNATURE.encode() in report


def test_eicar_quarantined_goes_to_the_quarantine_mailbox_only(scanners, worker):
    scanners.accounts.add("quarantine@example.test", None)
    scanners.settings.set("scan.virus.action", "quarantine")
    scanners.settings.set("scan.quarantine_address", "quarantine@example.test")
    run(scanners, worker, VIRUS)
    worker.run_once()  # the quarantine copy is a queued message of its own
    assert inbox(scanners, BOB) == []
    (held,) = inbox(scanners, "quarantine@example.test")
    assert field(held, "X-Fieldpost-Virus-Level") == "5" and SIGNATURE in (
        field(held, "X-Fieldpost-Virus") or ""
    )


def test_a_users_sieve_keep_cannot_undo_a_virus_verdict(scanners, worker):
    scanners.scripts.put("account", BOB, "keepall", "keep;\r\n")
    scanners.scripts.activate("account", BOB, "keepall")
    run(scanners, worker, VIRUS)
    assert inbox(scanners, BOB) == []


def test_sieve_spamtest_and_virustest_see_the_levels(scanners, worker):
    scanners.settings.set("scan.spam.action", "tag")  # leave the filing to the user's script
    scanners.folders.create(BOB, "Graded spam")
    scanners.folders.create(BOB, "Virus free")
    script = (
        'require ["spamtest", "virustest", "fileinto", "relational", "comparator-i;ascii-numeric"];\r\n'
        'if spamtest :value "ge" :comparator "i;ascii-numeric" "9" { fileinto "Graded spam"; }\r\n'
        'elsif virustest :value "eq" :comparator "i;ascii-numeric" "1" { fileinto "Virus free"; }\r\n'
    )
    scanners.scripts.put("account", BOB, "grades", script)
    scanners.scripts.activate("account", BOB, "grades")
    run(scanners, worker, SPAM, sender="promo@far.test")
    run(scanners, worker, HAM)
    assert len(inbox(scanners, BOB, "Graded spam")) == 1
    (clean,) = inbox(scanners, BOB, "Virus free")
    assert b"lunch" in clean and inbox(scanners, BOB) == []


def test_unscannable_mail_follows_its_action(scanners, worker):
    scanners.settings.set("scan.clamd.max_bytes", 1024)
    scanners.settings.set("scan.unscannable.action", "reject")
    big = HAM + b"".join(b"padding line %d\r\n" % n for n in range(100))
    run(scanners, worker, big)
    assert inbox(scanners, BOB) == []
    (report,) = inbox(scanners, ALICE)
    assert b"could not be scanned" in report
    scanners.settings.set("scan.unscannable.action", "deliver")
    run(scanners, worker, big)
    (kept,) = inbox(scanners, BOB)
    assert field(kept, "X-Fieldpost-Virus-Level") is None  # not scanned: no level


def test_spamd_down_keeps_the_message_queued_until_it_is_back(scanners, worker, clock, spamd_daemon):
    scanners.settings.set("scan.spamd.address", f"127.0.0.1:{free_port()}")
    qid = run(scanners, worker, SPAM, sender="promo@far.test")
    waiting = scanners.queue.get(qid)
    assert waiting.state == "processed" and "spamd" in (waiting.last_error or "")
    assert inbox(scanners, BOB, "Junk") == [] and inbox(scanners, BOB) == []
    clock.now = waiting.next_attempt_at
    worker.run_once()  # still down: only pinged, the message waits again
    again = scanners.queue.get(qid)
    assert "still down" in (again.last_error or "") and again.next_attempt_at > waiting.next_attempt_at
    scanners.settings.set("scan.spamd.address", spamd_daemon.address)  # back (at the configured place)
    clock.now = again.next_attempt_at
    worker.run_once()
    (junk,) = inbox(scanners, BOB, "Junk")
    assert field(junk, "X-Fieldpost-Spam-Level") == "10" and scanners.queue.list() == []


def test_garbage_from_the_scanner_keeps_the_message_queued(scanners, worker):
    from tests.filters.scanners.garbage import GarbageServer

    with GarbageServer(b"<html>502 Bad Gateway</html>") as server:
        scanners.settings.set("scan.clamd.address", server.address)
        qid = run(scanners, worker, HAM)
    msg = scanners.queue.get(qid)
    assert msg.state == "processed" and "not an INSTREAM result" in (msg.last_error or "")
    assert inbox(scanners, BOB) == []


def test_milter_verdicts_and_edits_apply(store, worker, milter_daemon):
    store.settings.set("scan.milters", [milter_daemon.address])
    run(store, worker, HAM)
    (kept,) = inbox(store, BOB)
    assert field(kept, "X-Virus-Status") == "Clean"  # the milter's added field, applied
    run(store, worker, VIRUS)
    assert len(inbox(store, BOB)) == 1
    (report,) = inbox(store, ALICE)
    assert b"Virus found" in report and SIGNATURE.encode() in report


def test_milter_quarantine_and_recipient_refusal(store, worker):
    import struct

    from filters.scanners import milter
    from tests.filters.scanners.garbage import scripted_milter

    store.accounts.add("quarantine@example.test", None)
    store.settings.set("scan.quarantine_address", "quarantine@example.test")
    with scripted_milter(
        milter.packet(b"q", milter.cstrings("suspicious")), milter.packet(b"a")
    ) as quarantining:
        store.settings.set("scan.milters", [quarantining.address])
        run(store, worker, HAM)
    worker.run_once()
    assert inbox(store, BOB) == [] and len(inbox(store, "quarantine@example.test")) == 1
    protocol = milter.NOCONNECT | milter.NOHELO | milter.NOMAIL | milter.NOHDRS | milter.NOEOH | milter.NODATA
    replies = (
        milter.packet(b"y", b"550 5.1.1 bob does not want this\0"),
        milter.packet(b"c"),
        milter.packet(b"m", struct.pack(">I", 1) + milter.cstrings("Subject", "[checked] lunch")),
        milter.packet(b"c"),
    )
    store.accounts.add("carol@example.test", None)
    with scripted_milter(*replies, protocol=protocol | milter.NOBODY) as picky:
        store.settings.set("scan.milters", [picky.address])
        run(store, worker, HAM, rcpts=(BOB, "carol@example.test"))
    assert inbox(store, BOB) == []
    (report,) = inbox(store, ALICE)
    assert b"bob does not want this" in report
    (copy,) = inbox(store, "carol@example.test")
    assert b"Subject: [checked] lunch\r\n" in copy
