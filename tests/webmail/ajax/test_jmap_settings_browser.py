"""The Ajax interface's settings pane in Chromium, on the whole server (conftest.py): a signature saved
over Identity/set reads back after a reload and is put under a new message; the signature for every
address without its own ("*") is edited in the Signatures tab and shows on the Standard General tab; the
out-of-office reply
saved through the Standard page's code shows on the Standard settings page (the same Sieve entry); a refused
value is explained in the pane; a link leads to the Standard settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def open_settings(page: Page, tab: str = "Signatures") -> None:
    """The Settings button (the pane opens on General), then one of the pane's tabs."""
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("tab", name="General")).to_have_attribute("aria-selected", "true")
    show_tab(page, tab)


def show_tab(page: Page, tab: str) -> None:
    page.get_by_role("tab", name=tab, exact=True).click()
    expect(page.get_by_role("tab", name=tab, exact=True)).to_have_attribute("aria-selected", "true")
    expect(page.locator(".ax-settings-body")).to_have_attribute("aria-busy", "false")  # its content is in


def test_signature_and_out_of_office(world: World, page: Page) -> None:
    me = world.account("prefs")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page)
    pane = page.locator(".ax-settings")
    signature = pane.locator("form").nth(0)
    signature.get_by_role("textbox").first.fill("Ann Example\nExample Ltd")
    signature.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Settings saved.")

    show_tab(page, "Out of office")
    away = pane.locator("form").nth(0)
    away.get_by_label("Send an out-of-office reply").check()
    away.get_by_label("First day").fill("2030-07-01")
    away.get_by_label("Last day").fill("2030-06-20")  # before the start: the server refuses
    away.get_by_label("Subject").fill("Away in July")
    away.get_by_label("Reply to everyone else").fill("Back on 21 July.")
    away.get_by_role("button", name="Save").click()
    expect(away.locator(".ax-field-error").nth(2)).to_have_text(
        "the last day is before the first"
    )  # Last day's
    away.get_by_label("Last day").fill("2030-07-20")
    away.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Settings saved.")
    expect(away.locator(".ax-field-error").nth(2)).to_have_text("")  # the refusal is gone

    page.reload()
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page)
    expect(pane.locator("form").nth(0).get_by_role("textbox").first).to_have_value("Ann Example\nExample Ltd")
    show_tab(page, "Out of office")
    away = pane.locator("form").nth(0)
    expect(away.get_by_label("Send an out-of-office reply")).to_be_checked()
    expect(away.get_by_label("First day")).to_have_value("2030-07-01")
    expect(away.get_by_label("Last day")).to_have_value("2030-07-20")

    page.keyboard.press("Escape")  # not a composer: the pane stays until closed
    pane.get_by_role("button", name="Close").click()
    expect(pane).to_have_count(0)
    page.keyboard.press("c")
    expect(page.locator(".ax-editor")).to_contain_text("Ann Example")  # the signature under a new message
    page.get_by_role("button", name="Discard").click()

    page.get_by_role("button", name="Settings").click()
    more = page.get_by_role("link", name="More settings in the Standard interface")
    more.click()
    expect(page).to_have_url(re.compile(r"/mail/settings/$"))
    page.goto(f"{world.url}/mail/settings/out-of-office")
    expect(page.locator("input[name=subject]")).to_have_value("Away in July")
    expect(page.locator("input[name=enabled]")).to_be_checked()


def test_the_signature_for_every_address_is_edited_in_the_pane(
    world: World, page: Page, artifacts: Path
) -> None:
    me = world.account("sigall")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page)
    form = page.locator(".ax-settings form").nth(0)
    every = form.get_by_label("Every address without a signature of its own")
    own = form.get_by_label(me)  # the account's own address, which has none of its own
    expect(every).to_have_value("")
    expect(own).to_have_value("")

    every.fill("x" * 4001)  # the Standard form's limit, refused beside nothing saved
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".ax-error")).to_contain_text(
        "Every address without a signature of its own: Field cannot be longer than 4000 characters."
    )
    every.fill("The Example team\nCall us any time")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Settings saved.")
    expect(form.locator(".ax-error")).to_have_text("")
    expect(own).to_have_value("The Example team\nCall us any time")  # the address takes it
    shot(page, artifacts, "ajax-settings-signature-for-every-address")

    page.locator(".ax-settings").get_by_role("button", name="Close").click()
    page.keyboard.press("c")
    expect(page.locator(".ax-editor")).to_contain_text("The Example team")  # under a new message
    page.get_by_role("button", name="Discard").click()

    page.goto(f"{world.url}/mail/settings/")  # the Standard General tab's Signature field
    expect(page.locator("textarea[name=signature]")).to_have_value("The Example team\nCall us any time")
