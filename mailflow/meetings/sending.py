"""Sending invitations, answers and cancellations as a user: through ``mailflow.submission.submit``.

What a user does in WebMail (or a client through its own route) and what the server does for a room
both end here, so every scheduling mail passes the same anti-impersonation check, trace fields and
durable enqueue as any other message, and then the filters, local delivery (where ``incoming`` acts on
it) or relaying to another server.

Each function changes the sender's own stored copy first (through the user-bound organizer facade, with
If-Match, so an edit made meanwhile wins and the user is told to try again) and then queues the mail:

* ``send_invitations``: the organizer's event as a REQUEST to every attendee but the organizer;
  attendees marked SCHEDULE-AGENT=CLIENT (RFC 6638 7.1: "their client schedules them") are skipped.
* ``send_answer``: the attendee's PARTSTAT into their copy, then a REPLY to the organizer.
* ``send_cancel``: the organizer's copy CANCELLED with SEQUENCE raised, then a CANCEL to the attendees.

Errors come back as ``MeetingError`` with a sentence for the user.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailflow.meetings import copies, imip, itip
from mailflow.meetings.itip import ItipError
from mailflow.submission import Accepted, Envelope, Origin, Refusal, submit
from storage.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed, QuotaExceeded
from storage.models import Account

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger(__name__)


class MeetingError(Exception):
    """A scheduling action that could not be done; the text says why, for the user."""


@dataclass(frozen=True)
class Sent:
    queue_id: int
    recipients: tuple[str, ...]


def local_origin(hostname: str, listener: str = "meetings") -> Origin:
    """Where a scheduling mail the server writes comes from (a room's answer, a reminder)."""
    session = secrets.token_hex(4)
    return Origin(
        peer_ip="127.0.0.1",
        peer_port=0,
        hostname=hostname or "localhost",
        listener=listener,
        session_id=session,
        trace_id=f"{listener}.{session}",
        protocol="LOCAL",
        tls=False,
        helo=None,
    )


def queue_mail(
    store: Store,
    account: Account,
    *,
    sender: str,
    recipients: list[str],
    calendar: bytes,
    origin: Origin,
    now: datetime,
    auto: bool = False,
    update: bool = False,
) -> Sent:
    """Build the iMIP mail and queue it from ``sender`` as ``account``.

    Raises:
        MeetingError: the account may not send as ``sender``, or storage could not queue it.
    """
    raw = imip.build_mail(
        sender=sender,
        sender_name=account.display_name or "" if sender == account.address else "",
        to=recipients,
        calendar=calendar,
        now=now,
        auto=auto,
        update=update,
    )
    envelope = Envelope(
        sender=sender, recipients=recipients, body="8BITMIME" if any(b > 127 for b in raw) else None
    )
    result = submit(store, account, envelope, raw, origin, now=now)
    if not isinstance(result, Accepted):
        if result.reason is Refusal.UNAVAILABLE:
            raise MeetingError("the message could not be queued just now; please try again")
        raise MeetingError(f"you may not send as {result.address or sender}")
    return Sent(result.queue_id, tuple(recipients))


def _schedulable(data: bytes, organizer: str) -> list[str]:
    """The attendees the server mails: all but the organizer and those their own client schedules."""
    _, components = itip.stored_components(data)
    out: dict[str, None] = {}
    for component in components:
        for value in itip.as_list(component.get("ATTENDEE")):
            address = itip.address_of(value)
            agent = str(getattr(value, "params", {}).get("SCHEDULE-AGENT", "SERVER")).upper()
            if address and address != itip.address_of(organizer) and agent == "SERVER":
                out.setdefault(address, None)
    return list(out)


def _organizer_of(data: bytes) -> str:
    _, components = itip.stored_components(data)
    value = components[0].get("ORGANIZER")
    return itip.address_of(value) if value is not None else ""


def _storage_error(exc: Exception) -> MeetingError:
    if isinstance(exc, PreconditionFailed):
        return MeetingError("the event was changed meanwhile; please look at it again")
    if isinstance(exc, QuotaExceeded):
        return MeetingError("your mailbox is full")
    if isinstance(exc, PermissionDenied):
        return MeetingError("you may not change this event")
    if isinstance(exc, NotFound):
        return MeetingError("no such event")
    return MeetingError(str(exc))


def send_invitations(
    store: Store,
    account: Account,
    folder_id: int,
    name: str,
    *,
    origin: Origin,
    now: datetime | None = None,
) -> Sent | None:
    """Invite the attendees of the organizer's event ``name`` (None: there is nobody to mail).

    Raises:
        MeetingError: no such event, not the account's to organize, not a meeting, or not sent.
    """
    now = now or datetime.now(UTC)
    organizer_facade = store.for_user(account.id).organizer
    try:
        item = organizer_facade.get(folder_id, name)
        organizer = _organizer_of(item.data) or account.address
        copy = copies.organizer_sent(item.data, organizer=organizer, now=now)
        if copy != item.data:
            organizer_facade.put(folder_id, name, copy, if_match=item.etag)
        recipients = _schedulable(copy, organizer)
        if not recipients:
            return None
        request = itip.request(copy, organizer=organizer, now=now)
    except ItipError as exc:
        raise MeetingError(f"this event cannot be sent as an invitation: {exc}") from exc
    except (NotFound, PermissionDenied, PreconditionFailed, QuotaExceeded, InvalidInput) as exc:
        raise _storage_error(exc) from exc
    update = copies.sequence_of(copy) > 0
    return queue_mail(
        store,
        account,
        sender=organizer,
        recipients=recipients,
        calendar=request,
        origin=origin,
        now=now,
        update=update,
    )


def attendee_address(store: Store, account: Account, data: bytes) -> str | None:
    """Which of the account's addresses (own, aliases, "send as") the event invites; None if none."""
    message_attendees = _all_attendees(data)
    for address in store.senders.addresses_for(account.id):
        if address.lower() in message_attendees:
            return address.lower()
    return None


def _all_attendees(data: bytes) -> set[str]:
    _, components = itip.stored_components(data)
    return {itip.address_of(v) for c in components for v in itip.as_list(c.get("ATTENDEE"))}


def send_answer(
    store: Store,
    account: Account,
    folder_id: int,
    name: str,
    partstat: str,
    *,
    origin: Origin,
    now: datetime | None = None,
    comment: str = "",
) -> Sent:
    """Record the account's answer in its copy of the event and send the REPLY to the organizer.

    Raises:
        MeetingError: no such event, the account is not invited, not an answer, or not sent.
    """
    now = now or datetime.now(UTC)
    facade = store.for_user(account.id).organizer
    try:
        item = facade.get(folder_id, name)
        who = attendee_address(store, account, item.data)
        if who is None:
            raise MeetingError("you are not invited to this event")
        organizer = _organizer_of(item.data)
        if not organizer:
            raise MeetingError("this event has no organizer to answer")
        updated = copies.with_answer(item.data, who, partstat)
        facade.put(folder_id, name, updated, if_match=item.etag)
        answer = itip.reply(updated, attendee=who, partstat=partstat, now=now, comment=comment)
    except ItipError as exc:
        raise MeetingError(str(exc)) from exc
    except (NotFound, PermissionDenied, PreconditionFailed, QuotaExceeded, InvalidInput) as exc:
        raise _storage_error(exc) from exc
    if organizer == who:
        return Sent(0, ())
    return queue_mail(
        store, account, sender=who, recipients=[organizer], calendar=answer, origin=origin, now=now
    )


def send_cancel(
    store: Store,
    account: Account,
    folder_id: int,
    name: str,
    *,
    origin: Origin,
    now: datetime | None = None,
) -> Sent | None:
    """Cancel the organizer's event: its copy CANCELLED, a CANCEL to every attendee (None: nobody).

    Raises:
        MeetingError: no such event, not the account's to organize, or not sent.
    """
    now = now or datetime.now(UTC)
    facade = store.for_user(account.id).organizer
    try:
        item = facade.get(folder_id, name)
        organizer = _organizer_of(item.data) or account.address
        if organizer not in {a.lower() for a in store.senders.addresses_for(account.id)}:
            raise MeetingError(f"only the organizer ({organizer}) can cancel this meeting")
        notice = itip.cancel(item.data, organizer=organizer, now=now)
        facade.put(folder_id, name, copies.organizer_cancelled(item.data), if_match=item.etag)
        recipients = _schedulable(item.data, organizer)
    except ItipError as exc:
        raise MeetingError(str(exc)) from exc
    except (NotFound, PermissionDenied, PreconditionFailed, QuotaExceeded, InvalidInput) as exc:
        raise _storage_error(exc) from exc
    if not recipients:
        return None
    return queue_mail(
        store, account, sender=organizer, recipients=recipients, calendar=notice, origin=origin, now=now
    )
