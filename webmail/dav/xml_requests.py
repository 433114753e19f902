"""Request bodies of WebDAV/CalDAV/CardDAV as frozen dataclasses: pure parsing, no Flask, no storage.

Untrusted XML is read with defusedxml (no DTDs, no entity expansion, no external references), so a
billion-laughs or XXE body is refused as malformed. Every function takes bytes and returns a request
object or raises :class:`XmlError` whose text becomes the 400 answer. The caller has already applied the
body size limit (webmail/dav/limits.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from webmail.dav.names import CALDAV, CARDDAV, caldav, carddav, dav


class XmlError(ValueError):
    """The body is not well-formed XML or not the element the method expects."""


@dataclass(frozen=True)
class TimeRange:
    """RFC 4791 9.9: either end may be open."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class TextMatch:
    text: str
    collation: str = "i;ascii-casemap"
    negate: bool = False
    match_type: str = "contains"  # RFC 6352 10.5.4 adds equals, starts-with, ends-with


@dataclass(frozen=True)
class ParamFilter:
    name: str
    is_not_defined: bool = False
    text_match: TextMatch | None = None


@dataclass(frozen=True)
class PropFilter:
    name: str
    is_not_defined: bool = False
    time_range: TimeRange | None = None
    text_match: tuple[TextMatch, ...] = ()
    param_filters: tuple[ParamFilter, ...] = ()
    test: str = "anyof"  # CardDAV only: how text-match and param-filter combine


@dataclass(frozen=True)
class CompFilter:
    name: str
    is_not_defined: bool = False
    time_range: TimeRange | None = None
    prop_filters: tuple[PropFilter, ...] = ()
    comp_filters: tuple[CompFilter, ...] = ()


@dataclass(frozen=True)
class PropRequest:
    """What a PROPFIND or REPORT asks for: all properties, their names, or the listed ones."""

    mode: str = "allprop"  # allprop | propname | prop
    names: tuple[str, ...] = ()
    expand: TimeRange | None = None  # CALDAV:calendar-data/expand (RFC 4791 9.6.5)


@dataclass(frozen=True)
class Proppatch:
    """RFC 4918 14.26/14.23: sets (name, text) and removals, in document order."""

    sets: tuple[tuple[str, str], ...] = ()
    removes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MakeCollection:
    """MKCALENDAR (RFC 4791 5.3.1) or extended MKCOL (RFC 5689) body."""

    resourcetypes: frozenset[str] = frozenset()
    sets: tuple[tuple[str, str], ...] = ()
    components: tuple[str, ...] = ()  # CALDAV:supported-calendar-component-set


@dataclass(frozen=True)
class CalendarQuery:
    props: PropRequest
    filter: CompFilter


@dataclass(frozen=True)
class Multiget:
    """calendar-multiget (RFC 4791 7.9) or addressbook-multiget (RFC 6352 8.7)."""

    props: PropRequest
    hrefs: tuple[str, ...]


@dataclass(frozen=True)
class AddressbookQuery:
    props: PropRequest
    prop_filters: tuple[PropFilter, ...] = ()
    test: str = "anyof"
    limit: int | None = None


@dataclass(frozen=True)
class FreeBusyQuery:
    time_range: TimeRange


@dataclass(frozen=True)
class SyncCollection:
    props: PropRequest
    token: str = ""
    level: str = "1"
    limit: int | None = None


@dataclass(frozen=True)
class Report:
    """Which REPORT, by its root element, and its parsed body."""

    name: str
    body: CalendarQuery | Multiget | AddressbookQuery | FreeBusyQuery | SyncCollection | None = field(
        default=None
    )


def parse_document(data: bytes) -> ET.Element:
    """The root element of an untrusted body.

    Raises:
        XmlError: not well-formed, or it uses a DTD/entities (refused by defusedxml).
    """
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise XmlError(f"the request body is not acceptable XML: {exc}") from None
    return root


def _expect(root: ET.Element, name: str) -> None:
    if root.tag != name:
        raise XmlError(f"expected the element {name}, got {root.tag}")


