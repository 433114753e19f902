"""The Ajax calendar's parity with the Standard calendar in Chromium on the whole server (conftest.py):
a repeat rule made in the Ajax event form (every 2 months, 3 times) puts the event on exactly the days the
Standard calendar shows it, and the form reads the rule back."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World, quiet_midweek
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CHIP = ".ax-calendar .ax-event"


def _month_after(day: date, months: int) -> date:
    """The 15th of the month ``months`` after ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 15)


def _open_calendar(page: Page, world: World, me: str, *, real_clock: bool = False) -> None:
    """Sign in and show the calendar; "today" is a quiet Wednesday (conftest.py) unless ``real_clock``."""
    if not real_clock:
        quiet_midweek(page)  # these accounts are on UTC
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
    start_day = dialog.locator("#ax-ev-start-day")
    expect(start_day).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    today = date.fromisoformat(start_day.input_value())  # in the browser
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


def _event(page: Page, title: str, start: str, end: str, calendar: str | None = None) -> None:
    page.locator(".ax-cal-bar [data-action=new]").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#ax-ev-title").fill(title)
    # start and end on the calendar's today: the clock is a quiet Wednesday noon (conftest.py), for the
    # form's default starts at the next full hour, which after 23:00 is tomorrow (and ends tomorrow after
    # 22:00); the end's day is filled, as only its time changes
    start_day = dialog.locator("#ax-ev-start-day")
    expect(start_day).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    dialog.locator("#ax-ev-end-day").fill(start_day.input_value())
    dialog.locator("#ax-ev-start-time").fill(start)
    dialog.locator("#ax-ev-end-time").fill(end)
    if calendar:
        dialog.locator("#ax-ev-calendar").select_option(label=calendar)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)


def test_day_view_hours_hidden_calendar_and_agenda(world: World, page: Page, artifacts: Path) -> None:
    """The day view places an event at its hour; unticking a calendar hides its events in every view,
    and stays so after a reload; the agenda lists the days with events."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("calshow")
    _open_calendar(page, world, me)
    page.locator(".ax-cal-bar [data-action=calendars]").click()
    dialog = page.get_by_role("dialog", name="Calendars")
    dialog.locator("#ax-cal-new-name").fill("Projects")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog.locator(".ax-calendar-list li[data-name=Projects]")).to_have_count(1)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    _event(page, "Dentist", "14:00", "15:00")
    _event(page, "Sprint review", "16:00", "17:00", calendar="Projects")

    page.keyboard.press("d")
    expect(page.locator(".ax-cal-bar [data-action=day]")).to_have_attribute("aria-pressed", "true")
    columns = page.locator(".ax-calendar .ax-day")
    expect(columns).to_have_count(1)  # one day
    dentist = page.locator(CHIP, has_text="Dentist")
    review = page.locator(CHIP, has_text="Sprint review")
    expect(dentist).to_have_count(1)
    expect(review).to_have_count(1)
    column_box = columns.bounding_box()
    box = dentist.bounding_box()
    assert column_box and box
    hour = page.locator(".ax-calendar .ax-hours .ax-hour").nth(14).bounding_box()  # the 14:00 row's label
    assert hour and abs(box["y"] - hour["y"]) < 3, (box, hour)
    assert abs((box["y"] - column_box["y"]) - 14 * 40) < 3
    shot(page, artifacts, "webmail-ajax-calendar-day")

    shown = page.locator(".ax-cal-shown")
    shown.get_by_label("Projects").uncheck()
    expect(review).to_have_count(0)
    expect(dentist).to_have_count(1)
    page.reload()  # the choice stays in this browser
    expect(page.locator(".ax-cal-bar")).to_be_attached(timeout=20_000)
    page.locator(".ax-views [data-view=calendar]").click()
    expect(shown.get_by_label("Projects")).not_to_be_checked()
    expect(shown.get_by_label("Calendar")).to_be_checked()
    expect(dentist).to_have_count(1)
    expect(review).to_have_count(0)

    page.keyboard.press("a")  # the agenda: today's events, the hidden calendar's left out
    agenda = page.locator(".ax-agenda")
    expect(agenda.locator(".ax-event", has_text="Dentist")).to_have_count(1)
    expect(agenda.locator(".ax-event", has_text="Sprint review")).to_have_count(0)
    shown.get_by_label("Projects").check()
    expect(agenda.locator(".ax-event", has_text="Sprint review")).to_have_count(1)
    page.locator(".ax-cal-bar [data-action=next]").click()  # the next 30 days: nothing
    expect(agenda.locator(".ax-empty")).to_have_text("Nothing in these 30 days.")
    assert errors == []


def test_due_reminder_listed_as_on_the_standard_page(world: World, page: Page) -> None:
    """An event within the next hour with a reminder 2 hours before is due now: the Ajax calendar lists
    it as the Standard reminders page does, and not while its calendar is hidden."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("calremind")
    _open_calendar(page, world, me, real_clock=True)  # the server says what is due, on its own clock
    reminders = page.locator(".ax-cal-reminders")
    expect(reminders).to_contain_text("Nothing due.")
    page.locator(".ax-cal-bar [data-action=new]").click()  # starts at the next full hour
    dialog = page.get_by_role("dialog")
    dialog.locator("#ax-ev-title").fill("Call the plumber")
    dialog.locator("#ax-ev-reminder").select_option("120")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(reminders.locator("li", has_text="Call the plumber")).to_have_count(1)
    page.locator(".ax-cal-shown").get_by_label("Calendar").uncheck()
    expect(reminders.locator("li", has_text="Call the plumber")).to_have_count(0)
    expect(reminders).to_contain_text("Nothing due.")
    page.goto(f"{world.url}/mail/calendar/reminders")  # the Standard list, from the same service
    expect(page.locator("main")).to_contain_text("Call the plumber")
    assert errors == []


