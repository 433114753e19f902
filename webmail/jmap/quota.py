"""JMAP Quotas (RFC 9425): Quota/get, /changes, /query, /queryChanges over the account's mailbox quota.

Why derived, not stored: the limits are the settings ``quota.storage_bytes`` and ``quota.messages`` (of the
account, its class, domain or the server) and the use is the account's counters, exactly what the
settings pages' mailbox size meter shows (``preferences.quota()``, storage/preferences.py). So there are
at most two Quota objects, both of scope ``account`` and type ``Email``:

* ``octets`` (id ``qoctets``): bytes used against ``quota.storage_bytes``;
* ``count`` (id ``qcount``): messages against ``quota.messages``.

A limit of 0 means no limit, and then there is no Quota object for it (RFC 9425 has no "unlimited").
``warnLimit`` is the lowest of ``quota.warn_percent``'s levels, as a share of the limit (the meter's first
warning). Mail is refused from the hard limit on.

The state string says which of the two exist and a digest of them: /changes from an older state answers
the objects present then and now as created, updated (possibly unchanged: RFC 8620 5.2 allows it) or
destroyed; /queryChanges answers cannotCalculateChanges from any state but the current one (two objects
at most: the client queries again).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from storage.preferences import QuotaMeter
from storage.usermail import UserMail
from webmail.jmap import standard_methods as std
from webmail.jmap.registry import ACCOUNT_CAPABILITIES, Args, Call, MethodError, method, state_source

QUOTA = "urn:ietf:params:jmap:quota"
ACCOUNT_CAPABILITIES.setdefault(QUOTA, {})  # RFC 9425 2: an empty object

PROPERTIES = (
    "id",
    "resourceType",
    "used",
    "hardLimit",
    "scope",
    "name",
    "types",
    "warnLimit",
    "softLimit",
    "description",
)
SORTABLE = ("name", "used")
FILTERS = {"name", "scope", "resourceType", "type"}
#: the letter of each quota in the state string, and its id
KINDS = {"o": "qoctets", "c": "qcount"}


def quotas(meter: QuotaMeter) -> list[Args]:
    """The account's Quota objects (see the module notes), by id."""
    warn = min(meter.warn_percent, default=None)
    found = []
    for id_, kind, used, limit, name, text in (
        ("qoctets", "octets", meter.used_bytes, meter.limit_bytes, "mailbox size", "bytes of mail stored"),
        ("qcount", "count", meter.messages, meter.limit_messages, "messages", "messages stored"),
    ):
        if limit <= 0:
            continue
        found.append(
            {
                "id": id_,
                "resourceType": kind,
                "used": used,
                "hardLimit": limit,
                "scope": "account",
                "name": name,
                "types": ["Email"],
                "warnLimit": limit * warn // 100 if warn else None,
                "softLimit": None,
                "description": f"{text}; new mail is refused at the hard limit",
            }
        )
    return found


def state_of(found: list[Args]) -> str:
    letters = "".join(letter for letter, id_ in KINDS.items() if any(q["id"] == id_ for q in found))
    digest = hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest()[:16]
    return f"{letters or 'n'}-{digest}"


def current(user: UserMail) -> list[Args]:
    return quotas(user.preferences.quota())


@state_source
def quota_state(user: UserMail) -> dict[str, str]:
    """Push (webmail/jmap/push.py): the Quota state moves with every message stored or removed."""
    return {"Quota": state_of(current(user))}


@method("Quota/get", QUOTA, std.GET_ARGUMENTS)
def quota_get(call: Call, args: Args) -> Args:
    """RFC 9425 4.1 (the standard /get of RFC 8620 5.1)."""
    asked = std.get_args(call, args, PROPERTIES)
    found = current(call.user)
    by_id = {q["id"]: q for q in found}
    chosen = found if asked.ids is None else [by_id[i] for i in asked.ids if i in by_id]
    return {
        "accountId": call.account_id,
        "state": state_of(found),
        "list": [{p: q[p] for p in asked.properties} for q in chosen],
        "notFound": [] if asked.ids is None else [i for i in asked.ids if i not in by_id],
    }


