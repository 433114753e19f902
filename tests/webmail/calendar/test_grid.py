"""The views' layout (webmail/calendar/grid.py): spans, paging, the local day and hour row of each
occurrence in the user's time zone, all-day dates never shifted, events over midnight on both days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from webmail.calendar.grid import (
    AGENDA_DAYS,
    CalendarShown,
    layout,
    parse_anchor,
    query_range,
    step,
    view_span,
)

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
TODAY = date(2026, 12, 9)
MINE = CalendarShown(1, "Calendar", "alice@example.test", "own", True, True, 0)
HIDDEN = CalendarShown(2, "Hidden", "alice@example.test", "own", True, True, 1, shown=False)
CALENDARS = {1: MINE, 2: HIDDEN}


@dataclass(frozen=True)
class Occ:
    summary: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool = False
    folder_id: int = 1
    name: str = "x.ics"
    recurrence_id: datetime | None = None
    location: str = ""
    categories: tuple[str, ...] = ()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_spans_and_paging() -> None:
    assert view_span("day", TODAY) == (TODAY, TODAY)
    assert view_span("week", TODAY) == (date(2026, 12, 7), date(2026, 12, 13))  # Monday to Sunday
    assert view_span("month", TODAY) == (date(2026, 11, 30), date(2027, 1, 3))
    assert view_span("agenda", TODAY)[1] == date(2027, 1, 7)
    assert step("month", date(2027, 1, 31), True) == date(2027, 2, 1)
    assert step("month", date(2027, 1, 15), False) == date(2026, 12, 1)
    assert step("week", TODAY, False) == date(2026, 12, 2)
    assert step("agenda", TODAY, True) == date(2027, 1, 8)
    assert len(layout("month", TODAY, [], CALENDARS, BERLIN, TODAY).weeks) == 5
    assert sum(1 for _ in range(AGENDA_DAYS)) == len(
        layout("agenda", TODAY, [], CALENDARS, BERLIN, TODAY).days
    )


def test_anchor_falls_back_to_today() -> None:
    assert parse_anchor("2026-02-30", TODAY) == TODAY
    assert parse_anchor("0001-01-01", TODAY) == TODAY
    assert parse_anchor(None, TODAY) == TODAY
    assert parse_anchor("2027-03-01", TODAY) == date(2027, 3, 1)


def test_timed_events_land_on_the_local_day_and_hour() -> None:
    late = Occ("Late call", utc(2026, 12, 9, 23, 30), utc(2026, 12, 10, 0, 30))  # Thursday 00:30 in Berlin
    grid = layout("week", TODAY, [late], CALENDARS, BERLIN, TODAY)
    thursday = next(d for d in grid.days if d.day == date(2026, 12, 10))
    [entry] = thursday.timed
    assert entry.start.hour == 0 and entry.hour == 0 and not entry.continued
    assert grid.hours[0] == 0  # the rows start early enough to hold it
    tokyo = layout("week", TODAY, [late], CALENDARS, TOKYO, TODAY)
    assert [d.day for d in tokyo.days if d.timed] == [date(2026, 12, 10)]
    assert tokyo.days[3].timed[0].start.hour == 8


def test_an_event_over_midnight_shows_on_both_days() -> None:
    night = Occ("Night shift", utc(2026, 12, 9, 21), utc(2026, 12, 10, 5))  # 22:00 to 06:00 Berlin
    grid = layout("week", TODAY, [night], CALENDARS, BERLIN, TODAY)
    wednesday, thursday = grid.days[2], grid.days[3]
    assert [(e.continued, e.continues) for e in wednesday.timed] == [(False, True)]
    assert [(e.continued, e.continues) for e in thursday.timed] == [(True, False)]
    assert thursday.at_hour(grid.hours[0], grid.hours[0]) == thursday.timed


def test_all_day_dates_are_the_same_in_every_zone() -> None:
    holiday = Occ("Holiday", utc(2026, 12, 24), utc(2026, 12, 26), all_day=True)
    for zone in (BERLIN, TOKYO, NEW_YORK):
        grid = layout("month", date(2026, 12, 1), [holiday], CALENDARS, zone, TODAY)
        assert [d.day for d in grid.days if d.all_day] == [date(2026, 12, 24), date(2026, 12, 25)], zone
        start, end = query_range("month", date(2026, 12, 1), zone)
        assert start <= utc(2026, 11, 30) and end >= utc(2027, 1, 4)


def test_hidden_calendars_and_other_months() -> None:
    hidden = Occ("Secret", utc(2026, 12, 9, 10), utc(2026, 12, 9, 11), folder_id=2)
    unknown = Occ("Unknown", utc(2026, 12, 9, 10), utc(2026, 12, 9, 11), folder_id=99)
    grid = layout("month", TODAY, [hidden, unknown], CALENDARS, BERLIN, TODAY)
    assert not any(d.entries for d in grid.days)
    assert not grid.days[0].in_month and grid.days[1].in_month  # Nov 30 vs Dec 1
    assert [d.today for d in grid.days].count(True) == 1


def test_agenda_lists_only_days_with_events_in_order() -> None:
    a = Occ("B second", utc(2026, 12, 12, 15), utc(2026, 12, 12, 16))
    b = Occ("A first", utc(2026, 12, 12, 8), utc(2026, 12, 12, 9))
    c = Occ("Day off", utc(2026, 12, 12), utc(2026, 12, 13), all_day=True)
    grid = layout("agenda", TODAY, [a, b, c], CALENDARS, BERLIN, TODAY)
    [day] = grid.agenda
    assert [e.occurrence.summary for e in day.entries] == ["Day off", "A first", "B second"]
