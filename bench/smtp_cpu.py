"""The SMTP session's cost per accepted message, in CPU time and SQL statements (issue 10).

Wall-clock rates on a machine shared by several jobs are noise; the CPU a server spends per message
and the statements it runs are not (much). Two measurements, 1 and 10 recipients each:

* **server**: ``fieldpost serve`` with only the smtp service (pool of ``--workers``, default 2), the
  load of bench/smtp.py (4 KB messages, 20 kept smtplib connections, 40 warm-up messages); the
  utime+stime of the smtp worker processes (``/proc/PID/stat``) before and after N messages, divided
  by N. Sockets, the hub, the committer thread and the blob writes are all in it.
* **session**: one ``SmtpSession`` driven sans-IO in this process (no sockets, no gevent) over a store
  seeded like the server's, one message after another: ``time.process_time`` per message and the SQL
  statements the store's engines ran per message (SQLAlchemy's ``before_cursor_execute``, the
  committer's engine included; BEGIN/COMMIT are not statements there), and the fsyncs per message:
  Python's ``os.fsync`` calls (the blob's file and directories) plus one per committed write
  transaction (SQLite's WAL fsync at COMMIT with ``synchronous=FULL``, made in C).

    .venv/bin/python bench/smtp_cpu.py                 # 400 x 1 rcpt, 100 x 10 rcpt, both measurements
    .venv/bin/python bench/smtp_cpu.py --only session --profile 20   # plus cProfile's top 20 (session)
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.smtp import (  # noqa: E402
    ACCOUNTS,
    DOMAIN,
    PASSWORD,
    SENDER,
    WARMUP,
    Fieldpost,
    make_message,
    recipients_for,
    run_load,
)

TICKS = os.sysconf("SC_CLK_TCK")


def worker_cpu(supervisor: int, service: str = "smtp") -> float:
    """Seconds of CPU (user + system) used so far by the supervisor's ``service`` workers."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) != supervisor or b"--service" not in argv:
            continue
        if argv[argv.index(b"--service") + 1] == service.encode():
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def server_run(work: Path, workers: int, plan: list[tuple[int, int]]) -> list[tuple[int, int, float]]:
    """(recipients, messages, CPU ms per message) per step of ``plan``, over one server."""
    server = Fieldpost(work, workers, services=("smtp",))
    try:
        first = 0
        run_load(server.port, WARMUP, 1, first)
        first += WARMUP
        results = []
        for rcpts, n in plan:
            before = worker_cpu(server.proc.pid)
            out, _ = run_load(server.port, n, rcpts, first)
            first += n
            if out.failures:
                raise RuntimeError(f"{len(out.failures)} failures, first: {out.failures[0]}")
            time.sleep(0.5)  # the last replies' bookkeeping
            results.append((rcpts, n, 1000 * (worker_cpu(server.proc.pid) - before) / n))
        return results
    finally:
        server.close()


class Counter:
    """A ``before_cursor_execute`` listener: statements, and write transactions (``BEGIN IMMEDIATE``)."""

    def __init__(self) -> None:
        self.statements = 0
        self.write_transactions = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements += 1
        if statement.startswith("BEGIN IMMEDIATE"):
            self.write_transactions += 1


class FsyncCounter:
    """Counts ``os.fsync`` calls (every thread) while installed."""

    def __init__(self) -> None:
        self.calls = 0
        self._fsync = os.fsync

    def __call__(self, fd: Any) -> None:
        self.calls += 1
        self._fsync(fd)


