"""What the WebMail rules wizard and out-of-office page edit: plain data, checked, and its JSON form.

The JSON form is what the generated script carries in a comment line (filters.user_rules.render), so the
wizard can show the rules again exactly as they were entered. ``from_json(to_json(x)) == x``.

Limits (a user typing into a form must not be able to make a script the engine refuses): 100 rules, 5
conditions per rule, 1000 characters per condition value, 255 per folder name, 320 per address, 64 per
rule name, 10,000 per out-of-office text and 255 for its subject (``LIMITS``). The whole script must still
fit ``sieve.max_script_bytes`` when it is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Final

FIELDS: Final = ("from", "to", "subject")  # "to" looks at To and Cc
OPERATORS: Final = ("contains", "not_contains", "is")
ACTIONS: Final = ("move", "copy", "forward", "redirect", "delete", "flag")
#: actions that name a folder / an address in ``Rule.target``
FOLDER_ACTIONS: Final = ("move", "copy")
ADDRESS_ACTIONS: Final = ("forward", "redirect")
LIMITS: Final = {
    "rules": 100,
    "conditions": 5,
    "value": 1000,
    "folder": 255,
    "address": 320,
    "name": 64,
    "text": 10_000,
    "subject": 255,
}
MIN_DAYS, MAX_DAYS = 1, 45  # RFC 5230 :days as the engine clamps it


class RuleError(ValueError):
    """A rule or out-of-office entry is not acceptable; ``field`` names the form field at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Condition:
    field: str  # one of FIELDS
    operator: str  # one of OPERATORS
    value: str


@dataclass(frozen=True)
class Rule:
    name: str
    conditions: tuple[Condition, ...]
    action: str  # one of ACTIONS
    target: str = ""  # the folder (move, copy) or address (forward, redirect)
    match_all: bool = True  # all conditions (allof) or any (anyof)
    flag: bool = False  # also mark the message \\Flagged
    stop: bool = False  # no later rule runs for a message this one matched
    enabled: bool = True


@dataclass(frozen=True)
class OutOfOffice:
    enabled: bool = False
    subject: str = ""
    internal_text: str = ""  # to senders of the account's own domain; empty: they get no reply
    external_text: str = ""  # to everyone else; empty: they get no reply
    start: date | None = None  # first day (in the user's time zone), inclusive
    end: date | None = None  # last day, inclusive
    days: int = 7  # answer each sender at most once in this many days


@dataclass(frozen=True)
class UserRules:
    """Everything WebMail keeps in its script."""

    rules: tuple[Rule, ...] = ()
    out_of_office: OutOfOffice = field(default_factory=OutOfOffice)


def _text(value: str, name: str, limit_key: str, *, required: bool = False) -> str:
    if len(value) > LIMITS[limit_key]:
        raise RuleError(name, f"at most {LIMITS[limit_key]} characters")
    if required and not value.strip():
        raise RuleError(name, "this cannot be empty")
    if any(ord(c) < 32 and c not in "\t\r\n" for c in value) or "\x7f" in value:
        raise RuleError(name, "control characters are not allowed")
    return value


def check_rule(rule: Rule) -> Rule:
    """The rule with its texts trimmed, or RuleError. Folder and address existence is the caller's."""
    name = _text(rule.name.strip(), "name", "name")
    if not rule.conditions:
        raise RuleError("conditions", "a rule needs at least one condition")
    if len(rule.conditions) > LIMITS["conditions"]:
        raise RuleError("conditions", f"at most {LIMITS['conditions']} conditions per rule")
    conditions = []
    for c in rule.conditions:
        if c.field not in FIELDS:
            raise RuleError("conditions", f"unknown field {c.field!r}")
        if c.operator not in OPERATORS:
            raise RuleError("conditions", f"unknown comparison {c.operator!r}")
        value = _text(c.value.strip(), "conditions", "value", required=True)
        if "\n" in value or "\r" in value:
            raise RuleError("conditions", "a condition is one line")
        conditions.append(Condition(c.field, c.operator, value))
    if rule.action not in ACTIONS:
        raise RuleError("action", f"unknown action {rule.action!r}")
    target = rule.target.strip()
    if rule.action in FOLDER_ACTIONS:
        target = _text(target, "target", "folder", required=True)
    elif rule.action in ADDRESS_ACTIONS:
        target = _text(target, "target", "address", required=True)
        if (
            target.count("@") != 1
            or any(c.isspace() for c in target)
            or target.startswith("@")
            or target.endswith("@")
        ):
            raise RuleError("target", f"{target!r} is not an address")
    else:
        target = ""
    return replace(
        rule,
        name=name or f"Rule: {conditions[0].value}"[: LIMITS["name"]],
        conditions=tuple(conditions),
        target=target,
    )


