"""The event form's translation to iCalendar and back (webmail/calendar/event_form.py, event_ical.py,
recurrence.py): what is written is what RFC 5545 asks, what the form shows is what was stored, and a
change to one occurrence or its deletion touches only that occurrence. The expansion of the written
text is checked with recurring_ical_events when it is installed (the organizer's own expander)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from icalendar import Calendar
from werkzeug.datastructures import MultiDict

from webmail.calendar import event_ical
from webmail.calendar.event_form import EventDraft, form_values, parse_event_form
from webmail.calendar.recurrence import Repeat, from_rrule, to_rrule

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
ME = "alice@example.test"


@pytest.fixture(autouse=True)
def _app_context() -> object:
    """The form's messages are lazy Babel strings: an app context lets them render."""
    app = Flask(__name__)
    from flask_babel import Babel

    Babel(app)
    with app.test_request_context():
        yield


def standup(**changes: object) -> EventDraft:
    base = EventDraft(
        summary="Standup",
        start_day=date(2026, 12, 7),
        end_day=date(2026, 12, 7),
        start_time=time(9, 30),
        end_time=time(9, 45),
        zone="Europe/Berlin",
        repeat=Repeat("weekly", weekdays=("MO", "WE"), ending="count", count=6),
        reminder=15,
        categories=("Work",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def events(data: bytes) -> list:  # type: ignore[type-arg]
    return Calendar.from_ical(data).walk("VEVENT")


def test_a_form_becomes_a_draft() -> None:
    form = MultiDict(
        [
            ("summary", "  Team   meeting "),
            ("start_date", "2026-12-07"),
            ("start_time", "09:30"),
            ("end_time", "10:15"),
            ("timezone", "Europe/Berlin"),
            ("repeat", "weekly"),
            ("weekday", "MO"),
            ("weekday", "WE"),
            ("ends", "until"),
            ("until", "2027-01-31"),
            ("reminder", "15"),
            ("categories", "Work, team, work"),
            ("attendees", "bob@example.test; Carol@Example.test, bob@example.test"),
        ]
    )
    draft, errors = parse_event_form(form, "UTC")
    assert errors == {}
    assert draft is not None
    assert draft.summary == "Team meeting"
    assert draft.start() == datetime(2026, 12, 7, 9, 30, tzinfo=BERLIN)
    assert draft.end() == datetime(2026, 12, 7, 10, 15, tzinfo=BERLIN)
    assert draft.repeat == Repeat("weekly", 1, ("MO", "WE"), "until", None, date(2027, 1, 31))
    assert draft.categories == ("Work", "team")
    assert draft.attendees == ("bob@example.test", "Carol@Example.test")


@pytest.mark.parametrize(
    ("field", "value", "bad"),
    [
        ("summary", "", "summary"),
        ("start_date", "7.12.2026", "start_date"),
        ("start_time", "25:00", "start_time"),
        ("end_time", "09:00", "end_time"),  # before the start
        ("timezone", "Mars/Olympus", "timezone"),
        ("repeat", "hourly", "repeat"),
        ("interval", "0", "interval"),
        ("count", "x", "count"),
        ("reminder", "7", "reminder"),
        ("attendees", "not an address", "attendees"),
        ("categories", ",".join(f"c{n}" for n in range(30)), "categories"),
        ("start_date", "9999-12-31", "start_date"),  # outside the years the views page through
        ("count", "\u00b2", "count"),  # a digit to str.isdigit, not to int()
        ("reminder", "\u0661\u0665", "reminder"),
        ("until", "9999-12-31", "until"),
    ],
)
def test_a_bad_field_is_named(field: str, value: str, bad: str) -> None:
    fields = {
        "summary": "x",
        "start_date": "2026-12-07",
        "start_time": "09:30",
        "end_time": "10:00",
        "timezone": "UTC",
        "repeat": "daily",
        "ends": "until" if field == "until" else "count",
        "count": "3",
    }
    fields[field] = value
    draft, errors = parse_event_form(MultiDict(fields), "UTC")
    assert draft is None
    assert bad in errors and str(errors[bad])


def test_all_day_dates_are_inclusive_in_the_form_and_exclusive_in_icalendar() -> None:
    form = MultiDict(
        {"summary": "Trip", "all_day": "1", "start_date": "2026-12-24", "end_date": "2026-12-26"}
    )
    draft, errors = parse_event_form(form, "UTC")
    assert not errors and draft is not None
    [event] = events(event_ical.new_event(draft, ME, NOW))
    assert event.decoded("DTSTART") == date(2026, 12, 24)
    assert event.decoded("DTEND") == date(2026, 12, 27)  # RFC 5545 3.6.1: the day after
    back = event_ical.read_draft(event_ical.new_event(draft, ME, NOW), None, "UTC")
    assert (back.all_day, back.start_day, back.end_day) == (True, date(2026, 12, 24), date(2026, 12, 26))


def test_a_new_event_is_valid_icalendar_with_zone_rule_alarm_and_attendees() -> None:
    data = event_ical.new_event(standup(attendees=("bob@example.test",)), ME, NOW)
    calendar = Calendar.from_ical(data)
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE", "VEVENT"]
    [event] = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6;BYDAY=MO,WE"
    assert event.decoded("SEQUENCE") == 0
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    assert str(event["ATTENDEE"]) == "mailto:bob@example.test"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert str(event["ORGANIZER"]) == f"mailto:{ME}"
    assert event_ical.read_draft(data, None, "UTC") == standup(attendees=("bob@example.test",))


def test_form_values_round_trip() -> None:
    draft = standup()
    draft2, errors = parse_event_form(MultiDict(_multi(form_values(draft))), "UTC")
    assert errors == {} and draft2 == draft


def _multi(values: dict[str, object]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        pairs += [(key, str(v)) for v in value] if isinstance(value, list) else [(key, str(value))]
    return pairs


def test_changing_one_occurrence_adds_an_override_and_keeps_the_series() -> None:
    data = event_ical.new_event(standup(), ME, NOW)
    wednesday = datetime(2026, 12, 9, 8, 30, tzinfo=UTC)  # 09:30 in Berlin
    shown = event_ical.read_draft(data, wednesday, "UTC")
    assert (shown.start_day, shown.start_time, shown.repeat.repeats) == (
        date(2026, 12, 9),
        time(9, 30),
        False,
    )
    moved = replace(
        shown, start_day=date(2026, 12, 10), end_day=date(2026, 12, 10), summary="Standup (moved)"
    )
    changed = event_ical.change_occurrence(data, wednesday, moved, ME, NOW)
    master, override = events(changed)
    assert "RRULE" in master and "RECURRENCE-ID" not in master
    assert override["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert override.decoded("RECURRENCE-ID") == datetime(2026, 12, 9, 9, 30, tzinfo=BERLIN)
    assert override.decoded("DTSTART") == datetime(2026, 12, 10, 9, 30, tzinfo=BERLIN)
    assert "RRULE" not in override and str(override["UID"]) == str(master["UID"])
    assert event_ical.read_draft(changed, wednesday, "UTC").summary == "Standup (moved)"
    again = event_ical.change_occurrence(changed, wednesday, replace(moved, summary="Again"), ME, NOW)
    assert len(events(again)) == 2  # the same override, replaced


def test_deleting_one_occurrence_is_an_exdate_and_drops_its_override() -> None:
    data = event_ical.new_event(standup(), ME, NOW)
    wednesday = datetime(2026, 12, 9, 8, 30, tzinfo=UTC)
    changed = event_ical.change_occurrence(data, wednesday, standup(summary="x", repeat=Repeat()), ME, NOW)
    gone = event_ical.exclude_occurrence(changed, wednesday, NOW)
    [master] = events(gone)
    assert master["EXDATE"].params["TZID"] == "Europe/Berlin"
    assert master["EXDATE"].dts[0].dt == datetime(2026, 12, 9, 9, 30, tzinfo=BERLIN)


def test_changing_the_series_keeps_exceptions_and_unknown_properties() -> None:
    data = event_ical.new_event(standup(), ME, NOW)
    data = data.replace(b"SUMMARY:Standup", b"SUMMARY:Standup\r\nURL:https://example.test/agenda", 1)
    data = event_ical.exclude_occurrence(data, datetime(2026, 12, 9, 8, 30, tzinfo=UTC), NOW)
    changed = event_ical.change_series(data, standup(summary="Daily sync", reminder=None), ME, NOW)
    [master] = events(changed)
    assert str(master["SUMMARY"]) == "Daily sync"
    assert str(master["URL"]) == "https://example.test/agenda"
    assert "EXDATE" in master and not master.walk("VALARM")
    assert master.decoded("SEQUENCE") == 2


def test_expanded_by_the_organizers_expander() -> None:
    recurring = pytest.importorskip("recurring_ical_events")
    data = event_ical.new_event(standup(), ME, NOW)
    wednesday = datetime(2026, 12, 9, 8, 30, tzinfo=UTC)
    moved = replace(standup(repeat=Repeat()), start_day=date(2026, 12, 10), end_day=date(2026, 12, 10))
    data = event_ical.change_occurrence(data, wednesday, moved, ME, NOW)
    data = event_ical.exclude_occurrence(data, datetime(2026, 12, 14, 8, 30, tzinfo=UTC), NOW)
    found = recurring.of(Calendar.from_ical(data)).between(date(2026, 12, 1), date(2027, 1, 1))
    starts = sorted(e.decoded("DTSTART").astimezone(UTC) for e in found)
    assert [s.day for s in starts] == [7, 10, 16, 21, 23]  # Mo 7, (We 9 moved to Th 10), Mo 14 gone, We 16...


def test_until_is_utc_end_of_day_for_timed_and_a_date_for_all_day() -> None:
    timed = to_rrule(
        Repeat("daily", ending="until", until=date(2027, 1, 31)), datetime(2026, 12, 7, 9, tzinfo=BERLIN)
    )
    assert timed is not None and timed["UNTIL"] == datetime(2027, 1, 31, 22, 59, 59, tzinfo=UTC)
    day = to_rrule(Repeat("yearly", ending="until", until=date(2030, 1, 1)), date(2026, 12, 7))
    assert day is not None and day["UNTIL"] == date(2030, 1, 1)
    assert from_rrule({"FREQ": ["MONTHLY"], "BYSETPOS": [-1], "BYDAY": ["FR"]}, BERLIN).custom


def test_not_icalendar_is_refused() -> None:
    with pytest.raises(event_ical.EventDataError):
        event_ical.read_draft(b"BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n", None, "UTC")


def test_alarms_relative_to_start_or_end_absolute_and_per_override() -> None:
    data = event_ical.new_event(standup(), ME, NOW)
    start, end = datetime(2026, 12, 9, 8, 30, tzinfo=UTC), datetime(2026, 12, 9, 8, 45, tzinfo=UTC)
    assert event_ical.read_alarms(data).times(start, start, end) == [start - timedelta(minutes=15)]
    moved = event_ical.change_occurrence(data, start, standup(repeat=Repeat(), reminder=60), ME, NOW)
    alarms = event_ical.read_alarms(moved)
    assert alarms.times(start, start, end) == [start - timedelta(hours=1)]  # the override's own
    other = start + timedelta(days=5)
    assert alarms.times(other, other, other) == [other - timedelta(minutes=15)]  # the master's
    text = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20261201T000000Z\r\n"
        b"DTSTART:20261210T100000Z\r\nDTEND:20261210T110000Z\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n"
        b"DESCRIPTION:x\r\nTRIGGER;RELATED=END:-PT5M\r\nEND:VALARM\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n"
        b"DESCRIPTION:y\r\nTRIGGER;VALUE=DATE-TIME:20261209T070000Z\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    begin, finish = datetime(2026, 12, 10, 10, tzinfo=UTC), datetime(2026, 12, 10, 11, tzinfo=UTC)
    assert event_ical.read_alarms(text).times(None, begin, finish) == [
        datetime(2026, 12, 9, 7, tzinfo=UTC),
        finish - timedelta(minutes=5),
    ]
    assert event_ical.read_alarms(text.replace(b"VALARM", b"VTODO")).master == ()
