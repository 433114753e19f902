"""The day, week, month and agenda views laid out from a list of occurrences: which days a view covers, in
which day (and hour row) each occurrence shows, and where "previous" and "next" lead.

Everything is in the user's time zone (their ``user.timezone`` preference): a timed occurrence shows on
every local day it touches (on the later days as "continued", in the first hour row), an all-day one on
the dates it names, whatever the zone -- the organizer keeps an all-day event's dates as UTC midnights,
so they are read back as UTC dates, never shifted. Weeks start on Monday (ISO 8601).

The views never draw with inline styles (the CSP forbids them): a timed occurrence sits in the table row
of its start hour, and the page's classes (``cal-color-N``, ``today``, ``other-month``) do the rest.

No Flask, no storage: occurrences come in as values (anything shaped like ``storage.pim.Occurrence``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

VIEWS = ("day", "week", "month", "agenda")
AGENDA_DAYS = 30
YEARS = (1900, 2200)  # the anchor dates the views accept (paging never leaves the date type's range)
#: Hour rows always shown in the day and week views; earlier or later rows appear when an event is there.
DAY_HOURS = (7, 19)
UTC = ZoneInfo("UTC")


class OccurrenceLike(Protocol):
    """What the views read of an occurrence (``storage.pim.Occurrence`` has these fields)."""

    @property
    def name(self) -> str: ...
    @property
    def folder_id(self) -> int: ...
    @property
    def recurrence_id(self) -> datetime | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def all_day(self) -> bool: ...
    @property
    def summary(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def categories(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class CalendarShown:
    """A calendar as the pages list it: its name, whose it is, what the user may do, its colour class."""

    folder_id: int
    name: str
    owner: str
    origin: str  # "own", "shared" or "public"
    can_add: bool  # "i": new events
    can_edit: bool  # "i", "t" and "e": change and delete events
    color: int  # the N of the cal-color-N class
    shown: bool = True
    can_share: bool = False  # "a": the permissions page


@dataclass(frozen=True)
class Entry:
    """One occurrence on one day of a view."""

    occurrence: OccurrenceLike
    calendar: CalendarShown
    start: datetime  # local (for all-day: local midnight of the first date)
    end: datetime
    all_day: bool
    continued: bool  # began on an earlier day
    continues: bool  # goes on to a later day

    @property
    def hour(self) -> int:
        return 0 if self.continued else self.start.hour


@dataclass
class Day:
    day: date
    today: bool
    in_month: bool = True
    all_day: list[Entry] = field(default_factory=list)
    timed: list[Entry] = field(default_factory=list)

    @property
    def entries(self) -> list[Entry]:
        return self.all_day + self.timed

    def at_hour(self, hour: int, first: int) -> list[Entry]:
        """The timed entries of the row ``hour`` (the first row also holds what starts before it)."""
        return [e for e in self.timed if e.hour == hour or (hour == first and e.hour < first)]


@dataclass(frozen=True)
class Grid:
    view: str
    anchor: date
    first: date
    last: date  # inclusive
    days: list[Day]
    hours: list[int]  # the hour rows of the day and week views
    previous: date
    next: date

    @property
    def weeks(self) -> list[list[Day]]:
        return [self.days[i : i + 7] for i in range(0, len(self.days), 7)]

    @property
    def agenda(self) -> list[Day]:
        return [d for d in self.days if d.entries]


def view_span(view: str, anchor: date) -> tuple[date, date]:
    """The first and last day (inclusive) of ``view`` around ``anchor``."""
    if view == "day":
        return anchor, anchor
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=6)
    if view == "month":
        first_of_month = anchor.replace(day=1)
        last_of_month = _add_months(first_of_month, 1) - timedelta(days=1)
        return (
            first_of_month - timedelta(days=first_of_month.weekday()),
            last_of_month + timedelta(days=6 - last_of_month.weekday()),
        )
    return anchor, anchor + timedelta(days=AGENDA_DAYS - 1)


def query_range(view: str, anchor: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants to ask the organizer for: the view's local days, a day wider on each side so an
    all-day date (a UTC midnight) near the edge is never missed; :func:`layout` keeps only what shows."""
    first, last = view_span(view, anchor)
    start = datetime.combine(first - timedelta(days=1), time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=2), time(0), zone).astimezone(UTC)
    return start, end


