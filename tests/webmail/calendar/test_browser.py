"""The calendar in a real browser (Chromium through Playwright, the web service as the supervisor runs
it): alice creates a weekly recurring event from the form, sees it in the week and month views on the
right days, moves one occurrence to another day and deletes another; then the Mobile agenda. No
Content Security Policy error on the way (calendar.js runs under the strict CSP). Screenshots go to
the artifacts directory (tests/webmail/live.py); docs/images/ keeps copies for docs/organizer.md."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.webmail.live import PASSWORD, LiveServer, shot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

WEEK_OF = "2027-03-01"  # a Monday


def cells(page: Page, text: str) -> list[str]:
    """The days (data-day) of the view cells that hold an event titled ``text``, once the page has
    loaded (a view's first cell is there before the parser reaches its last)."""
    page.wait_for_load_state()
    found = page.eval_on_selector_all(
        "td[data-day], section[data-day]",
        "(cells, text) => cells.filter(c => [...c.querySelectorAll('.cal-summary')]"
        ".some(s => s.textContent.trim() === text)).map(c => c.dataset.day)",
        text,
    )
    return sorted(set(found))


def test_weekly_event_moved_and_deleted_in_chromium(
    live_server: LiveServer, page: Page, mobile_page: Page, artifacts: Path
) -> None:
    me = f"cal-{uuid.uuid4().hex[:8]}@example.test"  # an account of its own: the server is shared
    live_server.store.accounts.add(me, PASSWORD)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_server, me)

    page.goto(f"{live_server.url}/mail/calendar?view=week&date={WEEK_OF}")
    page.click("#new-event")
    page.fill("#summary", "Standup")
    page.fill("#location", "Room 1")
    page.fill("#start_date", WEEK_OF)
    page.fill("#start_time", "09:30")
    page.fill("#end_date", WEEK_OF)
    page.fill("#end_time", "09:45")
    expect(page.locator("#weekday-choice")).to_be_hidden()  # calendar.js: no weekdays until "weekly"
    page.select_option("#repeat", "weekly")
    expect(page.locator("#weekday-choice")).to_be_visible()
    page.check("#weekday-MO")
    page.check("#weekday-WE")
    page.check("#ends-count")
    page.fill("#count", "6")
    page.select_option("#reminder", "15")
    page.fill("#categories", "Work")
    shot(page, artifacts, "calendar-event-form")
    page.click("#save-event")
    page.wait_for_selector(".cal-week")
    assert cells(page, "Standup") == ["2027-03-01", "2027-03-03"]
    shot(page, artifacts, "calendar-week")

    page.click("#view-month")
    page.wait_for_selector(".cal-month")
    assert cells(page, "Standup") == [
        "2027-03-01",
        "2027-03-03",
        "2027-03-08",
        "2027-03-10",
        "2027-03-15",
        "2027-03-17",
    ]
    shot(page, artifacts, "calendar-month")

    page.click("#view-week")
    page.click("td[data-day='2027-03-03'] .cal-entry")  # Wednesday's occurrence
    expect(page.locator("#scope-this")).to_be_checked()
    expect(page.locator("#repeat-fields")).to_be_hidden()  # one occurrence: no repeat choice
    page.fill("#start_date", "2027-03-04")
    page.fill("#end_date", "2027-03-04")
    page.click("#save-event")
    page.wait_for_selector(".cal-week")
    assert cells(page, "Standup") == ["2027-03-01", "2027-03-04"]

    page.click("td[data-day='2027-03-01'] .cal-entry")  # Monday's occurrence
    page.click("#delete-occurrence")
    page.wait_for_selector(".cal-week")
    assert cells(page, "Standup") == ["2027-03-04"]
    shot(page, artifacts, "calendar-week-changed")
    page.click("#view-month")
    page.wait_for_selector(".cal-month")
    assert cells(page, "Standup") == ["2027-03-04", "2027-03-08", "2027-03-10", "2027-03-15", "2027-03-17"]

    sign_in(mobile_page, live_server, me)
    mobile_page.goto(f"{live_server.url}/m/calendar?view=agenda&date={WEEK_OF}")
    assert cells(mobile_page, "Standup") == [
        "2027-03-04",
        "2027-03-08",
        "2027-03-10",
        "2027-03-15",
        "2027-03-17",
    ]
    shot(mobile_page, artifacts, "calendar-mobile-agenda")
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
