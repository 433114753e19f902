"""Sender lists (filters.lists) through the real processing worker: what a recipient finds, what the
sender is told, and that no Sieve script can undo a black list."""

from __future__ import annotations

import pytest

from filters import actions as act
from filters import chain, lists
from sidecars.processing.worker import Worker
from storage import open_store

ALICE = "alice@example.test"
BOB = "bob@example.test"


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    s.domains.add("example.test")
    s.accounts.add(ALICE, None)
    s.accounts.add(BOB, None)
    yield s
    s.close()


@pytest.fixture
def worker(store) -> Worker:
    return Worker(store, hostname="mail.example.test")


def folder(store, name: str = "INBOX", address: str = ALICE) -> list[bytes]:
    return [raw for _uid, raw, _date, _flags in store.mail.iter_raw(address, name)]


def message(from_: str, subject: str = "hello") -> bytes:
    return f"From: {from_}\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\nHi.\r\n".encode()


def deliver(store, worker, raw: bytes, sender: str = BOB, rcpts: tuple[str, ...] = (ALICE,)) -> int:
    qid = store.queue.enqueue(raw, sender, list(rcpts))
    worker.run_once()
    return qid


# -- patterns -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "address", "hit"),
    [
        ("*@spam.example", "x@spam.example", True),
        ("*@spam.example", "x@SPAM.example", True),
        ("*@spam.example", "x@notspam.example", False),
        ("spam.example", "anyone@spam.example", True),
        ("spam.example", "anyone@sub.spam.example", False),
        ("*@*.spam.example", "anyone@sub.spam.example", True),
        ("Bob@Far.Test", "bob@far.test", True),
        ("b?b@far.test", "bob@far.test", True),
        ("", "bob@far.test", False),
        ("   ", "bob@far.test", False),
    ],
)
def test_patterns(pattern: str, address: str, hit: bool) -> None:
    assert lists.matches([pattern], [address.lower()]) is hit


def test_from_addresses_reads_every_from_address_and_falls_back_to_the_envelope() -> None:
    raw = b'From: "Spam, Inc." <Offers@Spam.Example>, other@x.test\r\nSubject: s\r\n\r\nb\r\n'
    assert lists.from_addresses(raw, "bounce@elsewhere.test") == ("offers@spam.example", "other@x.test")
    assert lists.from_addresses(b"Subject: no from\r\n\r\nb\r\n", "Env@Far.Test") == ("env@far.test",)
    assert lists.from_addresses(b"From: undisclosed\r\n\r\nb\r\n", "") == ()


# -- server lists ------------------------------------------------------------------------------------


def test_server_black_list_refuses_and_the_sender_gets_a_report(store, worker):
    store.settings.set("lists.server_blacklist", ["*@spam.example"])
    deliver(store, worker, message("Offers <deals@spam.example>"))
    assert folder(store) == [] and folder(store, "Junk") == []
    assert store.stats()["queued"] == 0  # finished: nothing waits for a retry
    (report,) = folder(store, address=BOB)  # the envelope sender is local: the report lands in its INBOX
    assert b"black list" in report


def test_server_black_list_can_discard_silently(store, worker):
    store.settings.set("lists.server_blacklist", ["spam.example"])
    store.settings.set("lists.server_blacklist_action", "discard")
    deliver(store, worker, message("deals@spam.example"))
    assert folder(store) == [] and folder(store, address=BOB) == []  # no report either
    assert store.stats()["queued"] == 0


def test_no_sieve_script_undoes_the_black_list(store, worker):
    store.settings.set("lists.server_blacklist", ["*@spam.example"])
    store.scripts.put("server", None, "keep-all", "keep;")
    store.scripts.activate("server", None, "keep-all")
    store.scripts.put("account", ALICE, "mine", 'require "fileinto"; fileinto "INBOX";')
    store.scripts.activate("account", ALICE, "mine")
    deliver(store, worker, message("deals@spam.example"))
    assert folder(store) == []


