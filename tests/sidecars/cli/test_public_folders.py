"""Public folders and folder recipients in the domain context."""

from __future__ import annotations

from storage.store import Store
from tests.sidecars.cli.conftest import Client, table

PROMPT = "<domain#> "


def test_public_folders_and_folder_recipients(store: Store, admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd("ADD PUBLICFOLDER path Sales/Leads") == (
        "+OK: public folder Sales/Leads created in example.test\r\n" + PROMPT
    )
    assert admin.cmd("ADD PUBLICFOLDER path Team kind calendar").startswith("+OK: public folder Team created")
    assert admin.cmd("ADD FOLDERRECIPIENT name leads folder Sales/Leads") == (
        "+OK: mail to leads@example.test goes into public folder Sales/Leads\r\n" + PROMPT
    )
    assert table(admin.cmd("LIST PUBLICFOLDERS")) == [
        ["Sales", "mail", "0", "0", "-"],
        ["Sales/Leads", "mail", "0", "0", "leads@example.test"],
        ["Team", "calendar", "0", "0", "-"],
    ]
    view = store.for_admin("admin").public_folders
    assert [r.address for r in view.recipients("example.test")] == ["leads@example.test"]
    assert admin.cmd("ADD PUBLICFOLDER path X kind bogus").startswith("-ERR: unknown folder type 'bogus'")
    assert admin.cmd("ADD FOLDERRECIPIENT name alice folder Team").startswith("-ERR: ")  # alice is an account
    assert admin.cmd("RENAME PUBLICFOLDER path Sales newPath Sales2").startswith(
        "+OK: public folder Sales renamed"
    )
    assert (
        admin.cmd("REMOVE FOLDERRECIPIENT name leads")
        == "+OK: folder recipient leads@example.test removed\r\n" + PROMPT
    )
    assert admin.cmd("REMOVE PUBLICFOLDER path Sales2").startswith(
        "+OK: public folder Sales2, its subfolders"
    )
    assert [f.path for f in view.list("example.test")] == ["Team"]
    admin.cmd("BACK")
    assert admin.cmd("LIST PUBLICFOLDERS").startswith("-ERR: LIST PUBLICFOLDERS is not available here (<#>)")
