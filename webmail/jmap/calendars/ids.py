"""Ids of Calendars, CalendarEvents and their expanded instances (RFC 8620 1.2: ``A-Za-z0-9_-``), and of
the other organizer items (Task, Note, JournalEntry), which share the item id.

Why these shapes: a calendar is a PIM folder, whose id storage never reuses (``c<folder>``). An item is
named by storage's item key (storage.pim.models: unique, kept while the item is replaced or moved to
another folder, never given again), so an item id is ``v<key>``: immutable as RFC 8620 wants, also when
the event moves to another calendar or a task to another list. It does not say which folder holds the
item: :func:`webmail.jmap.calendars.events.refs_of` asks storage (one index read for all the ids of a
request, within the user's rights). An instance of a recurring event (CalendarEvent/query with
``expandRecurrences``) is its recurrence id in UTC before the event's id (``o20261207T090000v12``), so a
/get of it needs no state on the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_CALENDAR = re.compile(r"c([1-9][0-9]{0,17})")
_ITEM = re.compile(r"v([1-9][0-9]{0,17})")
_INSTANCE = re.compile(r"o([0-9]{8}T[0-9]{6})(v.*)")


def calendar_id(folder_id: int) -> str:
    return f"c{folder_id}"


def parse_calendar_id(value: object) -> int | None:
    if not isinstance(value, str) or not (m := _CALENDAR.fullmatch(value)):
        return None
    return int(m.group(1))


def event_id(key: int) -> str:
    """The id of the organizer item whose storage key is ``key`` (an event, task, note...)."""
    return f"v{key}"


@dataclass(frozen=True)
class ItemId:
    """What an item or instance id says: the item's key, and an instance's recurrence id (UTC)."""

    key: int
    recurrence_id: datetime | None = None
    base_id: str = ""


@dataclass(frozen=True)
class EventRef:
    """An id found in storage: the folder and name of the item now, its key and the id's instance."""

    folder_id: int
    name: str
    key: int
    recurrence_id: datetime | None = None
    base_id: str = ""


def parse_event_id(value: object) -> ItemId | None:
    """The key (and instance) an item or instance id names, or None when it is not one of ours."""
    if not isinstance(value, str):
        return None
    rid = None
    if (instance := _INSTANCE.fullmatch(value)) is not None:
        try:
            rid = datetime.strptime(instance.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            return None
        value = instance.group(2)
    if not (m := _ITEM.fullmatch(value)):
        return None
    return ItemId(int(m.group(1)), rid, value)


def instance_id(base_id: str, recurrence_id: datetime) -> str:
    return f"o{recurrence_id.astimezone(UTC):%Y%m%dT%H%M%S}{base_id}"
