"""ContactCard/get and ContactCard/changes (RFC 9610 3.1, 3.2): cards read through the organizer.

A card is read only from an address book the user may read ("r"); any other id, or one of a card that
is gone, is ``notFound``. Without ``ids`` every readable card is returned, up to maxObjectsInGet
(``requestTooLarge`` past it: a client pages with ContactCard/query).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.pim import Item
from webmail.jmap import limits
from webmail.jmap import standard_methods as std
from webmail.jmap.contacts import jscontact
from webmail.jmap.contacts import state as st
from webmail.jmap.contacts.address_book import CONTACTS
from webmail.jmap.registry import Args, Call, MethodError, method

PROPERTIES = ("id", "addressBookIds", *jscontact.PROPERTIES)


def resolve(call: Call, ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """(folder id, resource name) of each id that names a card of a readable address book."""
    out: dict[str, tuple[int, str]] = {}
    hashed: dict[int, dict[str, str]] = {}
    for card_id in ids:
        key = st.parse_card_id(card_id)
        if key is None:
            continue
        if key.name is not None:
            out[card_id] = (key.folder_id, key.name)
        elif key.hashed is not None:
            hashed.setdefault(key.folder_id, {})[key.hashed] = card_id
    for folder_id, wanted in hashed.items():
        try:
            names = [ref.name for ref in call.user.organizer.items(folder_id)]
        except (NotFound, PermissionDenied, InvalidInput):
            continue
        for name in names:
            digest = st.name_hash(name)
            if digest in wanted:
                out[wanted[digest]] = (folder_id, name)
    return out


def load(call: Call, ids: Iterable[str]) -> dict[str, Item]:
    """The stored cards of ``ids`` that exist and may be read, by id."""
    where = resolve(call, ids)
    by_folder: dict[int, dict[str, str]] = {}
    for card_id, (folder_id, name) in where.items():
        by_folder.setdefault(folder_id, {})[name] = card_id
    out: dict[str, Item] = {}
    for folder_id, names in by_folder.items():
        try:
            items = call.user.organizer.get_many(folder_id, names)
        except (NotFound, PermissionDenied, InvalidInput):
            continue
        for item in items:
            if item.component == "VCARD":
                out[names[item.name]] = item
    return out


#: JSContact of the cards read lately, by (ETag, UID): a card's bytes never change under its ETag, and
#: parsing a vCard costs about a millisecond, which a query that sorts or filters on the cards' text
#: would pay for every card on every keystroke. Bounded; the oldest entries go first.
PARSED_CACHE = 5000
_parsed: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_parsed_lock = threading.Lock()


def _jscontact(item: Item) -> dict[str, Any]:
    key = (item.etag, item.item_uid)
    with _parsed_lock:
        found = _parsed.get(key)
        if found is not None:
            _parsed.move_to_end(key)
            return found
    try:
        body = jscontact.card_from_vcard(item.data, item.item_uid)
    except InvalidInput:
        body = {"@type": "Card", "version": "1.0", "uid": item.item_uid, "kind": "individual"}
    with _parsed_lock:
        _parsed[key] = body
        while len(_parsed) > PARSED_CACHE:
            _parsed.popitem(last=False)
    return body


def card_object(card_id: str, folder_id: int, item: Item) -> dict[str, Any]:
    """The whole ContactCard of a stored card (a card whose bytes no longer parse shows its UID only).
    The nested values are shared with the cache: callers copy before changing them (card_set does)."""
    return {"id": card_id, "addressBookIds": {st.book_id(folder_id): True}, **_jscontact(item)}


@method("ContactCard/get", CONTACTS)
def card_get(call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, PROPERTIES)
    books = st.readable_books(call.user)
    if asked.ids is None:
        rows = call.user.organizer.card_rows(b.folder_id for b in books)
        if len(rows) > limits.MAX_OBJECTS_IN_GET:
            raise MethodError("requestTooLarge", "too many cards: ask for ids (ContactCard/query)")
        wanted = [st.card_id(r.folder_id, r.name) for r in rows]
    else:
        wanted = list(dict.fromkeys(asked.ids))
    items = load(call, wanted)
    found, missing = [], []
    for card_id in wanted:
        item = items.get(card_id)
        key = st.parse_card_id(card_id)
        if item is None or key is None:
            missing.append(card_id)
            continue
        whole = card_object(card_id, key.folder_id, item)
        found.append({p: whole[p] for p in asked.properties if p in whole})
    return {"accountId": call.account_id, "state": st.card_state(books), "list": found, "notFound": missing}


@method("ContactCard/changes", CONTACTS)
def card_changes(call: Call, args: Args) -> Args:
    asked = std.changes_args(call, args)
    old = st.parse_card_state(asked.since_state)
    if old is None:
        raise MethodError("cannotCalculateChanges", "not a state of this server")
    books = st.readable_books(call.user)
    now = {b.folder_id: st.point(b) for b in books}
    if any(f not in now or now[f].uidvalidity != p.uidvalidity for f, p in old.items()):
        raise MethodError("cannotCalculateChanges", "an address book is gone or was made again")
    organizer = call.user.organizer
    created: list[str] = []
    updated: list[str] = []
    destroyed: list[str] = []
    reached = dict(old)  # the state the answer reaches, folder by folder
    more = False
    for folder_id in sorted(now):
        since = old.get(folder_id)
        if since is not None and since.modseq == now[folder_id].modseq:
            continue
        new: list[str]
        changed: list[str]
        gone: list[str]
        if since is None:
            names = [ref.name for ref in organizer.items(folder_id)]
            new, changed, gone = names, [], []
        else:
            sync = organizer.sync(folder_id, f"{since.uidvalidity}-{since.modseq}")
            names = [ref.name for ref in sync.changed]
            replaced = organizer.expunged_since(folder_id, since.modseq)
            new, changed, gone = ([], names, sync.removed) if replaced else (names, [], sync.removed)
        count = len(new) + len(changed) + len(gone)
        total = len(created) + len(updated) + len(destroyed)
        if asked.max_changes is not None and total + count > asked.max_changes:
            if total == 0:
                raise MethodError("cannotCalculateChanges", "one address book changed more than maxChanges")
            more = True
            break
        created += [st.card_id(folder_id, n) for n in new]
        updated += [st.card_id(folder_id, n) for n in changed]
        destroyed += [st.card_id(folder_id, n) for n in gone]
        reached[folder_id] = now[folder_id]
    new_state = st.card_state(books) if not more else st.format_card_state(reached)
    return {
        "accountId": call.account_id,
        "oldState": asked.since_state,
        "newState": new_state,
        "hasMoreChanges": more,
        "created": created,
        "updated": updated,
        "destroyed": destroyed,
    }
