"""The DAV client of bench/dav.py, the same for both servers: requests, discovery and answer checks.

A :class:`DavSession` is one client: a kept-alive HTTP/1.1 connection to 127.0.0.1 (reopened when the
server closes it, as Radicale's HTTP/1.0 server does after every answer), HTTP Basic authentication sent
with every request (the calendar's owner), the request body as bytes. Discovery is what a CalDAV client
does (RFC 6764, RFC 5397, RFC 4791 6.2.1): ``/.well-known/caldav``, then ``current-user-principal``, then
``calendar-home-set``, then a Depth 1 PROPFIND of the home, so the bench needs no knowledge of either
server's URL layout.

The answers are checked, not parsed in full (the client must not be the bottleneck): how many
``response`` elements, how many VEVENTs, how many free/busy periods, and for a sample the UIDs and
occurrence counts, so both servers are seen to answer the same thing.
"""

from __future__ import annotations

import base64
import http.client
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote, urljoin, urlsplit

from bench.dav_data import utc_text
from bench.webmail_load import TIMEOUT, HttpError, Session

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
_RESPONSE = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?response[\s>]")
_TOKEN = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?sync-token[^>]*>\s*([^<\s]+)\s*<")
_UID = re.compile(rb"^UID:(.*?)\r?$", re.MULTILINE)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: http.client.HTTPMessage


class DavSession(Session):
    """One DAV client on one kept-alive connection."""

    def __init__(self, port: int) -> None:
        super().__init__(port)

    def dav(self, method: str, path: str, user: str, password: str, body: bytes = b"",
            depth: str | None = None, headers: dict[str, str] | None = None) -> Answer:  # fmt: skip
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        head = {"Authorization": f"Basic {token}", "User-Agent": "fieldpost-bench-dav"}
        if body:
            head["Content-Type"] = (
                "application/xml; charset=utf-8" if body.startswith(b"<") else "text/calendar"
            )
        if depth is not None:
            head["Depth"] = depth
        head.update(headers or {})
        for attempt in range(2):  # a kept-alive connection the server closed meanwhile is opened again
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            try:
                self.conn.request(method, path, body=body or None, headers=head)
                raw = self.conn.getresponse()
                payload = raw.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
                continue
            if raw.will_close:
                self.close()
            return Answer(raw.status, payload, raw.headers)
        raise AssertionError("unreachable")

    def expect(self, answer: Answer, *statuses: int, what: str = "") -> Answer:
        if answer.status not in statuses:
            raise HttpError(f"{what}: HTTP {answer.status} {answer.body[:300]!r}")
        return answer


# -- request bodies ----------------------------------------------------------------------------------


def week_query(start: datetime, end: datetime, expand: bool = True) -> bytes:
    """RFC 4791 7.8: VEVENTs overlapping [start, end), calendar data expanded into occurrences."""
    s, e = utc_text(start), utc_text(end)
    data = f'<C:calendar-data><C:expand start="{s}" end="{e}"/></C:calendar-data>' if expand else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f"<D:prop><D:getetag/>{data}</D:prop>"
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f'<C:time-range start="{s}" end="{e}"/>'
        "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    ).encode()


def freebusy_query(start: datetime, end: datetime) -> bytes:
    """RFC 4791 7.10."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f'<C:time-range start="{utc_text(start)}" end="{utc_text(end)}"/></C:free-busy-query>'
    ).encode()


def sync_query(token: str) -> bytes:
    """RFC 6578 3.2, sync-level 1, ETags only (what a client asks before fetching what changed)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
        f"<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    ).encode()


def _propfind(*props: str) -> bytes:
    inner = "".join(f"<{p}/>" for p in props)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f"<D:prop>{inner}</D:prop></D:propfind>"
    ).encode()


# -- answers -----------------------------------------------------------------------------------------


def responses(body: bytes) -> int:
    return len(_RESPONSE.findall(body))


def vevents(body: bytes) -> int:
    return body.count(b"BEGIN:VEVENT")


def busy_periods(body: bytes) -> int:
    """FREEBUSY periods in a VFREEBUSY (folded lines joined; a line may list several periods)."""
    text = body.replace(b"\r\n ", b"").replace(b"\n ", b"")
    return sum(line.count(b",") + 1 for line in text.splitlines() if line.startswith(b"FREEBUSY"))


def occurrence_counts(body: bytes) -> Counter[str]:
    """UID -> number of VEVENTs (occurrences, when expanded) in a calendar-query answer."""
    text = body.replace(b"&#13;", b"").replace(b"\r\n ", b"").replace(b"\n ", b"")
    return Counter(uid.strip().decode() for uid in _UID.findall(text))


def sync_token(body: bytes) -> str:
    match = _TOKEN.search(body)
    if not match:
        raise HttpError(f"no sync-token in {body[:300]!r}")
    return match.group(1).decode()


# -- discovery ---------------------------------------------------------------------------------------


def _href(body: bytes, prop: str) -> str:
    root = ET.fromstring(body)
    for element in root.iter(prop):
        href = element.find(f"{DAV}href")
        if href is not None and href.text:
            return urlsplit(href.text.strip()).path
    raise HttpError(f"no {prop} in {body[:300]!r}")


def discover(session: DavSession, user: str, password: str) -> dict[str, str]:
    """The user's calendars: display name (and last path segment) -> collection path."""
    path = "/.well-known/caldav"
    for _ in range(5):
        answer = session.dav("PROPFIND", path, user, password, _propfind("D:current-user-principal"), "0")
        location = answer.headers.get("Location")
        if answer.status in (301, 302, 303, 307, 308) and location:
            path = urlsplit(urljoin(path, location)).path
            continue
        break
    session.expect(answer, 207, what=f"PROPFIND {path}")
    principal = _href(answer.body, f"{DAV}current-user-principal")
    answer = session.dav("PROPFIND", principal, user, password, _propfind("C:calendar-home-set"), "0")
    home = _href(session.expect(answer, 207, what=f"PROPFIND {principal}").body, f"{CALDAV}calendar-home-set")
    answer = session.dav("PROPFIND", home, user, password, _propfind("D:resourcetype", "D:displayname"), "1")
    root = ET.fromstring(session.expect(answer, 207, what=f"PROPFIND {home}").body)
    calendars: dict[str, str] = {}
    for response in root.iter(f"{DAV}response"):
        href = response.findtext(f"{DAV}href") or ""
        if response.find(f".//{DAV}resourcetype/{CALDAV}calendar") is None:
            continue
        href = urlsplit(href.strip()).path
        name = response.findtext(f".//{DAV}displayname") or ""
        segment = unquote(href.rstrip("/").rsplit("/", 1)[-1])
        for key in (name, segment):
            if key:
                calendars.setdefault(key.lower(), href if href.endswith("/") else href + "/")
    return calendars
