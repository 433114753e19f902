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

from webmail.calendar.event_ical import EventDataError, alarm_times
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
    start first, at most :data:`MAX_SHOWN`. ``data_of`` maps (folder id, item name) to its bytes."""
    found = []
    for occurrence in occurrences:
        data = data_of.get((occurrence.folder_id, occurrence.name))
        if data is None or occurrence.ends_at <= now:
            continue
        try:
            times = alarm_times(data, occurrence.recurrence_id, occurrence.starts_at, occurrence.ends_at)
        except (EventDataError, ValueError, KeyError):
            continue  # an item the views show but whose alarms cannot be read rings nothing
        rung = [t for t in times if t <= now]
        if rung:
            found.append(Reminder(occurrence, rung[0]))
    found.sort(key=lambda r: (r.occurrence.starts_at, r.occurrence.summary.casefold()))
    return found[:MAX_SHOWN]
