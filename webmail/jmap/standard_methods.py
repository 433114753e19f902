"""Argument checks shared by the standard methods (RFC 8620 5.1-5.6): /get, /changes, /set, /query and
/queryChanges, so every data type refuses the same bad input with the same error.

How a data type uses them (``webmail/jmap/mail/*.py``)::

    from webmail.jmap import standard_methods as std

    @method("Mailbox/get", MAIL)
    def mailbox_get(call: Call, args: Args) -> Args:
        asked = std.get_args(call, args, PROPERTIES)      # accountId checked, ids resolved, properties
        ...                                               # read asked.ids (None = all) through call.user
        return {"accountId": call.account_id, "state": ..., "list": [...], "notFound": [...]}

    @method("Email/query", MAIL)
    def email_query(call: Call, args: Args) -> Args:
        q = std.query_args(call, args, SORTABLE)          # position/anchor/limit/sort checked
        all_ids = ...                                     # the whole sorted result, or a big enough slice
        position, page = std.window(all_ids, q)           # anchor/position/limit applied per RFC 5.5
        return {"accountId": call.account_id, "queryState": ..., "canCalculateChanges": True,
                "position": position, "ids": page, **({"total": len(all_ids)} if q.calculate_total else {})}

Each helper checks ``accountId`` first (``accountNotFound``), then raises ``MethodError`` with the RFC's
type: ``invalidArguments`` (naming the argument in ``arguments``), ``requestTooLarge`` (more than
``maxObjectsInGet``/``maxObjectsInSet``), ``unsupportedSort``, ``anchorNotFound``. Ids given as
``#creationId`` (a record created earlier in the same request) are replaced by the created id
(:func:`resolve_id`); one not created answers ``notFound`` for that id (get) or as an unknown id (set).
Filters are the data type's own business (its conditions are type-specific): ``QueryArgs.filter`` is
passed through as given, checked only to be an object or null.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from webmail.jmap import limits
from webmail.jmap.registry import Args, Call, MethodError

MAX_INT = 2**53 - 1  # RFC 8620 1.3: Int is -2^53+1 .. 2^53-1


def invalid(argument: str, description: str) -> MethodError:
    return MethodError("invalidArguments", f"{argument}: {description}", arguments=[argument])


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT


def unsigned(args: Args, name: str, default: int | None = None) -> int | None:
    value = args.get(name, default)
    if value is None:
        return None
    if not is_int(value) or value < 0:
        raise invalid(name, "must be a non-negative integer")
    return int(value)


def boolean(args: Args, name: str, default: bool = False) -> bool:
    value = args.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(name, "must be true or false")
    return value


def string_or_null(args: Args, name: str) -> str | None:
    value = args.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(name, "must be a string or null")
    return value


def resolve_id(call: Call, value: str) -> str:
    """``#creationId`` -> the id created for it earlier in this request (RFC 8620 5.3); any other id as
    given. An unknown creation id is returned unchanged, so it is simply not found."""
    if value.startswith("#"):
        return call.created_ids.get(value[1:], value)
    return value


def id_list(call: Call, args: Args, name: str, most: int) -> list[str] | None:
    """An ``Id[]|null`` argument with creation ids resolved; ``requestTooLarge`` past ``most``."""
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(name, "must be an array of ids or null")
    if len(value) > most:
        raise MethodError("requestTooLarge", f"at most {most} ids in {name}")
    return [resolve_id(call, v) for v in value]


@dataclass(frozen=True)
class GetArgs:
    ids: list[str] | None  # None: every record (the type may refuse with requestTooLarge)
    properties: list[str]  # what to return; "id" always included


def get_args(call: Call, args: Args, known: Iterable[str], default: Iterable[str] | None = None) -> GetArgs:
    """/get (RFC 8620 5.1): ``ids`` (at most maxObjectsInGet) and ``properties`` (each one of ``known``;
    null means ``default``, or all of ``known``)."""
    call.account(args)
    found = id_list(call, args, "ids", limits.MAX_OBJECTS_IN_GET)
    known_set = list(known)
    properties = args.get("properties")
    if properties is None:
        chosen = list(default) if default is not None else known_set
    else:
        if not isinstance(properties, list) or not all(isinstance(p, str) for p in properties):
            raise invalid("properties", "must be an array of property names or null")
        unknown = sorted(set(properties) - set(known_set))
        if unknown:
            raise invalid("properties", f"unknown properties {', '.join(unknown)}")
        chosen = list(dict.fromkeys(properties))
    if "id" not in chosen:
        chosen.insert(0, "id")
    return GetArgs(found, chosen)


def get_answer(
    call: Call, asked: GetArgs, state: str, wanted: Iterable[str], body_of: Callable[[str], Args | None]
) -> Args:
    """The /get answer (RFC 8620 5.1) for the ids ``wanted``, each once, in the order given: an id whose
    ``body_of(id)`` is None is in ``notFound``; any other is listed under the id the client asked (an
    instance id, not its series') with just the asked properties (null for those the object lacks).
    The organizer item types (CalendarEvent, Task, Note, JournalEntry) answer through it, so their /get
    loops cannot drift apart."""
    found: list[Args] = []
    missing: list[str] = []
    for item_id in dict.fromkeys(wanted):
        body = body_of(item_id)
        if body is None:
            missing.append(item_id)
            continue
        body["id"] = item_id
        found.append({p: body.get(p) for p in asked.properties})
    return {"accountId": call.account_id, "state": state, "list": found, "notFound": missing}


def refuse_get_all(count: int, what: str, query_method: str) -> None:
    """A /get with ``ids: null`` over ``count`` objects (RFC 8620 5.1: the server may refuse more than
    maxObjectsInGet); the description names the /query method to page with instead.

    Raises:
        MethodError: requestTooLarge when ``count`` is above maxObjectsInGet.
    """
    if count > limits.MAX_OBJECTS_IN_GET:
        raise MethodError("requestTooLarge", f"too many {what}: ask for ids ({query_method})")


@dataclass(frozen=True)
class ChangesArgs:
    since_state: str
    max_changes: int | None


def changes_args(call: Call, args: Args) -> ChangesArgs:
    """/changes (RFC 8620 5.2): ``sinceState`` (a string) and ``maxChanges`` (positive, or null)."""
    call.account(args)
    since = args.get("sinceState")
    if not isinstance(since, str):
        raise invalid("sinceState", "must be a state string")
    most = unsigned(args, "maxChanges")
    if most == 0:
        raise invalid("maxChanges", "must be greater than 0")
    return ChangesArgs(since, most)


@dataclass(frozen=True)
class SetArgs:
    if_in_state: str | None
    create: dict[str, Args] = field(default_factory=dict)  # creation id -> object
    update: dict[str, Args] = field(default_factory=dict)  # id (creation ids resolved) -> PatchObject
    destroy: list[str] = field(default_factory=list)  # ids, creation ids resolved


def set_args(call: Call, args: Args) -> SetArgs:
    """/set (RFC 8620 5.3): shapes of ``ifInState``, ``create``, ``update``, ``destroy``; at most
    maxObjectsInSet operations in all (``requestTooLarge``). Checking each object is the type's job."""
    call.account(args)
    state = string_or_null(args, "ifInState")
    create = args.get("create") or {}
    update = args.get("update") or {}
    destroy = args.get("destroy") or []
    if not isinstance(create, dict) or not all(isinstance(v, dict) for v in create.values()):
        raise invalid("create", "must map creation ids to objects")
    if not isinstance(update, dict) or not all(isinstance(v, dict) for v in update.values()):
        raise invalid("update", "must map ids to patch objects")
    if not isinstance(destroy, list) or not all(isinstance(v, str) for v in destroy):
        raise invalid("destroy", "must be an array of ids")
    if len(create) + len(update) + len(destroy) > limits.MAX_OBJECTS_IN_SET:
        raise MethodError("requestTooLarge", f"at most {limits.MAX_OBJECTS_IN_SET} objects in one /set")
    return SetArgs(
        state,
        dict(create),
        {resolve_id(call, k): v for k, v in update.items()},
        [resolve_id(call, v) for v in destroy],
    )


def set_error(type_: str, description: str | None = None, **extra: Any) -> Args:
    """A SetError (RFC 8620 5.3) for ``notCreated``/``notUpdated``/``notDestroyed``."""
    body: Args = {"type": type_, **extra}
    if description:
        body["description"] = description
    return body


class SetRefused(Exception):
    """One object of a /set refused; ``error`` is its SetError. Each type's refusals derive from it so
    that :func:`apply_set` files them under ``notCreated``/``notUpdated``/``notDestroyed``."""

    error: Args


def apply_set(
    call: Call,
    asked: SetArgs,
    old_state: str,
    new_state: Callable[[], str],
    create: Callable[[Args], dict[str, Any]],
    update: Callable[[str, Args], Args | None],
    destroy: Callable[[str], None],
) -> Args:
    """Run a /set's creations, then updates, then destroys (RFC 8620 5.3 orders them so), each object on
    its own: one refused object does not stop the others. ``create`` returns the created object's
    server-set properties including ``id``, which later calls of the request may reference; ``update``
    returns None or the server-set properties that changed (RFC 8620 5.3 ``updated``)."""
    created: dict[str, Any] = {}
    not_created: dict[str, Any] = {}
    for creation_id, body in asked.create.items():
        try:
            made = create(body)
        except SetRefused as exc:
            not_created[creation_id] = exc.error
            continue
        call.created_ids[creation_id] = made["id"]
        created[creation_id] = made
    updated: dict[str, Any] = {}
    not_updated: dict[str, Any] = {}
    for object_id, patch in asked.update.items():
        try:
            changed = update(object_id, patch)
        except SetRefused as exc:
            not_updated[object_id] = exc.error
            continue
        updated[object_id] = changed
    destroyed: list[str] = []
    not_destroyed: dict[str, Any] = {}
    for object_id in asked.destroy:
        try:
            destroy(object_id)
        except SetRefused as exc:
            not_destroyed[object_id] = exc.error
            continue
        destroyed.append(object_id)
    return {
        "accountId": call.account_id,
        "oldState": old_state,
        "newState": new_state(),
        "created": created or None,
        "updated": updated or None,
        "destroyed": destroyed or None,
        "notCreated": not_created or None,
        "notUpdated": not_updated or None,
        "notDestroyed": not_destroyed or None,
    }


@dataclass(frozen=True)
class Comparator:
    property: str
    is_ascending: bool = True
    collation: str | None = None
    extra: Args = field(default_factory=dict)  # other members (e.g. RFC 8621's "keyword")


@dataclass(frozen=True)
class QueryArgs:
    filter: Args | None
    sort: list[Comparator]
    position: int = 0
    anchor: str | None = None
    anchor_offset: int = 0
    limit: int | None = None
    calculate_total: bool = False
    extra: Args = field(default_factory=dict)  # the type's own arguments (e.g. collapseThreads)


def _comparators(value: Any, sortable: Iterable[str]) -> list[Comparator]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("sort", "must be an array of comparators or null")
    allowed = set(sortable)
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("property"), str):
            raise invalid("sort", "each comparator is an object with a 'property'")
        ascending = item.get("isAscending", True)
        collation = item.get("collation")
        if not isinstance(ascending, bool):
            raise invalid("sort", "isAscending must be true or false")
        if collation is not None and collation not in limits.COLLATION_ALGORITHMS:
            raise MethodError("unsupportedSort", f"collation {collation!r} is not supported")
        if item["property"] not in allowed:
            raise MethodError("unsupportedSort", f"cannot sort by {item['property']!r}")
        rest = {k: v for k, v in item.items() if k not in ("property", "isAscending", "collation")}
        out.append(Comparator(item["property"], ascending, collation, rest))
    return out


