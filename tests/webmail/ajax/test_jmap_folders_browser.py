"""Managing folders in the Ajax interface in Chromium, on the whole server (conftest.py), over JMAP's
Mailbox/set: create at the top and inside a folder, a refused name explained in the dialog, rename by
F2, move under another folder, delete with subfolders and messages; a message copied to a folder; the
special folders offer none of rename, move or delete. What the store holds afterwards is the proof."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.interop.conftest import wait_for
from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"
TREE = ".ax-folders > ul:not(.ax-frequent)"


def paths(world: World, address: str) -> set[str]:
    store = world.store()
    try:
        return {f.path for f in store.folders.list(address)}
    finally:
        store.close()


def test_create_rename_move_and_delete_folders(world: World, page: Page) -> None:
    me = world.account("folders", ("Keep me", "File me"))
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(2)

    def folder(name: str):  # noqa: ANN202 (a Locator)
        return page.locator(f"{TREE} .ax-folder:has(.ax-folder-name:text-is('{name}'))")

    dialog = page.get_by_role("dialog")
    page.get_by_role("button", name="New folder").click()
    dialog.get_by_label("Name").fill("Projects")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_have_count(0)
    expect(folder("Projects")).to_be_visible()
    expect(page.locator(".ax-status")).to_have_text("Folder Projects created.")
    assert "Projects" in paths(world, me)

    page.get_by_role("button", name="New folder").click()
    dialog.get_by_label("Name").fill("Projects")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "A folder of that name is already there. Choose another name."
    )
    dialog.get_by_label("Name").fill("Old/stuff")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_have_text("A folder name has at most 255 bytes and no “/”.")
    dialog.get_by_label("Name").fill("Old")
    dialog.get_by_label("Name").press("Enter")
    expect(folder("Old")).to_be_visible()

    folder("Projects").click(button="right")
    page.get_by_role("menuitem", name="New subfolder…").click()
    dialog.get_by_label("Name").fill("2027")
    dialog.get_by_role("button", name="Create").click()
    expect(folder("2027")).to_be_visible()
    assert "Projects/2027" in paths(world, me)

    folder("Old").focus()
    page.keyboard.press("F2")
    expect(dialog.get_by_label("Name")).to_have_value("Old")
    dialog.get_by_label("Name").fill("Done")
    dialog.get_by_label("Name").press("Enter")
    expect(folder("Done")).to_be_visible()
    expect(folder("Old")).to_have_count(0)

    folder("Done").click(button="right")
    page.get_by_role("menuitem", name="Projects", exact=True).click()  # under "Move folder to"
    expect(page.locator(".ax-status")).to_have_text("Folder Done moved to Projects.")
    wait_for(lambda: "Projects/Done" in paths(world, me), 30, "Done under Projects")
    assert "Done" not in paths(world, me)

    def submenu(name: str):  # noqa: ANN202 (a Locator)
        return page.locator(".ax-menu > li").filter(has=page.locator(f"span:text-is('{name}')"))

    page.locator(f"{ROW}:has-text('File me')").click(button="right")
    submenu("Move to").get_by_role("menuitem", name="2027").click()  # move the message there
    expect(page.locator(ROW)).to_have_count(1)
    page.locator(f"{ROW}:has-text('Keep me')").click(button="right")
    submenu("Copy to").get_by_role("menuitem", name="Archive").click()  # a copy, as Standard's Copy
    expect(page.locator(".ax-status")).to_have_text("Copied 1 messages to Archive.")
    assert world.count(me, "Archive") == 1
    expect(page.locator(ROW)).to_have_count(1)

    folder("Inbox").click(button="right")  # the special folders keep their place and name
    menu = page.get_by_role("menu")
    expect(menu.get_by_role("menuitem", name="New subfolder…")).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Rename")).to_have_count(0)
    expect(menu.get_by_role("menuitem", name="Delete folder")).to_have_count(0)
    page.keyboard.press("Escape")
    page.mouse.click(5, 790)

    folder("Projects").click(button="right")
    page.get_by_role("menuitem", name="Delete folder").click()
    expect(dialog).to_contain_text("Delete Projects with its subfolders and messages?")
    dialog.get_by_role("button", name="Delete folder").click()
    expect(page.locator(".ax-status")).to_have_text("Folder Projects deleted with 1 messages.")
    expect(folder("Projects")).to_have_count(0)
    expect(folder("2027")).to_have_count(0)
    left = paths(world, me)
    assert not {p for p in left if p.startswith("Projects")}, left
    assert world.count(me, "INBOX") == 1 and world.count(me, "Archive") == 1
