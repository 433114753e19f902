"""JMAP list benchmark: Email/query + Email/get of 50 rows, and a resync after 1,000 changes, on one big
folder, through the registered method handlers (the JMAP envelope and HTTP are not timed).

    .venv/bin/python bench/jmap_query.py [--messages 100000] [--db sqlite|postgresql|both]

What is timed (median of 7 calls after a warm-up): ``Email/query`` in the Inbox for each sort (sentAt,
receivedAt, subject, size) at the first, a middle and the last 50-row page, with ``calculateTotal``; the
same over all Mailboxes (merged per folder); ``Email/get`` of the first page with a message list's
properties; and ``Email/changes`` from a state taken before 1,000 messages had a flag changed. The folder
is filled as bench/webmail_list.py fills it (its ``populate``); population time is not measured.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

import webmail.jmap.mail  # noqa: E402,F401  (registers the methods)
from bench.report import fmt, print_table  # noqa: E402
from bench.webmail_list import OWNER, PG_SERVER, RUNS, median_ms, populate  # noqa: E402
from storage import open_store  # noqa: E402
from webmail.jmap.registry import CORE, MAIL, METHODS, Call  # noqa: E402

LIST_PROPERTIES = ["threadId", "mailboxIds", "keywords", "from", "subject", "sentAt", "size", "preview"]


def run(db: str, n: int, work: Path) -> list[tuple[str, str, str]]:
    data = work / db
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
    rows: list[tuple[str, str, str]] = []
    try:
        store.domains.add("bench.test")
        account = store.accounts.add(OWNER, None)
        fid = store.folders.get(OWNER, "INBOX").id
        print(f"  {db}: populating {n} messages ...", flush=True)
        populate(store, fid, n)
        if not store.db.is_sqlite:
            with store.db.write() as conn:
                conn.execute(text("ANALYZE"))
        call = Call(store.for_user(account.id), f"a{account.id}", OWNER, frozenset({CORE, MAIL}))

        def jmap(name: str, args: dict[str, Any]) -> dict[str, Any]:
            return METHODS[name].handler(call, {"accountId": call.account_id, **args})

        inbox = f"m{fid}"
        for prop in ("sentAt", "receivedAt", "subject", "size"):
            for where, position in (("first", 0), ("middle", n // 2), ("last", n - 50)):
                q = {"filter": {"inMailbox": inbox}, "sort": [{"property": prop, "isAscending": False}],
                     "position": position, "limit": 50, "calculateTotal": True}  # fmt: skip
                assert len(jmap("Email/query", q)["ids"]) == 50
                ms = median_ms(lambda q=q: jmap("Email/query", q))
                rows.append((db, f"Email/query inMailbox, sort {prop}, {where} page", f"{fmt(ms)} ms"))
                print(f"  {rows[-1][1]}: {rows[-1][2]}", flush=True)
        every = {"sort": [{"property": "receivedAt", "isAscending": False}], "limit": 50}
        rows.append(
            (
                db,
                "Email/query all Mailboxes, first page",
                f"{fmt(median_ms(lambda: jmap('Email/query', every)))} ms",
            )
        )
        page = jmap("Email/query", {"filter": {"inMailbox": inbox}, "limit": 50})["ids"]
        get = {"ids": page, "properties": LIST_PROPERTIES}
        rows.append(
            (db, "Email/get 50 rows, list properties", f"{fmt(median_ms(lambda: jmap('Email/get', get)))} ms")
        )
        state = jmap("Email/get", {"ids": []})["state"]
        user = store.for_user(account.id)
        changed = [1 + i * (n // 1000) for i in range(1000)]  # spread over the folder
        for first in range(0, 1000, 100):
            user.set_flags(fid, changed[first : first + 100], ["\\Flagged"])
        changes = jmap("Email/changes", {"sinceState": state})
        assert len(changes["updated"]) == 1000, len(changes["updated"])
        ms = median_ms(lambda: jmap("Email/changes", {"sinceState": state}))
        rows.append((db, "Email/changes after 1,000 flag changes", f"{fmt(ms)} ms"))
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
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="fp-bench-jmap-") as tmp:
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            rows += run(db, args.messages, Path(tmp))
    print(f"\nJMAP on a {args.messages:,}-message folder (median of {RUNS})")
    print_table(("backend", "call", "time"), rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
