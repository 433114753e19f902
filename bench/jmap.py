"""JMAP benchmark: what a JMAP client (the Ajax interface) asks of Fieldpost, beside what Roundcube over
Dovecot answers for the same screen, on the same mailbox and load, measured in the same run.

    .venv/bin/python bench/jmap.py [--quick] [--messages N] [--users U] [--seconds S] [--rounds R]
                                   [--only fieldpost|roundcube]

The mailbox and both servers are bench/webmail.py's (its corpus, fill, Dovecot and Roundcube set-up are
reused): N messages (100,000; 10,000 with --quick) in bob's INBOX. Fieldpost runs ``fieldpost serve``
with the web service only, ``[web] secure_cookies = "always"`` (as behind a TLS-terminating proxy), so the
JMAP client signs in with HTTP Basic on the plain listener; every request is one POST to /jmap/api. Its
web service runs ``--web-workers`` gunicorn workers (``[workers] web``; one per CPU here, as Roundcube runs
a php-fpm pool of one process per user; the server's own default is one).

Three measurements of S seconds each (30; 10 with --quick) per round, U users (20) at once:

* list: one page of 50 rows at a random position of the folder, newest first -- JMAP: Email/query
  (inMailbox, sort receivedAt descending, position, limit 50) and Email/get of its ids (a result
  reference, properties a list row shows) in one request; Roundcube: its message-list Ajax call of the
  same page (as bench/webmail.py).
* resync: after 1,000 changes to the folder (made through storage before the measurement: 900 messages
  spread over it get \\Flagged, 50 new ones arrive, 50 old ones are expunged; bench/jmap_cpu.py's
  make_changes), a client that last synced before them catches up -- JMAP: Email/changes from the state
  taken before the changes, then one request of Email/get calls (500 ids each) for the updated and
  created ids' keywords, repeated while hasMoreChanges (a timed "request" is this whole catch-up);
  Roundcube has no delta: its client shows the change by listing the page again, which is what is timed
  for it (the same page each time).
* querychanges: after the same changes, a client showing the first page of the list (newest first)
  brings that view up to date -- JMAP: Email/queryChanges from the queryState of that page (upToId its
  last row, maxChanges 500) and Email/get of the added ids (a result reference, a list row's properties)
  in one request; Roundcube: the list of the first page again, as for resync.

Printed: requests/s and p50/p95 latency, the ratio (> 1: Fieldpost better), rows per answer as a check.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import roundcube as rc  # noqa: E402
from bench.dovecot import dovecot_version  # noqa: E402
from bench.jmap_cpu import make_changes  # noqa: E402
from bench.report import print_table  # noqa: E402
from bench.webmail import (  # noqa: E402
    ADDRESS,
    PASSWORD,
    Side,
    cell,
    fill_fieldpost,
    free_offset,
    init_data,
    pick,
    ratio,
    start_roundcube,
    stop,
)
from bench.webmail_corpus import corpus  # noqa: E402
from bench.webmail_load import HttpError, Session, Tally  # noqa: E402

KINDS = ("list", "resync", "querychanges")
CHANGED = 1000
MAX_GET = 500  # the server's maxObjectsInGet: /changes pages of this many, so each Email/get fits
USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]
NEWEST = [{"property": "receivedAt", "isAscending": False}]
ROW_PROPERTIES = ["threadId", "mailboxIds", "keywords", "from", "subject", "receivedAt", "size", "preview"]


class JmapUser:
    """One JMAP client: a kept-alive connection (bench/webmail_load.Session) with Basic credentials."""

    def __init__(self, port: int) -> None:
        self.session = Session(port)
        token = base64.b64encode(f"{ADDRESS}:{PASSWORD}".encode()).decode()
        self.auth = {"Authorization": f"Basic {token}"}
        session = self.get_json("/jmap/session")
        self.account = str(session["primaryAccounts"]["urn:ietf:params:jmap:mail"])
        self.inbox = ""
        self.since = ""  # the Email state (and queryState) before the changes
        self.up_to = ""  # the last id of the first page at that state

    def get_json(self, path: str) -> dict[str, Any]:
        answer = self.session.get(path, headers=self.auth)
        if answer.status != 200:
            raise HttpError(f"GET {path}: {answer.status} {answer.text()[:200]}")
        return dict(json.loads(answer.body))

    def call(self, calls: list[list[Any]]) -> list[list[Any]]:
        """One JMAP request; the method responses (a method error raises)."""
        body = json.dumps({"using": USING, "methodCalls": calls}).encode()
        conn = self.session
        for attempt in range(2):
            if conn.conn is None:
                import http.client

                conn.conn = http.client.HTTPConnection("127.0.0.1", conn.port, timeout=120)
            try:
                conn.conn.request(
                    "POST", "/jmap/api", body=body, headers={**self.auth, "Content-Type": "application/json"}
                )
                raw = conn.conn.getresponse()
                payload = raw.read()
            except (ConnectionResetError, BrokenPipeError, OSError):
                conn.close()
                if attempt:
                    raise
                continue
            if raw.will_close:
                conn.close()
            if raw.status != 200:
                raise HttpError(f"POST /jmap/api: {raw.status} {payload[:200]!r}")
            responses: list[list[Any]] = json.loads(payload)["methodResponses"]
            for name, args, _ in responses:
                if name == "error":
                    raise HttpError(f"JMAP error {args}")
            return responses
        raise AssertionError("unreachable")

    def find_inbox(self) -> None:
        ((_, got, _),) = self.call([["Mailbox/get", {"accountId": self.account, "ids": None}, "m"]])
        self.inbox = next(m["id"] for m in got["list"] if m.get("role") == "inbox")

    def first_page(self) -> tuple[str, str]:
        """(queryState, last id) of the first 50-row page of the list."""
        query = {"accountId": self.account, "filter": {"inMailbox": self.inbox}, "sort": NEWEST, "limit": 50}
        ((_, got, _),) = self.call([["Email/query", query, "q"]])
        return str(got["queryState"]), str(got["ids"][-1])

    def list_page(self, page: int) -> int:
        query = {
            "accountId": self.account,
            "filter": {"inMailbox": self.inbox},
            "sort": NEWEST,
            "position": (page - 1) * 50,
            "limit": 50,
        }
        get = {
            "accountId": self.account,
            "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"},
            "properties": ROW_PROPERTIES,
        }
        responses = self.call([["Email/query", query, "q"], ["Email/get", get, "g"]])
        return len(responses[1][1]["list"])

    def resync(self) -> int:
        """Email/changes from the old state until done; the updated Emails' keywords read with Email/get,
        at most MAX_GET ids per call (one MODSEQ may hold more changes than maxChanges asks for: the server
        never splits one), all the calls in one request. Returns how many Emails were reported changed."""
        state, seen = self.since, 0
        while True:
            changes = {"accountId": self.account, "sinceState": state, "maxChanges": MAX_GET}
            ((_, changed, _),) = self.call([["Email/changes", changes, "c"]])
            wanted = [*changed["updated"], *changed["created"]]
            gets = [
                [
                    "Email/get",
                    {"accountId": self.account, "ids": wanted[i : i + MAX_GET], "properties": ["keywords"]},
                    f"g{i}",
                ]
                for i in range(0, len(wanted), MAX_GET)
            ]
            got = self.call(gets) if gets else []
            seen += sum(len(r[1]["list"]) for r in got) + len(changed["destroyed"])
            if not changed["hasMoreChanges"]:
                return seen
            state = changed["newState"]

    def query_changes(self) -> int:
        """The first page's view brought up to date: Email/queryChanges + Email/get of the added ids in
        one request. Returns how many ids were removed plus added."""
        changes = {"accountId": self.account, "filter": {"inMailbox": self.inbox}, "sort": NEWEST,
                   "sinceQueryState": self.since, "upToId": self.up_to, "maxChanges": MAX_GET}  # fmt: skip
        get = {"accountId": self.account, "properties": ROW_PROPERTIES,
               "#ids": {"resultOf": "c", "name": "Email/queryChanges", "path": "/added/*/id"}}  # fmt: skip
        responses = self.call([["Email/queryChanges", changes, "c"], ["Email/get", get, "g"]])
        return len(responses[0][1]["removed"]) + len(responses[1][1]["list"])


def start_fieldpost(side: Side, work: Path, root: Path, args: argparse.Namespace, stack: ExitStack) -> None:
    """The data directory filled, ``fieldpost serve`` (web only, Basic allowed on plain HTTP) started,
    the clients signed in, the old state taken and 1,000 changes made."""
    from fieldpost import config as configuration
    from storage import open_store

    data = work / "fieldpost"
    fid, seconds = fill_fieldpost(data, root)
    side.setup.append(f"{args.messages:,} messages stored in {seconds:.0f} s")
    toml = data / "fieldpost.toml"
    text = re.sub(r"(?m)^services = .*$", 'services = ["web"]', toml.read_text())
    if re.search(r"(?m)^secure_cookies = ", text):
        text = re.sub(r"(?m)^secure_cookies = .*$", 'secure_cookies = "always"', text)
    elif re.search(r"(?m)^\[web\]", text):
        text = re.sub(r"(?m)^\[web\]$", '[web]\nsecure_cookies = "always"', text)
    else:
        text += '\n[web]\nsecure_cookies = "always"\n'
    if args.web_workers > 1:  # gunicorn's pool (fieldpost/config.py WEB_WORKERS); one by default
        text += f"\n[workers]\nweb = {args.web_workers}\n"
    toml.write_text(text)
    offset = free_offset()
    port = 8000 + offset
    out = open(work / "fieldpost-serve.out", "wb")  # noqa: SIM115  (the child keeps it)
    proc = subprocess.Popen([sys.executable, "-m", "fieldpost", "serve", "--data", str(data), "--port-offset",
                             str(offset)], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT)  # fmt: skip
    stack.callback(stop, proc)
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
    users = [JmapUser(port) for _ in range(args.users)]
    users[0].find_inbox()
    since, up_to = users[0].first_page()
    for user in users:
        user.inbox, user.since, user.up_to = users[0].inbox, since, up_to
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        account = store.accounts.get(ADDRESS)
        t = time.perf_counter()
        make_changes(store, account.id, fid, args.messages)
        side.setup.append(
            f"{CHANGED:,} changes made in {time.perf_counter() - t:.1f} s (the resyncs' changes)"
        )
    finally:
        store.close()
    by_session = {id(u.session): u for u in users}
    side.sessions = [u.session for u in users]
    side.steps = {
        "list": lambda s, i, n: by_session[id(s)].list_page(pick(n, "list", args)),
        "resync": lambda s, i, n: by_session[id(s)].resync(),
        "querychanges": lambda s, i, n: by_session[id(s)].query_changes(),
    }


def rows_for(ours: Side, peer: Side, args: argparse.Namespace) -> list[list[str]]:
    labels = {
        "list": "Email/query + Email/get, 50 rows of a random page",
        "resync": f"resync after {CHANGED:,} changes (Roundcube: one list page again)",
        "querychanges": f"list view resync after {CHANGED:,} changes, Email/queryChanges (Roundcube: the same)",
    }
    out = []
    for kind in KINDS:
        a, b = ours.tallies.get(kind), peer.tallies.get(kind)
        out.append([f"{labels[kind]}, {args.users} users", cell(a, Tally.rate, "req/s"),
                    cell(b, Tally.rate, "req/s"), ratio(a, b, Tally.rate, True)])  # fmt: skip
        for q in (50, 95):

            def ms(t: Tally, q: int = q) -> float:
                return t.pct(q) * 1000

            out.append([f"  p{q} latency", cell(a, ms, "ms"), cell(b, ms, "ms"), ratio(a, b, ms, False)])

        def avg(t: Tally) -> float:
            return sum(t.rows) / len(t.rows) if t.rows else 0

        out.append(["  rows (or changes) per answer (check)", cell(a, avg, ""), cell(b, avg, ""), ""])
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
    parser.add_argument(
        "--web-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="gunicorn workers of Fieldpost's web service ([workers] web; default one per CPU, as Roundcube "
        "has a php-fpm pool)",
    )
    parser.add_argument(
        "--rounds", type=int, help="measurements per kind and server, alternating (1; full 2)"
    )
    args = parser.parse_args()
    args.messages = args.messages or (10_000 if args.quick else 100_000)
    args.seconds = args.seconds or (10.0 if args.quick else 30.0)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.roundcube_cache = False
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI"], capture_output=True, text=True
    )
    peer_version = rc.version() if not rc.missing() else "Roundcube not installed"
    print(f"bench/jmap.py {datetime.now(UTC):%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; Fieldpost {commit.stdout.strip()}; {peer_version}; "
          f"{dovecot_version()}; {args.messages:,} messages; Fieldpost web workers {args.web_workers}; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    t = time.perf_counter()
    root = corpus(args.messages, ADDRESS)
    print(f"  corpus {root} ready in {time.perf_counter() - t:.0f} s", flush=True)
    work = Path(tempfile.mkdtemp(prefix="fp-bench-jmap-"))
    os.chmod(work, 0o755)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ours, peer = Side("Fieldpost"), Side("Roundcube")
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        init_data(work / "fieldpost")
        if args.only != "roundcube":
            try:
                start_fieldpost(ours, work, root, args, stack)
            except (RuntimeError, HttpError, subprocess.CalledProcessError) as exc:
                ours.note = f"failed: {exc}"
        else:
            ours.note = "not measured (--only roundcube)"
        if args.only != "fieldpost":
            start_roundcube(peer, root, args, work / "fieldpost" / "tls", stack)
            if peer.steps:  # Roundcube's "resync" (of either kind) is listing the first page again
                list_step = peer.steps["list"]
                again = lambda s, i, n: list_step(s, i, 0)  # noqa: E731
                peer.steps = {"list": list_step, "resync": again, "querychanges": again}
        else:
            peer.note = "not measured (--only fieldpost)"
        sides = [side for side in (ours, peer) if side.steps]
        for n in range(args.rounds):
            for kind in KINDS:
                for side in sides if n % 2 == 0 else sides[::-1]:
                    side.measure(kind, args)
        print()
        print_table(
            ["measure", "Fieldpost", "Roundcube", "ratio (>1: Fieldpost better)"], rows_for(ours, peer, args)
        )
        print(f"  load average at the end {os.getloadavg()[0]:.1f}")
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
