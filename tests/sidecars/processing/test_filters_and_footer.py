"""The worker applies the filter chain's verdict (and survives a filter that is down), and the footer."""

from __future__ import annotations

import pytest

from filters import FilterUnavailable, chain
from filters import actions as act
from tests.sidecars.processing.conftest import inbox

RAW = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: note\r\n\r\nSee you.\r\n"


@pytest.fixture
def levels(monkeypatch):
    installed: list = []
    monkeypatch.setattr(chain, "LEVELS", installed)
    return installed


def test_empty_chain_keeps_everything(store):
    msg = store.queue.get(store.queue.enqueue(RAW, "a@b.test", ["bob@example.test", "x@far.test"]))
    verdict = chain.run(store, msg, RAW)
    assert verdict.for_recipient("bob@example.test") == (act.Keep(),)
    assert verdict.for_recipient("x@far.test") == (act.Keep(),)


def test_unavailable_filter_keeps_the_message_queued(store, worker, clock, levels):
    calls = []

    def scanner_down(store_, msg, raw, rcpts, actions):
        calls.append(msg.id)
        raise FilterUnavailable("scanner at 127.0.0.1:3310 is not answering")

    levels.append(scanner_down)
    qid = store.queue.enqueue(RAW, "alice@example.test", ["bob@example.test"])
    worker.run_once()
    msg = store.queue.get(qid)
    assert msg.state == "processed" and "scanner" in msg.last_error
    assert inbox(store, "bob@example.test") == []
    levels.clear()
    clock.now = msg.next_attempt_at
    worker.run_once()
    assert len(inbox(store, "bob@example.test")) == 1 and calls == [qid]


def test_a_crashing_filter_counts_as_unavailable(store, worker, levels):
    levels.append(lambda *a: 1 / 0)
    qid = store.queue.enqueue(RAW, "alice@example.test", ["bob@example.test"])
    worker.run_once()
    assert "division by zero" in store.queue.get(qid).last_error


def test_actions_are_honoured(store, worker, levels, sink):
    store.folders.create("alice@example.test", "Work")

    def rules(store_, msg, raw, rcpts, actions):
        return {
            "alice@example.test": (act.FileInto("Work"), act.AddHeader("X-Sorted", "work")),
            "bob@example.test": (act.Discard(),),
            "x@far.test": (act.Reject("we do not take mail for x"),),
            "y@far.test": (act.Redirect("z@far.test"),),
        }

    levels.append(rules)
    rcpts = ["alice@example.test", "bob@example.test", "x@far.test", "y@far.test"]
    qid = store.queue.enqueue(RAW, "alice@example.test", rcpts)
    worker.run_once()
    (filed,) = inbox(store, "alice@example.test", "Work")
    assert filed.startswith(b"Return-Path: <alice@example.test>\r\nX-Sorted: work\r\n")
    assert inbox(store, "bob@example.test") == []
    (ndr,) = inbox(store, "alice@example.test")  # the reject
    assert b"we do not take mail for x" in ndr
    (redirected,) = store.queue.list()
    assert redirected.id != qid and [r.address for r in redirected.recipients] == ["z@far.test"]
    levels.clear()
    worker.run_once()
    assert sink.envelopes[0].recipients == ["z@far.test"]


def test_footer_for_authenticated_senders_of_the_domain(store, worker, sink):
    store.settings.set("appender.footer_text", "-- sent from example.test", domain="example.test")
    store.queue.enqueue(
        RAW, "alice@example.test", ["bob@example.test", "x@far.test"], origin={"auth": "alice@example.test"}
    )
    store.queue.enqueue(RAW.replace(b"note", b"plain"), "alice@example.test", ["bob@example.test"])
    worker.run_once()
    with_footer, without = sorted(inbox(store, "bob@example.test"), key=lambda raw: b"plain" in raw)
    assert b"See you.\r\n\r\n-- sent from example.test\r\n" in with_footer
    assert b"-- sent from example.test" not in without
    assert b"-- sent from example.test" in sink.envelopes[0].data


def test_footer_goes_into_both_alternatives(store, worker):
    store.settings.set("appender.footer_text", "-- plain footer", domain="example.test")
    store.settings.set("appender.footer_html", "<p>html footer</p>", domain="example.test")
    raw = (
        b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: alt\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nHello\r\n"
        b"--b1\r\nContent-Type: text/html\r\n\r\n<html><body><p>Hello</p></body></html>\r\n--b1--\r\n"
    )
    store.queue.enqueue(
        raw, "alice@example.test", ["bob@example.test"], origin={"auth": "alice@example.test"}
    )
    worker.run_once()
    (got,) = inbox(store, "bob@example.test")
    assert b"Hello\r\n\r\n-- plain footer" in got
    assert b"<p>Hello</p><p>html footer</p></body>" in got
    assert got.count(b"MIME-Version") == 1
