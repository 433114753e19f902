"""Response bodies: multistatus (RFC 4918 13), precondition errors (RFC 4918 16) and property values.

Pure: values in, UTF-8 XML bytes out. Property values are ElementTree elements made with :func:`prop`,
so a handler never formats XML text by hand (and so never forgets to escape a display name).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from http import HTTPStatus

from webmail.dav.names import FIELDPOST, dav


def status_line(code: int) -> str:
    return f"HTTP/1.1 {code} {HTTPStatus(code).phrase}"


def prop(name: str, text: str | None = None, children: Iterable[ET.Element] = ()) -> ET.Element:
    """A property element with text or child elements."""
    element = ET.Element(name)
    if text is not None:
        element.text = text
    element.extend(children)
    return element


def empty(name: str) -> ET.Element:
    return ET.Element(name)


def href(url: str) -> ET.Element:
    return prop(dav("href"), url)


def hrefs(name: str, urls: Iterable[str]) -> ET.Element:
    return prop(name, children=[href(u) for u in urls])


def response(
    url: str,
    found: Iterable[ET.Element] = (),
    failed: Mapping[int, Iterable[str]] | None = None,
) -> ET.Element:
    """One DAV:response: a 200 propstat with the values found, one propstat per failure status."""
    element = ET.Element(dav("response"))
    element.append(href(url))
    found = list(found)
    if found:
        element.append(_propstat([el for el in found], 200))
    for code, names in (failed or {}).items():
        names = list(names)
        if names:
            element.append(_propstat([ET.Element(n) for n in names], code))
    if len(element) == 1:  # asked for nothing: RFC 4918 wants a propstat anyway
        element.append(_propstat([], 200))
    return element


def _propstat(values: list[ET.Element], code: int) -> ET.Element:
    propstat = ET.Element(dav("propstat"))
    container = ET.SubElement(propstat, dav("prop"))
    container.extend(values)
    ET.SubElement(propstat, dav("status")).text = status_line(code)
    return propstat


def status_response(url: str, code: int) -> ET.Element:
    """A DAV:response with a status and no properties (a sync-collection removal, a missing href)."""
    element = ET.Element(dav("response"))
    element.append(href(url))
    ET.SubElement(element, dav("status")).text = status_line(code)
    return element


def multistatus(responses: Iterable[ET.Element], *, sync_token: str | None = None) -> bytes:
    root = ET.Element(dav("multistatus"))
    root.extend(responses)
    if sync_token is not None:
        ET.SubElement(root, dav("sync-token")).text = sync_token
    return serialise(root)


def error_body(condition: str, text: str | None = None) -> bytes:
    """RFC 4918 16: ``<d:error><condition/></d:error>``, plus the human reason in an element of our own
    namespace (clients ignore what they do not know)."""
    root = ET.Element(dav("error"))
    ET.SubElement(root, condition)
    if text:
        ET.SubElement(root, f"{{{FIELDPOST}}}reason").text = text
    return serialise(root)


def serialise(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
