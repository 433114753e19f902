"""The URL layout of the DAV tree, relative to ``/dav/``; pure, no Flask, no storage.

::

    /dav/                                    root (answers current-user-principal)
    /dav/principals/                         the principal collection
    /dav/principals/<address>/               a user's principal (home sets, address set)
    /dav/principals/<address>/outbox/        scheduling outbox (RFC 6638: free/busy POST)
    /dav/principals/<address>/inbox/         scheduling inbox (always empty: iMIP goes by mail)
    /dav/calendars/<address>/                calendar home: own, shared and public calendars
    /dav/calendars/<address>/<segment>/      one calendar (a calendar, tasks, notes or journal folder)
    /dav/calendars/<address>/<segment>/<n>   one resource (an event, a task...)
    /dav/addressbooks/<address>/...          the same for contacts folders

A collection's segment is one path segment naming a folder for the signed-in user: the folder path of
one of their own folders, or ``<owner>:<path>`` for a folder shared with them (the owner's address, or
the domain's public folders' owner name). ``/`` inside a folder path becomes ``:``. Segments are matched
against the user's collection list, never parsed back into ids, so a made-up segment simply is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

ROOT = "/dav/"
AREAS = ("calendars", "addressbooks")
SAFE = "@:~!$&'()*+,;="  # sub-delims and ":"/"@": legal in a path segment, left as they are


@dataclass(frozen=True)
class Target:
    """What a request path names. ``kind``: root, principals, principal, outbox, inbox, home,
    collection, item or unknown."""

    kind: str
    address: str = ""
    area: str = ""
    segment: str = ""
    name: str = ""


def parse(path: str) -> Target:
    """The target of a path below ``/dav/`` (already percent-decoded by the WSGI server)."""
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts:
        return Target("root")
    head, rest = parts[0], parts[1:]
    if head == "principals":
        if not rest:
            return Target("principals")
        address = rest[0].lower()
        if len(rest) == 1:
            return Target("principal", address)
        if len(rest) == 2 and rest[1] in ("outbox", "inbox"):
            return Target(rest[1], address)
        return Target("unknown")
    if head in AREAS and rest:
        address = rest[0].lower()
        if len(rest) == 1:
            return Target("home", address, head)
        if len(rest) == 2:
            return Target("collection", address, head, rest[1])
        if len(rest) == 3:
            return Target("item", address, head, rest[1], rest[2])
    return Target("unknown")


def segment_of(path: str, owner: str, me: str) -> str:
    """The segment of a folder in ``me``'s home (see the module notes)."""
    flat = path.strip("/").replace("/", ":")
    return flat if owner.lower() == me.lower() else f"{owner.lower()}:{flat}"


def folder_path(segment: str) -> str:
    """The folder path a new collection (MKCALENDAR/MKCOL) at ``segment`` gets."""
    return segment.replace(":", "/").strip("/")


def _q(text: str) -> str:
    return quote(text, safe=SAFE)


def quote_name(name: str) -> str:
    """A resource or segment name as it appears in an href."""
    return _q(name)


def principal(address: str) -> str:
    return f"{ROOT}principals/{_q(address)}/"


def outbox(address: str) -> str:
    return f"{principal(address)}outbox/"


def inbox(address: str) -> str:
    return f"{principal(address)}inbox/"


def home(area: str, address: str) -> str:
    return f"{ROOT}{area}/{_q(address)}/"


def collection(area: str, address: str, segment: str) -> str:
    return f"{home(area, address)}{_q(segment)}/"


def item(area: str, address: str, segment: str, name: str) -> str:
    return f"{collection(area, address, segment)}{_q(name)}"


def area_of(kind: str) -> str:
    """The home a folder kind is listed in."""
    return "addressbooks" if kind == "contacts" else "calendars"
