"""POST to the scheduling outbox: the CalDAV scheduling busy-time request (RFC 6638).

A client asks for attendees' busy time by posting an iTIP VFREEBUSY REQUEST (RFC 5546 3.3.2) to the
signed-in user's outbox; the answer is a CALDAV:schedule-response with one CALDAV:response per attendee:
its request status and, on success, a VFREEBUSY REPLY. Storage decides who may see whose busy time
(``organizer.free_busy``: one's own, or "read free/busy" granted by the owner). Invitations themselves
are not sent through the outbox: the organizer's server sends iMIP mail (RFC 6047) when an event with
attendees is saved, so the schedule inbox stays empty.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from flask import Response

from storage.errors import InvalidInput, NotFound, PermissionDenied
from webmail.dav.answers import DavError, xml
from webmail.dav.busy import merge, render_vfreebusy
from webmail.dav.calendar_filter import moment, parse_calendar
from webmail.dav.names import caldav
from webmail.dav.tree import Request
from webmail.dav.xml_responses import href, prop, serialise

SUCCESS = "2.0;Success"
UNKNOWN_USER = "3.7;Invalid calendar user"
NO_AUTHORITY = "3.8;No authority"
MAX_ATTENDEES = 100


def post(req: Request) -> Response:
    if req.target.kind != "outbox" or not req.owns_target():
        raise DavError(405, "POST is answered on your scheduling outbox only")
    calendar = parse_calendar(req.body)
    if calendar is None or str(calendar.get("METHOD", "")).upper() != "REQUEST":
        raise DavError(
            400, "post an iCalendar VFREEBUSY request (METHOD:REQUEST)", caldav("valid-calendar-data")
        )
    request = next((c for c in calendar.subcomponents if c.name == "VFREEBUSY"), None)
    if request is None:
        raise DavError(400, "the request holds no VFREEBUSY", caldav("valid-calendar-data"))
    start, end = moment(request, "DTSTART"), moment(request, "DTEND")
    if start is None or end is None or end <= start:
        raise DavError(400, "the VFREEBUSY needs DTSTART before DTEND", caldav("valid-calendar-data"))
    attendees = request.get("ATTENDEE") or []
    attendees = attendees if isinstance(attendees, list) else [attendees]
    if not attendees or len(attendees) > MAX_ATTENDEES:
        raise DavError(400, f"name 1 to {MAX_ATTENDEES} attendees")
    root = ET.Element(caldav("schedule-response"))
    for attendee in attendees:
        uid = str(request.get("UID", "")) or None
        root.append(_answer(req, str(attendee), start, end, uid))
    return xml(serialise(root), 200)


def _answer(req: Request, attendee: str, start: datetime, end: datetime, uid: str | None) -> ET.Element:
    address = attendee[7:] if attendee.lower().startswith("mailto:") else attendee
    out = ET.Element(caldav("response"))
    out.append(prop(caldav("recipient"), children=[href(attendee)]))
    try:
        periods = req.organizer.free_busy(address, start, end)
    except (NotFound, InvalidInput):
        out.append(prop(caldav("request-status"), UNKNOWN_USER))
        return out
    except PermissionDenied:
        out.append(prop(caldav("request-status"), NO_AUTHORITY))
        return out
    extra = {"ORGANIZER": f"mailto:{req.me}", "ATTENDEE": attendee}
    data = render_vfreebusy(merge(periods, start, end), start, end, method="REPLY", extra=extra, uid=uid)
    out.append(prop(caldav("request-status"), SUCCESS))
    out.append(prop(caldav("calendar-data"), data.decode("utf-8")))
    return out