def test_free_busy_lookup_as_on_the_standard_page(world: World, page: Page) -> None:
    """The Free/busy dialog shows an address's busy hours in its grid and lists its busy times as the
    Standard free/busy page does, and says why an address cannot be looked up."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("calfb")
    _open_calendar(page, world, me)
    _event(page, "Dentist", "14:00", "15:00")
    page.locator(".ax-cal-bar [data-action=freebusy]").click()
    dialog = page.get_by_role("dialog", name="Free/busy")
    expect(dialog.locator("#ax-fb-date")).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    day = dialog.locator("#ax-fb-date").input_value()
    dialog.get_by_label("Addresses (comma separated)").fill(f"{me}, nobody@nowhere.invalid")
    dialog.get_by_role("button", name="Look up").click()
    mine = dialog.locator(f".ax-fb-periods[data-address='{me.lower()}'] li")
    expect(mine).to_have_text([f"{day} 14:00 – {day} 15:00 (busy)"])
    expect(dialog.locator(f"tr[data-address='{me.lower()}'] td[data-hour='14']")).to_contain_text("busy")
    expect(dialog.locator("tr[data-address='nobody@nowhere.invalid']")).to_contain_text(
        "is not an account of this server"
    )
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    page.goto(f"{world.url}/mail/calendar/freebusy?who={me}&date={day}")  # the Standard page: the same
    expect(page.locator(".freebusy-periods li")).to_have_text([f"{day} 14:00 – {day} 15:00 (busy)"])
    assert errors == []


def test_help_overlay_lists_the_calendar_and_notes_keys(world: World, page: Page, artifacts: Path) -> None:
    """ "?" in the calendar view opens the same help, which lists the calendar's and the notes' own keys
    (as calendar.js and notes.js read them) beside the mail ones; a listed key then does what it says."""
    me = world.account("calhelp")
    _open_calendar(page, world, me)
    page.locator("body").press("?")
    help_box = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_box).to_be_visible()
    sections = {
        "Mail": [("j", "Next message")],
        "Calendar": [
            ("t", "Go to today"),
            ("n / p", "Next / previous period (the day, week, month or agenda shown)"),
            ("d", "Day view"),
            ("w", "Week view"),
            ("m", "Month view"),
            ("a", "Agenda"),
        ],
        "Notes and Journal": [
            ("j / k, ↓ / ↑", "Open the next / previous entry"),
            ("n", "New entry"),
            ("/", "Search the entries"),
            ("Delete", "Delete the open entry, after asking (where the folder allows it)"),
        ],
    }
    for title, keys in sections.items():
        section = help_box.get_by_role("region", name=title)
        expect(section.locator("h3")).to_have_text(title)
        names = section.locator("dt").all_inner_texts()
        shown = list(zip(names, section.locator("dd").all_inner_texts(), strict=True))
        if title == "Mail":
            assert set(keys) <= set(shown), shown
        else:
            assert shown == keys, shown
    shot(page, artifacts, "ajax-help-views")
    page.keyboard.press("Escape")
    expect(help_box).to_have_count(0)
    page.keyboard.press("m")  # as listed: the month view
    expect(page.locator(".ax-cal-bar [data-action=month][aria-pressed=true]")).to_have_count(1)
