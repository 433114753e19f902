"""The calendars bench/dav.py puts into both servers: deterministic iCalendar resources, one per event.

Every user's calendar holds E events (5,000; 500 with --quick) spread over two years from ``START`` (a
Monday), made from a seed derived from the user's number, so both servers get byte-identical resources
under the same names. The mix is what a busy office calendar looks like, with the cases that make a
server work on read:

* 92 % single events: office hours, 30-120 minutes; one in ten in Europe/Berlin time (with its
  VTIMEZONE, so daylight saving applies), one in twenty all day, some TRANSPARENT or TENTATIVE;
* 8 % recurring: weekly with a COUNT (about 60 % of them), daily on weekdays with a COUNT (30 %), weekly
  without an end (10 %); a third in Europe/Berlin time; 40 % have one or two EXDATEs and 25 % one moved
  occurrence (a second VEVENT with a RECURRENCE-ID in the same resource), so expansion has exceptions.

Expanded over a random week that is about 50 single events and 60-70 occurrences of recurring ones per
user. The sync-collection test uses a separate calendar of N (10,000) single events and then 100 changes
(``sync_changes``): 60 edits, 20 deletions and 20 new events.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
WEEKS = 104
DOMAIN = "example.test"
PASSWORD = "benchpass1"
CRLF = "\r\n"
_WORDS = [
    "planning",
    "review",
    "standup",
    "budget",
    "customer",
    "call",
    "interview",
    "lunch",
    "training",
    "workshop",
    "release",
    "retro",
    "design",
    "offsite",
    "dentist",
    "travel",
    "project",
    "sync",
    "onboarding",
    "audit",
    "demo",
    "board",
    "quarterly",
    "partner",
    "support",
]
_PLACES = ["Room 1", "Room 2", "Lab", "Cafeteria", "Online", "Main office", "Client site", ""]

# Europe/Berlin as a rule-based VTIMEZONE (the rules in force since 1996).
BERLIN = CRLF.join([
    "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
])  # fmt: skip


def user_name(index: int) -> str:
    """The login (and mailbox address) of user ``index`` (0-based): u01@example.test ..."""
    return f"u{index + 1:02d}@{DOMAIN}"


def week(index: int) -> tuple[datetime, datetime]:
    start = START + timedelta(weeks=index % WEEKS)
    return start, start + timedelta(weeks=1)


def utc_text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Resource:
    name: str  # the DAV resource name, "<uid>.ics"
    uid: str
    data: bytes


def _calendar(components: list[str], tz: bool) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Fieldpost bench//dav_data//EN"]
    if tz:
        lines.append(BERLIN)
    return (CRLF.join([*lines, *components, "END:VCALENDAR"]) + CRLF).encode()


def _when(prop: str, at: datetime, tz: bool) -> str:
    if tz:  # the wall-clock time in Berlin: the same hour of the day as the UTC ones, local
        return f"{prop};TZID=Europe/Berlin:{at:%Y%m%dT%H%M%S}"
    return f"{prop}:{utc_text(at)}"


def _vevent(uid: str, summary: str, start: datetime, minutes: int, tz: bool, extra: list[str]) -> str:
    return CRLF.join([
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20251201T090000Z", _when("DTSTART", start, tz),
        _when("DTEND", start + timedelta(minutes=minutes), tz), f"SUMMARY:{summary}", *extra, "END:VEVENT",
    ])  # fmt: skip


def event(rng: random.Random, uid: str, recurring_share: float = 0.08, days: int = WEEKS * 7) -> bytes:
    """One resource's iCalendar text (see the module docstring for the mix)."""
    day = START + timedelta(days=rng.randrange(days))
    start = day.replace(hour=rng.randrange(7, 18), minute=rng.choice((0, 15, 30, 45)))
    minutes = rng.choice((30, 30, 60, 60, 60, 90, 120))
    summary = " ".join(rng.sample(_WORDS, 2)).capitalize()
    extra = [f"LOCATION:{place}" for place in [rng.choice(_PLACES)] if place]
    roll = rng.random()
    if roll < 0.05:
        extra.append("TRANSP:TRANSPARENT")
    elif roll < 0.10:
        extra.append("STATUS:TENTATIVE")
    if rng.random() >= recurring_share:
        if rng.random() < 0.05:  # all day, one or two days
            first = day.date()
            last = first + timedelta(days=rng.choice((1, 1, 2)))
            body = CRLF.join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20251201T090000Z",
                              f"DTSTART;VALUE=DATE:{first:%Y%m%d}", f"DTEND;VALUE=DATE:{last:%Y%m%d}",
                              f"SUMMARY:{summary}", *extra, "END:VEVENT"])  # fmt: skip
            return _calendar([body], False)
        tz = rng.random() < 0.1
        return _calendar([_vevent(uid, summary, start, minutes, tz, extra)], tz)
    tz = rng.random() < 1 / 3
    kind = rng.random()
    if kind < 0.6:
        rule, step = f"FREQ=WEEKLY;COUNT={rng.randrange(4, 41)}", timedelta(weeks=1)
    elif kind < 0.9:
        rule, step = f"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT={rng.randrange(3, 21)}", timedelta(days=1)
        while start.weekday() >= 5:
            start += timedelta(days=1)
    else:
        rule, step = "FREQ=WEEKLY", timedelta(weeks=1)
    rrule = [f"RRULE:{rule}"]
    count = int(rule.rsplit("=", 1)[1]) if "COUNT" in rule else 40
    skip = [start + step * k for k in sorted(rng.sample(range(1, min(count, 6)), rng.choice((1, 2))))]
    if rng.random() < 0.4 and count > 3 and step.days == 7:
        rrule += [_when("EXDATE", when, tz) for when in skip]
    components = [_vevent(uid, summary, start, minutes, tz, rrule + extra)]
    if rng.random() < 0.25 and count > 2:
        # a real occurrence: the last one (or the 8th of an endless rule); a weekday rule moves its first
        moved = start if step.days == 1 else start + step * (count - 1 if count < 40 else 7)
        recurrence = _when("RECURRENCE-ID", moved, tz)
        components.append(_vevent(uid, summary + " (moved)", moved + timedelta(hours=1), minutes, tz,
                                  [recurrence, *extra]))  # fmt: skip
    return _calendar(components, tz)


