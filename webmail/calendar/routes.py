"""The calendar's routes, registered on the Standard (``/mail``) and Mobile (``/m``) blueprints alike by
:func:`add_calendar_routes`; templates are ``<interface>/calendar*.html``.

* ``GET /calendar`` -- a view: ``view`` (day, week, month, agenda; Standard opens on the week, Mobile
  on the agenda) around ``date`` (YYYY-MM-DD, default today in the user's time zone), with the
  reminders that are due and the list of calendars to show or hide.
* ``GET/POST /calendar/calendars`` -- the calendars with the user's rights in each; ``action`` =
  ``show`` (the ``shown`` ids) or ``create`` (``name``).
* ``GET /calendar/reminders`` -- the due reminders alone (what reminders.js fetches every minute).
* the event pages of :mod:`webmail.calendar.event_pages`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from storage.pim import Occurrence
from webmail.binding import user_mail
from webmail.calendar import calendars as calendar_list
from webmail.calendar import event_ical, event_pages, grid, reminders
from webmail.calendar.formatting import helpers
from webmail.calendar.grid import CalendarShown
from webmail.errors import error_page
from webmail.i18n import select_timezone

MAX_REMINDER_ITEMS = 200  # items read for their alarms per page
#: A view within this span of the reminders' days is read together with them, in one organizer call.
SHARED_READ = timedelta(days=45)


def add_calendar_routes(bp: Blueprint) -> None:
    """Register the calendar routes on ``bp`` (its name is the interface: "standard" or "mobile")."""
    interface = bp.name

    @bp.errorhandler(event_ical.EventDataError)
    def not_an_event(_exc: event_ical.EventDataError) -> Any:
        return error_page(
            400, _("Not an event"), _("This calendar item is not an event the calendar can show.")
        )

    @bp.route("/calendar")
    def calendar() -> Any:
        zone_name = select_timezone()
        zone = ZoneInfo(zone_name)
        now = datetime.now(UTC)
        today = now.astimezone(zone).date()
        view = request.args.get("view", "")
        if view not in grid.VIEWS:
            view = "agenda" if interface == "mobile" else "week"
        anchor = grid.parse_anchor(request.args.get("date"), today)
        known = calendar_list.calendars()
        shown_ids = [c.folder_id for c in known.values() if c.shown]
        start, end = grid.query_range(view, anchor, zone)
        soon = (now - timedelta(minutes=1), now + reminders.LOOKAHEAD)
        together = max(end, soon[1]) - min(start, soon[0]) <= SHARED_READ
        if not shown_ids:
            found = []
        elif together:  # the view is around today: one read answers the view and the reminders
            found = user_mail().organizer.occurrences(shown_ids, min(start, soon[0]), max(end, soon[1]))
        else:
            found = user_mail().organizer.occurrences(shown_ids, start, end)
        upcoming = [o for o in found if o.starts_at < soon[1] and o.ends_at > now] if together else None
        page = grid.layout(
            view,
            anchor,
            [o for o in found if start <= o.starts_at < end or o.starts_at < end and o.ends_at > start],
            known,
            zone,
            today,
        )
        return render_template(
            f"{interface}/calendar.html",
            interface=interface,
            grid=page,
            calendars=list(known.values()),
            can_add=any(c.can_add for c in known.values()),
            reminders=_due(known, now, upcoming),
            zone=zone_name,
            today=today,
            **helpers(),
        )

    @bp.route("/calendar/calendars", methods=["GET", "POST"])
    def calendar_calendars() -> Any:
        known = calendar_list.calendars()
        error = ""
        if request.method == "POST":
            action = request.form.get("action", "")
            if action == "show":
                wanted = [
                    int(v)
                    for v in request.form.getlist("shown")
                    if v.isascii() and v.isdigit() and len(v) < 19
                ]
                calendar_list.set_shown(wanted, known)
                flash(_("The calendars to show were saved."), "message")
                return redirect(_safe_back(interface))
            if action == "create":
                made, error = calendar_list.create_calendar(request.form.get("name", ""))
                if made is not None:
                    flash(_("The calendar %(name)s was created.", name=made.display_name), "message")
                    return redirect(url_for(f"{interface}.calendar_calendars"))
            else:
                error = _("Unknown action.")
        status = 400 if error else 200
        page = render_template(
            f"{interface}/calendar_calendars.html",
            interface=interface,
            calendars=list(known.values()),
            error=error,
            name=request.form.get("name", "") if error else "",
        )
        return page, status

    @bp.route("/calendar/reminders")
    def calendar_reminders() -> Any:
        due = _due(calendar_list.calendars(), datetime.now(UTC))
        return render_template(
            f"{interface}/calendar_reminders.html", interface=interface, reminders=due, **helpers()
        )

    @bp.route("/calendar/new", methods=["GET", "POST"])
    def calendar_event_new() -> Any:
        return event_pages.new_event_page(interface)

    @bp.route("/calendar/<int:folder_id>/<item>", methods=["GET", "POST"])
    def calendar_event(folder_id: int, item: str) -> Any:
        return event_pages.event_page(interface, folder_id, item)

    @bp.route("/calendar/<int:folder_id>/<item>/delete", methods=["POST"])
    def calendar_event_delete(folder_id: int, item: str) -> Any:
        return event_pages.delete_event(interface, folder_id, item)


def _due(
    known: dict[int, CalendarShown], now: datetime, upcoming: list[Occurrence] | None = None
) -> list[reminders.Reminder]:
    """The reminders due now in the shown calendars (their items read for the VALARMs); ``upcoming``:
    the occurrences of the next :data:`reminders.LOOKAHEAD` when the caller has read them already."""
    return due_in([c.folder_id for c in known.values() if c.shown], now, upcoming)


def due_in(
    ids: list[int], now: datetime, upcoming: list[Occurrence] | None = None
) -> list[reminders.Reminder]:
    """The reminders due now in the calendars ``ids`` (readable by the user): the Standard page's list,
    also what the Ajax calendar shows (webmail/ajax/calendar_reminders.py) for the calendars it shows."""
    if not ids:
        return []
    organizer = user_mail().organizer
    if upcoming is None:
        upcoming = organizer.occurrences(ids, now - timedelta(minutes=1), now + reminders.LOOKAHEAD)
    upcoming = [o for o in upcoming if o.ends_at > now][:MAX_REMINDER_ITEMS]
    data: dict[tuple[int, str], bytes] = {}
    for folder_id in {o.folder_id for o in upcoming}:
        names = sorted({o.name for o in upcoming if o.folder_id == folder_id})
        for item in organizer.get_many(folder_id, names):
            data[(folder_id, item.name)] = item.data
    return reminders.due(upcoming, data, now)


def _safe_back(interface: str) -> str:
    """Back to the calendar view the form was on (only a path of this interface's calendar)."""
    back = request.form.get("back", "")
    prefix = url_for(f"{interface}.calendar")
    if back.startswith(prefix) and not back.startswith("//") and "\\" not in back:
        return back
    return prefix
