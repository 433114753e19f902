"""IMAP benchmark: Fieldpost's IMAP service beside Debian's Dovecot, the same mailboxes and the same load,
measured in the same run.

    .venv/bin/python bench/imap.py [--quick] [--clients N] [--seconds S] [--messages M] [--idle N]
                                   [--no-search] [--only fieldpost|dovecot] [--dovecot-argon2]
                                   [--dovecot-sessions-per-process N] [--workers N] [--idle-only] [--plain]

Mailboxes: alice, bob and carol of the demo domain, M messages each (default 2,000; 300 with --quick),
2-20 KB, plain and multipart (bench/sieve.py's generator, fixed seed). Fieldpost gets them with
``fieldpost import mbox`` into a data directory made by ``fieldpost init --demo``; Dovecot gets the same
bytes as Maildir files. Both are warmed (one SELECT, FETCH FLAGS and SEARCH per mailbox) before timing.

Load (bench/imap_load.py): N clients (default 20) on one gevent hub, each running session after
session over implicit TLS for S seconds: LOGIN, SELECT INBOX, FETCH 1:* (FLAGS), FETCH of a random
page of 50 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE), FETCH one BODY.PEEK[], STORE +FLAGS \\Seen,
UID SEARCH TEXT word, APPEND of a 2-20 KB message, UID STORE \\Deleted on it + EXPUNGE, IDLE for 0.2 s,
LOGOUT. Several clients share each mailbox, so sessions see each other's EXISTS and EXPUNGE.
``--no-search`` leaves the SEARCH out: Dovecot as installed has no full-text index, so its SEARCH
reads every message file and can dominate its figure.

Passwords: Fieldpost verifies argon2id once per account and then answers from its login cache;
Dovecot's passwd-file holds plain passwords by default, the nearest match (``--dovecot-argon2`` makes
them argon2id hashes, which Dovecot then verifies on every login).

Idle: ``--idle N`` (default 10,000; 1,000 with --quick; 0 to skip) connections each LOGIN + SELECT +
IDLE, then held 10 s; the memory of the server's process tree (sum of RSS and of PSS) is sampled every
second; the peak and the settled figure (end of the hold) are printed. For the mix Dovecot runs with
its default process model (one imap process per session); for the idle test a second Dovecot, same
mail, lets one imap process hold 100 sessions (``--dovecot-sessions-per-process``): 10,000 processes
would not fit beside the other jobs on this machine, and Dovecot's hibernation needs an inotify
instance per process, beyond the kernel's default of 128 per user. Limits (connections per user and
address, client and process limits) are sized for N on both servers. The file descriptor limit is
raised for this process and the servers it starts. ``--idle-only`` skips the mix (and Dovecot's mix
instance); ``--plain`` opens the idle connections on the plain IMAP ports instead of implicit TLS (Fieldpost
then gets ``imap.allow_plaintext_auth`` on; Dovecot takes plain LOGIN from loopback), which measures the
sessions without the TLS state and sets them up several times faster. With ``--workers N`` the memory is
that of the whole ``fieldpost serve`` tree (supervisor + workers).

Ratios: ours / peer for rates, peer / ours for times and memory, so > 1 means Fieldpost is better.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dovecot import NOBODY, Dovecot, dovecot_version  # noqa: E402
from bench.imap_load import Client, ImapError, Tally, idle_swarm, run_mix, tree_memory  # noqa: E402
from bench.report import fmt, print_table  # noqa: E402
from bench.sieve import BODY_WORDS, TOPICS, make_message  # noqa: E402

USERS = [f"{name}@example.test" for name in ("alice", "bob", "carol")]
PASSWORD = "benchpass1"
IDLE_SECONDS = 0.2
MB = 1024 * 1024


@dataclass
class Result:
    """What one server did: the mix tally and wall time, the idle figures, or why it was not measured."""

    name: str
    note: str = ""
    tally: Tally | None = None
    wall: float = 0.0
    idle_reached: int = 0
    idle_errors: list[str] = field(default_factory=list)
    idle_setup: float = 0.0  # seconds to set the idle connections up
    base_memory: tuple[int, int, int] = (0, 0, 0)
    peak_rss: int = 0
    peak_pss: int = 0
    peak_procs: int = 0
    settled: tuple[int, int, int] = (0, 0, 0)


def raise_fd_limit(want: int) -> int:
    """Soft limit up to ``want``; the hard limit too when allowed (root with CAP_SYS_RESOURCE; a container
    may not allow it, then the hard limit is the ceiling). Children started later inherit it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want
        except (ValueError, OSError):
            pass
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_offset() -> int:
    """An offset under which 1143/1993 (Fieldpost) and 1144/1994 (Dovecot) are all free."""
    for _ in range(100):
        offset = 20000 + random.randrange(0, 26000)  # the highest default port + offset <= 65535
        ports = [1143 + offset, 1993 + offset, 1144 + offset, 1994 + offset]
        if all(_free(p) for p in ports):
            return offset
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_port(port: int, seconds: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} (exit status {proc.poll()})")


