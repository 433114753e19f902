"""The Ajax event form's own time zone and categories in Chromium on the whole server (conftest.py), on
an account whose zone (Asia/Kolkata) is neither the event's nor the browser's: an event made in Ajax at
09:00 America/New_York with two categories sits at its Kolkata time in the grid, opens again on New York's
clock, and the Standard event form shows the same zone, times and categories (the VEVENT's CATEGORIES)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_calendar_edit_browser import CHIP, ZONE, _account_in_zone, _open_calendar
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

EVENT_ZONE = "America/New_York"


def _stored(world: World, address: str) -> tuple[int, str, bytes]:
    """(folder id, item name, data) of the account's only event."""
    store = world.store()
    try:
        organizer = store.for_user(store.accounts.get(address).id).organizer
        found = [
            (c.folder_id, ref.name, organizer.get(c.folder_id, ref.name).data)
            for c in organizer.collections("calendar")
            for ref in organizer.items(c.folder_id)
        ]
    finally:
        store.close()
    assert len(found) == 1
    return found[0]


def test_event_zone_and_categories_reach_the_standard_form(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = _account_in_zone(world, "zonecat")
    _open_calendar(page, world, me)
    page.locator(".ax-cal-bar [data-action=new]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#ax-ev-zone")).to_have_value(ZONE)  # a new event: the account's zone
    expect(dialog.locator("#ax-ev-start-day")).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    day = date.fromisoformat(dialog.locator("#ax-ev-start-day").input_value())
    dialog.locator("#ax-ev-title").fill("Board call")
    dialog.locator("#ax-ev-zone").select_option(EVENT_ZONE)
    dialog.locator("#ax-ev-start-time").fill("09:00")
    dialog.locator("#ax-ev-end-day").fill(day.isoformat())
    dialog.locator("#ax-ev-end-time").fill("10:00")
    dialog.locator("#ax-ev-categories").fill("Team,  budget , team, Budget")
    shot(page, artifacts, "webmail-ajax-calendar-zone-categories")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)

    # the grid shows the account's clock: 09:00 in New York, that day, read in Kolkata
    there = datetime.combine(day, time(9, 0), ZoneInfo(EVENT_ZONE)).astimezone(ZoneInfo(ZONE))
    assert there.date() == day  # 14:00 or 13:00 UTC: the same day in Kolkata
    chip = page.locator(CHIP, has_text=re.compile("Board call"))
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text(re.compile(rf"\b({there:%H:%M}|{there:%I:%M} ?PM)\b"))  # 24h or 12h clock

    # the stored VEVENT: DTSTART in New York, the categories as typed, each once
    _, _, data = _stored(world, me)
    text = data.decode()
    assert "DTSTART;TZID=America/New_York:" in text and "T090000" in text
    assert re.search(r"CATEGORIES:Team,budget\r?\n", text), text

    # opened again in Ajax: the event's own clock and zone, its categories
    chip.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#ax-ev-zone")).to_have_value(EVENT_ZONE)
    expect(dialog.locator("#ax-ev-start-time")).to_have_value("09:00")
    expect(dialog.locator("#ax-ev-end-time")).to_have_value("10:00")
    expect(dialog.locator("#ax-ev-categories")).to_have_value("Team, budget")
    dialog.get_by_role("button", name="Cancel").click()

    # the Standard event form shows the same
    folder_id, name, _ = _stored(world, me)
    page.goto(f"{world.url}/mail/calendar/{folder_id}/{name}")
    expect(page.locator("#timezone")).to_have_value(EVENT_ZONE)
    expect(page.locator("#start_time")).to_have_value("09:00")
    expect(page.locator("#end_time")).to_have_value("10:00")
    expect(page.locator("#categories")).to_have_value("Team, budget")
    assert errors == []


def test_the_calendars_link_serves_its_ics(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = _account_in_zone(world, "feed")
    _open_calendar(page, world, me)
    page.locator(".ax-cal-bar [data-action=new]").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#ax-ev-title").fill("Quarterly review")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    page.locator(".ax-cal-bar [data-action=calendars]").click()
    dialog = page.get_by_role("dialog", name="Calendars")
    row = dialog.locator(".ax-calendar-list li").first
    row.get_by_role("button", name="Link").click()
    row.get_by_role("button", name="Show the link").click()
    address = row.locator(".ax-link-url")
    expect(address).to_have_value(re.compile(r"/dav/feed/[^/]+\.ics$"))
    url = address.input_value()
    expect(row.locator(".ax-link-webcal")).to_have_value("webcal://" + url.split("://", 1)[1])
    shot(page, artifacts, "webmail-ajax-calendar-link")
    feed = page.context.request.get(url)  # the secret link alone: same answer without the session
    assert feed.status == 200 and "Quarterly review" in feed.text()
    outsider = page.context.browser.new_context() if page.context.browser else None
    if outsider is not None:
        try:
            assert "Quarterly review" in outsider.request.get(url).text()
        finally:
            outsider.close()

    row.get_by_role("button", name="Make a new link").click()
    expect(row.get_by_role("status")).to_contain_text("no longer works")
    expect(address).not_to_have_value(url)
    assert page.context.request.get(url).status == 404  # the old link stopped working
    assert errors == []
