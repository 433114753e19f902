"""What one local delivery costs: fsyncs, SQL statements and CPU per delivered message.

    .venv/bin/python bench/delivery_cost.py [--db sqlite|postgresql] [--via queue|deliver]
                                            [--threads N] [-n 400] [--kb 4] [--profile N]

Wall-clock rates on a shared machine move by 2-3x between runs (bench/README.md); these counts do not.
Two ways in:

* ``--via queue`` (default): N one-recipient 4 KB messages are queued first (not measured), then the
  processing service's worker (``sidecars.processing.worker.Worker.run_once``, in this process, with
  ``queue.processing_threads`` = ``--threads``) delivers them all: what "accepted+delivered" of
  bench/smtp.py waits for.
* ``--via deliver``: ``store.mail.deliver`` called directly, N messages from ``--threads`` threads (what
  bench/storage.py's delivery rows do).

The delivery phase runs in a child process under ``strace -f -y -e trace=fsync,fdatasync`` (Debian's
strace; without it the fsync column says n/a), which counts every fsync of every thread: the blob
file's, its directory's, SQLite's WAL (PostgreSQL's WAL flushes happen in the server and are not
counted; the write transactions committed per message are). SQL statements are counted with SQLAlchemy's ``before_cursor_execute`` on
every engine (BEGIN/COMMIT/SAVEPOINT included, the ones issued by the driver itself not). CPU is the
child's user+system time (all threads) divided by the messages.

``--profile N`` also prints cProfile's N most expensive functions (by own time) of the delivery phase.
cProfile sees one thread, so the SQLite committer is switched off for that run (``Database.write_unit``
then runs each unit inline, in the caller's own transaction: the same statements and fsyncs, without the
hand-over to the committer thread); the counts above are then of that run too.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from storage import open_store  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
DOMAIN = "cost.test"
USERS = 16


def message(n: int, to: str, size: int = 4096) -> bytes:
    head = f"From: s@outside.test\r\nTo: {to}\r\nSubject: cost {n}\r\nMessage-ID: <{n}.{uuid.uuid4().hex}@x>\r\n\r\n"
    line = f"message {n} " + "lorem ipsum dolor sit amet " * 3 + "\r\n"
    body = (line * (size // len(line) + 1))[: max(0, size - len(head))]
    return (head + body).encode()


def prepare(args: argparse.Namespace, url: str, data: Path) -> None:
    store = open_store(url, data / "blobs")
    try:
        store.domains.add(DOMAIN)
        for i in range(USERS):
            store.accounts.add(f"u{i}@{DOMAIN}", None)
        if args.via == "queue":
            for n in range(args.n):
                to = f"u{n % USERS}@{DOMAIN}"
                store.queue.enqueue(message(n, to, args.kb * 1024), "s@outside.test", [to])
    finally:
        store.close()


def measure(args: argparse.Namespace, url: str, data: Path) -> dict[str, Any]:
    """The delivery phase (run in the child, under strace)."""
    store = open_store(url, data / "blobs")
    statements = [0]
    lock = threading.Lock()

    kinds: dict[str, int] = {}

    writes = [0]

    @event.listens_for(Engine, "commit")
    def committed(conn: Any) -> None:
        if conn.info.pop("cost_wrote", False):
            with lock:
                writes[0] += 1

    @event.listens_for(Engine, "rollback")
    def rolled_back(conn: Any) -> None:
        conn.info.pop("cost_wrote", None)

    @event.listens_for(Engine, "before_cursor_execute")
    def count(conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        words = statement.split()
        if words and words[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            conn.info["cost_wrote"] = True
        key = " ".join(words[:4]) if words and words[0].upper() in ("SELECT", "WITH") else " ".join(words[:3])
        with lock:
            statements[0] += 1
            kinds[key] = kinds.get(key, 0) + 1

    threads_used = args.threads
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        store.db.committer = None  # units inline in the profiled thread (see the module's docstring)
    try:
        if args.via == "queue":
            from sidecars.processing.worker import Worker

            try:
                store.settings.set("queue.processing_threads", args.threads)
            except Exception:  # a version without the setting: one message at a time
                threads_used = 1
            store.settings.set("queue.batch_size", max(20, 5 * args.threads))
            worker = Worker(store, hostname="mail.cost.test")
            worker.run_once()  # warm-up (settings, caches): its messages count for the fsyncs only
            before = len(store.queue.list(limit=10 * args.n))
            statements[0] = writes[0] = 0
            kinds.clear()
            wal0, cpu0, t0 = _wal_syncs(url), os.times(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            while worker.run_once():
                pass
            if profiler is not None:
                profiler.disable()
            cpu1, elapsed = os.times(), time.perf_counter() - t0
            wal1 = _wal_syncs(url)
            measured = before - len(store.queue.list(limit=10 * args.n))
            total = args.n - len(store.queue.list(limit=10 * args.n))
        else:
            msgs = [message(n, f"u{n % USERS}@{DOMAIN}", args.kb * 1024) for n in range(args.n + 20)]
            for m in msgs[:20]:  # warm-up
                store.mail.deliver(m, [f"u0@{DOMAIN}"])
            statements[0] = writes[0] = 0
            kinds.clear()
            todo = msgs[20:]
            wal0, cpu0, t0 = _wal_syncs(url), os.times(), time.perf_counter()

            def lane(k: int) -> None:
                for i in range(k, len(todo), args.threads):
                    store.mail.deliver(todo[i], [f"u{i % USERS}@{DOMAIN}"])

            if profiler is not None:  # one thread (main() checks), profiled
                profiler.enable()
                lane(0)
                profiler.disable()
            else:
                workers = [threading.Thread(target=lane, args=(k,)) for k in range(args.threads)]
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
            cpu1, elapsed = os.times(), time.perf_counter() - t0
            wal1 = _wal_syncs(url)
            measured = len(todo)
            total = len(msgs)
        committer = store.db.committer
        groups = committer.groups if committer is not None else None
        units = committer.units if committer is not None else None
    finally:
        store.close()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return {
        "messages": measured,
        "delivered": total,
        "threads": threads_used,
        "seconds": elapsed,
        "statements": statements[0],
        "writes": writes[0],
        "kinds": kinds,
        "cpu": cpu,
        "cpu_system": cpu1.system - cpu0.system,
        "groups": groups,
        "units": units,
        "wal_syncs": None if wal0 is None or wal1 is None else wal1 - wal0,
        "profile": _profile_text(profiler, args.profile) if profiler is not None else "",
    }


def _wal_syncs(url: str) -> int | None:
    """PostgreSQL: the server's WAL syncs so far (pg_stat_wal, PostgreSQL 14+), read with psycopg itself
    so the statement counter above does not see it. Cluster-wide: other databases' commits count too."""
    if not url.startswith("postgresql"):
        return None
    import psycopg

    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            row = conn.execute("SELECT wal_sync FROM pg_stat_wal").fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row else None


