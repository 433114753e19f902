"""CPU and SQL statements per JMAP request of bench/jmap.py: its list page, its resync and its list-view
resync by Email/queryChanges, without sockets or other clients in the way (so the figures hold on a
shared, loaded machine, where bench/jmap.py's wall-clock rates move by tens of percent).

    .venv/bin/python bench/jmap_cpu.py [--messages 20000] [--runs 20] [--profile list|resync|querychanges]

One folder of N messages (filled as bench/webmail_list.py fills it). Timed as ``time.process_time`` (CPU of
this process), each request a POST to ``/jmap/api`` through the WebMail WSGI app (Flask's test client:
HTTP Basic, the envelope, JSON in and out), the median over ``--runs`` requests after a warm-up; beside it
the SQL statements the request ran (counted at the engine):

* list: bench/jmap.py's request, Email/query (inMailbox, receivedAt descending, a random 50-row page of
  the folder: the same sequence of pages as bench/jmap.py's) + Email/get of its ids by back-reference
  with a list row's properties;
* resync: bench/jmap.py's catch-up after its 1,000 changes (Email/changes, then Email/get of the updated
  and created ids' keywords, 500 ids a call);
* querychanges: a client holding the first page of the list brings its view up to date after the same
  changes: Email/queryChanges (upToId its last row) + Email/get of the added ids' row properties by
  back-reference, in one request.

The 1,000 changes (as bench/jmap.py makes them): 900 messages spread over the folder get ``\\Flagged``,
50 new messages arrive and 50 old ones are expunged.

``--profile KIND`` prints cProfile's top functions (cumulative) of 10 such requests.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from bench.storage import Bench  # noqa: E402
from bench.webmail_list import OWNER, message, populate  # noqa: E402
from storage import open_store  # noqa: E402
from storage.store import Store  # noqa: E402
from webmail import create_app  # noqa: E402

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]
ROW_PROPERTIES = ["threadId", "mailboxIds", "keywords", "from", "subject", "receivedAt", "size", "preview"]
MAX_GET = 500
PASSWORD = "jmap-cpu-bench-1"
FLAGGED, ARRIVED, EXPUNGED = 900, 50, 50


def make_changes(store: Store, account_id: int, fid: int, n: int) -> None:
    """bench/jmap.py's 1,000 changes: FLAGGED messages spread over the folder flagged, ARRIVED new ones
    stored, EXPUNGED of the oldest expunged (each step one storage call, as a client's would be)."""
    mine = store.for_user(account_id)
    step = max(2, n // FLAGGED // 2 * 2)  # even UIDs: none of them is among the expunged (odd) ones
    mine.set_flags(fid, list(range(2, n + 1, step))[:FLAGGED], ["\\Flagged"], "add")
    rng = random.Random(7)
    now = datetime.now(UTC)
    Bench._insert_batch(store, fid, [(message(rng, n + i, now), "") for i in range(1, ARRIVED + 1)])
    gone = list(range(1, 2 * EXPUNGED, 2))
    mine.set_flags(fid, gone, ["\\Deleted"], "add")
    mine.expunge(fid, gone)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", choices=["list", "resync", "querychanges"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fp-bench-jmapcpu-") as tmp:
        store = open_store(f"sqlite:///{tmp}/db.sqlite3", Path(tmp) / "blobs")
        try:
            return run(store, args)
        finally:
            store.close()


def run(store: Store, args: argparse.Namespace) -> int:
    store.domains.add("bench.test")
    account = store.accounts.add(OWNER, PASSWORD)
    fid = store.folders.get(OWNER, "INBOX").id
    print(f"populating {args.messages:,} messages ...", flush=True)
    t = time.perf_counter()
    populate(store, fid, args.messages)
    print(f"  {time.perf_counter() - t:.0f} s", flush=True)
    statements = [0]
    event.listen(
        store.db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1)
    )
    app = create_app(
        {"TESTING": True, "STORE": store, "SECRET_KEY": "bench", "FIELDPOST_SECURE_COOKIES": "always"}
    )
    client = app.test_client()
    token = base64.b64encode(f"{OWNER}:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def post(calls: list[list[Any]]) -> list[list[Any]]:
        answer = client.post(
            "/jmap/api", data=json.dumps({"using": USING, "methodCalls": calls}), headers=headers
        )
        assert answer.status_code == 200, answer.data[:300]
        responses: list[list[Any]] = answer.get_json()["methodResponses"]
        assert all(r[0] != "error" for r in responses), responses
        return responses

    session = client.get("/jmap/session", headers=headers).get_json()
    acc = str(session["primaryAccounts"]["urn:ietf:params:jmap:mail"])
    ((_, boxes, _),) = post([["Mailbox/get", {"accountId": acc, "ids": None}, "m"]])
    inbox = next(b["id"] for b in boxes["list"] if b.get("role") == "inbox")
    in_inbox = {"inMailbox": inbox}
    newest = [{"property": "receivedAt", "isAscending": False}]
    ((_, first, _),) = post(
        [["Email/query", {"accountId": acc, "filter": in_inbox, "sort": newest, "limit": 50}, "q"]]
    )
    since, up_to = first["queryState"], first["ids"][-1]
    make_changes(store, account.id, fid, args.messages)
    pages = max(1, args.messages // 50)
    turn = [0]

    def list_page() -> int:
        turn[0] += 1
        page = random.Random(f"list-{turn[0]}").randrange(1, pages + 1)
        query = {
            "accountId": acc,
            "filter": in_inbox,
            "sort": newest,
            "position": (page - 1) * 50,
            "limit": 50,
        }
        get = {"accountId": acc, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"},
               "properties": ROW_PROPERTIES}  # fmt: skip
        return len(post([["Email/query", query, "q"], ["Email/get", get, "g"]])[1][1]["list"])

    def resync() -> int:
        state, seen = since, 0
        while True:
            ((_, changed, _),) = post([["Email/changes", {"accountId": acc, "sinceState": state,
                                                          "maxChanges": MAX_GET}, "c"]])  # fmt: skip
            ids = [*changed["updated"], *changed["created"]]
            gets = [["Email/get", {"accountId": acc, "ids": ids[i : i + MAX_GET], "properties": ["keywords"]},
                     f"g{i}"] for i in range(0, len(ids), MAX_GET)]  # fmt: skip
            if gets:
                post(gets)
            seen += len(ids) + len(changed["destroyed"])
            if not changed["hasMoreChanges"]:
                return seen
            state = changed["newState"]

    def query_changes() -> int:
        changes = {"accountId": acc, "filter": in_inbox, "sort": newest, "sinceQueryState": since,
                   "upToId": up_to, "maxChanges": MAX_GET}  # fmt: skip
        get = {"accountId": acc, "#ids": {"resultOf": "c", "name": "Email/queryChanges", "path": "/added/*/id"},
               "properties": ROW_PROPERTIES}  # fmt: skip
        responses = post([["Email/queryChanges", changes, "c"], ["Email/get", get, "g"]])
        return len(responses[0][1]["removed"]) + len(responses[1][1]["list"])

    kinds: dict[str, Callable[[], int]] = {"list": list_page, "resync": resync, "querychanges": query_changes}
    print(
        f"\nper request, {args.messages:,}-message folder, SQLite, median of {args.runs} (CPU of this process)"
    )
    for kind, fn in kinds.items():
        rows = fn()
        cpu, counts = [], []
        for _ in range(args.runs):
            statements[0] = 0
            t = time.process_time()
            fn()
            cpu.append(time.process_time() - t)
            counts.append(statements[0])
        print(f"  {kind:13} {statistics.median(cpu) * 1000:8.1f} ms CPU  (mean {statistics.mean(cpu) * 1000:.1f}, "
              f"max {max(cpu) * 1000:.1f})  {statistics.median(counts):5.0f} SQL statements  "
              f"{rows} rows/changes")  # fmt: skip
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(10):
            kinds[args.profile]()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
