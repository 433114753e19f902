"""JMAP Sharing's principals (RFC 9670 section 2): Principal/get and Principal/query, the people and
groups a folder can be shared with, for the Ajax sharing dialog's picker and any JMAP client.

What a principal is here: an enabled account (type ``individual``, id ``pu<account>``) or a group (type
``group``, ``pg<group>``) of the signed-in account's own domain, as storage's directory lists them
(storage.addressbook ``principals``); another domain's accounts are not listed, as in WebMail's
directory. "Every user of the domain" and "anyone" are grant targets of our ACL model but not principals
in RFC 9670's sense, so they are not listed (the sharing dialog offers them as choices of its own).

What is not offered, and why: Principal/set (nothing here is the user's to change: names and addresses
are the administrator's), /changes and /queryChanges (a directory read is cheap: the client reads it
again), ShareNotification, and ``shareWith`` on the shareable types. Our entries also carry deny,
"apply to subfolders", exceptions and custom letters, which a ``shareWith`` map of principal -> rights
cannot say; a client rewriting ``shareWith`` would silently drop the entries it cannot see. Sharing is
therefore changed through the Ajax interface's sharing route (webmail/ajax/sharing_views.py), which calls
the same service as the Standard permissions page (webmail/sharing.py). docs/jmap.md says so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from storage.addressbook import DirectoryPrincipal
from webmail.jmap import standard_methods as std
from webmail.jmap.registry import ACCOUNT_CAPABILITIES, SERVER_CAPABILITIES, Args, Call, MethodError, method

PRINCIPALS = "urn:ietf:params:jmap:principals"
PROPERTIES = ("id", "type", "name", "description", "email", "timeZone", "capabilities", "accounts")
FILTERS = frozenset({"accountIds", "email", "name", "text", "type", "timeZone"})
TYPES = frozenset({"individual", "group", "resource", "location", "other"})
SORTABLE = ("name", "email")
MAX_QUERY_LIMIT = 200
_ID = re.compile(r"p([ug])([1-9][0-9]{0,17})")

SERVER_CAPABILITIES[PRINCIPALS] = {}
#: RFC 9670 2.1: currentUserPrincipalId may be null; a static capability object cannot name the user, and
#: the client knows its own address (Principal/query with ``email``).
ACCOUNT_CAPABILITIES[PRINCIPALS] = {"currentUserPrincipalId": None}


def principal_id(p: DirectoryPrincipal) -> str:
    return f"p{'u' if p.kind == 'individual' else 'g'}{p.key}"


def principal_object(p: DirectoryPrincipal) -> dict[str, Any]:
    return {
        "id": principal_id(p),
        "type": p.kind,
        "name": p.name or p.address,
        "description": None,
        "email": p.address,
        "timeZone": None,
        "capabilities": {},
        "accounts": None,  # the Session names the signed-in account only
    }


def _listed(call: Call) -> list[DirectoryPrincipal]:
    return call.user.addressbook.principals()


@method("Principal/get", PRINCIPALS, std.GET_ARGUMENTS)
def principal_get(call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, PROPERTIES)
    by_id = {principal_id(p): p for p in _listed(call)}
    wanted = list(by_id) if asked.ids is None else asked.ids
    found, missing = [], []
    for pid in dict.fromkeys(wanted):
        p = by_id.get(pid) if _ID.fullmatch(pid) else None
        if p is None:
            missing.append(pid)
            continue
        body = principal_object(p)
        found.append({k: body[k] for k in asked.properties})
    return {"accountId": call.account_id, "state": _state(by_id), "list": found, "notFound": missing}


def _state(by_id: dict[str, DirectoryPrincipal]) -> str:
    """The directory's state: changes when someone is added, removed or renamed (a short digest)."""
    digest = hashlib.sha256("\n".join(f"{k} {p.address} {p.name}" for k, p in sorted(by_id.items())).encode())
    return digest.hexdigest()[:16]


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise MethodError("invalidArguments", f"filter {name} must be a string", arguments=["filter"])
    return value.lower()


def _condition(name: str, value: Any) -> Callable[[DirectoryPrincipal], bool]:
    """One FilterCondition property as a test (RFC 9670 2.4.1; case-insensitive substrings)."""
    if name == "accountIds":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise MethodError("invalidArguments", "accountIds must be an array of ids", arguments=["filter"])
        return lambda p: False  # no principal here has an account the Session lists
    if name == "type":
        if value not in TYPES:
            raise MethodError("invalidArguments", "unknown principal type", arguments=["filter"])
        return lambda p: p.kind == value
    if name == "timeZone":
        return lambda p: False  # nobody has one
    needle = _text(value, name)
    if name == "email":
        return lambda p: needle in p.address.lower()
    if name == "name":
        return lambda p: needle in (p.name or p.address).lower()
    return lambda p: needle in p.address.lower() or needle in p.name.lower()  # text


def _matcher(filter_: Args | None) -> Callable[[DirectoryPrincipal], bool]:
    """A FilterCondition or a FilterOperator (AND, OR, NOT) of them, as RFC 8620 5.5 nests them."""
    if not filter_:
        return lambda p: True
    if "operator" in filter_:
        operator, conditions = filter_.get("operator"), filter_.get("conditions")
        if operator not in ("AND", "OR", "NOT") or not isinstance(conditions, list):
            raise MethodError("invalidArguments", "a FilterOperator needs operator and conditions")
        tests = [_matcher(c) if isinstance(c, dict) else _matcher({"bad": c}) for c in conditions]
        if operator == "AND":
            return lambda p: all(t(p) for t in tests)
        if operator == "OR":
            return lambda p: any(t(p) for t in tests)
        return lambda p: not any(t(p) for t in tests)
    unknown = sorted(set(filter_) - FILTERS)
    if unknown:
        raise MethodError("unsupportedFilter", f"cannot filter by {', '.join(unknown)}")
    tests = [_condition(k, v) for k, v in filter_.items()]
    return lambda p: all(t(p) for t in tests)


@method("Principal/query", PRINCIPALS, std.QUERY_ARGUMENTS)
def principal_query(call: Call, args: Args) -> Args:
    q = std.query_args(call, args, SORTABLE)
    listed = _listed(call)
    test = _matcher(q.filter)
    hits = sorted((p for p in listed if test(p)), key=lambda p: ((p.name or p.address).lower(), p.address))
    for comparator in reversed(q.sort):
        key = (lambda p: p.address.lower()) if comparator.property == "email" else None
        hits.sort(key=key or (lambda p: (p.name or p.address).lower()), reverse=not comparator.is_ascending)
    ids = [principal_id(p) for p in hits]
    return std.query_answer(call, q, ids, _state({principal_id(p): p for p in listed}), MAX_QUERY_LIMIT)
