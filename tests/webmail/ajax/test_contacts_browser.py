"""The Ajax interface's contacts view in Chromium, on the whole server (conftest.py): a contact made in
the form is listed and found by search, "Write" opens the composer on its address, the Standard
interface's contacts page shows the same card (one store of vCards behind JMAP, the pages and CardDAV),
and an edit and a delete reach the store; the form's typed addresses and phones, birthday, categories and
job title reach the Standard contact page, and the domain directory lists a colleague and writes to them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

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


def unfiltered_listing(response: Response) -> bool:
    """The JMAP answer to a ContactCard/query without a text condition (the list, the search empty)."""
    if response.request.method != "POST":
        return False
    try:
        calls = json.loads(response.request.post_data or "")["methodCalls"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(
        name == "ContactCard/query" and '"text"' not in json.dumps(args.get("filter"))
        for name, args, _id in calls
    )


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
    form.locator("input[name=email]").first.fill("ada@example.test")
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
    wait_for(lambda: b"Difference Engines" in stored_cards(world, me)[0], 30, "the edit in the store")

    page.locator(".ax-contact").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".ax-status")).to_have_text("Deleted.", timeout=WAIT)
    expect(page.locator(CARD)).to_have_count(0, timeout=WAIT)
    assert stored_cards(world, me) == []

    # a card another client stores (as CardDAV would) shows without a reload: JMAP push names ContactCard
    # the emptied search's own listing answered before the card is stored: what follows comes by push only
    with page.expect_response(unfiltered_listing, timeout=WAIT):
        search.fill("")
    expect(page.locator(".ax-cards")).to_contain_text("No contacts found.", timeout=WAIT)
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


def test_typed_fields_birthday_categories_and_title_reach_the_standard_page(
    world: World, page: Page, artifacts: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("fields")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible(timeout=WAIT)
    page.locator(".ax-views [data-view=contacts]").click()
    expect(page.locator(".ax-cards")).to_contain_text("No contacts found.", timeout=WAIT)

    page.get_by_role("button", name="New contact").click()
    form = page.locator(".ax-contact-form")
    form.locator("input[name=given]").fill("Grace")
    form.locator("input[name=surname]").fill("Hopper")
    form.locator("select[name=email_type]").first.select_option("work")
    form.locator("input[name=email]").first.fill("grace@navy.test")
    form.locator("[data-field=email]").get_by_role("button", name="Add").click()
    form.locator("select[name=email_type]").nth(1).select_option("home")
    form.locator("input[name=email]").nth(1).fill("grace@home.test")
    form.locator("select[name=tel_type]").first.select_option("cell")
    form.locator("input[name=tel]").first.fill("+1 555 0100")
    form.locator("input[name=title]").fill("Rear Admiral")
    form.locator("input[name=adr_region]").fill("Virginia")
    form.locator("input[name=birthday]").fill("1906-12-09")
    form.locator("input[name=categories]").fill("Navy, COBOL")
    shot(page, artifacts, "webmail-ajax-contact-form")
    form.get_by_role("button", name="Save").click()
    card = page.locator(".ax-contact")
    expect(card).to_contain_text("grace@navy.test (Work)", timeout=WAIT)
    expect(card).to_contain_text("grace@home.test (Home)")
    expect(card).to_contain_text("+1 555 0100 (Mobile)")
    expect(card).to_contain_text("Rear Admiral")
    expect(card).to_contain_text("1906")
    expect(card).to_contain_text("Navy, COBOL")
    shot(page, artifacts, "webmail-ajax-contact-fields")

    vcard = stored_cards(world, me)[0]
    for line in (b"TITLE:Rear Admiral", b"BDAY:1906-12-09", b"CATEGORIES:Navy,COBOL"):
        assert line in vcard, vcard

    # the Standard contact page reads the same card: its own type selects, birthday and categories
    standard = page.context.new_page()
    standard.goto(f"{world.url}/mail/contacts")
    standard.get_by_role("link", name="Grace Hopper").click()
    expect(standard.locator("#f-email-1")).to_have_value("grace@navy.test", timeout=WAIT)
    emails = standard.locator("select[name=email_type]")
    expect(emails.nth(0)).to_have_value("work")
    expect(standard.locator("#f-email-2")).to_have_value("grace@home.test")
    expect(emails.nth(1)).to_have_value("home")
    expect(standard.locator("#f-tel-1")).to_have_value("+1 555 0100")
    expect(standard.locator("select[name=tel_type]").nth(0)).to_have_value("cell")
    expect(standard.locator("input[name=title]")).to_have_value("Rear Admiral")
    expect(standard.locator("input[name=region]")).to_have_value("Virginia")
    expect(standard.locator("input[name=birthday]")).to_have_value("1906-12-09")
    expect(standard.locator("input[name=categories]")).to_have_value("Navy, COBOL")
    # ... and what the Standard page saves, the Ajax form shows: the phone made a work one there
    standard.locator("select[name=tel_type]").nth(0).select_option("work")
    standard.locator("#contact-save").click()
    expect(standard.locator("select[name=tel_type]").nth(0)).to_have_value("work", timeout=WAIT)
    standard.close()
    expect(card).to_contain_text("+1 555 0100 (Work)", timeout=WAIT)  # by push

    card.get_by_role("button", name="Change").click()
    expect(form.locator("select[name=tel_type]").first).to_have_value("work")
    expect(form.locator("select[name=email_type]").first).to_have_value("work")
    expect(form.locator("input[name=birthday]")).to_have_value("1906-12-09")
    form.locator("input[name=birthday]").fill("")
    form.locator("input[name=categories]").fill("COBOL")
    form.get_by_role("button", name="Save").click()
    expect(card).not_to_contain_text("1906", timeout=WAIT)
    expect(card).to_contain_text("COBOL")
    wait_for(lambda: b"BDAY" not in stored_cards(world, me)[0], 30, "the birthday gone from the store")
    assert b"CATEGORIES:COBOL" in stored_cards(world, me)[0]
    assert errors == []


def test_directory_lists_a_colleague_and_writes_to_them(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("dir")
    colleague = f"colleague-{uuid.uuid4().hex[:8]}@example.test"
    store = world.store()
    try:
        store.accounts.add(colleague, "x" * 16, display_name="Katherine Johnson")
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible(timeout=WAIT)
    page.locator(".ax-views [data-view=contacts]").click()
    page.locator("[data-action=directory]").click()
    directory = page.locator(".ax-directory")
    expect(directory).to_contain_text("Katherine Johnson", timeout=WAIT)
    expect(page.locator("[data-action=directory]")).to_have_attribute("aria-current", "true")
    expect(directory.locator(f"[data-write='{me}']")).to_have_count(0)  # not oneself, as on the Standard page
    search = directory.get_by_role("searchbox", name="Search the directory")
    search.fill("zzz-nobody")
    expect(directory).to_contain_text("Nobody found.", timeout=WAIT)
    search.fill("katherine")
    entry = directory.locator(".ax-directory-entry", has_text="Katherine Johnson")
    expect(entry).to_have_count(1, timeout=WAIT)
    shot(page, artifacts, "webmail-ajax-directory")
    entry.get_by_role("link", name=colleague).click()
    composer = page.locator(".ax-composer")
    expect(composer).to_be_visible(timeout=WAIT)
    expect(composer.locator("input[name=to]")).to_have_value(
        f'"Katherine Johnson" <{colleague}>', timeout=WAIT
    )
    composer.get_by_role("button", name="Discard").click()
    assert errors == []
