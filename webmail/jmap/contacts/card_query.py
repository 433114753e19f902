"""ContactCard/query (RFC 9610 3.3): the ids of the readable cards that match a filter, sorted.

Conditions (RFC 9610 3.3.1) answered from the index alone (no card opened): ``inAddressBook``, ``uid``,
``text`` and ``name`` (the card's full name; ``text`` also its e-mail addresses) and ``email``. Those
that need the card's text -- ``kind``, ``hasMember``, ``name/given``, ``name/surname``, ``organization``,
``phone``, ``note`` -- parse the cards of the readable address books once per query. Words are folded as
everywhere (case and accents dropped: storage.list_keys.fold) and each must occur. AND, OR and NOT
operators nest. Any other condition is ``unsupportedFilter``.

Sort: by full name when no comparator is given (then address book, then resource name); ``name/given``,
``name/surname`` and ``updated`` on request. ``created`` is not kept by vCard 3.0 and is refused
(``unsupportedSort``). The query state is the ContactCard state; /queryChanges is not offered
(``canCalculateChanges`` false), a client re-runs the query when the state moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storage.list_keys import fold
from storage.pim.card_index import CardRow
from webmail.jmap import standard_methods as std
from webmail.jmap.contacts import card_get
from webmail.jmap.contacts import state as st
from webmail.jmap.contacts.address_book import CONTACTS
from webmail.jmap.registry import Args, Call, MethodError, method

SORTABLE = ("name/given", "name/surname", "updated")
INDEX_CONDITIONS = frozenset({"inAddressBook", "uid", "text", "name", "email"})
PARSED_CONDITIONS = frozenset(
    {"kind", "hasMember", "name/given", "name/surname", "organization", "phone", "note"}
)


@dataclass
class Candidate:
    row: CardRow
    id: str
    order: int  # the address book's place in the user's list
    card: dict[str, Any] = field(default_factory=dict)  # the JSContact, when a condition or sort needed it


def _needs_cards(filter_: Any) -> bool:
    if not isinstance(filter_, dict):
        return False
    if "operator" in filter_:
        return any(_needs_cards(c) for c in filter_.get("conditions") or [])
    return any(k in PARSED_CONDITIONS for k in filter_)


def _words(value: Any, name: str) -> list[str]:
    if not isinstance(value, str):
        raise std.invalid("filter", f"{name} must be a string")
    return fold(value).split()


def _has_all(words: list[str], haystack: str) -> bool:
    return all(w in haystack for w in words)


def _components(card: dict[str, Any], kind: str) -> str:
    comps = (card.get("name") or {}).get("components") or []
    return " ".join(c.get("value", "") for c in comps if c.get("kind") == kind)


def _values(card: dict[str, Any], prop: str, key: str) -> str:
    return " ".join(str(v.get(key, "")) for v in (card.get(prop) or {}).values())


def _condition(name: str, value: Any) -> Callable[[Candidate], bool]:
    """A test for one condition of a FilterCondition (all of them must hold)."""
    if name in ("inAddressBook", "uid", "hasMember", "kind") and not isinstance(value, str):
        raise std.invalid("filter", f"{name} is a string")
    if name == "inAddressBook":
        folder = st.parse_book_id(value)
        return lambda c: folder == c.row.folder_id
    if name == "uid":
        return lambda c: c.row.item_uid == value
    if name == "hasMember":
        return lambda c: value in (c.card.get("members") or {})
    if name == "kind":
        return lambda c: c.card.get("kind") == value
    words = _words(value, name)
    getters: dict[str, Callable[[Candidate], str]] = {
        "text": lambda c: c.row.summary + " " + " ".join(c.row.emails),
        "name": lambda c: c.row.summary,
        "email": lambda c: " ".join(c.row.emails),
        "name/given": lambda c: _components(c.card, "given"),
        "name/surname": lambda c: _components(c.card, "surname"),
        "organization": lambda c: " ".join(
            " ".join([o.get("name", ""), *(u.get("name", "") for u in o.get("units", []))])
            for o in (c.card.get("organizations") or {}).values()
        ),
        "phone": lambda c: _values(c.card, "phones", "number"),
        "note": lambda c: _values(c.card, "notes", "note"),
    }
    get = getters[name]
    return lambda c: _has_all(words, fold(get(c)))


def matcher(filter_: Any) -> Callable[[Candidate], bool]:
    """The test a FilterOperator or FilterCondition (RFC 8620 5.5) stands for."""
    if filter_ is None:
        return lambda c: True
    if not isinstance(filter_, dict):
        raise std.invalid("filter", "must be an object")
    if "operator" in filter_:
        op, conditions = filter_.get("operator"), filter_.get("conditions")
        if op not in ("AND", "OR", "NOT") or not isinstance(conditions, list):
            raise MethodError("unsupportedFilter", "an operator is AND, OR or NOT with a conditions list")
        tests = [matcher(c) for c in conditions]
        if op == "AND":
            return lambda c: all(t(c) for t in tests)
        if op == "OR":
            return lambda c: any(t(c) for t in tests)
        return lambda c: not any(t(c) for t in tests)
    unknown = sorted(set(filter_) - INDEX_CONDITIONS - PARSED_CONDITIONS)
    if unknown:
        raise MethodError("unsupportedFilter", f"cannot filter by {', '.join(unknown)}")
    tests = [_condition(k, v) for k, v in filter_.items()]
    return lambda c: all(t(c) for t in tests)


def _sort_key(comparator: std.Comparator) -> Callable[[Candidate], str]:
    if comparator.property == "updated":
        return lambda c: str(c.card.get("updated") or "")
    kind = "given" if comparator.property == "name/given" else "surname"
    return lambda c: fold(_components(c.card, kind))


@method("ContactCard/query", CONTACTS)
def card_query(call: Call, args: Args) -> Args:
    q = std.query_args(call, args, SORTABLE)
    test = matcher(q.filter)
    books = st.readable_books(call.user)
    order = {b.folder_id: i for i, b in enumerate(books)}
    rows = call.user.organizer.card_rows(b.folder_id for b in books)
    candidates = [Candidate(r, st.card_id(r.folder_id, r.name), order[r.folder_id]) for r in rows]
    if _needs_cards(q.filter) or q.sort:
        items = card_get.load(call, [c.id for c in candidates])
        for c in candidates:
            item = items.get(c.id)
            if item is not None:
                c.card = card_get.card_object(c.id, c.row.folder_id, item)
    hits = [c for c in candidates if test(c)]
    hits.sort(key=lambda c: (fold(c.row.summary), c.order, c.row.name))
    for comparator in reversed(q.sort):  # stable sorts: the first comparator decides last
        hits.sort(key=_sort_key(comparator), reverse=not comparator.is_ascending)
    ids = [c.id for c in hits]
    return std.query_answer(call, q, ids, st.card_state(books))
