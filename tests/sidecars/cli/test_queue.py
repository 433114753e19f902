"""The mail queue on the console: LIST (with filters), SHOW, RETRY, DELETE and BOUNCE."""

from __future__ import annotations

from datetime import timedelta

from storage.names import utcnow
from storage.store import Store
from tests.sidecars.cli.conftest import Client, table

RAW = b"From: alice@example.test\r\nTo: far@remote.test\r\nSubject: stuck\r\n\r\nhello\r\n"


def queued(store: Store, sender: str = "alice@example.test", to: str = "far@remote.test") -> int:
    qid = store.queue.enqueue(RAW, sender, [to], state="send-failure")
    store.queue.defer(qid, utcnow() + timedelta(hours=1), state="send-failure", error="451 try later")
    return qid


def test_list_and_filter_the_queue(store: Store, admin: Client) -> None:
    first = queued(store)
    queued(store, sender="bob@example.test", to="x@other.test")
    rows = table(admin.cmd("LIST QUEUE"))
    assert [row[0] for row in rows] == [str(first), str(first + 1)]
    assert rows[0][1] == "send-failure" and rows[0][-2:] == ["alice@example.test", "far@remote.test"]
    reply = admin.cmd("LIST QUEUE sender bob")
    assert [row[0] for row in table(reply)] == [str(first + 1)]
    assert reply.endswith("+OK: 1 queued message(s)\r\n<#> ")
    assert table(admin.cmd("LIST QUEUE failure 451")) == rows
    assert admin.cmd("LIST QUEUE colour red").startswith("-ERR: LIST QUEUE: unknown parameter 'colour'")


def test_show_retry_delete(store: Store, admin: Client) -> None:
    qid = queued(store)
    shown = admin.cmd(f"SHOW QUEUE id {qid}")
    assert f"id: {qid}" in shown and "recipient: far@remote.test" in shown and "  Subject: stuck" in shown
    assert admin.cmd(f"RETRY QUEUE id {qid}") == "+OK: 1 message(s) due now\r\n<#> "
    assert store.queue.get(qid).next_attempt_at <= utcnow()
    assert admin.cmd("RETRY QUEUE").startswith("-ERR: RETRY QUEUE: give either id N or all yes")
    assert admin.cmd("RETRY QUEUE all yes") == "+OK: 1 message(s) due now\r\n<#> "
    assert admin.cmd(f"DELETE QUEUE id {qid}") == f"+OK: queued message {qid} deleted\r\n<#> "
    assert admin.cmd(f"DELETE QUEUE id {qid}").startswith("-ERR: ")
    assert admin.cmd("SHOW QUEUE id twelve").startswith("-ERR: SHOW QUEUE: a queue id is a number")


def test_bounce_reports_to_the_sender(store: Store, admin: Client) -> None:
    qid = queued(store)
    assert admin.cmd(f"BOUNCE QUEUE id {qid}") == (
        f"+OK: queued message {qid} returned to its sender (1 recipient(s) reported)\r\n<#> "
    )
    assert store.accounts.get("alice@example.test").message_count == 1  # the report, delivered locally
    assert store.queue.list() == []
