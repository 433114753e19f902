"""The properties of every resource of the DAV tree, computed on demand from storage's answers.

Each resource kind has a table from property name to a function making its value, so PROPFIND's
``prop``, ``allprop`` and ``propname`` and every REPORT's ``prop`` are answered from one place. The
privileges (RFC 3744 5.4) come from the user's storage rights on the folder:

=========================  =============================================================
RFC 3744 / 4791 privilege   storage right letters (storage/acl.py)
=========================  =============================================================
DAV:read                    r
CALDAV:read-free-busy       r (a calendar one may read)
DAV:bind                    i (add items)
DAV:unbind                  t and e (delete items)
DAV:write-content           i, t and e (replacing an item expunges and appends)
DAV:write-properties        x (display name and colour, as renaming the folder)
DAV:read-acl, write-acl     a
=========================  =============================================================

DAV:write is listed when all four write privileges are held, DAV:all when everything is.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from storage.pim.models import Collection, Item, ItemRef
from storage.rights import Rights
from webmail.dav import paths
from webmail.dav.expand import expand
from webmail.dav.names import CALDAV, CARDDAV, apple, caldav, calserver, carddav, dav
from webmail.dav.tree import Request
from webmail.dav.xml_requests import PropRequest
from webmail.dav.xml_responses import empty, href, hrefs, prop, response

CALENDAR_TYPE = "text/calendar; charset=utf-8"
VCARD_TYPE = "text/vcard; charset=utf-8"
COMPONENTS = {
    "calendar": ("VEVENT", "VTODO"),
    "tasks": ("VTODO",),
    "notes": ("VJOURNAL",),
    "journal": ("VJOURNAL",),
}
CALENDAR_REPORTS = (
    caldav("calendar-query"),
    caldav("calendar-multiget"),
    caldav("free-busy-query"),
    dav("sync-collection"),
)
CARD_REPORTS = (carddav("addressbook-query"), carddav("addressbook-multiget"), dav("sync-collection"))
#: Not part of allprop (RFC 4791 9.6, RFC 6352 10.4, RFC 4918 9.1: expensive or data, not metadata).
NOT_IN_ALLPROP = frozenset(
    {
        caldav("calendar-data"),
        carddav("address-data"),
        dav("current-user-privilege-set"),
        dav("supported-report-set"),
    }
)


@dataclass
class Resource:
    """One resource to describe: ``kind`` as paths.Target's, its URL, and the storage object behind it."""

    kind: str
    url: str
    collection: Collection | None = None
    item: Item | ItemRef | None = None


Getter = Callable[[Request, Resource, PropRequest], ET.Element]


def sync_token(token: str) -> str:
    """RFC 6578 wants a URI: storage's opaque token (a collection's ctag is one) in a URN of our own."""
    return f"urn:x-fieldpost:sync:{token}"


def token_of(uri: str) -> str | None:
    """Storage's token from a client's sync-token URI; None when it is not one of ours."""
    prefix = "urn:x-fieldpost:sync:"
    return uri[len(prefix) :] if uri.startswith(prefix) else None


def privileges(rights: Rights) -> list[str]:
    found = []
    if "r" in rights:
        found += [dav("read"), caldav("read-free-busy")]
    writes = []
    if "i" in rights:
        writes.append(dav("bind"))
    if "te" in rights:
        writes.append(dav("unbind"))
    if "ite" in rights:
        writes.append(dav("write-content"))
    if "x" in rights:
        writes.append(dav("write-properties"))
    found += writes
    if len(writes) == 4:
        found.append(dav("write"))
    if "a" in rights:
        found += [dav("read-acl"), dav("write-acl")]
    found.append(dav("read-current-user-privilege-set"))
    if "r" in rights and len(writes) == 4 and "a" in rights:
        found.append(dav("all"))
    return found


def privilege_set(names: list[str]) -> ET.Element:
    return prop(
        dav("current-user-privilege-set"),
        children=[prop(dav("privilege"), children=[empty(n)]) for n in names],
    )


def _reports(names: tuple[str, ...]) -> ET.Element:
    return prop(
        dav("supported-report-set"),
        children=[
            prop(dav("supported-report"), children=[prop(dav("report"), children=[empty(n)])]) for n in names
        ],
    )


