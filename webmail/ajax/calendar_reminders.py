"""``GET /ajax/calendar/reminders``: the Ajax calendar's list of due reminders, the Standard calendar's
own list (``webmail.calendar.routes.due_in``: alarms that have rung for occurrences not yet over) as JSON;
``GET /ajax/calendar/freebusy?who=a@x,b@y&date=YYYY-MM-DD&days=1|7``: the Standard free/busy page's rows
(``webmail.meeting_routes.free_busy_row``: the same rights, refusals and address limit) as JSON.

Why a WebMail route: JMAP for Calendars has no query for "alarms due now"; the Standard page's service
already reads the occurrences and their VALARMs through the user's facade, so both interfaces show the
same list. ``hidden`` (JMAP calendar ids, comma separated) leaves out the calendars the browser hides,
as the Standard list leaves out those hidden in its session. Each reminder: its event's title, place,
calendar id, all-day flag and start (a UTC instant the client shows on the account's clock).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import jsonify, request

from webmail.ajax.blueprint import bp
from webmail.calendar import calendars as calendar_list
from webmail.calendar.routes import due_in
from webmail.jmap.calendars.ids import calendar_id
from webmail.meeting_routes import MAX_FREEBUSY_ADDRESSES, free_busy_row, user_zone


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


@bp.get("/calendar/freebusy")
def calendar_freebusy() -> Any:
    asked = request.args.get("who", "")
    addresses = list(
        dict.fromkeys(a.strip().lower() for a in asked.replace(";", ",").split(",") if a.strip())
    )
    zone = user_zone()
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        day = datetime.now(zone).date()
    days = 7 if request.args.get("days") == "7" else 1
    if days == 7:
        day -= timedelta(days=day.weekday())
    rows = [free_busy_row(a, day, days, zone) for a in addresses[:MAX_FREEBUSY_ADDRESSES]]
    return jsonify(
        {
            "first": day.isoformat(),
            "days": days,
            "tooMany": len(addresses) > MAX_FREEBUSY_ADDRESSES,
            "rows": [
                {
                    "address": r.address,
                    "refusal": str(r.refusal),
                    # on the account's clock, as the Standard list writes them
                    "busy": [
                        [b.strftime("%Y-%m-%d %H:%M"), e.strftime("%Y-%m-%d %H:%M"), k.lower()]
                        for b, e, k in r.periods
                    ],
                }
                for r in rows
            ],
        }
    )