def test_black_beats_white_on_the_server(store, worker):
    store.settings.set("lists.server_whitelist", ["*@partner.example"])
    store.settings.set("lists.server_blacklist", ["rogue@partner.example"])
    deliver(store, worker, message("rogue@partner.example"))
    deliver(store, worker, message("friend@partner.example"))
    (kept,) = folder(store)
    assert b"friend@partner.example" in kept


# -- account lists -----------------------------------------------------------------------------------


def test_blocked_sender_goes_to_trash_and_others_are_untouched(store, worker):
    store.settings.set("lists.blocked_senders", ["pest@far.test"], account=ALICE)
    deliver(store, worker, message("The Pest <PEST@far.test>"), rcpts=(ALICE, BOB))
    (trashed,) = folder(store, "Trash")
    assert b"PEST@far.test" in trashed and folder(store) == []
    assert len(folder(store, address=BOB)) == 1  # bob did not block anyone
    assert store.stats()["queued"] == 0


def test_blocked_sender_trash_is_made_again_and_beats_sieve_and_the_white_list(store, worker):
    store.folders.delete(ALICE, "Trash")
    store.settings.set("lists.blocked_senders", ["*@far.test"], account=ALICE)
    store.settings.set("lists.server_whitelist", ["*@far.test"])
    store.scripts.put("account", ALICE, "mine", 'require "fileinto"; fileinto "INBOX";')
    store.scripts.activate("account", ALICE, "mine")
    deliver(store, worker, message("pest@far.test"))
    assert len(folder(store, "Trash")) == 1 and folder(store) == []


def test_blocked_senders_of_an_alias_and_a_subaddress_reach_the_account(store, worker):
    store.accounts.add_alias(ALICE, "ally@example.test")
    store.settings.set("lists.blocked_senders", ["pest@far.test"], account=ALICE)
    deliver(store, worker, message("pest@far.test"), rcpts=("ally@example.test",))
    deliver(store, worker, message("pest@far.test"), rcpts=("alice+news@example.test",))
    assert len(folder(store, "Trash")) == 2


def test_trusted_and_spam_exempt(store):
    store.settings.set("lists.server_whitelist", ["*@partner.example"])
    store.settings.set("lists.safe_senders", ["mum@family.test"], account=ALICE)
    store.settings.set("lists.blocked_senders", ["spoof@partner.example"], account=ALICE)
    aid = lists.account_for(store, ALICE)
    bob_id = lists.account_for(store, BOB)
    assert lists.trusted(store, ["mum@family.test"], aid) is True
    assert lists.trusted(store, ["mum@family.test"], bob_id) is False  # alice's list, not bob's
    assert lists.trusted(store, ["x@partner.example"], bob_id) is True
    assert lists.trusted(store, ["spoof@partner.example"], aid) is False  # blocked beats white
    msg = store.queue.get(store.queue.enqueue(message("mum@family.test"), "mum@family.test", [ALICE]))
    assert lists.spam_exempt(store, msg, message("mum@family.test"), ALICE) is True
    assert lists.spam_exempt(store, msg, message("mum@family.test"), "someone@far.test") is False


def test_list_settings_are_validated(store):
    from storage.errors import InvalidInput

    with pytest.raises(InvalidInput):
        store.settings.set("lists.blocked_senders", ["x" * 321 + "@far.test"], account=ALICE)
    with pytest.raises(InvalidInput):
        store.settings.set("lists.safe_senders", ["a@b.test"])  # an account-level list
    with pytest.raises(InvalidInput):
        store.settings.set("lists.server_blacklist_action", "bounce")


def test_final_marker_is_not_in_the_verdict(store):
    store.settings.set("lists.server_blacklist", ["*@spam.example"])
    raw = message("deals@spam.example")
    msg = store.queue.get(store.queue.enqueue(raw, BOB, [ALICE]))
    verdict = chain.run(store, msg, raw)
    assert verdict.for_recipient(ALICE) == (act.Reject(lists.REFUSAL.format(sender="deals@spam.example")),)
