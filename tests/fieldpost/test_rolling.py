"""The supervisor's rolling restart of a worker pool, driven step by step with stand-in worker processes
that beat like the real ones (run/<service>.<n>.heartbeat holding time and pid): one worker is replaced
at a time, an old worker stops only once its replacement beats, and a replacement that fails leaves the
old worker serving."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

from fieldpost import config as configuration
from fieldpost.supervisor import RUNNING, Supervisor
from tests.fieldpost.conftest import pick_port_offset

BEATING = """
import os, sys, time
worker = sys.argv[sys.argv.index("--worker") + 1]
path = os.path.join({run!r}, "imap." + worker + ".heartbeat")
while True:
    with open(path, "w") as fh:
        fh.write("%017.3f %10d\\n" % (time.time(), os.getpid()))
    time.sleep(0.1)
"""


def pool(data: Path, workers: int = 2) -> Supervisor:
    raw = {"services": ["imap"], "workers": {"imap": workers}}
    supervisor = Supervisor(configuration.from_mapping(data, raw, pick_port_offset()), out=io.StringIO())
    supervisor.config.run_dir.mkdir(parents=True)
    for child in supervisor.children:
        child.argv = [sys.executable, "-c", BEATING.format(run=str(supervisor.config.run_dir))]
    return supervisor


def roll(supervisor: Supervisor, timeout: float = 60) -> int:
    """Restart the pool and tick until the roll is over; the most replacements seen at one time."""
    supervisor.restart_service("imap")
    most = 0
    deadline = time.monotonic() + timeout
    while supervisor.rolling and time.monotonic() < deadline:
        most = max(most, sum(child.successor is not None for child in supervisor.children))
        supervisor.tick()
        time.sleep(0.05)
    assert not supervisor.rolling, "the roll did not finish"
    return most


def test_workers_are_replaced_one_at_a_time(data_dir: Path) -> None:
    supervisor = pool(data_dir)
    try:
        for child in supervisor.children:
            supervisor.start(child)
        before = [child.proc.pid for child in supervisor.children if child.proc]
        assert roll(supervisor) == 1
        after = [child.proc.pid for child in supervisor.children if child.proc]
        assert len(after) == 2 and not set(after) & set(before)
        assert all(child.state == RUNNING and child.restarts == 0 for child in supervisor.children)
        supervisor._finish_draining(force=True)
        assert not any(_alive(pid) for pid in before)
        log = (data_dir / "logs" / "supervisor.log").read_text()
        for n, (old, new) in enumerate(zip(before, after, strict=True), start=1):
            assert f"imap.{n} replaced: pid {new} serves, pid {old} drains" in log
    finally:
        supervisor.shutdown()


def test_a_failing_replacement_stops_the_roll_and_the_old_worker_serves(data_dir: Path) -> None:
    supervisor = pool(data_dir, workers=1)
    try:
        (child,) = supervisor.children
        supervisor.start(child)
        assert child.proc is not None
        serving = child.proc.pid
        child.argv = [sys.executable, "-c", "raise SystemExit(3)"]  # the new code does not start
        roll(supervisor)
        assert child.proc is not None and child.proc.pid == serving and _alive(serving)
        assert child.state == RUNNING and child.successor is None
        log = (data_dir / "logs" / "supervisor.log").read_text()
        assert "imap.1 replacement" in log and "failed (exit 3); rolling restart of imap stopped" in log
    finally:
        supervisor.shutdown()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
