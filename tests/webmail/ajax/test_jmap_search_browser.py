"""Advanced search in the Ajax interface in Chromium, on the whole server (conftest.py): the Standard
list's fields (from, subject, a date range, with attachments, flagged) narrow the folder's list through
Email/query filters; a search that finds nothing says so; Clear shows the whole folder again; the
list's order (sort property and direction) changes and is kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"


def put(
    world: World, me: str, sender: str, subject: str, day: str, *, attach: bool = False, flagged: bool = False
) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = me
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
    message.set_content(f"About {subject}.")
    if attach:
        message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="figures.csv")
    store = world.store()
    try:
        when = datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=UTC)
        store.mail.append(me, "INBOX", message.as_bytes(), ["\\Flagged"] if flagged else [], when)
    finally:
        store.close()


def test_advanced_search_narrows_the_list(world: World, page: Page) -> None:
    me = world.account("search")
    put(world, me, "Bob <bob@example.test>", "Invoice March", "2026-03-10", attach=True)
    put(world, me, "Carol <carol@example.test>", "Invoice April", "2026-04-10")
    put(world, me, "Bob <bob@example.test>", "Lunch", "2026-04-20", flagged=True)
    sign_in_to_ajax(page, world.url, me)
    rows = page.locator(ROW)
    expect(rows).to_have_count(3)
    subjects = page.locator(f"{ROW} .ax-subject")
    panel = page.get_by_role("search", name="Advanced search")
    toggle = page.get_by_role("button", name="Advanced search")

    def search(**fields: str | bool) -> None:
        if not panel.is_visible():
            toggle.click()
        panel.get_by_role("button", name="Clear").click()
        for name, value in fields.items():
            box = panel.locator(f"input[name={name}]")
            if value is True:
                box.check()
            else:
                box.fill(str(value))
        panel.locator("input[name=from]").press("Enter")
        expect(panel).to_be_hidden()

    search(**{"from": "bob"})
    expect(subjects).to_have_text(["Lunch", "Invoice March"])
    search(**{"from": "bob", "subject": "invoice"})
    expect(subjects).to_have_text(["Invoice March"])
    search(since="2026-04-01")
    expect(subjects).to_have_text(["Lunch", "Invoice April"])
    search(since="2026-04-01", before="2026-04-15")
    expect(subjects).to_have_text(["Invoice April"])
    search(attach=True)
    expect(subjects).to_have_text(["Invoice March"])
    search(flagged=True)
    expect(subjects).to_have_text(["Lunch"])
    search(**{"from": "nobody"})
    expect(rows).to_have_count(0)
    expect(page.locator(".ax-list .ax-placeholder")).to_have_text("No message matches the search.")

    toggle.click()
    panel.get_by_role("button", name="Clear").click()
    expect(rows).to_have_count(3)
    page.keyboard.press("Escape")  # the panel closes
    expect(panel).to_be_hidden()

    # the order, as the Standard list's column headings give it
    expect(subjects).to_have_text(["Lunch", "Invoice April", "Invoice March"])  # newest arrival first
    page.get_by_label("Sort by").select_option("subject")
    expect(subjects).to_have_text(["Lunch", "Invoice March", "Invoice April"])  # Z-A
    page.get_by_role("button", name="Reverse the order").click()
    expect(subjects).to_have_text(["Invoice April", "Invoice March", "Lunch"])
    page.reload()  # kept in this browser
    expect(subjects).to_have_text(["Invoice April", "Invoice March", "Lunch"])
