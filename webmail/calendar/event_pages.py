"""The event pages' request handling, shared by Standard (``/mail/calendar/...``) and Mobile
(``/m/calendar/...``): the new-event form, the edit form of a series or of one occurrence, and delete.

* ``GET/POST /calendar/new`` -- the form (``date``, ``hour`` and ``calendar`` in the query preset it);
  the POST names the calendar in ``folder``.
* ``GET/POST /calendar/<folder_id>/<item>`` -- ``occurrence`` (the occurrence's start, UTC, as
  20261209T083000Z) picks one occurrence of a series; the POST's ``scope`` says whether the change is
  for ``this`` occurrence (a RECURRENCE-ID override) or ``all`` of the series.
* ``POST /calendar/<folder_id>/<item>/delete`` -- ``scope`` ``this`` adds an EXDATE; else the event goes.

Bad fields show the form again with a message next to each (400). Everything goes through
``user_mail().organizer``: another user's calendar is a 404, a calendar the user may only read is a
403 on any write (storage decides both). A change saved elsewhere since the form was opened (its
hidden ``etag`` no longer matches) is not overwritten: the page says so and shows the current event.

Meetings: saving an event with attendees that the user organizes mails them the invitation (an updated
one after a change, also when one occurrence is deleted); deleting the whole event mails them the
cancellation first (mailflow.meetings.sending). The answers come back through local delivery.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from mailflow.meetings import itip, sending
from mailflow.meetings.sending import MeetingError
from mailflow.outbox import webmail_origin
from mailflow.submission import Origin
from storage.errors import PreconditionFailed
from storage.store import Store
from webmail.binding import current_store, current_user_account, user_mail
from webmail.calendar import event_ical
from webmail.calendar.calendars import calendars
from webmail.calendar.event_form import REMINDERS, EventDraft, blank_values, form_values, parse_event_form
from webmail.calendar.formatting import helpers, occurrence_text, parse_occurrence
from webmail.calendar.grid import parse_anchor
from webmail.calendar.recurrence import WEEKDAYS
from webmail.i18n import select_timezone
from webmail.settings_forms import time_zones


def new_event_page(interface: str) -> Any:
    known = calendars()
    writable = [c for c in known.values() if c.can_add]
    zone = select_timezone()
    if request.method == "POST":
        folder_id = _folder(request.form.get("folder"))
        draft, errors = parse_event_form(request.form, zone)
        if draft is not None and folder_id is not None:
            organizer = user_mail().organizer
            organizer.collection(folder_id)  # another user's calendar: NotFound -> 404
            data = event_ical.new_event(draft, current_user_account().address, datetime.now(UTC))
            made = organizer.put(folder_id, None, data)
            _after_save(draft, folder_id, made.name)
            flash(_("The event %(title)s was added.", title=draft.summary), "message")
            return redirect(_back(interface, draft.start_day))
        if folder_id is None:
            errors["folder"] = _("Choose a calendar.")
        values = _posted_values()
        return _form(interface, values, errors, writable, None, None, None), 400
    today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    day = parse_anchor(request.args.get("date"), today)
    hour_text = request.args.get("hour", "")
    values = blank_values(
        day,
        zone,
        int(hour_text) if hour_text.isascii() and hour_text.isdigit() and len(hour_text) < 3 else None,
    )
    wanted = _folder(request.args.get("calendar"))
    values["folder"] = str(wanted if wanted in {c.folder_id for c in writable} else _first_id(writable))
    return _form(interface, values, {}, writable, None, None, None)


def event_page(interface: str, folder_id: int, item: str) -> Any:
    organizer = user_mail().organizer
    collection = organizer.collection(folder_id)
    stored = organizer.get(folder_id, item)
    occurrence = parse_occurrence(request.values.get("occurrence"))
    zone = select_timezone()
    known = calendars()
    shown = known.get(folder_id)
    editable = shown.can_edit if shown is not None else "ite" in collection.rights
    writable = [c for c in known.values() if c.can_add and (c.folder_id == folder_id or c.can_edit)]
    if request.method == "POST":
        if not editable:
            abort(403)
        scope = request.form.get("scope", "all")
        draft, errors = parse_event_form(request.form, zone)
        if draft is not None:
            now = datetime.now(UTC)
            me = current_user_account().address
            if scope == "this" and occurrence is not None:
                data = event_ical.change_occurrence(stored.data, occurrence, draft, me, now)
            else:
                data = event_ical.change_series(stored.data, draft, me, now)
            try:
                organizer.put(folder_id, item, data, if_match=_etag(stored.etag))
            except PreconditionFailed:
                flash(_("Someone changed this event meanwhile: here it is as it is now."), "error")
                return redirect(request.url)
            _after_save(draft, folder_id, item)
            target = _folder(request.form.get("folder"))
            if scope != "this" and target is not None and target != folder_id:
                organizer.move(folder_id, item, target)  # rights as a mail MOVE: storage decides
            flash(_("The event %(title)s was saved.", title=draft.summary), "message")
            return redirect(_back(interface, draft.start_day))
        return _form(interface, _posted_values(), errors, writable, stored, occurrence, shown), 400
    draft = event_ical.read_draft(stored.data, occurrence, zone)
    values = form_values(draft) | {"folder": str(folder_id), "scope": "this" if occurrence else "all"}
    return _form(interface, values, {}, writable, stored, occurrence, shown, editable=editable)


def delete_event(interface: str, folder_id: int, item: str) -> Response:
    organizer = user_mail().organizer
    organizer.collection(folder_id)
    stored = organizer.get(folder_id, item)
    occurrence = parse_occurrence(request.form.get("occurrence"))
    draft = event_ical.read_draft(stored.data, occurrence, select_timezone())
    if (
        request.form.get("scope") == "this"
        and occurrence is not None
        and event_ical.is_recurring(stored.data)
    ):
        data = event_ical.exclude_occurrence(stored.data, occurrence, datetime.now(UTC))
        try:
            organizer.put(folder_id, item, data, if_match=_etag(stored.etag))
        except PreconditionFailed:
            flash(_("Someone changed this event meanwhile: nothing was deleted."), "error")
            return redirect(_back(interface, draft.start_day))
        flash(_("That occurrence of %(title)s was deleted.", title=draft.summary), "message")
        _after_save(draft, folder_id, item)  # the attendees get the series without that occurrence
    else:
        etag = _etag(stored.etag)
        if draft.attendees and _organizing(stored.data):
            if etag.strip('"') != stored.etag.strip('"'):
                flash(_("Someone changed this event meanwhile: nothing was deleted."), "error")
                return redirect(_back(interface, draft.start_day))
            if not _cancel(folder_id, item):
                return redirect(_back(interface, draft.start_day))
            etag = organizer.get(folder_id, item).etag  # the copy marked cancelled
        try:
            organizer.delete(folder_id, item, if_match=etag)
        except PreconditionFailed:
            flash(_("Someone changed this event meanwhile: nothing was deleted."), "error")
            return redirect(_back(interface, draft.start_day))
        flash(_("The event %(title)s was deleted.", title=draft.summary), "message")
    return redirect(_back(interface, draft.start_day))


def _form(
    interface: str,
    values: dict[str, Any],
    errors: dict[str, str],
    writable: list[Any],
    stored: Any,
    occurrence: datetime | None,
    shown: Any,
    *,
    editable: bool = True,
) -> str:
    recurring = stored is not None and event_ical.is_recurring(stored.data)
    return render_template(
        f"{interface}/calendar_event.html",
        interface=interface,
        values=values,
        errors=errors,
        calendars=writable,
        item=stored,
        calendar=shown,
        occurrence=occurrence_text(occurrence),
        recurring=recurring,
        editable=editable,
        reminders=REMINDERS,
        weekdays=WEEKDAYS,
        zones=_zone_names(values.get("timezone", "UTC")),
        folder_id=shown.folder_id if shown is not None else None,
        **helpers(),
    )


def _posted_values() -> dict[str, Any]:
    values: dict[str, Any] = {k: request.form.get(k, "") for k in request.form}
    values["weekday"] = request.form.getlist("weekday")
    return values


def _after_save(draft: EventDraft, folder_id: int, name: str) -> None:
    """An event with attendees that the user organizes goes out as an invitation (or an updated one) to
    every attendee (mailflow.meetings.sending); the page says to how many, or why not."""
    if not draft.attendees:
        return
    store = current_store()
    account = store.accounts.get(current_user_account().address)
    try:
        if not _organizing(user_mail().organizer.get(folder_id, name).data):
            return
        sent = sending.send_invitations(store, account, folder_id, name, origin=_origin(store))
    except MeetingError as exc:
        flash(_("The event was saved, but no invitation went out: %(reason)s", reason=str(exc)), "error")
        return
    if sent is not None:
        count = len(sent.recipients)
        flash(
            ngettext(
                "The invitation went to %(num)d attendee.", "Invitations went to %(num)d attendees.", count
            ),
            "message",
        )


def _organizing(data: bytes) -> bool:
    """Whether the user is the event's organizer (no ORGANIZER: they made it, so they are)."""
    try:
        organizer = itip.stored_components(data)[1][0].get("ORGANIZER")
    except (itip.ItipError, IndexError):
        return False
    if organizer is None:
        return True
    mine = {a.lower() for a in current_store().senders.addresses_for(current_user_account().account_id)}
    return itip.address_of(organizer) in mine


