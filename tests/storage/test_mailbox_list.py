"""IMAP LIST's one read (storage.mailbox_list): own folders, other accounts' of the domain the user may
look up, public folders and subscriptions, under the rights rules of storage.acl."""

from __future__ import annotations

from sqlalchemy import event

from tests.storage.conftest import DOMAIN, Demo

ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"


def _names(demo: Demo, account_id: int, *, shared: bool = True, public: bool = True) -> dict[str, list[str]]:
    found = demo.store.for_user(account_id).mailboxes(shared=shared, public=public)
    return {
        "own": [f.path for f in found.own],
        **{owner: [f.path for f in folders] for owner, folders in found.shared},
        "public": [f.path for f in found.public],
    }


def test_lists_own_shared_and_public_folders_the_user_may_look_up(demo: Demo) -> None:
    store = demo.store
    shared = store.folders.create(BOB, "Projects")
    store.folders.create(BOB, "Private")
    store.folders.create("@" + DOMAIN, "News")
    bob = store.for_user(demo.bob.id)
    bob.change_entry(shared.id, ALICE, "lr")
    listed = _names(demo, demo.alice.id)
    assert "INBOX" in listed["own"] and "Sent" in listed["own"]
    assert listed[BOB] == ["Projects"]  # not "Private", nor any of carol's
    assert f"carol@{DOMAIN}" not in listed
    assert listed["public"] == ["News"]
    assert _names(demo, demo.alice.id, shared=False, public=False).keys() == {"own", "public"}
    assert _names(demo, demo.alice.id, shared=False, public=False)["public"] == []
    bob.delete_entry(shared.id, ALICE)
    assert BOB not in _names(demo, demo.alice.id)


def test_a_denied_lookup_hides_a_folder_granted_above_it(demo: Demo) -> None:
    store = demo.store
    parent = store.folders.create(BOB, "Team")
    child = store.folders.create(BOB, "Team/Secret")
    bob = store.for_user(demo.bob.id)
    bob.change_entry(parent.id, ALICE, "lr")  # applies to subfolders
    bob.change_entry(child.id, ALICE, "l", allow=False)
    assert _names(demo, demo.alice.id)[BOB] == ["Team"]


def test_statements_do_not_grow_with_the_accounts_of_the_domain(demo: Demo) -> None:
    store = demo.store
    statements: list[str] = []
    engine = store.db.engine

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        _names(demo, demo.alice.id)
        few = len(statements)
        for n in range(3):
            store.accounts.add(f"user{n}@{DOMAIN}", "pass-user-long")
        statements.clear()
        _names(demo, demo.alice.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few <= 10
