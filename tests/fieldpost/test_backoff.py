"""Restart backoff of the supervisor: 1 s doubling to 60 s, reset after a child stayed up 60 s."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

from fieldpost import config as configuration
from fieldpost.supervisor import BACKOFF, RUNNING, STOPPED, Child, Supervisor


def crashing_supervisor(data: Path) -> tuple[Supervisor, Child]:
    cfg = configuration.from_mapping(data, {"services": ["rpop"]})
    supervisor = Supervisor(cfg, out=io.StringIO())
    child = supervisor.children[0]
    child.argv = [sys.executable, "-c", "raise SystemExit(3)"]
    return supervisor, child


def crash_and_reap(supervisor: Supervisor, child: Child) -> float:
    """Start the child, let it exit, let the supervisor notice; return the chosen delay."""
    supervisor.start(child)
    assert child.proc is not None
    child.proc.wait(timeout=10)
    supervisor.tick()
    assert child.state == BACKOFF
    delay = child.next_start - time.monotonic()
    child.next_start = float("inf")  # keep tick() from restarting it by itself
    return delay


def test_backoff_doubles_and_caps(data_dir: Path) -> None:
    supervisor, child = crashing_supervisor(data_dir)
    delays = []
    for _ in range(8):
        delays.append(round(crash_and_reap(supervisor, child)))
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]
    assert child.restarts == 8
    state = supervisor.snapshot()["services"]["rpop"]
    assert state["state"] == BACKOFF and state["pid"] is None and state["restarts"] == 8


def test_backoff_resets_after_a_stable_minute(data_dir: Path) -> None:
    supervisor, child = crashing_supervisor(data_dir)
    for _ in range(3):
        crash_and_reap(supervisor, child)
    supervisor.start(child)
    assert child.proc is not None
    child.proc.wait(timeout=10)
    child.started_mono -= 61  # as if it had run for more than a minute
    supervisor.tick()
    assert round(child.next_start - time.monotonic()) == 1


def test_expired_backoff_restarts_and_stop_is_final(data_dir: Path) -> None:
    supervisor, child = crashing_supervisor(data_dir)
    child.argv = [sys.executable, "-c", "import time; time.sleep(30)"]
    supervisor.start(child)
    assert child.state == RUNNING
    supervisor.stop(child)
    assert child.state == STOPPED and child.proc is None
    supervisor.tick()
    assert child.state == STOPPED  # a stopped child is not brought back
    child.state, child.next_start = BACKOFF, 0.0
    supervisor.tick()
    assert child.state == RUNNING
    supervisor.shutdown()
    assert child.state == STOPPED
