"""The Ajax message menu and the reader's toolbar follow the folder's rights, in Chromium on the whole
server (conftest.py): in a folder shared read-only ("lrs", the sharing dialog's viewer) the colleague is
offered Mark read/unread (he has "s") but no Flag, Move or Delete, which the server would refuse; in his
own Inbox the same menu and toolbar offer them all."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

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


def owner_flags(world: World, owner: str, folder: str) -> list[set[str]]:
    """The IMAP flags the store holds for each message of ``owner``'s ``folder``."""
    store = world.store()
    try:
        box = store.folders.get(owner, folder)
        uids = list(store.mail.uids(box.id))
        return [{f.lower() for f in row.flags} for row in store.mail.flags(box.id, uids)]
    finally:
        store.close()


def test_keys_refused_by_a_read_only_folder_send_nothing_and_say_why(
    world: World, page: Page, artifacts: Path
) -> None:
    """u, s, v and Delete in a folder shared "lr" (read only, not even read/unread): the menu and toolbar
    leave those actions out, and the keys must not send what the server would refuse either."""
    owner = world.account("lender")
    alice = world.account("alice")
    store = world.store()
    try:
        store.folders.create(owner, "Minutes")
        store.mail.deliver(raw("Board minutes", "The minutes.", owner), [owner], "Minutes")
        store.mail.deliver(raw("Other minutes", "More.", owner), [owner], "Minutes")
        store.acl.grant(owner, "Minutes", alice, "lr")
    finally:
        store.close()
    writes: list[str] = []

    def watch(request: Request) -> None:
        body = request.post_data or ""
        if request.method == "POST" and any(m in body for m in ("Email/set", "Email/import")):
            writes.append(body)

    sign_in_to_ajax(page, world.url, alice)
    page.on("request", watch)
    page.locator(f"{TREE} .ax-folder:has(.ax-folder-name:text-is('Other Users/{owner}/Minutes'))").click()
    row = page.locator(".ax-row").filter(has_text="Board minutes")
    expect(row).to_have_count(1)
    row.click()
    expect(page.locator(TOOLBAR).get_by_role("button", name="Reply", exact=True)).to_be_visible()
    for action in ("unread", "flag", "move", "delete"):  # the toolbar already follows the rights
        expect(page.locator(f"{TOOLBAR} [data-action={action}]")).to_have_count(0)
    before = owner_flags(world, owner, "Minutes")

    status = page.locator(".ax-status")
    page.locator(".ax-rows").focus()
    page.keyboard.press("u")
    expect(status).to_have_text(
        "This folder is read-only for you: its messages cannot be marked read or unread."
    )
    page.keyboard.press("s")
    expect(status).to_have_text("This folder is read-only for you: its messages cannot be flagged.")
    shot(page, artifacts, "ajax-key-refused-read-only-folder")
    page.keyboard.press("v")
    moved = "This folder is read-only for you: its messages cannot be moved or deleted."
    expect(status).to_have_text(moved)
    expect(page.get_by_role("menu")).to_have_count(0)  # no Move to menu opened either

    rows = page.locator(".ax-row")
    rows.nth(0).click()
    rows.nth(1).click(modifiers=["Shift"])  # both selected: the keys work on the selection
    page.locator(".ax-rows").focus()
    expect(page.locator(".ax-row[aria-selected=true]")).to_have_count(2)
    page.keyboard.press("s")
    expect(status).to_have_text("This folder is read-only for you: its messages cannot be flagged.")
    page.keyboard.press("Delete")
    expect(status).to_have_text(moved)
    expect(page.locator(".ax-row")).to_have_count(2)

    page.wait_for_timeout(1000)  # anything sent would have reached the server by now
    assert writes == []
    assert owner_flags(world, owner, "Minutes") == before
    assert world.count(owner, "Minutes") == 2
    for flags in before:
        assert "\\flagged" not in flags and "\\deleted" not in flags
