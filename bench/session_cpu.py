"""Server CPU per new IMAP session, split by phase (issue 10's "new sessions per second").

    .venv/bin/python bench/session_cpu.py [--sessions N] [--workers N] [--messages M] [--pop3]
                                          [--phases connect,tls,login,select,idle,...] [--py-spy SECONDS]

On a machine shared with other jobs, wall-clock rates measure the load, not the server. What the load
does not change much is the CPU the server spends per session: this script reads utime+stime of every
process in the server's tree (``/proc/PID/stat``) before and after N sessions of one kind, opened one
after the other by a client in this process (whose own CPU is not counted), and prints milliseconds of
server CPU per session. The phases add one step each, so the difference between two rows is what that
step costs:

    connect   TCP connect, greeting, LOGOUT (plain port)
    tls       + implicit TLS handshake (port 993), greeting, LOGOUT
    login     + LOGIN (the login cache is warm: one LOGIN per user is made before measuring)
    select    + SELECT INBOX
    idle      + IDLE, waiting for the continuation, DONE
    plain-idle  the same as idle without TLS (LOGIN on the plain port; ``imap.allow_plaintext_auth``)

With ``--pop3`` the POP3 service is measured the same way (connect; tls; + USER/PASS; + STAT + UIDL).

The server is ``fieldpost serve`` with only the measured service, as a pool of ``--workers`` worker
processes (default 2, as bench/imap.py --workers 2), in a data directory made by ``fieldpost init --demo``
whose three mailboxes get M messages each (default 300). ``--py-spy S`` additionally records S seconds
of the ``select`` phase with py-spy (bench/requirements.txt) into ``session_cpu-<pid>.svg`` per worker.
The clock tick (usually 10 ms) bounds the resolution: use a few hundred sessions per phase.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.imap_load import process_tree  # noqa: E402
from bench.sieve import make_message  # noqa: E402

USERS = [f"{name}@example.test" for name in ("alice", "bob", "carol")]
PASSWORD = "benchpass1"
TICK = os.sysconf("SC_CLK_TCK")
IMAP_PHASES = ["connect", "tls", "login", "select", "idle", "plain-idle"]
POP3_PHASES = ["connect", "tls", "login", "stat"]


def tree_cpu(root: int) -> float:
    """Seconds of user+system CPU of ``root`` and its descendants (living ones; the workers of a pool
    live for the whole run)."""
    total = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICK


class Lines:
    """A blocking line reader over a (TLS) socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("connection closed by the server")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")

    def until(self, prefix: bytes) -> bytes:
        while not (line := self.line()).startswith(prefix):
            if line.startswith(b"-ERR") or re.match(rb"^\w+ (NO|BAD) ", line):
                raise RuntimeError(f"unexpected answer {line[:200]!r}")
        return line


def opener(port: int, ctx: ssl.SSLContext | None) -> Callable[[], Lines]:
    def open_() -> Lines:
        raw = socket.create_connection(("127.0.0.1", port), timeout=60)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Lines(raw if ctx is None else ctx.wrap_socket(raw, server_hostname="localhost"))

    return open_


def imap_session(phase: str, open_: Callable[[], Lines], user: str) -> None:
    conn = open_()
    conn.until(b"* OK")
    if phase in ("login", "select", "idle", "plain-idle"):
        conn.send(f'a1 LOGIN "{user}" "{PASSWORD}"')
        conn.until(b"a1 OK")
    if phase in ("select", "idle", "plain-idle"):
        conn.send("a2 SELECT INBOX")
        conn.until(b"a2 OK")
    if phase in ("idle", "plain-idle"):
        conn.send("a3 IDLE")
        conn.until(b"+")
        conn.send("DONE")
        conn.until(b"a3 OK")
    conn.send("a9 LOGOUT")
    conn.until(b"a9 OK")
    conn.sock.close()


def pop3_session(phase: str, open_: Callable[[], Lines], user: str) -> None:
    conn = open_()
    conn.until(b"+OK")
    if phase in ("login", "stat"):
        conn.send(f"USER {user}")
        conn.until(b"+OK")
        conn.send(f"PASS {PASSWORD}")
        conn.until(b"+OK")
    if phase == "stat":
        conn.send("STAT")
        conn.until(b"+OK")
        conn.send("UIDL")
        conn.until(b"+OK")
        conn.until(b".")
    conn.send("QUIT")
    conn.until(b"+OK")
    conn.sock.close()


