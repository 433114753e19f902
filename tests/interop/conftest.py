"""Fixtures for the interop tests: a demo data directory, swaks, the SMTP service or the whole supervisor
as separate processes, and a read-only look at the store of a data directory.

Everything runs for real: ``fieldpost init``, ``python -m sidecars.smtp`` or ``fieldpost serve`` in
subprocesses on a random port offset, and Debian's ``swaks`` as the client.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldpost import config as configuration
from storage.errors import NotFound
from tests.fieldpost.conftest import REPO, cli_env, pick_port_offset, run_cli

HOST = "mx.example.test"
DEMO_PASSWORD = "demopass1"
ADMIN_PASSWORD = "adminpass1"
QUEUED_AS = re.compile(r"Ok: queued as (\d+)")


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` every 0.2 s until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def make_demo_data(data: Path) -> Path:
    run_cli(
        "init", "--data", str(data), "--demo", "--admin-password", ADMIN_PASSWORD,
        "--demo-password", DEMO_PASSWORD, "--hostname", HOST, check=True,
    )  # fmt: skip
    return data


def fieldpost(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``fieldpost ARGS... --data D`` in a subprocess, as the operator types it."""
    return run_cli(*args, "--data", str(data), check=check)


class Server:
    """A running Fieldpost process (the SMTP service alone, or the supervisor) and its data directory."""

    def __init__(self, data: Path, offset: int, proc: subprocess.Popen[bytes], out: Path) -> None:
        self.data, self.offset, self.proc, self.out = data, offset, proc, out

    def port(self, listener: str) -> int:
        return configuration.LISTENERS[listener].port + self.offset

    @property
    def cafile(self) -> str:
        return str(self.data / "tls" / "cert.pem")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``fieldpost ARGS... --data D``, as the operator types it."""
        return fieldpost(self.data, *args, check=check)

    def store(self) -> Any:
        """A store on the server's data directory (the test only reads it); close it after use."""
        from storage import open_store

        config = configuration.load(self.data)
        return open_store(config.database_url, config.blob_dir)

    def queued(self) -> dict[int, tuple[Any, bytes]]:
        """Queue id -> (queued message, its raw text), for everything in the queue now."""
        store = self.store()
        found: dict[int, tuple[Any, bytes]] = {}
        try:
            for m in store.queue.list(limit=10_000):
                try:
                    found[m.id] = (m, store.queue.raw(m.id))
                except NotFound:  # finished by the processing service since the listing: not queued now
                    continue
                except FileNotFoundError:
                    # finished since the listing: the listing's snapshot still held the row, and the
                    # delivery unlinked the file after its COMMIT (the message is delivered, not queued)
                    continue
            return found
        finally:
            store.close()

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start(argv: list[str], data: Path, offset: int, name: str) -> Server:
    out = data.parent / f"{name}.out"
    with open(out, "wb") as fh:
        proc = subprocess.Popen(
            argv, cwd=REPO, env=cli_env(), stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT
        )
    return Server(data, offset, proc, out)


def start_smtp_service(data: Path) -> Server:
    """``python -m sidecars.smtp`` as the supervisor starts it; returns once its listeners are up."""
    offset = pick_port_offset()
    argv = [sys.executable, "-m", "sidecars.smtp", "--data", str(data), "--service", "smtp"]
    server = start([*argv, "--port-offset", str(offset)], data, offset, "smtp")
    log = data / "logs" / "smtp.log"
    try:
        wait_for(
            lambda: not server.alive or (log.exists() and "smtp started" in log.read_text()),
            30,
            "the SMTP service to start",
        )
        assert server.alive, server.output()
    except BaseException:
        server.stop()
        raise
    return server


def start_supervisor(data: Path, services: tuple[str, ...] = ("smtp", "processing")) -> Server:
    """``fieldpost serve --data D --port-offset N``; returns once ``fieldpost status --json`` shows
    ``services`` running with their ports held."""
    offset = pick_port_offset()
    argv = [sys.executable, "-m", "fieldpost", "serve", "--data", str(data), "--port-offset", str(offset)]
    server = start(argv, data, offset, "serve")
    try:
        wait_for(lambda: not server.alive or services_up(server, services), 45, f"{services} to run")
        assert server.alive, server.output()
    except BaseException:
        server.stop()
        raise
    return server


def services_up(server: Server, services: tuple[str, ...]) -> bool:
    proc = server.cli("status", "--json", check=False)
    if proc.returncode != 0:
        return False
    info = json.loads(proc.stdout)
    if info["supervisor"]["state"] != "running":
        return False
    for name in services:
        entry = info["services"][name]
        if entry["state"] != "running" or not entry["pid"]:
            return False
        if not all(lst.get("held") for lst in entry["listeners"] if lst["proto"] == "tcp"):
            return False
    return True


@pytest.fixture(scope="session")
def swaks() -> str:
    path = shutil.which("swaks")
    if path is None:
        pytest.skip("swaks is not installed (`make deps` installs the Debian package)")
    return path


def run_swaks(swaks: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """swaks with its whole transcript on stdout (its errors are on stderr, merged in)."""
    return subprocess.run(
        [swaks, "--helo", "client.example.org", *args],
        capture_output=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=timeout,
    )


def queue_ids(transcript: str) -> list[int]:
    """The queue ids of the "250 ... queued as N" replies in a swaks transcript."""
    return [int(n) for n in QUEUED_AS.findall(transcript)]


@pytest.fixture
def fresh_data(tmp_path: Path) -> Path:
    return make_demo_data(tmp_path / "data")


@pytest.fixture(scope="module")
def smtp_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = make_demo_data(tmp_path_factory.mktemp("interop") / "data")
    server = start_smtp_service(data)
    try:
        yield server
    finally:
        assert server.stop() == 0, server.output()
