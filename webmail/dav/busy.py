"""Busy time of a calendar collection and its VFREEBUSY text (RFC 5545 3.6.4, RFC 4791 7.10).

Busy periods come from storage's occurrences (recurrences expanded there; TRANSPARENT and CANCELLED
events are not busy), at most ``BUSY_LIMIT`` of them per answer. Periods are clipped to the asked range and merged per busy type, as a client draws them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, FreeBusy, vPeriod

from storage.pim.models import Busy, Collection
from webmail.dav.tree import Request

PRODID = "-//Fieldpost//Calendars and contacts//EN"
TYPE_OF_STATUS = {"TENTATIVE": "BUSY-TENTATIVE"}
BUSY_LIMIT = 20_000


def busy_periods(req: Request, col: Collection, start: datetime, end: datetime) -> list[Busy]:
    found = [
        Busy(o.starts_at, o.ends_at, TYPE_OF_STATUS.get(o.status.upper(), "BUSY"))
        for o in req.organizer.occurrences([col.folder_id], start, end, limit=BUSY_LIMIT)
        if o.busy
    ]
    return merge(found, start, end)


def merge(periods: Iterable[Busy], start: datetime, end: datetime) -> list[Busy]:
    """Clip to [start, end), drop empty periods, join overlapping ones of the same type."""
    out: list[Busy] = []
    for p in sorted(periods, key=lambda b: (b.kind, b.start)):
        lo, hi = max(p.start, start), min(p.end, end)
        if hi <= lo:
            continue
        if out and out[-1].kind == p.kind and lo <= out[-1].end:
            last = out[-1]
            out[-1] = Busy(last.start, max(last.end, hi), last.kind)
        else:
            out.append(Busy(lo, hi, p.kind))
    return sorted(out, key=lambda b: b.start)


def render_vfreebusy(
    periods: Iterable[Busy],
    start: datetime,
    end: datetime,
    *,
    method: str | None = None,
    extra: dict[str, str] | None = None,
    uid: str | None = None,
) -> bytes:
    """One VCALENDAR with one VFREEBUSY (RFC 5545 3.6.4), FREEBUSY lines in UTC."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    if method:
        calendar.add("METHOD", method)
    fb = FreeBusy()
    fb.add("DTSTAMP", datetime.now(UTC).replace(microsecond=0))
    if uid:
        fb.add("UID", uid)
    fb.add("DTSTART", start.astimezone(UTC))
    fb.add("DTEND", end.astimezone(UTC))
    for key, value in (extra or {}).items():
        fb.add(key, value)
    for period in periods:
        fb.add(
            "FREEBUSY",
            vPeriod((period.start.astimezone(UTC), period.end.astimezone(UTC))),
            parameters={"FBTYPE": period.kind},
        )
    calendar.add_component(fb)
    data: bytes = calendar.to_ical()
    return data
