"""SMTP benchmark: messages per second accepted and delivered, Fieldpost beside two peers, in one run.

    .venv/bin/python bench/smtp.py [--quick] [--messages N] [--rcpt-10-messages N]

The load: 4 KB messages, distinct content each, 20 concurrent senders (threads of this process with
smtplib, each keeping its one connection and sending message after message), 1 recipient per message
(rotated over 10 accounts) and 10 recipients per message. Servers measured (see bench/README.md):

* Fieldpost, started with ``fieldpost serve --data D --port-offset N`` (services limited to smtp and
  processing in the data directory's fieldpost.toml): "250" after the queued message is durable, then
  the processing service runs the filter chain and delivers into the mailboxes. *Accepted* counts 250
  replies; *delivered* counts messages whose copies are visible in every recipient's INBOX (polled
  through the store every 20 ms), over the wall time from the first send to the last delivery.
* aiosmtpd (``aiosmtpd==1.4.6``, the server written below, run as its own process): each message is
  written to a new file and fsync'd before "250"; twice: with the write and fsync inline in the event
  loop (the minimal server), and in the loop's thread pool (fsyncs of concurrent sessions overlap). It
  has no queue and no mailboxes, so for it delivered = accepted.
* Postfix's ``smtp-sink`` if it is installed (it is not installed by this script): answers and discards,
  the protocol bound.

Ratios are ours / peer for rates and peer / ours for latencies, so > 1 means Fieldpost is better.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import shutil
import signal
import smtplib
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import fmt, print_table  # noqa: E402

SENDERS = 20
SIZE = 4096
DOMAIN = "bench.test"
ACCOUNTS = [f"user{i:02d}@{DOMAIN}" for i in range(10)]
PASSWORD = "benchpass1"
SENDER = "sender@far.example.org"
WARMUP = 40  # messages sent to each server before it is measured
DELIVERY_TIMEOUT = 600.0
FILLER = (
    "Quarterly planning notes: the budget review moved to Thursday, the release train leaves on time, "
    "and the printer on the third floor still needs toner. Regards from the benchmark.\r\n"
)


# -- the load -----------------------------------------------------------------------------------------


def make_message(n: int, recipients: list[str]) -> bytes:
    head = (
        f"From: Bench Sender <{SENDER}>\r\nTo: {', '.join(recipients)}\r\nSubject: bench message {n}\r\n"
        f"Message-ID: <{n}.{random.randrange(10**12)}@bench.example.org>\r\n"
        "Date: Mon, 6 Jan 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    body = f"Message {n}.\r\n"
    while len(head) + len(body) + len(FILLER) <= SIZE:
        body += FILLER
    return (head + body + "x" * (SIZE - len(head) - len(body) - 2) + "\r\n").encode()


def recipients_for(n: int, rcpts: int) -> list[str]:
    return [ACCOUNTS[n % len(ACCOUNTS)]] if rcpts == 1 else ACCOUNTS[:rcpts]


@dataclass
class Outcome:
    started: float = 0.0  # perf_counter when the senders were released
    last_ack: float = 0.0
    accepted: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds per sendmail() call


def run_load(
    port: int, n: int, rcpts: int, first: int = 0, watch: Callable[[float], float] | None = None
) -> tuple[Outcome, float]:
    """Send messages first..first+n-1 with SENDERS connections; returns the outcome and the end time
    (``watch(started)`` when given: the time the last message was delivered; else the last 250)."""
    messages = [(first + i, make_message(first + i, recipients_for(first + i, rcpts))) for i in range(n)]
    out = Outcome()
    lock = threading.Lock()
    next_index = [0]
    barrier = threading.Barrier(SENDERS + 1)

    def sender() -> None:
        try:
            smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="client.bench.example.org", timeout=60)
            smtp.ehlo()
        except (OSError, smtplib.SMTPException) as exc:
            with lock:
                out.failures.append(f"connect: {exc!r}")
            barrier.abort()
            return
        try:
            barrier.wait()
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= n:
                    break
                number, raw = messages[i]
                t = time.perf_counter()
                try:
                    smtp.sendmail(SENDER, recipients_for(number, rcpts), raw)
                except (OSError, smtplib.SMTPException) as exc:
                    with lock:
                        out.failures.append(f"message {number}: {exc!r}")
                    if isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
                        return
                    continue
                done = time.perf_counter()
                with lock:
                    out.accepted += 1
                    out.last_ack = max(out.last_ack, done)
                    out.latencies.append(done - t)
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()
    out.started = time.perf_counter()
    end = watch(out.started) if watch is not None else 0.0
    for t in threads:
        t.join()
    return out, (end or out.last_ack)


# -- Fieldpost ------------------------------------------------------------------------------------------


def free_offset() -> int:
    from fieldpost import config as configuration

    def free(port: int, proto: str) -> bool:
        kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    for _ in range(100):
        offset = 20000 + random.randrange(0, 26000)
        if all(free(spec.port + offset, spec.proto) for spec in configuration.LISTENERS.values()):
            return offset
    raise RuntimeError("no free port offset")


def wait_smtp(port: int, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                if smtp.noop()[0] == 250:
                    return
        except (OSError, smtplib.SMTPException):
            time.sleep(0.2)
    raise RuntimeError(f"no SMTP server on port {port} after {seconds:.0f} s")


def cli(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "fieldpost", *args],
        cwd=ROOT,
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "FIELDPOST_DATA"},
    )


class Fieldpost:
    def __init__(
        self, work: Path, workers: int = 0, services: tuple[str, ...] = ("smtp", "processing")
    ) -> None:
        from fieldpost import config as configuration
        from storage import open_store

        self.data = work / "fieldpost"
        cli(
            "init", "--data", str(self.data), "--admin-password", "benchadmin1", "--hostname", "mx.bench.test"
        )
        toml = self.data / "fieldpost.toml"
        lines = toml.read_text().splitlines()
        listed = ", ".join(f'"{name}"' for name in services)
        lines = [f"services = [{listed}]" if ln.startswith("services =") else ln for ln in lines]
        if workers:  # else the default pool: one smtp worker per CPU
            lines += ["[workers]", f"smtp = {workers}"]
        toml.write_text("\n".join(lines) + "\n")
        self.config = configuration.load(self.data)
        self.store = open_store(self.config.database_url, self.config.blob_dir)
        self.store.domains.add(DOMAIN)
        for address in ACCOUNTS:
            self.store.accounts.add(address, PASSWORD)
        self.offset = free_offset()
        self.port = configuration.LISTENERS["smtp"].port + self.offset
        self.log = open(work / "serve.out", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fieldpost", "serve", "--data", str(self.data)]
            + ["--port-offset", str(self.offset)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if k != "FIELDPOST_DATA"},
        )
        wait_smtp(self.port, 60, self.proc)

    def delivered(self) -> int:
        """Messages in the bench accounts' INBOXes (one per recipient copy)."""
        return sum(self.store.folders.get(a, "INBOX").message_count for a in ACCOUNTS)

    def queued(self) -> int:
        return int(self.store.stats()["queued"])

    def wait_idle(self, seconds: float = DELIVERY_TIMEOUT) -> None:
        deadline = time.monotonic() + seconds
        while self.queued() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.queued():
            raise RuntimeError(f"queue not empty after {seconds:.0f} s: {self.queue_errors()}")

    def queue_errors(self) -> list[str]:
        return [f"{m.id} {m.state}: {m.last_error}" for m in self.store.queue.list(limit=5)]

    def watcher(self, target: int) -> Callable[[float], float]:
        def watch(started: float) -> float:
            deadline = started + DELIVERY_TIMEOUT
            while time.perf_counter() < deadline:
                if self.delivered() >= target:
                    return time.perf_counter()
                time.sleep(0.02)
            raise RuntimeError(f"only {self.delivered()} of {target} copies delivered: {self.queue_errors()}")

        return watch

    def close(self) -> None:
        self.store.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# -- the aiosmtpd peer ------------------------------------------------------------------------------------


