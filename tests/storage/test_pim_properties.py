"""Property tests of the organizer's pure parts: the expansion that starts a rule near the asked range
gives exactly what walking the rule from its start gives, and the import splitter takes any bytes
without failing other than with InvalidInput."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.errors import InvalidInput
from storage.pim.recurrence import expand
from storage.pim.transfer import split_import

BERLIN = ZoneInfo("Europe/Berlin")
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@settings(max_examples=60, deadline=None)
@given(
    freq=st.sampled_from(["DAILY", "WEEKLY"]),
    interval=st.integers(1, 3),
    days=st.lists(st.sampled_from(DAYS), max_size=3, unique=True),
    start_day=st.integers(0, 400),
    hour=st.integers(0, 23),
    offset_days=st.integers(0, 3000),
    span_days=st.integers(1, 20),
    until_days=st.one_of(st.none(), st.integers(1, 4000)),
)
def test_started_near_the_range_equals_walked_from_dtstart(
    freq: str,
    interval: int,
    days: list[str],
    start_day: int,
    hour: int,
    offset_days: int,
    span_days: int,
    until_days: int | None,
) -> None:
    dtstart = datetime(2020, 1, 1, hour, 30, tzinfo=BERLIN) + timedelta(days=start_day)
    rule = f"FREQ={freq};INTERVAL={interval}"
    if days:
        rule += ";BYDAY=" + ",".join(days)
    until = None
    if until_days is not None:
        until = (dtstart + timedelta(days=until_days)).astimezone(UTC)
        rule += f";UNTIL={until:%Y%m%dT%H%M%SZ}"
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:p\r\n"
        f"DTSTART;TZID=Europe/Berlin:{dtstart:%Y%m%dT%H%M%S}\r\nDURATION:PT45M\r\nRRULE:{rule}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    start = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=offset_days)
    end = start + timedelta(days=span_days)
    got = [i.starts_at for i in expand(data, start, end)]

    walked = du.rrulestr(rule.split(";UNTIL")[0], dtstart=dtstart)
    if until is not None:
        walked = walked.replace(until=until)
    want = {dtstart} | set(walked.between(start - timedelta(minutes=45), end, inc=True))
    expected = sorted(
        t.astimezone(UTC)
        for t in want
        if t.astimezone(UTC) < end and t.astimezone(UTC) + timedelta(minutes=45) > start
    )
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "BEGIN:VCALENDAR",
                "END:VCALENDAR",
                "BEGIN:VEVENT",
                "END:VEVENT",
                "BEGIN:VALARM",
                "END:VALARM",
                "BEGIN:VCARD",
                "END:VCARD",
                "UID:x",
                "DTSTART:20260101T100000Z",
                "DTSTART;TZID=Nowhere:20260101T100000",
                "RRULE:FREQ=WEEKLY;COUNT=x",
                "FN:Ann",
                " folded",
                "VERSION:3.0",
                "garbage",
            ]
        ),
        max_size=30,
    )
    | st.binary(max_size=200).map(lambda b: [b.decode("latin-1")])
)
def test_the_import_splitter_takes_any_input(lines: list[str]) -> None:
    try:
        split = split_import("\r\n".join(lines).encode("latin-1"))
    except InvalidInput:
        return
    for position, reason in split.failed:
        assert position >= 1 and reason
    for resource in split.resources:
        assert resource.position >= 1 and resource.uid and resource.data.endswith(b"\r\n")
