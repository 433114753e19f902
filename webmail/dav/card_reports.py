"""addressbook-query (RFC 6352 8.6) on an address book; multiget is shared with calendars.

Every card of the collection is read and tested (webmail/dav/card_filter.py). With a ``limit`` the
answer stops at that many cards and, when more matched, carries a 507 response for the collection
itself, as RFC 6352 8.6.1 describes for truncated results.
"""

from __future__ import annotations

from flask import Response

from webmail.dav.answers import DavError, xml
from webmail.dav.calendar_filter import UnsupportedCollation
from webmail.dav.card_filter import matches
from webmail.dav.names import carddav, dav
from webmail.dav.properties import Resource, describe
from webmail.dav.tree import Request
from webmail.dav.xml_requests import AddressbookQuery
from webmail.dav.xml_responses import multistatus, status_response


def addressbook_query(req: Request, body: AddressbookQuery) -> Response:
    col = req.target_collection()
    if col.kind != "contacts":
        raise DavError(403, "addressbook-query is for address books", dav("supported-report"))
    items = req.organizer.get_many(col.folder_id, [r.name for r in req.organizer.items(col.folder_id)])
    try:
        found = [i for i in items if matches(i.data, body)]
    except UnsupportedCollation as exc:
        raise DavError(403, f"collation {exc} is not supported", carddav("supported-collation")) from None
    answers = []
    truncated = body.limit is not None and len(found) > body.limit
    if body.limit is not None:
        found = found[: body.limit]
    for item in found:
        answers.append(describe(req, Resource("item", req.item_url(col, item.name), col, item), body.props))
    if truncated:
        answers.append(status_response(req.collection_url(col), 507))
    return xml(multistatus(answers))
