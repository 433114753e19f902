"""A "250" is never read before the message is durable, also when many sessions' messages share one
group commit (storage/group_commit.py): the smtp service is SIGKILLed the moment a client reads a 250,
in the middle of a load from concurrent sessions, and every message whose 250 was read must be in the
queue when the store is opened again.

How it runs: the smtp service alone (no processing, so the queue keeps everything), 12 client threads
with smtplib each sending message after message over one kept connection. After ``WARM`` messages were
accepted (groups are forming by then), the thread that reads the next 250 kills the process itself,
right after ``sendmail`` returned. Other sessions' 250s may be in flight: a client counts a message only
once its own ``sendmail`` returned. Three rounds on the same data directory (each restart opens the
database a kill left behind).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import smtplib
import threading
from pathlib import Path

import pytest

from fieldpost import config as configuration
from tests.support.service import init_demo, running

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

HOST = "mx.example.test"
RECIPIENT = "alice@example.test"
SENDER = "loader@load.example.org"
CLIENTS = 12
WARM = 30
ROUNDS = 3
MID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class Load:
    def __init__(self, pid: int, port: int, round_no: int) -> None:
        self.pid, self.port, self.round_no = pid, port, round_no
        self.lock = threading.Lock()
        self.accepted: list[str] = []
        self.counter = 0
        self.killed = threading.Event()

    def next_mid(self) -> str:
        with self.lock:
            self.counter += 1
            return f"<r{self.round_no}.{self.counter}@durable.example.org>"

    def acknowledged(self, mid: str) -> None:
        with self.lock:
            self.accepted.append(mid)
            if len(self.accepted) > WARM and not self.killed.is_set():
                os.kill(self.pid, signal.SIGKILL)  # at once: the next reply must not be read first
                self.killed.set()

    def client(self) -> None:
        with (
            contextlib.suppress(OSError, smtplib.SMTPException),
            smtplib.SMTP("127.0.0.1", self.port, local_hostname="client.example.org", timeout=20) as smtp,
        ):
            while not self.killed.is_set():
                mid = self.next_mid()
                smtp.sendmail(SENDER, [RECIPIENT], message(mid))
                self.acknowledged(mid)


def message(mid: str) -> bytes:
    return (
        f"From: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\nSubject: durable\r\nMessage-ID: {mid}\r\n"
        "Date: Mon, 6 Jan 2025 10:00:00 +0000\r\n\r\n" + "A line of a small message.\r\n" * 40
    ).encode()


def queued_ids(data: Path) -> set[str]:
    from storage import open_store

    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        out = set()
        for m in store.queue.list(limit=100_000):
            found = MID.search(store.queue.raw(m.id))
            if found:
                out.add(found.group(1).decode())
        return out
    finally:
        store.close()


def test_every_message_answered_250_survives_a_kill_right_after_the_reply(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init_demo(data, HOST)
    accepted: list[str] = []
    for round_no in range(ROUNDS):
        with running("sidecars.smtp", "smtp", data) as (offset, proc):
            load = Load(proc.pid, configuration.LISTENERS["smtp"].port + offset, round_no)
            threads = [threading.Thread(target=load.client) for _ in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert load.killed.is_set(), "the load never reached the kill"
            proc.wait(10)
            assert proc.returncode == -signal.SIGKILL
        accepted.extend(load.accepted)
        missing = set(accepted) - queued_ids(data)
        assert not missing, f"round {round_no}: answered 250 but not queued: {sorted(missing)[:5]}"
    assert len(accepted) > ROUNDS * WARM
