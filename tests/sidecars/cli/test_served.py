"""The console as an operator meets it: ``fieldpost serve`` runs it as the cli service, ``fieldpost status``
lists it running, and clients talk to it over real sockets — a telnet-like socket with STARTTLS, the
implicit-TLS listener, the supervisor's service commands, and a PHP script written like a provisioning
library (Debian's php-cli; the test is skipped only when php is not installed)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fieldpost import config as configuration
from tests.fieldpost.conftest import REPO, cli_env, pick_port_offset, run_cli
from tests.support.service import init_demo

pytestmark = pytest.mark.slow

HOST = "mail.example.test"
PROMPT = re.compile(rb"(^|\n)<[a-z#-]*> $")
PHP_CLIENT = Path(__file__).with_name("php_client.php")
PREAUTH_IDLE = 4


@dataclass
class Served:
    data: Path
    offset: int

    def port(self, listener: str) -> int:
        return configuration.LISTENERS[listener].port + self.offset

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.data / "tls" / "cert.pem"))


def wait_for(condition: Callable[[], Any], timeout: float = 90.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def status(data: Path) -> dict[str, Any]:
    return json.loads(run_cli("status", "--data", str(data), "--json", check=True).stdout)  # type: ignore[no-any-return]


def connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("cli-served") / "data"
    init_demo(data, HOST)
    # a short wait for a login, so the idle test below is quick (each step of the other tests takes far less)
    run_cli(
        "settings", "set", "net.cli.preauth_idle_seconds", str(PREAUTH_IDLE), "--data", str(data), check=True
    )
    offset = pick_port_offset()
    out = data.parent / "serve.out"
    with open(out, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fieldpost", "serve", "--data", str(data), "--port-offset", str(offset)],
            cwd=REPO,
            env=cli_env(),
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    here = Served(data, offset)
    try:
        wait_for(
            lambda: (
                status(data)["services"]["cli"]["state"] == "running"
                and connects(here.port("cli"))
                and connects(here.port("clis"))
            ),
            what="the cli service and its two ports",
        )
        yield here
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Console:
    """A telnet-like client: send a line, read up to the next prompt."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def read(self) -> str:
        while not PROMPT.search(self.buf):
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed after {self.buf!r}"
            self.buf += chunk
        text, self.buf = self.buf.decode(), b""
        return text

    def line(self) -> str:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed after {self.buf!r}"
            self.buf += chunk
        first, self.buf = self.buf.split(b"\r\n", 1)
        return first.decode()

    def cmd(self, text: str) -> str:
        self.sock.sendall(text.encode() + b"\r\n")
        return self.read()


def test_status_lists_the_cli_service_running(served: Served) -> None:
    entry = status(served.data)["services"]["cli"]
    assert entry["state"] == "running" and entry["pid"]
    assert [(x["name"], x["port"]) for x in entry["listeners"]] == [
        ("cli", served.port("cli")),
        ("clis", served.port("clis")),
    ]
    cmdline = Path(f"/proc/{entry['pid']}/cmdline").read_bytes().split(b"\0")
    assert b"sidecars.cli" in cmdline  # the console itself, not the placeholder
    text = run_cli("status", "--data", str(served.data), check=True).stdout
    assert re.search(
        rf"^cli\s+running\s+{entry['pid']}\s+\d+\s+cli {served.port('cli')}/tcp held", text, re.M
    )


def test_plain_socket_starttls_then_provision(served: Served) -> None:
    raw = socket.create_connection(("127.0.0.1", served.port("cli")), timeout=20)
    console = Console(raw)
    greeting = console.read()
    assert greeting.startswith("+OK: mail.example.test Fieldpost administration console ready. STARTTLS")
    assert greeting.endswith("<login> ")
    assert console.cmd("USER admin").startswith("-ERR: passwords are taken only over TLS")
    raw.sendall(b"STARTTLS\r\n")
    assert console.line() == "+OK: begin TLS negotiation now"
    console.sock = served.tls().wrap_socket(raw, server_hostname="localhost")
    assert console.read() == "<login> "
    assert console.cmd("USER admin") == "<password> "
    assert console.cmd("adminpass1") == "+OK: logged in as admin\r\n<#> "
    assert console.cmd("CREATE DOMAIN name wire.test postmasterPassword wirepass1").endswith("<domain#> ")
    assert console.cmd("COMMIT") == "+OK: domain wire.test created\r\n<#> "
    assert console.cmd("UPDATE DOMAIN name wire.test").endswith("<domain#> ")
    assert console.cmd("ADD ACCOUNT name dora password dorapass1").endswith("<domain-account#> ")
    assert console.cmd("SET quota.storage_bytes 5M").startswith("+OK: quota.storage_bytes = 5M")
    assert console.cmd("COMMIT") == "+OK: account dora@wire.test created\r\n<domain#> "
    console.sock.sendall(b"QUIT\r\n")
    assert console.line() == "+OK: goodbye"
    console.sock.close()
    listed = run_cli("account", "list", "--data", str(served.data), check=True).stdout
    assert "dora@wire.test" in listed


def test_tls_listener_and_service_commands(served: Served) -> None:
    sock = served.tls().wrap_socket(
        socket.create_connection(("127.0.0.1", served.port("clis")), timeout=60), server_hostname="localhost"
    )
    console = Console(sock)
    greeting = console.read()
    assert "STARTTLS" not in greeting and greeting.endswith("<login> ")
    console.cmd("USER admin")
    assert console.cmd("adminpass1").endswith("<#> ")
    listing = console.cmd("LIST SERVICES")
    rows = {line.split()[0]: line.split() for line in listing.split("\r\n")[2:] if line and line[0].isalpha()}
    assert rows["cli"][1] == "running" and rows["smtp"][1] == "running"
    before = status(served.data)["services"]["rpop"]["pid"]
    restarted = console.cmd("RESTART SERVICE name rpop")
    assert restarted.endswith("+OK: restart rpop: running\r\n<#> ")
    assert status(served.data)["services"]["rpop"]["pid"] != before
    assert console.cmd("STOP SERVICE name cli").startswith("-ERR: the console cannot stop its own service")
    assert console.cmd("RESTART SERVICE name nosuch").startswith("-ERR: unknown service: nosuch")
    sock.sendall(b"QUIT\r\n")
    sock.close()


def test_a_silent_client_is_told_and_dropped(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port("cli")), timeout=PREAUTH_IDLE + 20) as sock:
        console = Console(sock)
        assert console.read().endswith("<login> ")
        started = time.monotonic()
        assert console.line() == "-ERR: idle timeout, closing the connection"
        assert PREAUTH_IDLE - 1 <= time.monotonic() - started < PREAUTH_IDLE + 15
        assert sock.recv(100) == b""


@pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is not installed (make deps installs it)")
def test_a_php_script_provisions_a_domain(served: Served) -> None:
    result = subprocess.run(
        ["php", str(PHP_CLIENT), "127.0.0.1", str(served.port("cli")), "admin", "adminpass1"]
        + [str(served.data / "tls" / "cert.pem"), "php.test", "php pm pass"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["created"] is True and answer["saved"] is True
    by_name = {row["name"]: row for row in answer["domains"]}
    assert by_name["php.test"]["status"] == "enabled" and by_name["php.test"]["accounts"] == "1"
    assert by_name["example.test"]["status"] == "enabled"
    listed = run_cli("domain", "list", "--data", str(served.data), check=True).stdout
    assert "php.test" in listed
