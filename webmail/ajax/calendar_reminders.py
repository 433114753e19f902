"""``GET /ajax/calendar/reminders``: the Ajax calendar's list of due reminders, the Standard calendar's
own list (``webmail.calendar.routes.due_in``: alarms that have rung for occurrences not yet over) as JSON.
(The free/busy grid's route is webmail/ajax/calendar_freebusy.py.)

Why a WebMail route: JMAP for Calendars has no query for "alarms due now"; the Standard page's service
already reads the occurrences and their VALARMs through the user's facade, so both interfaces show the
same list. ``hidden`` (JMAP calendar ids, comma separated) leaves out the calendars the browser hides,
as the Standard list leaves out those hidden in its session. Each reminder: its event's title, place,
calendar id, all-day flag and start (a UTC instant the client shows on the account's clock).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import jsonify, request

from webmail.ajax.blueprint import bp
from webmail.calendar import calendars as calendar_list
from webmail.calendar.routes import due_in
from webmail.jmap.calendars.ids import calendar_id


@bp.get("/calendar/reminders")
def calendar_reminders() -> Any:
    hidden = {part for part in request.args.get("hidden", "").split(",") if part}
    ids = [folder_id for folder_id in calendar_list.calendars() if calendar_id(folder_id) not in hidden]
    found = due_in(ids, datetime.now(UTC))
    return jsonify(
        {
            "reminders": [
                {
                    "title": r.occurrence.summary,
                    "location": r.occurrence.location,
                    "calendarId": calendar_id(r.occurrence.folder_id),
                    "allDay": r.occurrence.all_day,
                    # a day for an all-day event (stored as its UTC midnight), else the instant
                    "start": r.occurrence.starts_at.astimezone(UTC).date().isoformat()
                    if r.occurrence.all_day
                    else r.occurrence.starts_at.astimezone(UTC).isoformat(),
                }
                for r in found
            ]
        }
    )
