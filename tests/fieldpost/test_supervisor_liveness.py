"""Issue 9 items 1 and 7: ``fieldpost serve`` notices a wedged service and restarts it, and a service's
listening sockets outlive its worker, so a restart refuses no connection."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fieldpost.conftest import REPO, cli_env
from tests.fieldpost.test_supervisor import all_up, make_data_dir, status, wait_for

pytestmark = pytest.mark.slow

LIVENESS = 3


@pytest.fixture
def serving(data_dir: Path, port_offset: int) -> Iterator[tuple[Path, int]]:
    """``fieldpost serve`` with a short liveness limit, every service up."""
    if not make_data_dir(data_dir):
        pytest.skip("storage is not there yet")
    with open(data_dir / "fieldpost.toml", "a") as toml:
        toml.write(f"\n[supervisor]\nliveness_seconds = {LIVENESS}\n")
    out = data_dir.parent / "serve.out"
    with open(out, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fieldpost", "serve", "--data", str(data_dir), "--port-offset", str(port_offset)],
            cwd=REPO, env=cli_env(), stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        wait_for(lambda: all_up(data_dir), what="every service running with its ports open")
        yield data_dir, port_offset
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def greeting(port: int, timeout: float = 30.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = sock.recv(1024)
            if not chunk:
                break
            data += chunk
        return data


def restarted(data: Path, service: str, old_pid: int) -> dict[str, object] | None:
    entry = status(data)["services"][service]
    return entry if entry["state"] == "running" and entry["pid"] not in (None, old_pid) else None


def test_a_wedged_service_is_killed_and_restarted(serving: tuple[Path, int]) -> None:
    data, offset = serving
    imap_port = 1143 + offset
    assert greeting(imap_port).startswith(b"* OK")
    old_pid = status(data)["services"]["imap"]["pid"]
    os.kill(old_pid, signal.SIGSTOP)  # its event loop stops, as a greenlet that never yields stops it
    try:
        entry = wait_for(lambda: restarted(data, "imap", old_pid), timeout=60, what="imap restarted")
    finally:
        if _alive(old_pid):
            os.kill(old_pid, signal.SIGCONT)
    assert entry["restarts"] == 1
    assert not _alive(old_pid)
    assert greeting(imap_port).startswith(b"* OK")
    log = (data / "logs" / "supervisor.log").read_text()
    assert f"imap.1 (pid {old_pid}) gave no heartbeat" in log


def test_killing_smtp_refuses_no_connection(serving: tuple[Path, int]) -> None:
    data, offset = serving
    smtp_port = 2525 + offset
    refused: list[str] = []
    lost: list[str] = []  # accepted by the dying worker before it could greet: the client retries
    greeted: list[float] = []
    done = threading.Event()

    def client() -> None:
        while not done.is_set():
            try:
                line = greeting(smtp_port)
            except ConnectionRefusedError as exc:
                refused.append(repr(exc))
                continue
            except OSError as exc:
                lost.append(repr(exc))
                continue
            if line.startswith(b"220 "):
                greeted.append(time.monotonic())
            else:
                lost.append(repr(line))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(greeted) >= 3, timeout=30, what="greetings before the kill")
        old_pid = status(data)["services"]["smtp"]["pid"]
        os.kill(old_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: restarted(data, "smtp", old_pid), timeout=60, what="smtp restarted")
        wait_for(lambda: sum(t > killed_at + 1.0 for t in greeted) >= 3, timeout=60, what="greetings after")
    finally:
        done.set()
        for thread in threads:
            thread.join(40)
    assert refused == []
    assert len(lost) <= len(threads), lost  # at most the connections the killed worker had accepted


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
