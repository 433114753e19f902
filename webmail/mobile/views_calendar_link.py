"""Mobile page of a calendar's read-only link: webmail/calendar_link.py."""

from __future__ import annotations

from webmail.calendar_link import add_calendar_link_routes
from webmail.mobile.blueprint import bp

add_calendar_link_routes(bp)
