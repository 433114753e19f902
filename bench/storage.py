"""Storage benchmark: Fieldpost's store beside a plain Maildir, measured in the same run.

    .venv/bin/python bench/storage.py [--quick] [--db sqlite|postgresql] [--populate batch|deliver]
                                      [--threads 8]

Prints one table: our figure, the Maildir figure, and the ratio oriented so that > 1 means Fieldpost is
better (rates: ours / peer; times and bytes: peer / ours). What is measured (see bench/README.md):

* deliveries/s with durable commits, 1 and 50 recipients x 4 KB and 100 KB, distinct content per message:
  ``store.mail.deliver`` (SQLite WAL + synchronous=FULL, or PostgreSQL with its server settings; blob
  written, fsync'd, renamed, directory fsync'd) against the Maildir protocol done here: for each
  recipient write ``tmp/``, fsync, rename into ``new/``, fsync ``new/``; then 1 recipient from
  ``--threads`` threads at once on both sides (the processing service delivers a claimed batch with
  several threads, so concurrent deliveries share SQLite group commits; the Maildir peer's threads
  deliver the same way, each message to its own recipient's Maildir);
* flag fetch of a whole N-message folder (``store.mail.flags(folder)``) against
  listing a Maildir ``cur/`` and parsing the flags from the file names;
* search for a rare and a common word (``store.mail.search``) against ``grep -rliF`` over ``cur/``;
* folder open + one UID lookup at 1k and at N messages (``store.folders.get`` + ``store.mail.info`` of one
  UID) against opening a Maildir folder, which means listing it;
* disk bytes per payload byte (database + WAL + blobs, or Maildir files; allocated blocks).

N is 100k (10k with ``--quick``). The big folders are populated without fsync (population is not what is
measured): by default in transactions of 500 messages through the same storage code ``deliver`` uses
(``Mail.reference_body`` + ``Mail._add``: body row, FTS row, UID, counters); ``--populate deliver`` calls
``store.mail.deliver`` once per message instead (slower: ~250/s on SQLite without fsync).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, text  # noqa: E402

from bench.report import fmt, print_table  # noqa: E402
from storage import flags as fl  # noqa: E402
from storage import mime, open_store  # noqa: E402
from storage.blobs import sha256_hex  # noqa: E402
from storage.list_keys import parsed_keys  # noqa: E402
from storage.store import Store  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
DOMAIN = "bench.test"
RARE = "zanzibarquux"  # in one message of every 5000
COMMON = "meeting"  # in every other message
_VOCABULARY = """
project budget report review team schedule customer invoice lunch travel office contract release server backup network
printer holiday agenda minutes draft update question answer thanks regards please attached document summary quarter planning design
"""
WORDS = _VOCABULARY.split()
LOOKUPS = 200  # folder opens + UID lookups per timing
MAILDIR_FLAGS = ("", "S", "S", "RS", "FS", "F")  # what a Maildir cur/ typically holds


# -- messages ---------------------------------------------------------------------------------------


def make_message(rng: random.Random, n: int, size: int, *, words: tuple[str, ...] = ()) -> bytes:
    """A plain-text message of about ``size`` bytes, distinct for every ``n``."""
    head = (
        f"From: Sender {n % 97} <sender{n % 97}@example.org>\r\n"
        f"To: someone@{DOMAIN}\r\n"
        f"Subject: {rng.choice(WORDS)} {rng.choice(WORDS)} #{n}\r\n"
        f"Message-ID: <{n}.{rng.randrange(10**9)}@example.org>\r\n"
        f"Date: Mon, 6 Jan 2025 10:00:00 +0000\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    body: list[str] = [" ".join(words)] if words else []
    length = len(head) + sum(len(b) + 2 for b in body)
    while length < size:
        line = " ".join(rng.choice(WORDS) for _ in range(12))
        body.append(line)
        length += len(line) + 2
    return (head + "\r\n".join(body) + "\r\n").encode()


def folder_message(rng: random.Random, n: int) -> tuple[bytes, str]:
    """The n-th message of a big folder (2-8 KB, the rare/common words planted) and its Maildir flags."""
    words = tuple(w for w, every in ((RARE, 5000), (COMMON, 2)) if n % every == 1)
    return make_message(rng, n, rng.randrange(2000, 8000), words=words), rng.choice(MAILDIR_FLAGS)


# -- the Maildir peer -------------------------------------------------------------------------------


class Maildir:
    """The standard Maildir delivery protocol (tmp/ -> fsync -> rename into new/ -> fsync new/)."""

    _seq = 0

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("tmp", "new", "cur"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    @classmethod
    def unique(cls) -> str:
        cls._seq += 1
        now = time.time()
        return f"{int(now)}.M{int(now * 1e6) % 1000000}P{os.getpid()}Q{cls._seq}.{socket.gethostname()}"

    def deliver(self, raw: bytes) -> None:
        name = self.unique()
        tmp = self.root / "tmp" / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, raw)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, self.root / "new" / name)
        dfd = os.open(self.root / "new", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def store_seen(self, raw: bytes, flags: str) -> None:
        """Population only: a message as a client left it in cur/ (no fsync, like the store's fill)."""
        (self.root / "cur" / f"{self.unique()}:2,{flags}").write_bytes(raw)

    def flags(self) -> dict[str, frozenset[str]]:
        out = {}
        for name in os.listdir(self.root / "cur"):
            base, _, info = name.rpartition(":2,")
            out[base] = frozenset(info)
        return out


# -- helpers ----------------------------------------------------------------------------------------


def in_threads(lane: Callable[[int], None], n: int) -> float:
    """Run ``lane(0)`` .. ``lane(n - 1)`` in n threads at once; the seconds until all are done."""
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            lane(k)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    if errors:
        raise errors[0]
    return elapsed


def disk_usage(path: Path) -> int:
    """Allocated bytes under ``path`` (like du)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        total += os.stat(dirpath).st_blocks * 512
        for f in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(dirpath, f)).st_blocks * 512
    return total


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


@contextlib.contextmanager
def no_durability(store: Store) -> Iterator[None]:
    """For populating only: skip fsync (blobs) and durable commits (SQLite synchronous=OFF / PG async)."""
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # type: ignore[assignment]
    engine = store.db.engine

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF" if store.db.is_sqlite else "SET synchronous_commit = off")
        cur.close()
        if not store.db.is_sqlite:
            dbapi_conn.commit()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # pooled PostgreSQL connections must pick the setting up
    try:
        yield
    finally:
        event.remove(engine, "connect", on_connect)
        engine.dispose()
        os.fsync = real_fsync  # type: ignore[assignment]


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.rows: list[tuple[str, str, str, str]] = []
        self.pg_admin: Any = None
        self.pg_names: list[str] = []

    # database per store
    def open(self, name: str) -> tuple[Store, Path]:
        data = self.work / name
        data.mkdir()
        if self.args.db == "sqlite":
            url = f"sqlite:///{data / 'db.sqlite3'}"
        else:
            if self.pg_admin is None:
                self.pg_admin = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
            db_name = f"fp_bench_{uuid.uuid4().hex[:10]}"
            with self.pg_admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
            self.pg_names.append(db_name)
            url = PG_SERVER + db_name
        return open_store(url, data / "blobs"), data

    def store_bytes(self, store: Store, data: Path) -> int:
        if store.db.is_sqlite:
            return disk_usage(data)
        with store.db.read() as conn:
            db_bytes = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
        return db_bytes + disk_usage(data / "blobs")

    def drop_databases(self) -> None:
        if self.pg_admin is None:
            return
        with self.pg_admin.connect() as conn:
            for name in self.pg_names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.pg_admin.dispose()

    def row(self, label: str, ours: float, peer: float, unit: str, *, higher_is_better: bool) -> None:
        ratio = (ours / peer if higher_is_better else peer / ours) if ours and peer else float("nan")
        self.rows.append((label, f"{fmt(ours)} {unit}", f"{fmt(peer)} {unit}", f"{ratio:.2f}x"))
        print(
            f"  {label}: ours {fmt(ours)} {unit}, Maildir {fmt(peer)} {unit}, ratio {ratio:.2f}x", flush=True
        )

    # 1. deliveries
    def deliveries(self) -> None:
        quick = self.args.quick
        store, data = self.open("deliver")
        try:
            store.domains.add(DOMAIN)
            users = [f"user{i}@{DOMAIN}" for i in range(50)]
            for u in users:
                store.accounts.add(u, None)
            maildirs = [Maildir(self.work / "maildir-deliver" / u) for u in users]
            rng = random.Random(1)
            payload = 0
            seq = 0
            for rcpts, size in ((1, 4096), (1, 102400), (50, 4096), (50, 102400)):
                count = {1: 300 if quick else 1000, 50: 30 if quick else 100}[rcpts]
                if size > 4096:
                    count = count * 2 // 3
                msgs = []
                for _ in range(count):
                    seq += 1
                    msgs.append(make_message(rng, seq, size))
                peer_msgs = [m.replace(b"Subject: ", b"Subject: md ", 1) for m in msgs]  # distinct blobs
                targets = users[:rcpts]
                t = time.perf_counter()
                for m in msgs:
                    result = store.mail.deliver(m, targets)
                    assert len(result.delivered) == rcpts, result.failed
                ours = count / (time.perf_counter() - t)
                t = time.perf_counter()
                for m in peer_msgs:
                    for md in maildirs[:rcpts]:
                        md.deliver(m)
                peer = count / (time.perf_counter() - t)
                payload += sum(len(m) for m in msgs) * rcpts
                label = f"deliveries/s, {rcpts} rcpt x {size // 1024} KB (n={count})"
                self.row(label, ours, peer, "msg/s", higher_is_better=True)
            # the same 1-recipient deliveries from N threads at once, on both sides: what the processing
            # service does with a claimed batch (queue.processing_threads); units share group commits
            n_threads = self.args.threads
            for size in (4096, 102400):
                count = (300 if quick else 1000) * (1 if size == 4096 else 2) // (1 if size == 4096 else 3)
                msgs = []
                for _ in range(count):
                    seq += 1
                    msgs.append(make_message(rng, seq, size))
                peer_msgs = [m.replace(b"Subject: ", b"Subject: md ", 1) for m in msgs]

                def ours_lane(k: int, todo: list[bytes] = msgs) -> None:
                    for i in range(k, len(todo), n_threads):
                        result = store.mail.deliver(todo[i], [users[i % len(users)]])
                        assert len(result.delivered) == 1, result.failed

                def peer_lane(k: int, todo: list[bytes] = peer_msgs) -> None:
                    for i in range(k, len(todo), n_threads):
                        maildirs[i % len(maildirs)].deliver(todo[i])

                ours = count / in_threads(ours_lane, n_threads)
                peer = count / in_threads(peer_lane, n_threads)
                payload += sum(len(m) for m in msgs)
                label = f"deliveries/s, 1 rcpt x {size // 1024} KB, {n_threads} threads (n={count})"
                self.row(label, ours, peer, "msg/s", higher_is_better=True)
            ours_b = self.store_bytes(store, data)
            peer_b = disk_usage(self.work / "maildir-deliver")
            self.row(
                "disk bytes per payload byte, delivery mix (payload = size x rcpts)",
                ours_b / payload,
                peer_b / payload,
                "B/B",
                higher_is_better=False,
            )
        finally:
            store.close()

    # 2-5. a big folder
    def populate(self, store: Store, address: str, md: Maildir, n: int, seed: int) -> tuple[int, int]:
        """Fill the INBOX of ``address`` and ``md`` with the same n messages; (folder id, payload bytes)."""
        rng = random.Random(seed)
        fid = store.folders.get(address, "INBOX").id
        payload = 0
        batch = 500
        started = time.perf_counter()
        with no_durability(store):
            for start in range(0, n, batch):
                msgs = [folder_message(rng, i) for i in range(start + 1, min(n, start + batch) + 1)]
                for raw, flags in msgs:
                    md.store_seen(raw, flags)
                    payload += len(raw)
                if self.args.populate == "deliver":
                    for raw, flags in msgs:
                        res = store.mail.deliver(raw, [address])
                        if flags:
                            names = [{"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged"}[c] for c in flags]
                            store.mail.set_flags(fid, [res.delivered[address][1]], names)
                else:
                    self._insert_batch(store, fid, msgs)
                done = min(n, start + batch)
                if done % 10000 == 0 or done == n:
                    rate = done / (time.perf_counter() - started)
                    print(f"    populated {done}/{n} ({rate:.0f}/s)", flush=True)
        return fid, payload

    @staticmethod
    def _insert_batch(store: Store, fid: int, msgs: list[tuple[bytes, str]]) -> None:
        now = datetime.now(UTC)
        bits_of = {"S": fl.SEEN, "R": fl.ANSWERED, "F": fl.FLAGGED}
        reference = store.mail.reference_body
        with store.db.write() as conn:
            entries = []
            for raw, flags in msgs:
                sha = sha256_hex(raw)
                store.blobs.put(raw, sha)
                parsed = mime.parse_message(raw)
                body_id = reference(conn, sha, raw, parsed, 1)
                bits = sum(bits_of[c] for c in flags)
                entries.append((body_id, len(raw), bits, "", now, parsed_keys(parsed, now, sha)))
            store.mail._add(conn, fid, entries)

    def big_folder(self) -> None:
        n = 10_000 if self.args.quick else 100_000
        small_n = 1000
        label_n = f"{n // 1000}k"
        store, data = self.open("folder")
        try:
            store.domains.add(DOMAIN)
            store.accounts.add(f"big@{DOMAIN}", None)
            store.accounts.add(f"small@{DOMAIN}", None)
            big_md = Maildir(self.work / "maildir-folder" / "big")
            small_md = Maildir(self.work / "maildir-folder" / "small")
            print(f"  populating {n} + {small_n} messages ({self.args.populate}) ...", flush=True)
            t = time.perf_counter()
            big, payload = self.populate(store, f"big@{DOMAIN}", big_md, n, seed=2)
            small, small_payload = self.populate(store, f"small@{DOMAIN}", small_md, small_n, seed=3)
            print(f"  populated in {time.perf_counter() - t:.0f} s", flush=True)
            payload += small_payload

            infos = store.mail.flags(big)
            assert len(infos) == n and len(big_md.flags()) == n
            ours = best_of(lambda: store.mail.flags(big))
            peer = best_of(big_md.flags)
            self.row(
                f"flag fetch, whole {label_n} folder", ours * 1000, peer * 1000, "ms", higher_is_better=False
            )

            cur = str(big_md.root / "cur")
            for word, what in ((RARE, "rare"), (COMMON, "common")):
                t = time.perf_counter()
                found = store.mail.search(big, word)
                first = time.perf_counter() - t
                grep = ["grep", "-rliF", word, cur]
                hits = subprocess.run(grep, capture_output=True, check=False).stdout.count(b"\n")
                assert len(found) == hits, (word, len(found), hits)
                # A search slower than 2 s is not repeated (it would only add minutes to the run).
                ours = min(first, best_of(lambda w=word: store.mail.search(big, w))) if first < 2 else first
                peer = best_of(lambda g=grep: subprocess.run(g, capture_output=True, check=False))
                self.row(
                    f"search {label_n}, {what} word ({hits} hits)",
                    ours * 1000,
                    peer * 1000,
                    "ms",
                    higher_is_better=False,
                )

            opened: dict[str, float] = {}
            for address, fid, md, size in (
                (f"small@{DOMAIN}", small, small_md, "1k"),
                (f"big@{DOMAIN}", big, big_md, label_n),
            ):
                uids = store.mail.uids(fid)
                probe = uids[len(uids) // 2]

                def open_and_lookup(a: str = address, u: int = probe) -> None:
                    for _ in range(LOOKUPS):
                        f = store.folders.get(a, "INBOX")
                        assert store.mail.info(f.id, [u], with_structure=False)[0].uid == u

                ours = best_of(open_and_lookup) / LOOKUPS
                peer = best_of(lambda m=md: os.listdir(m.root / "cur"), repeat=5)
                opened[size] = ours
                self.row(
                    f"folder open + 1 UID lookup, {size} folder",
                    ours * 1000,
                    peer * 1000,
                    "ms",
                    higher_is_better=False,
                )
            growth = opened[label_n] / opened["1k"]
            self.rows.append((f"  ours: {label_n} vs 1k open+lookup time", f"{growth:.2f}x", "", ""))
            print(f"  folder open + lookup, {label_n} / 1k: {growth:.2f}x", flush=True)

            ours_b = self.store_bytes(store, data)
            peer_b = disk_usage(self.work / "maildir-folder")
            self.row(
                f"disk bytes per payload byte, {label_n}+1k folders",
                ours_b / payload,
                peer_b / payload,
                "B/B",
                higher_is_better=False,
            )
        finally:
            store.close()

    def durability_note(self) -> str:
        if self.args.db == "sqlite":
            return "SQLite WAL, synchronous=FULL; blobs fsync'd + dir fsync'd"
        engine = create_engine(PG_SERVER + "postgres")
        try:
            with engine.connect() as conn:
                fsync = conn.execute(text("SHOW fsync")).scalar_one()
                sync = conn.execute(text("SHOW synchronous_commit")).scalar_one()
                version = conn.execute(text("SHOW server_version")).scalar_one()
        finally:
            engine.dispose()
        return f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={sync}); blobs fsync'd"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10k-message folders and fewer deliveries")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--populate", choices=("batch", "deliver"), default="batch")
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="threads of the concurrent-delivery rows, both sides (default 8)",
    )
    parser.add_argument("--workdir", help="where to put the data (default: a temporary directory)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fp-bench-", dir=args.workdir))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (data, PG databases) on kill
    bench = Bench(args, work)
    started = time.perf_counter()
    try:
        note = bench.durability_note()
        print(f"Fieldpost storage benchmark: {'quick' if args.quick else 'full'}, {args.db}, data in {work}")
        print(f"  {note}; {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
        bench.deliveries()
        bench.big_folder()
    finally:
        bench.drop_databases()
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"Fieldpost vs Maildir ({args.db}, {'quick' if args.quick else 'full'}; {note})")
    print_table(("measure", "Fieldpost", "Maildir", "ratio (>1: Fieldpost better)"), bench.rows)
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
