"""The Ajax calendar's free/busy grid in Chromium on the whole server (conftest.py): opened from the event
dialog, it shows the user and the attendees typed as rows and the hours of the event's day as columns, on
the account's clock (Asia/Kolkata, not the browser's zone): bob, who granted the user "read free/busy",
is busy in the hour of his event and free elsewhere; carol, who granted nothing, "has not shared"; the
event's hours are marked, and the grid steps a day forward and back from the keyboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from mailflow.meetings.answering import default_calendar
from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ZONE = "Asia/Kolkata"  # UTC+5:30 all year, the browser runs on UTC


def _weekday_ahead() -> date:
    """A working day at least two days ahead on the account's clock (its hours are highlighted)."""
    day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _busy_event(start: datetime) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VEVENT",
        "UID:fb-grid-busy@example.test",
        "DTSTAMP:20261201T090000Z",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
        "SUMMARY:Dentist",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


def test_the_event_dialog_opens_the_grid_of_its_attendees(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1280, "height": 900})
    alice = world.account("fbalice")
    bob = world.account("fbbob")
    carol = world.account("fbcarol")
    day = _weekday_ahead()
    # bob's event: 10:00-11:00 on alice's clock (04:30-05:30 UTC)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
    store = world.store()
    try:
        store.settings.set("user.timezone", ZONE, account=alice)
        organizer = store.for_user(store.accounts.get(bob).id).organizer
        organizer.put(default_calendar(organizer), None, _busy_event(start))
        store.acl.grant(bob, "", alice, "1")  # read free/busy
        default_calendar(store.for_user(store.accounts.get(carol).id).organizer)
    finally:
        store.close()

    sign_in_to_ajax(page, world.url, alice)
    expect(page.locator(".ax-cal-bar")).to_be_attached(timeout=20_000)  # calendar.js has run
    page.locator(".ax-views [data-view=calendar]").click()
    expect(page.locator(".ax-cal-bar h2")).not_to_be_empty()
    page.locator(".ax-cal-bar [data-action=new]").click()
    form = page.get_by_role("dialog", name="Event")
    form.locator("#ax-ev-title").fill("Planning")
    form.locator("#ax-ev-start-day").fill(day.isoformat())
    form.locator("#ax-ev-start-time").fill("10:00")
    form.locator("#ax-ev-end-day").fill(day.isoformat())
    form.locator("#ax-ev-end-time").fill("11:00")
    form.locator("#ax-ev-attendees").fill(f"{bob}, {carol}")
    opener = form.get_by_role("button", name="Free/busy of the attendees")
    opener.focus()
    shot(page, artifacts, "webmail-ajax-calendar-freebusy-from-event")
    page.keyboard.press("Enter")

    grid_dialog = page.get_by_role("dialog", name="Free/busy")
    table = grid_dialog.get_by_role("table")
    expect(table).to_have_count(1)
    # a real table: the people are row headers, the hours column headers
    expect(table.get_by_role("rowheader")).to_have_text([f"{alice} (you)", bob, carol])
    expect(table.get_by_role("columnheader")).to_have_count(25)
    expect(table.locator("thead th[data-hour='10']")).to_have_class("ax-fb-hour ax-fb-work ax-fb-proposed")
    expect(table.locator("caption")).to_contain_text(str(day.year))
    expect(grid_dialog).to_contain_text(f"Times in {ZONE}.")
    expect(grid_dialog).to_contain_text(f"The event: {day.isoformat()} 10:00 – {day.isoformat()} 11:00")

    def cell(address: str, hour: int) -> object:
        return table.locator(f"tr[data-address='{address.lower()}'] td[data-hour='{hour}']")

    # bob: busy in the hour of his event (also the proposed one), free around it; said in words
    expect(cell(bob, 10)).to_have_text("busy, the event's time")
    expect(cell(bob, 10)).to_have_class("ax-fb-cell ax-fb-busy ax-fb-proposed")
    expect(cell(bob, 9)).to_have_text("free")
    expect(cell(bob, 11)).to_have_text("free")
    expect(cell(bob, 20)).to_have_text("free, outside working hours")
    expect(cell(alice, 10)).to_have_text("free, the event's time")
    # carol granted nothing: her row says so, and no hours
    refused = table.locator(f"tr[data-address='{carol.lower()}']")
    expect(refused).to_contain_text(f"{carol.lower()} has not shared free/busy times with you.")
    expect(refused.locator("td[data-hour]")).to_have_count(0)
    expect(grid_dialog.locator(f".ax-fb-periods[data-address='{bob.lower()}'] li")).to_have_text(
        [f"{day.isoformat()} 10:00 – {day.isoformat()} 11:00 (busy)"]
    )
    expect(grid_dialog.locator(".ax-fb-scroll")).to_be_focused()
    shot(page, artifacts, "webmail-ajax-calendar-freebusy-grid")

    # the next day from the keyboard: bob is free at 10, nothing is marked; and back
    page.keyboard.press("n")
    expect(grid_dialog.locator("#ax-fb-date")).to_have_value((day + timedelta(days=1)).isoformat())
    expect(cell(bob, 10)).to_have_text(
        "free" if (day + timedelta(days=1)).weekday() < 5 else "free, outside working hours"
    )
    page.keyboard.press("p")
    expect(grid_dialog.locator("#ax-fb-date")).to_have_value(day.isoformat())
    expect(cell(bob, 10)).to_have_text("busy, the event's time")
    grid_dialog.get_by_role("button", name="Later").click()
    expect(grid_dialog.locator("#ax-fb-date")).to_have_value((day + timedelta(days=1)).isoformat())
    grid_dialog.get_by_role("button", name="Earlier").click()
    expect(cell(bob, 10)).to_have_text("busy, the event's time")

    # Esc closes the grid only: back in the event dialog, on the button that opened it
    page.keyboard.press("Escape")
    expect(grid_dialog).to_have_count(0)
    expect(form).to_be_visible()
    expect(opener).to_be_focused()
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_have_count(0)
    assert errors == []


def test_the_bar_lookup_shows_a_week_as_rows_of_days(world: World, page: Page, artifacts: Path) -> None:
    """The bar's Free/busy with Week: a row per day of the week (Monday first) for each address."""
    me = world.account("fbweek")
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-cal-bar")).to_be_attached(timeout=20_000)
    page.locator(".ax-views [data-view=calendar]").click()
    page.locator(".ax-cal-bar [data-action=freebusy]").click()
    dialog = page.get_by_role("dialog", name="Free/busy")
    expect(dialog.get_by_label("Addresses (comma separated)")).to_be_focused()
    dialog.get_by_label("Addresses (comma separated)").fill(me)
    dialog.locator("#ax-fb-days").select_option("7")
    dialog.get_by_role("button", name="Look up").click()
    rows = dialog.locator(f"tr[data-address='{me.lower()}']")
    expect(rows).to_have_count(7)
    first = date.fromisoformat(rows.first.get_attribute("data-day") or "")
    assert first.weekday() == 0
    expect(dialog.get_by_role("columnheader")).to_have_count(26)  # who, day, 24 hours
    shot(page, artifacts, "webmail-ajax-calendar-freebusy-week")
