"""Issue 10, the process model: ``fieldpost serve`` runs imap and smtp as pools of worker processes on
listening sockets the supervisor holds, supervises each worker alone and restarts a pool one worker at a
time. Everything goes through real processes and sockets, as a client and an operator see them."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fieldpost.conftest import REPO, cli_env, pick_port_offset, run_cli
from tests.fieldpost.test_supervisor import all_up, make_data_dir, status, wait_for
from tests.sidecars.imap.conftest import Raw, plain

pytestmark = pytest.mark.slow

WORKERS = 2
USER, PASSWORD = "alice@example.test", "demopass1"


@dataclass
class Served:
    data: Path
    offset: int

    def port(self, base: int) -> int:
        return base + self.offset

    def workers(self, service: str) -> list[dict[str, Any]]:
        return status(self.data)["services"][service]["workers"]  # type: ignore[no-any-return]

    def pids(self, service: str) -> list[int]:
        return [worker["pid"] for worker in self.workers(service)]

    def login(self) -> tuple[Raw, int]:
        """A logged-in implicit-TLS IMAP connection and the number of the worker serving it."""
        sock = socket.create_connection(("127.0.0.1", self.port(1993)), timeout=20)
        local_port = sock.getsockname()[1]
        context = ssl.create_default_context(cafile=str(self.data / "tls" / "cert.pem"))
        conn = Raw(context.wrap_socket(sock, server_hostname="localhost"))
        conn.greeting = conn.read_line()
        assert conn.command(f'LOGIN "{USER}" "{PASSWORD}"').ok
        return conn, self.worker_of(local_port)

    def worker_of(self, local_port: int) -> int:
        """Which worker accepted the connection from ``local_port``: the top byte of its session id."""
        pattern = re.compile(
            rf"IMAP:([0-9a-f]{{2}})[0-9a-f]{{6}}: connection accepted from \[127\.0\.0\.1\]:{local_port} "
        )
        log = self.data / "logs" / "imap.log"
        found = wait_for(lambda: pattern.search(log.read_text()), timeout=10, what="the accept line")
        return int(found.group(1), 16)

    def pair_on_two_workers(self) -> tuple[Raw, Raw]:
        """Two logged-in connections served by different workers (the kernel picks; try until it has)."""
        seen: dict[int, Raw] = {}
        spare: list[Raw] = []
        for _ in range(40):
            conn, worker = self.login()
            if worker in seen:
                spare.append(conn)
            else:
                seen[worker] = conn
            if len(seen) == 2:
                break
        for conn in spare:
            conn.close()
        assert len(seen) == 2, f"every connection went to worker {list(seen)}"
        first, second = seen.values()
        return first, second


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("pools") / "data"
    if not make_data_dir(data):
        pytest.skip("storage is not there yet")
    toml = data / "fieldpost.toml"
    text = re.sub(r"(?m)^services = .*$", 'services = ["smtp", "processing", "imap"]', toml.read_text())
    toml.write_text(
        text + f"\n[workers]\nimap = {WORKERS}\nsmtp = {WORKERS}\n\n[supervisor]\nliveness_seconds = 5\n"
    )
    offset = pick_port_offset()
    with open(data.parent / "serve.out", "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fieldpost", "serve", "--data", str(data), "--port-offset", str(offset)],
            cwd=REPO, env=cli_env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        wait_for(lambda: all_up(data) and _all_workers_beating(data), timeout=90, what="every worker up")
        yield Served(data, offset)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=40) == 0
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _all_workers_beating(data: Path) -> bool:
    """Every pool worker running and past its start (it writes its heartbeat once it accepts)."""
    services = status(data)["services"]
    for name in ("imap", "smtp"):
        for worker in services[name]["workers"]:
            beat = data / "run" / f"{name}.{worker['worker']}.heartbeat"
            if (
                worker["state"] != "running"
                or not beat.exists()
                or str(worker["pid"]) not in beat.read_text()
            ):
                return False
    return True


@dataclass
class Callers:
    """Client threads that connect, read the greeting and hang up, over and over."""

    port: int
    greeting: bytes
    refused: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    greeted: list[float] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def call(self) -> None:
        while not self.done.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
                    line = sock.recv(200)
            except ConnectionRefusedError as exc:
                self.refused.append(repr(exc))
                continue
            except OSError as exc:
                self.lost.append(repr(exc))
                continue
            if line.startswith(self.greeting):
                self.greeted.append(time.monotonic())
            else:
                self.lost.append(repr(line))

    def __enter__(self) -> Callers:
        self.threads = [threading.Thread(target=self.call, daemon=True) for _ in range(3)]
        for thread in self.threads:
            thread.start()
        wait_for(lambda: len(self.greeted) >= 3, timeout=30, what="greetings before")
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(40)

    def greeted_after(self, moment: float, count: int = 3) -> Callable[[], bool]:
        return lambda: sum(t > moment for t in self.greeted) >= count


def test_status_shows_every_worker(served: Served) -> None:
    for name in ("imap", "smtp"):
        workers = served.workers(name)
        assert [w["worker"] for w in workers] == [1, 2]
        assert all(w["state"] == "running" and w["restarts"] == 0 and w["started_at"] for w in workers)
        assert len({w["pid"] for w in workers}) == WORKERS
    text = run_cli("status", "--data", str(served.data), check=True).stdout
    for name in ("imap", "smtp"):
        for worker in served.workers(name):
            assert re.search(
                rf"(?m)^  {name}\.{worker['worker']}\s+running\s+{worker['pid']}\s+0\s+since ", text
            )


def test_killing_one_imap_worker_refuses_nothing(served: Served) -> None:
    before = served.pids("imap")
    with Callers(served.port(1143), b"* OK") as callers:
        os.kill(before[0], signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: served.pids("imap")[0] not in (None, before[0]), timeout=60, what="imap.1 restarted")
        replaced_at = time.monotonic()
        wait_for(callers.greeted_after(replaced_at), timeout=30, what="greetings after the restart")
    after = served.workers("imap")
    assert after[0]["restarts"] == 1 and after[1]["restarts"] == 0
    assert after[1]["pid"] == before[1]  # the other worker was left alone...
    assert any(killed_at < t < replaced_at for t in callers.greeted)  # ...and answered meanwhile
    assert callers.refused == []
    assert len(callers.lost) <= len(callers.threads), callers.lost  # accepted by the killed worker at most
    log = (served.data / "logs" / "supervisor.log").read_text()
    assert f"imap.1 exited (code {-signal.SIGKILL})" in log
    assert f"started imap.1 (pid {after[0]['pid']})" in log


def test_rolling_restart_keeps_answering(served: Served) -> None:
    wait_for(lambda: _all_workers_beating(served.data), timeout=60, what="every worker up")
    before = served.pids("imap")
    with Callers(served.port(1143), b"* OK") as callers:
        started = time.monotonic()
        reply = run_cli("service", "restart", "imap", "--data", str(served.data), check=True, timeout=120)
        wait_for(callers.greeted_after(time.monotonic()), timeout=30, what="greetings after the restart")
    after = served.pids("imap")
    assert reply.stdout.strip() == f"imap: running (pid {after[0]}, {after[1]})"
    assert set(after).isdisjoint(before) and None not in after
    assert not any(_alive(pid) for pid in before)
    assert callers.refused == [] and callers.lost == []
    assert len([t for t in callers.greeted if t > started]) >= 3
    log = (served.data / "logs" / "supervisor.log").read_text()
    # one at a time: the second replacement starts only once the first worker was replaced
    order = [log.index(f"imap.{n} replaced: pid {after[n - 1]} serves") for n in (1, 2)]
    assert (
        order[0]
        < log.index("started imap.2 replacement")
        < order[1]
        < log.index("rolling restart of imap done")
    )


def test_idle_sees_what_another_worker_and_smtp_bring(served: Served) -> None:
    """RFC 2177: the IDLE session is told of new messages, whichever process stored them."""
    idler, other = served.pair_on_two_workers()
    try:
        selected = idler.select("INBOX").untagged
        (exists,) = [int(m.group(1)) for line in selected if (m := re.fullmatch(rb"\* (\d+) EXISTS", line))]
        idler.send(b"I1 IDLE\r\n")
        assert idler.read_line().startswith(b"+ ")
        assert other.append("INBOX", plain("appended by the other worker")).ok
        assert _next_exists(idler) == exists + 1
        _send_mail(served.port(2525), "delivered by smtp")
        assert _next_exists(idler) == exists + 2
        idler.send(b"DONE\r\n")
        assert idler.until_tagged("I1").ok
    finally:
        idler.close()
        other.close()


def _next_exists(conn: Raw) -> int:
    """The next EXISTS count the server sends (RECENT may come along; nothing else is expected)."""
    while True:
        line = conn.read_line()
        if match := re.fullmatch(rb"\* (\d+) EXISTS", line):
            return int(match.group(1))
        assert re.fullmatch(rb"\* \d+ RECENT", line), line


def test_recent_in_exactly_one_session_across_workers(served: Served) -> None:
    """RFC 3501 2.3.2: a new message is \\Recent in one session only, whichever worker serves it."""
    first, second = served.pair_on_two_workers()
    try:
        folder = f"R{os.getpid()}{int(time.monotonic() * 1000) % 100000}"
        assert first.command(f"CREATE {folder}").ok
        for n in range(3):
            second.append(folder, plain(f"before {n}"))
        counts = [_recent(first.select(folder).untagged), _recent(second.select(folder).untagged)]
        assert counts == [3, 0]  # the first to select got them; the other worker's session did not
        assert second.command("SEARCH RECENT").named("SEARCH") == [b"* SEARCH"]
        appended = second.append(folder, plain("while both are selected")).untagged  # may carry EXISTS
        if b"* 4 EXISTS" not in appended:
            appended += second.noop_until(lambda lines: b"* 4 EXISTS" in lines).untagged
        told = first.noop_until(lambda lines: b"* 4 EXISTS" in lines).untagged
        assert [_recent(told), _recent(appended)] in ([4, 0], [3, 1])  # exactly one of them gained it
    finally:
        first.close()
        second.close()


def _recent(lines: list[bytes]) -> int:
    found = [int(m.group(1)) for line in lines if (m := re.fullmatch(rb"\* (\d+) RECENT", line))]
    assert found, lines
    return found[-1]


def _send_mail(port: int, subject: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        reader = sock.makefile("rb")

        def expect(code: bytes) -> None:
            while (line := reader.readline()).startswith(code + b"-"):
                pass
            assert line.startswith(code + b" "), line

        expect(b"220")
        for command, code in (
            (b"EHLO client.example.test", b"250"),
            (b"MAIL FROM:<sender@example.net>", b"250"),
            (f"RCPT TO:<{USER}>".encode(), b"250"),
            (b"DATA", b"354"),
        ):
            sock.sendall(command + b"\r\n")
            expect(code)
        sock.sendall(plain(subject).replace(b"\r\n.", b"\r\n..") + b".\r\n")
        expect(b"250")
        sock.sendall(b"QUIT\r\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_status_json_lists_workers_of_single_process_services_too(served: Served) -> None:
    info = json.loads(run_cli("status", "--data", str(served.data), "--json", check=True).stdout)
    (only,) = info["services"]["processing"]["workers"]
    assert only["worker"] == 0 and only["pid"] == info["services"]["processing"]["pid"]
