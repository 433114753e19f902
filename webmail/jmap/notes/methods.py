"""Notes and journal entries over JMAP (our capability ``urn:fieldpost:jmap:notes``): the VJOURNAL items
(RFC 5545 3.6.3) of the organizer's folders of kind "notes" and "journal", the same items the Standard
interface's notes and journal pages (webmail/journal_routes.py) and CalDAV clients read and write.

Two areas, one set of methods each, told apart by :class:`Area`:

* ``Notebook`` (a notes folder, ``n<folder>``) and ``Note`` (``v<key>``, as every organizer item:
  kept when a new ``notebookId`` moves it): ``id``, ``notebookId``, ``uid``, ``title``, ``body``, ``keywords``, ``updated``;
* ``Journal`` (a journal folder, ``j<folder>``) and ``JournalEntry``: the same with ``journalId`` and a
  ``date`` (``YYYY-MM-DD``, required), as the Standard journal asks.

Writing goes through webmail/journal_ical.py, the Standard pages' own conversion, so an entry written
here reads the same there and keeps, on a change, what neither shows (a client's X- lines, an
attachment). Ids, states, rights and refusals are the shared ones of webmail/jmap/organizer_items.py.

/query: filter conditions ``inNotebooks``/``inJournals`` (ids), ``text`` (every word in the title, body
or keywords, case and accents folded), and for the journal ``after``/``before`` (dates, ``after``
inclusive); sort by ``title``, ``updated`` (and ``date``); by default as the Standard lists: notes by
title, journal entries newest day first. No FilterOperator (``unsupportedFilter``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from storage.errors import InvalidInput
from storage.pim.index import resource_name
from storage.pim.models import Collection, Item
from storage.rights import Rights
from storage.usermail import UserMail
from webmail import item_fields, journal_ical
from webmail.jmap import limits
from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import ids
from webmail.jmap.calendars import state as st
from webmail.jmap.calendars.event_write import new_uid
from webmail.jmap.calendars.item_set import Refused, apply_patch
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.organizer_items import ItemKind
from webmail.jmap.registry import Args, Call, MethodError, method

NOTES = "urn:fieldpost:jmap:notes"
FOLDER_PROPERTIES = ("id", "name", "owner", "color", "sortOrder", "isDefault", "myRights")


@dataclass(frozen=True)
class Area:
    """Notes or the journal: the JMAP type names and the organizer kind behind them."""

    item_type: str  # "Note"
    folder_type: str  # "Notebook"
    kind: ItemKind
    dated: bool  # journal entries have a date

    @property
    def in_folders(self) -> str:
        """The /query condition naming folders ("inNotebooks")."""
        return f"in{self.folder_type}s"

    @property
    def properties(self) -> tuple[str, ...]:
        own = ("date",) if self.dated else ()
        return ("id", self.kind.folder_property, "uid", "title", "body", "keywords", *own, "updated")

    @property
    def writable(self) -> frozenset[str]:
        return frozenset(
            {self.kind.folder_property, "title", "body", "keywords"} | ({"date"} if self.dated else set())
        )

    @property
    def sortable(self) -> tuple[str, ...]:
        return ("title", "updated", "date") if self.dated else ("title", "updated")


NOTE = Area("Note", "Notebook", ItemKind("notes", "VJOURNAL", "n", "n", "notebookId", "notes"), dated=False)
ENTRY = Area(
    "JournalEntry",
    "Journal",
    ItemKind("journal", "VJOURNAL", "j", "j", "journalId", "journal entries"),
    dated=True,
)
AREAS = (NOTE, ENTRY)
SERVER_SET = frozenset({"id", "uid", "updated"})


def states_of(user: UserMail) -> dict[str, str]:
    """The states of the four types, for push (two index reads)."""
    out: dict[str, str] = {}
    for area in AREAS:
        folders = area.kind.folders(user)
        out[area.folder_type] = area.kind.folders_state(folders)
        out[area.item_type] = area.kind.state_prefix + st.event_state(folders)
    return out


def folder_rights(rights: Rights) -> dict[str, bool]:
    """What the user may do in a notes or journal folder, from storage's ACL letters: add needs "i",
    changing an item "i", "t" and "e" (a change replaces it), removing "t" and "e"."""
    return {
        "mayReadItems": "r" in rights,
        "mayAddItems": "i" in rights,
        "mayUpdateItems": "ite" in rights,
        "mayRemoveItems": "te" in rights,
        "mayShare": "a" in rights,
        "mayDelete": "x" in rights,
    }


def _folder_json(area: Area) -> Callable[[Collection, int, bool], Args]:
    def body(c: Collection, order: int, is_default: bool) -> Args:
        return {
            "id": area.kind.folder_id(c.folder_id),
            "name": c.display_name,
            "owner": c.owner,
            "color": c.color,
            "sortOrder": order,
            "isDefault": is_default,
            "myRights": folder_rights(c.rights),
        }

    return body


def _utc(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _object(area: Area, folder_id: int, item: Item) -> Args:
    """An item's JSON (``InvalidInput`` when its bytes hold no VJOURNAL)."""
    entry = journal_ical.from_ical(item.data)
    body: Args = {
        "id": ids.event_id(item.key),
        area.kind.folder_property: area.kind.folder_id(folder_id),
        "uid": item.item_uid,
        "title": entry.summary,
        "body": entry.description,
        "keywords": {c: True for c in entry.categories} or None,
        "updated": _utc(entry.modified),
    }
    if area.dated:
        body["date"] = entry.day.isoformat() if entry.day else None
    return body