def session_run(
    work: Path, plan: list[tuple[int, int]], profile: int
) -> list[tuple[int, int, float, float, float]]:
    """(recipients, messages, CPU ms, statements, fsyncs; each per message) per step, sans-IO."""
    from sqlalchemy import event

    from sidecars.smtp.conversation import SessionContext
    from sidecars.smtp.session import SmtpSession
    from storage import open_store

    store = open_store(f"sqlite:///{work / 'db.sqlite3'}", work / "blobs")
    store.domains.add(DOMAIN)
    for address in ACCOUNTS:
        store.accounts.add(address, PASSWORD)
    counter = Counter()
    event.listen(store.db.engine, "before_cursor_execute", counter)
    committer = store.db.committer
    if committer is not None:  # its engine is made in its thread on first use: count there too
        committer.run(lambda conn: event.listen(conn.engine, "before_cursor_execute", counter))
    logging.getLogger("bench.smtp").setLevel(logging.WARNING)
    fsyncs = FsyncCounter()
    os.fsync = fsyncs  # storage.blobs calls os.fsync at call time

    def synced() -> int:  # Python's fsyncs plus SQLite's one per write transaction's COMMIT
        return fsyncs.calls + counter.write_transactions

    def session() -> SmtpSession:
        ctx = SessionContext(
            store=store, hostname="mx.bench.test", listener="smtp", peer_ip="127.0.0.1", peer_port=40000,
            session_id="Sbench", tls_active=False, tls_available=False, log=logging.getLogger("bench.smtp"),
        )  # fmt: skip
        s = SmtpSession(ctx)
        s.banner()
        s.receive(b"EHLO client.bench.example.org\r\n")
        return s

    def send(s: SmtpSession, number: int, rcpts: int) -> None:
        lines = [f"MAIL FROM:<{SENDER}> SIZE=4096\r\n".encode()]
        lines += [f"RCPT TO:<{r}>\r\n".encode() for r in recipients_for(number, rcpts)]
        for line in [*lines, b"DATA\r\n"]:
            reply = s.receive(line).data
            if reply[:1] not in (b"2", b"3"):
                raise RuntimeError(f"message {number}: {reply!r}")
        reply = s.receive(make_message(number, recipients_for(number, rcpts)) + b".\r\n").data
        if not reply.startswith(b"250 "):
            raise RuntimeError(f"message {number}: {reply!r}")

    try:
        s = session()
        for i in range(WARMUP):
            send(s, i, 1)
        first, results = WARMUP, []
        profiler = cProfile.Profile() if profile else None
        for rcpts, n in plan:
            statements, synced_before, cpu = counter.statements, synced(), time.process_time()
            if profiler:
                profiler.enable()
            for i in range(first, first + n):
                send(s, i, rcpts)
            if profiler:
                profiler.disable()
            cpu = time.process_time() - cpu
            per_message = ((counter.statements - statements) / n, (synced() - synced_before) / n)
            results.append((rcpts, n, 1000 * cpu / n, *per_message))
            first += n
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "tottime")).print_stats(profile)
        return results
    finally:
        os.fsync = fsyncs._fsync
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=400, help="messages with 1 recipient")
    parser.add_argument("--rcpt-10-messages", type=int, default=100, help="messages with 10 recipients")
    parser.add_argument("--workers", type=int, default=2, help="smtp worker processes (server)")
    parser.add_argument("--only", choices=("server", "session"), help="run one of the two measurements")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile's top N (session)")
    args = parser.parse_args()
    plan = [(1, args.messages), (10, args.rcpt_10_messages)]
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="fp-smtpcpu-") as tmp:
        if args.only != "server":
            (Path(tmp) / "session").mkdir()
            for rcpts, n, ms, statements, synced in session_run(Path(tmp) / "session", plan, args.profile):
                print(
                    f"session  {rcpts:2d} rcpt x 4 KB (n={n}): {ms:6.2f} ms CPU/msg  {statements:5.1f} SQL/msg"
                    f"  {synced:4.2f} fsync/msg"
                )
        if args.only != "session":
            (Path(tmp) / "server").mkdir()
            for rcpts, n, ms in server_run(Path(tmp) / "server", args.workers, plan):
                print(f"server   {rcpts:2d} rcpt x 4 KB (n={n}): {ms:6.2f} ms CPU/msg (smtp workers)")
    print(f"load average at end:   {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
