"""Reminder mails: the periodic sweep that mails the VALARM reminders now due (RFC 5545 3.6.6).

The processing service runs ``sweep`` every ``SWEEP_INTERVAL`` among its housekeeping jobs
(sidecars/processing/schedule.py). It asks storage for the alarms whose trigger time fell in the last
``LOOK_BACK`` (``store.pim_system.due_alarms``: every account's events and tasks, recurrences expanded
on read) and mails each one that should be mailed and was not yet:

* an alarm mails when its ACTION is EMAIL, or DISPLAY when the account turned on
  ``organizer.reminder_mail``; AUDIO and other actions never do;
* the mail goes to the account itself, and to an EMAIL alarm's ATTENDEEs only when they are addresses
  of that account (its own address and aliases): an alarm in an item must not turn the server into a
  way to mail strangers;
* "sent" is remembered on the item itself, as ``X-FIELDPOST-REMINDED`` (the latest trigger time mailed,
  UTC) on its first component, written through the owner's organizer facade with If-Match. So each
  reminder is mailed once whatever restarts happen, without a table of its own; the item's ETag changes
  when it is written (a DAV client fetches it again on its next sync);
* alarms more than ``LOOK_BACK`` late are not mailed: a server that was down for a day, or an old
  calendar imported today, does not flood the mailbox with reminders of the past.

The mail is plain text from the account's own address to itself, with the null envelope sender (no
bounce can come back for it) and ``Auto-Submitted: auto-generated`` (RFC 3834: no vacation reply).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from mailflow.compose import POLICY
from mailflow.meetings.itip import ItipError, as_bytes, parse_calendar, scheduled_components
from mailflow.meetings.sending import local_origin
from mailflow.submission import Accepted, Envelope, submit
from storage.errors import StorageError

if TYPE_CHECKING:
    from storage.pim.system import DueAlarm
    from storage.store import Store

_log = logging.getLogger(__name__)

SENT_PROPERTY = "X-FIELDPOST-REMINDED"
SETTING = "organizer.reminder_mail"
SWEEP_INTERVAL = timedelta(minutes=1)
LOOK_BACK = timedelta(hours=6)
#: Most reminders one sweep mails (the rest wait for the next sweep).
MAX_PER_SWEEP = 500


@dataclass(frozen=True)
class Reminded:
    account: str
    summary: str
    trigger_at: datetime


def last_sent(data: bytes) -> datetime | None:
    """The latest trigger time mailed for this item, or None."""
    try:
        components = scheduled_components(parse_calendar(data))
    except ItipError:
        return None
    if not components or SENT_PROPERTY not in components[0]:
        return None
    try:
        return datetime.strptime(str(components[0][SENT_PROPERTY]), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def marked(data: bytes, trigger: datetime) -> bytes:
    """The item with ``trigger`` remembered as the latest reminder mailed.

    Raises:
        ItipError: the item holds no event or task.
    """
    calendar = parse_calendar(data)
    components = scheduled_components(calendar)
    if not components:
        raise ItipError("the item holds no VEVENT or VTODO")
    components[0].pop(SENT_PROPERTY, None)
    components[0].add(SENT_PROPERTY, trigger.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    return as_bytes(calendar)


def mails(action: str, display_too: bool) -> bool:
    """Whether an alarm of ``action`` is mailed."""
    return action.upper() == "EMAIL" or (display_too and action.upper() == "DISPLAY")


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def reminder_mail(address: str, recipients: list[str], alarm: DueAlarm, now: datetime) -> bytes:
    """The reminder (plain text, CRLF line ends)."""
    what = "task" if alarm.component == "VTODO" else "event"
    message = EmailMessage(policy=POLICY)
    local, _, domain = address.rpartition("@")
    message["From"] = Address(display_name="Calendar reminder", username=local, domain=domain)
    message["To"] = [Address(username=r.rpartition("@")[0], domain=r.rpartition("@")[2]) for r in recipients]
    title = " ".join((alarm.summary or "(no title)").split())[:200]
    message["Subject"] = f"Reminder: {title}" + (
        f" at {_when(alarm.occurrence_start)}" if alarm.occurrence_start else ""
    )
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=domain or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message["MIME-Version"] = "1.0"
    lines = [f"A reminder of your {what}:", "", f"What:  {title}"]
    if alarm.occurrence_start is not None:
        lines.append(f"{'Due' if what == 'task' else 'When'}:  {_when(alarm.occurrence_start)}")
    if alarm.location:
        lines.append(f"Where: {alarm.location}")
    if alarm.description and alarm.description != "Reminder":
        lines += ["", alarm.description]
    message.set_content("\n".join(lines) + "\n", subtype="plain", charset="utf-8")
    return message.as_bytes(policy=POLICY)


def sweep(store: Store, now: datetime, *, hostname: str = "", log: Any = None) -> int:
    """Mail the reminders due in (now - LOOK_BACK, now]; returns how many were mailed."""
    log = log or _log
    alarms = store.pim_system.due_alarms(now - LOOK_BACK, now + timedelta(seconds=1), limit=MAX_PER_SWEEP * 4)
    sent = 0
    settings_cache: dict[int, bool] = {}
    for alarm in alarms:
        if sent >= MAX_PER_SWEEP:
            break
        if alarm.account_id not in settings_cache:
            values = store.settings.effective_many([SETTING], account_id=alarm.account_id)
            settings_cache[alarm.account_id] = bool(values[SETTING])
        if not mails(alarm.action, settings_cache[alarm.account_id]):
            continue
        try:
            if _remind(
                store, alarm, now, hostname or str(store.settings.get("server.hostname") or "localhost")
            ):
                sent += 1
        except (StorageError, ItipError, ValueError) as exc:
            log.warning("reminder of %s for account %d not sent: %s", alarm.item_uid, alarm.account_id, exc)
    return sent


def _remind(store: Store, alarm: DueAlarm, now: datetime, hostname: str) -> bool:
    """Mail one reminder unless it was mailed already; remember it on the item first (a crash between
    loses one reminder rather than sending it twice)."""
    facade = store.for_user(alarm.account_id).organizer
    item = facade.get(alarm.folder_id, alarm.name)
    done = last_sent(item.data)
    if done is not None and done >= alarm.trigger_at:
        return False
    facade.put(alarm.folder_id, alarm.name, marked(item.data, alarm.trigger_at), if_match=item.etag)
    account = store.accounts.by_id(alarm.account_id)
    own = {a.lower() for a in store.senders.addresses_for(account.id)} | {account.address.lower()}
    recipients = [account.address.lower()] + [
        r for r in alarm.recipients if r in own and r != account.address.lower()
    ]
    raw = reminder_mail(account.address, recipients, alarm, now)
    result = submit(
        store,
        None,
        Envelope(sender="", recipients=recipients),
        raw,
        local_origin(hostname, "reminders"),
        now=now,
    )
    return isinstance(result, Accepted)
