"""Answering an invitation found in a message, as the user (WebMail's reader; later JMAP).

The reader shows a REQUEST with Accept / Tentative / Decline. Pressing one:

1. finds the user's copy of the event by its UID in their own calendars (``incoming`` normally filed it
   at delivery); when there is none yet (the message came in before meetings were processed, or was
   moved in from elsewhere) the copy is made from the message, in the default calendar;
2. brings the copy up to the message when the message is the newer version (``copies.attendee_copy``);
3. records the answer and sends the REPLY (``sending.send_answer``).

Everything goes through the user-bound facade ``store.for_user(id).organizer``: the user's rights apply.
The default calendar is the user's own calendar folder named "Calendar" (any case), else their first
own calendar, else a new "Calendar".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailflow.meetings import copies, itip
from mailflow.meetings.itip import ItipError, ItipMessage
from mailflow.meetings.sending import MeetingError, Sent, attendee_address, send_answer
from mailflow.submission import Origin
from storage.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    QuotaExceeded,
)
from storage.models import Account

if TYPE_CHECKING:
    from storage.pim.models import Item
    from storage.pim.organizer import Organizer
    from storage.store import Store

DEFAULT_CALENDAR = "Calendar"


@dataclass(frozen=True)
class Copy:
    folder_id: int
    item: Item


@dataclass(frozen=True)
class InvitationState:
    """What the reader shows about a scheduling message for the user reading it."""

    message: ItipMessage
    attendee: str | None  # which of the user's addresses is invited (REQUEST), None when none
    answer: str | None  # the user's PARTSTAT in their copy, None when they have no copy
    outdated: bool  # the user's copy is newer than this message (a later update came)
    cancelled: bool  # the user's copy is cancelled


def own_calendars(facade: Organizer) -> list[int]:
    """The user's own calendar folders, the default one first."""
    mine = [c for c in facade.collections("calendar") if not c.shared and not c.public]
    mine.sort(key=lambda c: (c.path.lower() != DEFAULT_CALENDAR.lower(), c.path.lower()))
    return [c.folder_id for c in mine]


def default_calendar(facade: Organizer) -> int:
    """The user's default calendar, made when they have none."""
    found = own_calendars(facade)
    if found:
        return found[0]
    return facade.create_collection(DEFAULT_CALENDAR, "calendar").folder_id


def find_copy(facade: Organizer, item_uid: str) -> Copy | None:
    """The user's copy of the event ``item_uid`` in their own calendars."""
    for folder_id in own_calendars(facade):
        try:
            item = facade.find_uid(folder_id, item_uid)
        except (NotFound, PermissionDenied):
            continue
        if item is not None:
            return Copy(folder_id, item)
    return None


def state(store: Store, account: Account, data: bytes) -> InvitationState:
    """How the scheduling message ``data`` stands for ``account``.

    Raises:
        ItipError: ``data`` is not a scheduling message.
    """
    message = itip.read(data)
    who = attendee_address(store, account, data) if message.method in ("REQUEST", "CANCEL") else None
    found = find_copy(store.for_user(account.id).organizer, message.uid) if who else None
    answer = None
    outdated = cancelled = False
    if found is not None and who is not None:
        try:
            answer = copies.partstat_of(found.item.data, who)
            outdated = copies.sequence_of(found.item.data) > message.sequence
            cancelled = b"STATUS:CANCELLED" in found.item.data
        except ItipError:
            pass
    return InvitationState(message, who, answer, outdated, cancelled)


def answer(
    store: Store,
    account: Account,
    data: bytes,
    partstat: str,
    *,
    origin: Origin,
    now: datetime | None = None,
) -> Sent:
    """Answer the REQUEST ``data`` (found in a message the user reads) with ``partstat``.

    Raises:
        MeetingError: not an invitation for the user, an answer to an outdated or cancelled invitation,
            or the answer could not be stored or sent.
    """
    now = now or datetime.now(UTC)
    try:
        message = itip.read(data)
    except ItipError as exc:
        raise MeetingError(f"this is not an invitation: {exc}") from exc
    if message.method != "REQUEST":
        raise MeetingError("only an invitation can be answered")
    who = attendee_address(store, account, data)
    if who is None:
        raise MeetingError("you are not invited to this event")
    facade = store.for_user(account.id).organizer
    try:
        found = find_copy(facade, message.uid)
        if found is None:
            folder_id = default_calendar(facade)
            made = copies.attendee_copy(data, None, who)
            assert made is not None
            name = facade.put(folder_id, None, made).name
        else:
            folder_id, name = found.folder_id, found.item.name
            if b"STATUS:CANCELLED" in found.item.data:
                raise MeetingError("this meeting was cancelled")
            newer = copies.attendee_copy(data, found.item.data, who)
            if newer is None:
                raise MeetingError(
                    "the organizer has changed this meeting since; answer the newer invitation"
                )
            if newer != found.item.data:
                facade.put(folder_id, name, newer, if_match=found.item.etag)
    except ItipError as exc:
        raise MeetingError(str(exc)) from exc
    except PreconditionFailed as exc:
        raise MeetingError("the event was changed meanwhile; please try again") from exc
    except (NotFound, PermissionDenied, InvalidInput, AlreadyExists, QuotaExceeded) as exc:
        raise MeetingError(f"your calendar could not be updated: {exc}") from exc
    return send_answer(store, account, folder_id, name, partstat, origin=origin, now=now)