def _profile_text(profiler: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--via", choices=("queue", "deliver"), default="queue")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("-n", type=int, default=400, help="messages delivered (default 400)")
    parser.add_argument("--kb", type=int, default=4, help="message size in KB (default 4)")
    parser.add_argument(
        "--pg-commit-delay", type=int, default=0, metavar="US", help="PostgreSQL: SET commit_delay (µs)"
    )
    parser.add_argument("--statements", action="store_true", help="list the SQL statements by kind")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's top N")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: the measured phase
    args = parser.parse_args()
    if args.profile and args.threads != 1:
        parser.error("--profile runs one thread (cProfile sees one)")
    if args.child:
        url, data = json.loads(args.child)
        print("RESULT " + json.dumps(measure(args, url, Path(data))), flush=True)
        return 0

    work = Path(tempfile.mkdtemp(prefix="fp-cost-"))
    admin = None
    db_name = ""
    try:
        if args.db == "sqlite":
            url = f"sqlite:///{work / 'db.sqlite3'}"
        else:
            admin = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
            db_name = f"fp_cost_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
            url = PG_SERVER + db_name
            if args.pg_commit_delay:  # the server's own grouping of concurrent commits (superuser SET)
                url += f"?options=-c%20commit_delay%3D{args.pg_commit_delay}"
        if args.via == "queue":
            args.n += max(20, 5 * args.threads)  # the warm-up batch
        prepare(args, url, work)
        child = [sys.executable, __file__, "--db", args.db, "--via", args.via, "--threads", str(args.threads)]
        child += [
            "-n",
            str(args.n),
            "--kb",
            str(args.kb),
            "--profile",
            str(args.profile),
            "--child",
            json.dumps([url, str(work)]),
        ]
        trace = work / "strace.txt"
        if shutil.which("strace"):
            child = ["strace", "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", str(trace), *child]
        out = subprocess.run(child, capture_output=True, text=True, check=False)
        line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(out.stdout, out.stderr, file=sys.stderr)
            return 1
        r = json.loads(line[len("RESULT ") :])
        fsyncs = _fsyncs(trace, work) if trace.exists() else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            admin.dispose()
    n = r["messages"] or 1
    load = os.getloadavg()[0]
    print(
        f"delivery cost: {args.db}, via {args.via}, {r['threads']} thread(s), {n} messages of {args.kb} KB,"
        f" load {load:.1f}"
    )
    if fsyncs is not None:
        all_n = r["delivered"] or 1
        print(
            f"  fsync+fdatasync per message  {sum(fsyncs.values()) / all_n:.2f}  (child / {all_n} delivered)"
        )
        for kind, count in sorted(fsyncs.items()):
            print(f"    {kind:<26} {count / all_n:.2f}")
    print(f"  write transactions committed per message  {r['writes'] / n:.2f}")
    if r.get("wal_syncs") is not None:
        print(
            f"  server WAL syncs per message {r['wal_syncs'] / n:.2f}  (pg_stat_wal, whole cluster: an upper bound)"
        )
    print(f"  SQL statements per message   {r['statements'] / n:.1f}")
    if args.statements:
        for key, count in sorted(r["kinds"].items(), key=lambda kv: -kv[1]):
            print(f"    {count / n:6.2f}  {key[:90]}")
    system = f", of which system {1000 * r['cpu_system'] / n:.1f}" if "cpu_system" in r else ""
    print(f"  CPU ms per message           {1000 * r['cpu'] / n:.1f}  (all threads{system})")
    print(f"  messages/s (wall, noisy)     {n / r['seconds']:.1f}")
    if r["groups"]:
        print(f"  units per SQLite commit      {r['units'] / r['groups']:.2f}  ({r['groups']} groups)")
    if r["profile"]:
        print(r["profile"])
    return 0


def _fsyncs(trace: Path, work: Path) -> dict[str, int]:
    """fsync/fdatasync calls by what they flushed (strace -y names each descriptor's file)."""
    kinds: dict[str, int] = {}
    for line in trace.read_text().splitlines():
        m = re.search(r"\b(?:fsync|fdatasync)\(\d+<([^>]*)>", line)  # also "<unfinished ...>"
        if not m:
            continue
        path = m.group(1)
        if path.startswith(str(work / "blobs" / "tmp")):
            kind = "blob file"
        elif path.startswith(str(work / "blobs")):
            kind = "blob directory"
        elif path.endswith("-wal"):
            kind = "SQLite WAL"
        elif path.endswith(".sqlite3"):
            kind = "SQLite database file"
        else:
            kind = "other"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


if __name__ == "__main__":
    raise SystemExit(main())
