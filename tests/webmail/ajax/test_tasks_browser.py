"""The Ajax interface's task form in Chromium on the whole server (conftest.py): a task made with the
Standard form's fields (start, due with a time, priority, percent, status, description, an assignee) is
what the Standard task list and form show, the colleague it is assigned to gets it by mail, a change made
elsewhere arrives by push, and an edit of the percent shows in both interfaces."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import PASSWORD, shot
from webmail import task_ical

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_task_with_priority_percent_and_assignee_shows_in_standard(
    world: World, page: Page, artifacts: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("taskform")
    colleague = world.account("assignee")
    store = world.store()  # the colleague's list, shared with me read-only, with a task in it
    try:
        theirs = store.for_user(store.accounts.get(colleague).id)
        shared = theirs.organizer.collections("tasks")[0].folder_id
        data = task_ical.to_ical(task_ical.TaskFields(summary="Their task", priority=5), owner=colleague)
        theirs.organizer.put(shared, None, data, if_none_match=True)
        theirs.change_entry(shared, me, "lr")
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-task-bar")).to_be_attached(timeout=20_000)
    page.locator(".ax-views [data-view=tasks]").click()
    tasks = page.locator(".ax-tasks")
    tasks.get_by_role("button", name="More fields").click()
    form = tasks.locator(".ax-task-form")
    form.locator("#ax-tf-title").fill("Quarterly report")
    form.locator("#ax-tf-start").fill("2027-05-03")
    form.locator("#ax-tf-due").fill("2027-05-10")
    form.locator("#ax-tf-due-time").fill("17:30")
    form.locator("#ax-tf-priority").select_option("2")
    form.locator("#ax-tf-percent").fill("30")
    form.locator("#ax-tf-status").select_option("in-process")
    form.locator("#ax-tf-description").fill("Numbers from Jo")
    form.locator("#ax-tf-assignee").fill(colleague)
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Task saved.")
    row = tasks.locator(".ax-task", has_text="Quarterly report")
    expect(row.locator(".ax-task-priority")).to_have_text("priority 2")
    expect(row.locator(".ax-task-percent")).to_have_text("30%")
    expect(row.locator(".ax-task-status")).to_have_text("In progress")
    shot(page, artifacts, "webmail-ajax-task-form")

    store = world.store()  # another client adds a task: it arrives by push
    try:
        organizer = store.for_user(store.accounts.get(me).id).organizer
        folder = organizer.collections("tasks")[0].folder_id
        data = task_ical.to_ical(task_ical.TaskFields(summary="Pushed from elsewhere"), owner=me)
        organizer.put(folder, None, data, if_none_match=True)
    finally:
        store.close()
    expect(tasks.locator(".ax-task", has_text="Pushed from elsewhere")).to_have_count(1, timeout=20_000)

    row.locator(".ax-task-title").click()  # edit: the form shows what was saved
    expect(form.locator("#ax-tf-due-time")).to_have_value("17:30")
    expect(form.locator("#ax-tf-assignee")).to_have_value(colleague)
    form.locator("#ax-tf-percent").fill("80")
    form.get_by_role("button", name="Save").click()
    expect(row.locator(".ax-task-percent")).to_have_text("80%")
    expect(page.locator(".ax-status")).not_to_contain_text("did not work")

    deadline = time.monotonic() + 60  # the assignment went out by mail, as from the Standard form
    while world.count(colleague, "INBOX") < 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert world.count(colleague, "INBOX") == 1

    tasks.locator("select").first.select_option(label="All task lists")  # mine and the shared one
    theirs_row = tasks.locator(".ax-task", has_text="Their task")
    expect(theirs_row.locator(".ax-task-priority")).to_have_text("priority 5")
    expect(theirs_row.get_by_role("checkbox")).to_be_disabled()
    expect(row.first).to_be_visible()  # mine too (the colleague's copy of it may show: it was mailed to them)
    theirs_row.locator(".ax-task-title").click()
    expect(form.locator("#ax-tf-title")).to_be_disabled()
    expect(form.get_by_role("button", name="Save")).to_have_count(0)
    form.get_by_role("button", name="Close").click()

    page.goto(f"{world.url}/mail/tasks")
    # mine, at 80 % (the copy the colleague was mailed is in their list, shared with me, at 30 %)
    line = page.locator("li.task", has_text="Quarterly report").filter(
        has=page.locator(".task-percent", has_text="80%")
    )
    expect(line.locator(".task-priority")).to_have_text("priority 2")
    line.locator(".task-summary").click()
    expect(page.locator("#f-priority")).to_have_value("2")
    expect(page.locator("#f-percent")).to_have_value("80")
    expect(page.locator("#f-status")).to_have_value("IN-PROCESS")
    expect(page.locator("#f-description")).to_have_value("Numbers from Jo")
    expect(page.locator("#f-assignee")).to_have_value(colleague)
    expect(page.locator("#f-due")).to_have_value(re.compile(r"^2027-05-10T17:30"))
    assert errors == []


def test_task_times_are_on_the_account_clock_not_the_browsers(world: World, page: Page) -> None:
    """The account's time zone (Pacific/Chatham, not the browser's): a due time typed in the Ajax form is
    that zone's, as the Standard form then shows it; a task another client wrote in UTC shows in the list
    and the form on the account's clock (12:00 UTC is 00:45 the next day in Chatham in May)."""
    me = world.account("taskzone")
    store = world.store()
    try:
        store.settings.set("user.timezone", "Pacific/Chatham", account=me)
        organizer = store.for_user(store.accounts.get(me).id).organizer
        folder = organizer.collections("tasks")[0].folder_id
        due = datetime(2027, 5, 10, 12, 0, tzinfo=UTC)
        data = task_ical.to_ical(task_ical.TaskFields(summary="Written in UTC", due=due), owner=me)
        organizer.put(folder, None, data, if_none_match=True)
    finally:
        store.close()
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") != "Pacific/Chatham"
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-task-bar")).to_be_attached(timeout=20_000)
    page.locator(".ax-views [data-view=tasks]").click()
    tasks = page.locator(".ax-tasks")
    theirs = tasks.locator(".ax-task", has_text="Written in UTC")
    expect(theirs.locator(".ax-when")).to_have_text("May 11, 2027, 12:45 AM")
    theirs.locator(".ax-task-title").click()
    form = tasks.locator(".ax-task-form")
    expect(form.locator("#ax-tf-due")).to_have_value("2027-05-11")
    expect(form.locator("#ax-tf-due-time")).to_have_value("00:45")
    form.get_by_role("button", name="Cancel").click()

    tasks.get_by_role("button", name="More fields").click()
    form.locator("#ax-tf-title").fill("Typed in Chatham")
    form.locator("#ax-tf-due").fill("2027-05-10")
    form.locator("#ax-tf-due-time").fill("17:30")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Task saved.")
    expect(tasks.locator(".ax-task", has_text="Typed in Chatham").locator(".ax-when")).to_have_text(
        "May 10, 2027, 5:30 PM"
    )
    page.goto(f"{world.url}/mail/tasks")
    page.locator("li.task", has_text="Typed in Chatham").locator(".task-summary").click()
    expect(page.locator("#f-due")).to_have_value(re.compile(r"^2027-05-10T17:30"))


