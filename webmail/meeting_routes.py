"""Meetings in the reader and the free/busy page, for the Standard (``/mail``) and Mobile (``/m``) blueprints.

* ``invitation_for(stored)``: the scheduling message a message carries (its first text/calendar part that
  reads as iTIP), with how it stands for the reader (mailflow.meetings.answering.state); the reader's
  template shows Accept / Tentative / Decline for a REQUEST to the user, who answered what for a REPLY,
  and a notice for a CANCEL.
* ``POST .../folder/<id>/<uid>/meeting`` (CSRF-checked like every form): the answer goes into the user's
  calendar copy and the REPLY to the organizer (mailflow.meetings.answering.answer).
* ``GET .../calendar/freebusy?who=a@x,b@y&date=2026-12-07&days=1|7``: a grid of busy times per address
  from ``organizer.free_busy`` (the owner granted "read free/busy", or the user reads one of their
  calendars); an address that may not be looked up says so in its row instead. The grid is drawn in the
  user's time zone (setting ``user.timezone``).

The message is read through ``user_mail()`` like every reader page (another user's message is 404).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_timezone
from flask_babel import gettext as _

from mailflow.meetings import answering
from mailflow.meetings.itip import ANSWERS, ItipError
from mailflow.meetings.sending import MeetingError
from mailflow.submission import Origin
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.mime import Part
from webmail.binding import current_store, current_user_account, user_mail
from webmail.reading import StoredMessage, open_message

#: Largest calendar part the reader looks into.
MAX_CALENDAR_PART = 1024 * 1024
#: Most addresses one free/busy lookup shows; most days.
MAX_FREEBUSY_ADDRESSES = 20
FREEBUSY_DAYS = (1, 7)
#: Hours (the user's time zone) shown in the grid; busy times outside them are listed below the grid.
GRID_HOURS = range(7, 20)


def _calendar_part(part: Part) -> Part | None:
    if part.maintype == "text" and part.subtype == "calendar":
        return part
    for child in part.children:
        found = _calendar_part(child)
        if found is not None:
            return found
    return None


def calendar_data(stored: StoredMessage) -> bytes | None:
    """The text of the first text/calendar part of ``stored`` as UTF-8, or None (none, or too large)."""
    part = _calendar_part(stored.root)
    if part is None or part.size > MAX_CALENDAR_PART:
        return None
    data = stored.part_bytes(part)
    charset = dict(part.params).get("charset", "utf-8")
    if charset.lower() not in ("utf-8", "utf8", "us-ascii"):
        data = data.decode(charset if _known(charset) else "utf-8", "replace").encode("utf-8")
    return data


def invitation_for(stored: StoredMessage) -> answering.InvitationState | None:
    """The scheduling message ``stored`` carries and how it stands for the user, or None."""
    data = calendar_data(stored)
    if data is None:
        return None
    store = current_store()
    try:
        account = store.accounts.get(current_user_account().address)
        return answering.state(store, account, data)
    except (ItipError, NotFound, PermissionDenied, InvalidInput):
        return None


def _known(charset: str) -> bool:
    try:
        "".encode(charset)
    except LookupError:
        return False
    return True


def web_origin(hostname: str) -> Origin:
    """Where a meeting answer sent from a reader comes from (its Received field and queue row)."""
    session = secrets.token_hex(6)
    return Origin(
        peer_ip=request.remote_addr or "127.0.0.1",
        peer_port=0,
        hostname=hostname,
        listener="webmail",
        session_id=session,
        trace_id=session,
        protocol="HTTPS" if request.is_secure else "HTTP",
        tls=request.is_secure,
        helo=None,
    )


@dataclass(frozen=True)
class Row:
    """One address of the free/busy grid: per hour cell whether busy, or the refusal text."""

    address: str
    #: per day: per hour asked (GRID_HOURS on the page) "" (free) or the busy kind (BUSY, BUSY-TENTATIVE...)
    cells: tuple[tuple[date, tuple[str, ...]], ...]
    periods: tuple[tuple[datetime, datetime, str], ...]
    refusal: str = ""


def _parse_day(text: str, zone: ZoneInfo) -> date:
    today = datetime.now(zone).date()
    try:
        return date.fromisoformat(text) if text else today
    except ValueError:
        return today


def user_zone() -> ZoneInfo:
    """The user's time zone (setting ``user.timezone``, as Babel resolved it)."""
    try:
        return ZoneInfo(str(get_timezone() or "UTC"))
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def free_busy_row(address: str, day: date, days: int, zone: ZoneInfo, hours: range = GRID_HOURS) -> Row:
    """The free/busy page's row for ``address`` over ``days`` from ``day`` (also the Ajax calendar's
    grid, webmail/ajax/calendar_freebusy.py, which asks for every hour of the day): the same rights
    and refusals."""
    return _row(address, day, days, zone, hours)


