"""MKCALENDAR (RFC 4791 5.3.1) and extended MKCOL (RFC 5689; RFC 6352 6.3.1) in the user's own homes.

The new collection is a folder of the user's mailbox at the path the segment names (``:`` for ``/``);
its kind follows the request: an address book under /addressbooks/, else a calendar, or a tasks or
journal folder when the supported component set asks for VTODO or VJOURNAL alone. The display name and
colour given in the body are stored at once; other properties are refused (403, nothing made).
"""

from __future__ import annotations

from flask import Response

from storage.errors import AlreadyExists
from webmail.dav import paths
from webmail.dav.answers import DavError, empty
from webmail.dav.names import CALENDAR_COLOR, DISPLAYNAME, WRITABLE_PROPERTIES, caldav, carddav, dav
from webmail.dav.tree import Request
from webmail.dav.xml_requests import MakeCollection, parse_make_collection

KIND_OF_COMPONENTS: dict[tuple[str, ...], str] = {("VTODO",): "tasks", ("VJOURNAL",): "journal"}


def mkcalendar(req: Request) -> Response:
    return _make(req, parse_make_collection(req.body, calendar=True))


def mkcol(req: Request) -> Response:
    return _make(req, parse_make_collection(req.body, calendar=False))


def kind_for(area: str, body: MakeCollection) -> str:
    """The folder kind a new collection gets.

    Raises:
        DavError: the resource type does not belong in this home.
    """
    if area == "addressbooks":
        if body.resourcetypes and carddav("addressbook") not in body.resourcetypes:
            raise DavError(403, "only address books can be made here", dav("valid-resourcetype"))
        return "contacts"
    if body.resourcetypes and caldav("calendar") not in body.resourcetypes:
        raise DavError(403, "only calendars can be made here", dav("valid-resourcetype"))
    return KIND_OF_COMPONENTS.get(tuple(sorted(set(body.components))), "calendar")


def _make(req: Request, body: MakeCollection) -> Response:
    t = req.target
    if t.kind != "collection" or not req.owns_target():
        raise DavError(
            403, "collections can be made only directly inside your own calendar or address book home"
        )
    kind = kind_for(t.area, body)
    refused = [name for name, _ in body.sets if name not in WRITABLE_PROPERTIES]
    if refused:
        raise DavError(403, "cannot set " + ", ".join(refused) + " on a new collection")
    values = dict(body.sets)
    if any(seg == t.segment for seg, _ in req.collections(t.area)):
        raise DavError(405, "a collection already exists there", dav("resource-must-be-null"))
    try:
        made = req.organizer.create_collection(
            paths.folder_path(t.segment), kind, values.get(DISPLAYNAME) or None
        )
    except AlreadyExists:
        raise DavError(405, "a collection already exists there", dav("resource-must-be-null")) from None
    if values.get(CALENDAR_COLOR):
        req.organizer.update_collection(made.folder_id, color=values[CALENDAR_COLOR])
    return empty(201, {"Location": req.collection_url(made)})
