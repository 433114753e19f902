"""Server CPU per IMAP command: what each command costs the imap service, measured in a way that the
machine's load hardly moves (wall-clock latencies on a shared 2-core machine are mostly queueing).

    .venv/bin/python bench/imap_cpu.py [--messages M] [--repeat N] [--only NAME,...] [--sql]
                                       [--py-spy FILE]

A data directory is made (``fieldpost init --demo``, ``imap.allow_plaintext_auth`` on), alice gets M
messages (default 300, bench/sieve.py's generator, a fixed seed) and one ``python -m
sidecars.imap`` process is started. One client logs in with imaplib over plain loopback (no TLS, so the
figures are the commands' own work, not the cipher's), selects INBOX and runs each command N times
(default 200, a few warm-up runs first); the server's utime+stime is read from /proc/PID/stat before and
after, so every thread of the process counts (the hub, the group committer, the threadpool). The result
is milliseconds of server CPU per command, and the wall time per command beside it for reference.

``--sql`` also counts the SQL statements each command executes: the server is then started through
this script (``--serve-counting``), which hooks SQLAlchemy's ``before_cursor_execute`` on every engine
and keeps the running count in a small shared file; ``--sql-log FILE`` writes each statement's
first 160 characters to FILE as well, after a line naming the command measured. ``--py-spy FILE`` records the server with py-spy
(bench/requirements.txt) over all the commands run and writes a flame graph to FILE (SVG) or, when FILE does not end in .svg, its collapsed stacks
(one line per stack with its sample count: ``sort -t' ' -k2 -n`` or grep them).
"""

from __future__ import annotations

import argparse
import imaplib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sieve import make_message  # noqa: E402

USER = "alice@example.test"
PASSWORD = "benchpass1"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def free_port_offset() -> int:
    for _ in range(100):
        offset = 20000 + random.randrange(0, 26000)
        ok = True
        for port in (1143 + offset, 1993 + offset, 4190 + offset):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
        if ok:
            return offset
    raise RuntimeError("no free ports")