def step(view: str, anchor: date, forward: bool) -> date:
    """The anchor of the previous or next page of ``view``."""
    sign = 1 if forward else -1
    if view == "day":
        return anchor + timedelta(days=sign)
    if view == "week":
        return anchor + timedelta(days=7 * sign)
    if view == "month":
        return _add_months(anchor.replace(day=1), sign)
    return anchor + timedelta(days=AGENDA_DAYS * sign)


def layout(
    view: str,
    anchor: date,
    occurrences: Iterable[OccurrenceLike],
    calendars: Mapping[int, CalendarShown],
    zone: ZoneInfo,
    today: date,
) -> Grid:
    """The ``view`` page around ``anchor``: each occurrence of a shown calendar placed on its days."""
    first, last = view_span(view, anchor)
    days = [Day(first + timedelta(days=n), today=False) for n in range((last - first).days + 1)]
    for day in days:
        day.today = day.day == today
        day.in_month = view != "month" or day.day.month == anchor.month
    index = {d.day: d for d in days}
    for occurrence in occurrences:
        calendar = calendars.get(occurrence.folder_id)
        if calendar is None or not calendar.shown:
            continue
        for entry in _entries(occurrence, calendar, zone):
            found = index.get(entry.start.date())
            if found is not None:
                (found.all_day if entry.all_day else found.timed).append(entry)
    for day in days:
        day.all_day.sort(key=lambda e: (e.start, e.occurrence.summary.casefold()))
        day.timed.sort(key=lambda e: (e.start, e.end, e.occurrence.summary.casefold()))
    return Grid(
        view=view,
        anchor=anchor,
        first=first,
        last=last,
        days=days,
        hours=_hours(days),
        previous=step(view, anchor, False),
        next=step(view, anchor, True),
    )


def _entries(occurrence: OccurrenceLike, calendar: CalendarShown, zone: ZoneInfo) -> list[Entry]:
    """The occurrence cut into one entry per local day it touches (``start`` is that day's part)."""
    if occurrence.all_day:
        first_day = occurrence.starts_at.astimezone(UTC).date()
        after = occurrence.ends_at.astimezone(UTC).date()
        last_day = max(first_day, after - timedelta(days=1))
        start = datetime.combine(first_day, time(0), zone)
        end = datetime.combine(last_day + timedelta(days=1), time(0), zone)
    else:
        start = occurrence.starts_at.astimezone(zone)
        end = occurrence.ends_at.astimezone(zone)
        last_day = (end - timedelta(microseconds=1)).date() if end > start else start.date()
        first_day = start.date()
    entries = []
    count = (last_day - first_day).days + 1
    for n in range(min(count, 62)):  # a longer event shows on the first two months of its days
        day = first_day + timedelta(days=n)
        part_start = start if n == 0 else datetime.combine(day, time(0), zone)
        entries.append(
            Entry(
                occurrence,
                calendar,
                start=part_start,
                end=end,
                all_day=occurrence.all_day,
                continued=n > 0,
                continues=n < count - 1,
            )
        )
    return entries


def _hours(days: list[Day]) -> list[int]:
    low, high = DAY_HOURS
    for day in days:
        for entry in day.timed:
            low = min(low, entry.hour)
            end_hour = entry.end.hour if entry.end.date() == day.day else 23
            high = max(high, entry.hour, end_hour)
    return list(range(low, high + 1))


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's last day)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no such month: {year}-{month}")


def parse_anchor(text: str | None, today: date) -> date:
    """The ``date`` query value (YYYY-MM-DD), or today when it is missing, not a date, or outside the years
    the views page through (1900 to 2200)."""
    try:
        found = date.fromisoformat(text or "")
    except ValueError:
        return today
    return found if YEARS[0] <= found.year <= YEARS[1] else today
