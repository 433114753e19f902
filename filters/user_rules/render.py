"""The Sieve script WebMail writes for a user's rules and out-of-office reply, and reading it back.

Layout of a generated script (docs/webmail-settings.md)::

    # fieldpost-webmail-rules v1 sha256=<hex digest of every line below this one>
    # (two lines saying where to edit it)
    # data: {...the wizard's data as one line of JSON, filters.user_rules.model...}
    require [...];
    ...out-of-office (RFC 5230 vacation; RFC 5260 currentdate for the dates)...
    ...one block per enabled rule, in order...

The first line lets ``read`` tell whether another program (a ManageSieve client) changed the script since
WebMail wrote it: any change below it breaks the digest. WebMail then does not overwrite it without the
user's word (filters.user_rules.service).

Out-of-office: mail whose envelope sender's domain is the account's domain (or one of its aliases) is
"internal" and gets ``internal_text``; other mail gets ``external_text``; an empty text sends nothing to
that group. With a date range, ``currentdate :zone`` compares the day in the user's time zone (the zone's
UTC offset on the first and on the last day, so a range across a daylight-saving change is right at both
ends). The vacation comes before the rules, so a rule that deletes or moves a message does not keep its
sender from being answered.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final
from zoneinfo import ZoneInfo

from filters.user_rules.model import (
    ADDRESS_ACTIONS,
    Condition,
    OutOfOffice,
    Rule,
    UserRules,
    from_json,
    to_json,
)

MARKER: Final = "# fieldpost-webmail-rules v1 sha256="
DATA: Final = "# data: "
NOTE: Final = (
    "# Written by WebMail (Settings: Rules, Out of office). Change it there; once another program\n"
    "# changes this script, WebMail no longer replaces it without asking.\n"
)
FLAGGED: Final = '"\\\\Flagged"'  # the Sieve string "\\Flagged", i.e. \Flagged


@dataclass(frozen=True)
class Context:
    """What the script needs to know about the account."""

    address: str
    internal_domains: tuple[str, ...]  # the account's domain and its aliases
    aliases: tuple[str, ...] = ()  # other addresses of the account (vacation :addresses)
    timezone: str = "UTC"  # IANA name: the dates of the out-of-office range are days there


@dataclass(frozen=True)
class Stored:
    """A script read back: the wizard's data (defaults when it cannot be read) and whether another
    program changed the script since WebMail wrote it."""

    data: UserRules
    edited: bool


def quote(text: str) -> str:
    """A Sieve quoted string (RFC 5228 2.4.2): backslash and double quote escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(quote(i) for i in items) + "]"


def _offset(zone: ZoneInfo, day: date, at: time) -> str:
    delta = datetime.combine(day, at, tzinfo=zone).utcoffset()
    minutes = int(delta.total_seconds()) // 60 if delta else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _range_tests(ooo: OutOfOffice, timezone: str) -> list[str]:
    zone = ZoneInfo(timezone)
    tests = []
    if ooo.start:
        off = _offset(zone, ooo.start, time(0, 0))
        tests.append(f'currentdate :zone "{off}" :value "ge" "date" "{ooo.start.isoformat()}"')
    if ooo.end:
        off = _offset(zone, ooo.end, time(23, 59))
        tests.append(f'currentdate :zone "{off}" :value "le" "date" "{ooo.end.isoformat()}"')
    return tests


def _vacation(ooo: OutOfOffice, text: str, ctx: Context) -> str:
    parts = ["vacation", f":days {ooo.days}"]
    if ooo.subject:
        parts.append(f":subject {quote(ooo.subject)}")
    addresses = tuple(dict.fromkeys((ctx.address, *ctx.aliases)))
    parts.append(f":addresses {_list(addresses)}")
    parts.append(quote(text))
    return " ".join(parts) + ";"