QUERY_ARGUMENTS = frozenset(
    {"accountId", "filter", "sort", "position", "anchor", "anchorOffset", "limit", "calculateTotal"}
)
# The arguments of the other standard methods (RFC 8620 5.1-5.6), for ``registry.method(arguments=...)``.
GET_ARGUMENTS = frozenset({"accountId", "ids", "properties"})
CHANGES_ARGUMENTS = frozenset({"accountId", "sinceState", "maxChanges"})
SET_ARGUMENTS = frozenset({"accountId", "ifInState", "create", "update", "destroy"})
QUERY_CHANGES_ARGUMENTS = frozenset(
    {"accountId", "filter", "sort", "sinceQueryState", "maxChanges", "upToId", "calculateTotal"}
)
#: RFC 8621 4.2's extra Email/get (and 4.9 Email/parse) arguments
BODY_ARGUMENTS = frozenset(
    {
        "bodyProperties",
        "fetchTextBodyValues",
        "fetchHTMLBodyValues",
        "fetchAllBodyValues",
        "maxBodyValueBytes",
    }
)


def query_args(call: Call, args: Args, sortable: Iterable[str]) -> QueryArgs:
    """/query (RFC 8620 5.5): ``filter`` (object or null), ``sort`` (properties in ``sortable``),
    ``position``, ``anchor``, ``anchorOffset``, ``limit``, ``calculateTotal``."""
    call.account(args)
    filter_ = args.get("filter")
    if filter_ is not None and not isinstance(filter_, dict):
        raise invalid("filter", "must be a filter object or null")
    position = args.get("position", 0)
    if position is None:
        position = 0
    if not is_int(position):
        raise invalid("position", "must be an integer")
    offset = args.get("anchorOffset", 0)
    if offset is None:
        offset = 0
    if not is_int(offset):
        raise invalid("anchorOffset", "must be an integer")
    return QueryArgs(
        filter=filter_,
        sort=_comparators(args.get("sort"), sortable),
        position=int(position),
        anchor=string_or_null(args, "anchor"),
        anchor_offset=int(offset),
        limit=unsigned(args, "limit"),
        calculate_total=boolean(args, "calculateTotal"),
        extra={k: v for k, v in args.items() if k not in QUERY_ARGUMENTS},
    )


