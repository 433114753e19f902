"""The Ajax settings pane's tabs that run the Standard settings code (/ajax/settings/...), in Chromium on
the whole server (conftest.py): a language chosen in the pane shows after a reload; a rule made in the
pane's wizard (a refusal first, beside its field) shows on the Standard rules page; two-step sign-in
turned on in the pane (QR code and key, recovery codes once) and an app password made there, which
signs in over IMAP until it is revoked in the pane.

Only English ships complete (other catalogs are translated by people), so the language test serves
WebMail in-process on the same data directory with a small German catalog made here (as
tests/webmail/test_i18n.py does), beside the real ones."""

from __future__ import annotations

import imaplib
import re
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from storage import totp
from tests.conftest import find_free_port
from tests.interop.conftest import services_up, wait_for
from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.ajax.test_jmap_settings_browser import open_settings, show_tab
from tests.webmail.live import PASSWORD, shot
from webmail import create_app
from webmail.i18n import LOCALES

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

GERMAN = {"Settings": "Einstellungen", "Folders": "Ordner", "General": "Allgemein", "Language": "Sprache"}


@pytest.fixture
def german_webmail(world: World, tmp_path: Path) -> Iterator[str]:
    """WebMail on the world's data, with a German catalog of a few strings: its URL."""
    catalog = Catalog(locale="de")
    for source, text in GERMAN.items():
        catalog.add(source, text)
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as out:
        write_mo(out, catalog)
    app = create_app(
        {
            "DATA_DIR": str(world.server.data),
            "FIELDPOST_SECURE_COOKIES": "never",
            "BABEL_TRANSLATION_DIRECTORIES": f"{LOCALES};{tmp_path}",
        }
    )
    port = find_free_port()
    web = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        web.shutdown()


