"""REPORT (RFC 3253 3.6): the reports we answer, by the body's root element.

An unknown report gets 403 with DAV:supported-report (RFC 3253 3.6); each collection lists the ones it
answers in DAV:supported-report-set. Query reports search the collection's members whatever the Depth
header says (clients send 1; a Depth 0 query on a collection would match nothing by the letter of
RFC 4791 7.8, which helps nobody).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from webmail.dav.answers import DavError
from webmail.dav.calendar_reports import calendar_query, free_busy_query, multiget
from webmail.dav.card_reports import addressbook_query
from webmail.dav.names import caldav, carddav, dav
from webmail.dav.sync_report import sync_collection
from webmail.dav.tree import Request
from webmail.dav.xml_requests import parse_report

REPORTS: dict[str, Callable[[Request, Any], Response]] = {
    caldav("calendar-query"): calendar_query,  # RFC 4791 7.8
    caldav("calendar-multiget"): multiget,  # RFC 4791 7.9
    caldav("free-busy-query"): free_busy_query,  # RFC 4791 7.10
    carddav("addressbook-query"): addressbook_query,  # RFC 6352 8.6
    carddav("addressbook-multiget"): multiget,  # RFC 6352 8.7
    dav("sync-collection"): sync_collection,  # RFC 6578 3.2
}


def report(req: Request) -> Response:
    parsed = parse_report(req.body)
    handler = REPORTS.get(parsed.name)
    if handler is None or parsed.body is None:
        raise DavError(403, f"the report {parsed.name} is not supported here", dav("supported-report"))
    if req.target.kind not in ("collection", "item"):
        raise DavError(403, "reports are answered on calendars and address books", dav("supported-report"))
    return handler(req, parsed.body)
