"""Message acceptance rules: an ordered list of "if these facts match, do this" entries per SMTP event.

The rules live in the ``smtp.acceptance_rules`` setting as a JSON list; each entry looks like::

    {"event": "onRcptTo",
     "if": {"ip": ["10.0.0.0/8"], "sender": "*@news.example", "auth": false},
     "then": {"action": "reject", "code": 550, "status": "5.7.1", "text": "No newsletters here"}}

Events, in the order a session meets them: onConnect, onEhlo, onMailFrom, onRcptTo, onBodyChunk,
onHeadersReceived, onDataReceived. onBodyChunk is evaluated each time a piece of message text arrives,
with ``size`` the octets received so far and ``header`` known once the header block is complete; a
refusal there is still only sent once the text has ended (RFC 5321 has no way to interrupt DATA), but
the rest of the text is read and thrown away instead of kept. Conditions (all must hold; a fact the
event does not know yet never matches):

* ``ip``: an address or network (CIDR), or a list of them
* ``helo``, ``sender``, ``recipient``: shell patterns (``*@example.com``), case-insensitive, or lists;
  the null sender is ``<>``
* ``auth``: true/false (whether the client authenticated) or a pattern on the login
* ``tls``: true/false; ``listener``: "smtp", "submission", "submissions" or a list
* ``size_over``: octets (the declared SIZE at onMailFrom, the size so far at onBodyChunk, the real size
  afterwards)
* ``header``: ``{"name": "X-Spam-Flag", "matches": "YES*"}`` (without "matches": the field exists)

Actions: ``accept`` (stop looking at this event), ``reject`` (code 5xx, status, text), ``tempfail``
(code 4xx), ``require_auth``, ``require_tls`` (stop only when unmet), ``add_header`` (name, value),
``max_size`` (bytes) and ``rewrite`` (to); the last three apply and let evaluation go on.
``rewrite`` exists at onMailFrom (the envelope sender) and onRcptTo (this recipient) only: ``to`` is a
whole address, or ``@domain`` to keep the local part and change the domain; the first matching rewrite
of an event wins. For example, mail for a retired address goes to its successor::

    {"event": "onRcptTo", "if": {"recipient": "old-sales@example.test"},
     "then": {"action": "rewrite", "to": "sales@example.test"}}

The evaluator is pure: facts in, a Decision out. The session applies the decision.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

EVENTS = (
    "onConnect",
    "onEhlo",
    "onMailFrom",
    "onRcptTo",
    "onBodyChunk",
    "onHeadersReceived",
    "onDataReceived",
)
ACTIONS = ("accept", "reject", "tempfail", "require_auth", "require_tls", "add_header", "max_size", "rewrite")
REWRITE_EVENTS = ("onMailFrom", "onRcptTo")
_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+|@[^@\s<>]+")
CONDITIONS = ("ip", "helo", "sender", "recipient", "auth", "tls", "listener", "size_over", "header")
_FIELD_NAME = re.compile(r"[!-9;-~]+")


@dataclass(frozen=True)
class Rule:
    event: str
    conditions: dict[str, Any]
    action: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    ip: str
    listener: str
    tls: bool
    helo: str | None = None
    auth: str | None = None  # the login of an authenticated client
    sender: str | None = None  # "" for the null sender
    recipient: str | None = None
    size: int | None = None
    headers: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Decision:
    verdict: str = "continue"  # continue | accept | reject | tempfail | require_auth | require_tls
    code: int = 0
    status: str = ""
    text: str = ""
    add_headers: tuple[tuple[str, str], ...] = ()
    max_size: int | None = None
    rewrite: str | None = None  # the address the sender (onMailFrom) or recipient (onRcptTo) becomes


def rewritten(address: str, to: str) -> str:
    """``address`` after a rewrite to ``to`` (a whole address, or "@domain" keeping the local part)."""
    if to.startswith("@"):
        return address.rpartition("@")[0] + to
    return to


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _check_condition(name: str, value: Any) -> None:
    if name not in CONDITIONS:
        raise ValueError(f"unknown condition {name!r}; known: {', '.join(CONDITIONS)}")
    if name == "ip":
        for item in _as_list(value):
            ipaddress.ip_network(str(item), strict=False)
    elif name in ("tls",) and not isinstance(value, bool):
        raise ValueError("condition tls takes true or false")
    elif name == "size_over" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError("condition size_over takes a number of octets")
    elif name == "header" and not (isinstance(value, dict) and isinstance(value.get("name"), str)):
        raise ValueError('condition header takes {"name": ..., "matches": ...}')
    elif name in ("helo", "sender", "recipient", "listener") and not all(
        isinstance(v, str) for v in _as_list(value)
    ):
        raise ValueError(f"condition {name} takes a pattern or a list of patterns")


def _check_action(action: str, args: dict[str, Any]) -> dict[str, Any]:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    if action in ("reject", "tempfail"):
        first = "5" if action == "reject" else "4"
        code = args.get("code", 550 if action == "reject" else 451)
        if not isinstance(code, int) or not str(code).startswith(first) or not 400 <= code <= 599:
            raise ValueError(f"{action} needs a {first}xx code")
        status = str(args.get("status", f"{first}.7.1"))
        if not re.fullmatch(rf"{first}\.\d{{1,3}}\.\d{{1,3}}", status):
            raise ValueError(f"{action} status must look like {first}.7.1")
        text = str(args.get("text", "Rejected by policy" if action == "reject" else "Try again later"))
        if "\r" in text or "\n" in text:
            raise ValueError("reply text must be one line")
        return {"code": code, "status": status, "text": text}
    if action == "add_header":
        name, value = args.get("name"), args.get("value", "")
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name) or not isinstance(value, str):
            raise ValueError("add_header needs a field name and a value")
        if "\r" in value or "\n" in value:
            raise ValueError("add_header value must be one line")
        return {"name": name, "value": value}
    if action == "rewrite":
        to = args.get("to")
        if not isinstance(to, str) or not _ADDRESS.fullmatch(to):
            raise ValueError('rewrite needs "to": an address or "@domain"')
        return {"to": to}
    if action == "max_size":
        size = args.get("bytes")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError("max_size needs bytes (a positive number)")
        return {"bytes": size}
    return {}


def parse_rules(text: str) -> tuple[Rule, ...]:
    """The rules of the setting's JSON text.

    Raises:
        ValueError: the text is not JSON or a rule is malformed (the message says which and why).
    """
    try:
        data = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ValueError(f"acceptance rules are not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise ValueError("acceptance rules must be a JSON list")
    rules = []
    for i, item in enumerate(data, 1):
        try:
            if not isinstance(item, dict) or item.get("event") not in EVENTS:
                raise ValueError(f"event must be one of {', '.join(EVENTS)}")
            conditions = item.get("if", {})
            if not isinstance(conditions, dict):
                raise ValueError('"if" must be an object')
            for name, value in conditions.items():
                _check_condition(name, value)
            then = item.get("then")
            if isinstance(then, str):
                then = {"action": then}
            if not isinstance(then, dict):
                raise ValueError('"then" must be an action name or an object with "action"')
            action = str(then.get("action"))
            if action == "rewrite" and item["event"] not in REWRITE_EVENTS:
                raise ValueError("rewrite exists at onMailFrom and onRcptTo only")
            rules.append(Rule(item["event"], dict(conditions), action, _check_action(action, then)))
        except ValueError as exc:
            raise ValueError(f"acceptance rule {i}: {exc}") from None
    return tuple(rules)


def _pattern(value: str | None, patterns: Any) -> bool:
    if value is None:
        return False
    subject = (value or "<>").lower()
    return any(fnmatch.fnmatchcase(subject, str(p).lower()) for p in _as_list(patterns))


def _matches(conditions: dict[str, Any], facts: Facts) -> bool:
    for name, want in conditions.items():
        if name == "ip":
            try:
                addr = ipaddress.ip_address(facts.ip)
            except ValueError:
                return False
            if not any(addr in ipaddress.ip_network(str(n), strict=False) for n in _as_list(want)):
                return False
        elif name in ("helo", "sender", "recipient"):
            if not _pattern(getattr(facts, name), want):
                return False
        elif name == "auth":
            if isinstance(want, bool):
                if (facts.auth is not None) != want:
                    return False
            elif not _pattern(facts.auth, want):
                return False
        elif name == "tls":
            if facts.tls != want:
                return False
        elif name == "listener":
            if facts.listener not in _as_list(want):
                return False
        elif name == "size_over":
            if facts.size is None or facts.size <= want:
                return False
        elif name == "header":
            if facts.headers is None:
                return False
            wanted = want["name"].lower()
            values = [v for n, v in facts.headers if n.lower() == wanted]
            if not values or ("matches" in want and not any(_pattern(v, want["matches"]) for v in values)):
                return False
    return True


def evaluate(rules: tuple[Rule, ...], event: str, facts: Facts) -> Decision:
    """Apply the rules of ``event`` in order to ``facts``."""
    headers: list[tuple[str, str]] = []
    max_size: int | None = None
    rewrite: str | None = None
    for rule in rules:
        if rule.event != event or not _matches(rule.conditions, facts):
            continue
        a = rule.action
        if a == "add_header":
            headers.append((rule.args["name"], rule.args["value"]))
            continue
        if a == "max_size":
            max_size = min(max_size or rule.args["bytes"], rule.args["bytes"])
            continue
        if a == "rewrite":
            rewrite = rewrite or rule.args["to"]
            continue
        if (a == "require_auth" and facts.auth is not None) or (a == "require_tls" and facts.tls):
            continue
        args = rule.args
        return Decision(
            a,
            args.get("code", 0),
            args.get("status", ""),
            args.get("text", ""),
            tuple(headers),
            max_size,
            rewrite,
        )
    return Decision("continue", add_headers=tuple(headers), max_size=max_size, rewrite=rewrite)