def _out_of_office(ooo: OutOfOffice, ctx: Context) -> list[str]:
    internal, external = ooo.internal_text.strip(), ooo.external_text.strip()
    if not ooo.enabled or not (internal or external):
        return []
    is_internal = f'envelope :domain :is "from" {_list(ctx.internal_domains)}'
    if internal and external:
        body = [
            f"if {is_internal} {{",
            "    " + _vacation(ooo, ooo.internal_text, ctx),
            "} else {",
            "    " + _vacation(ooo, ooo.external_text, ctx),
            "}",
        ]
    elif internal:
        body = [f"if {is_internal} {{", "    " + _vacation(ooo, ooo.internal_text, ctx), "}"]
    else:
        body = [f"if not {is_internal} {{", "    " + _vacation(ooo, ooo.external_text, ctx), "}"]
    tests = _range_tests(ooo, ctx.timezone)
    if tests:
        body = [f"if allof ({', '.join(tests)}) {{", *("    " + line for line in body), "}"]
    return ["# out of office", *body]


def _condition(c: Condition) -> str:
    names = '["to", "cc"]' if c.field == "to" else quote(c.field)
    if c.operator == "is" and c.field != "subject":
        return f"address :all :is {names} {quote(c.value)}"
    match = ":is" if c.operator == "is" else ":contains"
    test = f"header {match} {names} {quote(c.value)}"
    return f"not {test}" if c.operator == "not_contains" else test


def _actions(rule: Rule) -> list[str]:
    flags = f":flags {FLAGGED} " if rule.flag else ""
    if rule.action == "move":
        lines = [f"fileinto {flags}{quote(rule.target)};"]
    elif rule.action == "copy":
        lines = [f"fileinto :copy {flags}{quote(rule.target)};"]
    elif rule.action in ADDRESS_ACTIONS:
        copy = ":copy " if rule.action == "forward" else ""
        lines = ([f"addflag {FLAGGED};"] if rule.flag else []) + [f"redirect {copy}{quote(rule.target)};"]
    elif rule.action == "delete":
        lines = ["discard;"]
    else:  # flag
        lines = [f"addflag {FLAGGED};"]
    return lines + (["stop;"] if rule.stop else [])


def _rule(number: int, rule: Rule) -> list[str]:
    tests = [_condition(c) for c in rule.conditions]
    test = tests[0] if len(tests) == 1 else f"{'allof' if rule.match_all else 'anyof'} ({', '.join(tests)})"
    name = " ".join(rule.name.split())
    return [f"# rule {number}: {name}", f"if {test} {{", *("    " + line for line in _actions(rule)), "}"]


def _extensions(data: UserRules) -> list[str]:
    needed: set[str] = set()
    ooo = data.out_of_office
    if ooo.enabled and (ooo.internal_text.strip() or ooo.external_text.strip()):
        needed |= {"vacation", "envelope"}
        if ooo.start or ooo.end:
            needed |= {"date", "relational"}
    for rule in (r for r in data.rules if r.enabled):
        if rule.action in ("move", "copy"):
            needed.add("fileinto")
        if rule.action in ("copy", "forward"):
            needed.add("copy")
        if rule.flag or rule.action == "flag":
            needed.add("imap4flags")
    return sorted(needed)


def render(data: UserRules, ctx: Context) -> str:
    """The whole script for ``data`` (already checked by ``model.check``)."""
    lines = [DATA + to_json(data)]
    needed = _extensions(data)
    if needed:
        lines.append(f"require {_list(tuple(needed))};")
    lines += _out_of_office(data.out_of_office, ctx)
    for number, rule in enumerate(data.rules, start=1):
        if rule.enabled:
            lines += _rule(number, rule)
    body = NOTE + "\n".join(lines) + "\n"
    return MARKER + hashlib.sha256(body.encode("utf-8")).hexdigest() + "\n" + body


def read(text: str) -> Stored:
    """The data a generated script carries, and whether it was changed since (see the module notes).
    Never raises: a script that is not WebMail's reads as edited, with empty data."""
    head, _, body = text.partition("\n")
    edited = not (
        head.startswith(MARKER)
        and head[len(MARKER) :].strip() == hashlib.sha256(body.encode("utf-8")).hexdigest()
    )
    for line in body.splitlines():
        if line.startswith(DATA):
            try:
                return Stored(from_json(line[len(DATA) :]), edited)
            except (ValueError, KeyError, TypeError):
                break
    return Stored(UserRules(), True)
