"""WebMail benchmark: Fieldpost's WebMail beside Debian's Roundcube over Dovecot, the same mailbox and the
same load, measured in the same run.

    .venv/bin/python bench/webmail.py [--quick] [--messages N] [--users U] [--seconds S]
                                      [--only fieldpost|roundcube] [--rounds R] [--roundcube-cache]

The mailbox: N messages (100,000; 10,000 with --quick) made once by bench/webmail_corpus.py and cached,
the same bytes put into bob's INBOX in Fieldpost's store (``fieldpost init --demo`` data directory,
filled in batches through the storage code delivery uses, as bench/storage.py does) and into the Maildir
of a private Dovecot (bench/dovecot.py) that Roundcube reads over IMAP (bench/roundcube.py).

The servers: Fieldpost as ``fieldpost serve`` runs it (gunicorn, gevent worker; only the web service
started), Roundcube under php-fpm (static pool of U processes) and nginx. Both are up for the whole run;
each kind of request is measured on one server right after the other (the order swapped every round,
``--rounds``, 1 with --quick, else 2), so a change in the machine's load hits both about alike.

The load (bench/webmail_load.py): U users (20), each a browser session logged in through the login form
(CSRF token, cookies), all on the same mailbox. Three measurements of S seconds each (30; 10 with
--quick) per round, every user sending one kind of request after another (one untimed request each
first):

* list: one page of 50 rows at a random page of the folder, sorted by date (Roundcube: the list Ajax
  call of its message list; ours: the Standard list route);
* open: one message at a random UID (Roundcube: the preview frame; ours: the reader route);
* search: a word found in about N/1000 subjects, first page of the hits (Roundcube: its quick search
  with only Subject ticked; ours: the list's search form, its Subject field).

Printed: requests/s and p50/p95 latency per measurement, the ratio (ours / Roundcube for rates,
Roundcube / ours for times: > 1 means Fieldpost is better), and the rows per answer as a check that
both list 50. Until WebMail's routes are on main, the Fieldpost column says what is missing.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import roundcube as rc  # noqa: E402
from bench.dovecot import NOBODY, Dovecot, dovecot_version  # noqa: E402
from bench.report import fmt, print_table  # noqa: E402
from bench.webmail_corpus import SEARCH_WORDS, corpus, messages  # noqa: E402
from bench.webmail_load import Session, Step, Tally, run  # noqa: E402
from bench.webmail_ours import OursUser, Unavailable  # noqa: E402

ADDRESS = "bob@example.test"
PASSWORD = "benchpass1"
KINDS = ("list", "open", "search")


@dataclass
class Side:
    name: str
    note: str = ""
    tallies: dict[str, Tally] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    steps: dict[str, Step] = field(default_factory=dict)

    def measure(self, kind: str, args: argparse.Namespace) -> None:
        """One untimed request per user (warm-up), then the timed run, added to the earlier rounds'."""
        run(self.sessions, self.steps[kind], 600, max_requests=len(self.sessions))
        print(f"  {self.name}: {kind}, {len(self.sessions)} users x {args.seconds:.0f} s ...", flush=True)
        self.tallies.setdefault(kind, Tally()).add(run(self.sessions, self.steps[kind], args.seconds))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_offset() -> int:
    """A port offset under which Fieldpost's 8000/9000 (web) are free."""
    for _ in range(100):
        offset = 20000 + random.randrange(0, 26000)
        if all(_free(p + offset) for p in (8000, 9000)):
            return offset
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def pick(n: int, kind: str, args: argparse.Namespace) -> int:
    """The page, message (k-th of the folder, 1-based) or word index of request n (deterministic, the same
    sequence for both servers). Ours numbers the filled folder's messages 1..N, so k is the UID; for
    Dovecot k is mapped to its k-th UID."""
    rng = random.Random(f"{kind}-{n}")
    pages = max(1, args.messages // 50)
    return {"list": rng.randrange(1, pages + 1), "open": rng.randrange(1, args.messages + 1)}.get(
        kind, rng.randrange(len(SEARCH_WORDS))
    )


# -- Fieldpost ---------------------------------------------------------------------------------------


def fill_fieldpost(data: Path, root: Path) -> tuple[int, float]:
    """Bob's INBOX filled with the corpus; (folder id, seconds)."""
    from bench.storage import Bench, no_durability
    from fieldpost import config as configuration
    from storage import open_store

    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    t = time.perf_counter()
    try:
        fid = store.folders.get(ADDRESS, "INBOX").id
        batch: list[tuple[bytes, str]] = []
        with no_durability(store):
            for n, (_name, raw) in enumerate(messages(root), 1):
                batch.append((raw, ""))
                if len(batch) == 500:
                    Bench._insert_batch(store, fid, batch)
                    batch = []
                if n % 20000 == 0:
                    print(f"    Fieldpost: {n:,} stored", flush=True)
            if batch:
                Bench._insert_batch(store, fid, batch)
    finally:
        store.close()
    return fid, time.perf_counter() - t


def init_data(data: Path) -> None:
    """``fieldpost init --demo``: example.test with alice, bob and carol (bob's INBOX starts empty)."""
    subprocess.run([sys.executable, "-m", "fieldpost", "init", "--data", str(data), "--demo", "--admin-password",
                    "adminpass1", "--demo-password", PASSWORD, "--hostname", "mx.example.test"],
                   check=True, capture_output=True)  # fmt: skip


def start_fieldpost(side: Side, work: Path, root: Path, args: argparse.Namespace, stack: ExitStack) -> None:
    """The data directory filled, ``fieldpost serve`` started (stopped by ``stack``), the users logged in."""
    data = work / "fieldpost"
    fp = [sys.executable, "-m", "fieldpost"]
    fid, seconds = fill_fieldpost(data, root)
    side.setup.append(f"{args.messages:,} messages stored in {seconds:.0f} s")
    toml = data / "fieldpost.toml"
    toml.write_text(re.sub(r"(?m)^services = .*$", 'services = ["web"]', toml.read_text()))
    offset = free_offset()
    port = 8000 + offset
    out = open(work / "fieldpost-serve.out", "wb")  # noqa: SIM115  (the child keeps it)
    proc = subprocess.Popen([*fp, "serve", "--data", str(data), "--port-offset", str(offset)], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    stack.callback(stop, proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Session(port).get("/health").status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (work / "fieldpost-serve.out").read_text(errors="replace")[-600:]
                raise RuntimeError(f"fieldpost serve did not answer /health: {tail}")
            time.sleep(0.3)
        users = [OursUser.login(port, ADDRESS, PASSWORD, fid) for _ in range(args.users)]
        users[0].discover()
        first = users[0]
        for user in users[1:]:
            user.page_param, user.search_key, user.search_fields = (
                first.page_param,
                first.search_key,
                first.search_fields,
            )
        side.setup.append(
            f"list paging parameter {first.page_param!r}, search {first.search_key!r} + {first.search_fields}"
        )
        by_session = {id(u.session): u for u in users}
        side.sessions = [u.session for u in users]
        side.steps = {
            "list": lambda s, i, n: by_session[id(s)].list_page(pick(n, "list", args)),
            "open": lambda s, i, n: by_session[id(s)].open_message(pick(n, "open", args)),
            "search": lambda s, i, n: by_session[id(s)].search(SEARCH_WORDS[pick(n, "search", args)]),
        }
    except Unavailable as exc:
        side.note = f"not available yet: {exc}"


# -- Roundcube ---------------------------------------------------------------------------------------


def start_roundcube(side: Side, root: Path, args: argparse.Namespace, tls: Path, stack: ExitStack) -> None:
    """Dovecot with the corpus, Roundcube over it (both stopped by ``stack``), the users logged in."""
    lacking = rc.missing()
    if lacking or dovecot_version() == "not installed":
        side.note = f"not measured: missing {', '.join(lacking) or 'dovecot'} (make bench-deps)"
        return
    imap_port, imaps_port, http_port = free_port(), free_port(), free_port()
    peer = Dovecot({ADDRESS: PASSWORD}, tls / "cert.pem", tls / "key.pem", imap_port, imaps_port)
    stack.callback(peer.stop)
    t = time.perf_counter()
    maildir = peer.maildir(ADDRESS)
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir()
        os.chown(maildir / sub, NOBODY, NOBODY)
    for name in os.listdir(root / "cur"):
        shutil.copyfile(root / "cur" / name, maildir / "cur" / name)
        os.chown(maildir / "cur" / name, NOBODY, NOBODY)
    side.setup.append(
        f"{args.messages:,} messages copied into the Maildir in {time.perf_counter() - t:.0f} s"
    )
    peer.start()
    warmed, uids = rc.warm_imap(imap_port, ADDRESS, PASSWORD)
    side.setup.append("Dovecot warmed over IMAP (index, date sort, list headers cached): "
                      + ", ".join(f"{t:.1f} s" for t in warmed))  # fmt: skip
    server = rc.Roundcube(http_port, imap_port, children=args.users, cache=args.roundcube_cache)
    stack.callback(server.stop)
    try:
        server.start()
        users = [rc.login(http_port, ADDRESS, PASSWORD) for _ in range(args.users)]
        t = time.perf_counter()
        rc.list_page(users[0], 1, sort="date_DESC")  # Roundcube keeps the sort in the user's prefs
        side.setup.append(f"first list (sort by date set) {time.perf_counter() - t:.1f} s")
        rc_users = {id(u.session): u for u in users}
        side.sessions = [u.session for u in users]
        side.steps = {
            "list": lambda s, i, n: rc.list_page(rc_users[id(s)], pick(n, "list", args)),
            "open": lambda s, i, n: rc.open_message(rc_users[id(s)], uids[pick(n, "open", args) - 1]),
            "search": lambda s, i, n: rc.search(rc_users[id(s)], SEARCH_WORDS[pick(n, "search", args)]),
        }
    except Exception as exc:  # noqa: BLE001 (reported beside the table)
        side.note = f"failed: {type(exc).__name__}: {exc}\n{server.logs()[-1500:]}"


# -- report ------------------------------------------------------------------------------------------


def cell(t: Tally | None, value: Callable[[Tally], float], unit: str) -> str:
    return f"{fmt(value(t))} {unit}".rstrip() if t and t.latencies else "-"


def ratio(a: Tally | None, b: Tally | None, value: Callable[[Tally], float], higher_better: bool) -> str:
    """ours / peer for rates, peer / ours for times: > 1 means Fieldpost is better."""
    if not (a and b and a.latencies and b.latencies):
        return ""
    x, y = value(a), value(b)
    return f"{(x / y if higher_better else y / x):.2f}x" if x and y else ""


def rows_for(ours: Side, peer: Side, args: argparse.Namespace) -> list[list[str]]:
    out = []
    labels = {"list": "message list, 50 rows of a random page", "open": "open a message (random UID)",
              "search": "search a subject word"}  # fmt: skip
    for kind in KINDS:
        a, b = ours.tallies.get(kind), peer.tallies.get(kind)
        out.append([f"{labels[kind]}, {args.users} users", cell(a, Tally.rate, "req/s"),
                    cell(b, Tally.rate, "req/s"), ratio(a, b, Tally.rate, True)])  # fmt: skip
        for q in (50, 95):

            def ms(t: Tally, q: int = q) -> float:
                return t.pct(q) * 1000

            out.append([f"  p{q} latency", cell(a, ms, "ms"), cell(b, ms, "ms"), ratio(a, b, ms, False)])
        if kind != "open":

            def avg(t: Tally) -> float:
                return sum(t.rows) / len(t.rows) if t.rows else 0

            out.append(["  rows per answer (check)", cell(a, avg, ""), cell(b, avg, ""), ""])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 messages, 10 s per measurement")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--only", choices=["fieldpost", "roundcube"])
    parser.add_argument("--roundcube-cache", action="store_true",
                        help="Roundcube's imap_cache and messages_cache on (database); off as shipped")  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, help="measurements per kind and server, alternating (1; full 2)"
    )
    args = parser.parse_args()
    args.messages = args.messages or (10_000 if args.quick else 100_000)
    args.seconds = args.seconds or (10.0 if args.quick else 30.0)
    args.rounds = args.rounds or (1 if args.quick else 2)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI"], capture_output=True, text=True
    )
    peer_version = rc.version() if not rc.missing() else "Roundcube not installed"
    print(f"bench/webmail.py {datetime.now(UTC):%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; Fieldpost {commit.stdout.strip()}; {peer_version}; "
          f"{dovecot_version()}; {args.messages:,} messages; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    t = time.perf_counter()
    root = corpus(args.messages, ADDRESS)
    print(f"  corpus {root} ready in {time.perf_counter() - t:.0f} s", flush=True)
    work = Path(tempfile.mkdtemp(prefix="fp-bench-webmail-"))
    os.chmod(work, 0o755)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: the servers started here stop too
    ours, peer = Side("Fieldpost"), Side("Roundcube")
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        init_data(work / "fieldpost")  # its TLS certificate is Dovecot's too
        if args.only != "roundcube":
            try:
                start_fieldpost(ours, work, root, args, stack)
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                ours.note = f"failed: {exc}"
        else:
            ours.note = "not measured (--only roundcube)"
        if args.only != "fieldpost":
            start_roundcube(peer, root, args, work / "fieldpost" / "tls", stack)
        else:
            peer.note = "not measured (--only fieldpost)"
        # Both servers are up (the idle one costs nothing); each kind is measured on one right after the
        # other, the order swapped every round, so a change in the machine's load hits both alike.
        sides = [side for side in (ours, peer) if side.steps]
        for n in range(args.rounds):
            for kind in KINDS:
                for side in sides if n % 2 == 0 else sides[::-1]:
                    side.measure(kind, args)
        # the table before the clean-up: removing 200,000 files of a full run takes minutes
        print()
        print_table(
            ["measure", "Fieldpost", "Roundcube", "ratio (>1: Fieldpost better)"], rows_for(ours, peer, args)
        )
        for side in (ours, peer):
            for line in side.setup:
                print(f"  {side.name}: {line}")
            if side.note:
                print(f"  {side.name}: {side.note}")
            for kind, tally in side.tallies.items():
                if tally.errors:
                    print(f"  {side.name}: {kind}: {len(tally.errors)} errors, first: {tally.errors[:2]}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
