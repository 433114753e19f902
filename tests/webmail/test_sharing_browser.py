"""Sharing in a real browser (Chromium through Playwright, the real gunicorn service): the owner shares
their calendar with a colleague as viewer from Manage folders, and lets them send on their behalf from the
whole mailbox's page; the colleague then finds the calendar among their organizer folders, read-only,
and the owner among the "From" choices of the compose page. Screenshots go to the artifacts directory."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from tests.webmail.live import PASSWORD, LiveServer, shot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_share_a_calendar_as_viewer_and_delegate(
    live_server: LiveServer, page: Page, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    tag = uuid.uuid4().hex[:8]
    owner, guest = f"own-{tag}@example.test", f"col-{tag}@example.test"  # accounts of their own
    store = live_server.store
    store.accounts.add(owner, PASSWORD)
    store.accounts.add(guest, PASSWORD)

    sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/mail/calendar/calendars")  # the calendar's own list links the dialog
    page.locator("#calendar-list tr", has_text="Calendar").locator("a.cal-share").click()
    expect(page.locator("h1")).to_contain_text("Calendar")
    page.fill("#sharing-address", guest)
    page.select_option("form.sharing-grant select[name=role]", "viewer")
    page.click("form.sharing-grant button[type=submit]")
    entry = page.locator("li.sharing-entry", has_text=guest)
    expect(entry.locator("code.rights")).to_have_text("lrs")
    shot(page, artifacts, "sharing-calendar-viewer")

    page.goto(f"{live_server.url}/mail/folders")
    page.click("#sharing-whole-link")
    page.fill("#delegate-address", guest)
    page.check("form.delegate-add input[name=send_on_behalf]")
    page.click("form.delegate-add button[type=submit]")
    expect(page.locator("li.delegate", has_text=guest).locator("input[name=send_on_behalf]")).to_be_checked()
    shot(page, artifacts, "sharing-delegation")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))  # signed out before the next sign-in begins

    sign_in(page, live_server, guest)
    page.goto(f"{live_server.url}/mail/folders")
    shared = page.locator("#sharing-more li", has_text=f"{owner}: Calendar")
    expect(shared).to_contain_text("read-only")
    expect(shared.get_by_role("link", name="Sharing")).to_have_count(0)
    page.goto(f"{live_server.url}/mail/calendar/calendars")  # in the calendar list, with its owner
    row = page.locator("#calendar-list tr", has_text=f"shared by {owner}")
    expect(row).to_contain_text("read only")
    expect(row.locator("a.cal-share")).to_have_count(0)
    shot(page, artifacts, "sharing-calendar-seen-by-colleague")
    page.goto(f"{live_server.url}/mail/compose")
    expect(page.locator(f'#identity option[value="behalf:{owner}"]')).to_have_count(1)