def _principal_props(req: Request) -> dict[str, Callable[[], ET.Element]]:
    me = req.me
    return {
        dav("displayname"): lambda: prop(dav("displayname"), req.account.display_name or me),
        dav("principal-URL"): lambda: prop(dav("principal-URL"), children=[href(paths.principal(me))]),
        caldav("calendar-home-set"): lambda: prop(
            caldav("calendar-home-set"), children=[href(paths.home("calendars", me))]
        ),
        carddav("addressbook-home-set"): lambda: prop(
            carddav("addressbook-home-set"), children=[href(paths.home("addressbooks", me))]
        ),
        caldav("calendar-user-address-set"): lambda: hrefs(
            caldav("calendar-user-address-set"), [f"mailto:{me}"]
        ),
        caldav("calendar-user-type"): lambda: prop(caldav("calendar-user-type"), "INDIVIDUAL"),
        caldav("schedule-outbox-URL"): lambda: prop(
            caldav("schedule-outbox-URL"), children=[href(paths.outbox(me))]
        ),
        caldav("schedule-inbox-URL"): lambda: prop(
            caldav("schedule-inbox-URL"), children=[href(paths.inbox(me))]
        ),
        dav("group-membership"): lambda: prop(dav("group-membership")),
        dav("alternate-URI-set"): lambda: prop(dav("alternate-URI-set")),
    }


def _common(req: Request, res: Resource) -> dict[str, Callable[[], ET.Element]]:
    me = req.me
    return {
        dav("current-user-principal"): lambda: prop(
            dav("current-user-principal"), children=[href(paths.principal(me))]
        ),
        dav("principal-collection-set"): lambda: hrefs(
            dav("principal-collection-set"), [f"{paths.ROOT}principals/"]
        ),
        dav("owner"): lambda: prop(dav("owner"), children=[href(_owner_url(req, res))]),
    }


def _owner_url(req: Request, res: Resource) -> str:
    owner = res.collection.owner if res.collection is not None else req.me
    return paths.principal(owner)


def _collection_props(req: Request, res: Resource, asked: PropRequest) -> dict[str, Callable[[], ET.Element]]:
    col = res.collection
    assert col is not None
    calendar = col.kind != "contacts"
    types = [empty(dav("collection")), empty(caldav("calendar") if calendar else carddav("addressbook"))]
    values: dict[str, Callable[[], ET.Element]] = {
        dav("resourcetype"): lambda: prop(dav("resourcetype"), children=types),
        dav("displayname"): lambda: prop(dav("displayname"), col.display_name),
        calserver("getctag"): lambda: prop(calserver("getctag"), col.ctag),
        dav("sync-token"): lambda: prop(dav("sync-token"), sync_token(col.ctag)),
        dav("current-user-privilege-set"): lambda: privilege_set(privileges(col.rights)),
        dav("supported-report-set"): lambda: _reports(CALENDAR_REPORTS if calendar else CARD_REPORTS),
        dav("getcontenttype"): lambda: prop(dav("getcontenttype"), "httpd/unix-directory"),
    }
    if calendar:
        values[apple("calendar-color")] = lambda: prop(apple("calendar-color"), col.color or "")
        values[caldav("supported-calendar-component-set")] = lambda: prop(
            caldav("supported-calendar-component-set"),
            children=[_comp(name) for name in COMPONENTS.get(col.kind, ("VEVENT",))],
        )
        values[caldav("supported-calendar-data")] = lambda: prop(
            caldav("supported-calendar-data"),
            children=[_data_type(caldav("calendar-data"), "text/calendar", "2.0")],
        )
        values[caldav("supported-collation-set")] = lambda: prop(
            caldav("supported-collation-set"),
            children=[
                prop(caldav("supported-collation"), c)
                for c in ("i;ascii-casemap", "i;octet", "i;unicode-casemap")
            ],
        )
        values[caldav("schedule-calendar-transp")] = lambda: prop(
            caldav("schedule-calendar-transp"), children=[empty(caldav("opaque"))]
        )
    else:
        values[carddav("supported-address-data")] = lambda: prop(
            carddav("supported-address-data"),
            children=[
                _data_type(carddav("address-data-type"), "text/vcard", "3.0"),
                _data_type(carddav("address-data-type"), "text/vcard", "4.0"),
            ],
        )
    return values