def test_a_task_a_caldav_client_kept_in_its_calendar_shows_in_ajax(
    world: World, page: Page, artifacts: Path
) -> None:
    """Thunderbird keeps tasks in a calendar: one saved there over CalDAV (the ``caldav`` library, on the
    real server) is listed by the Ajax Tasks view under its calendar (a TaskList too) and with all lists,
    and can be ticked done there (the CalDAV client reads it back done). That CalendarEvent leaves it out
    is tests/webmail/jmap/test_tasks_in_calendars.py's."""
    import caldav

    me = world.account("tbtasks")
    principal = caldav.DAVClient(url=f"{world.url}/dav/", username=me, password=PASSWORD).principal()
    (calendar,) = [c for c in principal.calendars() if str(c.url).rstrip("/").endswith("/Calendar")]
    calendar.save_todo(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\n"
        "BEGIN:VTODO\r\nUID:tb-ajax-1\r\nDTSTAMP:20270101T000000Z\r\nSUMMARY:Kept by Thunderbird\r\n"
        "DUE;VALUE=DATE:20270512\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-task-bar")).to_be_attached(timeout=20_000)
    page.locator(".ax-views [data-view=tasks]").click()
    tasks = page.locator(".ax-tasks")
    picker = tasks.locator("select").first
    expect(picker.locator("option")).to_have_text(["All task lists", "Tasks", "Calendar"])
    picker.select_option(label="All task lists")
    row = tasks.locator(".ax-task", has_text="Kept by Thunderbird")
    expect(row.locator(".ax-task-list")).to_have_text("Calendar")
    picker.select_option(label="Calendar")
    expect(row.locator(".ax-task-list")).to_have_count(0)  # reloaded: one list, no list badges
    expect(row).to_have_count(1)
    shot(page, artifacts, "webmail-ajax-task-in-calendar")
    row.get_by_role("checkbox").check()
    expect(row).to_have_count(0)  # done tasks are hidden until "Show done tasks"
    (todo,) = calendar.todos(include_completed=True)
    assert str(todo.icalendar_component["STATUS"]) == "COMPLETED"
