"""Expansion of stored calendar resources (storage/pim/recurrence.py) and busy periods (freebusy.py):
the instances a calendar view or a free/busy lookup shows, checked in UTC against what a person in
Berlin expects to see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.errors import InvalidInput
from storage.pim.freebusy import is_free, merge_busy
from storage.pim.recurrence import expand


def cal(*body: str) -> bytes:
    return (
        "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *body, "END:VCALENDAR"]) + "\r\n"
    ).encode()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


WEEKLY_BERLIN = cal(
    "BEGIN:VEVENT",
    "UID:weekly-1",
    "DTSTART;TZID=Europe/Berlin:20260316T100000",
    "DTEND;TZID=Europe/Berlin:20260316T110000",
    "RRULE:FREQ=WEEKLY;BYDAY=MO",
    "EXDATE;TZID=Europe/Berlin:20260406T100000",
    "SUMMARY:Team meeting",
    "LOCATION:Room 1",
    "CATEGORIES:Work,Team",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:weekly-1",
    "RECURRENCE-ID;TZID=Europe/Berlin:20260413T100000",
    "DTSTART;TZID=Europe/Berlin:20260414T150000",
    "DTEND;TZID=Europe/Berlin:20260414T160000",
    "SUMMARY:Team meeting (moved)",
    "END:VEVENT",
)


def test_weekly_event_keeps_its_wall_clock_time_across_the_dst_change() -> None:
    found = expand(WEEKLY_BERLIN, utc(2026, 3, 16), utc(2026, 4, 1))
    assert [i.starts_at for i in found] == [utc(2026, 3, 16, 9), utc(2026, 3, 23, 9), utc(2026, 3, 30, 8)]
    assert [i.ends_at for i in found] == [utc(2026, 3, 16, 10), utc(2026, 3, 23, 10), utc(2026, 3, 30, 9)]
    first = found[0]
    assert (first.summary, first.location, first.categories) == ("Team meeting", "Room 1", ("Work", "Team"))
    assert first.recurrence_id == utc(2026, 3, 16, 9) and first.busy_kind == "BUSY" and not first.all_day


def test_exdate_removes_an_instance_and_a_moved_instance_shows_at_its_new_time() -> None:
    found = expand(WEEKLY_BERLIN, utc(2026, 4, 1), utc(2026, 4, 21))
    assert [(i.starts_at, i.summary) for i in found] == [
        (utc(2026, 4, 14, 13), "Team meeting (moved)"),
        (utc(2026, 4, 20, 8), "Team meeting"),
    ]
    assert found[0].recurrence_id == utc(2026, 4, 13, 8)


def test_a_moved_instance_leaves_the_range_it_was_in_and_enters_the_one_it_moved_to() -> None:
    assert expand(WEEKLY_BERLIN, utc(2026, 4, 13), utc(2026, 4, 14)) == []
    moved = expand(WEEKLY_BERLIN, utc(2026, 4, 14), utc(2026, 4, 15))
    assert [i.summary for i in moved] == ["Team meeting (moved)"]


def test_an_old_daily_rule_is_expanded_near_the_asked_range_only() -> None:
    data = cal(
        "BEGIN:VEVENT",
        "UID:old",
        "DTSTART;TZID=Europe/Berlin:19900101T080000",
        "DURATION:PT30M",
        "RRULE:FREQ=DAILY",
        "END:VEVENT",
    )
    found = expand(data, utc(2026, 7, 1), utc(2026, 7, 3))
    assert [i.starts_at for i in found] == [utc(2026, 7, 1, 6), utc(2026, 7, 2, 6)]
    assert found[0].ends_at == utc(2026, 7, 1, 6, 30)


def test_daily_event_with_count_stops_after_count_instances() -> None:
    data = cal(
        "BEGIN:VEVENT",
        "UID:count",
        "DTSTART:20260501T120000Z",
        "DTEND:20260501T123000Z",
        "RRULE:FREQ=DAILY;COUNT=3",
        "END:VEVENT",
    )
    found = expand(data, utc(2026, 4, 1), utc(2026, 6, 1))
    assert [i.starts_at for i in found] == [utc(2026, 5, 1, 12), utc(2026, 5, 2, 12), utc(2026, 5, 3, 12)]


def test_all_day_events_are_whole_utc_days() -> None:
    data = cal(
        "BEGIN:VEVENT",
        "UID:holiday",
        "DTSTART;VALUE=DATE:20261224",
        "DTEND;VALUE=DATE:20261227",
        "SUMMARY:Holidays",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:birthday",
        "DTSTART;VALUE=DATE:20200310",
        "RRULE:FREQ=YEARLY",
        "SUMMARY:Birthday",
        "END:VEVENT",
    )
    found = expand(data, utc(2026, 3, 10), utc(2026, 12, 25))
    assert [(i.summary, i.starts_at, i.ends_at, i.all_day) for i in found] == [
        ("Birthday", utc(2026, 3, 10), utc(2026, 3, 11), True),
        ("Holidays", utc(2026, 12, 24), utc(2026, 12, 27), True),
    ]
    assert found[1].busy_kind is None


def test_until_given_as_a_date_and_the_dtstart_always_counts() -> None:
    data = cal(
        "BEGIN:VEVENT",
        "UID:until",
        "DTSTART;TZID=America/New_York:20260102T090000",
        "DTEND;TZID=America/New_York:20260102T100000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260112",
        "END:VEVENT",
    )
    found = expand(data, utc(2026, 1, 1), utc(2026, 2, 1))
    # Friday the 2nd (DTSTART), then the Mondays 5th and 12th (UNTIL is inclusive of that day).
    assert [i.starts_at for i in found] == [utc(2026, 1, 2, 14), utc(2026, 1, 5, 14), utc(2026, 1, 12, 14)]


def test_rdate_and_a_cancelled_override() -> None:
    data = cal(
        "BEGIN:VEVENT",
        "UID:r",
        "DTSTART:20260601T080000Z",
        "DTEND:20260601T090000Z",
        "RDATE:20260603T080000Z,20260605T150000Z",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:r",
        "RECURRENCE-ID:20260603T080000Z",
        "DTSTART:20260603T080000Z",
        "DTEND:20260603T090000Z",
        "STATUS:CANCELLED",
        "END:VEVENT",
    )
    found = expand(data, utc(2026, 6, 1), utc(2026, 6, 8))
    assert [(i.starts_at, i.status, i.busy) for i in found] == [
        (utc(2026, 6, 1, 8), "", True),
        (utc(2026, 6, 3, 8), "CANCELLED", False),
        (utc(2026, 6, 5, 15), "", True),
    ]
    assert merge_busy(found, utc(2026, 6, 1), utc(2026, 6, 8)) == [
        (utc(2026, 6, 1, 8), utc(2026, 6, 1, 9), "BUSY"),
        (utc(2026, 6, 5, 15), utc(2026, 6, 5, 16), "BUSY"),
    ]


def test_the_resource_s_own_vtimezone_is_used() -> None:
    data = cal(
        "BEGIN:VTIMEZONE",
        "TZID:W. Europe Standard Time",
        "BEGIN:STANDARD",
        "DTSTART:16010101T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "UID:outlook",
        "DTSTART;TZID=W. Europe Standard Time:20261023T100000",
        "DTEND;TZID=W. Europe Standard Time:20261023T110000",
        "RRULE:FREQ=WEEKLY",
        "END:VEVENT",
    )
    found = expand(data, utc(2026, 10, 20), utc(2026, 11, 3))
    assert [i.starts_at for i in found] == [utc(2026, 10, 23, 8), utc(2026, 10, 30, 9)]


def test_busy_periods_merge_and_keep_their_kind_without_any_summary() -> None:
    data = cal(
        "BEGIN:VEVENT",
        "UID:a",
        "DTSTART:20260901T090000Z",
        "DTEND:20260901T100000Z",
        "SUMMARY:Secret",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:b",
        "DTSTART:20260901T093000Z",
        "DTEND:20260901T110000Z",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:c",
        "DTSTART:20260901T120000Z",
        "DTEND:20260901T130000Z",
        "STATUS:TENTATIVE",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:d",
        "DTSTART:20260901T140000Z",
        "DTEND:20260901T150000Z",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    )
    found = expand(data, utc(2026, 9, 1), utc(2026, 9, 2))
    assert merge_busy(found, utc(2026, 9, 1, 9, 45), utc(2026, 9, 2)) == [
        (utc(2026, 9, 1, 9, 45), utc(2026, 9, 1, 11), "BUSY"),
        (utc(2026, 9, 1, 12), utc(2026, 9, 1, 13), "BUSY-TENTATIVE"),
    ]
    assert is_free(found, utc(2026, 9, 1, 14), utc(2026, 9, 1, 15))
    assert not is_free(found, utc(2026, 9, 1, 12, 30), utc(2026, 9, 1, 14))


def test_instances_are_capped_and_bad_bytes_are_refused() -> None:
    data = cal("BEGIN:VEVENT", "UID:m", "DTSTART:20260101T000000Z", "RRULE:FREQ=HOURLY", "END:VEVENT")
    assert len(expand(data, utc(2026, 1, 1), utc(2026, 2, 1), limit=10)) == 10
    with pytest.raises(InvalidInput):
        expand(b"this is no calendar", utc(2026, 1, 1), utc(2026, 2, 1))
    with pytest.raises(InvalidInput, match="INTERVAL"):
        expand(
            cal(
                "BEGIN:VEVENT",
                "UID:y",
                "DTSTART:20260101T000000Z",
                "RRULE:FREQ=DAILY;INTERVAL=0",
                "END:VEVENT",
            ),
            utc(2026, 1, 1),
            utc(2026, 2, 1),
        )
    with pytest.raises(InvalidInput, match="RRULE"):
        expand(
            cal("BEGIN:VEVENT", "UID:x", "DTSTART:20260101T000000Z", "RRULE:FREQ=NEVER", "END:VEVENT"),
            utc(2026, 1, 1),
            utc(2026, 2, 1),
        )
