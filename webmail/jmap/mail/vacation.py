"""VacationResponse/get and /set (RFC 8621 8): the out-of-office reply WebMail's settings page edits.

Why no store of its own: the reply is the out-of-office entry of WebMail's Sieve script
(filters.user_rules, script ``webmail``), so a change made here shows on the settings page and the
other way round, and the Sieve engine answers mail from one definition. What the mapping does
(docs/jmap.md):

* ``isEnabled`` is the entry's switch; the reply answers mail only while WebMail's script is the active
  one (a user who activated a script of their own through ManageSieve keeps it active; the settings page
  says so).
* ``fromDate`` / ``toDate`` become whole days in the user's time zone (setting ``user.timezone``), as
  the settings page keeps them: ``fromDate`` starts its day, ``toDate`` ends the day that holds the
  instant before it; read back, they are midnight at the start of the first day and after the last.
* ``textBody`` is the reply to every sender (the page's internal and external texts, both set); read
  back, the external text, else the internal one. ``htmlBody`` is not kept: an HTML body given without
  a ``textBody`` is turned into text, and it reads back as null.
* ``subject`` null or empty: the engine's default subject.

When another program (a ManageSieve client) changed WebMail's script by hand, /set refuses with
``forbidden`` rather than overwrite it, as the settings page asks before it does.
"""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from filters.user_rules import OutOfOffice, RuleError, ScriptEdited, UserFilters
from mailflow import html_text
from storage.errors import QuotaExceeded
from webmail.jmap import standard_methods as std
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.registry import VACATION, Args, Call, method

SINGLETON = "singleton"
PROPERTIES = ("id", "isEnabled", "fromDate", "toDate", "subject", "textBody", "htmlBody")
#: the form's field names (RuleError.field) as JMAP properties
_FIELDS = {
    "subject": "subject",
    "internal_text": "textBody",
    "external_text": "textBody",
    "start": "fromDate",
    "end": "toDate",
}


def _zone(call: Call) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(str(call.user.preferences.get()["user.timezone"]))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _utc_date(day: date | None, zone: zoneinfo.ZoneInfo) -> str | None:
    """Midnight at the start of ``day`` in ``zone``, as a UTCDate (RFC 8620 1.4)."""
    if day is None:
        return None
    return datetime.combine(day, time(), zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_utc(value: Any) -> datetime:
    """A UTCDate (or any RFC 3339 date-time with an offset).

    Raises:
        ValueError: not one.
    """
    if not isinstance(value, str):
        raise ValueError("not a string")
    parsed = datetime.fromisoformat(value.replace("z", "Z"))
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed


def as_json(entry: OutOfOffice, zone: zoneinfo.ZoneInfo) -> Args:
    return {
        "id": SINGLETON,
        "isEnabled": entry.enabled,
        "fromDate": _utc_date(entry.start, zone),
        "toDate": _utc_date(entry.end + timedelta(days=1), zone) if entry.end else None,
        "subject": entry.subject or None,
        "textBody": entry.external_text or entry.internal_text or None,
        "htmlBody": None,
    }


def _state(entry: OutOfOffice) -> str:
    text = json.dumps(as_json(entry, zoneinfo.ZoneInfo("UTC")), sort_keys=True)
    return "v" + hashlib.sha256(text.encode()).hexdigest()[:16]


def patched(entry: OutOfOffice, patch: Args, zone: zoneinfo.ZoneInfo) -> OutOfOffice:
    """The entry with a VacationResponse patch applied.

    Raises:
        RuleError: a property of the wrong type or shape (``field`` is the JMAP property).
    """
    for name in patch:
        if name not in PROPERTIES or name == "id":
            raise RuleError(name, f"{name} cannot be set")
    if "isEnabled" in patch:
        if not isinstance(patch["isEnabled"], bool):
            raise RuleError("isEnabled", "isEnabled is true or false")
        entry = replace(entry, enabled=patch["isEnabled"])
    for prop in ("fromDate", "toDate"):
        if prop not in patch:
            continue
        if patch[prop] is None:
            entry = replace(entry, start=None) if prop == "fromDate" else replace(entry, end=None)
            continue
        try:
            local = _parse_utc(patch[prop]).astimezone(zone)
        except ValueError:
            raise RuleError(prop, f"{prop} is a UTCDate such as 2026-12-24T00:00:00Z") from None
        if prop == "fromDate":
            entry = replace(entry, start=local.date())
        else:
            entry = replace(entry, end=(local - timedelta(microseconds=1)).date())
    if "subject" in patch:
        if patch["subject"] is not None and not isinstance(patch["subject"], str):
            raise RuleError("subject", "subject is a string or null")
        entry = replace(entry, subject=patch["subject"] or "")
    text = patch.get("textBody")
    if text is None and isinstance(patch.get("htmlBody"), str):
        text = html_text.to_text(html_text.sanitise(patch["htmlBody"]))
    elif text is not None and not isinstance(text, str):
        raise RuleError("textBody", "textBody is a string or null")
    if "textBody" in patch or text is not None:
        entry = replace(entry, internal_text=text or "", external_text=text or "")
    return entry


@method("VacationResponse/get", VACATION)
def vacation_get(call: Call, args: Args) -> Args:
    """RFC 8621 8.1: the one object, ``singleton``."""
    asked = std.get_args(call, args, PROPERTIES)
    entry = UserFilters(call.user).state().data.out_of_office
    ids = asked.ids
    found = ids is None or SINGLETON in ids
    shown = as_json(entry, _zone(call))
    return {
        "accountId": call.account_id,
        "state": _state(entry),
        "list": [{p: shown[p] for p in asked.properties}] if found else [],
        "notFound": [i for i in ids or () if i != SINGLETON],
    }


@method("VacationResponse/set", VACATION)
def vacation_set(call: Call, args: Args) -> Args:
    """RFC 8621 8.2: only an update of ``singleton``; create and destroy get the ``singleton`` error."""
    asked = std.set_args(call, args)
    service = UserFilters(call.user)
    entry = service.state().data.out_of_office
    old_state = _state(entry)
    check_state(asked.if_in_state, old_state)
    zone = _zone(call)
    updated: dict[str, Any] = {}
    not_updated: Args = {}
    for key, patch in asked.update.items():
        if key != SINGLETON:
            not_updated[key] = std.set_error("notFound")
            continue
        try:
            entry = service.save_out_of_office(patched(entry, patch, zone)).data.out_of_office
        except RuleError as exc:
            prop = _FIELDS.get(exc.field, exc.field)
            not_updated[key] = std.set_error("invalidProperties", exc.message, properties=[prop])
            continue
        except ScriptEdited:
            not_updated[key] = std.set_error(
                "forbidden",
                "another program changed the WebMail filter script; open the out-of-office page to replace it",
            )
            continue
        except QuotaExceeded as exc:
            not_updated[key] = std.set_error("overQuota", str(exc))
            continue
        updated[key] = None
    return {
        "accountId": call.account_id,
        "oldState": old_state,
        "newState": _state(entry),
        "created": None,
        "updated": updated or None,
        "destroyed": None,
        "notCreated": {k: std.set_error("singleton") for k in asked.create} or None,
        "notUpdated": not_updated or None,
        "notDestroyed": {k: std.set_error("singleton") for k in asked.destroy} or None,
    }