def mbox(messages: list[bytes]) -> bytes:
    out = []
    for raw in messages:
        body = re.sub(rb"^(>*From )", rb">\1", raw.replace(b"\r\n", b"\n"), flags=re.MULTILINE)
        out.append(b"From sender@example.org Mon Jan  6 10:00:00 2025\n" + body.rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def start_server(
    work: Path, messages: int, sql: bool, sql_log: str | None
) -> tuple[subprocess.Popen[bytes], int]:
    data = work / "fieldpost"
    fp = [sys.executable, "-m", "fieldpost"]
    subprocess.run([*fp, "init", "--data", str(data), "--demo", "--admin-password", "adminpass1",
                    "--demo-password", PASSWORD, "--hostname", "mx.example.test"], check=True, capture_output=True)  # fmt: skip
    subprocess.run([*fp, "settings", "set", "imap.allow_plaintext_auth", "true", "--data", str(data)],
                   check=True, capture_output=True)  # fmt: skip
    rng = random.Random(1)
    path = work / "alice.mbox"
    path.write_bytes(mbox([make_message(rng, n)[2] for n in range(messages)]))
    subprocess.run([*fp, "import", "mbox", "--data", str(data), "--to", USER, str(path)], check=True,
                   capture_output=True)  # fmt: skip
    offset = free_port_offset()
    argv = [sys.executable]
    argv += [__file__, "--serve-counting", str(work / "sql.count")] if sql else ["-m", "sidecars.imap"]
    argv += ["--data", str(data), "--service", "imap", "--port-offset", str(offset)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if sql and sql_log:
        env["IMAP_CPU_SQL_LOG"] = str(Path(sql_log).resolve())
    log = open(work / "imap.out", "wb")  # noqa: SIM115  (the child keeps it)
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", 1143 + offset)) == 0:
                return proc, 1143 + offset
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the imap service did not start: " + (work / "imap.out").read_text()[-800:])


def commands(
    imap: imaplib.IMAP4, rng: random.Random, appended: list[bytes]
) -> dict[str, Callable[[], object]]:
    """One callable per measured command; each leaves the mailbox as it found it (the APPEND's messages
    are expunged after the run of that command)."""
    raw = make_message(random.Random(7), 99999)[2]

    def check(res: tuple[str, list[object]]) -> None:
        if res[0] != "OK":
            raise RuntimeError(f"command failed: {res!r}")

    def page() -> None:
        start = rng.randrange(1, 250)
        check(imap.fetch(f"{start}:{start + 49}", "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"))

    def store() -> None:
        check(imap.store(str(rng.randrange(1, 300)), "+FLAGS", "(\\Seen)"))

    def uid_store() -> None:
        check(imap.uid("STORE", str(rng.randrange(1, 300)), "-FLAGS.SILENT", "(\\Flagged)"))

    def append() -> None:
        check(imap.append("INBOX", None, None, raw))

    return {
        "NOOP": lambda: check(imap.noop()),
        "SELECT INBOX": lambda: check(imap.select("INBOX")),
        "EXAMINE INBOX": lambda: check(imap.select("INBOX", readonly=True)),
        "STATUS INBOX": lambda: check(imap.status("INBOX", "(MESSAGES UIDNEXT UNSEEN HIGHESTMODSEQ)")),
        'LIST "" *': lambda: check(imap.list()),
        "FETCH 1:* (FLAGS)": lambda: check(imap.fetch("1:*", "(FLAGS)")),
        "FETCH 50 (UID FLAGS ... ENVELOPE)": page,
        "UID FETCH n BODY.PEEK[]": lambda: check(
            imap.uid("FETCH", str(rng.randrange(1, 300)), "(BODY.PEEK[])")
        ),
        "STORE n +FLAGS (\\Seen)": store,
        "UID STORE n -FLAGS.SILENT": uid_store,
        "APPEND 2-20 KB": append,
        "UID SEARCH UNSEEN": lambda: check(imap.uid("SEARCH", "UNSEEN")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--only", help="comma-separated prefixes of the command names to run")
    parser.add_argument("--sql", action="store_true", help="count SQL statements per command")
    parser.add_argument("--sql-log", help="with --sql: every statement, by command, to this file")
    parser.add_argument(
        "--py-spy", dest="pyspy", help="record the server with py-spy, flame graph to this SVG"
    )
    args = parser.parse_args()
    rng = random.Random(3)
    with tempfile.TemporaryDirectory(prefix="imapcpu-") as tmp:
        work = Path(tmp)
        proc, port = start_server(work, args.messages, args.sql, args.sql_log)
        spy = None
        if args.pyspy:
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--threads",
                                    "-r", "200", "-o", args.pyspy,
                                    "--format", "flamegraph" if args.pyspy.endswith(".svg") else "raw", "-p", str(proc.pid)], stdout=subprocess.DEVNULL)  # fmt: skip
        try:
            imap = imaplib.IMAP4("127.0.0.1", port)
            imap.login(USER, PASSWORD)
            imap.select("INBOX")
            table = commands(imap, rng, [])
            wanted = [p.strip() for p in args.only.split(",")] if args.only else None
            rows = []
            print(f"load average {os.getloadavg()[0]:.1f}; {args.repeat} runs of each command", flush=True)
            for name, run in table.items():
                if wanted and not any(name.startswith(p) for p in wanted):
                    continue
                for _ in range(5):
                    run()
                if args.sql and args.sql_log:
                    with open(args.sql_log, "a") as log:
                        log.write(f"==== {name} (x{args.repeat})\n")
                sql_before = sql_count(work) if args.sql else 0
                c0, t0 = cpu_seconds(proc.pid), time.perf_counter()
                for _ in range(args.repeat):
                    run()
                c1, t1 = cpu_seconds(proc.pid), time.perf_counter()
                if name.startswith("APPEND"):
                    imap.select("INBOX")
                    imap.store(f"{args.messages + 1}:*", "+FLAGS.SILENT", "(\\Deleted)")
                    imap.expunge()
                if name.startswith("EXAMINE"):
                    imap.select("INBOX")
                cpu_ms = (c1 - c0) * 1000 / args.repeat
                wall_ms = (t1 - t0) * 1000 / args.repeat
                sql = ""
                if args.sql:
                    sql = f"  {(sql_count(work) - sql_before) / args.repeat:5.1f} SQL"
                rows.append((name, cpu_ms, wall_ms))
                print(f"{name:36} {cpu_ms:7.2f} ms CPU  {wall_ms:7.2f} ms wall{sql}", flush=True)
            imap.logout()
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return 0


def sql_count(work: Path) -> int:
    """The server's running statement count (see :func:`serve_counting`)."""
    return int.from_bytes((work / "sql.count").read_bytes()[:8], "little")


def serve_counting(path: str) -> int:
    """Run the imap service in this process with every SQL statement counted into ``path`` (8 bytes,
    little-endian, in a shared mapping the measuring process reads)."""
    from gevent import monkey

    monkey.patch_all()
    import mmap
    import runpy

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    with open(path, "wb") as f:
        f.write(bytes(8))
    fd = os.open(path, os.O_RDWR)
    shared = mmap.mmap(fd, 8)
    count = [0]

    log = open(os.environ["IMAP_CPU_SQL_LOG"], "a") if os.environ.get("IMAP_CPU_SQL_LOG") else None  # noqa: SIM115

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        count[0] += 1
        shared[0:8] = count[0].to_bytes(8, "little")
        if log is not None:
            log.write(" ".join(statement.split())[:160] + "\n")
            log.flush()

    sys.argv = ["sidecars.imap", *sys.argv[3:]]
    runpy.run_module("sidecars.imap", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-counting":
        sys.exit(serve_counting(sys.argv[2]))
    sys.exit(main())