def window(ids: Sequence[str], q: QueryArgs) -> tuple[int, list[str]]:
    """(position, ids) of the page ``q`` asks for out of the whole sorted result ``ids`` (RFC 8620 5.5):
    an ``anchor`` wins over ``position`` (``anchorNotFound`` when absent; the start is the anchor's
    index plus ``anchorOffset``, clamped at 0); a negative position counts from the end (clamped at 0);
    ``limit`` caps the count (the server may also cap it: pass a smaller limit in ``q``)."""
    total = len(ids)
    if q.anchor is not None:
        try:
            start = list(ids).index(q.anchor) + q.anchor_offset
        except ValueError:
            raise MethodError("anchorNotFound", "the anchor is not in the results") from None
        start = max(start, 0)
    else:
        start = q.position if q.position >= 0 else max(total + q.position, 0)
    if start >= total:
        return (start if q.anchor is None else total), []
    end = total if q.limit is None else min(total, start + q.limit)
    return start, list(ids[start:end])


#: ids per /query answer at most, whatever ``limit`` asks (RFC 8620 5.5: the server may cap it and then
#: says the limit it used). Email/query's page is the same size; a client pages with position or anchor.
MAX_QUERY_LIMIT = 1000


def capped(q: QueryArgs, most: int | None = None) -> tuple[QueryArgs, Args]:
    """``q`` with its ``limit`` capped at ``most`` (MAX_QUERY_LIMIT by default; an absent limit too), and
    what the answer adds for it: ``{"limit": most}`` when the server's cap, not the client's, decides the
    page (RFC 8620 5.5)."""
    most = MAX_QUERY_LIMIT if most is None else most
    if q.limit is not None and q.limit <= most:
        return q, {}
    return replace(q, limit=most), {"limit": most}


