"""State strings of Calendar and CalendarEvent (RFC 8620 5.2), built on the folders' sync tokens.

Why these shapes: a calendar is a PIM folder with a UIDVALIDITY and a HIGHESTMODSEQ, and the organizer
answers "what changed in this folder since <UIDVALIDITY>-<MODSEQ>" exactly (storage.pim.organizer.sync,
what CalDAV's sync-collection uses). So a CalendarEvent state is the list of the readable calendars'
``(id, UIDVALIDITY, HIGHESTMODSEQ)``, and /changes asks each calendar for its changes since its point. A
Calendar state is, per visible calendar, its id and a short hash of what a client shows (name, colour,
rights), as the Mailbox state does.

Limits: a calendar readable in the old state but not now (deleted, or its right withdrawn), or made
again under the same name (a new UIDVALIDITY), cannot list the events that went with it: /changes then
answers ``cannotCalculateChanges`` and the client reloads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from storage.pim.models import Collection
from storage.usermail import UserMail
from webmail.jmap.ids import b36 as _b36

CALENDAR_PREFIX = "k"
EVENT_PREFIX = "i"  # "s" before item ids were storage keys (revision 0015): such states are refused


@dataclass(frozen=True)
class FolderPoint:
    uidvalidity: int
    modseq: int


def event_points(calendars: list[Collection]) -> dict[int, FolderPoint]:
    out = {}
    for c in calendars:
        if "r" in c.rights:
            validity, _, modseq = c.ctag.partition("-")
            out[c.folder_id] = FolderPoint(int(validity), int(modseq))
    return out


def event_state(calendars: list[Collection]) -> str:
    points = event_points(calendars)
    body = ",".join(f"{_b36(f)}.{_b36(p.uidvalidity)}.{_b36(p.modseq)}" for f, p in sorted(points.items()))
    return EVENT_PREFIX + body


def parse_event_state(state: object) -> dict[int, FolderPoint] | None:
    if not isinstance(state, str) or not state.startswith(EVENT_PREFIX) or len(state) > 100_000:
        return None
    out: dict[int, FolderPoint] = {}
    body = state[len(EVENT_PREFIX) :]
    try:
        for item in body.split(",") if body else []:
            folder, validity, modseq = (int(x, 36) for x in item.split("."))
            out[folder] = FolderPoint(validity, modseq)
    except ValueError:
        return None
    return out


def calendar_points(calendars: list[Collection]) -> dict[int, str]:
    return {
        c.folder_id: hashlib.blake2s(
            repr((c.display_name, c.color, str(c.rights), c.owner)).encode(), digest_size=4
        ).hexdigest()
        for c in calendars
    }


def calendar_state(calendars: list[Collection]) -> str:
    points = calendar_points(calendars)
    return CALENDAR_PREFIX + ",".join(f"{_b36(f)}.{h}" for f, h in sorted(points.items()))


def parse_calendar_state(state: object) -> dict[int, str] | None:
    if not isinstance(state, str) or not state.startswith(CALENDAR_PREFIX) or len(state) > 100_000:
        return None
    out: dict[int, str] = {}
    body = state[len(CALENDAR_PREFIX) :]
    try:
        for item in body.split(",") if body else []:
            folder, digest = item.split(".")
            if len(digest) != 8:
                return None
            out[int(folder, 36)] = digest
    except ValueError:
        return None
    return out


def calendars_of(user: UserMail) -> list[Collection]:
    """The calendars the account sees (one index read)."""
    return user.organizer.collections("calendar")


def current_states(user: UserMail) -> dict[str, str]:
    """The account's Calendar and CalendarEvent states now: for push (webmail/jmap/push.py)."""
    calendars = calendars_of(user)
    return {"Calendar": calendar_state(calendars), "CalendarEvent": event_state(calendars)}
