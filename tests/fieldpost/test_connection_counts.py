"""The pool's shared table of open connections (fieldpost.connection_counts), with real processes: a cap
counts every process's connections, and a process that dies (SIGKILL included) gives its back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from fieldpost.connection_counts import ConnectionCounts, Held, create, key_of
from tests.fieldpost.conftest import REPO

TOTAL, ONE = key_of("imap"), key_of("imap", "192.0.2.7")

HOLDER = """
import sys, time
from fieldpost.connection_counts import ConnectionCounts, key_of
counts = ConnectionCounts.attach(int(sys.argv[1]))
held = [counts.acquire([(key_of("imap"), 0), (key_of("imap", "192.0.2.7"), 0)]) for _ in range(int(sys.argv[2]))]
print(counts.row, all(h is not None and not isinstance(h, str) for h in held), flush=True)
time.sleep(60)
"""


@pytest.fixture
def table() -> int:
    fd = create(rows=4, slots=64, window=8)
    yield fd
    os.close(fd)


def holder(fd: int, count: int) -> subprocess.Popen[str]:
    """Another process that takes ``count`` connections from 192.0.2.7 and keeps them."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(fd), str(count)],
        pass_fds=[fd], cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    row, ok = proc.stdout.readline().split()
    assert ok == "True"
    return proc


def test_a_cap_counts_the_connections_of_every_process(table: int) -> None:
    mine = ConnectionCounts.attach(table)
    assert mine is not None
    other = holder(table, 2)
    try:
        assert mine.total(ONE) == 2
        first = mine.acquire([(TOTAL, 0), (ONE, 3)])
        assert isinstance(first, Held)
        assert mine.acquire([(TOTAL, 0), (ONE, 3)]) == "1"  # the third of the pool: the cap is full
        assert mine.acquire([(TOTAL, 3), (key_of("imap", "198.51.100.1"), 0)]) == "0"  # the total too
        mine.release(first)
        assert mine.total(ONE) == 2
    finally:
        other.kill()
        other.wait()


def test_a_killed_process_gives_its_connections_back(table: int) -> None:
    mine = ConnectionCounts.attach(table)
    assert mine is not None
    other = holder(table, 3)
    assert mine.acquire([(TOTAL, 0), (ONE, 3)]) == "1"
    other.send_signal(signal.SIGKILL)
    other.wait()
    held = mine.acquire([(TOTAL, 0), (ONE, 3)])  # the dead process's three are found and dropped
    assert isinstance(held, Held)
    assert mine.total(ONE) == 1


def test_rows_run_out_and_a_full_window_counts_locally(table: int) -> None:
    attached = [ConnectionCounts.attach(table) for _ in range(4)]
    assert all(c is not None for c in attached)
    # rows are per process: in one process every attach claims the same first row again (record locks
    # are the process's), so a fifth process is the test of running out
    others = [holder(table, 1) for _ in range(3)]
    try:
        extra = subprocess.run(
            [sys.executable, "-c", "import sys; from fieldpost.connection_counts import ConnectionCounts;"
             " print(ConnectionCounts.attach(int(sys.argv[1])))", str(table)],
            pass_fds=[table], cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert extra.stdout.strip() == "None"
    finally:
        for proc in others:
            proc.kill()
            proc.wait()
    counts = attached[0]
    assert counts is not None
    full = [counts.acquire([(key_of("x", str(n)), 0)]) for n in range(64)]
    assert None in full, "64 slots with windows of 8 cannot place 64 keys without a full window"
