"""Mobile pages of the calendar (``/m/calendar...``): webmail/calendar/routes.py."""

from __future__ import annotations

from webmail.calendar.routes import add_calendar_routes
from webmail.mobile.blueprint import bp

add_calendar_routes(bp)
