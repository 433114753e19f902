"""Message-list benchmark: one 50-row page of a 100,000-message folder through the mail client's API.

    .venv/bin/python bench/webmail_list.py [--messages 100000] [--db sqlite|postgresql|both]

What is timed (median of 7 calls, after one warm-up) is ``store.for_user(owner).view.page(...)``: the
rights check, the page's ids from the sort index, the rows joined with their bodies and the conversation
sizes, as WebMail's list asks for it. For each sort (date, from, subject, size, arrival) it times the
first page (newest first), a page in the middle and the last page; then a threaded first page, a
filter on \\Seen, a sender search for a folded name ("muller" finding "Müller", 1 in 50 messages) and
a body-word search (1 in 5000).

The folder is filled without fsync in transactions of 500 through the storage code delivery uses
(``Mail.reference_body`` + ``Mail._add``), with distinct senders (some with diacritics), subjects, dates
and a conversation for every tenth message; population time is not what is measured.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.report import fmt, print_table  # noqa: E402
from bench.storage import WORDS, no_durability  # noqa: E402
from storage import mime, open_store  # noqa: E402
from storage.blobs import sha256_hex  # noqa: E402
from storage.list_keys import parsed_keys  # noqa: E402
from storage.message_list import ListFilter  # noqa: E402
from storage.store import Store  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
OWNER = "big@bench.test"
SENDERS = ["Jürgen Müller", "Zoë Ångström", "Ana Núñez", "Bob Smith", "Chloé Dubois", "Dmitri Ivanov"]
RARE = "zanzibarquux"
RUNS = 7


def message(rng: random.Random, n: int, start: datetime) -> bytes:
    sender = SENDERS[n % len(SENDERS)] if n % 50 == 0 else f"Sender {n % 997}"
    when = start + timedelta(minutes=n * 3 + rng.randrange(3))
    root = n - n % 10
    thread = f"References: <{root}@bench>\r\n" if n % 10 and n % 3 == 0 else ""
    body = " ".join(rng.choice(WORDS) for _ in range(60))
    if n % 5000 == 1:
        body += f" {RARE}"
    return (
        f"From: {sender} <s{n % 997}@example.org>\r\nTo: {OWNER}\r\n"
        f"Subject: {'Re: ' if thread else ''}{rng.choice(WORDS)} {rng.choice(WORDS)} {n % 1000}\r\n"
        f"Message-ID: <{n}@bench>\r\n{thread}Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def populate(store: Store, folder_id: int, n: int) -> None:
    rng = random.Random(5)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    with no_durability(store):
        for first in range(1, n + 1, 500):
            with store.db.write() as conn:
                entries = []
                for i in range(first, min(n, first + 499) + 1):
                    raw = message(rng, i, start)
                    sha = sha256_hex(raw)
                    store.blobs.put(raw, sha)
                    parsed = mime.parse_message(raw)
                    body_id = store.mail.reference_body(conn, sha, raw, parsed, 1)
                    entries.append(
                        (body_id, len(raw), 1 if i % 4 else 0, "", now, parsed_keys(parsed, now, sha))
                    )
                store.mail._add(conn, folder_id, entries)
            if (first + 499) % 20000 == 0:
                print(f"    populated {first + 499}/{n}", flush=True)


def median_ms(fn: Any) -> float:
    fn()
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def run(db: str, n: int, work: Path, keep: Path | None = None) -> list[tuple[str, str, str]]:
    data = keep if keep is not None and db == "sqlite" else work / db
    data.mkdir(exist_ok=True)
    admin, name = None, ""
    if db == "sqlite":
        url = f"sqlite:///{data / 'db.sqlite3'}"
    else:
        admin = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
        name = f"fp_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER + name
    store = open_store(url, data / "blobs")
    rows = []
    try:
        if not store.domains.list():
            store.domains.add("bench.test")
            store.accounts.add(OWNER, None)
        account = store.accounts.get(OWNER)
        fid = store.folders.get(OWNER, "INBOX").id
        if store.folders.get(OWNER, "INBOX").message_count == 0:
            print(f"  {db}: populating {n} messages ...", flush=True)
            t = time.perf_counter()
            populate(store, fid, n)
            print(f"  {db}: populated in {time.perf_counter() - t:.0f} s", flush=True)
        if not store.db.is_sqlite:
            with store.db.write() as conn:
                conn.execute(text("ANALYZE"))
        view = store.for_user(account.id).view
        total = view.page(fid).total
        assert total == n, total
        for sort in ("date", "from", "subject", "size", "arrival"):
            for where, offset in (("first", 0), ("middle", n // 2), ("last", n - 50)):
                ms = median_ms(lambda s=sort, o=offset: view.page(fid, sort=s, offset=o, limit=50))
                rows.append((db, f"sort {sort}, {where} page", f"{fmt(ms)} ms"))
        cases = {
            "threaded, first page": lambda: view.page(fid, threaded=True, limit=50),
            "unseen only, first page": lambda: view.page(fid, filters=ListFilter(unseen=True), limit=50),
            'from "muller" (1 in 150), first page': lambda: view.page(
                fid, filters=ListFilter(from_="muller")
            ),
            "body word (1 in 5000), first page": lambda: view.page(fid, filters=ListFilter(body=RARE)),
        }
        for label, fn in cases.items():
            rows.append((db, label, f"{fmt(median_ms(fn))} ms"))
        for r in rows:
            print(f"  {r[0]}: {r[1]}: {r[2]}", flush=True)
    finally:
        store.close()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--keep", type=Path, help="SQLite data directory kept between runs (filled once)")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="fp-bench-list-") as tmp:
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            rows += run(db, args.messages, Path(tmp), args.keep)
    print(f"\n50-row page of a {args.messages:,}-message folder (median of {RUNS})")
    print_table(("backend", "page", "time"), rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
