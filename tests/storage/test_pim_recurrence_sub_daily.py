"""Rules that repeat within a day (HOURLY, MINUTELY, SECONDLY) start their walk near the asked range, as
DAILY and WEEKLY ones do: the instances found are those of the whole walk from DTSTART (across a
daylight-saving change too), an instance months after DTSTART of a rule repeating every second is found,
and finding it costs a bounded walk instead of MAX_STEPS (100,000) steps from DTSTART."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from storage.pim.recurrence import expand_calendar

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = datetime(2027, 3, 20, 9, 0, 7, tzinfo=BERLIN)  # a week before Berlin's clocks go forward


def _calendar(rule: str) -> Calendar:
    return Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:tick\r\n"
        "DTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20270320T090007\r\nDURATION:PT1S\r\n"
        f"RRULE:{rule}\r\nSUMMARY:Tick\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.mark.parametrize(
    ("rule", "start", "days"),
    [
        ("FREQ=HOURLY;INTERVAL=5", datetime(2027, 3, 27, 12, tzinfo=UTC), 3),
        ("FREQ=MINUTELY;INTERVAL=7", datetime(2027, 3, 28, 0, tzinfo=UTC), 1),
        ("FREQ=SECONDLY;INTERVAL=13", datetime(2027, 3, 28, 0, 30, tzinfo=UTC), 0.1),
        ("FREQ=HOURLY;BYMINUTE=15,45", datetime(2027, 3, 27, 18, tzinfo=UTC), 1),
    ],
)
def test_the_instances_are_those_of_the_whole_walk(rule: str, start: datetime, days: float) -> None:
    calendar, end = _calendar(rule), start + timedelta(days=days)
    # the walk from DTSTART: a range that begins before it is never fast-forwarded
    whole = [
        i.recurrence_id
        for i in expand_calendar(calendar, FIRST - timedelta(days=1), end, limit=100_000)
        if i.starts_at < end and i.ends_at > start
    ]
    found = [i.recurrence_id for i in expand_calendar(calendar, start, end, limit=100_000)]
    assert len(whole) > 5 and found == whole


def test_an_instance_months_after_dtstart_of_a_secondly_rule_is_found_in_a_bounded_walk() -> None:
    calendar = _calendar("FREQ=SECONDLY")
    for rid in (datetime(2027, 3, 20, 8, 0, 9, tzinfo=UTC), datetime(2027, 9, 1, 12, 0, 7, tzinfo=UTC)):
        began = time.process_time()
        found = expand_calendar(calendar, rid, rid + timedelta(seconds=1), limit=100_000)
        took = time.process_time() - began
        assert [i.recurrence_id for i in found] == [rid]
        assert took < 0.6, took  # the walk from DTSTART took 1.2-1.4 s of CPU here (MAX_STEPS steps)
