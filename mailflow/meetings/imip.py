"""iMIP (RFC 6047): the mail that carries a scheduling message, and finding one in a received message.

Pure: bytes in, bytes out; no storage and no clock unless given one.

The mail (RFC 6047 2.4, 3): ``multipart/alternative`` with a plain-text description first and the
``text/calendar; method=...; charset=utf-8`` part last (the form a mail program prefers when it knows
calendars), the METHOD parameter equal to the calendar's METHOD (RFC 6047 2.4 requires it). Answers sent
by a machine (rooms and equipment) say ``Auto-Submitted: auto-replied`` (RFC 3834) so no vacation
responder answers them.

Finding one (``scheduling_part``): the first ``text/calendar`` part (at any depth, attachments
included) whose content reads as a scheduling message; parts above ``MAX_PART_BYTES`` and more than
``MAX_PARTS`` parts are not looked at, so a hostile message costs little.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses, make_msgid

from mailflow.compose import POLICY
from mailflow.meetings.itip import MAX_CALENDAR_BYTES, ItipError, ItipMessage, read

MAX_PART_BYTES = MAX_CALENDAR_BYTES
MAX_PARTS = 100
USER_AGENT = "Fieldpost"

#: Subject prefix per (method, answer); the answer only for REPLY.
SUBJECTS = {
    ("REQUEST", ""): "Invitation",
    ("REQUEST", "update"): "Updated invitation",
    ("CANCEL", ""): "Cancelled",
    ("REPLY", "ACCEPTED"): "Accepted",
    ("REPLY", "TENTATIVE"): "Tentative",
    ("REPLY", "DECLINED"): "Declined",
}


@dataclass(frozen=True)
class Found:
    """A scheduling message found in a mail: its text and what it says."""

    data: bytes
    message: ItipMessage


def cheap_check(raw: bytes) -> bool:
    """Whether ``raw`` may hold a calendar part at all (looked for before any MIME parsing)."""
    return b"text/calendar" in raw.lower()


def scheduling_part(raw: bytes) -> Found | None:
    """The first readable scheduling message in a mail, or None (also for a calendar part that is not
    a valid scheduling message: the mail is delivered as it is, nothing else happens)."""
    if not cheap_check(raw):
        return None
    parsed = email.message_from_bytes(raw, policy=policy.default)
    for count, part in enumerate(parsed.walk()):
        if count >= MAX_PARTS:
            break
        if part.get_content_type() != "text/calendar":
            continue
        payload = _payload(part)
        if payload is None:
            continue
        try:
            return Found(payload, read(payload))
        except ItipError:
            continue
    return None


def _payload(part: Message) -> bytes | None:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or len(data) > MAX_PART_BYTES:
        return None
    charset = part.get_content_charset() or "utf-8"
    if charset.lower() not in ("utf-8", "us-ascii", "utf8"):
        try:
            data = data.decode(charset, "replace").encode("utf-8")
        except LookupError:
            return None
    return data


def sender_address(raw: bytes) -> str:
    """The first From: address of a mail, lower case ("" when none)."""
    header_end = raw.find(b"\r\n\r\n")
    head = raw if header_end < 0 else raw[: header_end + 4]
    parsed = email.message_from_bytes(head, policy=policy.compat32)
    found = getaddresses([str(v) for v in parsed.get_all("From", [])])
    return found[0][1].strip().lower() if found else ""


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d") + " (all day)"


def describe(message: ItipMessage, *, answer_of: str = "") -> str:
    """The plain-text part: what the calendar part says, for people whose mail program does not show
    calendars (English; the calendar part is what programs read)."""
    first = message.first
    lines: list[str] = []
    if message.method == "REPLY":
        who = first.attendees[0]
        lines.append(f"{who.name or who.address} answered: {who.partstat.lower()}.")
    elif message.method == "CANCEL":
        lines.append("This meeting was cancelled.")
    elif message.method == "REQUEST":
        lines.append(f"{message.organizer_name or message.organizer} invites you.")
    lines.append("")
    lines.append(f"What:  {first.summary or '(no title)'}")
    when = _when(first.start)
    if when:
        end = _when(first.end)
        lines.append(
            f"When:  {when}" + (f" to {end}" if end else "") + (" (repeats)" if message.recurring else "")
        )
    if first.location:
        lines.append(f"Where: {first.location}")
    if message.organizer:
        lines.append(f"Organizer: {message.organizer}")
    if message.method != "REPLY":
        for attendee in first.attendees:
            lines.append(f"Attendee: {attendee.name + ' ' if attendee.name else ''}<{attendee.address}>")
    return "\n".join(lines) + "\n"


def subject_for(message: ItipMessage, *, update: bool = False) -> str:
    answer = (
        message.first.attendees[0].partstat if message.method == "REPLY" else ("update" if update else "")
    )
    prefix = SUBJECTS.get((message.method, answer), message.method.title())
    return f"{prefix}: {message.first.summary or '(no title)'}"


def _mailbox(address: str, name: str = "") -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def build_mail(
    *,
    sender: str,
    sender_name: str,
    to: list[str],
    calendar: bytes,
    now: datetime,
    auto: bool = False,
    update: bool = False,
) -> bytes:
    """The iMIP message (CRLF line ends) carrying ``calendar`` from ``sender`` to ``to``.

    Args:
        auto: sent by the server for the account (a room's answer): Auto-Submitted: auto-replied.
        update: a REQUEST for a meeting already sent (the subject says "Updated invitation").

    Raises:
        ItipError: ``calendar`` is not a scheduling message; ValueError: an address that is not one.
    """
    message = read(calendar)
    root = EmailMessage(policy=POLICY)
    root["From"] = _mailbox(sender, sender_name)
    root["To"] = [_mailbox(address) for address in to]
    root["Subject"] = subject_for(message, update=update)
    root["Date"] = format_datetime(now)
    root["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    if auto:
        root["Auto-Submitted"] = "auto-replied"
    root["User-Agent"] = USER_AGENT
    root["MIME-Version"] = "1.0"
    root.set_content(describe(message), subtype="plain", charset="utf-8")
    root.add_alternative(
        calendar.decode("utf-8").replace("\r\n", "\n"),
        subtype="calendar",
        charset="utf-8",
        params={"method": message.method},
    )
    return root.as_bytes(policy=POLICY)
