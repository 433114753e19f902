"""What the /set methods of the organizer item types (CalendarEvent, Task, Note and JournalEntry) share:
the refusal of one object (:class:`Refused`, carrying its SetError), a PatchObject applied to the
object as /get shows it (:func:`apply_patch`), and the SetErrors of a bad property
(:func:`invalid_property`) or of participants the user may not write (:func:`check_participants`).

Why a module of its own: these began in CalendarEvent/set (event_set.py) and the Task and Note methods
came to import them from there, private names included; here each type's /set reads them as the public
pieces they are, and event_set.py keeps only what is an event's own.
"""

from __future__ import annotations

import copy
from typing import Any

from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import event_write as write
from webmail.jmap.calendars import scheduling
from webmail.jmap.calendars import values as v
from webmail.jmap.registry import Args, Call


class Refused(std.SetRefused):
    """One object of a /set refused: ``error`` is its SetError (RFC 8620 5.3)."""

    def __init__(self, error: Args) -> None:
        super().__init__(error.get("type"))
        self.error = error


def invalid_property(exc: v.Invalid) -> Refused:
    """invalidProperties naming the property a value check refused (RFC 8620 5.3)."""
    return Refused(std.set_error("invalidProperties", exc.message, properties=[exc.prop]))


def apply_patch(body: dict[str, Any], patch: Args) -> dict[str, Any]:
    """``body`` with a PatchObject applied (RFC 8620 5.3: JSON-pointer keys, null removes or, at the
    top, restores the default).

    Raises:
        Refused: invalidPatch for a path that does not lead into an object.
    """
    out = copy.deepcopy(body)
    blank = write.defaults()
    for path, value in patch.items():
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")]
        if not parts[0]:
            raise Refused(std.set_error("invalidPatch", f"bad path {path!r}"))
        target: Any = out
        for part in parts[:-1]:
            target = target.get(part) if isinstance(target, dict) else None
            if not isinstance(target, dict):
                raise Refused(std.set_error("invalidPatch", f"{path!r} does not lead into an object"))
        last = parts[-1]
        if value is None and len(parts) > 1:
            target.pop(last, None)
        elif value is None:
            target[last] = blank.get(last)
        else:
            target[last] = copy.deepcopy(value)
    return out


def check_participants(call: Call, item: dict[str, Any], before: dict[str, Any] | None) -> None:
    """scheduling.check_participants (only the organizer changes ``participants``; the user becomes the
    organizer of a new list without one) with its refusals as SetErrors; ``before`` is the stored item
    (None: a new one).

    Raises:
        Refused: invalidProperties for a participant list the user may not write, forbidden for an
            attendee of someone else's meeting.
    """
    try:
        scheduling.check_participants(call, item, before)
    except v.Invalid as exc:
        raise invalid_property(exc) from None
    except PermissionError as exc:
        raise Refused(std.set_error("forbidden", str(exc))) from None
