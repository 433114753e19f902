"""calendar-query (RFC 4791 7.8), calendar-multiget (7.9) and free-busy-query (7.10) on a calendar.

calendar-query narrows candidates through storage before reading any item: a VEVENT time range goes
through ``organizer.names_in_range`` (an index range read; one-off events decided by the index, only
recurring ones expanded, to their first instance in the range), whatever the number of events it
finds. Everything else lists the collection, and so does a range of more than ten years. Each
candidate is then read and tested exactly (webmail/dav/calendar_filter.py), unless the
filter was only that time range. Multiget takes at most ``MAX_MULTIGET_HREFS`` hrefs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Response

from storage.pim.models import Collection, Item
from webmail.dav import limits
from webmail.dav.answers import DavError, xml
from webmail.dav.busy import busy_periods, render_vfreebusy
from webmail.dav.calendar_filter import UnsupportedCollation, matches, parse_calendar
from webmail.dav.names import caldav, dav
from webmail.dav.properties import Resource, describe
from webmail.dav.tree import Request, href_target
from webmail.dav.xml_requests import CalendarQuery, CompFilter, FreeBusyQuery, Multiget, PropRequest
from webmail.dav.xml_responses import multistatus, status_response

#: Ranges storage's range read answers (it refuses more than ten years); a longer range is answered by
#: reading every item.
MAX_INDEXED_RANGE = timedelta(days=3650)


def _range_only(flt: CompFilter) -> tuple[datetime, datetime] | None:
    """The [start, end) of a filter that is exactly VCALENDAR > VEVENT with a closed time range."""
    if flt.prop_filters or flt.time_range or len(flt.comp_filters) != 1:
        return None
    event = flt.comp_filters[0]
    tr = event.time_range
    if event.name != "VEVENT" or event.is_not_defined or tr is None or tr.start is None or tr.end is None:
        return None
    return tr.start, tr.end


def _event_range(flt: CompFilter) -> tuple[datetime, datetime] | None:
    """A closed VEVENT time range anywhere at the second level: candidates can be narrowed by it."""
    for child in flt.comp_filters:
        tr = child.time_range
        if child.name == "VEVENT" and not child.is_not_defined and tr is not None and tr.start and tr.end:
            return tr.start, tr.end
    return None


def query_items(req: Request, col: Collection, flt: CompFilter) -> list[Item]:
    """The items of ``col`` matching a calendar-query filter."""
    organizer, fid = req.organizer, col.folder_id
    window = _event_range(flt)
    if window is not None and window[1] - window[0] <= MAX_INDEXED_RANGE:
        items = organizer.get_many(fid, organizer.names_in_range(fid, window[0], window[1]))
        if _range_only(flt) is not None:
            return items
    else:
        items = organizer.get_many(fid, [r.name for r in organizer.items(fid)])
    found = []
    try:
        for item in items:
            calendar = parse_calendar(item.data)
            if calendar is not None and matches(calendar, flt):
                found.append(item)
    except UnsupportedCollation as exc:
        raise DavError(403, f"collation {exc} is not supported", caldav("supported-collation")) from None
    return found


def _describe_items(
    req: Request, col: Collection, items: Iterable[Item], asked: PropRequest
) -> list[ET.Element]:
    return [describe(req, Resource("item", req.item_url(col, i.name), col, i), asked) for i in items]


def calendar_query(req: Request, body: CalendarQuery) -> Response:
    col = _calendar(req)
    items = query_items(req, col, body.filter)
    return xml(multistatus(_describe_items(req, col, items, body.props)))


def multiget(req: Request, body: Multiget) -> Response:
    """calendar-multiget and addressbook-multiget: hrefs inside the request's collection."""
    col = req.target_collection()
    if len(body.hrefs) > limits.MAX_MULTIGET_HREFS:
        raise DavError(
            403,
            f"at most {limits.MAX_MULTIGET_HREFS} hrefs per multiget",
            dav("number-of-matches-within-limits"),
        )
    wanted: dict[str, str] = {}
    answers = []
    for href in body.hrefs:
        t = href_target(href)
        if (
            t.kind != "item"
            or t.address != req.me
            or t.area != req.target.area
            or t.segment != req.target.segment
        ):
            answers.append(status_response(href, 404))
            continue
        wanted[t.name] = href
    items = {i.name: i for i in req.organizer.get_many(col.folder_id, list(wanted))}
    for name, href in wanted.items():
        item = items.get(name)
        if item is None:
            answers.append(status_response(href, 404))
        else:
            answers.append(describe(req, Resource("item", req.item_url(col, name), col, item), body.props))
    return xml(multistatus(answers))


def free_busy_query(req: Request, body: FreeBusyQuery) -> Response:
    """RFC 4791 7.10: one VFREEBUSY for the collection's busy time in the range (200, not 207)."""
    col = _calendar(req)
    tr = body.time_range
    if tr.start is None or tr.end is None:
        raise DavError(400, "free-busy-query needs a time range with a start and an end")
    periods = busy_periods(req, col, tr.start, tr.end)
    data = render_vfreebusy(periods, tr.start, tr.end)
    return Response(data, 200, content_type="text/calendar; charset=utf-8")


def _calendar(req: Request) -> Collection:
    col = req.target_collection()
    if col.kind == "contacts":
        raise DavError(403, "that report is for calendars", dav("supported-report"))
    return col
