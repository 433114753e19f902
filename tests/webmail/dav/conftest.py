"""Fixtures of the DAV tests: the WebMail app's test client speaking DAV with HTTP Basic credentials.

``dav.request(method, path, body, user=..., **headers)`` sends one request as alice (default), bob or
carol (passwords ``pass-<name>`` from tests/webmail/conftest.py); ``dav.xml(response)`` parses a
multistatus into {href: {property name: element}} for the 200 propstats, plus statuses by href.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.webmail.conftest import Seeded
from webmail.dav.names import dav as d


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Dav:
    client: FlaskClient
    seeded: Seeded

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str = b"",
        *,
        user: str = "alice",
        password: str | None = None,
        **headers: str,
    ) -> TestResponse:
        data = body.encode() if isinstance(body, str) else body
        address = user if "@" in user else f"{user}@example.test"
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        sent["Authorization"] = basic(
            address, password if password is not None else f"pass-{user.split('@')[0]}"
        )
        return self.client.open(path, method=method, data=data, headers=sent)

    def organizer(self, user: str = "alice") -> Any:
        account = getattr(self.seeded, user)
        return self.seeded.store.for_user(account.id).organizer


def props(response: TestResponse) -> dict[str, dict[str, ET.Element]]:
    """href -> {property: element} of every 200 propstat in a multistatus."""
    root = ET.fromstring(response.get_data())
    out: dict[str, dict[str, ET.Element]] = {}
    for resp in root.findall(d("response")):
        href = resp.findtext(d("href")) or ""
        if resp.find(d("propstat")) is None:
            continue  # a bare status: see statuses()
        found = out.setdefault(href, {})
        for propstat in resp.findall(d("propstat")):
            if " 200 " in (propstat.findtext(d("status")) or ""):
                for p in propstat.find(d("prop")) or []:
                    found[p.tag] = p
    return out


def statuses(response: TestResponse) -> dict[str, str]:
    """href -> status line of the responses that carry a bare status (missing, removed)."""
    root = ET.fromstring(response.get_data())
    return {
        r.findtext(d("href")) or "": r.findtext(d("status")) or ""
        for r in root.findall(d("response"))
        if r.find(d("status")) is not None
    }


@pytest.fixture
def dav(client: FlaskClient, seeded: Seeded) -> Dav:
    return Dav(client, seeded)


EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20261201T000000Z\r
DTSTART:{start}\r
DTEND:{end}\r
SUMMARY:{summary}\r
{extra}END:VEVENT\r
END:VCALENDAR\r
"""


def event(
    uid: str,
    start: str = "20261207T090000Z",
    end: str = "20261207T100000Z",
    summary: str = "Meeting",
    extra: str = "",
) -> str:
    return EVENT.format(uid=uid, start=start, end=end, summary=summary, extra=extra)


CARD = """BEGIN:VCARD\r
VERSION:3.0\r
UID:{uid}\r
FN:{name}\r
EMAIL;TYPE=work:{email}\r
END:VCARD\r
"""


def card(uid: str, name: str, email: str) -> str:
    return CARD.format(uid=uid, name=name, email=email)
