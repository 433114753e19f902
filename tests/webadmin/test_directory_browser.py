"""The directory pages in Chromium against the real web service (gunicorn, the WebAdmin listener): the
administrator signs in, adds an account with a random password, logs that account in with the password
the page showed once, and imports accounts from a CSV file, reading the per-line report. Screenshots go
to the artifacts directory (docs/images/webadmin-*.png are copies of them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.webmail.live import LiveServer, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

ADMIN_PASSWORD = "adminpass1"  # tests/support/service.py: init_demo


def admin_sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.admin_url}/login")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_adding_an_account_and_importing_a_csv(
    page: Page, live_server: LiveServer, artifacts: Path, tmp_path: Path
) -> None:
    admin_sign_in(page, live_server)
    page.click("nav.side a[href='/accounts']")
    expect(page.locator("#accounts")).to_contain_text("alice@example.test")
    shot(page, artifacts, "webadmin-accounts")

    page.click("#add-account")
    page.fill("#address", "browserdora")
    page.fill("#display_name", "Dora Browser")
    page.check("#random_password")
    page.fill("#quota", "20M")
    shot(page, artifacts, "webadmin-account-new")
    page.click("button.primary")
    shown = page.locator("#new-password")
    expect(shown).to_have_text(re.compile(r"^\s*\S{8,}\s*$"))  # the whole password, not a page still loading
    password = shown.inner_text().strip()
    shot(page, artifacts, "webadmin-account-password")
    account = live_server.store.auth.verify("browserdora@example.test", password, service="imap")
    assert account.display_name == "Dora Browser" and account.quota_bytes == 20 * 1024 * 1024

    page.click("text=Go to the account")
    expect(page.locator("#profile")).to_be_visible()
    expect(page.locator("#quota")).to_have_value("20M")
    shot(page, artifacts, "webadmin-account-edit")

    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "address,password,display_name,quota\n"
        "browsered,browsered-password-1,Ed,\n"
        "alice,whatever-password,,\n"
        "browserflo,,Flo,1G\n"
    )
    page.goto(f"{live_server.admin_url}/accounts/import?domain=example.test")
    page.set_input_files("#file", str(csv_file))
    page.click("button.primary")
    expect(page.locator("#import-summary")).to_have_text(re.compile(r"^\s*2 added, 1 refused\.\s*$"))
    expect(page.locator("#import-report")).to_contain_text("address alice is already taken in this domain")
    shot(page, artifacts, "webadmin-import-report")
    flo_password = page.inner_text("#import-report tr:has-text('browserflo') code").strip()
    live_server.store.auth.verify("browserflo@example.test", flo_password)
    live_server.store.auth.verify("browsered@example.test", "browsered-password-1")
