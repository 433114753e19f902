"""Header fields of a message or part, and the parsed forms RFC 8621 4.1.2 defines for them.

A header section is split into fields here (name, raw value as received, folding kept), because the
``Raw`` form must give the octets after the colon exactly; the other forms are computed from it: ``Text``
(unfolded, RFC 2047 words decoded, trimmed), ``Addresses`` and ``GroupedAddresses`` (RFC 5322 address
lists, names decoded), ``MessageIds`` (ids without their angle brackets), ``Date`` (RFC 3339 with the
field's own offset) and ``URLs`` (the ``<...>`` items of the List-* fields). A value that does not parse
is null, as the RFC asks.

Which forms a known field may be asked for is RFC 8621 4.1.2's table; asking for another (``header:From:
asDate``) is invalidArguments. A field the RFC does not list may be asked for in any form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.utils import parsedate_to_datetime
from typing import Any

from storage.mime import decode_header_text

FORMS = ("Raw", "Text", "Addresses", "GroupedAddresses", "MessageIds", "Date", "URLs")
_ADDRESS_FIELDS = {
    "from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender", "resent-reply-to",
    "resent-to", "resent-cc", "resent-bcc",
}  # fmt: skip
_ID_FIELDS = {"message-id", "in-reply-to", "references", "resent-message-id"}
_DATE_FIELDS = {"date", "resent-date"}
_URL_FIELDS = {"list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive"}
_TEXT_FIELDS = {"subject", "comments", "keywords", "list-id"}
_ALLOWED: dict[str, set[str]] = {
    **{f: {"Raw", "Addresses", "GroupedAddresses"} for f in _ADDRESS_FIELDS},
    **{f: {"Raw", "MessageIds"} for f in _ID_FIELDS},
    **{f: {"Raw", "Date"} for f in _DATE_FIELDS},
    **{f: {"Raw", "URLs"} for f in _URL_FIELDS},
    **{f: {"Raw", "Text"} for f in _TEXT_FIELDS},
}
_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_URL = re.compile(r"<([^<>]*)>")


@dataclass(frozen=True)
class HeaderProperty:
    """A parsed ``header:{name}[:as{Form}][:all]`` property."""

    prop: str  # the property name as asked
    name: str  # the field name as asked (case kept for the answer)
    form: str
    all: bool


def parse_header_property(prop: str) -> HeaderProperty | None:
    """The parts of a ``header:`` property, or None when it is malformed or its form is not allowed for
    the field (the caller answers invalidArguments)."""
    parts = prop.split(":")
    if len(parts) < 2 or parts[0] != "header" or not _NAME.fullmatch(parts[1]):
        return None
    rest = parts[2:]
    want_all = bool(rest) and rest[-1] == "all"
    if want_all:
        rest = rest[:-1]
    if len(rest) > 1:
        return None
    form = "Raw"
    if rest:
        if not rest[0].startswith("as") or rest[0][2:] not in FORMS:
            return None
        form = rest[0][2:]
    allowed = _ALLOWED.get(parts[1].lower())
    if allowed is not None and form not in allowed:
        return None
    return HeaderProperty(prop, parts[1], form, want_all)


def split_fields(section: bytes) -> list[tuple[str, str]]:
    """(name, raw value) of each field of a header section, in order; the value is everything after the
    colon up to the field's final CRLF, folding kept."""
    text = section.decode("utf-8", "replace")
    fields: list[tuple[str, str]] = []
    for line in re.split(r"\r?\n", text):
        if not line:
            continue
        if line[0] in " \t" and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + "\r\n" + line)
            continue
        name, colon, value = line.partition(":")
        if colon and _NAME.fullmatch(name.rstrip(" \t")):
            fields.append((name.rstrip(" \t"), value))
    return fields


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def as_text(value: str) -> str:
    return decode_header_text(_unfold(value)).strip()


def _address(name: str, email: str) -> dict[str, Any]:
    return {"name": name or None, "email": email}


def as_grouped(value: str) -> list[dict[str, Any]]:
    """RFC 8621 4.1.2.4: addresses outside any group form groups of their own with a null name."""
    try:
        header = policy.default.header_factory("to", _unfold(value))
        groups = header.groups
    except Exception:  # the standard library raises many types on hostile input: nothing parsed
        return []
    out: list[dict[str, Any]] = []
    for g in groups:
        addresses = [_address(a.display_name, a.addr_spec) for a in g.addresses if a.addr_spec]
        name = g.display_name
        if name is None and out and out[-1]["name"] is None:
            out[-1]["addresses"] += addresses
        else:
            out.append({"name": name, "addresses": addresses})
    return out


def as_addresses(value: str) -> list[dict[str, Any]]:
    return [a for g in as_grouped(value) for a in g["addresses"]]


def as_message_ids(value: str) -> list[str] | None:
    ids = _MSG_ID.findall(_unfold(value))
    return ids or None


def as_date(value: str) -> str | None:
    try:
        when = parsedate_to_datetime(_unfold(value).strip())
    except Exception:  # the standard library raises many types on hostile dates
        return None
    if when.tzinfo is None:
        return None
    return format_date(when)


def format_date(when: datetime) -> str:
    """RFC 3339 with the offset kept ("Z" for UTC), no fractions."""
    text = when.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def as_urls(value: str) -> list[str] | None:
    urls = [u.strip() for u in _URL.findall(_unfold(value))]
    return urls or None


def form_value(raw: str, form: str) -> Any:
    if form == "Raw":
        return raw
    if form == "Text":
        return as_text(raw)
    if form == "Addresses":
        return as_addresses(raw)
    if form == "GroupedAddresses":
        return as_grouped(raw)
    if form == "MessageIds":
        return as_message_ids(raw)
    if form == "Date":
        return as_date(raw)
    return as_urls(raw)


def header_value(fields: list[tuple[str, str]], hp: HeaderProperty) -> Any:
    """The property's value from a part's fields: the last instance, or all with ``:all``."""
    values = [form_value(v, hp.form) for n, v in fields if n.lower() == hp.name.lower()]
    if hp.all:
        return values
    return values[-1] if values else None


def headers_list(fields: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The ``headers`` property: every field, in order, Raw."""
    return [{"name": n, "value": v} for n, v in fields]
