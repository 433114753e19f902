"""Crash safety: SIGKILL a process in the middle of deliveries and folder changes, many times over.

A child process (a fresh interpreter, not a fork of the test) opens the store and works in a loop,
announcing each operation before it starts (``BEGIN``) and after ``deliver()`` returned (``DONE``), with a
flush, so the parent knows which deliveries were acknowledged and which single one was in flight when
the kill landed. The parent kills it with SIGKILL after a random delay, many rounds in a row, and then
asserts what issue 2 promises: ``storage check`` finds only leftovers that repair may remove (orphan blob
files, temporaries), finds nothing after repair, every acknowledged delivery is in every recipient's
INBOX exactly once, and every message's blob is there and hashes to its name.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage import open_store
from storage.names import utcnow
from storage.store import Store

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
REPO = Path(__file__).resolve().parents[2]
DOMAIN = "crash.test"
USERS = [f"u{i}@{DOMAIN}" for i in range(5)]
ROUNDS = 25

# What `check()` may report after a kill: leftovers that the crash rules allow and repair removes.
REPAIRABLE = (
    "file without a body row (orphan)",
    "left by an interrupted write",
    "unreferenced row without blob file",
    "unreferenced bodies waiting for collection",
)

DELIVERER = textwrap.dedent(
    """
    import hashlib, random, sys
    from storage import open_store

    db_url, blob_dir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    users = sys.argv[4].split(",")
    rng = random.Random(seed)
    store = open_store(db_url, blob_dir)
    # A few fixed contents that come back again and again, so the dedup paths (existing body row,
    # existing blob file, blob left orphan by an earlier kill) run as often as the fresh-content ones.
    pool = [b"Subject: shared %d\\r\\n\\r\\n" % i + b"same body %d\\r\\n" % i * (50 * i + 1) for i in range(6)]

    def fresh(n):
        size = rng.choice((300, 4000, 30000, 200000))
        head = b"From: a@b.test\\r\\nTo: u0@crash.test\\r\\nSubject: seed %d n %d\\r\\n\\r\\n" % (seed, n)
        line = b"word%d lorem ipsum dolor sit amet\\r\\n" % rng.randrange(10**6)
        return head + line * (size // len(line) + 1)

    print("READY", flush=True)
    n = 0
    while True:
        n += 1
        raw = rng.choice(pool) if rng.random() < 0.35 else fresh(n)
        rcpts = [rng.choice(users)] if rng.random() < 0.5 else list(users)
        sha = hashlib.sha256(raw).hexdigest()
        print("BEGIN", sha, ",".join(rcpts), flush=True)
        result = store.mail.deliver(raw, rcpts)
        assert not result.failed, result.failed
        print("DONE", sha, ",".join(rcpts), flush=True)
    """
)

FOLDER_WORKER = textwrap.dedent(
    """
    import random, sys
    from datetime import datetime, timedelta, timezone
    from storage import open_store

    db_url, blob_dir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    store = open_store(db_url, blob_dir)
    inbox = store.folders.get("u0@crash.test", "INBOX").id
    source = store.folders.get("u0@crash.test", "Source").id
    far = datetime.now(timezone.utc) + timedelta(days=1)
    print("READY", flush=True)
    n = 0
    while True:
        n += 1
        for i in range(3):  # unique bodies, so expunge + collect_garbage really delete blob files
            store.mail.deliver(b"Subject: s%d n%d i%d\\r\\n\\r\\nunique\\r\\n" % (seed, n, i), ["u0@crash.test"])
        uids = store.mail.uids(inbox)
        print("STEP flags", flush=True)
        store.mail.set_flags(inbox, uids, ["\\\\Seen"], "add")
        store.mail.set_flags(inbox, rng.sample(uids, len(uids) // 2), ["\\\\Seen"], "remove")
        store.mail.set_flags(inbox, rng.sample(uids, len(uids) // 10) + uids[-3:], ["\\\\Deleted"], "add")
        print("STEP expunge", flush=True)
        gone = store.mail.expunge(inbox)
        print("STEP copy", flush=True)
        back = rng.sample(store.mail.uids(source), len(gone))
        store.mail.copy(source, back, inbox)
        print("STEP release", flush=True)  # the expunged messages' holds (storage.holds), as if expired
        store.holds.release_expired(now=far)
        print("STEP collect", flush=True)
        store.mail.collect_garbage()
        print("ROUND", n, len(gone), flush=True)
    """
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    admin = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
    name = f"fp_crash_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure means "no server here"
        admin.dispose()
        pytest.skip(f"PostgreSQL at {PG_SERVER} is unreachable: {exc.__class__.__name__}")
    try:
        yield make_url(PG_SERVER + name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_store(db_url: str, tmp_path: Path) -> Store:
    store = open_store(db_url, tmp_path / "blobs")
    if not store.domains.list():
        store.domains.add(DOMAIN)
        for user in USERS:
            store.accounts.add(user, None)
    return store


def run_and_kill(script: str, args: list[str], delay: float) -> list[str]:
    """Start the worker, wait until it is working, SIGKILL it after ``delay`` s; its complete lines."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if first != b"READY\n":
        proc.kill()
        proc.wait()
        err = proc.stderr.read() if proc.stderr else b""
        pytest.fail(f"worker did not start: {first!r} {err.decode(errors='replace')[-2000:]}")
    time.sleep(delay)
    if proc.poll() is not None:  # it must still be running: a worker that died on its own is a bug
        err = proc.stderr.read() if proc.stderr else b""
        pytest.fail(f"worker exited by itself ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Read through the buffered pipe objects (communicate() would skip what readline() buffered).
    out = proc.stdout.read()
    err = proc.stderr.read() if proc.stderr else b""
    assert proc.returncode == -signal.SIGKILL, err.decode(errors="replace")[-2000:]
    # Only whole lines count: a line cut by the kill was never acknowledged.
    return out.decode().split("\n")[:-1]


def age_temporaries(store: Store) -> int:
    """Make temporaries left by the kills look old, so check treats them as abandoned (not in flight)."""
    old = time.time() - 2 * 3600
    files = list(store.blobs.tmp.iterdir())
    for f in files:
        os.utime(f, (old, old))
    return len(files)


def check_then_repair(store: Store) -> list[str]:
    report = store.check()
    unexpected = [p for p in report.problems if not any(r in p for r in REPAIRABLE)]
    assert not unexpected, unexpected
    repaired = store.check(repair=True)
    assert not repaired.problems, repaired.problems
    after = store.check()
    assert after.problems == [], after.problems
    assert not list(store.blobs.tmp.iterdir()), "temporaries survived repair"
    return report.problems


def assert_blobs_sound(store: Store, folder_ids: list[int]) -> None:
    for fid in folder_ids:
        for m in store.mail.info(fid, with_structure=False):
            data = store.blobs.read(m.sha256)
            assert hashlib.sha256(data).hexdigest() == m.sha256
            assert len(data) == m.size
    on_disk = set(store.blobs)
    assert on_disk == {m.sha256 for fid in folder_ids for m in store.mail.info(fid, with_structure=False)}


def assert_counters(store: Store, address: str) -> None:
    total_n = total_bytes = 0
    for folder in store.folders.list(address):
        infos = store.mail.info(folder.id, with_structure=False)
        assert folder.message_count == len(infos), folder.path
        assert folder.unseen_count == sum(1 for m in infos if "\\Seen" not in m.flags), folder.path
        assert folder.total_bytes == sum(m.size for m in infos), folder.path
        assert folder.uidnext > max((m.uid for m in infos), default=0), folder.path
        assert folder.highestmodseq >= max((m.modseq for m in infos), default=0), folder.path
        total_n += len(infos)
        total_bytes += folder.total_bytes
    account = store.accounts.get(address)
    assert (account.message_count, account.used_bytes) == (total_n, total_bytes)


@pytest.mark.slow
def test_sigkill_during_deliveries(db_url: str, tmp_path: Path) -> None:
    store = make_store(db_url, tmp_path)
    store.close()
    rng = random.Random(20250101)
    acked: Counter[tuple[str, str]] = Counter()  # (recipient, sha) -> acknowledged deliveries
    in_flight: Counter[tuple[str, str]] = Counter()  # deliveries that may or may not have committed
    deadline = time.monotonic() + 16
    rounds = 0
    # at least 10 kill rounds however slow the machine; more while time allows
    while rounds < ROUNDS and (rounds < 10 or time.monotonic() < deadline):
        rounds += 1
        lines = run_and_kill(
            DELIVERER,
            [db_url, str(tmp_path / "blobs"), str(rounds), ",".join(USERS)],
            rng.uniform(0.005, 0.300),
        )
        pending: tuple[str, list[str]] | None = None
        for line in lines:
            kind, sha, rcpts = line.split(" ")
            if kind == "BEGIN":
                assert pending is None
                pending = (sha, rcpts.split(","))
            else:
                assert pending == (sha, rcpts.split(","))
                for r in pending[1]:
                    acked[(r, sha)] += 1
                pending = None
        if pending is not None:
            for r in pending[1]:
                in_flight[(r, pending[0])] += 1
    assert sum(acked.values()) > 0

    store = make_store(db_url, tmp_path)
    try:
        age_temporaries(store)
        check_then_repair(store)
        inboxes = {u: store.folders.get(u, "INBOX").id for u in USERS}
        for user, fid in inboxes.items():
            present = Counter(m.sha256 for m in store.mail.info(fid, with_structure=False))
            for sha in set(present) | {s for (u, s) in acked if u == user}:
                low, extra = acked[(user, sha)], in_flight[(user, sha)]
                assert low <= present[sha] <= low + extra, (user, sha[:12], present[sha], low, extra)
            assert_counters(store, user)
        assert_blobs_sound(store, list(inboxes.values()))
        # Single-instance storage held through the kills: one body row per distinct content.
        stats = store.stats()
        distinct = {m.sha256 for fid in inboxes.values() for m in store.mail.info(fid, with_structure=False)}
        assert stats["blobs"] == len(distinct)
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_during_flag_changes_and_expunge(db_url: str, tmp_path: Path) -> None:
    store = make_store(db_url, tmp_path)
    try:
        user = USERS[0]
        source = store.folders.create(user, "Source")
        inbox = store.folders.get(user, "INBOX").id
        for i in range(100):
            store.mail.deliver(b"Subject: m%d\r\n\r\n" % i + b"body line\r\n" * (i * 10 + 1), [user])
        for _ in range(4):  # 100 -> 1600 messages sharing 100 bodies, in one transaction each
            store.mail.copy(inbox, store.mail.uids(inbox), inbox)
        store.mail.copy(inbox, store.mail.uids(inbox), source.id)
    finally:
        store.close()
    rng = random.Random(7)
    killed_in: Counter[str] = Counter()  # the step each kill interrupted
    round_no = 0
    while round_no < 5 or (round_no < 12 and not killed_in["flags"] + killed_in["expunge"]):
        round_no += 1
        lines = run_and_kill(
            FOLDER_WORKER, [db_url, str(tmp_path / "blobs"), str(round_no)], rng.uniform(0.05, 0.6)
        )
        steps = [line.split()[1] for line in lines if line.startswith("STEP")]
        killed_in["deliver" if not lines or lines[-1].startswith("ROUND") else steps[-1]] += 1
    assert killed_in["flags"] + killed_in["expunge"], killed_in

    store = make_store(db_url, tmp_path)
    try:
        age_temporaries(store)
        problems = check_then_repair(store)
        assert all(any(r in p for r in REPAIRABLE) for p in problems)
        assert_counters(store, user)
        folders = [f.id for f in store.folders.list(user)]
        store.holds.release_expired(now=utcnow() + timedelta(days=1))  # those of the last, killed, round
        assert store.check().problems == []
        assert_blobs_sound(store, folders)
        assert store.stats()["messages"] == sum(len(store.mail.uids(f)) for f in folders)
    finally:
        store.close()
