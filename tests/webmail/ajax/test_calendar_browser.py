"""The Ajax interface's calendar in Chromium on the whole server (conftest.py): a weekly event made in
the event dialog shows in this week and the next (keys n, p, m, t), and the Standard calendar page
shows the same event, read from the same organizer item."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World, quiet_midweek
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CHIP = ".ax-calendar .ax-event"


def test_weekly_event_made_in_ajax_recurs_and_shows_in_standard(
    world: World, page: Page, artifacts: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("cal")
    today = quiet_midweek(page)  # the account's zone is UTC
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-cal-bar")).to_be_attached(timeout=20_000)  # calendar.js has run
    page.locator(".ax-views [data-view=calendar]").click()
    expect(page.locator(".ax-cal-bar h2")).not_to_be_empty()
    page.keyboard.press("w")
    expect(page.locator(".ax-cal-bar [data-action=week]")).to_have_attribute("aria-pressed", "true")

    page.locator(".ax-cal-bar [data-action=new]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#ax-ev-start-day")).to_have_value(today.isoformat())  # today, in the browser
    day = today
    dialog.locator("#ax-ev-title").fill("Weekly sync")
    dialog.locator("#ax-ev-start-day").fill(day.isoformat())
    dialog.locator("#ax-ev-start-time").fill("10:00")
    dialog.locator("#ax-ev-end-day").fill(day.isoformat())
    dialog.locator("#ax-ev-end-time").fill("11:00")
    dialog.locator("#ax-ev-repeat").select_option("weekly")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)

    chip = page.locator(CHIP, has_text="Weekly sync")
    expect(chip).to_have_count(1)
    column = page.locator(".ax-day", has=page.locator(".ax-event", has_text="Weekly sync"))
    expect(column).to_have_count(1)
    this_week = column.get_attribute("data-day")
    page.keyboard.press("n")  # next week: the next occurrence, on the same weekday
    expect(chip).to_have_count(1)
    expect(column).not_to_have_attribute("data-day", this_week or "")
    shot(page, artifacts, "webmail-ajax-calendar-week")
    page.keyboard.press("p")
    page.keyboard.press("p")  # the week before the first: nothing
    expect(page.locator(".ax-cal-bar h2")).not_to_be_empty()
    expect(chip).to_have_count(0)
    page.keyboard.press("t")
    expect(chip).to_have_count(1)

    chip.click()  # the event dialog shows the series
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#ax-ev-title")).to_have_value("Weekly sync")
    expect(dialog.locator("#ax-ev-repeat")).to_have_value("weekly")
    dialog.get_by_role("button", name="Cancel").click()

    page.keyboard.press("m")
    expect(page.locator(".ax-month")).to_be_visible()
    expect(page.locator(".ax-month .ax-event", has_text="Weekly sync").first).to_be_visible()

    # the Standard calendar reads the same item: this week and the next
    for shown in (day, day + timedelta(days=7)):
        page.goto(f"{world.url}/mail/calendar?view=week&date={shown.isoformat()}")
        expect(page.locator("body")).to_contain_text("Weekly sync")
    assert errors == []


def test_tasks_view_adds_completes_and_deletes_a_task(world: World, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("tasks")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-task-bar")).to_be_attached(timeout=20_000)  # tasks.js has run
    page.locator(".ax-views [data-view=tasks]").click()
    expect(page).to_have_url(re.compile(r"#tasks$"))
    page.locator("#ax-task-title").fill("Buy stamps")
    page.locator("#ax-task-due").fill("2027-03-01")
    page.get_by_role("button", name="Add task").click()
    expect(page.locator(".ax-status")).to_have_text("Task saved.")
    row = page.locator(".ax-task", has_text="Buy stamps")
    expect(row).to_have_count(1)
    expect(row.locator(".ax-when")).not_to_be_empty()
    row.get_by_role("checkbox").check()
    expect(row).to_have_count(0)  # done tasks are hidden
    page.get_by_label("Show done tasks").check()
    expect(row).to_have_class(re.compile("ax-task-done"))
    store = world.store()
    try:
        organizer = store.for_user(store.accounts.get(me).id).organizer
        lists = organizer.collections("tasks")
        found = organizer.tasks([c.folder_id for c in lists])
        assert [(t.summary, t.completed_at is not None) for t in found] == [("Buy stamps", True)]
    finally:
        store.close()
    page.reload()  # the view stays
    expect(page.locator(".ax-views [data-view=tasks]")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Show done tasks").check()
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert errors == []
