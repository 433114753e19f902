"""Date parts for the date and currentdate tests (RFC 5260 4.2) and reading Date header fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from filters.sieve.dates import DATE_PARTS, date_part, parse_header_date

# Mon, 20 Jul 2009 21:44:43 in a -0800 zone: 2009-07-21 05:44:43 UTC
WHEN = datetime(2009, 7, 20, 21, 44, 43, tzinfo=timezone(timedelta(hours=-8)))

PARTS = {
    "year": "2009",
    "month": "07",
    "day": "20",
    "date": "2009-07-20",
    "julian": "55032",  # Modified Julian Day: days since 1858-11-17
    "hour": "21",
    "minute": "44",
    "second": "43",
    "time": "21:44:43",
    "iso8601": "2009-07-20T21:44:43-08:00",
    "std11": "Mon, 20 Jul 2009 21:44:43 -0800",
    "zone": "-0800",
    "weekday": "1",  # 0 is Sunday
}


def test_table_covers_every_part() -> None:
    assert set(PARTS) == set(DATE_PARTS)


@pytest.mark.parametrize(("part", "expected"), PARTS.items())
def test_parts_in_the_dates_own_zone(part: str, expected: str) -> None:
    assert date_part(WHEN, part) == expected
    assert date_part(WHEN, part, original_zone=True) == expected
    assert date_part(WHEN, part, zone="+0100", original_zone=True) == expected
    assert date_part(WHEN, part.upper()) == expected


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("date", "2009-07-21"),  # the zone moves the date, and with it julian and weekday
        ("julian", "55033"),
        ("weekday", "2"),
        ("hour", "06"),
        ("time", "06:44:43"),
        ("zone", "+0100"),
        ("iso8601", "2009-07-21T06:44:43+01:00"),
        ("std11", "Tue, 21 Jul 2009 06:44:43 +0100"),
    ],
)
def test_parts_in_a_given_zone(part: str, expected: str) -> None:
    assert date_part(WHEN, part, zone="+0100") == expected


def test_zone_formats() -> None:
    assert date_part(WHEN, "zone", zone="+0000") == "+0000"  # Zulu has a positive sign
    assert date_part(WHEN, "zone", zone="-0000") == "+0000"
    assert date_part(WHEN, "iso8601", zone="+0000") == "2009-07-21T05:44:43+00:00"
    assert date_part(WHEN, "zone", zone="-0330") == "-0330"
    assert date_part(WHEN, "time", zone="-0330") == "02:14:43"
    assert date_part(datetime(2009, 7, 20, 12), "zone") == "+0000"  # naive is UTC


def test_julian_epoch_and_early_years() -> None:
    assert date_part(datetime(1858, 11, 17, tzinfo=UTC), "julian") == "0"
    assert date_part(datetime(1858, 11, 16, 23, 59, tzinfo=UTC), "julian") == "-1"
    assert date_part(datetime(2000, 1, 1, tzinfo=UTC), "julian") == "51544"
    assert date_part(datetime(99, 1, 1, tzinfo=UTC), "year") == "0099"
    assert date_part(datetime(2009, 7, 19, tzinfo=UTC), "weekday") == "0"  # a Sunday


@pytest.mark.parametrize(
    ("kwargs"), [{"zone": "CEST"}, {"zone": "+01"}, {"zone": "+2400"}, {"zone": "+0160"}]
)
def test_invalid_zone(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        date_part(WHEN, "hour", **kwargs)  # type: ignore[arg-type]


def test_unknown_part() -> None:
    with pytest.raises(ValueError):
        date_part(WHEN, "fortnight")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 20 Jul 2009 21:44:43 -0800", WHEN),
        ("20 Jul 2009 21:44:43 -0800", WHEN),  # no day of week
        ("Mon, 20 Jul 2009 21:44:43 -0800 (PST)", WHEN),  # trailing comment
        ("  Mon,  20 Jul 2009  21:44:43  -0800 ", WHEN),
        ("Mon, 20 Jul 09 21:44:43 -0800", WHEN),  # obsolete two-digit year
        ("Mon, 20 Jul 2009 21:44 -0800", WHEN.replace(second=0)),
        ("Tue, 21 Jul 2009 05:44:43 GMT", WHEN),
        ("Tue, 21 Jul 2009 05:44:43 -0000", WHEN),  # unknown local time: UTC
        ("Tue, 21 Jul 2009 05:44:43", WHEN),
        ("2009-07-20T21:44:43-08:00", WHEN),
        ("Tue, 21 Jul 2009 05:44:60 +0000", WHEN + timedelta(seconds=16)),  # leap second: :59
    ],
)
def test_parse_header_date(value: str, expected: datetime) -> None:
    parsed = parse_header_date(value)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed == expected


def test_parse_keeps_the_original_zone() -> None:
    parsed = parse_header_date("Mon, 20 Jul 2009 21:44:43 +0200")
    assert parsed is not None
    assert date_part(parsed, "zone", original_zone=True) == "+0200"
    assert date_part(parsed, "hour", zone="+0000") == "19"


@pytest.mark.parametrize(
    "value", ["", "yesterday", "Mon, 32 Jul 2009 21:44:43 +0000", "Mon, 20 Foo 2009 21:44:43 +0000", "20 Jul"]
)
def test_unparsable_dates(value: str) -> None:
    assert parse_header_date(value) is None


@given(st.text(max_size=60))
def test_parse_never_raises(value: str) -> None:
    parsed = parse_header_date(value)
    if parsed is not None:
        for part in DATE_PARTS:
            assert date_part(parsed, part)