def parse_utc(text: str | None) -> datetime | None:
    """An RFC 5545 UTC date-time (``20060104T000000Z``), as CalDAV's time-range and expand use.

    Raises:
        XmlError: another format.
    """
    if text is None:
        return None
    value = text.strip()
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise XmlError(f"{value!r} is not a UTC date-time like 20060104T000000Z") from None


def parse_time_range(element: ET.Element) -> TimeRange:
    start, end = parse_utc(element.get("start")), parse_utc(element.get("end"))
    if start is None and end is None:
        raise XmlError("a time-range needs a start or an end")
    if start is not None and end is not None and end <= start:
        raise XmlError("a time-range must end after it starts")
    return TimeRange(start, end)


def parse_prop_request(parent: ET.Element) -> PropRequest:
    """The allprop/propname/prop child of a PROPFIND or REPORT body (absent = allprop)."""
    if parent.find(dav("propname")) is not None:
        return PropRequest(mode="propname")
    prop = parent.find(dav("prop"))
    if prop is None:
        return PropRequest(mode="allprop")
    expand = None
    data = prop.find(caldav("calendar-data"))
    if data is not None:
        found = data.find(caldav("expand"))
        if found is not None:
            expand = parse_time_range(found)
            if expand.start is None or expand.end is None:
                raise XmlError("expand needs both start and end")
    return PropRequest(mode="prop", names=tuple(child.tag for child in prop), expand=expand)


def parse_propfind(data: bytes) -> PropRequest:
    """RFC 4918 9.1: an empty body means allprop."""
    if not data.strip():
        return PropRequest(mode="allprop")
    root = parse_document(data)
    _expect(root, dav("propfind"))
    return parse_prop_request(root)


def _prop_values(container: ET.Element) -> tuple[tuple[str, str], ...]:
    values: list[tuple[str, str]] = []
    for prop in container.findall(dav("prop")):
        for child in prop:
            values.append((child.tag, "".join(child.itertext()).strip()))
    return tuple(values)


def parse_proppatch(data: bytes) -> Proppatch:
    root = parse_document(data)
    _expect(root, dav("propertyupdate"))
    sets: list[tuple[str, str]] = []
    removes: list[str] = []
    for action in root:
        if action.tag == dav("set"):
            sets.extend(_prop_values(action))
        elif action.tag == dav("remove"):
            for prop in action.findall(dav("prop")):
                removes.extend(child.tag for child in prop)
    if not sets and not removes:
        raise XmlError("propertyupdate sets and removes nothing")
    return Proppatch(tuple(sets), tuple(removes))


def parse_make_collection(data: bytes, *, calendar: bool) -> MakeCollection:
    """MKCALENDAR's optional ``mkcalendar`` body, or extended MKCOL's ``mkcol`` body."""
    if not data.strip():
        return MakeCollection(
            resourcetypes=frozenset({dav("collection"), caldav("calendar")}) if calendar else frozenset()
        )
    root = parse_document(data)
    _expect(root, caldav("mkcalendar") if calendar else dav("mkcol"))
    types: set[str] = {dav("collection"), caldav("calendar")} if calendar else set()
    sets: list[tuple[str, str]] = []
    components: list[str] = []
    for block in root.findall(dav("set")):
        for prop in block.findall(dav("prop")):
            for child in prop:
                if child.tag == dav("resourcetype"):
                    types.update(kid.tag for kid in child)
                elif child.tag == caldav("supported-calendar-component-set"):
                    components.extend(
                        (comp.get("name") or "").upper() for comp in child.findall(caldav("comp"))
                    )
                else:
                    sets.append((child.tag, "".join(child.itertext()).strip()))
    return MakeCollection(frozenset(types), tuple(sets), tuple(c for c in components if c))


def _text_match(element: ET.Element) -> TextMatch:
    return TextMatch(
        text=element.text or "",
        collation=element.get("collation", "i;ascii-casemap"),
        negate=element.get("negate-condition", "no") == "yes",
        match_type=element.get("match-type", "contains"),
    )


