"""Mobile pages are well-formed markup (they parse as XML, as XHTML browsers on small devices need)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions

LINK = re.compile(r'href="(/m/[^"]*)"')
DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>", re.IGNORECASE)
#: Pages not walked: none (the settings pages write their fields as XHTML, mobile/form_fields.html).
NOT_YET: tuple[str, ...] = ()
MAX_PAGES = 80


def well_formed(page: str) -> None:
    ET.fromstring(DOCTYPE.sub("", page, count=1))


def test_login_page_is_well_formed(client: FlaskClient) -> None:
    well_formed(client.get("/login").get_data(as_text=True))


def test_every_mobile_page_reached_by_links_is_well_formed(client: FlaskClient, auth: AuthActions) -> None:
    auth.login(interface="mobile")
    todo, seen = ["/m/"], set()
    while todo and len(seen) < MAX_PAGES:
        url = html.unescape(todo.pop(0))
        if url in seen or url.startswith(NOT_YET):
            continue
        seen.add(url)
        reply = client.get(url)
        assert reply.status_code == 200, url
        if reply.mimetype != "text/html":
            continue  # a message's raw source (text/plain) and attachment downloads are not pages
        page = reply.get_data(as_text=True)
        try:
            well_formed(page)
        except ET.ParseError as exc:
            line = page.splitlines()[exc.position[0] - 1] if exc.position[0] else ""
            raise AssertionError(f"{url}: {exc}: {line[:200]}") from None
        todo += [link for link in LINK.findall(page) if "/logout" not in link]
    assert len(seen) >= 5
    assert {"/m/settings/rules", "/m/settings/senders", "/m/settings/aliases"} <= seen, sorted(seen)
