"""``GET /ajax/calendar/freebusy?who=a@x,b@y&date=YYYY-MM-DD&days=1|7``: the Ajax calendar's free/busy
grid (skins/base/static/ajax/calendar_freebusy.js) as JSON.

Why over the Standard page's service: ``webmail.meeting_routes.free_busy_row`` is what the Standard grid
draws, so both interfaces answer with the same rights (the owner granted "read free/busy", or the user
reads one of their calendars), the same refusal texts and the same address limit; this route decides no
right of its own. It asks for every hour of the day rather than the Standard grid's 07-20, so the
proposed time of an evening meeting is on the grid too; the cells are computed on the account's clock
(setting ``user.timezone``), as the Standard page computes them.

Working hours are not a setting yet: ``WORK_HOURS`` on ``WORK_DAYS`` is what the grid highlights.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import jsonify, request

from webmail.ajax.blueprint import bp
from webmail.meeting_routes import MAX_FREEBUSY_ADDRESSES, free_busy_row, user_zone

#: Every hour of the day (the Standard page shows GRID_HOURS only).
DAY_HOURS = range(0, 24)
#: The hours the grid highlights as working hours, [first, last) on the account's clock, and the ISO
#: weekdays they hold on (Monday 1 to Friday 5).
WORK_HOURS = (9, 17)
WORK_DAYS = (1, 2, 3, 4, 5)


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
    rows = [free_busy_row(a, day, days, zone, DAY_HOURS) for a in addresses[:MAX_FREEBUSY_ADDRESSES]]
    return jsonify(
        {
            "first": day.isoformat(),
            "days": days,
            "zone": str(zone),
            "hours": list(DAY_HOURS),
            "workHours": list(WORK_HOURS),
            "workDays": list(WORK_DAYS),
            "tooMany": len(addresses) > MAX_FREEBUSY_ADDRESSES,
            "rows": [
                {
                    "address": r.address,
                    "refusal": str(r.refusal),
                    # per day, per hour: "" free, else the strongest busy kind (busy, busy-tentative,
                    # busy-unavailable), as the Standard grid's cells
                    "cells": [[d.isoformat(), [k.lower() for k in kinds]] for d, kinds in r.cells],
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