def _cancel(folder_id: int, name: str) -> bool:
    """Tell the attendees the meeting is off before it is deleted; False (and a message) when that failed."""
    store = current_store()
    account = store.accounts.get(current_user_account().address)
    try:
        sending.send_cancel(store, account, folder_id, name, origin=_origin(store))
    except MeetingError as exc:
        flash(
            _("Nothing was deleted: the attendees could not be told (%(reason)s).", reason=str(exc)), "error"
        )
        return False
    return True


def _origin(store: Store) -> Origin:
    hostname = str(store.settings.get("server.hostname") or request.host.split(":")[0])
    return webmail_origin(
        peer_ip=request.remote_addr or "127.0.0.1",
        peer_port=0,
        hostname=hostname,
        session_id=secrets.token_hex(6),
        tls=request.is_secure,
    )


def _back(interface: str, day: date) -> str:
    view = request.values.get("view") or ("agenda" if interface == "mobile" else "week")
    return url_for(f"{interface}.calendar", view=view, date=day.isoformat())


def _etag(current: str) -> str:
    """The ETag the form was made from (its hidden ``etag`` field), so a change saved elsewhere since the
    page was opened is not overwritten; the current one when the form has none."""
    sent = request.form.get("etag", "").strip()
    return sent if sent and len(sent) <= 128 else current


def _folder(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**63 else None


def _first_id(writable: list[Any]) -> str:
    return str(writable[0].folder_id) if writable else ""


def _zone_names(current: str) -> list[str]:
    names = time_zones()
    return names if current in names else [current, *names]
