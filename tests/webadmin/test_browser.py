"""WebAdmin in Chromium, on the web service as the supervisor runs it (tests/webmail/live.py): sign in,
look around, change a domain's setting and see it stored, meet a bad value, and a delegated
administrator's narrower view. Screenshots go to the artifacts directory (docs/images/ keeps copies)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.webadmin.conftest import delegate
from tests.webmail.live import LiveServer, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "adminpass1"  # tests/support/service.py: init --demo --admin-password
IDLE = "web.session_idle_seconds"


def admin_sign_in(
    page: Page, server: LiveServer, name: str = "admin", password: str = ADMIN_PASSWORD
) -> None:
    page.goto(f"{server.admin_url}/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def clean_domain_settings(live_server: LiveServer) -> Iterator[None]:
    yield
    live_server.store.settings.clear(IDLE, domain="example.test")


def test_sign_in_and_change_a_domain_setting(
    live_server: LiveServer, page: Page, artifacts: Path, clean_domain_settings: None
) -> None:
    page.goto(f"{live_server.admin_url}/login")
    shot(page, artifacts, "webadmin-login")
    admin_sign_in(page, live_server)
    assert page.locator("#domain-count").inner_text() == "1"
    shot(page, artifacts, "webadmin-dashboard")

    page.click("nav.side >> text=All domains")
    page.click("#domain-list >> text=example.test")
    assert page.locator("#limits").is_visible()
    shot(page, artifacts, "webadmin-domain")

    page.click("text=All settings of this domain")
    page.click("nav.sections >> text=web")
    inherited = page.locator("#setting-web-session_idle_seconds .inherited").inner_text()
    assert "Inherits the default:" in inherited and "30m" in inherited
    page.check("#set-web-session_idle_seconds")
    page.fill("#value-web-session_idle_seconds", "45m")
    page.click("button:has-text('Save')")
    assert page.locator(".flash.success").inner_text() == "Saved 1 change(s)."
    assert live_server.store.settings.explicit(domain="example.test") == {IDLE: 2700}
    assert page.locator("#set-web-session_idle_seconds").is_checked()
    shot(page, artifacts, "webadmin-settings")

    page.fill("#value-web-session_idle_seconds", "forever")
    page.click("button:has-text('Save')")
    error = page.locator("#setting-web-session_idle_seconds .error").inner_text()
    assert "is not a duration" in error
    assert live_server.store.settings.explicit(domain="example.test") == {IDLE: 2700}
    shot(page, artifacts, "webadmin-settings-error")

    page.click("text=Sign out")
    page.wait_for_url(lambda url: url.endswith("/login"))


def test_a_delegated_administrator_sees_their_domain_only(
    live_server: LiveServer, page: Page, artifacts: Path
) -> None:
    store = live_server.store
    if "tenant.test" not in [d.name for d in store.domains.list()]:
        store.domains.add("tenant.test")
        delegate(store, "tenant-admin", "tenant.test", password="tenant-pass-1")
    admin_sign_in(page, live_server, "tenant-admin", "tenant-pass-1")
    assert "domain administrator" in page.locator("header.top").inner_text()
    page.click("nav.side >> text=All domains")
    rows = page.locator("#domain-list tbody tr")
    assert rows.count() == 1 and "tenant.test" in rows.inner_text()
    shot(page, artifacts, "webadmin-delegated")
    reply = page.goto(f"{live_server.admin_url}/domains/example.test")
    assert reply is not None and reply.status == 404
