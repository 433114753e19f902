"""The in-page reminder list: the occurrences whose alarm time has come and that have not ended yet.

The organizer's index knows when events happen, not when their alarms ring, so the list asks it for the
occurrences from now to :data:`LOOKAHEAD` ahead (a reminder set further before the start than that is
shown from then on) and reads each one's VALARMs from its item. Mail reminders are sent by the server
side; this list is what the pages show, refreshed every minute by ``reminders.js`` when JavaScript runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from webmail.calendar.event_ical import Alarms, EventDataError, read_alarms
from webmail.calendar.grid import OccurrenceLike

LOOKAHEAD = timedelta(days=7)  # the longest reminder the form offers is a week before the start
MAX_SHOWN = 20


@dataclass(frozen=True)
class Reminder:
    occurrence: OccurrenceLike
    rings_at: datetime  # UTC: the earliest alarm that has gone off


def due(
    occurrences: Iterable[OccurrenceLike], data_of: Mapping[tuple[int, str], bytes], now: datetime
) -> list[Reminder]:
    """The reminders due at ``now``: an alarm at or before now, the occurrence not yet over; soonest
    start first, at most :data:`MAX_SHOWN`. ``data_of`` maps (folder id, item name) to its bytes; each
    item is read once however many of its occurrences are in the list."""
    found = []
    read: dict[tuple[int, str], Alarms | None] = {}
    for occurrence in occurrences:
        key = (occurrence.folder_id, occurrence.name)
        data = data_of.get(key)
        if data is None or occurrence.ends_at <= now:
            continue
        if key not in read:
            try:
                read[key] = read_alarms(data)
            except (EventDataError, ValueError, KeyError):
                read[key] = None  # an item the views show but whose alarms cannot be read rings nothing
        alarms = read[key]
        if alarms is None:
            continue
        rung = [
            t
            for t in alarms.times(occurrence.recurrence_id, occurrence.starts_at, occurrence.ends_at)
            if t <= now
        ]
        if rung:
            found.append(Reminder(occurrence, rung[0]))
    found.sort(key=lambda r: (r.occurrence.starts_at, r.occurrence.summary.casefold()))
    return found[:MAX_SHOWN]
