"""CPU per JMAP resync: what one catch-up of bench/jmap.py's "resync" costs the server, in CPU seconds of
this process, without HTTP sockets or other clients in the way (so the figure holds on a loaded machine).

    .venv/bin/python bench/jmap_resync_cpu.py [--messages 10000] [--runs 20] [--profile]

One folder of N messages (filled as bench/webmail_list.py fills it); a state is taken, then 1,000
messages spread over the folder get ``\\Flagged`` in one storage call (one MODSEQ, as bench/jmap.py does).
Timed, each the median over ``--runs`` after a warm-up, as ``time.process_time`` (CPU, this process):

* handlers: ``Email/changes`` (maxChanges 500) then ``Email/get`` of the updated ids' ``keywords`` in
  calls of 500, straight through the registered method handlers;
* app: the same catch-up as bench/jmap.py's clients send it, two POSTs to ``/jmap/api`` through the
  WebMail WSGI app (Flask's test client: HTTP Basic, the envelope, JSON in and out; no socket).

``--profile`` prints cProfile's top functions (cumulative) of 5 app catch-ups.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import webmail.jmap.mail  # noqa: E402,F401  (registers the methods)
from bench.webmail_list import OWNER, populate  # noqa: E402
from storage import open_store  # noqa: E402
from webmail import create_app  # noqa: E402
from webmail.jmap.registry import CORE, MAIL, METHODS, Call  # noqa: E402

CHANGED = 1000
MAX_GET = 500
USING = [CORE, MAIL]
PASSWORD = "resync-bench-1"


def cpu_ms(fn: Callable[[], object], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fp-bench-resync-") as tmp:
        store = open_store(f"sqlite:///{tmp}/db.sqlite3", Path(tmp) / "blobs")
        try:
            store.domains.add("bench.test")
            account = store.accounts.add(OWNER, PASSWORD)
            fid = store.folders.get(OWNER, "INBOX").id
            print(f"populating {args.messages:,} messages ...", flush=True)
            populate(store, fid, args.messages)
            call = Call(store.for_user(account.id), f"a{account.id}", OWNER, frozenset(USING))

            def jmap(name: str, body: dict[str, Any]) -> dict[str, Any]:
                return METHODS[name].handler(call, {"accountId": call.account_id, **body})

            since = jmap("Email/get", {"ids": []})["state"]
            step = max(1, args.messages // CHANGED)
            store.for_user(account.id).set_flags(fid, list(range(1, args.messages + 1, step))[:CHANGED],
                                                 ["\\Flagged"])  # fmt: skip

            def by_handlers() -> int:
                changes = jmap("Email/changes", {"sinceState": since, "maxChanges": MAX_GET})
                ids = changes["updated"]
                got = [jmap("Email/get", {"ids": ids[i : i + MAX_GET], "properties": ["keywords"]})
                       for i in range(0, len(ids), MAX_GET)]  # fmt: skip
                return sum(len(g["list"]) for g in got)

            app = create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "bench",
                              "FIELDPOST_SECURE_COOKIES": "always"})  # fmt: skip
            client = app.test_client()
            token = base64.b64encode(f"{OWNER}:{PASSWORD}".encode()).decode()
            headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

            def post(calls: list[list[Any]]) -> list[list[Any]]:
                answer = client.post("/jmap/api", data=json.dumps({"using": USING, "methodCalls": calls}),
                                     headers=headers)  # fmt: skip
                assert answer.status_code == 200, answer.data[:300]
                responses: list[list[Any]] = answer.get_json()["methodResponses"]
                assert all(r[0] != "error" for r in responses), responses
                return responses

            def by_app() -> int:
                acc = call.account_id
                ((_, changes, _),) = post([["Email/changes", {"accountId": acc, "sinceState": since,
                                                              "maxChanges": MAX_GET}, "c"]])  # fmt: skip
                ids = changes["updated"]
                gets = [["Email/get", {"accountId": acc, "ids": ids[i : i + MAX_GET], "properties": ["keywords"]},
                         f"g{i}"] for i in range(0, len(ids), MAX_GET)]  # fmt: skip
                return sum(len(r[1]["list"]) for r in post(gets))

            assert by_handlers() == CHANGED and by_app() == CHANGED
            rows = [("handlers: Email/changes + Email/get keywords", cpu_ms(by_handlers, args.runs)),
                    ("app: 2 POSTs /jmap/api (Basic, envelope, JSON)", cpu_ms(by_app, args.runs))]  # fmt: skip
            print(f"\nCPU per resync after {CHANGED:,} flag changes, {args.messages:,}-message folder, "
                  f"SQLite, median of {args.runs}")  # fmt: skip
            for label, ms in rows:
                print(f"  {label}: {ms:.1f} ms CPU")
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(5):
                    by_app()
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
