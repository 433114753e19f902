"""A scheduling message delivered to a local account: what it does to the account's calendar.

Called by local delivery (sidecars/processing/delivery.py) for every account a message with a
text/calendar part was just stored for; the mail itself is delivered either way, so the user can still
read it and answer from the reader. No user is logged in: the calendar is reached through the system
side of storage (``store.pim_system``), which applies no rights but only ever touches the account's own
calendars.

What each method does (RFC 5546 3.2; the pure work is ``copies``'):

* REQUEST to an attendee: their copy is filed or brought up to date in their calendar (default calendar
  for a new one) with PARTSTAT=NEEDS-ACTION, unless they already answered this version. An account
  whose ``organizer.resource_policy`` is not ``none`` answers at once (``resources``): the answer goes
  into its copy (declined requests are kept transparent, so they block nothing) and a REPLY goes to the
  organizer by mail, like any answer.
* REPLY to the organizer: the attendee's PARTSTAT in the organizer's copy, only when the mail's From is
  that attendee and the SEQUENCE is the copy's.
* CANCEL to an attendee: their copy is marked CANCELLED (the whole event or the occurrences named).
* Anything else (PUBLISH, COUNTER, REFRESH...), a message the account is not part of, or one that does
  not read as iTIP: nothing happens beyond delivery; the reason is logged at info level.

Exactly-once: this runs after the delivery committed. A crash in between leaves the calendar as it was
and the message in the mailbox, where the reader's buttons still work (``answering`` makes a missing
copy), so nothing is lost and nothing is done twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mailflow.meetings import copies, imip, itip, resources
from mailflow.meetings.itip import ItipError
from mailflow.meetings.sending import MeetingError, local_origin, queue_mail
from storage.errors import InvalidInput, StorageError

if TYPE_CHECKING:
    from storage.models import Account
    from storage.store import Store

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What was done for one account (for the log and for tests)."""

    address: str
    action: str  # filed | updated | answered | recorded | cancelled | ignored
    detail: str = ""


def handle_delivery(
    store: Store,
    recipient: str,
    raw: bytes,
    *,
    hostname: str,
    folder_id: int | None = None,
    now: datetime | None = None,
    log: Any = None,
) -> Outcome | None:
    """Act on the scheduling message in ``raw`` for the local recipient ``recipient`` (its copy was
    stored in ``folder_id``); None when ``raw`` carries none. Never raises: a problem is logged and the
    delivery stands. A message the filters put in the Junk folder changes no calendar."""
    log = log or _log
    found = imip.scheduling_part(raw)
    if found is None:
        return None
    try:
        account = store.accounts.get(recipient)
    except (StorageError, ValueError):
        return Outcome(recipient, "ignored", "not an account (a group or a public folder)")
    try:
        if folder_id is not None and _is_junk(store, account, folder_id):
            return Outcome(account.address, "ignored", "filed as junk")
        outcome = _act(store, account, found, imip.sender_address(raw), hostname, now or datetime.now(UTC))
    except (ItipError, MeetingError, InvalidInput) as exc:
        outcome = Outcome(account.address, "ignored", str(exc))
    except StorageError as exc:
        log.warning("meeting %s for %s: calendar not updated: %s", found.message.uid, account.address, exc)
        return Outcome(account.address, "ignored", f"storage: {exc}")
    except Exception as exc:  # the delivery is done; a calendar problem must not fail the queue run
        log.warning("meeting %s for %s: failed: %r", found.message.uid, account.address, exc)
        return Outcome(account.address, "ignored", f"failed: {exc!r}")
    log.info(
        "meeting %s %s for %s: %s%s",
        found.message.method,
        found.message.uid,
        account.address,
        outcome.action,
        f" ({outcome.detail})" if outcome.detail else "",
    )
    return outcome


def _is_junk(store: Store, account: Account, folder_id: int) -> bool:
    try:
        return store.for_user(account.id).folder_with_role("junk").id == folder_id
    except StorageError:
        return False


def _addresses(store: Store, account: Account) -> set[str]:
    return {a.lower() for a in store.senders.addresses_for(account.id)} | {account.address.lower()}


def _act(
    store: Store, account: Account, found: imip.Found, sender: str, hostname: str, now: datetime
) -> Outcome:
    message = found.message
    mine = _addresses(store, account)
    calendars = store.pim_system
    if message.method == "REQUEST":
        who = next((a for a in message.attendee_addresses() if a in mine), None)
        if who is None or message.organizer in mine:
            return Outcome(account.address, "ignored", "not invited")
        return _request(store, account, found, who, hostname, now)
    if message.method == "REPLY":
        if message.organizer not in mine:
            return Outcome(account.address, "ignored", "a reply for another organizer")
        existing = calendars.find_uid(account.id, message.uid, message_kind(message))
        if existing is None:
            return Outcome(account.address, "ignored", "no such meeting in the organizer's calendar")
        updated = copies.with_reply(existing.data, message, sender)
        calendars.put_for_account(account.id, updated, message_kind(message))
        answered = message.first.attendees[0]
        return Outcome(account.address, "recorded", f"{answered.address} {answered.partstat}")
    if message.method == "CANCEL":
        existing = calendars.find_uid(account.id, message.uid, message_kind(message))
        if existing is None:
            return Outcome(account.address, "ignored", "no such meeting in the calendar")
        cancelled = copies.with_cancel(existing.data, found.data)
        if cancelled is None:
            return Outcome(account.address, "ignored", "an older cancellation")
        calendars.put_for_account(account.id, cancelled, message_kind(message))
        return Outcome(account.address, "cancelled")
    return Outcome(account.address, "ignored", f"{message.method} is not acted on")


def message_kind(message: itip.ItipMessage) -> str:
    """Where the copy lives: events in calendars, tasks in task folders."""
    return "tasks" if message.component == "VTODO" else "calendar"


def _request(
    store: Store, account: Account, found: imip.Found, who: str, hostname: str, now: datetime
) -> Outcome:
    message = found.message
    calendars = store.pim_system
    kind = message_kind(message)
    existing = calendars.find_uid(account.id, message.uid, kind)
    copy = copies.attendee_copy(found.data, existing.data if existing is not None else None, who)
    if copy is None:
        return Outcome(account.address, "ignored", "an older version than the calendar's")
    values = store.settings.effective_many([resources.POLICY_SETTING], account_id=account.id)
    policy = str(values[resources.POLICY_SETTING])
    conflicts = calendars.conflicts(account.id, found.data) if resources.needs_calendar(policy) else []
    decision = resources.decide(policy, conflicts) if message.component == "VEVENT" else None
    if decision is not None:
        copy = copies.with_answer(copy, who, decision.partstat)
        if decision.partstat == "DECLINED":
            copy = copies.transparent(copy)
    keep = existing is not None or decision is None or decision.partstat == "ACCEPTED"
    if keep and (existing is None or copy != existing.data):
        calendars.put_for_account(account.id, copy, kind)
    if decision is None:
        return Outcome(account.address, "updated" if existing is not None else "filed")
    answer = itip.reply(copy, attendee=who, partstat=decision.partstat, now=now)
    queue_mail(
        store,
        account,
        sender=who,
        recipients=[message.organizer],
        calendar=answer,
        origin=local_origin(hostname),
        now=now,
        auto=True,
    )
    detail = decision.partstat
    if decision.conflict is not None:
        detail += f" (busy {decision.conflict[0]:%Y-%m-%d %H:%M}Z to {decision.conflict[1]:%H:%M}Z)"
    return Outcome(account.address, "answered", detail)
