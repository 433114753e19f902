"""XML namespaces and element names of WebDAV, CalDAV, CardDAV and the Apple extensions we answer.

Element names are ElementTree "Clark" names (``{namespace}local``); the prefixes registered here only
make the responses readable (``d:``, ``cal:``, ``card:``, ``cs:``, ``ical:``), clients never rely on them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
CALSERVER = "http://calendarserver.org/ns/"
APPLE_ICAL = "http://apple.com/ns/ical/"
FIELDPOST = "http://fieldpost.invalid/ns/"  # our own: the human reason in an error body

PREFIXES = {"d": DAV, "cal": CALDAV, "card": CARDDAV, "cs": CALSERVER, "ical": APPLE_ICAL, "fp": FIELDPOST}
for _prefix, _uri in PREFIXES.items():
    ET.register_namespace(_prefix, _uri)


def dav(local: str) -> str:
    return f"{{{DAV}}}{local}"


def caldav(local: str) -> str:
    return f"{{{CALDAV}}}{local}"


def carddav(local: str) -> str:
    return f"{{{CARDDAV}}}{local}"


def calserver(local: str) -> str:
    return f"{{{CALSERVER}}}{local}"


def apple(local: str) -> str:
    return f"{{{APPLE_ICAL}}}{local}"


# The properties we keep per collection (PROPPATCH): display name and colour.
DISPLAYNAME = dav("displayname")
CALENDAR_COLOR = apple("calendar-color")
WRITABLE_PROPERTIES = frozenset({DISPLAYNAME, CALENDAR_COLOR})