def serve_aiosmtpd(port: int, directory: Path, pool: bool) -> int:
    """The Python peer: store each message in a new file, fsync it, then answer 250."""
    from aiosmtpd.smtp import SMTP

    directory.mkdir(parents=True, exist_ok=True)
    counter = [0]

    def write(name: str, sender: str, rcpts: list[str], content: bytes) -> None:
        with open(directory / name, "wb") as f:
            f.write(f"X-Envelope: <{sender}> {' '.join(rcpts)}\r\n".encode() + content)
            f.flush()
            os.fsync(f.fileno())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            counter[0] += 1
            args = (f"{counter[0]}.eml", envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            if pool:
                await asyncio.get_running_loop().run_in_executor(None, write, *args)
            else:
                write(*args)
            return "250 2.0.0 Ok: queued"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        handler = Handler()
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="peer.bench.test"), "127.0.0.1", port, backlog=128
        )
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        server.close()

    asyncio.run(main())
    return 0


class Peer:
    """A peer server process (aiosmtpd from this script, or smtp-sink)."""

    def __init__(self, argv: list[str], port: int, directory: Path | None = None) -> None:
        self.port, self.directory = port, directory
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_smtp(port, 30, self.proc)

    def stored(self) -> int:
        return len(os.listdir(self.directory)) if self.directory else 0

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- figures ----------------------------------------------------------------------------------------------


@dataclass
class Figures:
    accepted: float  # msg/s
    delivered: float  # msg/s
    p50_ms: float
    p99_ms: float
    failures: int

    def __str__(self) -> str:
        return (
            f"accepted {fmt(self.accepted)} msg/s, delivered {fmt(self.delivered)} msg/s, "
            f"250 p50 {fmt(self.p50_ms)} ms, p99 {fmt(self.p99_ms)} ms, failed sends {self.failures}"
        )


def figures(n: int, out: Outcome, end: float) -> Figures:
    lat = sorted(out.latencies) or [0.0]
    return Figures(
        accepted=out.accepted / max(out.last_ack - out.started, 1e-9),
        delivered=out.accepted / max(end - out.started, 1e-9),
        p50_ms=statistics.median(lat) * 1000,
        p99_ms=lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        failures=len(out.failures),
    )