def _param_filter(element: ET.Element, ns: str) -> ParamFilter:
    name = (element.get("name") or "").upper()
    if not name:
        raise XmlError("param-filter needs a name")
    found = element.find(f"{{{ns}}}text-match")
    return ParamFilter(
        name=name,
        is_not_defined=element.find(f"{{{ns}}}is-not-defined") is not None,
        text_match=_text_match(found) if found is not None else None,
    )


def _prop_filter(element: ET.Element, ns: str) -> PropFilter:
    name = (element.get("name") or "").upper()
    if not name:
        raise XmlError("prop-filter needs a name")
    time_range = element.find(caldav("time-range")) if ns == CALDAV else None
    return PropFilter(
        name=name,
        is_not_defined=element.find(f"{{{ns}}}is-not-defined") is not None,
        time_range=parse_time_range(time_range) if time_range is not None else None,
        text_match=tuple(_text_match(m) for m in element.findall(f"{{{ns}}}text-match")),
        param_filters=tuple(_param_filter(p, ns) for p in element.findall(f"{{{ns}}}param-filter")),
        test=element.get("test", "anyof"),
    )


def _comp_filter(element: ET.Element) -> CompFilter:
    name = (element.get("name") or "").upper()
    if not name:
        raise XmlError("comp-filter needs a name")
    ns = CALDAV
    time_range = element.find(caldav("time-range"))
    return CompFilter(
        name=name,
        is_not_defined=element.find(caldav("is-not-defined")) is not None,
        time_range=parse_time_range(time_range) if time_range is not None else None,
        prop_filters=tuple(_prop_filter(p, ns) for p in element.findall(caldav("prop-filter"))),
        comp_filters=tuple(_comp_filter(c) for c in element.findall(caldav("comp-filter"))),
    )


def _limit(root: ET.Element, ns_limit: str) -> int | None:
    limit = root.find(ns_limit)
    if limit is None:
        return None
    found = limit.find(dav("nresults")) if ns_limit == dav("limit") else limit.find(carddav("nresults"))
    text = (found.text or "").strip() if found is not None else ""
    if not text.isdigit():
        raise XmlError("limit needs a whole number in nresults")
    return int(text)


def _hrefs(root: ET.Element) -> tuple[str, ...]:
    return tuple((h.text or "").strip() for h in root.findall(dav("href")) if (h.text or "").strip())


def parse_report(data: bytes) -> Report:
    """A REPORT body: one of the reports we answer (others come back with only their name)."""
    root = parse_document(data)
    tag = root.tag
    if tag == caldav("calendar-query"):
        found = root.find(caldav("filter"))
        comp = found.find(caldav("comp-filter")) if found is not None else None
        if comp is None:
            raise XmlError("calendar-query needs a filter with a comp-filter")
        return Report(tag, CalendarQuery(parse_prop_request(root), _comp_filter(comp)))
    if tag in (caldav("calendar-multiget"), carddav("addressbook-multiget")):
        return Report(tag, Multiget(parse_prop_request(root), _hrefs(root)))
    if tag == carddav("addressbook-query"):
        found = root.find(carddav("filter"))
        ns = CARDDAV
        filters: tuple[PropFilter, ...] = ()
        test = "anyof"
        if found is not None:
            filters = tuple(_prop_filter(p, ns) for p in found.findall(carddav("prop-filter")))
            test = found.get("test", "anyof")
        return Report(
            tag, AddressbookQuery(parse_prop_request(root), filters, test, _limit(root, carddav("limit")))
        )
    if tag == caldav("free-busy-query"):
        found = root.find(caldav("time-range"))
        if found is None:
            raise XmlError("free-busy-query needs a time-range")
        return Report(tag, FreeBusyQuery(parse_time_range(found)))
    if tag == dav("sync-collection"):
        token = root.find(dav("sync-token"))
        level = root.find(dav("sync-level"))
        return Report(
            tag,
            SyncCollection(
                parse_prop_request(root),
                (token.text or "").strip() if token is not None else "",
                (level.text or "1").strip() if level is not None else "1",
                _limit(root, dav("limit")),
            ),
        )
    return Report(tag)
