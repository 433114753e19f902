"""The Ajax interface's Notes and Journal views in Chromium on the whole server (conftest.py), over our
JMAP extension: a note made there is on the Standard notes page, one written elsewhere arrives by push
without a reload, a search narrows the list, a colleague's shared read-only note can be read but not
changed; a journal entry with its date is on the Standard journal page, and deleting it asks first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot
from webmail import journal_ical

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _put_note(world: World, address: str, title: str) -> int:
    """A note stored for ``address`` by another client (the set-up; not through the Ajax page)."""
    store = world.store()
    try:
        organizer = store.for_user(store.accounts.get(address).id).organizer
        folder = organizer.collections("notes")[0]
        data = journal_ical.to_ical(journal_ical.EntryFields(summary=title, description="from elsewhere"))
        organizer.put(folder.folder_id, None, data, if_none_match=True)
        return folder.folder_id
    finally:
        store.close()


def test_notes_made_searched_pushed_and_shared_read_only(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("notes")
    colleague = world.account("colleague")
    shared_folder = _put_note(world, colleague, "Team phone list")
    store = world.store()
    try:
        owner = store.for_user(store.accounts.get(colleague).id)
        owner.change_entry(shared_folder, me, "lr")
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-notes .ax-notes-bar")).to_be_attached(timeout=20_000)  # notes.js has run
    page.locator(".ax-views [data-view=notes]").click()
    expect(page).to_have_url(re.compile(r"#notes$"))
    notes = page.locator(".ax-notes")
    expect(notes.locator(".ax-note", has_text="Team phone list")).to_have_count(1)  # shared with me

    notes.get_by_role("button", name="New note").click()
    notes.locator("#ax-notes-title").fill("Gate code")
    notes.locator("#ax-notes-keywords").fill("home, codes")
    notes.locator("#ax-notes-body").fill("4711\nthe side door")
    notes.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Note saved.")
    row = notes.locator(".ax-note", has_text="Gate code")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("4711")

    notes.locator(".ax-notes-search").fill("side door")  # the body, found by the server's query
    expect(notes.locator(".ax-note")).to_have_count(1)
    expect(row).to_have_count(1)
    notes.locator(".ax-notes-search").fill("")
    expect(notes.locator(".ax-note")).to_have_count(2)

    _put_note(world, me, "Written in another client")  # arrives by push, no reload
    expect(notes.locator(".ax-note", has_text="Written in another client")).to_have_count(1, timeout=20_000)

    notes.locator(".ax-note").first.click()  # by title: Gate code, Team phone list, Written in...
    expect(notes.locator("#ax-notes-title")).to_have_value("Gate code")
    page.keyboard.press("j")  # the next one, by keyboard
    expect(notes.locator(".ax-note-readonly")).to_be_visible()
    expect(notes.get_by_role("button", name="Save")).to_have_count(0)
    expect(notes.get_by_role("button", name="Delete")).to_have_count(0)
    expect(notes.locator("#ax-notes-title")).to_have_value("Team phone list")
    shot(page, artifacts, "webmail-ajax-notes")

    page.keyboard.press("k")
    expect(notes.locator("#ax-notes-title")).to_have_value("Gate code")
    page.keyboard.press("n")
    expect(notes.locator(".ax-note-form h2")).to_have_text("New note")
    row.click()  # mine: edit it
    notes.locator("#ax-notes-title").fill("Gate code (new)")
    notes.get_by_role("button", name="Save").click()
    expect(notes.locator(".ax-note", has_text="Gate code (new)")).to_have_count(1)

    expect(notes.locator(".ax-notes-folder option", has_text=colleague)).to_have_count(1)  # named by owner
    expect(page.locator(".ax-status")).not_to_contain_text("did not work")
    page.goto(f"{world.url}/mail/notes")  # the Standard notes page reads the same item
    expect(page.locator("body")).to_contain_text("Gate code (new)")
    expect(page.locator("body")).to_contain_text("Team phone list")
    assert errors == []


def test_journal_entry_with_its_date_shows_in_standard_and_is_deleted(world: World, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("journal")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-journal .ax-notes-bar")).to_be_attached(timeout=20_000)
    page.locator(".ax-views [data-view=journal]").click()
    journal = page.locator(".ax-journal")
    journal.get_by_role("button", name="New journal entry").click()
    journal.locator("#ax-journal-title").fill("Call with the printer")
    journal.locator("#ax-journal-date").fill("2027-02-15")
    journal.locator("#ax-journal-body").fill("They deliver on Friday.")
    journal.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Journal entry saved.")
    row = journal.locator(".ax-note", has_text="Call with the printer")
    expect(row).to_have_count(1)
    expect(row.locator(".ax-note-day")).not_to_be_empty()

    expect(page.locator(".ax-status")).not_to_contain_text("did not work")
    page.goto(f"{world.url}/mail/journal")
    expect(page.locator("body")).to_contain_text("Call with the printer")
    expect(page.locator("body")).to_contain_text("2027-02-15")

    page.goto(f"{world.url}/ajax/#journal")  # the view comes back from the address
    row.click()
    expect(journal.locator("#ax-journal-date")).to_have_value("2027-02-15")
    journal.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Call with the printer")
    dialog.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    page.goto(f"{world.url}/mail/journal")
    expect(page.locator("body")).not_to_contain_text("Call with the printer")
    assert errors == []


def test_notes_imported_from_an_ics_and_exported_again(world: World, page: Page, tmp_path: Path) -> None:
    """Import and Export in the Notes view (transfer.js): a file of two notes lands in the notebook and
    lists; the notebook exported is one .ics holding both."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    note = "BEGIN:VJOURNAL\r\nUID:{uid}\r\nDTSTAMP:20261201T100000Z\r\nSUMMARY:{title}\r\nEND:VJOURNAL\r\n"
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + note.format(uid="n1", title="Wifi password")
        + note.format(uid="n2", title="Parking spot")
        + "END:VCALENDAR\r\n"
    ).encode()
    sign_in_to_ajax(page, world.url, world.account("noteimport"))
    expect(page.locator(".ax-notes .ax-notes-bar")).to_be_attached(timeout=20_000)
    page.locator(".ax-views [data-view=notes]").click()
    notes = page.locator(".ax-notes")
    notes.locator(".ax-import-button").click()
    dialog = page.get_by_role("dialog", name="Import")
    dialog.locator("input[type=file]").set_input_files(
        files=[{"name": "notes.ics", "mimeType": "text/calendar", "buffer": body}]
    )
    dialog.get_by_role("button", name="Import").click()
    expect(dialog.locator(".ax-import-report")).to_contain_text(
        "2 added, 0 updated, 0 refused.", timeout=20_000
    )
    dialog.get_by_role("button", name="Close").click()
    for title in ("Wifi password", "Parking spot"):
        expect(notes.locator(".ax-note", has_text=title)).to_have_count(1)

    with page.expect_download() as info:
        notes.locator(".ax-export-button").click()
    saved = tmp_path / "notes.ics"
    info.value.save_as(saved)
    exported = saved.read_bytes()
    assert exported.count(b"BEGIN:VJOURNAL") == 2
    assert b"SUMMARY:Wifi password" in exported and b"SUMMARY:Parking spot" in exported
    assert errors == []