# -- main -------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer messages (400 and 100)")
    parser.add_argument("--messages", type=int, help="messages with 1 recipient (default 2000, quick 400)")
    parser.add_argument(
        "--rcpt-10-messages", type=int, help="messages with 10 recipients (default 500, quick 100)"
    )
    parser.add_argument("--workdir", help="where to put the data (default: a temporary directory)")
    parser.add_argument("--workers", type=int, default=0, help="smtp worker processes (default: one per CPU)")
    parser.add_argument("--no-peers", action="store_true", help="measure Fieldpost only")
    parser.add_argument("--serve-aiosmtpd", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--peer-dir", help=argparse.SUPPRESS)
    parser.add_argument("--pool", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_aiosmtpd:
        return serve_aiosmtpd(args.serve_aiosmtpd, Path(args.peer_dir), args.pool)

    loads = [
        (1, args.messages or (400 if args.quick else 2000)),
        (10, args.rcpt_10_messages or (100 if args.quick else 500)),
    ]
    work = Path(tempfile.mkdtemp(prefix="fp-bench-smtp-", dir=args.workdir))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sink = shutil.which("smtp-sink")
    started = time.perf_counter()
    print(
        f"Fieldpost SMTP benchmark ({'quick' if args.quick else 'full'}): {SENDERS} senders, {SIZE} B messages; "
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.node()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; data in {work}; smtp workers "
        f"{args.workers or os.cpu_count()}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: dict[tuple[str, int], Figures] = {}
    number = 0
    try:
        fp = Fieldpost(work, args.workers)
        try:
            for rcpts, n in loads:
                run_load(fp.port, WARMUP, rcpts, first=10**6 + number)
                number += WARMUP
                fp.wait_idle()
                base = fp.delivered()
                out, end = run_load(fp.port, n, rcpts, first=number, watch=fp.watcher(base + n * rcpts))
                number += n
                results[("Fieldpost", rcpts)] = figures(n, out, end)
                fp.wait_idle()
                print(f"  Fieldpost, {rcpts} rcpt: {results[('Fieldpost', rcpts)]}", flush=True)
        finally:
            fp.close()
        peers: list[tuple[str, Callable[[int, Path], Peer]]] = [
            (
                "aiosmtpd inline fsync",
                lambda port, d: Peer(
                    [sys.executable, __file__, "--serve-aiosmtpd", str(port), "--peer-dir", str(d)], port, d
                ),
            ),
            (
                "aiosmtpd pool fsync",
                lambda port, d: Peer(
                    [sys.executable, __file__, "--serve-aiosmtpd", str(port), "--peer-dir", str(d), "--pool"],
                    port,
                    d,
                ),
            ),
        ]
        if args.no_peers:
            peers = []
        elif sink:
            peers.append(("smtp-sink", lambda port, d: Peer([sink, "-c", f"127.0.0.1:{port}", "256"], port)))
        for name, start in peers:
            for rcpts, n in loads:
                directory = work / f"{name.replace(' ', '-')}-{rcpts}"
                peer = start(free_port(), directory)
                try:
                    run_load(peer.port, WARMUP, rcpts, first=10**6 + number)
                    number += WARMUP
                    out, end = run_load(peer.port, n, rcpts, first=number)
                    number += n
                    results[(name, rcpts)] = figures(n, out, end)
                    if peer.directory is not None and peer.stored() != n + WARMUP:
                        raise RuntimeError(f"{name}: {peer.stored()} files for {n + WARMUP} messages")
                    print(f"  {name}, {rcpts} rcpt: {results[(name, rcpts)]}", flush=True)
                finally:
                    peer.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    names = (
        []
        if args.no_peers
        else ["aiosmtpd inline fsync", "aiosmtpd pool fsync"] + (["smtp-sink"] if sink else [])
    )
    head = ["measure", "Fieldpost"]
    for name in names:
        head += [name, "ratio"]
    rows: list[list[str]] = []
    for rcpts, n in loads:
        ours = results[("Fieldpost", rcpts)]
        for label, attr, unit, higher in (
            ("accepted", "accepted", "msg/s", True),
            ("accepted+delivered", "delivered", "msg/s", True),
            ("250 latency p50", "p50_ms", "ms", False),
            ("250 latency p99", "p99_ms", "ms", False),
        ):
            mine = getattr(ours, attr)
            row = [f"{rcpts} rcpt x 4 KB (n={n}), {label}", f"{fmt(mine)} {unit}"]
            for name in names:
                theirs = getattr(results[(name, rcpts)], attr)
                ratio = (mine / theirs) if higher else (theirs / mine)
                row += [f"{fmt(theirs)} {unit}", f"{ratio:.2f}x"]
            rows.append(row)
    failures = {f"{k[0]}/{k[1]} rcpt": v.failures for k, v in results.items() if v.failures}
    print()
    print(f"Fieldpost vs peers ({'quick' if args.quick else 'full'}; ratio > 1: Fieldpost better)")
    if not sink:
        print("smtp-sink (Postfix) is not installed: no protocol-bound row")
    print_table(head, rows)
    if failures:
        print(f"failed sends: {failures}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
