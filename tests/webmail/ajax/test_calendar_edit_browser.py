"""The Ajax calendar's editing in Chromium on the whole server (conftest.py), on an account whose time
zone (Asia/Kolkata) is not the browser's: one occurrence of a weekly series changed ("only this
occurrence") shows changed in the Standard calendar while the others do not; a reminder set in Ajax is
the VALARM the reminder mails read; an event moved to a calendar made in the "Calendars…" dialog, which
then deletes it; an invitation from the Ajax event form reaches bob's inbox over the server's own mail
flow, and bob's answer shows on the organizer's event."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World, quiet_midweek
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.ajax.test_jmap_settings_browser import open_settings
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CHIP = ".ax-calendar .ax-event"
ZONE = "Asia/Kolkata"  # UTC+5:30 all year: any mix-up with the browser's zone shifts the times


def _account_in_zone(world: World, prefix: str) -> str:
    me = world.account(prefix)
    store = world.store()
    try:
        store.settings.set("user.timezone", ZONE, account=me)
    finally:
        store.close()
    return me


def _items(world: World, address: str, calendar: str | None = None) -> list[tuple[str, Calendar]]:
    """(calendar name, parsed item) of every event the account holds (or those of one calendar)."""
    store = world.store()
    try:
        organizer = store.for_user(store.accounts.get(address).id).organizer
        out = []
        for c in organizer.collections("calendar"):
            if calendar is not None and c.display_name != calendar:
                continue
            for ref in organizer.items(c.folder_id):
                out.append((c.display_name, Calendar.from_ical(organizer.get(c.folder_id, ref.name).data)))
        return out
    finally:
        store.close()


def _until(check: Callable[[], bool], seconds: float = 90) -> bool:
    """Poll ``check`` until it holds (the processing service delivers within seconds)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def _open_calendar(page: Page, world: World, me: str) -> None:
    quiet_midweek(page, ZONE)  # "today" away from midnight and from the week's ends (conftest.py)
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-cal-bar")).to_be_attached(timeout=20_000)
    page.locator(".ax-views [data-view=calendar]").click()
    page.keyboard.press("w")
    expect(page.locator(".ax-cal-bar [data-action=week]")).to_have_attribute("aria-pressed", "true")


def _new_event(page: Page, title: str, start: str, end: str, **choices: str) -> date:
    page.locator(".ax-cal-bar [data-action=new]").click()
    dialog = page.get_by_role("dialog")
    start_day = dialog.locator("#ax-ev-start-day")
    expect(start_day).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    day = date.fromisoformat(start_day.input_value())  # today, on the account's clock
    dialog.locator("#ax-ev-title").fill(title)
    dialog.locator("#ax-ev-start-time").fill(start)
    dialog.locator("#ax-ev-end-day").fill(day.isoformat())
    dialog.locator("#ax-ev-end-time").fill(end)
    for name, value in choices.items():
        target = dialog.locator(f"#ax-ev-{name}")
        if name in ("repeat", "reminder", "calendar"):
            target.select_option(value)
        else:
            target.fill(value)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    return day


