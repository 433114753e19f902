"""POP3 benchmark: a full download of one 10,000-message mailbox by N concurrent clients, Fieldpost's
pop3 service beside Debian's Dovecot (dovecot-pop3d), the same bytes, measured in the same run.

    .venv/bin/python bench/pop3.py [--quick] [--clients N] [--messages M] [--workers N] [--window W]
                                   [--only fieldpost|dovecot]

Mailbox: alice's INBOX, M messages (default 10,000; 1,000 with --quick), 2-20 KB each (bench/sieve.py's
generator, fixed seed). Fieldpost gets them with ``fieldpost import mbox``, Dovecot as Maildir files.

Load: N clients (default 4) on one gevent hub, each over implicit TLS: USER/PASS, STAT, UIDL, then RETR of
every message (up to W commands in flight, RFC 2449 PIPELINING; default 8; 1 is a client that waits for
each answer, like fetchmail), then QUIT without deleting. Each client checks it received every message
and the octet count STAT announced. The figure is messages (and MB) delivered per second over the wall
time of the whole swarm. Both servers are warmed first by one client's LIST (Dovecot builds its index
and size cache then; Fieldpost's login cache is filled).

Fieldpost runs under ``fieldpost serve`` with only the pop3 service, as a pool of ``--workers`` processes
(default: one per CPU, its production default); Dovecot with its default process model (a pop3 process
per session, login processes shared). Both update \\Seen as RETR reads (Dovecot's default
``pop3_no_flag_updates = no``).

Ratio: ours / peer, so > 1 means Fieldpost is faster.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dovecot import NOBODY, Dovecot, dovecot_version  # noqa: E402
from bench.report import fmt, print_table  # noqa: E402
from bench.sieve import make_message  # noqa: E402

USER = "alice@example.test"
PASSWORD = "benchpass1"
MB = 1024 * 1024
READ = 256 * 1024


class PopError(RuntimeError):
    pass


class Client:
    """A minimal pipelining POP3 client over implicit TLS: status lines and multi-line answers."""

    def __init__(self, port: int, ctx: ssl.SSLContext) -> None:
        raw = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buf = bytearray()
        self.status()

    def _fill(self) -> None:
        data = self.sock.recv(READ)
        if not data:
            raise PopError("connection closed")
        self.buf += data

    def status(self) -> bytes:
        while (end := self.buf.find(b"\r\n")) < 0:
            self._fill()
        line = bytes(self.buf[:end])
        del self.buf[: end + 2]
        if not line.startswith(b"+OK"):
            raise PopError(line.decode(errors="replace"))
        return line

    def body(self) -> int:
        """A multi-line answer's body; returns its length on the wire (dot-stuffed)."""
        pos = 0
        while True:
            if self.buf.startswith(b".\r\n"):
                del self.buf[:3]
                return 0
            end = self.buf.find(b"\r\n.\r\n", pos)
            if end >= 0:
                del self.buf[: end + 5]
                return end + 2
            pos = max(0, len(self.buf) - 4)
            self._fill()

    def command(self, line: str) -> bytes:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.status()


@dataclass
class Result:
    name: str
    note: str = ""
    wall: float = 0.0
    messages: int = 0
    octets: int = 0
    errors: list[str] = field(default_factory=list)


def download(port: int, ctx: ssl.SSLContext, window: int, expected: int) -> tuple[int, int]:
    client = Client(port, ctx)
    client.command(f"USER {USER}")
    client.command(f"PASS {PASSWORD}")
    count, _octets = (int(x) for x in client.command("STAT").split()[1:3])
    if count != expected:
        raise PopError(f"STAT says {count} messages, expected {expected}")
    client.command("UIDL")
    client.body()
    got = wire = 0
    sent = 0
    while got < count:
        batch = []
        while sent < count and sent - got < window:
            sent += 1
            batch.append(f"RETR {sent}\r\n")
        if batch:
            client.sock.sendall("".join(batch).encode())
        client.status()
        wire += client.body()
        got += 1
    client.command("QUIT")
    return got, wire


def swarm(result: Result, port: int, ctx: ssl.SSLContext, clients: int, window: int, expected: int) -> None:
    warm = Client(port, ctx)
    warm.command(f"USER {USER}")
    warm.command(f"PASS {PASSWORD}")
    warm.command("LIST")
    warm.body()
    warm.command("QUIT")
    t = time.perf_counter()
    jobs = [gevent.spawn(download, port, ctx, window, expected) for _ in range(clients)]
    gevent.joinall(jobs)
    result.wall = time.perf_counter() - t
    for job in jobs:
        if job.successful():
            result.messages += job.value[0]
            result.octets += job.value[1]
        else:
            result.errors.append(repr(job.exception))


