"""Notes and journal entries as the forms show them, and as the VJOURNAL (RFC 5545 3.6.3) the organizer
stores -- notes in folders of kind "notes", journal entries in folders of kind "journal".

The two differ only in the date: a journal entry is about a day (DTSTART;VALUE=DATE, which the journal
list is ordered by); a note has none (a note's DTSTART, if a client wrote one, is left alone). Editing
writes over the previous bytes, so what the form does not show (attachments, a client's X- lines)
survives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import icalendar
from flask_babel import lazy_gettext as _l

from storage.errors import InvalidInput
from webmail import item_fields as f
from webmail.task_ical import PRODID, new_uid

MANAGED = ("SUMMARY", "DESCRIPTION", "CATEGORIES", "DTSTAMP", "LAST-MODIFIED")


@dataclass(frozen=True)
class EntryFields:
    summary: str = ""
    description: str = ""
    categories: tuple[str, ...] = ()
    day: date | None = None  # journal entries only
    modified: datetime | None = None


def read_form(form: Mapping[str, str], *, dated: bool) -> tuple[EntryFields, f.FieldErrors]:
    """The entry the form describes; ``dated`` for the journal (the date is then required)."""
    errors = f.FieldErrors()
    entry = EntryFields(
        summary=f.line(form.get("summary"), "summary", errors, required=True),
        description=f.text_block(form.get("description"), "description", errors),
        categories=f.categories(form.get("categories"), "categories", errors),
        day=f.day(form.get("day"), "day", errors) if dated else None,
    )
    if dated and entry.day is None and "day" not in errors.by_field:
        errors.add("day", str(_l("A journal entry needs a date.")))
    return entry, errors


def _parse(data: bytes) -> tuple[icalendar.Calendar, icalendar.cal.Component]:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise InvalidInput(f"the stored entry cannot be read: {exc}") from None
    journals = list(calendar.walk("VJOURNAL"))
    if not journals:
        raise InvalidInput("the stored item holds no note or journal entry (VJOURNAL)")
    return calendar, journals[0]


def to_ical(entry: EntryFields, *, previous: bytes | None = None, uid: str | None = None) -> bytes:
    """The VCALENDAR holding ``entry`` (over ``previous`` when editing; a new one gets ``uid``, or a new
    UID when None)."""
    now = datetime.now(UTC).replace(microsecond=0)
    if previous is not None:
        calendar, journal = _parse(previous)
        for name in MANAGED:
            journal.pop(name, None)
        if entry.day is not None:
            journal.pop("DTSTART", None)
    else:
        calendar = icalendar.Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        journal = icalendar.Journal()
        journal.add("uid", uid or new_uid())
        journal.add("created", now)
        calendar.add_component(journal)
    journal.add("dtstamp", now)
    journal.add("last-modified", now)
    journal.add("summary", entry.summary)
    if entry.day is not None:
        journal.add("dtstart", entry.day)
    if entry.description:
        journal.add("description", entry.description)
    if entry.categories:
        journal.add("categories", list(entry.categories))
    return bytes(calendar.to_ical())


def from_ical(data: bytes) -> EntryFields:
    """The form's view of a stored note or journal entry.

    Raises:
        InvalidInput: the bytes are not a VCALENDAR with a VJOURNAL."""
    _calendar, journal = _parse(data)
    cats: list[str] = []
    raw = journal.get("categories")
    for entry in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        cats += [str(c) for c in entry.cats]
    start = journal.get("dtstart")
    day = start.dt if start is not None else None
    if isinstance(day, datetime):
        day = day.date()
    modified = journal.get("last-modified") or journal.get("dtstamp")
    when = modified.dt if modified is not None else None
    return EntryFields(
        summary=str(journal.get("summary", "")),
        description=str(journal.get("description", "")),
        categories=tuple(cats),
        day=day if isinstance(day, date) else None,
        modified=when if isinstance(when, datetime) else None,
    )