def test_one_occurrence_changed_and_a_reminder_set(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = _account_in_zone(world, "occ")
    _open_calendar(page, world, me)
    day = _new_event(page, "Standup", "09:00", "09:30", repeat="weekly", reminder="15")

    chip = page.locator(CHIP, has_text=re.compile(r"Standup$"))
    moved = page.locator(CHIP, has_text="Standup moved")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("09:00")  # the account's clock, not the browser's (UTC)
    ((_, stored),) = _items(world, me)
    head = stored.walk("VEVENT")[0]
    start = head.decoded("DTSTART")
    assert (start.hour, start.minute, str(start.tzinfo)) == (9, 0, ZONE)
    (alarm,) = head.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)  # what the reminder mails ring for

    page.keyboard.press("n")  # next week's occurrence: only it changes
    expect(chip).to_have_count(1)
    chip.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("only this occurrence")).to_be_checked()
    expect(dialog.locator("#ax-ev-repeat")).to_be_disabled()
    shot(page, artifacts, "webmail-ajax-calendar-occurrence-dialog")
    dialog.locator("#ax-ev-title").fill("Standup moved")
    dialog.locator("#ax-ev-start-time").fill("11:00")
    dialog.locator("#ax-ev-end-time").fill("11:30")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text("11:00")
    expect(chip).to_have_count(0)
    shot(page, artifacts, "webmail-ajax-calendar-occurrence")
    page.keyboard.press("p")
    expect(chip).to_have_count(1)
    expect(moved).to_have_count(0)
    page.keyboard.press("n")
    page.keyboard.press("n")  # the week after: the series as it was
    expect(chip).to_have_count(1)

    # the series keeps its reminder and rule when opened whole
    page.keyboard.press("t")
    chip.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("the whole series").check()
    expect(dialog.locator("#ax-ev-reminder")).to_have_value("15")
    expect(dialog.locator("#ax-ev-repeat")).to_have_value("weekly")
    expect(dialog.locator("#ax-ev-start-time")).to_have_value("09:00")
    dialog.get_by_role("button", name="Cancel").click()

    # the Standard calendar (the account's zone) shows the exception in its week, the series elsewhere
    page.goto(f"{world.url}/mail/calendar?view=week&date={(day + timedelta(days=7)).isoformat()}")
    expect(page.locator("body")).to_contain_text("Standup moved")
    expect(page.locator("body")).to_contain_text("11:00")
    for other in (day, day + timedelta(days=14)):
        page.goto(f"{world.url}/mail/calendar?view=week&date={other.isoformat()}")
        expect(page.locator("body")).to_contain_text("Standup")
        expect(page.locator("body")).not_to_contain_text("Standup moved")
    ((_, stored),) = _items(world, me)
    (override,) = [e for e in stored.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert str(override["SUMMARY"]) == "Standup moved" and override.decoded("DTSTART").hour == 11
    assert override.walk("VALARM")  # the changed occurrence still rings
    assert errors == []


def test_calendar_made_event_moved_calendar_deleted(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = _account_in_zone(world, "move")
    _open_calendar(page, world, me)
    page.locator(".ax-cal-bar [data-action=calendars]").click()
    dialog = page.get_by_role("dialog", name="Calendars")
    dialog.locator("#ax-cal-new-name").fill("Projekts")
    dialog.get_by_role("button", name="Add").click()
    typo = dialog.locator(".ax-calendar-list li[data-name=Projekts]")
    expect(typo).to_have_count(1)
    typo.get_by_label("Name").fill("Projects")  # renamed and recoloured
    typo.get_by_label("Colour").fill("#aa3300")
    typo.get_by_role("button", name="Save").click()
    row = dialog.locator(".ax-calendar-list li[data-name=Projects]")
    expect(row).to_have_count(1)
    expect(row.get_by_label("Colour")).to_have_value("#aa3300")
    store = world.store()
    try:
        found = store.for_user(store.accounts.get(me).id).organizer.collections("calendar")
        assert sorted((c.display_name, (c.color or "").lower()) for c in found)[1] == ("Projects", "#aa3300")
    finally:
        store.close()
    row.get_by_role("button", name="Share").click()  # the sharing dialog (sharing.js), over this one
    sharing = page.locator(".ax-sharing")
    expect(sharing).to_be_visible()
    sharing.get_by_role("button", name="Close").click()
    expect(sharing).to_have_count(0)
    expect(dialog).to_be_visible()  # back in the Calendars dialog
    shot(page, artifacts, "webmail-ajax-calendar-calendars")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    _new_event(page, "Review", "14:00", "15:00")
    chip = page.locator(CHIP, has_text="Review")
    expect(chip).to_have_count(1)
    assert [name for name, _ in _items(world, me)] == ["Calendar"]
    chip.click()
    event = page.get_by_role("dialog")
    event.locator("#ax-ev-calendar").select_option(label="Projects")
    event.get_by_role("button", name="Save").click()
    expect(event).to_have_count(0)
    expect(chip).to_have_count(1)
    assert [name for name, _ in _items(world, me)] == ["Projects"]

    page.locator(".ax-cal-bar [data-action=calendars]").click()
    dialog = page.get_by_role("dialog", name="Calendars")
    row = dialog.locator(".ax-calendar-list li[data-name=Projects]")
    row.get_by_role("button", name="Delete calendar").click()
    confirm = page.get_by_role("dialog", name=re.compile("Delete the calendar Projects"))
    confirm.get_by_role("button", name="Delete calendar").click()
    expect(confirm).to_have_count(0)
    expect(row).to_have_count(0)
    dialog.get_by_role("button", name="Close").click()
    expect(chip).to_have_count(0)  # its events went with it
    assert _items(world, me, "Projects") == [] and _items(world, me) == []
    assert errors == []


def test_invitation_from_ajax_reaches_bob_who_accepts_in_ajax(world: World, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = _account_in_zone(world, "org")
    bob = _account_in_zone(world, "bob")
    _open_calendar(page, world, me)
    _new_event(page, "Planning", "10:00", "11:00", attendees=bob)
    assert _until(lambda: world.count(bob, "INBOX") == 1)  # the iMIP REQUEST, by the server's own mail flow
    assert _until(lambda: len(_items(world, bob)) == 1)  # local delivery filed bob's copy
    store = world.store()
    try:
        raw = [r for _u, r, _d, _f in store.mail.iter_raw(bob, "INBOX")][0]
        assert b"METHOD:REQUEST" in raw and b"Planning" in raw
    finally:
        store.close()

    # bob, in a browser of his own, answers from his calendar: the REPLY goes back through the mail flow
    assert page.context.browser is not None
    other = page.context.browser.new_context()
    try:
        his = other.new_page()
        his.on("pageerror", lambda error: errors.append(str(error)))
        _open_calendar(his, world, bob)
        his.locator(CHIP, has_text="Planning").click()
        dialog = his.get_by_role("dialog")
        expect(dialog.locator("#ax-ev-attendees")).to_be_disabled()  # not his to change
        dialog.get_by_role("button", name="Accept").click()
        expect(dialog).to_have_count(0)
        expect(his.locator(".ax-status")).to_have_text("Your answer went to the organizer.")
    finally:
        other.close()

    def accepted() -> bool:
        ((_, stored),) = _items(world, me)
        return str(stored.walk("VEVENT")[0]["ATTENDEE"].params.get("PARTSTAT")) == "ACCEPTED"

    assert _until(accepted)  # the organizer's copy holds bob's answer
    page.keyboard.press("t")  # reload the view
    chip = page.locator(CHIP, has_text="Planning")
    chip.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#ax-ev-attendees")).to_have_value(bob)
    expect(dialog.locator(f".ax-answers li[data-email='{bob}']")).to_have_attribute("data-status", "accepted")
    expect(dialog.locator(".ax-answers")).to_contain_text("accepted")
    assert errors == []


def test_out_of_office_days_are_the_accounts_days(world: World, page: Page) -> None:
    """The out-of-office days typed in the Ajax settings are days of the account's zone, as the
    Standard page reads them (west of UTC here: a UTC midnight would be the day before)."""
    me = world.account("away")
    store = world.store()
    try:
        store.settings.set("user.timezone", "America/Los_Angeles", account=me)
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page, "Out of office")
    away = page.locator(".ax-settings form").nth(0)
    away.get_by_label("Send an out-of-office reply").check()
    away.get_by_label("First day").fill("2030-07-01")
    away.get_by_label("Last day").fill("2030-07-20")
    away.get_by_label("Reply to everyone else").fill("Back on 21 July.")
    away.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Settings saved.")
    page.goto(f"{world.url}/mail/settings/out-of-office")
    expect(page.locator("input[name=start]")).to_have_value("2030-07-01")
    expect(page.locator("input[name=end]")).to_have_value("2030-07-20")