def mbox(messages: list[bytes]) -> bytes:
    out = []
    for raw in messages:
        body = re.sub(rb"^(>*From )", rb">\1", raw.replace(b"\r\n", b"\n"), flags=re.MULTILINE)
        out.append(b"From sender@example.org Mon Jan  6 10:00:00 2025\n" + body.rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def start_fieldpost(
    work: Path,
    boxes: dict[str, list[bytes]],
    offset: int,
    serve: bool = True,
    workers: int = 0,
    plain: bool = False,
) -> tuple[subprocess.Popen[bytes] | None, float]:
    """``fieldpost init --demo``, the mailboxes imported, ``python -m sidecars.imap`` started; returns the
    process and the import time. Without ``serve`` only the data directory is made (its certificate is
    Dovecot's too). With ``workers`` the service runs as ``fieldpost serve`` with only imap, as a pool of
    that many worker processes; the process returned is the supervisor (its tree holds the workers)."""
    data = work / "fieldpost"
    fp = [sys.executable, "-m", "fieldpost"]
    subprocess.run([*fp, "init", "--data", str(data), "--demo", "--admin-password", "adminpass1",
                    "--demo-password", PASSWORD, "--hostname", "mx.example.test"], check=True, capture_output=True)  # fmt: skip
    settings = [("net.imap.max_connections", "0"), ("net.imap.max_per_ip", "0")]  # no limit, as Dovecot
    if plain:  # LOGIN on the plain listener (Dovecot allows it from loopback)
        settings.append(("imap.allow_plaintext_auth", "true"))
    for name, value in settings:
        subprocess.run(
            [*fp, "settings", "set", name, value, "--data", str(data)], check=True, capture_output=True
        )
    if not serve:
        return None, 0.0
    t = time.perf_counter()
    for user, messages in boxes.items():
        path = work / f"{user}.mbox"
        path.write_bytes(mbox(messages))
        subprocess.run([*fp, "import", "mbox", "--data", str(data), "--to", user, str(path)], check=True,
                       capture_output=True)  # fmt: skip
    imported = time.perf_counter() - t
    out = open(work / "fieldpost-imap.out", "wb")  # noqa: SIM115  (the child keeps it)
    argv = [sys.executable, "-m", "sidecars.imap", "--data", str(data), "--service", "imap"]
    if workers:
        toml = data / "fieldpost.toml"
        text = re.sub(r"(?m)^services = .*$", 'services = ["imap"]', toml.read_text())
        toml.write_text(text + f"\n[workers]\nimap = {workers}\n")
        argv = [*fp, "serve", "--data", str(data)]
    proc = subprocess.Popen(
        [*argv, "--port-offset", str(offset)], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_port(1993 + offset, 60, proc)
    except RuntimeError as exc:
        stop(proc)
        tail = (work / "fieldpost-imap.out").read_text(errors="replace")[-600:]
        raise RuntimeError(f"{exc}: {tail}") from None
    return proc, imported


def start_dovecot(
    work: Path, boxes: dict[str, list[bytes]], offset: int, idle: int, per_process: int, argon2: bool
) -> Dovecot:
    tls = work / "fieldpost" / "tls"
    peer = Dovecot({u: PASSWORD for u in boxes}, tls / "cert.pem", tls / "key.pem", 1144 + offset, 1994 + offset,
                   idle_clients=idle, sessions_per_process=per_process, argon2=argon2)  # fmt: skip
    for user, messages in boxes.items():
        for sub in ("cur", "new", "tmp"):
            (peer.maildir(user) / sub).mkdir()
            os.chown(peer.maildir(user) / sub, NOBODY, NOBODY)
        for n, raw in enumerate(messages):
            path = peer.maildir(user) / "cur" / f"{1700000000 + n}.M{n}P1.bench:2,"
            path.write_bytes(raw)
            os.chown(path, NOBODY, NOBODY)
    return peer.start()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def warm(port: int, ctx: ssl.SSLContext) -> None:
    for user in USERS:
        client = Client(port, ctx)
        client.command(f'LOGIN "{user}" "{PASSWORD}"')
        client.command("SELECT INBOX")
        client.command("FETCH 1:* (FLAGS)")
        client.command(f"UID SEARCH TEXT {BODY_WORDS[0]}")
        client.command("LOGOUT")
        client.close()


def measure_mix(result: Result, port: int, ctx: ssl.SSLContext, args: argparse.Namespace,
                messages: list[bytes]) -> None:  # fmt: skip
    warm(port, ctx)
    words = [] if args.no_search else BODY_WORDS + TOPICS[:4]
    print(f"  {result.name}: {args.clients} clients x {args.seconds:.0f} s ...", flush=True)
    result.tally, result.wall = run_mix(port, ctx, USERS, PASSWORD, messages, words, args.clients, args.seconds,
                                        IDLE_SECONDS)  # fmt: skip


def measure_idle(
    result: Result, port: int, root_pid: int, ctx: ssl.SSLContext | None, args: argparse.Namespace
) -> None:
    result.base_memory = tree_memory(root_pid)
    print(f"  {result.name}: {args.idle:,} idle IDLE connections ...", flush=True)

    def sample() -> None:
        rss, pss, procs = tree_memory(root_pid)
        result.peak_rss, result.peak_pss = max(result.peak_rss, rss), max(result.peak_pss, pss)
        result.peak_procs = max(result.peak_procs, procs)
        result.settled = (rss, pss, procs)

    result.idle_reached, result.idle_errors, result.idle_setup = idle_swarm(
        port, ctx, USERS, PASSWORD, args.idle, sample
    )


def rows_for(results: list[Result], args: argparse.Namespace) -> list[list[str]]:
    ours, peer = results

    def rate(r: Result, what: str) -> float | None:
        if r.tally is None or not r.wall:
            return None
        return (r.tally.ops if what == "ops" else r.tally.sessions) / r.wall

    def cells(a: float | None, b: float | None, unit: str, higher_better: bool) -> list[str]:
        ratio = "" if not a or not b else f"{(a / b if higher_better else b / a):.2f}x"
        return [f"{fmt(a)} {unit}" if a else "-", f"{fmt(b)} {unit}" if b else "-", ratio]

    rows = [
        [
            f"commands/s, {args.clients} clients, mix",
            *cells(rate(ours, "ops"), rate(peer, "ops"), "cmd/s", True),
        ],
        [
            f"sessions/s ({11 if args.no_search else 12} commands each)",
            *cells(rate(ours, "s"), rate(peer, "s"), "/s", True),
        ],
    ]
    names = list(peer.tally.latencies) if peer.tally else list(ours.tally.latencies) if ours.tally else []
    for name in names:
        a = (
            statistics.median(ours.tally.latencies[name]) * 1000
            if ours.tally and ours.tally.latencies[name]
            else None
        )
        b = (
            statistics.median(peer.tally.latencies[name]) * 1000
            if peer.tally and peer.tally.latencies[name]
            else None
        )
        rows.append([f"  {name}, median latency", *cells(a, b, "ms", False)])
    if args.idle:
        rows.append([f"idle IDLE connections reached (of {args.idle:,})", str(ours.idle_reached or "-"),
                     str(peer.idle_reached or "-"), ""])  # fmt: skip
        setup = [r.idle_reached / r.idle_setup if r.idle_setup else None for r in results]
        how = "plain" if args.plain else "TLS"
        rows.append(
            [f"  new sessions/s ({how} + LOGIN + SELECT + IDLE)", *cells(setup[0], setup[1], "/s", True)]
        )
        for label, pick in [
            ("memory before the idle swarm, RSS sum", lambda r: r.base_memory[0]),
            ("peak memory while connecting + holding, RSS sum", lambda r: r.peak_rss),
            ("peak memory while connecting + holding, PSS sum", lambda r: r.peak_pss),
            ("settled (end of the 10 s hold), RSS sum", lambda r: r.settled[0]),
            ("settled (end of the 10 s hold), PSS sum", lambda r: r.settled[1]),
        ]:
            rows.append([label, *cells(pick(ours) / MB or None, pick(peer) / MB or None, "MB", False)])
        per = [r.settled[1] / r.idle_reached / 1024 if r.idle_reached else None for r in results]
        rows.append(["  settled PSS per idle connection", *cells(per[0], per[1], "KB", False)])
        per = [(r.settled[1] - r.base_memory[1]) / r.idle_reached / 1024 if r.idle_reached else None
               for r in results]  # fmt: skip
        rows.append(["  the same above the pre-swarm base", *cells(per[0], per[1], "KB", False)])
        for label, procs in [("peak", lambda r: r.peak_procs), ("settled", lambda r: r.settled[2])]:
            rows.append([f"  processes in the server's tree, {label}", str(procs(ours) or "-"),
                         str(procs(peer) or "-"), ""])  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="300 messages, 10 clients, 10 s, 1,000 idle")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--messages", type=int, help="messages per mailbox")
    parser.add_argument("--idle", type=int, help="idle IDLE connections (0: skip)")
    parser.add_argument("--only", choices=["fieldpost", "dovecot"])
    parser.add_argument("--no-search", action="store_true", help="leave UID SEARCH TEXT out of the mix")
    parser.add_argument("--workers", type=int, default=0,
                        help="run Fieldpost under `fieldpost serve` with this many imap workers (default: one "
                             "bare service process)")  # fmt: skip
    parser.add_argument("--dovecot-argon2", action="store_true",
                        help="Dovecot's passwords as argon2id hashes (default: plain; see bench/README.md)")  # fmt: skip
    parser.add_argument("--dovecot-sessions-per-process", type=int, default=100,
                        help="Dovecot's imap client_limit for the idle test (default 100; 1 = its default)")  # fmt: skip
    parser.add_argument("--idle-only", action="store_true", help="skip the mix: only the idle connections")
    parser.add_argument("--plain", action="store_true",
                        help="idle connections on the plain IMAP ports (LOGIN in clear on loopback), not TLS")  # fmt: skip
    args = parser.parse_args()
    args.clients = args.clients or (10 if args.quick else 20)
    args.seconds = args.seconds or (10.0 if args.quick else 30.0)
    args.messages = args.messages or (300 if args.quick else 2000)
    args.idle = (1000 if args.quick else 10_000) if args.idle is None else args.idle
    fds = raise_fd_limit(max(65536, 2 * args.idle + 1000))

    rng = random.Random(3501)
    boxes = {
        user: [make_message(rng, i * args.messages + n)[2] for n in range(args.messages)]
        for i, user in enumerate(USERS)
    }
    appends = [make_message(rng, 10**6 + n)[2] for n in range(50)]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI"], capture_output=True, text=True
    )
    print(
        f"bench/imap.py {datetime.now(UTC):%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; Fieldpost {commit.stdout.strip()}; {dovecot_version()}; "
        f"{len(USERS)} mailboxes x {args.messages:,} messages; fd limit {fds:,}; "
        f"Fieldpost imap workers: {args.workers or 'one bare process'}; load average {os.getloadavg()[0]:.1f}"
    )
    work = Path(tempfile.mkdtemp(prefix="fp-bench-imap-"))
    # SIGTERM (e.g. from timeout) unwinds through the finally blocks, so the servers started here stop
    # too: a fieldpost serve supervisor (--workers) does not stop by itself when its parent goes away
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.chmod(work, 0o755)
    offset = free_offset()
    results = [Result("Fieldpost"), Result("Dovecot")]
    fieldpost_proc: subprocess.Popen[bytes] | None = None
    try:
        ctx = ssl.create_default_context()
        try:
            fieldpost_proc, imported = start_fieldpost(
                work, boxes, offset, serve=args.only != "dovecot", workers=args.workers, plain=args.plain
            )
            if fieldpost_proc is not None:
                print(f"  Fieldpost: {len(USERS) * args.messages:,} messages imported in {imported:.1f} s")
            else:
                results[0].note = "not measured (--only dovecot)"
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            results[0].note = f"not measured: {exc}"
        ctx = ssl.create_default_context(cafile=str(work / "fieldpost" / "tls" / "cert.pem"))
        if fieldpost_proc is not None and args.only != "dovecot":
            try:
                if not args.idle_only:
                    measure_mix(results[0], 1993 + offset, ctx, args, appends)
                if args.idle:
                    if args.plain:
                        measure_idle(results[0], 1143 + offset, fieldpost_proc.pid, None, args)
                    else:
                        measure_idle(results[0], 1993 + offset, fieldpost_proc.pid, ctx, args)
            except (ImapError, OSError) as exc:
                results[0].note = f"failed: {exc}"
        if fieldpost_proc is not None:
            stop(fieldpost_proc)
        if args.only != "fieldpost" and not args.idle_only:
            peer = start_dovecot(
                work, boxes, offset, 0, 1, args.dovecot_argon2
            )  # the mix: Dovecot's default process model
            try:
                measure_mix(results[1], peer.imaps_port, ctx, args, appends)
            except (ImapError, OSError) as exc:
                results[1].note = f"failed: {exc}\n{peer.log_text()[-1000:]}"
            finally:
                peer.stop()
        if args.only != "fieldpost" and args.idle:
            peer = start_dovecot(
                work, boxes, offset, args.idle, args.dovecot_sessions_per_process, args.dovecot_argon2
            )
            try:
                if args.plain:
                    measure_idle(results[1], peer.imap_port, peer.pid, None, args)
                else:
                    measure_idle(results[1], peer.imaps_port, peer.pid, ctx, args)
            except (ImapError, OSError) as exc:
                results[1].note = f"idle failed: {exc}\n{peer.log_text()[-1000:]}"
            finally:
                peer.stop()
    finally:
        if fieldpost_proc is not None:
            stop(fieldpost_proc)
        shutil.rmtree(work, ignore_errors=True)

    print()
    print_table(["measure", "Fieldpost", "Dovecot", "ratio (>1: Fieldpost better)"], rows_for(results, args))
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note}")
        if r.tally and r.tally.errors:
            print(f"  {r.name}: {len(r.tally.errors)} session errors, first: {r.tally.errors[:3]}")
        if r.tally and r.tally.expunge_issued:
            cases = r.tally.expunge_issued
            print(f"  {r.name}: {len(cases)} commands answered NO [EXPUNGEISSUED] (RFC 2180 4.1.2), e.g. "
                  f"{cases[0][0]!r} with {cases[0][1]} FETCH responses before the NO")  # fmt: skip
        if r.idle_errors:
            print(f"  {r.name}: idle connection errors, first: {r.idle_errors}")
    ours = results[0]
    if args.idle and ours.idle_reached:
        total = ours.settled[1]
        verdict = "met" if total < 1024 * MB and ours.idle_reached == args.idle else "not met"
        print(f"  aim (issue 10): {args.idle:,} idle connections under 1 GB PSS in the server's tree: {verdict} "
              f"({ours.idle_reached:,} held, {total / MB:,.0f} MB PSS, {total / ours.idle_reached / 1024:.0f} KB each)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
