"""Standard pages of the calendar (``/mail/calendar...``): webmail/calendar/routes.py."""

from __future__ import annotations

from webmail.calendar.routes import add_calendar_routes
from webmail.standard.blueprint import bp

add_calendar_routes(bp)