def mbox(messages: list[bytes]) -> bytes:
    out = []
    for raw in messages:
        body = re.sub(rb"^(>*From )", rb">\1", raw.replace(b"\r\n", b"\n"), flags=re.MULTILINE)
        out.append(b"From sender@example.org Mon Jan  6 10:00:00 2025\n" + body.rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def free_offset() -> int:
    for _ in range(100):
        offset = 20000 + random.randrange(0, 26000)
        if all(_free(p + offset) for p in (1110, 1995, 1111, 1996, 1143, 1993, 1144, 1994, 7000, 9000)):
            return offset
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_port(port: int, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def start_fieldpost(work: Path, messages: list[bytes], offset: int, workers: int) -> subprocess.Popen[bytes]:
    data = work / "fieldpost"
    fp = [sys.executable, "-m", "fieldpost"]
    subprocess.run([*fp, "init", "--data", str(data), "--demo", "--admin-password", "adminpass1",
                    "--demo-password", PASSWORD, "--hostname", "mx.example.test"], check=True, capture_output=True)  # fmt: skip
    for name, value in (("net.pop3.max_connections", "0"), ("net.pop3.max_per_ip", "0")):
        subprocess.run(
            [*fp, "settings", "set", name, value, "--data", str(data)], check=True, capture_output=True
        )
    empty_inbox(data)  # the demo's own few messages go, so INBOX holds exactly the bench's
    path = work / "alice.mbox"
    path.write_bytes(mbox(messages))
    t = time.perf_counter()
    subprocess.run([*fp, "import", "mbox", "--data", str(data), "--to", USER, str(path)], check=True,
                   capture_output=True)  # fmt: skip
    print(f"  Fieldpost: {len(messages):,} messages imported in {time.perf_counter() - t:.1f} s")
    toml = data / "fieldpost.toml"
    text = re.sub(r"(?m)^services = .*$", 'services = ["pop3"]', toml.read_text())
    toml.write_text(text + f"\n[workers]\npop3 = {workers}\n")
    out = open(work / "fieldpost-pop3.out", "wb")  # noqa: SIM115  (the child keeps it)
    proc = subprocess.Popen([*fp, "serve", "--data", str(data), "--port-offset", str(offset)], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    wait_port(1995 + offset, 60, proc)
    return proc


def empty_inbox(data: Path) -> None:
    from fieldpost import config as configuration
    from storage import open_store

    config = configuration.load(str(data))
    store = open_store(config.database_url, config.blob_dir)
    try:
        folder = store.folders.get(USER, "INBOX").id
        store.mail.set_flags(folder, store.mail.uids(folder), ["\\Deleted"], "add")
        store.mail.expunge(folder)
    finally:
        store.close()


def start_dovecot(work: Path, messages: list[bytes], offset: int) -> Dovecot:
    tls = work / "fieldpost" / "tls"
    peer = Dovecot({USER: PASSWORD}, tls / "cert.pem", tls / "key.pem", 1144 + offset, 1994 + offset,
                   pop3_ports=(1111 + offset, 1996 + offset))  # fmt: skip
    for sub in ("cur", "new", "tmp"):
        (peer.maildir(USER) / sub).mkdir()
        os.chown(peer.maildir(USER) / sub, NOBODY, NOBODY)
    for n, raw in enumerate(messages):
        path = peer.maildir(USER) / "cur" / f"{1700000000 + n}.M{n}P1.bench:2,"
        path.write_bytes(raw)
        os.chown(path, NOBODY, NOBODY)
    peer.start()
    wait_port(1996 + offset, 20)
    return peer


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 messages")
    parser.add_argument("--messages", type=int, default=0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--window", type=int, default=8, help="RETR commands in flight per client")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", choices=("fieldpost", "dovecot"))
    args = parser.parse_args()
    count = args.messages or (1000 if args.quick else 10_000)
    rng = random.Random(1939)
    messages = [make_message(rng, n)[2] for n in range(count)]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI"], capture_output=True, text=True
    )
    print(
        f"bench/pop3.py {datetime.now(UTC):%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; Fieldpost {commit.stdout.strip()}; {dovecot_version()}; "
        f"{count:,} messages ({sum(map(len, messages)) / MB:.0f} MB) x {args.clients} clients, window "
        f"{args.window}; Fieldpost pop3 workers: {args.workers}; load average {os.getloadavg()[0]:.1f}"
    )
    work = Path(tempfile.mkdtemp(prefix="fp-bench-pop3-"))
    os.chmod(work, 0o755)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    offset = free_offset()
    results = [Result("Fieldpost"), Result("Dovecot")]
    proc = start_fieldpost(work, messages, offset, args.workers)
    try:
        ctx = ssl.create_default_context(cafile=str(work / "fieldpost" / "tls" / "cert.pem"))
        if args.only != "dovecot":
            swarm(results[0], 1995 + offset, ctx, args.clients, args.window, count)
        else:
            results[0].note = "not measured (--only dovecot)"
    finally:
        stop(proc)
    if args.only != "fieldpost":
        peer = start_dovecot(work, messages, offset)
        try:
            swarm(results[1], 1996 + offset, ctx, args.clients, args.window, count)
        except (PopError, OSError) as exc:
            results[1].note = f"failed: {exc}\n{peer.log_text()[-800:]}"
        finally:
            peer.stop()
    else:
        results[1].note = "not measured (--only fieldpost)"
    shutil.rmtree(work, ignore_errors=True)
    report(results)
    return 0


def report(results: list[Result]) -> None:
    ours, peer = results
    rows = []
    for r in results:
        if r.note or not r.wall:
            print(f"  {r.name}: {r.note}")
    for r in results:
        for error in r.errors[:3]:
            print(f"  {r.name} client error: {error}")

    def rate(r: Result, value: float) -> float:
        return value / r.wall if r.wall else 0.0

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if a and b else "-"

    m_ours, m_peer = rate(ours, ours.messages), rate(peer, peer.messages)
    b_ours, b_peer = rate(ours, ours.octets / MB), rate(peer, peer.octets / MB)
    rows.append(["messages/s (all clients)", fmt(m_ours), fmt(m_peer), ratio(m_ours, m_peer)])
    rows.append(["MB/s on the wire", fmt(b_ours), fmt(b_peer), ratio(b_ours, b_peer)])
    rows.append(["wall time (s)", fmt(ours.wall), fmt(peer.wall), ratio(peer.wall, ours.wall)])
    rows.append(["client errors", str(len(ours.errors)), str(len(peer.errors)), ""])
    print_table(["full download", "Fieldpost", "Dovecot", "ratio"], rows)


if __name__ == "__main__":
    sys.exit(main())
