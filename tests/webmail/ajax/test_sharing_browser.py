"""The Ajax sharing dialog in Chromium, on the whole server (conftest.py): the owner shares a mail folder
with a colleague as viewer from the folder's menu; the colleague sees it in his Ajax tree and over IMAP
and cannot delete its message; a deny entry wins over the grant; removing the grant takes the folder
away. Then the task list's, the address book's and the calendar's "Share…" and the whole mailbox's
delegation. What the colleague's browser, his IMAP session and the store answer is the proof."""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.interop.conftest import services_up, wait_for
from tests.webmail.ajax.conftest import World, raw
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import PASSWORD, shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

TREE = ".ax-folders > ul:not(.ax-frequent)"


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    """The colleague's browser: a context of its own (his own session cookie)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def rights(world: World, who: str, owner: str, path: str) -> str:
    """What storage's ACL engine gives ``who`` on the folder ("none" when it is hidden from them)."""
    store = world.store()
    try:
        folder = store.folders.get(owner, path).id
        account = store.accounts.get(who).id
        try:
            return str(store.for_user(account).rights(folder))
        except Exception:  # NotFound: no "l"
            return "none"
    finally:
        store.close()


def imap(world: World, who: str) -> imaplib.IMAP4:
    """The colleague signed in over the real IMAP service (STARTTLS, the server's own certificate)."""
    wait_for(lambda: services_up(world.server, ("imap",)), 45, "the IMAP service")
    box = imaplib.IMAP4("127.0.0.1", world.server.port("imap"))
    box.starttls(ssl.create_default_context(cafile=world.server.cafile))
    box.login(who, PASSWORD)
    return box


def imap_folders(world: World, who: str) -> str:
    """The colleague's IMAP LIST."""
    box = imap(world, who)
    try:
        _, lines = box.list('""', "*")
        return "\n".join(line.decode() for line in lines if line)
    finally:
        box.logout()


def imap_try_delete(world: World, who: str, mailbox: str) -> str:
    """Try to delete the message over IMAP (STORE \\Deleted, EXPUNGE); its flags afterwards. Without "t"
    RFC 4314 has the server leave the flag unset (not fail the STORE)."""
    box = imap(world, who)
    try:
        status, _ = box.select(f'"{mailbox}"')
        assert status == "OK"
        try:
            box.store("1", "+FLAGS", "(\\Deleted)")
            box.expunge()
        except imaplib.IMAP4.error as refused:
            return f"refused: {refused}"
        _, flags = box.fetch("1", "(FLAGS)")
        return str(flags[0])
    finally:
        box.logout()


