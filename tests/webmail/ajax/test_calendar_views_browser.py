"""The Ajax calendar's parity with the Standard calendar in Chromium on the whole server (conftest.py):
a repeat rule made in the Ajax event form (every 2 months, 3 times) puts the event on exactly the days the
Standard calendar shows it, and the form reads the rule back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CHIP = ".ax-calendar .ax-event"


def _month_after(day: date, months: int) -> date:
    """The 15th of the month ``months`` after ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 15)


def _open_calendar(page: Page, world: World, me: str) -> None:
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-cal-bar")).to_be_attached(timeout=20_000)  # calendar.js has run
    page.locator(".ax-views [data-view=calendar]").click()
    expect(page.locator(".ax-cal-bar h2")).not_to_be_empty()


def test_every_two_months_three_times_shows_on_those_days_in_standard(
    world: World, page: Page, artifacts: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("calrule")
    _open_calendar(page, world, me)
    page.locator(".ax-cal-bar [data-action=new]").click()
    dialog = page.get_by_role("dialog")
    today = date.fromisoformat(dialog.locator("#ax-ev-start-day").input_value())  # in the browser
    first = _month_after(today, 1)
    dialog.locator("#ax-ev-title").fill("Board meeting")
    dialog.locator("#ax-ev-start-day").fill(first.isoformat())
    dialog.locator("#ax-ev-start-time").fill("10:00")
    dialog.locator("#ax-ev-end-day").fill(first.isoformat())
    dialog.locator("#ax-ev-end-time").fill("11:00")
    expect(dialog.locator("#ax-ev-interval")).to_be_hidden()  # no details while it does not repeat
    dialog.locator("#ax-ev-repeat").select_option("monthly")
    expect(dialog.locator("#ax-ev-weekday-mo")).to_be_hidden()  # weekdays are for weekly only
    dialog.locator("#ax-ev-interval").fill("2")
    dialog.get_by_label("after").check()
    dialog.get_by_label("Number of times").fill("3")
    shot(page, artifacts, "webmail-ajax-calendar-repeat")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)

    # the form reads the rule back as it was written
    page.keyboard.press("m")
    page.keyboard.press("n")
    chip = page.locator(CHIP, has_text="Board meeting")
    expect(chip).to_have_count(1)
    chip.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("the whole series").check()
    expect(dialog.locator("#ax-ev-repeat")).to_have_value("monthly")
    expect(dialog.locator("#ax-ev-interval")).to_have_value("2")
    expect(dialog.locator("#ax-ev-ends-count")).to_be_checked()
    expect(dialog.locator("#ax-ev-count")).to_have_value("3")
    dialog.get_by_role("button", name="Cancel").click()
    page.keyboard.press("n")  # the month after: no occurrence (every 2 months)
    expect(page.locator(".ax-cal-bar h2")).not_to_be_empty()
    expect(chip).to_have_count(0)

    # the Standard calendar, day by day: the 1st, 3rd and 5th month, nowhere else
    shown = {_month_after(today, n) for n in (1, 3, 5)}
    for day in sorted(
        shown | {_month_after(today, n) for n in (2, 4, 7)} | {date(first.year, first.month, 16)}
    ):
        page.goto(f"{world.url}/mail/calendar?view=day&date={day.isoformat()}")
        expect(page.locator("h1, h2").first).to_be_visible()
        if day in shown:
            expect(page.locator("main")).to_contain_text("Board meeting")
        else:
            expect(page.locator("main")).not_to_contain_text("Board meeting")
    assert errors == []
