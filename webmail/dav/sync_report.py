"""sync-collection (RFC 6578): what changed in a collection since the client's token.

The token is storage's (``<UIDVALIDITY>-<MODSEQ>``) inside a URN of ours (webmail/dav/properties.py);
an empty token asks for everything. A token that is not ours, or one storage no longer answers (the
folder was made again), gets 403 with DAV:valid-sync-token, and the client starts over. Collections
have no member collections, so sync-level "infinite" answers what "1" does. ``limit`` is not honoured
with truncation: every change is returned (RFC 6578 3.7 lets a server answer in full).
"""

from __future__ import annotations

from flask import Response

from storage.errors import InvalidInput
from storage.pim.models import Item
from webmail.dav.answers import DavError, xml
from webmail.dav.names import caldav, carddav, dav
from webmail.dav.properties import Resource, describe, sync_token, token_of
from webmail.dav.tree import Request
from webmail.dav.xml_requests import SyncCollection
from webmail.dav.xml_responses import multistatus, status_response


def sync_collection(req: Request, body: SyncCollection) -> Response:
    col = req.target_collection()
    if body.level not in ("1", "infinite", "infinity"):
        raise DavError(400, "sync-level must be 1 or infinite")
    token = token_of(body.token) if body.token else ""
    if token is None:
        raise DavError(403, "that sync token is not one of this server's", dav("valid-sync-token"))
    try:
        result = req.organizer.sync(col.folder_id, token or None)
    except InvalidInput:
        raise DavError(
            403, "the sync token is no longer valid; sync again from the start", dav("valid-sync-token")
        ) from None
    wants_data = any(n in (caldav("calendar-data"), carddav("address-data")) for n in body.props.names)
    items: dict[str, Item] = {}
    if wants_data:
        items = {i.name: i for i in req.organizer.get_many(col.folder_id, [r.name for r in result.changed])}
    answers = []
    for ref in result.changed:
        resource = Resource("item", req.item_url(col, ref.name), col, items.get(ref.name, ref))
        answers.append(describe(req, resource, body.props))
    answers += [status_response(req.item_url(col, name), 404) for name in result.removed]
    return xml(multistatus(answers, sync_token=sync_token(result.token)))
