"""The Ajax interface's contacts view in Chromium, on the whole server (conftest.py): a contact made in
the form is listed and found by search, "Write" opens the composer on its address, the Standard
interface's contacts page shows the same card (one store of vCards behind JMAP, the pages and CardDAV),
and an edit and a delete reach the store."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.interop.conftest import wait_for
from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CARD = ".ax-card-row"
WAIT = 20_000  # ms: each step is a JMAP round trip, slow on a loaded CI machine


def stored_cards(world: World, address: str) -> list[bytes]:
    store = world.store()
    try:
        account = store.accounts.get(address)
        return [item.data for item in store.for_user(account.id).organizer.search_contacts("")]
    finally:
        store.close()


def test_make_find_write_to_edit_and_delete_a_contact(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("cards")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible(timeout=WAIT)  # the scripts ran
    page.locator(".ax-views [data-view=contacts]").click()
    expect(page.locator(".ax-cards")).to_contain_text("No contacts found.", timeout=WAIT)
    expect(page.locator(".ax-panes")).to_be_hidden(timeout=WAIT)
    expect(page.locator(".ax-views [data-view=contacts]")).to_have_attribute("aria-pressed", "true")

    family = f"Lovelace{uuid.uuid4().hex[:4]}"
    page.get_by_role("button", name="New contact").click()
    form = page.locator(".ax-contact-form")
    form.locator("input[name=given]").fill("Ada")
    form.locator("input[name=surname]").fill(family)
    form.locator("textarea[name=emails]").fill("ada@example.test")
    form.locator("input[name=organization]").fill("Analytical Engines")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Saved.", timeout=WAIT)
    row = page.locator(CARD, has_text=f"Ada {family}")
    expect(row).to_have_count(1, timeout=WAIT)
    expect(page.locator(".ax-contact")).to_contain_text("Analytical Engines", timeout=WAIT)
    shot(page, artifacts, "webmail-ajax-contacts")
    cards = stored_cards(world, me)
    assert len(cards) == 1 and f"FN:Ada {family}".encode() in cards[0] and b"ada@example.test" in cards[0]

    search = page.get_by_role("searchbox", name="Search contacts")
    search.fill("zzz-nobody")
    expect(page.locator(".ax-cards")).to_contain_text("No contacts found.", timeout=WAIT)
    search.fill(family.lower())
    expect(row).to_have_count(1, timeout=WAIT)

    row.click()
    page.locator(".ax-contact").get_by_role("button", name="Write").click()
    composer = page.locator(".ax-composer")
    expect(composer).to_be_visible(timeout=WAIT)
    expect(composer.locator("input[name=to]")).to_have_value(
        f'"Ada {family}" <ada@example.test>', timeout=WAIT
    )
    composer.get_by_role("button", name="Discard").click()

    standard = page.context.new_page()
    standard.goto(f"{world.url}/mail/contacts")
    expect(standard.locator("body")).to_contain_text(f"Ada {family}", timeout=WAIT)
    standard.close()

    page.locator(".ax-views [data-view=contacts]").click()
    page.locator(CARD, has_text=f"Ada {family}").click()
    page.locator(".ax-contact").get_by_role("button", name="Change").click()
    form.locator("input[name=organization]").fill("Difference Engines")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-contact")).to_contain_text("Difference Engines", timeout=WAIT)
    wait_for(lambda: b"Difference Engines" in stored_cards(world, me)[0], 10, "the edit in the store")

    page.locator(".ax-contact").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".ax-status")).to_have_text("Deleted.", timeout=WAIT)
    expect(page.locator(CARD)).to_have_count(0, timeout=WAIT)
    assert stored_cards(world, me) == []

    # a card another client stores (as CardDAV would) shows without a reload: JMAP push names ContactCard
    search.fill("")
    expect(page.locator(".ax-cards")).to_contain_text("No contacts found.", timeout=WAIT)
    page.wait_for_timeout(500)  # the search's own refresh is done; what follows comes by push only
    store = world.store()
    try:
        organizer = store.for_user(store.accounts.get(me).id).organizer
        book = organizer.collections("contacts")[0]
        card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:pushed-1\r\nFN:Grace Hopper\r\nEND:VCARD\r\n"
        organizer.put(book.folder_id, "pushed-1.vcf", card.encode())
    finally:
        store.close()
    expect(page.locator(CARD, has_text="Grace Hopper")).to_have_count(1, timeout=WAIT)
    assert errors == []
