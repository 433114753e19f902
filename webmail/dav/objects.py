"""GET, HEAD, PUT and DELETE of single resources (RFC 4918 9.4/9.7/9.6, RFC 4791 5.3.2, RFC 6352 6.3.2).

Conditional requests (RFC 9110 13.1): ``If-Match`` with an ETag (or ``*``, "it must exist") and
``If-None-Match: *`` ("it must not exist") are handed to storage, which checks them inside the write
transaction and raises PreconditionFailed -> 412. Storage keeps the bytes exactly as put, so the ETag of
a PUT's answer is the ETag a following GET sees (RFC 4791 5.3.4).
GET of a collection gives all its items as one file (a VCALENDAR, or the vCards one after another).
DELETE of a collection deletes the folder (storage asks for "x"). Meetings are scheduled by the server
around PUT and DELETE (webmail/dav/scheduling.py).
"""

from __future__ import annotations

from flask import Response

from storage.errors import AlreadyExists, InvalidInput, NotFound, PreconditionFailed
from webmail.dav import scheduling
from webmail.dav.answers import DavError, empty
from webmail.dav.names import caldav, carddav
from webmail.dav.properties import CALENDAR_TYPE, VCARD_TYPE
from webmail.dav.tree import Request, href_target


def etag_header(etag: str) -> str:
    return f'"{etag}"'


def _etag_value(header: str | None) -> str | None:
    """The ETag of an If-Match header (first one; weak prefix and quotes removed), "*", or None."""
    if not header:
        return None
    first = header.split(",")[0].strip()
    if first == "*":
        return "*"
    if first.startswith("W/"):
        first = first[2:]
    return first.strip('"')


def get(req: Request) -> Response:
    t = req.target
    if t.kind == "collection":  # the whole collection as one file, as WebMail's export gives it
        col = req.target_collection()
        content_type = VCARD_TYPE if col.kind == "contacts" else CALENDAR_TYPE
        return Response(req.organizer.export_items(col.folder_id), 200, content_type=content_type)
    if t.kind != "item":
        raise DavError(405, "GET is answered for collections, calendar objects and contact cards")
    col = req.target_collection()
    item = req.organizer.get(col.folder_id, t.name)
    content_type = VCARD_TYPE if col.kind == "contacts" else CALENDAR_TYPE
    return Response(item.data, 200, {"ETag": etag_header(item.etag)}, content_type=content_type)


def put(req: Request) -> Response:
    t = req.target
    if t.kind != "item":
        raise DavError(405, "PUT creates or replaces a resource inside a calendar or address book")
    col = req.target_collection()
    if_match = _etag_value(req.headers.get("If-Match"))
    if_none_match = req.headers.get("If-None-Match", "").strip() == "*"
    if if_match == "*":
        try:
            req.organizer.get(col.folder_id, t.name)
        except NotFound:
            raise PreconditionFailed("If-Match: * but there is no such resource") from None
        if_match = None
    cards = col.kind == "contacts"
    meeting = not cards and scheduling.has_attendees(req.body)
    old: bytes | None = None
    if meeting:
        try:
            old = req.organizer.get(col.folder_id, t.name).data
        except NotFound:
            old = None
    try:
        ref = req.organizer.put(
            col.folder_id, t.name, req.body, if_match=if_match, if_none_match=if_none_match
        )
    except AlreadyExists as exc:
        raise DavError(
            403, str(exc), carddav("no-uid-conflict") if cards else caldav("no-uid-conflict")
        ) from None
    except InvalidInput as exc:
        condition = carddav("valid-address-data") if cards else caldav("valid-calendar-data")
        raise DavError(403, str(exc), condition) from None
    status = 204 if req.headers.get("If-Match") or old is not None else 201
    headers = {"ETag": etag_header(ref.etag)}
    sent = meeting and scheduling.after_put(req, col.folder_id, t.name, old, req.body)
    if sent and req.organizer.get(col.folder_id, t.name).etag != ref.etag:
        headers = {}  # sending changed the stored copy: the program fetches it again
    return empty(status, headers)


def delete(req: Request) -> Response:
    t = req.target
    if t.kind == "collection":
        col = req.target_collection()
        req.organizer.delete_collection(col.folder_id)
        return empty(204)
    if t.kind != "item":
        raise DavError(405, "only calendar objects, cards and collections can be deleted")
    col = req.target_collection()
    if_match = _etag_value(req.headers.get("If-Match"))
    if if_match == "*":
        if_match = None
    if col.kind != "contacts" and scheduling.before_delete(req, col.folder_id, t.name, if_match):
        if_match = None  # checked before the cancellation changed the stored copy
    req.organizer.delete(col.folder_id, t.name, if_match=if_match)
    return empty(204)


def move(req: Request) -> Response:
    """RFC 4918 9.9 for one item into another collection of the same home, under the same name (what a
    program does to move an event to another calendar). Overwrite: F is honoured; an item already there
    is refused (412 with Overwrite: F, else 403), as storage does not merge two items.
    """
    t = req.target
    if t.kind != "item":
        raise DavError(403, "only calendar objects and cards can be moved")
    col = req.target_collection()
    destination = href_target(req.headers.get("Destination", ""))
    if destination.kind != "item" or destination.address != req.me or destination.area != t.area:
        raise DavError(502, "the destination must be another collection of the same home")
    if destination.name != t.name:
        raise DavError(403, "an item keeps its name when it moves")
    target = req.collection(destination.area, destination.segment)
    if target.folder_id == col.folder_id:
        raise DavError(403, "the source and the destination are the same")
    try:
        ref = req.organizer.move(col.folder_id, t.name, target.folder_id)
    except AlreadyExists as exc:
        overwrite = req.headers.get("Overwrite", "T").strip().upper()
        raise DavError(412 if overwrite == "F" else 403, str(exc)) from None
    return empty(201, {"ETag": etag_header(ref.etag), "Location": req.item_url(target, t.name)})
