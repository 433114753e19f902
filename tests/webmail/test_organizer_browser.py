"""The organizer's items in a real browser (Chromium through Playwright, the real gunicorn service): a user
creates a contact with two addresses, a task with a due date and marks it done, then imports a .vcf
holding one broken card and reads the report naming it; on a phone they find the contact. Screenshots
go to the artifacts directory (docs/organizer.md shows some of them)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.webmail.live import PASSWORD, LiveServer, shot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

CARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:imp-1\r\nFN:Imported Ida\r\nN:Ida;;;;\r\nEMAIL:ida@far.test\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:imp-2\r\nN:Broken;;;;\r\nthis line has no colon\r\nEND:VCARD\r\n"
)


def test_contact_task_and_import(
    live_server: LiveServer, page: Page, mobile_page: Page, artifacts: Path
) -> None:
    me = f"items-{uuid.uuid4().hex[:8]}@example.test"  # an account of its own: the server is shared
    live_server.store.accounts.add(me, PASSWORD)
    sign_in(page, live_server, me)

    # A contact with two addresses and a phone.
    page.click("#contacts-link")
    page.click("#contact-new")
    page.fill("#f-given", "Renée")
    page.fill("#f-family", "Lefèvre")
    page.fill("#f-email-1", "renee@work.test")
    page.fill("#f-email-2", "renee@home.test")
    page.select_option("#contact-form select[name=email_type] >> nth=1", "home")
    page.fill("#f-tel-1", "+33 1 23 45 67 89")
    page.fill("#f-organisation", "Atelier Lefèvre")
    shot(page, artifacts, "organizer-contact-form")
    page.click("#contact-save")
    page.wait_for_selector("text=The contact was saved.")
    page.click("#nav-contacts")
    page.fill("#contacts-q", "lefevre")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**q=lefevre**")
    expect(page.locator("li.contact")).to_have_count(1)
    expect(page.locator("li.contact")).to_contain_text("renee@work.test")
    shot(page, artifacts, "organizer-contacts")

    # A task, listed by due date, then done.
    page.click("#tasks-link")
    page.click("#task-new")
    page.fill("#f-summary", "Send the quote to Renée")
    page.fill("#f-due", "2026-12-24T10:00")
    page.fill("#f-priority", "1")
    page.click("#task-save")
    page.wait_for_selector("text=The task was saved.")
    page.click("#nav-tasks")
    task = page.locator("li.task", has_text="Send the quote to Renée")
    expect(task).to_contain_text("due 2026-12-24 10:00")
    shot(page, artifacts, "organizer-tasks")
    task.locator("button.task-toggle").click()
    page.wait_for_selector("text=The task is done.")
    expect(page.locator("li.task", has_text="Send the quote")).to_have_count(0)

    # Import a .vcf with one broken card: the report names it by its position.
    page.click("#nav-import")
    page.select_option("#f-folder", label="Contacts")
    page.set_input_files(
        "#f-file", files=[{"name": "people.vcf", "mimeType": "text/vcard", "buffer": CARDS.encode()}]
    )
    page.click("#import-submit")
    report = page.locator("#import-report")
    expect(report).to_contain_text("1 added, 0 updated, 1 refused.")
    expect(page.locator("tr.import-failure")).to_have_count(1)
    expect(page.locator("tr.import-failure")).to_contain_text("No. 2")
    shot(page, artifacts, "organizer-import-report")

    # On a phone: the contact is found there too.
    sign_in(mobile_page, live_server, me)
    mobile_page.goto(f"{live_server.url}/m/contacts?q=renee")
    expect(mobile_page.locator("li.contact").first).to_contain_text("Renée Lefèvre")
    expect(mobile_page.locator("ul.contacts")).not_to_contain_text("Imported Ida")
    shot(mobile_page, artifacts, "organizer-mobile-contacts")