def check_out_of_office(ooo: OutOfOffice) -> OutOfOffice:
    """The entry with its texts checked, or RuleError (an enabled one needs at least one text)."""
    subject = _text(ooo.subject.strip(), "subject", "subject")
    if "\n" in subject or "\r" in subject:
        raise RuleError("subject", "the subject is one line")
    internal = _text(ooo.internal_text, "internal_text", "text")
    external = _text(ooo.external_text, "external_text", "text")
    if ooo.enabled and not internal.strip() and not external.strip():
        raise RuleError("external_text", "write the reply for internal or external senders (or both)")
    if ooo.start and ooo.end and ooo.end < ooo.start:
        raise RuleError("end", "the last day is before the first")
    if not MIN_DAYS <= ooo.days <= MAX_DAYS:
        raise RuleError("days", f"between {MIN_DAYS} and {MAX_DAYS} days")
    return replace(ooo, subject=subject, internal_text=internal, external_text=external)


def check(data: UserRules) -> UserRules:
    """Every rule and the out-of-office entry checked (RuleError names the first fault)."""
    if len(data.rules) > LIMITS["rules"]:
        raise RuleError("rules", f"at most {LIMITS['rules']} rules")
    return UserRules(tuple(check_rule(r) for r in data.rules), check_out_of_office(data.out_of_office))


# -- JSON form ---------------------------------------------------------------------------------------


def to_json(data: UserRules) -> str:
    """One line of ASCII JSON (every non-ASCII character and line end escaped)."""
    ooo = data.out_of_office
    doc = {
        "version": 1,
        "rules": [
            {
                "name": r.name,
                "conditions": [[c.field, c.operator, c.value] for c in r.conditions],
                "action": r.action,
                "target": r.target,
                "match_all": r.match_all,
                "flag": r.flag,
                "stop": r.stop,
                "enabled": r.enabled,
            }
            for r in data.rules
        ],
        "out_of_office": {
            "enabled": ooo.enabled,
            "subject": ooo.subject,
            "internal_text": ooo.internal_text,
            "external_text": ooo.external_text,
            "start": ooo.start.isoformat() if ooo.start else None,
            "end": ooo.end.isoformat() if ooo.end else None,
            "days": ooo.days,
        },
    }
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def from_json(text: str) -> UserRules:
    """The data back from ``to_json``'s line.

    Raises:
        ValueError: not that JSON (including a JSONDecodeError).
    """
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise ValueError("not a version 1 rules document")
    rules = tuple(
        Rule(
            name=str(r["name"]),
            conditions=tuple(Condition(str(f), str(o), str(v)) for f, o, v in r["conditions"]),
            action=str(r["action"]),
            target=str(r.get("target", "")),
            match_all=bool(r.get("match_all", True)),
            flag=bool(r.get("flag", False)),
            stop=bool(r.get("stop", False)),
            enabled=bool(r.get("enabled", True)),
        )
        for r in doc.get("rules", [])
    )
    o = doc.get("out_of_office") or {}
    ooo = OutOfOffice(
        enabled=bool(o.get("enabled", False)),
        subject=str(o.get("subject", "")),
        internal_text=str(o.get("internal_text", "")),
        external_text=str(o.get("external_text", "")),
        start=_date(o.get("start")),
        end=_date(o.get("end")),
        days=int(o.get("days", 7)),
    )
    return UserRules(rules, ooo)