def mbox(messages: list[bytes]) -> bytes:
    out = []
    for raw in messages:
        body = re.sub(rb"^(>*From )", rb">\1", raw.replace(b"\r\n", b"\n"), flags=re.MULTILINE)
        out.append(b"From sender@example.org Mon Jan  6 10:00:00 2025\n" + body.rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def free_offset() -> int:
    for _ in range(100):
        offset = 20000 + random.randrange(0, 26000)
        if all(_free(port + offset) for port in (1143, 1993, 1110, 1995)):
            return offset
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(work: Path, service: str, workers: int, messages: int, offset: int) -> subprocess.Popen[bytes]:
    data = work / "fieldpost"
    fp = [sys.executable, "-m", "fieldpost"]
    subprocess.run([*fp, "init", "--data", str(data), "--demo", "--admin-password", "adminpass1",
                    "--demo-password", PASSWORD, "--hostname", "mx.example.test"], check=True, capture_output=True)  # fmt: skip
    settings = [(f"net.{service}.max_connections", "0"), (f"net.{service}.max_per_ip", "0"),
                (f"{service}.allow_plaintext_auth", "true")]  # fmt: skip
    for name, value in settings:
        subprocess.run(
            [*fp, "settings", "set", name, value, "--data", str(data)], check=True, capture_output=True
        )
    rng = random.Random(3501)
    for i, user in enumerate(USERS):
        path = work / f"{i}.mbox"
        path.write_bytes(mbox([make_message(rng, i * messages + n)[2] for n in range(messages)]))
        subprocess.run([*fp, "import", "mbox", "--data", str(data), "--to", user, str(path)], check=True,
                       capture_output=True)  # fmt: skip
    toml = data / "fieldpost.toml"
    text = re.sub(r"(?m)^services = .*$", f'services = ["{service}"]', toml.read_text())
    toml.write_text(text + f"\n[workers]\n{service} = {workers}\n")
    out = open(work / "serve.out", "wb")  # noqa: SIM115  (the child keeps it)
    proc = subprocess.Popen([*fp, "serve", "--data", str(data), "--port-offset", str(offset)], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    port = (1993 if service == "imap" else 1995) + offset
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    proc.terminate()
    proc.wait(timeout=30)
    raise RuntimeError(f"the server did not start: {(work / 'serve.out').read_text()[-800:]}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=300, help="sessions per phase (default 300)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=300, help="messages per mailbox (default 300)")
    parser.add_argument("--pop3", action="store_true", help="measure POP3 instead of IMAP")
    parser.add_argument("--phases", help="comma-separated subset of the phases")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every phase; the lowest is printed")
    parser.add_argument("--py-spy", type=float, default=0.0, metavar="SECONDS",
                        help="record the select (POP3: stat) phase with py-spy for this long")  # fmt: skip
    args = parser.parse_args()
    service = "pop3" if args.pop3 else "imap"
    phases = args.phases.split(",") if args.phases else (POP3_PHASES if args.pop3 else IMAP_PHASES)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h"], capture_output=True, text=True
    )
    print(f"bench/session_cpu.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Fieldpost {commit.stdout.strip()}, "
          f"{service}, {args.workers} workers, {args.sessions} sessions per phase, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="fp-bench-session-"))
    offset = free_offset()
    try:
        proc = start(work, service, args.workers, args.messages, offset)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    ctx = ssl.create_default_context(cafile=str(work / "fieldpost" / "tls" / "cert.pem"))
    session = pop3_session if args.pop3 else imap_session
    plain_port, tls_port = (1143, 1993) if service == "imap" else (1110, 1995)
    try:
        for user in USERS:  # warm every worker's login cache (argon2 once per account and worker)
            for _ in range(4 * args.workers):
                session("login", opener(tls_port + offset, ctx), user)
        results: dict[str, float] = {}
        for phase in phases:
            plain = phase in ("connect", "plain-idle")
            open_ = opener((plain_port if plain else tls_port) + offset, None if plain else ctx)
            best = float("inf")
            for _ in range(args.rounds):
                spy: list[subprocess.Popen[bytes]] = []
                if args.py_spy and phase == ("stat" if args.pop3 else "select"):
                    spy = [subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(pid), "-d", str(args.py_spy), "-r", "200",
                                             "-o", f"session_cpu-{pid}.svg"]) for pid in process_tree(proc.pid)[1:]]  # fmt: skip
                before, t = tree_cpu(proc.pid), time.perf_counter()
                for n in range(args.sessions):
                    session(phase, open_, USERS[n % len(USERS)])
                wall = time.perf_counter() - t
                time.sleep(0.3)  # let the server finish closing the last sessions
                used = tree_cpu(proc.pid) - before
                for p in spy:
                    p.wait()
                best = min(best, used * 1000 / args.sessions)
                print(f"  {phase:<10} {best:7.2f} ms CPU/session  ({args.sessions / wall:.0f} sessions/s wall)", flush=True)  # fmt: skip
            results[phase] = best
        print()
        print("phase        server CPU ms/session   step's own cost")
        previous = None
        for phase in phases:
            step = "" if previous is None else f"{results[phase] - results[previous]:+.2f}"
            print(f"{phase:<12} {results[phase]:10.2f}            {step}")
            previous = phase if phase != "plain-idle" else previous
        last = results.get("idle") or results.get("stat")
        if last:
            print(f"\nserver CPU bound on new sessions/s over TLS with 2 cores: {2000 / last:.0f} /s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
