"""The Ajax reader's meeting panel: what a scheduling message (iTIP in a text/calendar part) says, and the
answer to an invitation, as JSON over the Standard reader's own code.

Why a WebMail route and not JMAP: JMAP for Calendars (draft-ietf-jmap-calendars) answers an invitation
by changing the user's participant in a CalendarEvent (CalendarEvent/set with
``sendSchedulingMessages``), which presumes the event is already in a calendar and would be a second
way of answering beside ``mailflow.meetings.answering.answer``: that service starts from the message
(it files the event when the message came in before meetings were processed, refuses an invitation a
newer one replaced, or a cancelled meeting), and the Standard and Mobile readers use it. The panel
therefore reads the message through ``meeting_routes.invitation_for`` and answers through
``answering.answer``, exactly as ``POST /mail/folder/<id>/<uid>/meeting`` does; only the answer's shape
(JSON, the CSRF token in ``X-CSRFToken``) differs.

* ``meeting_json(stored)`` goes into the reader's ``/ajax/read/...`` answer (None when the message
  carries no scheduling message): method, title, times in the user's time zone (text, as the Standard
  panel writes them) and as UTC instants for the client's conflict check, place, organizer, attendees
  with their answers, and how the invitation stands for the user.
* ``POST /ajax/meeting/<folder>/<uid>`` with ``{"answer": "ACCEPTED" | "TENTATIVE" | "DECLINED"}``:
  200 ``{"notice", "meeting"}``; 400 for another answer; 404 for a message without calendar part (or
  not the user's to read); 409 ``{"error"}`` for what the service refuses (not invited, outdated,
  cancelled, the calendar could not be written).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import jsonify, request

from mailflow.meetings.itip import ANSWERS
from mailflow.meetings.sending import MeetingError
from webmail.ajax.blueprint import bp
from webmail.binding import user_mail
from webmail.meeting_routes import (
    answer_invitation,
    invitation_for,
    meeting_time,
    partstat_label,
    user_zone,
)
from webmail.reading import StoredMessage, open_message


def _instant(value: datetime | date | None) -> datetime | None:
    """A start or end as an aware instant: a floating time or a day is taken in the user's time zone."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=user_zone())
    return value.astimezone(UTC)


def _utc(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def meeting_json(stored: StoredMessage) -> dict[str, Any] | None:
    """What the Ajax meeting panel shows of ``stored`` (see the module notes), or None."""
    invitation = invitation_for(stored)
    if invitation is None:
        return None
    message = invitation.message
    first = message.first
    starts = _instant(first.start)
    ends = _instant(first.end)
    if starts is not None and (ends is None or ends <= starts):
        ends = starts + (timedelta(days=1) if not isinstance(first.start, datetime) else timedelta(hours=1))
    answerable = (
        message.method == "REQUEST"
        and invitation.attendee is not None
        and not invitation.cancelled
        and not invitation.outdated
    )
    answer = invitation.answer if invitation.answer and invitation.answer != "NEEDS-ACTION" else None
    return {
        "method": message.method,
        "uid": message.uid,
        "title": first.summary,
        "when": (
            meeting_time(first.start) + (f" – {meeting_time(first.end)}" if first.end else "")
            if first.start
            else ""
        ),
        "repeats": message.recurring,
        "starts": _utc(starts),
        "ends": _utc(ends),
        "location": first.location,
        "organizer": message.organizer_name or message.organizer,
        "attendees": [
            {"name": a.name or a.address, "answer": partstat_label(a.partstat)} for a in first.attendees
        ],
        "cancelled": invitation.cancelled,
        "outdated": invitation.outdated,
        "invited": invitation.attendee is not None,
        "answerable": answerable,
        "answer": partstat_label(answer) if answer else None,
    }


@bp.post("/meeting/<int:folder_id>/<int:uid>")
def meeting_answer(folder_id: int, uid: int) -> Any:
    """Accept, answer tentatively or decline the invitation the message carries (the module notes)."""
    stored = open_message(user_mail(), folder_id, uid)
    body = request.get_json(silent=True)
    partstat = str(body.get("answer", "")).upper() if isinstance(body, dict) else ""
    if partstat not in ANSWERS:
        return jsonify(error=f"answer is one of {', '.join(ANSWERS)}"), 400
    try:
        notice = answer_invitation(stored, partstat)
    except MeetingError as exc:
        return jsonify(error=str(exc)), 409
    return jsonify(notice=notice, meeting=meeting_json(stored))
