"""CalDAV benchmark: Fieldpost's CalDAV beside Radicale (PyPI), the same calendars and the same requests,
measured in the same run.

    .venv/bin/python bench/dav.py [--quick] [--users U] [--events E] [--sync-items N] [--clients C]
                                  [--seconds S] [--rounds R] [--only fieldpost|radicale]
                                  [--expand-clients K] [--kinds week,week-raw,freebusy,sync]

Data (bench/dav_data.py): U users (50; 5 with --quick), each with a calendar of E events (5,000; 500)
over two years, 8 % of them recurring with exceptions; plus one calendar of N single events (10,000;
1,000 with --quick) for the sync test. Both servers get the same bytes under the same resource names:
Radicale as its file layout (bench/dav_radicale.py), Fieldpost through its organizer storage API
(bench/dav_ours.py). Populating is not timed; it is printed.

Requests (bench/dav_client.py), the same sequence for both servers, C clients (20) each on its own
kept-alive connection and thread, each request authenticated (HTTP Basic) as the calendar's owner:

* week view: REPORT calendar-query (RFC 4791 7.8) on a random user's calendar, VEVENTs overlapping a
  random week of the two years, calendar-data expanded into occurrences (``C:expand``);
* free/busy: REPORT free-busy-query (RFC 4791 7.10) for one random week, on the 50 users' calendars in
  turn (user n mod U), each as its owner; Radicale has no scheduling outbox (RFC 6638), so the POST
  form of a 50-attendee lookup cannot be compared;
* sync: REPORT sync-collection (RFC 6578) on the N-item calendar with the token taken before 100 changes
  (60 edits, 20 deletions, 20 new events, made over HTTP PUT/DELETE on both servers): 100 changes back.

Before timing: one whole-span REPORT per calendar (Radicale builds its item cache then), and a sample of
weeks asked from both servers to check they return the same UIDs and occurrence counts. Then each kind
runs S seconds (30; 10 with --quick) on one server right after the other, the order swapped every round
(R: 2; 1 with --quick), both servers up all along.

Printed: requests/s, p50/p99 latency, the ratio (ours / Radicale for rates, Radicale / ours for
latencies: > 1 means Fieldpost is better) and per-answer counts as a check that both answer alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import dav_ours, dav_profile  # noqa: E402
from bench.dav_client import (  # noqa: E402
    DavSession,
    busy_periods,
    discover,
    freebusy_query,
    occurrence_counts,
    responses,
    sync_query,
    sync_token,
    vevents,
    week_query,
)
from bench.dav_data import (  # noqa: E402
    PASSWORD,
    WEEKS,
    Changes,
    Resource,
    sync_changes,
    sync_events,
    user_name,
    week,
)
from bench.dav_radicale import Radicale, prepared_tree, version, wait_http  # noqa: E402
from bench.report import fmt, print_table  # noqa: E402
from bench.webmail import free_offset, free_port  # noqa: E402
from bench.webmail_load import HttpError, Step, Tally, run  # noqa: E402

KINDS = ("week", "week-raw", "freebusy", "sync")
SAMPLES = 12
LOOKUP = 50  # the users of one free/busy lookup in the scenario


@dataclass
class Side:
    name: str
    port: int = 0
    note: str = ""
    setup: list[str] = field(default_factory=list)
    calendars: dict[str, str] = field(default_factory=dict)  # user -> calendar path
    sync_path: str = ""
    sync_token: str = ""
    samples: list[Counter[str]] = field(default_factory=list)
    sessions: list[DavSession] = field(default_factory=list)
    tallies: dict[str, Tally] = field(default_factory=dict)
    pid: int = 0  # the server's top process, for --profile
    profiles: dict[str, Path] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return bool(self.sessions) and not self.note

    def step(self, kind: str, users: list[str]) -> Step:
        u = len(users)

        def week_view(session: DavSession, i: int, n: int, expand: bool = True) -> int:
            rng = random.Random(f"week-{n}")
            user = users[rng.randrange(u)]
            body = week_query(*week(rng.randrange(WEEKS)), expand=expand)
            answer = session.dav("REPORT", self.calendars[user], user, PASSWORD, body, "1")
            return (vevents if expand else responses)(session.expect(answer, 207, what="week view").body)

        def week_raw(session: DavSession, i: int, n: int) -> int:
            return week_view(session, i, n, expand=False)

        def free_busy(session: DavSession, i: int, n: int) -> int:
            user = users[n % u]
            body = freebusy_query(*week(random.Random(f"fb-{n // u}").randrange(WEEKS)))
            answer = session.dav("REPORT", self.calendars[user], user, PASSWORD, body, "1")
            return busy_periods(session.expect(answer, 200, what="free/busy").body)

        def sync(session: DavSession, i: int, n: int) -> int:
            answer = session.dav(
                "REPORT", self.sync_path, users[0], PASSWORD, sync_query(self.sync_token), "1"
            )
            return responses(session.expect(answer, 207, what="sync-collection").body)

        return {"week": week_view, "week-raw": week_raw, "freebusy": free_busy, "sync": sync}[kind]

    def measure(
        self, kind: str, users: list[str], seconds: float, clients: int, profile: Path | None
    ) -> None:
        step = self.step(kind, users)
        sessions = self.sessions[:clients]
        run(sessions, step, 900, max_requests=len(sessions))  # one untimed request per client
        print(f"  {self.name}: {kind}, {len(sessions)} clients x {seconds:.0f} s ...", flush=True)
        sampler = None
        if profile and self.pid and kind not in self.profiles:
            self.profiles[kind] = profile / f"{self.name.lower()}-{kind}.txt"
            sampler = dav_profile.record(self.pid, seconds, self.profiles[kind])
        self.tallies.setdefault(kind, Tally()).add(run(sessions, step, seconds))
        if sampler:
            sampler.wait(60)


# -- set-up shared by both servers -------------------------------------------------------------------


def prepare(
    side: Side, users: list[str], sync_name: str, sync_items: list[Resource], changes: Changes, clients: int
) -> None:
    """Discovery, warm-up, the sync token before the changes, the changes, the sample answers."""
    session = DavSession(side.port)
    for user in users:
        found = discover(session, user, PASSWORD)
        side.calendars[user] = found["calendar"]
    side.sync_path = discover(session, users[0], PASSWORD)[sync_name]
    t = time.perf_counter()
    # one week per calendar (a REPORT over the whole two years of a 5,000-event calendar runs longer than
    # gunicorn's 30 s worker timeout in Fieldpost, which then restarts the worker)
    for n, user in enumerate(users):
        body = week_query(*week(n * 7), expand=False)
        session.expect(
            session.dav("REPORT", side.calendars[user], user, PASSWORD, body, "1"), 207, what="warm"
        )
    side.setup.append(f"warm-up, one one-week REPORT per calendar: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    owner, path = users[0], side.sync_path
    original = {item.name: item for item in sync_items}
    # the kept calendar back to its original items (a previous run changed it), then the token, then the changes
    for name in [item.name for item in changes.edited] + changes.deleted:
        session.expect(
            session.dav("PUT", path + name, owner, PASSWORD, original[name].data), 201, 204, what="reset"
        )
    for item in changes.added:
        session.expect(session.dav("DELETE", path + item.name, owner, PASSWORD), 200, 204, 404, what="reset")
    first = session.expect(session.dav("REPORT", path, owner, PASSWORD, sync_query(""), "1"), 207,
                           what="initial sync")  # fmt: skip
    side.sync_token = sync_token(first.body)
    initial = responses(first.body)
    for item in changes.edited:
        session.expect(
            session.dav("PUT", path + item.name, owner, PASSWORD, item.data), 201, 204, what="edit"
        )
    # 404 and 412 too: the client sends a request again when the server closed the connection under it
    # (Radicale does after every answer), and a retried DELETE or create-only PUT finds its own work done;
    # the count the old token lists below shows whether the changes are all there
    for name in changes.deleted:
        session.expect(session.dav("DELETE", path + name, owner, PASSWORD), 200, 204, 404, what="delete")
    for item in changes.added:
        answer = session.dav(
            "PUT", path + item.name, owner, PASSWORD, item.data, headers={"If-None-Match": "*"}
        )
        session.expect(answer, 201, 204, 412, what="add")
    after = session.expect(session.dav("REPORT", path, owner, PASSWORD, sync_query(side.sync_token), "1"), 207,
                           what="sync after changes")  # fmt: skip
    side.setup.append(f"sync calendar: reset, initial sync listed {initial:,} hrefs; {len(changes)} changes over HTTP, "
                      f"then the old token lists {responses(after.body)} ({time.perf_counter() - t:.1f} s)")  # fmt: skip
    for k in range(SAMPLES):
        rng = random.Random(f"sample-{k}")
        user = users[rng.randrange(len(users))]
        body = week_query(*week(rng.randrange(WEEKS)))
        answer = session.expect(session.dav("REPORT", side.calendars[user], user, PASSWORD, body, "1"), 207)
        side.samples.append(occurrence_counts(answer.body))
    session.close()
    side.sessions = [DavSession(side.port) for _ in range(clients)]


def start_radicale(side: Side, work: Path, args: argparse.Namespace, users: list[str], sync_name: str,
                   sync_items: list[Resource], stack: ExitStack) -> None:  # fmt: skip
    tree, seconds = prepared_tree(args.users, args.events, work)
    if seconds:
        side.setup.append(f"calendars missing from the kept tree {tree} written as Radicale's files and their "
                          f"item cache built (its own code, fsync off) in {seconds:.0f} s")  # fmt: skip
    else:
        side.setup.append(f"the users' calendars (files and item cache) from {tree}")
    port = free_port()
    peer = Radicale(work, port, users, PASSWORD, args.clients + 4, tree)
    stack.callback(peer.stop)
    t = time.perf_counter()
    if peer.prepare_calendar(users[0], sync_name, sync_items):
        side.setup.append(f"sync calendar of {len(sync_items):,} items written and cached in "
                          f"{time.perf_counter() - t:.0f} s")  # fmt: skip
    peer.start()
    wait_http(port, 60)
    side.port = port


def start_fieldpost(side: Side, work: Path, args: argparse.Namespace, users: list[str], sync_name: str,
                    sync_items: list[Resource], stack: ExitStack) -> None:  # fmt: skip
    data, seconds = dav_ours.prepared_data(users, args.events, sync_name, sync_items, args.refill)
    if seconds:
        side.setup.append(f"calendars missing from the kept data directory {data} stored through the append "
                          f"path (fsync off) in {seconds:.0f} s")  # fmt: skip
    else:
        side.setup.append(f"the users' calendars from {data}")
    offset = free_offset()
    proc = dav_ours.start(data, offset, work / "fieldpost-serve.out")
    stack.callback(stop, proc)
    side.port = 8000 + offset
    side.pid = proc.pid


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
    labels = {
        "week": (f"week view (calendar-query, expanded), {args.expand_clients} clients", "occurrences per answer"),
        "week-raw": (f"week view, not expanded (events as stored), {args.clients} clients", "events per answer"),
        "freebusy": (f"free/busy (free-busy-query, 1 user x 1 week), {args.clients} clients", "busy periods per answer"),
        "sync": (f"sync-collection, {args.sync_items:,} items, 100 changes, {args.clients} clients",
                 "changes per answer"),
    }  # fmt: skip
    out = []
    for kind in args.kinds:
        a, b = ours.tallies.get(kind), peer.tallies.get(kind)
        title, check = labels[kind]
        out.append(
            [title, cell(a, Tally.rate, "req/s"), cell(b, Tally.rate, "req/s"), ratio(a, b, Tally.rate, True)]
        )
        for q in (50, 99):

            def ms(t: Tally, q: int = q) -> float:
                return t.pct(q) * 1000

            out.append([f"  p{q} latency", cell(a, ms, "ms"), cell(b, ms, "ms"), ratio(a, b, ms, False)])
        if kind == "freebusy":

            def lookup(t: Tally) -> float:
                return LOOKUP / t.rate() if t.rate() else 0.0

            out.append([f"  {LOOKUP} of them at that rate (one 50-user lookup)", cell(a, lookup, "s"), cell(b, lookup, "s"),
                        ratio(a, b, lookup, False)])  # fmt: skip

        def avg(t: Tally) -> float:
            return sum(t.rows) / len(t.rows) if t.rows else 0

        out.append([f"  {check} (check)", cell(a, avg, ""), cell(b, avg, ""), ""])
    return out


def agreement(ours: Side, peer: Side) -> str:
    if not (ours.samples and peer.samples):
        return ""
    same = sum(a == b for a, b in zip(ours.samples, peer.samples, strict=True))
    text = (
        f"same UIDs and occurrence counts from both servers for {same} of {len(ours.samples)} sampled weeks"
    )
    for a, b in zip(ours.samples, peer.samples, strict=True):
        if a != b:
            only_a = {k: v for k, v in (a - b).items()}
            only_b = {k: v for k, v in (b - a).items()}
            text += f"\n    first difference: more in Fieldpost {dict(list(only_a.items())[:4])}, "
            text += f"more in Radicale {dict(list(only_b.items())[:4])}"
            break
    return text


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 users x 500 events, 1,000 sync items, 10 s")
    parser.add_argument("--users", type=int)
    parser.add_argument("--events", type=int, help="events per user")
    parser.add_argument("--sync-items", type=int)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--expand-clients", type=int, help="clients of the expanded week view (default: --clients)"
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"what to measure, of {','.join(KINDS)}")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--rounds", type=int, help="measurements per kind and server, alternating")
    parser.add_argument("--only", choices=["fieldpost", "radicale"])
    parser.add_argument("--refill", action="store_true", help="fill Fieldpost's kept data directory again")
    parser.add_argument(
        "--profile", type=Path, help="py-spy profiles of Fieldpost's measurements into this directory"
    )
    args = parser.parse_args()
    args.users = args.users or (5 if args.quick else 50)
    args.events = args.events or (500 if args.quick else 5000)
    args.sync_items = args.sync_items or (1000 if args.quick else 10_000)
    args.seconds = args.seconds or (10.0 if args.quick else 30.0)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.expand_clients = min(args.expand_clients or args.clients, args.clients)
    args.kinds = [k for k in KINDS if k in args.kinds.split(",")]
    if args.profile:
        if not dav_profile.available():
            parser.error("--profile needs py-spy (make bench-deps)")
        args.profile.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI"], capture_output=True, text=True
    )
    print(f"bench/dav.py {datetime.now(UTC):%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; Fieldpost {commit.stdout.strip()}; {version()}; {args.users} users x "
          f"{args.events:,} events, sync {args.sync_items:,} items; {args.clients} clients; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    users = [user_name(i) for i in range(args.users)]
    sync_name = f"sync{args.sync_items}"
    sync_items = sync_events(args.sync_items)
    changes = sync_changes(sync_items)
    work = Path(tempfile.mkdtemp(prefix="fp-bench-dav-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: the servers started here stop too
    ours, peer = Side("Fieldpost"), Side("Radicale")
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        for side, starter in ((ours, start_fieldpost), (peer, start_radicale)):
            if args.only and args.only != side.name.lower():
                side.note = f"not measured (--only {args.only})"
                continue
            print(f"  {side.name}: populating and starting ...", flush=True)
            try:
                starter(side, work, args, users, sync_name, sync_items, stack)
                prepare(side, users, sync_name, sync_items, changes, args.clients)
            except (
                dav_ours.Unavailable,
                HttpError,
                RuntimeError,
                OSError,
                KeyError,
                subprocess.CalledProcessError,
            ) as exc:
                side.note = f"failed: {type(exc).__name__}: {exc}"
                print(f"  {side.name}: {side.note}", flush=True)
        sides = [side for side in (ours, peer) if side.ready]
        for n in range(args.rounds):
            for kind in args.kinds:
                for side in sides if n % 2 == 0 else sides[::-1]:
                    clients = args.expand_clients if kind == "week" else args.clients
                    side.measure(kind, users, args.seconds, clients, args.profile)
        print()
        print_table(
            ["measure", "Fieldpost", "Radicale", "ratio (>1: Fieldpost better)"], rows_for(ours, peer, args)
        )
        for side in (ours, peer):
            for line in side.setup:
                print(f"  {side.name}: {line}")
            if side.note:
                print(f"  {side.name}: {side.note}")
            for kind, tally in side.tallies.items():
                if tally.errors:
                    print(f"  {side.name}: {kind}: {len(tally.errors)} errors, first: {tally.errors[:2]}")
        if text := agreement(ours, peer):
            print(f"  {text}")
        for kind, path in ours.profiles.items():
            print(f"\nFieldpost profile, {kind} ({path}):")
            for line in dav_profile.summary(path):
                print(f"  {line}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