def test_share_a_folder_as_viewer_deny_wins_and_remove(
    world: World, page: Page, second_page: Page, artifacts: Path
) -> None:
    owner = world.account("owner")
    guest = world.account("guest")
    store = world.store()
    try:
        store.folders.create(owner, "Projects")
        store.mail.deliver(raw("Plan for 2027", "The plan.", owner), [owner], "Projects")
    finally:
        store.close()
    shared_name = f"Other Users/{owner}/Projects"

    sign_in_to_ajax(page, world.url, owner)
    folder = page.locator(f"{TREE} .ax-folder:has(.ax-folder-name:text-is('Projects'))")
    folder.click(button="right")
    page.get_by_role("menuitem", name="Share…").click()
    dialog = page.get_by_role("dialog", name="Sharing: Projects")
    expect(dialog.locator(".ax-share-none")).to_have_text("This folder is not shared with anyone.")
    address = dialog.locator(".ax-share-grant .ax-share-address")
    address.fill(guest.split("-")[0] + "-" + guest.split("-")[1][:4])  # a part of the address: the picker
    expect(dialog.locator(f".ax-share-grant datalist option[value='{guest}']")).to_have_count(1)
    address.fill(guest)
    dialog.locator(".ax-share-grant select[name=role]").select_option("viewer")
    dialog.get_by_role("button", name="Share", exact=True).click()
    entry = dialog.locator(f".ax-share-entry[data-name='{guest}']")
    expect(entry.locator(".ax-share-rights")).to_have_text("lrs")
    expect(dialog.locator(".ax-share-note")).to_have_text("Shared.")
    assert rights(world, guest, owner, "Projects") == "lrs"
    shot(page, artifacts, "ajax-sharing-dialog")
    dialog.get_by_role("button", name="Close").focus()
    page.keyboard.press("c")  # the page's "new message" key does not act behind the dialog
    expect(page.locator(".ax-composer")).to_have_count(0)

    # the colleague: the folder in his Ajax tree with its message, over IMAP too; he cannot delete
    sign_in_to_ajax(second_page, world.url, guest)
    theirs = second_page.locator(f"{TREE} .ax-folder:has(.ax-folder-name:text-is('{shared_name}'))")
    theirs.click()
    expect(second_page.locator(".ax-row")).to_have_count(1)
    expect(second_page.locator(".ax-row").first).to_contain_text("Plan for 2027")
    theirs.click(button="right")
    expect(second_page.get_by_role("menuitem", name="Delete folder")).to_have_count(0)
    expect(second_page.get_by_role("menuitem", name="Share…")).to_have_count(0)  # no "a"
    second_page.keyboard.press("Escape")
    second_page.locator(".ax-row").first.click()
    second_page.keyboard.press("Delete")
    # "lrs" has no delete right: the key sends nothing and says why (the server would refuse it too,
    # which the IMAP attempt below shows)
    expect(second_page.locator(".ax-status")).to_contain_text("its messages cannot be moved or deleted")
    assert world.count(owner, "Projects") == 1
    assert shared_name in imap_folders(world, guest)
    assert "Deleted" not in imap_try_delete(world, guest, shared_name)
    assert world.count(owner, "Projects") == 1

    # a deny entry wins over the viewer grant: the folder is gone for him, though the grant stays
    form = dialog.locator(".ax-share-grant")
    form.locator(".ax-share-address").fill(guest)
    form.locator("select[name=role]").select_option("custom")
    form.locator("input[name=letters]").fill("lrs")
    form.locator("select[name=effect]").select_option("deny")
    form.get_by_role("button", name="Share", exact=True).click()
    denied = dialog.locator(f".ax-share-entry[data-name='{guest}'][data-allow='0']")
    expect(denied.locator(".ax-share-denied-tag")).to_have_text("denied")
    expect(
        dialog.locator(f".ax-share-entry[data-name='{guest}'][data-allow='1'] .ax-share-rights")
    ).to_have_text("lrs")
    assert rights(world, guest, owner, "Projects") == "none"
    assert shared_name not in imap_folders(world, guest)
    second_page.reload()
    expect(second_page.locator(f"{TREE} .ax-folder-name", has_text="Inbox").first).to_be_visible()
    expect(second_page.locator(f"{TREE} .ax-folder-name:text-is('{shared_name}')")).to_have_count(0)

    # the deny removed: he sees it again, and the grant removed: gone, both in his open page without a
    # reload (JMAP push: a change of the owner's ACL wakes his event stream too)
    denied.get_by_role("button", name="Remove").click()
    expect(denied).to_have_count(0)
    assert rights(world, guest, owner, "Projects") == "lrs"
    assert shared_name in imap_folders(world, guest)
    expect(second_page.locator(f"{TREE} .ax-folder-name:text-is('{shared_name}')")).to_have_count(1)
    dialog.locator(f".ax-share-entry[data-name='{guest}']").get_by_role("button", name="Remove").click()
    expect(dialog.locator(".ax-share-none")).to_be_visible()
    expect(dialog.locator(".ax-share-note")).to_have_text("Entry removed.")
    assert rights(world, guest, owner, "Projects") == "none"
    assert shared_name not in imap_folders(world, guest)
    expect(second_page.locator(f"{TREE} .ax-folder-name:text-is('{shared_name}')")).to_have_count(0)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)


