"""CARDDAV:filter evaluation (RFC 6352 10.5) against one vCard; pure, no storage.

vCards are read line by line (RFC 6350 3.2 unfolding, ``group.NAME;PARAM=v:value``): matching needs the
property names, parameters and values only, so a card a full parser would reject for an unrelated
property still matches on its FN or EMAIL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from webmail.dav.calendar_filter import text_matches
from webmail.dav.xml_requests import AddressbookQuery, ParamFilter, PropFilter


@dataclass(frozen=True)
class CardProperty:
    name: str
    params: dict[str, list[str]] = field(default_factory=dict)
    value: str = ""


def read_properties(data: bytes) -> list[CardProperty]:
    """The content lines of a vCard (one card), unfolded, names upper-cased, group prefixes dropped."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    for raw in text.split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    found: list[CardProperty] = []
    for line in lines:
        head, sep, value = _split_value(line)
        if not sep:
            continue
        parts = head.split(";")
        name = parts[0].rsplit(".", 1)[-1].upper()
        params: dict[str, list[str]] = {}
        for part in parts[1:]:
            key, _, val = part.partition("=")
            if not val:  # vCard 2.1 style bare type: TEL;WORK
                key, val = "TYPE", key
            params.setdefault(key.upper(), []).extend(v.strip('"') for v in val.split(","))
        found.append(CardProperty(name, params, _unescape(value)))
    return found


def _split_value(line: str) -> tuple[str, str, str]:
    """Split at the first colon outside a quoted parameter value."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return line[:i], ":", line[i + 1 :]
    return line, "", ""


def _unescape(value: str) -> str:
    return (
        value.replace("\\n", "\n")
        .replace("\\N", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
    )


def matches(data: bytes, query: AddressbookQuery) -> bool:
    """Does this vCard pass the query's filter? No prop-filter at all matches every card."""
    if not query.prop_filters:
        return True
    props = read_properties(data)
    results = (_prop_matches(props, pf) for pf in query.prop_filters)
    return all(results) if query.test == "allof" else any(results)


def _prop_matches(props: list[CardProperty], flt: PropFilter) -> bool:
    named = [p for p in props if p.name == flt.name]
    if flt.is_not_defined:
        return not named
    if not named:
        return False
    if not flt.text_match and not flt.param_filters:
        return True
    for prop in named:
        tests = [text_matches(m, [prop.value]) for m in flt.text_match]
        tests += [_param_matches(prop, pf) for pf in flt.param_filters]
        if all(tests) if flt.test == "allof" else any(tests):
            return True
    return False


def _param_matches(prop: CardProperty, flt: ParamFilter) -> bool:
    values = prop.params.get(flt.name)
    if flt.is_not_defined:
        return values is None
    if values is None:
        return False
    return flt.text_match is None or text_matches(flt.text_match, values)