# -- /get, /changes, /query ---------------------------------------------------------------------------


def _get(area: Area, call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, area.properties)
    state = area.kind.state(call.user)
    if asked.ids is None:
        readable = area.kind.readable(call, None, area.in_folders)
        every = _all(area, call, readable)
        std.refuse_get_all(len(every), "items", f"{area.item_type}/query")
        found = [{p: o.get(p) for p in asked.properties} for o in every]
        return {"accountId": call.account_id, "state": state, "list": found, "notFound": []}

    def body_of(item_id: str) -> Args | None:
        hit = area.kind.find(call.user, item_id)
        try:
            return _object(area, hit[0].folder_id, hit[1]) if hit else None
        except InvalidInput:
            return None

    return std.get_answer(call, asked, state, asked.ids, body_of)


def _all(area: Area, call: Call, folder_ids: list[int]) -> list[Args]:
    out = []
    for folder_id, item in area.kind.items_in(call.user, folder_ids):
        try:
            out.append(_object(area, folder_id, item))
        except InvalidInput:  # a client's item that holds no readable VJOURNAL is left out
            continue
    return out


def fold(text: str) -> str:
    """Case and accents folded, so "muller" finds "Müller" (as the Standard pages search)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _day(condition: Args, name: str) -> date | None:
    value = condition.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_day(name)
    except ValueError:
        return _bad_day(name)


def _bad_day(name: str) -> date:
    raise std.invalid("filter", f"{name} is a date, YYYY-MM-DD")


def _matches(area: Area, condition: Args) -> Callable[[Args], bool]:
    text = condition.get("text")
    if text is not None and not isinstance(text, str):
        raise std.invalid("filter", "text is a string")
    words = fold(text or "").split()
    after = _day(condition, "after") if area.dated else None
    before = _day(condition, "before") if area.dated else None

    def test(o: Args) -> bool:
        haystack = fold(" ".join([o["title"], o["body"], *(o["keywords"] or {})]))
        if not all(w in haystack for w in words):
            return False
        day = o.get("date") or ""
        if after is not None and (not day or day < after.isoformat()):
            return False
        return before is None or bool(day and day < before.isoformat())

    return test


def _sorted(area: Area, found: list[Args], sort: list[std.Comparator]) -> list[Args]:
    if not sort:
        if area.dated:
            return sorted(
                found, key=lambda o: (o["date"] or "", o["title"].casefold(), o["id"]), reverse=True
            )
        return sorted(found, key=lambda o: (o["title"].casefold(), o["id"]))
    out = sorted(found, key=lambda o: o["id"])
    for comparator in reversed(sort):  # stable sorts, the last comparator first
        prop = comparator.property
        out.sort(
            key=lambda o: (o[prop] or "").casefold() if prop == "title" else (o[prop] or ""),
            reverse=not comparator.is_ascending,
        )
    return out


def _query(area: Area, call: Call, args: Args) -> Args:
    q = std.query_args(call, args, area.sortable)
    condition: Args = q.filter or {}
    known = {area.in_folders, "text"} | ({"after", "before"} if area.dated else set())
    if "operator" in condition or set(condition) - known:
        raise MethodError("unsupportedFilter", f"the conditions are {', '.join(sorted(known))}")
    folders = area.kind.readable(call, condition.get(area.in_folders), area.in_folders)
    test = _matches(area, condition)
    found = [o["id"] for o in _sorted(area, [o for o in _all(area, call, folders) if test(o)], q.sort)]
    # a page a client can /get in one call
    return std.query_answer(call, q, found, area.kind.state(call.user), limits.MAX_OBJECTS_IN_GET)


# -- /set ---------------------------------------------------------------------------------------------


def _invalid(prop: str, description: str) -> Refused:
    return Refused(std.set_error("invalidProperties", description, properties=[prop]))


def _entry(area: Area, body: Args, before: Args | None) -> journal_ical.EntryFields:
    """The entry a created object or a patched one describes, as the Standard form would store it.

    Raises:
        Refused: invalidProperties naming the first wrong property.
    """
    unknown = sorted(set(body) - area.writable - SERVER_SET)
    if unknown:
        raise _invalid(unknown[0], "unknown or read-only property")
    for prop in sorted(SERVER_SET & set(body)):
        if before is None or body[prop] != before.get(prop):
            raise _invalid(prop, "is set by the server")
    title = body.get("title")
    if not isinstance(title, str) or not " ".join(title.split()):
        raise _invalid("title", "a title is required")
    if len(" ".join(title.split())) > item_fields.LINE_CHARS:
        raise _invalid("title", f"at most {item_fields.LINE_CHARS} characters")
    text = body.get("body") or ""
    if not isinstance(text, str):
        raise _invalid("body", "is a string")
    if len(text) > item_fields.TEXT_CHARS:
        raise _invalid("body", f"at most {item_fields.TEXT_CHARS} characters")
    words = body.get("keywords") or {}
    if (
        not isinstance(words, dict)
        or len(words) > item_fields.MAX_CATEGORIES
        or not all(isinstance(k, str) and k.strip() and x is True for k, x in words.items())
        or any("," in k or len(k) > item_fields.LINE_CHARS for k in words)
    ):
        raise _invalid(
            "keywords", f"maps at most {item_fields.MAX_CATEGORIES} words (without commas) to true"
        )
    day = None
    if area.dated:
        value = body.get("date")
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise _invalid("date", "a journal entry needs a date, YYYY-MM-DD")
    errors = item_fields.FieldErrors()
    return journal_ical.EntryFields(
        summary=item_fields.line(title, "title", errors),
        description=item_fields.text_block(text, "body", errors),
        categories=tuple(" ".join(k.split()) for k in words),
        day=day,
    )


def _create(area: Area, call: Call, body: Args) -> Args:
    folder_id = area.kind.target(call, body.get(area.kind.folder_property))
    entry = _entry(area, {k: x for k, x in body.items() if k != area.kind.folder_property}, None)
    uid = new_uid()
    name = resource_name(uid, "VJOURNAL")
    made = area.kind.store_new(call, folder_id, name, journal_ical.to_ical(entry, uid=uid))
    return {"id": made, "uid": uid}


def _update(area: Area, call: Call, item_id: str, patch: Args) -> None:
    hit = area.kind.find(call.user, item_id)
    if hit is None:
        raise Refused(std.set_error("notFound"))
    ref, item = hit
    target = area.kind.new_folder(call, ref, patch)
    try:
        before = _object(area, ref.folder_id, item)
    except InvalidInput:
        raise Refused(std.set_error("notFound", "the stored item cannot be read")) from None
    changed = apply_patch(before, {k: x for k, x in patch.items() if k != area.kind.folder_property})
    changed.pop(area.kind.folder_property, None)
    entry = _entry(area, changed, before)
    if not area.dated:
        entry = replace(entry, day=None)  # a note's own DTSTART (a client's) stays as it is
    data = journal_ical.to_ical(entry, previous=item.data)
    if data != item.data:
        area.kind.replace(call, ref, item, data)
    if target is not None:
        area.kind.move(call, ref, target)  # the id stays (storage keeps the item's key)


def _set(area: Area, call: Call, args: Args) -> Args:
    asked = std.set_args(call, args)
    old_state = area.kind.state(call.user)
    check_state(asked.if_in_state, old_state)
    return std.apply_set(
        call,
        asked,
        old_state,
        lambda: area.kind.state(call.user),
        lambda body: _create(area, call, body),
        lambda item_id, patch: _update(area, call, item_id, patch),
        lambda item_id: area.kind.destroy(call, item_id),
    )


def _register(area: Area) -> None:
    def handler(run: Callable[[Area, Call, Args], Args]) -> Callable[[Call, Args], Args]:
        return lambda call, args: run(area, call, args)

    kind = area.kind
    method(f"{area.folder_type}/get", NOTES, std.GET_ARGUMENTS)(
        lambda call, args: kind.folder_get(call, args, FOLDER_PROPERTIES, _folder_json(area))
    )
    method(f"{area.folder_type}/changes", NOTES, std.CHANGES_ARGUMENTS)(kind.folder_changes)
    method(f"{area.item_type}/get", NOTES, std.GET_ARGUMENTS)(handler(_get))
    method(f"{area.item_type}/changes", NOTES, std.CHANGES_ARGUMENTS)(kind.changes)
    method(f"{area.item_type}/query", NOTES, std.QUERY_ARGUMENTS)(handler(_query))
    method(f"{area.item_type}/set", NOTES, std.SET_ARGUMENTS)(handler(_set))


for _area in AREAS:
    _register(_area)