def _row(address: str, day: date, days: int, zone: ZoneInfo, hours: range = GRID_HOURS) -> Row:
    organizer = user_mail().organizer
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    last = day + timedelta(days=days)
    end = datetime(last.year, last.month, last.day, tzinfo=zone)
    try:
        busy = organizer.free_busy(address, start.astimezone(UTC), end.astimezone(UTC))
    except PermissionDenied:
        refusal = _("%(address)s has not shared free/busy times with you.", address=address)
        return Row(address, (), (), refusal)
    except (NotFound, InvalidInput):
        return Row(address, (), (), _("%(address)s is not an account of this server.", address=address))
    cells = []
    for n in range(days):
        current = day + timedelta(days=n)
        shown = []
        for hour in hours:
            cell_start = datetime(current.year, current.month, current.day, hour, tzinfo=zone)
            cell_end = cell_start + timedelta(hours=1)
            kinds = [b.kind for b in busy if b.start < cell_end and b.end > cell_start]
            shown.append(_strongest(kinds))
        cells.append((current, tuple(shown)))
    periods = tuple((b.start.astimezone(zone), b.end.astimezone(zone), b.kind) for b in busy)
    return Row(address, tuple(cells), periods)


def _strongest(kinds: list[str]) -> str:
    for kind in ("BUSY-UNAVAILABLE", "BUSY", "BUSY-TENTATIVE"):
        if kind in kinds:
            return kind
    return ""


def meeting_time(value: datetime | date) -> str:
    """A meeting's start or end for the reader: in the user's time zone; a date (all day) as a date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the same wall-clock time everywhere
            return str(format_datetime(value, "medium", rebase=False))
        return str(format_datetime(value, "medium"))
    return str(format_date(value, "medium"))


def partstat_label(value: str) -> str:
    labels: dict[str, str] = {
        "NEEDS-ACTION": _("not answered yet"),
        "ACCEPTED": _("accepted"),
        "TENTATIVE": _("tentative"),
        "DECLINED": _("declined"),
        "DELEGATED": _("delegated"),
    }
    return labels.get(value.upper(), value.lower())


def answer_invitation(stored: StoredMessage, partstat: str) -> str:
    """Answer the invitation ``stored`` carries as the signed-in user (both interfaces' buttons), and the
    notice to show; 404 when it carries none, MeetingError when the service refuses the answer."""
    data = calendar_data(stored)
    if data is None:
        abort(404)
    store = current_store()
    account = store.accounts.get(current_user_account().address)
    hostname = str(store.settings.get("server.hostname") or request.host.split(":")[0])
    answering.answer(store, account, data, partstat, origin=web_origin(hostname))
    notices = {
        "ACCEPTED": _("You accepted; the organizer was told."),
        "TENTATIVE": _("You answered tentatively; the organizer was told."),
        "DECLINED": _("You declined; the organizer was told."),
    }
    return str(notices[partstat])


def add_meeting_routes(bp: Blueprint) -> None:
    """Register the answer route and the free/busy page on ``bp`` (templates ``<bp.name>/freebusy.html``)
    and the reader's two template filters."""
    name = bp.name
    bp.add_app_template_filter(meeting_time, "meeting_time")
    bp.add_app_template_filter(partstat_label, "partstat_label")

    @bp.route("/folder/<int:folder_id>/<int:uid>/meeting", methods=["POST"])
    def message_meeting(folder_id: int, uid: int) -> Any:
        stored = open_message(user_mail(), folder_id, uid)
        partstat = request.form.get("answer", "").upper()
        if partstat not in ANSWERS:
            abort(400)
        try:
            flash(answer_invitation(stored, partstat), "info")
        except MeetingError as exc:
            flash(str(exc), "error")
        return redirect(url_for(f"{name}.message", folder_id=folder_id, uid=uid))

    @bp.route("/calendar/freebusy")
    def freebusy() -> Any:
        asked = request.args.get("who", "")
        addresses = list(
            dict.fromkeys(a.strip().lower() for a in asked.replace(";", ",").split(",") if a.strip())
        )
        too_many = len(addresses) > MAX_FREEBUSY_ADDRESSES
        addresses = addresses[:MAX_FREEBUSY_ADDRESSES]
        day = _parse_day(request.args.get("date", ""), user_zone())
        days = 7 if request.args.get("days") == "7" else 1
        if days == 7:
            day -= timedelta(days=day.weekday())
        zone = user_zone()
        rows = [_row(a, day, days, zone) for a in addresses]
        return render_template(
            f"{name}/freebusy.html",
            who=asked,
            day=day,
            days=days,
            rows=rows,
            hours=list(GRID_HOURS),
            zone=str(zone),
            too_many=too_many,
            max_addresses=MAX_FREEBUSY_ADDRESSES,
            previous=(day - timedelta(days=days)).isoformat(),
            following=(day + timedelta(days=days)).isoformat(),
        )
