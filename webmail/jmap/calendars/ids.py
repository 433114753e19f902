"""Ids of Calendars, CalendarEvents and their expanded instances (RFC 8620 1.2: ``A-Za-z0-9_-``).

Why these shapes: a calendar is a PIM folder, whose id storage never reuses (``c<folder>``). An event
is one item of the folder, named by its resource name (what CalDAV clients put), which stays while the
item is replaced, so the id is the folder and the name in unpadded base64url (``v<folder>_<name>``):
no lookup table, and immutable. A name too long for the 255-character limit gets
``h<folder>_<hash>`` instead, found by hashing the folder's names. An instance of a recurring event
(CalendarEvent/query with ``expandRecurrences``) is its recurrence id in UTC before the event's id
(``o20261207T090000v12_...``), so a /get of it needs no state on the server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

_CALENDAR = re.compile(r"c([1-9][0-9]{0,17})")
_EVENT = re.compile(r"([vh])([1-9][0-9]{0,17})_([A-Za-z0-9_-]{1,236})")
_INSTANCE = re.compile(r"o([0-9]{8}T[0-9]{6})([vh].*)")
MAX_ENCODED = 236  # 255 less the instance prefix (17) and the folder part


def calendar_id(folder_id: int) -> str:
    return f"c{folder_id}"


def parse_calendar_id(value: object) -> int | None:
    if not isinstance(value, str) or not (m := _CALENDAR.fullmatch(value)):
        return None
    return int(m.group(1))


def name_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:40]


def event_id(folder_id: int, name: str) -> str:
    encoded = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
    if len(encoded) + len(str(folder_id)) <= MAX_ENCODED - 2:
        return f"v{folder_id}_{encoded}"
    return f"h{folder_id}_{name_hash(name)}"


@dataclass(frozen=True)
class EventRef:
    """What an event id names: the folder, and the item's name (or, for a long name, its hash)."""

    folder_id: int
    name: str | None
    hashed: str | None = None
    recurrence_id: datetime | None = None  # an instance's (UTC), None for the event itself
    base_id: str = ""


def parse_event_id(value: object) -> EventRef | None:
    """The folder and item an event or instance id names, or None when it is not one of ours."""
    if not isinstance(value, str):
        return None
    rid = None
    if (instance := _INSTANCE.fullmatch(value)) is not None:
        try:
            rid = datetime.strptime(instance.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            return None
        value = instance.group(2)
    if not (m := _EVENT.fullmatch(value)):
        return None
    folder_id = int(m.group(2))
    if m.group(1) == "h":
        return EventRef(folder_id, None, m.group(3), rid, value)
    try:
        name = base64.urlsafe_b64decode(m.group(3) + "=" * (-len(m.group(3)) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return EventRef(folder_id, name, None, rid, value)


def instance_id(base_id: str, recurrence_id: datetime) -> str:
    return f"o{recurrence_id.astimezone(UTC):%Y%m%dT%H%M%S}{base_id}"
