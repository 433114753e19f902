"""The Ajax message menu and the reader's toolbar follow the folder's rights, in Chromium on the whole
server (conftest.py): in a folder shared read-only ("lrs", the sharing dialog's viewer) the colleague is
offered Mark read/unread (he has "s") but no Flag, Move or Delete, which the server would refuse; in his
own Inbox the same menu and toolbar offer them all."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World, raw
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

TREE = ".ax-folders > ul:not(.ax-frequent)"
TOOLBAR = ".ax-reader .ax-toolbar"


def test_read_only_shared_folder_offers_no_flag_move_or_delete(
    world: World, page: Page, artifacts: Path
) -> None:
    owner = world.account("lender")
    guest = world.account("reader")
    store = world.store()
    try:
        store.folders.create(owner, "Minutes")
        store.mail.deliver(raw("Board minutes", "The minutes.", owner), [owner], "Minutes")
        store.mail.deliver(raw("My own note", "Mine.", guest), [guest])
        store.acl.grant(owner, "Minutes", guest, "lrs")  # the sharing dialog's "viewer"
    finally:
        store.close()

    sign_in_to_ajax(page, world.url, guest)
    page.locator(f"{TREE} .ax-folder:has(.ax-folder-name:text-is('Other Users/{owner}/Minutes'))").click()
    row = page.locator(".ax-row").filter(has_text="Board minutes")
    expect(row).to_have_count(1)
    row.click(button="right")
    menu = page.get_by_role("menu")
    expect(menu.get_by_role("menuitem", name="Mark as read", exact=True)).to_have_count(1)
    expect(menu.get_by_role("menuitem", name="Mark as unread", exact=True)).to_have_count(1)
    for absent in ("Flag", "Remove flag", "Delete"):
        expect(menu.get_by_role("menuitem", name=absent, exact=True)).to_have_count(0)
    expect(menu.locator("[data-group=move_to]")).to_have_count(0)
    expect(menu.locator("[data-group=copy_to]")).to_have_count(1)  # reading lets him copy it out
    shot(page, artifacts, "ajax-menu-read-only-folder")
    page.keyboard.press("Escape")

    row.click()
    toolbar = page.locator(TOOLBAR)
    expect(toolbar.get_by_role("button", name="Reply", exact=True)).to_be_visible()
    expect(toolbar.locator("[data-action=unread]")).to_have_count(1)
    for action in ("flag", "move", "delete"):
        expect(toolbar.locator(f"[data-action={action}]")).to_have_count(0)
    assert world.count(owner, "Minutes") == 1

    # his own Inbox: everything is offered
    page.locator(f"{TREE} .ax-folder[data-role=inbox]").click()
    own = page.locator(".ax-row").filter(has_text="My own note")
    own.click(button="right")
    for present in ("Mark as read", "Flag", "Delete"):
        expect(menu.get_by_role("menuitem", name=present, exact=True)).to_have_count(1)
    expect(menu.locator("[data-group=move_to]")).to_have_count(1)
    page.keyboard.press("Escape")
    own.click()
    for action in ("unread", "flag", "move", "delete"):
        expect(toolbar.locator(f"[data-action={action}]")).to_have_count(1)
