"""WebAdmin in Chromium, on the web service as the supervisor runs it (tests/webmail/live.py): sign in,
look around, change a domain's setting and see it stored, meet a bad value, and a delegated
administrator's narrower view. Screenshots go to the artifacts directory (docs/images/ keeps copies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

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
    expect(page.locator("#domain-count")).to_have_text("1")
    shot(page, artifacts, "webadmin-dashboard")

    page.click("nav.side >> text=All domains")
    page.click("#domain-list >> text=example.test")
    expect(page.locator("#limits")).to_be_visible()  # the domain's page, not the list still loading
    shot(page, artifacts, "webadmin-domain")

    page.click("text=All settings of this domain")
    page.click("nav.sections >> text=web")
    inherited = page.locator("#setting-web-session_idle_seconds .inherited")
    expect(inherited).to_contain_text("Inherits the default:")
    expect(inherited).to_contain_text("30m")
    page.check("#set-web-session_idle_seconds")
    page.fill("#value-web-session_idle_seconds", "45m")
    page.click("button:has-text('Save')")
    expect(page.locator(".flash.success")).to_have_text("Saved 1 change(s).")
    assert live_server.store.settings.explicit(domain="example.test") == {IDLE: 2700}
    expect(page.locator("#set-web-session_idle_seconds")).to_be_checked()
    shot(page, artifacts, "webadmin-settings")

    page.fill("#value-web-session_idle_seconds", "forever")
    page.click("button:has-text('Save')")
    expect(page.locator("#setting-web-session_idle_seconds .error")).to_contain_text("is not a duration")
    assert live_server.store.settings.explicit(domain="example.test") == {IDLE: 2700}
    shot(page, artifacts, "webadmin-settings-error")

    page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_a_delegated_administrator_sees_their_domain_only(
    live_server: LiveServer, page: Page, artifacts: Path
) -> None:
    store = live_server.store
    if "tenant.test" not in [d.name for d in store.domains.list()]:
        store.domains.add("tenant.test")
        delegate(store, "tenant-admin", "tenant.test", password="tenant-pass-1")
    admin_sign_in(page, live_server, "tenant-admin", "tenant-pass-1")
    expect(page.locator("header.top")).to_contain_text("domain administrator")
    page.click("nav.side >> text=All domains")
    rows = page.locator("#domain-list tbody tr")
    expect(rows).to_have_count(1)  # count() would not wait for the list page
    expect(rows).to_contain_text("tenant.test")
    shot(page, artifacts, "webadmin-delegated")
    reply = page.goto(f"{live_server.admin_url}/domains/example.test")
    assert reply is not None and reply.status == 404
