"""Connection caps hold across a worker pool (issue 10): with ``net.imap.max_per_ip`` = 3 and two imap
workers, one client address gets exactly three connections in all, not three per worker; and when the
worker holding some of them is killed, its slots come back. Real supervisor, processes and sockets."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fieldpost.conftest import REPO, cli_env, pick_port_offset, run_cli
from tests.fieldpost.test_supervisor import all_up, make_data_dir, status, wait_for
from tests.fieldpost.test_worker_pools import _all_workers_beating

pytestmark = pytest.mark.slow

CAP = 3
TRIES = 8  # connections attempted at once from 127.0.0.1
ACCEPTED = re.compile(r"IMAP:([0-9a-f]{2})[0-9a-f]{6}: connection accepted from \[127\.0\.0\.1\]:(\d+) ")


class Pool:
    def __init__(self, data: Path, offset: int) -> None:
        self.data, self.port = data, 1143 + offset

    def log(self) -> str:
        return (self.data / "logs" / "imap.log").read_text()

    def connect(self) -> tuple[socket.socket, bool]:
        """A connection and whether it was greeted (True) or refused with BYE (False)."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        line = sock.makefile("rb").readline()
        assert line.startswith((b"* OK", b"* BYE")), line
        return sock, line.startswith(b"* OK")

    def attempt(self, count: int) -> tuple[list[socket.socket], int]:
        """``count`` connections at once: the greeted ones (kept open) and how many were refused."""
        kept, refused = [], 0
        for _ in range(count):
            sock, greeted = self.connect()
            if greeted:
                kept.append(sock)
            else:
                sock.close()
                refused += 1
        return kept, refused

    def workers_of(self, socks: list[socket.socket]) -> dict[int, int]:
        """Which worker accepted each connection (local port -> worker number), from the log."""
        ports = {s.getsockname()[1] for s in socks}

        def seen() -> dict[int, int] | None:
            found = {int(p): int(w, 16) for w, p in ACCEPTED.findall(self.log()) if int(p) in ports}
            return found if len(found) == len(ports) else None

        return wait_for(seen, timeout=10, what="the accept lines")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    data = tmp_path_factory.mktemp("caps") / "data"
    if not make_data_dir(data):
        pytest.skip("storage is not there yet")
    toml = data / "fieldpost.toml"
    text = re.sub(r"(?m)^services = .*$", 'services = ["imap", "smtp"]', toml.read_text())
    toml.write_text(text + "\n[workers]\nimap = 2\nsmtp = 1\n\n[supervisor]\nliveness_seconds = 5\n")
    run_cli("settings", "set", "net.imap.max_per_ip", str(CAP), "--data", str(data), check=True)
    offset = pick_port_offset()
    with open(data.parent / "serve.out", "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fieldpost", "serve", "--data", str(data), "--port-offset", str(offset)],
            cwd=REPO, env=cli_env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        wait_for(lambda: all_up(data) and _all_workers_beating(data), timeout=90, what="every worker up")
        yield Pool(data, offset)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_per_address_cap_holds_across_two_workers(pool: Pool) -> None:
    for _ in range(10):  # the kernel picks the worker; go on until both have taken part
        kept, refused = pool.attempt(TRIES)
        try:
            assert len(kept) == CAP and refused == TRIES - CAP
            involved = set(pool.workers_of(kept).values())
        finally:
            for sock in kept:
                sock.close()
        wait_for(lambda: pool.attempt(0) == ([], 0) and _greets(pool), timeout=10, what="slots back")
        if len(involved) == 2:
            return
    pytest.fail("every admitted connection went to one worker, ten times over")


def test_a_killed_workers_slots_come_back(pool: Pool) -> None:
    kept, _ = pool.attempt(TRIES)
    assert len(kept) == CAP
    workers = pool.workers_of(kept)
    victim = max(set(workers.values()), key=list(workers.values()).count)
    pid = next(w["pid"] for w in status(pool.data)["services"]["imap"]["workers"] if w["worker"] == victim)
    os.kill(pid, signal.SIGKILL)
    survivors = [s for s in kept if workers[s.getsockname()[1]] != victim]
    for sock in kept:
        if sock not in survivors:
            sock.close()
    try:
        # the dead worker never released its slots; the survivors' checks find them and drop them
        def refilled() -> bool:
            more, _ = pool.attempt(CAP - len(survivors))
            survivors.extend(more)
            return len(survivors) == CAP

        wait_for(refilled, timeout=30, what="the dead worker's slots back")
        extra, refused = pool.attempt(2)
        assert extra == [] and refused == 2, "still exactly the cap in all"
    finally:
        for sock in survivors:
            sock.close()


def _greets(pool: Pool) -> bool:
    sock, greeted = pool.connect()
    sock.close()
    return greeted
