"""Import and Export of the Ajax organizer views in Chromium on the whole server (conftest.py): an .ics
with one broken event chosen in the calendar's Import dialog is reported (2 added, item No. 2 refused
with its reason) and the two good events show in this week; a .vcf dropped on the contacts' Import
dialog lands in the address book, and Export downloads the book as a .vcf that parses back to the
cards."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storage.pim.transfer import split_import
from tests.webmail.ajax.conftest import World, quiet_midweek
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

WAIT = 20_000


def calendar_file(today: date) -> str:
    day = today.strftime("%Y%m%d")  # today on the account's clock (UTC): this week's view
    event = (
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T100000Z\r\nDTSTART:{day}T{hour}0000Z\r\n"
        "DTEND:{day}T{hour}3000Z\r\nSUMMARY:{title}\r\nEND:VEVENT\r\n"
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + event.format(uid="good-1", day=day, hour="10", title="Imported standup")
        + "BEGIN:VEVENT\r\nUID:bad-2\r\nDTSTAMP:20261201T100000Z\r\nSUMMARY:No start\r\nEND:VEVENT\r\n"
        + event.format(uid="good-3", day=day, hour="14", title="Imported review")
        + "END:VCALENDAR\r\n"
    )


CARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:grace-1\r\nFN:Grace Hopper\r\nN:Hopper;Grace;;;\r\n"
    "EMAIL:grace@navy.test\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:alan-2\r\nFN:Alan Turing\r\nN:Turing;Alan;;;\r\n"
    "EMAIL:alan@bletchley.test\r\nEND:VCARD\r\n"
)


def test_import_an_ics_with_a_bad_event_into_the_calendar(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    today = quiet_midweek(page)  # the events' day is the week shown, whenever the test runs
    sign_in_to_ajax(page, world.url, world.account("imp"))
    expect(page.locator(".ax-cal-bar")).to_be_attached(timeout=WAIT)
    page.locator(".ax-views [data-view=calendar]").click()
    expect(page.locator(".ax-cal-bar .ax-import-button")).to_be_visible(timeout=WAIT)
    page.keyboard.press("w")
    page.locator(".ax-cal-bar .ax-import-button").click()
    dialog = page.get_by_role("dialog", name="Import")
    dialog.get_by_role("button", name="Import").click()  # no file yet: said so, nothing sent
    expect(dialog.locator(".ax-error")).to_have_text("Choose a file to import.")
    dialog.locator("input[type=file]").set_input_files(
        files=[{"name": "week.ics", "mimeType": "text/calendar", "buffer": calendar_file(today).encode()}]
    )
    dialog.get_by_role("button", name="Import").click()
    report = dialog.locator(".ax-import-report")
    expect(report).to_contain_text("week.ics into", timeout=WAIT)
    expect(report).to_contain_text("2 added, 0 updated, 1 refused.")
    failures = report.locator(".ax-import-failure")
    expect(failures).to_have_count(1)
    expect(failures.locator("td").first).to_have_text("No. 2")
    expect(failures.locator("td").nth(1)).to_have_text(re.compile(r"\S"))  # the reason
    shot(page, artifacts, "webmail-ajax-import-report")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    for title in ("Imported standup", "Imported review"):
        expect(page.locator(".ax-calendar .ax-event", has_text=title)).to_have_count(1, timeout=WAIT)
    expect(page.locator(".ax-calendar .ax-event", has_text="No start")).to_have_count(0)
    assert errors == []


def test_drop_a_vcf_into_contacts_then_export_the_book(world: World, page: Page, tmp_path: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_to_ajax(page, world.url, world.account("exp"))
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible(timeout=WAIT)
    page.locator(".ax-views [data-view=contacts]").click()
    expect(page.locator(".ax-cards")).to_contain_text("No contacts found.", timeout=WAIT)
    page.locator(".ax-books .ax-import-button").click()
    dialog = page.get_by_role("dialog", name="Import")
    dropped = page.evaluate_handle(
        """(text) => { const data = new DataTransfer();
             data.items.add(new File([text], "people.vcf", { type: "text/vcard" })); return data; }""",
        CARDS,
    )
    dialog.locator(".ax-import-drop").dispatch_event("drop", {"dataTransfer": dropped})
    expect(dialog.locator(".ax-import-chosen")).to_have_text("people.vcf")
    dialog.get_by_role("button", name="Import").click()
    expect(dialog.locator(".ax-import-report")).to_contain_text(
        "2 added, 0 updated, 0 refused.", timeout=WAIT
    )
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator(".ax-card-row", has_text="Grace Hopper")).to_have_count(1, timeout=WAIT)

    page.locator(".ax-books .ax-folder", has_text="Contacts").first.click()
    with page.expect_download() as info:
        page.locator(".ax-books .ax-export-button").click()
    download = info.value
    assert download.suggested_filename.endswith(".vcf")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    cards = split_import(saved.read_bytes())
    assert not cards.failed
    texts = sorted(res.data.decode() if isinstance(res.data, bytes) else res.data for res in cards.resources)
    assert len(texts) == 2
    assert "FN:Alan Turing" in texts[0] and "FN:Grace Hopper" in texts[1]
    assert errors == []


def test_import_tasks_into_the_task_list(world: World, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_to_ajax(page, world.url, world.account("tsk"))
    expect(page.locator(".ax-task-bar")).to_be_attached(timeout=WAIT)
    page.locator(".ax-views [data-view=tasks]").click()
    page.locator(".ax-task-bar .ax-import-button").click()
    dialog = page.get_by_role("dialog", name="Import")
    tasks = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20261201T100000Z\r\nSUMMARY:Imported task\r\n"
        "DUE;VALUE=DATE:20301224\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    dialog.locator("input[type=file]").set_input_files(
        files=[{"name": "todo.ics", "mimeType": "text/calendar", "buffer": tasks.encode()}]
    )
    dialog.get_by_role("button", name="Import").click()
    expect(dialog.locator(".ax-import-report")).to_contain_text(
        "1 added, 0 updated, 0 refused.", timeout=WAIT
    )
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator(".ax-task", has_text="Imported task")).to_have_count(1, timeout=WAIT)
    assert errors == []
