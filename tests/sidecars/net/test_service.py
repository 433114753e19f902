"""run_service as a real process on an initialised data directory: binds from the configuration, logs,
applies settings changes live, refuses a second copy on the same ports, stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fieldpost.conftest import REPO, cli_env, pick_port_offset, port_free, run_cli
from tests.sidecars.net.serving import at_eof, connect, read_line, wait_for

pytestmark = pytest.mark.slow


def connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start_service(data: Path, offset: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sidecars.net.echo_service", "--data", str(data), "--service", "smtp"]
        + ["--port-offset", str(offset)],
        cwd=REPO,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def running(data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, int]]:
    run_cli(
        "init",
        "--data",
        str(data_dir),
        "--admin-password",
        "adminpass1",
        "--hostname",
        "mx.example.test",
        check=True,
    )
    offset = pick_port_offset()
    proc = start_service(data_dir, offset)
    try:
        log = data_dir / "logs" / "smtp.log"
        wait_for(lambda: proc.poll() is not None or (log.exists() and "smtp started" in log.read_text()), 30)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        yield proc, data_dir, offset
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_serves_configured_listeners_and_stops_on_sigterm(
    running: tuple[subprocess.Popen[bytes], Path, int],
) -> None:
    proc, data, offset = running
    log = data / "logs" / "smtp.log"
    with connect(2525 + offset) as sock:
        assert read_line(sock) == b"hello 00000001 smtp\r\n"
    tls = ssl.create_default_context(cafile=str(data / "tls" / "cert.pem"))
    with tls.wrap_socket(connect(2465 + offset), server_hostname="mx.example.test") as sock:
        assert read_line(sock) == b"hello 00000002 submissions\r\n"  # type: ignore[arg-type]
    assert not connects(2587 + offset)  # a listener the service does not serve is not bound
    text = log.read_text()
    assert f"SMTP:00000000: listening on [127.0.0.1]:{2525 + offset} (smtp)" in text
    assert "SMTP:00000000: smtp started (2 listeners)" in text
    assert "SMTP:00000001: connection accepted from [127.0.0.1]:" in text

    # a second copy cannot bind and says so
    second = start_service(data, offset)
    assert second.wait(timeout=30) == 1
    assert "cannot bind its listeners" in log.read_text()

    with connect(2525 + offset) as open_session:
        read_line(open_session)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert at_eof(open_session)
    assert port_free(2525 + offset) and port_free(2465 + offset)
    assert "smtp stopped" in log.read_text()


def test_settings_apply_without_a_restart(running: tuple[subprocess.Popen[bytes], Path, int]) -> None:
    _, data, offset = running
    run_cli(
        "settings", "set", "net.smtp.deny_rules", "127.0.0.0/8@20, nonsense", "--data", str(data), check=True
    )

    def refused() -> bool:
        with connect(2525 + offset) as sock:
            return read_line(sock) == b"421 mx.example.test access denied\r\n"

    wait_for(refused, timeout=15)
    log = (data / "logs" / "smtp.log").read_text()
    assert "listener settings reloaded" in log
    assert "listener rule ignored" in log and "nonsense" in log
    # an allow rule of the same priority lets the address back in
    run_cli("settings", "set", "net.smtp.allow_rules", "127.0.0.1@20", "--data", str(data), check=True)
    wait_for(lambda: read_line(connect(2525 + offset)).startswith(b"hello "), timeout=15)
