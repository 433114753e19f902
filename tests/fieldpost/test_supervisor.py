"""``fieldpost serve`` driven as an operator would: start, status, kill a child, stop/start one, SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldpost import config as configuration
from tests.fieldpost.conftest import REPO, cli_env, port_free, run_cli, storage_ready

pytestmark = pytest.mark.slow


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def status(data: Path) -> dict[str, Any]:
    proc = run_cli("status", "--data", str(data), "--json", check=True)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def tcp_ports(entry: dict[str, Any]) -> list[int]:
    return [listener["port"] for listener in entry["listeners"] if listener["proto"] == "tcp"]


def all_up(data: Path) -> dict[str, Any] | None:
    info = status(data)
    services = info["services"]
    if info["supervisor"]["state"] != "running":
        return None
    if any(entry["state"] != "running" or not entry["pid"] for entry in services.values()):
        return None
    # a child counts as running once spawned; its ports open a moment later, so wait for both
    if not all(listener.get("held", True) for entry in services.values() for listener in entry["listeners"]):
        return None
    if not all(connects(port) for entry in services.values() for port in tcp_ports(entry)):
        return None
    return info


def make_data_dir(data: Path) -> bool:
    """``fieldpost init --demo`` when storage is there; else a bare data directory (supervisor only)."""
    if storage_ready():
        run_cli(
            "init", "--data", str(data), "--demo", "--admin-password", "adminpass1", "--demo-password", "demopass1",
            "--hostname", "mail.example.test", check=True,
        )  # fmt: skip
        return True
    # storage not landed yet: the supervisor does not need the store, so write the config alone
    data.mkdir(parents=True)
    demo = {"accounts": "alice@example.test", "password": "demopass1", "admin_password": "adminpass1"}
    (data / configuration.CONFIG_FILE).write_text(configuration.render("mail.example.test", demo))
    return False


@pytest.fixture
def served(data_dir: Path, port_offset: int) -> Iterator[tuple[subprocess.Popen[str], Path, int]]:
    make_data_dir(data_dir)
    out = data_dir.parent / "serve.out"
    with open(out, "w") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fieldpost",
                "serve",
                "--data",
                str(data_dir),
                "--port-offset",
                str(port_offset),
            ],
            cwd=REPO,
            env=cli_env(),
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    try:
        yield proc, data_dir, port_offset
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_serve_status_restart_stop(served: tuple[subprocess.Popen[str], Path, int]) -> None:
    proc, data, offset = served
    info = wait_for(lambda: all_up(data), what="every service running with its ports open")
    services = info["services"]
    assert list(services) == list(configuration.SERVICES)
    assert tcp_ports(services["imap"]) == [1143 + offset, 1993 + offset, 4190 + offset]
    assert all(
        listener["held"]
        for entry in services.values()
        for listener in entry["listeners"]
        if listener["proto"] == "tcp"
    )

    # the banner: URLs, ports and demo credentials
    banner = (data.parent / "serve.out").read_text()
    assert f"http://127.0.0.1:{8000 + offset}/" in banner
    assert f"http://127.0.0.1:{9000 + offset}/" in banner
    assert f"127.0.0.1:{2525 + offset}/tcp" in banner
    assert re.search(r"alice@example\.test\s+password demopass1", banner)

    # the web service is gunicorn serving the Flask app
    with urllib.request.urlopen(f"http://127.0.0.1:{8000 + offset}/health", timeout=5) as response:
        assert response.status == 200
        assert json.load(response) == {"status": "ok"}

    # pop3 is a real service now (issue 13): it greets on its plain port, as `fieldpost status` lists it
    assert services["pop3"]["state"] == "running"
    with socket.create_connection(("127.0.0.1", 1110 + offset), timeout=5) as pop:
        assert pop.recv(200).startswith(b"+OK ")
    # so is the FTP backup service (issue 13)
    assert services["ftp"]["state"] == "running"
    with socket.create_connection(("127.0.0.1", 2121 + offset), timeout=5) as ftp:
        assert ftp.recv(200).startswith(b"220 ")

    # a second supervisor on the same data directory is refused
    second = run_cli("serve", "--data", str(data), "--port-offset", str(offset))
    assert second.returncode == 1
    assert second.stderr.strip().startswith("fieldpost: error: already running")

    # a child killed outright comes back by itself
    old_pid = services["imap"]["pid"]
    os.kill(old_pid, signal.SIGKILL)
    restarted = wait_for(
        lambda: (s := status(data)["services"]["imap"])["state"] == "running" and s["pid"] != old_pid and s,
        what="imap restarted",
    )
    assert restarted["restarts"] == 1
    wait_for(lambda: connects(1143 + offset), what="imap port held again")

    # one service stopped and started alone
    stop = run_cli("service", "stop", "imap", "--data", str(data), check=True)
    assert "imap: stopped" in stop.stdout
    stopped = status(data)["services"]["imap"]
    assert stopped["state"] == "stopped" and stopped["pid"] is None
    assert not connects(1143 + offset)
    time.sleep(1.5)  # a stopped service is not restarted
    assert status(data)["services"]["imap"]["state"] == "stopped"
    run_cli("service", "start", "imap", "--data", str(data), check=True)
    wait_for(lambda: connects(1143 + offset), what="imap started again")
    pids = {name: entry["pid"] for name, entry in status(data)["services"].items()}
    assert all(pids.values())

    # SIGTERM: every child stops, the ports are free, the run files are gone
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    for pid in pids.values():
        assert not _alive(pid), pid
    for spec in configuration.LISTENERS.values():
        assert port_free(spec.port + offset, spec.proto), spec
    assert not (data / "run" / "supervisor.pid").exists()
    after = status(data)
    assert after["supervisor"]["state"] == "stopped"
    assert {entry["state"] for entry in after["services"].values()} == {"stopped"}


def test_service_command_without_a_supervisor(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / configuration.CONFIG_FILE).write_text(configuration.render("localhost"))
    proc = run_cli("service", "restart", "imap", "--data", str(data_dir))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("fieldpost: error: the supervisor is not running")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
