"""Implicit scheduling (RFC 6638 3.2) of what DAV programs save: the server sends the iTIP mail.

A program that sees ``calendar-auto-schedule`` leaves invitations to the server, as WebMail's calendar
does, and both go through mailflow.meetings.sending (anti-impersonation, trace fields, the queue):

* the organizer PUTs an event or task with attendees that is new, or whose scheduling-relevant
  properties changed (times, recurrence, summary, location, status, the attendee list): a REQUEST goes
  to every attendee (SCHEDULE-AGENT=CLIENT ones excepted); re-saving the same meeting sends nothing;
* an attendee PUTs their copy with a new PARTSTAT for themselves: a REPLY goes to the organizer, unless
  the request carried ``Schedule-Reply: F`` (RFC 6638 8.1);
* the organizer DELETEs a meeting: a CANCEL goes out first.

Sending may change the stored copy (SEQUENCE, DTSTAMP): the PUT then answers without an ETag and the
program fetches the item again (RFC 4791 5.3.4). A meeting that cannot be sent never undoes the save;
the reason is logged.
"""

from __future__ import annotations

import logging
import secrets

from flask import request

from mailflow.meetings import copies, itip, sending
from mailflow.meetings.sending import MeetingError
from mailflow.outbox import webmail_origin
from mailflow.submission import Origin
from storage.errors import PreconditionFailed
from webmail.binding import current_store
from webmail.dav.tree import Request

log = logging.getLogger(__name__)

RELEVANT = (
    "DTSTART",
    "DTEND",
    "DURATION",
    "DUE",
    "RRULE",
    "RDATE",
    "EXDATE",
    "SUMMARY",
    "LOCATION",
    "STATUS",
)


def _origin() -> Origin:
    store = current_store()
    return webmail_origin(
        peer_ip=request.remote_addr or "127.0.0.1",
        peer_port=0,
        hostname=str(store.settings.get("server.hostname") or request.host.split(":")[0]),
        session_id=secrets.token_hex(6),
        tls=request.is_secure,
    )


def has_attendees(data: bytes) -> bool:
    return b"ATTENDEE" in data.upper()


def fingerprint(data: bytes) -> tuple[tuple[str, ...], ...] | None:
    """What an invitation carries, per component, to tell a rescheduling from a re-save."""
    try:
        _, components = itip.stored_components(data)
    except itip.ItipError:
        return None
    out = []
    for c in components:
        values = []
        for name in ("RECURRENCE-ID", *RELEVANT):
            value = c.get(name)
            values.append(value.to_ical().decode() if hasattr(value, "to_ical") else str(value or ""))
        attendees = sorted(itip.address_of(a) for a in itip.as_list(c.get("ATTENDEE")))
        out.append((*values, *attendees))
    return tuple(sorted(out))


def _organizing(req: Request, data: bytes) -> bool:
    try:
        organizer = itip.stored_components(data)[1][0].get("ORGANIZER")
    except (itip.ItipError, IndexError):
        return False
    if organizer is None:
        return False  # no organizer named: not a meeting the server schedules
    mine = {a.lower() for a in current_store().senders.addresses_for(req.account.id)}
    return itip.address_of(organizer) in mine


def after_put(req: Request, folder_id: int, name: str, old: bytes | None, new: bytes) -> bool:
    """Send what saving ``new`` over ``old`` (None: a new item) calls for; True when mail was queued."""
    if not has_attendees(new):
        return False
    store = current_store()
    account = store.accounts.get(req.account.address)
    try:
        if _organizing(req, new):
            if old is not None and fingerprint(old) == fingerprint(new):
                return False
            return sending.send_invitations(store, account, folder_id, name, origin=_origin()) is not None
        if req.headers.get("Schedule-Reply", "T").strip().upper() == "F":
            return False
        who = sending.attendee_address(store, account, new)
        if who is None:
            return False
        answer = copies.partstat_of(new, who)
        before = copies.partstat_of(old, who) if old is not None else None
        if answer in (None, "NEEDS-ACTION") or answer == before:
            return False
        sending.send_answer(store, account, folder_id, name, str(answer), origin=_origin())
        return True
    except (MeetingError, itip.ItipError) as exc:
        log.warning("dav: %s saved %s but no scheduling mail went out: %s", req.me, name, exc)
        return False


def before_delete(req: Request, folder_id: int, name: str, if_match: str | None) -> bool:
    """Cancel the organizer's meeting before it is deleted; True when a CANCEL went out (the stored copy
    changed, so the caller deletes without If-Match, having checked it here).

    Raises:
        PreconditionFailed: ``if_match`` names another version.
    """
    item = req.organizer.get(folder_id, name)
    if if_match is not None and if_match != item.etag:
        raise PreconditionFailed("the item has changed since (ETag mismatch)")
    if not has_attendees(item.data) or not _organizing(req, item.data):
        return False
    store = current_store()
    try:
        sending.send_cancel(store, store.accounts.get(req.account.address), folder_id, name, origin=_origin())
    except MeetingError as exc:
        log.warning("dav: %s deleted %s but no cancellation went out: %s", req.me, name, exc)
        return False
    return True
