"""PROPFIND (RFC 4918 9.1) and PROPPATCH (RFC 4918 9.2) over the DAV tree.

Depth 0 and 1 only: Depth infinity (or no Depth header, which means infinity) is refused with 403 and
DAV:propfind-finite-depth, as RFC 4918 9.1 allows -- a client walks the tree one level at a time.
Only another user's tree is off limits (404); shared folders appear inside the signed-in user's own homes.
"""

from __future__ import annotations

from flask import Response

from storage.errors import NotFound, PermissionDenied
from webmail.dav import paths
from webmail.dav.answers import DavError, xml
from webmail.dav.names import CALENDAR_COLOR, DISPLAYNAME, WRITABLE_PROPERTIES, dav
from webmail.dav.properties import Resource, describe
from webmail.dav.tree import Request
from webmail.dav.xml_requests import parse_propfind, parse_proppatch
from webmail.dav.xml_responses import empty, multistatus, response


def resources(req: Request) -> list[Resource]:
    """The resource the path names and, at Depth 1, its members.

    Raises:
        NotFound: nothing there for this user.
    """
    t = req.target
    deep = req.depth == "1"
    if t.kind == "root":
        return [Resource("root", paths.ROOT)]
    if t.kind == "principals":
        found = [Resource("principals", f"{paths.ROOT}principals/")]
        return found + ([Resource("principal", paths.principal(req.me))] if deep else [])
    if not req.owns_target():
        raise NotFound("no such resource")
    if t.kind == "principal":
        return [Resource("principal", paths.principal(req.me))]
    if t.kind in ("outbox", "inbox"):
        url = paths.outbox(req.me) if t.kind == "outbox" else paths.inbox(req.me)
        return [Resource(t.kind, url)]
    if t.kind == "home":
        found = [Resource("home", paths.home(t.area, req.me))]
        if deep:
            found += [Resource("collection", req.collection_url(c), c) for _, c in req.collections(t.area)]
        return found
    if t.kind == "collection":
        col = req.target_collection()
        found = [Resource("collection", req.collection_url(col), col)]
        if deep:
            try:
                refs = req.organizer.items(col.folder_id)
            except PermissionDenied:
                refs = []  # "l" without "r": the collection shows, its contents do not
            found += [Resource("item", req.item_url(col, r.name), col, r) for r in refs]
        return found
    if t.kind == "item":
        col = req.target_collection()
        item = req.organizer.get(col.folder_id, t.name)
        return [Resource("item", req.item_url(col, item.name), col, item)]
    raise NotFound("no such resource")


def propfind(req: Request) -> Response:
    """RFC 4918 9.1."""
    if req.depth not in ("0", "1"):
        raise DavError(403, "Depth must be 0 or 1", dav("propfind-finite-depth"))
    asked = parse_propfind(req.body)
    return xml(multistatus(describe(req, res, asked) for res in resources(req)))


def proppatch(req: Request) -> Response:
    """RFC 4918 9.2: display name and colour of a collection; all or nothing (others fail with 424)."""
    if req.target.kind != "collection":
        raise DavError(
            403,
            "only a collection's display name and colour can be changed",
            dav("cannot-modify-protected-property"),
        )
    col = req.target_collection()
    patch = parse_proppatch(req.body)
    changes: dict[str, str] = {}
    for name, text in patch.sets:
        changes[name] = text
    for name in patch.removes:
        changes[name] = ""
    refused = [name for name in changes if name not in WRITABLE_PROPERTIES]
    if refused:
        ok = [name for name in changes if name in WRITABLE_PROPERTIES]
        body = multistatus([response(req.collection_url(col), failed={403: refused, 424: ok})])
        return xml(body)
    req.organizer.update_collection(
        col.folder_id,
        display_name=changes.get(DISPLAYNAME),
        color=changes.get(CALENDAR_COLOR),
    )
    return xml(multistatus([response(req.collection_url(col), [empty(n) for n in changes])]))
