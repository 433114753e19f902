"""Under ``fieldpost serve`` the services send their records to the log service, which writes them.

Proof that a line went through the log service: a second rule copies every record into ``all.log``,
a file only the log service writes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fieldpost.conftest import REPO, cli_env, run_cli
from tests.fieldpost.test_supervisor import all_up, status, wait_for

pytestmark = pytest.mark.slow

RULES = '\n[[logging.rules]]\ntarget = "file"\n\n[[logging.rules]]\ntarget = "file:all.log"\n'


@pytest.fixture
def serving(data_dir: Path, port_offset: int) -> Iterator[tuple[Path, int]]:
    run_cli(
        "init", "--data", str(data_dir), "--demo", "--admin-password", "adminpass1",
        "--demo-password", "demopass1", "--hostname", "mail.example.test", check=True,
    )  # fmt: skip
    with open(data_dir / "fieldpost.toml", "a") as config:
        config.write(RULES)
    out = open(data_dir.parent / "serve.out", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "fieldpost", "serve", "--data", str(data_dir), "--port-offset", str(port_offset)],
        cwd=REPO, env=cli_env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: all_up(data_dir), what="every service running")
        yield data_dir, port_offset
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


def accept_line(port: int) -> str:
    """Open and close an IMAP connection; the accept line names the local port."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.recv(1024)
        return f"connection accepted from [127.0.0.1]:{conn.getsockname()[1]} "


def test_service_records_go_through_the_log_service(serving: tuple[Path, int]) -> None:
    data, offset = serving
    everything = data / "logs" / "all.log"
    wait_for(lambda: everything.exists() and " SMTP:" in everything.read_text(), 20, "smtp lines in all.log")
    wait_for(lambda: " IMAP:" in everything.read_text(), 20, "imap lines in all.log")
    expected = accept_line(1143 + offset)
    wait_for(lambda: expected in everything.read_text(), 20, "the accept line in all.log")
    # the per-service file of the first rule gets the same line
    assert expected in (data / "logs" / "imap.log").read_text()


def test_records_sent_while_the_log_service_restarts_are_not_lost(serving: tuple[Path, int]) -> None:
    data, offset = serving
    everything = data / "logs" / "all.log"
    old = status(data)["services"]["logd"]["pid"]
    os.kill(old, signal.SIGKILL)
    expected = accept_line(1143 + offset)  # logged while no log service runs
    wait_for(
        lambda: (s := status(data)["services"]["logd"])["state"] == "running" and s["pid"] != old,
        30,
        "logd restarted",
    )
    wait_for(lambda: expected in everything.read_text(), 20, "the line sent during the restart")