@method("Quota/changes", QUOTA, std.CHANGES_ARGUMENTS)
def quota_changes(call: Call, args: Args) -> Args:
    """RFC 9425 4.2 (RFC 8620 5.2), from the state's letters (see the module notes)."""
    since = std.changes_args(call, args).since_state
    found = current(call.user)
    state = state_of(found)
    letters, dash, _digest = since.partition("-")
    if not dash or not letters or any(letter not in (*KINDS, "n") for letter in letters):
        raise MethodError("cannotCalculateChanges", "not a Quota state of this server")
    before = {KINDS[letter] for letter in letters if letter in KINDS}
    now = {q["id"] for q in found}
    moved = since != state
    return {
        "accountId": call.account_id,
        "oldState": since,
        "newState": state,
        "hasMoreChanges": False,
        "created": sorted(now - before) if moved else [],
        "updated": sorted(now & before) if moved else [],
        "destroyed": sorted(before - now) if moved else [],
    }


def _string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise std.invalid("filter", f"{name} must be a list of strings")
    return list(value)


def matches(quota: Args, filter_: Args | None) -> bool:
    """RFC 9425 4.3's FilterCondition (name contains; scope, resourceType in the list; type among the
    quota's types), or an RFC 8620 5.5 FilterOperator (AND, OR, NOT) of them."""
    if filter_ is None:
        return True
    if "operator" in filter_:
        operator, conditions = filter_.get("operator"), filter_.get("conditions")
        if operator not in ("AND", "OR", "NOT") or not isinstance(conditions, list):
            raise std.invalid("filter", "a FilterOperator has an operator AND, OR or NOT and conditions")
        if not all(isinstance(c, dict) for c in conditions):
            raise std.invalid("filter", "each condition is a FilterCondition or a FilterOperator")
        results = [matches(quota, c) for c in conditions]
        return all(results) if operator == "AND" else any(results) if operator == "OR" else not any(results)
    unknown = set(filter_) - FILTERS
    if unknown:
        raise MethodError("unsupportedFilter", f"cannot filter by {sorted(unknown)}")
    if "name" in filter_:
        if not isinstance(filter_["name"], str):
            raise std.invalid("filter", "name must be a string")
        if filter_["name"].casefold() not in quota["name"].casefold():
            return False
    if "scope" in filter_ and quota["scope"] not in _string_list(filter_["scope"], "scope"):
        return False
    if "resourceType" in filter_ and quota["resourceType"] not in _string_list(
        filter_["resourceType"], "resourceType"
    ):
        return False
    return not ("type" in filter_ and not set(quota["types"]) & set(_string_list(filter_["type"], "type")))


def ordered(found: list[Args], sort: list[std.Comparator]) -> list[str]:
    rows = sorted(found, key=lambda q: q["id"])
    for comparator in reversed(sort):
        key = (lambda q: q["name"].casefold()) if comparator.property == "name" else (lambda q: q["used"])
        rows.sort(key=key, reverse=not comparator.is_ascending)
    return [q["id"] for q in rows]


@method("Quota/query", QUOTA, std.QUERY_ARGUMENTS)
def quota_query(call: Call, args: Args) -> Args:
    """RFC 9425 4.3 (RFC 8620 5.5): filter by name, scope, resourceType, type; sort by name or used."""
    q = std.query_args(call, args, SORTABLE)
    found = current(call.user)
    ids = ordered([quota for quota in found if matches(quota, q.filter)], q.sort)
    return std.query_answer(call, q, ids, state_of(found))


@method("Quota/queryChanges", QUOTA, std.QUERY_CHANGES_ARGUMENTS)
def quota_query_changes(call: Call, args: Args) -> Args:
    """RFC 9425 4.4 (RFC 8620 5.6): nothing changed from the current state, else
    cannotCalculateChanges (see the module notes)."""
    q = std.query_changes_args(call, args, SORTABLE)
    found = current(call.user)
    state = state_of(found)
    if q.since_query_state != state:
        raise MethodError("cannotCalculateChanges", "query Quota/query again")
    ids = [quota["id"] for quota in found if matches(quota, q.filter)]
    answer: Args = {
        "accountId": call.account_id,
        "oldQueryState": state,
        "newQueryState": state,
        "removed": [],
        "added": [],
    }
    if q.calculate_total:
        answer["total"] = len(ids)
    return answer