def test_organizer_folders_and_delegation_from_their_views(world: World, page: Page) -> None:
    owner = world.account("planner")
    guest = world.account("helper")
    sign_in_to_ajax(page, world.url, owner)
    dialog = page.locator(".ax-sharing")

    def share_with_guest(role: str) -> None:
        form = dialog.locator(".ax-share-grant")
        form.locator(".ax-share-address").fill(guest)
        form.locator("select[name=role]").select_option(role)
        form.get_by_role("button", name="Share", exact=True).click()
        expect(dialog.locator(f".ax-share-entry[data-name='{guest}'] .ax-share-rights")).not_to_be_empty()
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_have_count(0)

    store = world.store()
    try:
        kinds = {f.kind: f.path for f in store.folders.list(owner) if f.kind != "mail"}
    finally:
        store.close()

    slow = 60_000  # each view connects and reads its collections on first show; a loaded machine is slow
    expect(page.locator(".ax-task-bar")).to_be_attached(timeout=slow)  # tasks.js has run
    expect(page.locator(".ax-cal-bar")).to_be_attached(timeout=slow)  # calendar.js too
    page.locator(".ax-views [data-view=tasks]").click()
    expect(page.locator(".ax-tasks .ax-share-button")).to_be_visible(timeout=slow)
    page.locator(".ax-tasks .ax-share-button").click()
    expect(dialog).to_be_visible()
    share_with_guest("contributor")
    assert rights(world, guest, owner, kinds["tasks"]) == "lrsip"

    page.locator(".ax-views [data-view=contacts]").click()
    expect(page.locator(".ax-books .ax-folder")).to_have_count(2, timeout=slow)  # "All" and "Contacts"
    page.locator(".ax-books .ax-folder").nth(1).click()
    page.locator(".ax-books .ax-share-button").click()
    share_with_guest("editor")
    assert rights(world, guest, owner, kinds["contacts"]) == "lrswipkte"

    page.locator(".ax-views [data-view=calendar]").click()
    expect(page.locator(".ax-calendar .ax-share-button")).to_be_visible(timeout=slow)
    page.locator(".ax-calendar .ax-share-button").click()
    share_with_guest("viewer")
    assert rights(world, guest, owner, kinds["calendar"]) == "lrs"

    for view, kind, role, letters in (
        ("notes", "notes", "viewer", "lrs"),
        ("journal", "journal", "editor", "lrswipkte"),
    ):
        area = page.locator(f".ax-{view}")
        expect(area.locator(".ax-notes-bar")).to_be_attached(timeout=slow)  # notes.js has run
        page.locator(f".ax-views [data-view={view}]").click()
        picker = area.locator(".ax-notes-folder")
        expect(picker.locator("option")).to_have_count(2, timeout=slow)  # all folders, and the one
        picker.select_option(index=1)
        area.locator(".ax-share-button").click()
        share_with_guest(role)
        assert rights(world, guest, owner, kinds[kind]) == letters

    # the whole mailbox: delegation, as on the Standard page
    page.locator(".ax-views [data-view=mail]").click()
    page.get_by_role("button", name="Share my whole mailbox, or let someone send for me").click()
    expect(page.get_by_role("dialog", name="Sharing: my whole mailbox")).to_be_visible()
    add = dialog.locator(".ax-delegate-add")
    add.locator(".ax-share-address").fill(guest)
    add.get_by_label("Send on behalf").check()
    add.get_by_role("button", name="Delegate").click()
    row = dialog.locator(f".ax-delegate[data-name='{guest}']")
    expect(row.get_by_label("Send on behalf")).to_be_checked()
    expect(row.get_by_label("Send as")).not_to_be_checked()
    store = world.store()
    try:
        account = store.accounts.get(owner).id
        delegates = store.for_user(account).sharing.delegates()
    finally:
        store.close()
    assert [(d.name, d.send_as, d.send_on_behalf, d.free_busy) for d in delegates] == [
        (guest, False, True, False)
    ]
