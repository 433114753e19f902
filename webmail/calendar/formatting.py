"""Date and time formatting for the calendar templates, in the user's language (Babel) and time zone, and
an occurrence's id in a URL (its start in UTC, 20261209T083000Z) both ways."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort
from flask_babel import format_date, format_time

_OCCURRENCE = re.compile(r"^\d{8}T\d{6}Z$")

#: A Monday to Sunday, for weekday names in the user's language.
WEEK = tuple(date(2024, 1, 1) + timedelta(days=n) for n in range(7))


def helpers() -> dict[str, Any]:
    """What the calendar templates call: ``clock`` (a time), ``day_label`` (a date in a CLDR pattern),
    ``occurrence_text`` (an occurrence's id for a URL) and ``weekday_dates``."""
    return {
        "clock": lambda value: format_time(value, "short"),
        "day_label": lambda value, pattern="EEE d MMM": format_date(value, pattern),
        "occurrence_text": occurrence_text,
        "weekday_dates": WEEK,
    }


def occurrence_text(value: datetime | None) -> str:
    """An occurrence's start as the pages pass it in a URL ("" for a single event)."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") if value is not None else ""


def parse_occurrence(text: str | None) -> datetime | None:
    """The ``occurrence`` value back as a UTC datetime; a malformed one is a 400."""
    if not text:
        return None
    if not _OCCURRENCE.match(text):
        abort(400)
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        abort(400)