def _comp(name: str) -> ET.Element:
    element = ET.Element(caldav("comp"))
    element.set("name", name)
    return element


def _data_type(tag: str, content_type: str, version: str) -> ET.Element:
    element = ET.Element(tag)
    element.set("content-type", content_type)
    element.set("version", version)
    return element


def _item_props(req: Request, res: Resource, asked: PropRequest) -> dict[str, Callable[[], ET.Element]]:
    col, item = res.collection, res.item
    assert col is not None and item is not None
    calendar = col.kind != "contacts"

    def data() -> bytes:
        full = item if isinstance(item, Item) else req.organizer.get(col.folder_id, item.name)
        return full.data

    def calendar_data() -> ET.Element:
        raw = data()
        if asked.expand is not None and asked.expand.start is not None and asked.expand.end is not None:
            raw = expand(raw, asked.expand.start, asked.expand.end)
        return prop(caldav("calendar-data"), raw.decode("utf-8", "replace"))

    values: dict[str, Callable[[], ET.Element]] = {
        dav("resourcetype"): lambda: prop(dav("resourcetype")),
        dav("getetag"): lambda: prop(dav("getetag"), f'"{item.etag}"'),
        dav("getcontenttype"): lambda: prop(dav("getcontenttype"), CALENDAR_TYPE if calendar else VCARD_TYPE),
        dav("current-user-privilege-set"): lambda: privilege_set(privileges(col.rights)),
    }
    if isinstance(item, Item):
        values[dav("getcontentlength")] = lambda: prop(dav("getcontentlength"), str(len(item.data)))
    if calendar:
        values[caldav("calendar-data")] = calendar_data
    else:
        values[carddav("address-data")] = lambda: prop(
            carddav("address-data"), data().decode("utf-8", "replace")
        )
    return values


def _plain_collection(
    req: Request, res: Resource, extra: list[ET.Element]
) -> dict[str, Callable[[], ET.Element]]:
    return {
        dav("resourcetype"): lambda: prop(dav("resourcetype"), children=[empty(dav("collection")), *extra]),
        dav("current-user-privilege-set"): lambda: privilege_set(
            [dav("read"), dav("read-current-user-privilege-set")]
            + ([dav("bind"), dav("unbind")] if res.kind == "home" else [])
            + ([caldav("schedule-send"), caldav("schedule-send-freebusy")] if res.kind == "outbox" else [])
        ),
    }


def table(req: Request, res: Resource, asked: PropRequest) -> dict[str, Callable[[], ET.Element]]:
    """Every property this resource has, name -> value maker."""
    values = _common(req, res)
    if res.kind in ("collection",):
        values.update(_collection_props(req, res, asked))
    elif res.kind == "item":
        values.update(_item_props(req, res, asked))
    elif res.kind == "principal":
        values.update(_plain_collection(req, res, [empty(dav("principal"))]))
        values.update(_principal_props(req))
    elif res.kind == "outbox":
        values.update(_plain_collection(req, res, [empty(caldav("schedule-outbox"))]))
    elif res.kind == "inbox":
        values.update(_plain_collection(req, res, [empty(caldav("schedule-inbox"))]))
    else:  # root, principals, home
        values.update(_plain_collection(req, res, []))
        if res.kind == "home":
            values[dav("displayname")] = lambda: prop(dav("displayname"), req.me)
            values[dav("supported-report-set")] = lambda: _reports(())
    return values


def describe(req: Request, res: Resource, asked: PropRequest) -> ET.Element:
    """The DAV:response for one resource and one property request."""
    values = table(req, res, asked)
    if asked.mode == "propname":
        return response(res.url, [empty(n) for n in values])
    if asked.mode == "allprop":
        return response(res.url, [make() for name, make in values.items() if name not in NOT_IN_ALLPROP])
    found, missing = [], []
    for name in asked.names:
        make = values.get(name)
        if make is None:
            missing.append(name)
        else:
            found.append(make())
    return response(res.url, found, {404: missing})


__all__ = ["CALDAV", "CARDDAV", "Resource", "describe", "privileges", "sync_token", "token_of"]