def user_events(index: int, count: int) -> Iterator[Resource]:
    """User ``index``'s ``count`` events, the same on every call."""
    rng = random.Random(f"dav-bench-user-{index}")
    for n in range(count):
        uid = f"{index + 1:02d}{n:06d}-bench-{rng.randrange(16**8):08x}"
        yield Resource(f"{uid}.ics", uid, event(rng, uid))


def sync_events(count: int) -> list[Resource]:
    """The sync-collection calendar's ``count`` single events."""
    rng = random.Random("dav-bench-sync")
    out = []
    for n in range(count):
        uid = f"sync{n:06d}-{rng.randrange(16**8):08x}"
        out.append(Resource(f"{uid}.ics", uid, event(rng, uid, recurring_share=0.0)))
    return out


@dataclass(frozen=True)
class Changes:
    edited: list[Resource]  # new bytes under existing names
    deleted: list[str]  # names
    added: list[Resource]

    def __len__(self) -> int:
        return len(self.edited) + len(self.deleted) + len(self.added)


def sync_changes(items: list[Resource]) -> Changes:
    """100 changes to the sync calendar: 60 edits, 20 deletions, 20 new events (spread over the items)."""
    rng = random.Random("dav-bench-sync-changes")
    picked = rng.sample(range(len(items)), 80)
    edited = []
    for i in picked[:60]:
        old = items[i]
        text = old.data.decode().replace("SUMMARY:", "SUMMARY:Changed: ", 1)
        edited.append(Resource(old.name, old.uid, text.encode()))
    deleted = [items[i].name for i in picked[60:]]
    added = []
    for n in range(20):
        uid = f"syncnew{n:03d}-{rng.randrange(16**8):08x}"
        added.append(Resource(f"{uid}.ics", uid, event(rng, uid, recurring_share=0.0)))
    return Changes(edited, deleted, added)
