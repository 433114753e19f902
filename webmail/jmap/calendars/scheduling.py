"""Meetings from CalendarEvent/set (draft-ietf-jmap-calendars-22 5.x ``sendSchedulingMessages``):
who may change an event's ``participants``, and the iMIP mails a change sends, through the same
mail-flow functions as the Standard calendar (mailflow.meetings.sending), so an invitation from a JMAP
client passes the same sender checks and queue as one from the Standard event form.

Rules (as the Standard calendar): only the organizer changes who is invited; a client that adds
attendees to an event without an owner makes the user its organizer. With ``sendSchedulingMessages``
true, saving an event the user organizes that has attendees mails them a REQUEST (an updated one after
a change, also when one occurrence is taken out), and destroying it mails a CANCEL first.

An attendee answers (the draft's RSVP: a change of their own ``participationStatus`` only) as the
reader's meeting panel does: their copy takes the PARTSTAT and, with ``sendSchedulingMessages``, a
REPLY goes to the organizer (mailflow.meetings.sending.send_answer).
"""

from __future__ import annotations

import logging
from typing import Any

from mailflow.meetings import copies, itip, sending
from mailflow.meetings.sending import MeetingError
from storage.models import Account
from webmail.jmap.calendars import values as v
from webmail.jmap.mail.sending import _origin
from webmail.jmap.registry import Call

log = logging.getLogger(__name__)


def my_addresses(call: Call) -> set[str]:
    return {a.lower() for a in call.user.store.senders.addresses_for(call.user.account_id)}


def owner_of(participants: dict[str, Any] | None) -> str | None:
    """The e-mail address of the participant with the owner role (the ORGANIZER), lowercased."""
    for person in (participants or {}).values():
        if isinstance(person, dict) and (person.get("roles") or {}).get("owner"):
            return str(person.get("email", "")).strip().lower()
    return None


def check_participants(call: Call, body: dict[str, Any], before: dict[str, Any] | None) -> None:
    """Let only the organizer change ``participants`` (``before``: the stored event, None on create);
    give attendees without an owner the user as organizer (in ``body``).

    Raises:
        v.Invalid: a participant list the user may not write.
        PermissionError: the user is an attendee of someone else's meeting.
    """
    new = body.get("participants")
    old = (before or {}).get("participants")
    if new == old:
        return
    mine = my_addresses(call)
    was = owner_of(old)
    if was is not None and was not in mine:
        raise PermissionError(f"only the organizer ({was}) changes who is invited")
    if new and owner_of(new) is None:
        key = "o" if "o" not in new else "owner"
        body["participants"] = {
            **new,
            key: {
                "@type": "Participant",
                "email": call.address,
                "sendTo": {"imip": f"mailto:{call.address}"},
                "roles": {"owner": True},
            },
        }
    owner = owner_of(body.get("participants"))
    if owner is not None and owner not in mine:
        raise v.Invalid("participants", "the owner must be one of your own addresses")


ANSWERS = ("accepted", "declined", "tentative")


def own_answer(call: Call, new: Any, old: Any) -> str | None:
    """The ``participationStatus`` the user gave their own participant, when that is the whole change of
    ``participants`` (``new`` against the stored ``old``); else None.

    Raises:
        v.Invalid: an answer that is not accepted, declined or tentative.
    """
    if new == old or not isinstance(old, dict) or not isinstance(new, dict) or set(new) != set(old):
        return None
    mine = my_addresses(call)
    answer = None
    for key, person in old.items():
        changed = new[key]
        if changed == person:
            continue
        if not isinstance(changed, dict) or str(person.get("email", "")).lower() not in mine:
            return None
        rest = {k: val for k, val in changed.items() if k != "participationStatus"}
        if rest != {k: val for k, val in person.items() if k != "participationStatus"}:
            return None
        answer = changed.get("participationStatus")
        if answer not in ANSWERS:
            raise v.Invalid("participants", f"an answer is one of {', '.join(ANSWERS)}")
    return answer


def answer(call: Call, folder_id: int, name: str, status: str, send: bool) -> None:
    """Record the user's answer in their copy; with ``send``, also REPLY to the organizer.

    Raises:
        PermissionError: not invited, or the answer could not be recorded or sent.
    """
    store, account = call.user.store, _account(call)
    try:
        if send:
            sending.send_answer(store, account, folder_id, name, status.upper(), origin=_origin(call))
            return
        item = call.user.organizer.get(folder_id, name)
        who = sending.attendee_address(store, account, item.data)
        if who is None:
            raise PermissionError("you are not invited to this event")
        changed = copies.with_answer(item.data, who, status.upper())
        call.user.organizer.put(folder_id, name, changed, if_match=item.etag)
    except (MeetingError, itip.ItipError) as exc:
        raise PermissionError(str(exc)) from None


def _account(call: Call) -> Account:
    return call.user.store.accounts.get(call.address)


def _organizing(call: Call, data: bytes) -> bool:
    """Whether the stored event is a meeting the user organizes."""
    try:
        head = itip.stored_components(data)[1][0]
    except (itip.ItipError, IndexError):
        return False
    organizer = head.get("ORGANIZER")
    return (
        organizer is not None
        and bool(head.get("ATTENDEE"))
        and itip.address_of(organizer) in my_addresses(call)
    )


def invite(call: Call, folder_id: int, name: str) -> None:
    """Mail the attendees the event as saved (REQUEST), when the user organizes it. The event is saved
    already: a mail that cannot go out is logged, not undone."""
    item = call.user.organizer.get(folder_id, name)
    if not _organizing(call, item.data):
        return
    try:
        sending.send_invitations(call.user.store, _account(call), folder_id, name, origin=_origin(call))
    except MeetingError as exc:
        log.warning("invitations for %s not sent: %s", name, exc)


def cancel(call: Call, folder_id: int, name: str) -> None:
    """Mail the attendees a CANCEL before the event is destroyed, when the user organizes it.

    Raises:
        MeetingError: the cancellation could not go out (the event is then not destroyed).
    """
    item = call.user.organizer.get(folder_id, name)
    if _organizing(call, item.data):
        sending.send_cancel(call.user.store, _account(call), folder_id, name, origin=_origin(call))