def query_answer(
    call: Call, q: QueryArgs, ids: Sequence[str], query_state: str, most: int | None = None
) -> Args:
    """The /query answer (RFC 8620 5.5) for the whole sorted result ``ids``: the page ``q`` asks for,
    capped at ``most`` (``capped``), with ``total`` when asked; for queries that cannot calculate
    changes (each type with /queryChanges builds its own answer)."""
    page_args, used = capped(q, most)
    position, page = window(ids, page_args)
    answer: Args = {
        "accountId": call.account_id,
        "queryState": query_state,
        "canCalculateChanges": False,
        "position": position,
        "ids": page,
        **used,
    }
    if q.calculate_total:
        answer["total"] = len(ids)
    return answer


@dataclass(frozen=True)
class QueryChangesArgs:
    filter: Args | None
    sort: list[Comparator]
    since_query_state: str
    max_changes: int | None
    up_to_id: str | None
    calculate_total: bool


def query_changes_args(call: Call, args: Args, sortable: Iterable[str]) -> QueryChangesArgs:
    """/queryChanges (RFC 8620 5.6): the query's ``filter``/``sort`` and ``sinceQueryState``,
    ``maxChanges``, ``upToId``, ``calculateTotal``."""
    call.account(args)
    since = args.get("sinceQueryState")
    if not isinstance(since, str):
        raise invalid("sinceQueryState", "must be a query state string")
    filter_ = args.get("filter")
    if filter_ is not None and not isinstance(filter_, dict):
        raise invalid("filter", "must be a filter object or null")
    most = unsigned(args, "maxChanges")
    if most == 0:
        raise invalid("maxChanges", "must be greater than 0")
    return QueryChangesArgs(
        filter=filter_,
        sort=_comparators(args.get("sort"), sortable),
        since_query_state=since,
        max_changes=most,
        up_to_id=string_or_null(args, "upToId"),
        calculate_total=boolean(args, "calculateTotal"),
    )