def test_a_language_chosen_in_the_pane_shows_after_a_reload(
    world: World, german_webmail: str, page: Page
) -> None:
    me = world.account("lang")
    sign_in_to_ajax(page, german_webmail, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    page.get_by_role("button", name="Settings").click()
    general = page.locator(".ax-settings-body form")
    expect(general.get_by_label("Language")).to_have_value("en")
    general.get_by_label("Time zone").select_option("Europe/Berlin")
    general.get_by_label("Language").select_option("de")
    general.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Settings saved.")
    expect(page.get_by_role("button", name="Einstellungen")).to_have_count(0)  # not before the reload
    general.get_by_role("button", name="Reload now").click()

    expect(page.get_by_role("button", name="Einstellungen")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_text("Ordner", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Einstellungen").click()
    expect(page.get_by_role("tab", name="Allgemein")).to_have_attribute("aria-selected", "true")
    general = page.locator(".ax-settings-body form")
    expect(general.get_by_label("Sprache")).to_have_value("de")
    expect(general.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    store = world.store()
    try:
        assert store.settings.get("user.language", account=me) == "de"
    finally:
        store.close()


def test_a_rule_made_in_the_pane_shows_on_the_standard_rules_page(
    world: World, page: Page, artifacts: Path
) -> None:
    me = world.account("rules")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page, "General")
    show_tab(page, "Rules")
    body = page.locator(".ax-settings-body")
    expect(body).to_contain_text("No rules yet.")
    body.get_by_role("button", name="New rule").click()
    wizard = body.locator("form")
    wizard.get_by_label("Name").fill("Newsletters")
    wizard.get_by_label("Apply when").select_option("any")
    wizard.get_by_label("Field 1").select_option("subject")
    wizard.get_by_label("Then").select_option("forward")
    expect(wizard.get_by_label("Folder")).to_be_hidden()
    wizard.get_by_label("Address").fill(me)  # to itself: refused, it would loop
    wizard.get_by_role("button", name="Save").click()
    shown = wizard.locator(".ax-field-error:not(:empty)")
    expect(shown).to_have_count(1)  # the text is required: said beside its field, nothing else checked yet
    expect(shown).to_have_text("This field is required.")
    expect(wizard.get_by_label("Text 1")).to_have_attribute("aria-invalid", "true")
    wizard.get_by_label("Text 1").fill("weekly digest")
    wizard.get_by_role("button", name="Save").click()
    expect(wizard.get_by_label("Address")).to_have_attribute("aria-invalid", "true")
    expect(shown).to_have_count(1)  # the loop, said beside the address
    expect(wizard.get_by_label("Text 1")).not_to_have_attribute("aria-invalid", "true")
    wizard.get_by_label("Then").select_option("move")
    wizard.get_by_label("Folder").select_option("Archive")
    wizard.get_by_label("Also flag the message").check()
    wizard.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Your rules were saved.")
    row = body.locator("tr.ax-rule")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Newsletters")
    expect(row).to_contain_text("weekly digest")

    body.get_by_role("button", name="New rule").click()
    wizard = body.locator("form")
    wizard.get_by_label("Name").fill("Shop")
    wizard.get_by_label("Text 1").fill("shop.example")
    wizard.get_by_label("Then").select_option("delete")
    wizard.get_by_role("button", name="Save").click()
    expect(body.locator("tbody tr")).to_have_count(2)
    body.locator("tbody tr").nth(1).get_by_role("button", name="Up").click()
    expect(body.locator("tbody tr").first).to_contain_text("Shop")
    body.locator("tbody tr").first.get_by_role("button", name="Turn off").click()
    expect(body.locator("tbody tr").first.locator("td").nth(2)).to_have_text("off")  # the status column
    expect(body.locator("tbody tr").nth(1).locator("td").nth(2)).to_have_text("on")
    shot(page, artifacts, "ajax-settings-rules")

    page.goto(f"{world.url}/mail/settings/rules")
    rows = page.locator("table.rules tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Shop")
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("off")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("on")
    expect(rows.nth(1)).to_contain_text("Newsletters")
    rows.nth(1).get_by_role("link", name="Newsletters").click()
    expect(page.locator("select[name=match_all]")).to_have_value("any")
    expect(page.locator("input[name=value_1]")).to_have_value("weekly digest")
    expect(page.locator("select[name=folder]")).to_have_value("Archive")
    expect(page.locator("input[name=flag]")).to_be_checked()


def imap_login(world: World, address: str, password: str) -> bool:
    """Whether IMAP (implicit TLS, the server's certificate checked) takes ``password``."""
    context = ssl.create_default_context(cafile=world.server.cafile)
    with imaplib.IMAP4_SSL("localhost", world.server.port("imaps"), ssl_context=context, timeout=30) as imap:
        try:
            imap.login(address, password)
        except imaplib.IMAP4.error:
            return False
        imap.logout()
        return True


def test_two_step_and_an_app_password_that_signs_in_over_imap_until_revoked(
    world: World, page: Page, artifacts: Path
) -> None:
    wait_for(lambda: services_up(world.server, ("imap",)), 45, "IMAP to run")
    me = world.account("apps")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page, "General")
    show_tab(page, "App passwords")
    body = page.locator(".ax-settings-body")
    expect(body).to_contain_text("App passwords are for accounts with two-step sign-in.")
    body.get_by_role("button", name="Set up two-step sign-in").click()
    expect(page.get_by_role("tab", name="Two-step sign-in")).to_have_attribute("aria-selected", "true")
    body.get_by_role("button", name="Set up two-step sign-in").click()
    expect(body.get_by_role("img", name="QR code for the authenticator app")).to_be_visible()
    expect(body.locator(".ax-two-step-key")).to_have_text(re.compile(r"\S"))
    secret = body.locator(".ax-two-step-key").inner_text()
    shot(page, artifacts, "ajax-settings-two-step")
    body.get_by_label("Code").fill("000000")
    body.get_by_role("button", name="Turn on").click()
    expect(body.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    body.get_by_label("Code").fill(totp.code_at(secret, time.time()))
    body.get_by_role("button", name="Turn on").click()
    expect(body.locator(".ax-codes li")).to_have_count(10)
    expect(body).to_contain_text("Two-step sign-in is on since")

    show_tab(page, "App passwords")
    body.get_by_label("Name (the program or device it is for)").fill("laptop")
    body.get_by_role("button", name="Create").click()  # the session was started again: the new token works
    made = body.locator(".ax-new-app-password")
    expect(made).to_have_text(re.compile(r"^[a-z]{4}( [a-z]{4}){3}$"))
    password = made.inner_text()
    row = body.locator("tbody tr")
    expect(row).to_contain_text("laptop")
    expect(row).to_contain_text("Never")
    assert not imap_login(world, me, PASSWORD)  # two-step on: the account password no longer works there
    assert imap_login(world, me, password)

    show_tab(page, "General")
    show_tab(page, "App passwords")
    expect(body.locator(".ax-new-app-password")).to_have_count(0)  # shown once
    expect(row).not_to_contain_text("Never")  # its last use, over IMAP
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".ax-status")).to_have_text(
        "The app password was revoked: programs using it can no longer sign in."
    )
    expect(body).to_contain_text("You have no app passwords.")
    assert not imap_login(world, me, password)


def test_another_mailbox_added_in_the_pane_shows_on_the_standard_page(world: World, page: Page) -> None:
    me = world.account("remote")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page, "Other mailboxes")
    body = page.locator(".ax-settings-body")
    expect(body).to_contain_text("No other mailbox is fetched into this one.")
    body.get_by_role("button", name="Add a mailbox").click()
    form = body.locator("form")
    form.get_by_label("Protocol").select_option("pop3")
    form.get_by_label("Server", exact=True).fill("pop.example.net")
    form.get_by_label("User name").fill("me.elsewhere")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_label("Password", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )  # required for a new one
    form.get_by_label("Password", exact=True).fill("remote-pw")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text(
        "Saved. me.elsewhere@pop.example.net (POP3) is fetched within a minute."
    )
    expect(body.locator("tr.ax-remote-mailbox")).to_contain_text("me.elsewhere — pop.example.net (POP3)")
    page.goto(f"{world.url}/mail/settings/remote")
    expect(page.locator("tr.remote-mailbox")).to_contain_text("me.elsewhere — pop.example.net (POP3)")
