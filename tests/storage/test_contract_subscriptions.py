"""IMAP subscriptions as names (RFC 3501 6.3.6): they outlive their folder, follow a rename, and survive
the upgrade from the schema that kept them as a folder flag."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from storage import schema
from storage.db import MIGRATIONS_DIR
from storage.errors import InvalidInput, NotFound
from storage.store import Store
from tests.storage.conftest import Demo

ALICE = "alice@example.test"
BOB = "bob@example.test"
STANDARD = ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]


def test_new_account_is_subscribed_to_its_standard_mail_folders(demo: Demo) -> None:
    assert demo.store.folders.subscriptions(ALICE) == STANDARD


def test_subscribe_and_unsubscribe(demo: Demo) -> None:
    folders = demo.store.folders
    folders.create(ALICE, "Work/2024")
    assert "Work/2024" not in folders.subscriptions(ALICE)  # creating does not subscribe
    folders.subscribe(ALICE, "Work/2024")
    folders.subscribe(ALICE, "Work/2024")  # twice is once
    folders.subscribe(ALICE, "Other Users/bob/Shared")
    assert folders.subscriptions(ALICE) == sorted([*STANDARD, "Work/2024", "Other Users/bob/Shared"])
    assert folders.subscriptions(BOB) == STANDARD  # per account
    assert folders.unsubscribe(ALICE, "Work/2024") is True
    assert folders.unsubscribe(ALICE, "Work/2024") is False
    assert "Work/2024" not in folders.subscriptions(ALICE)


def test_inbox_is_one_name_in_any_case(demo: Demo) -> None:
    folders = demo.store.folders
    assert folders.unsubscribe(ALICE, "inbox") is True
    folders.subscribe(ALICE, "Inbox")
    assert folders.subscriptions(ALICE).count("INBOX") == 1


def test_deleting_a_folder_keeps_its_subscription(demo: Demo) -> None:
    folders = demo.store.folders
    folders.create(ALICE, "Old/Child")
    folders.subscribe(ALICE, "Old")
    folders.subscribe(ALICE, "Old/Child")
    folders.delete(ALICE, "Old")
    assert {"Old", "Old/Child"} <= set(folders.subscriptions(ALICE))
    with pytest.raises(NotFound):
        folders.get(ALICE, "Old")


def test_rename_takes_the_subtree_subscriptions_along(demo: Demo) -> None:
    folders = demo.store.folders
    folders.create(ALICE, "Work/2024/Q1")
    folders.create(ALICE, "Workshop")
    for name in ("Work", "Work/2024/Q1", "Workshop"):
        folders.subscribe(ALICE, name)
    folders.subscribe(BOB, "Other Users/alice/Work")  # someone else's name for it is theirs to keep
    folders.rename(ALICE, "Work", "Job")
    subs = set(folders.subscriptions(ALICE))
    assert {"Job", "Job/2024/Q1", "Workshop"} <= subs  # "Workshop" only shares a prefix
    assert not {"Work", "Work/2024/Q1"} & subs
    assert "Other Users/alice/Work" in folders.subscriptions(BOB)


def test_deleting_the_account_drops_its_subscriptions(demo: Demo) -> None:
    demo.store.folders.subscribe(BOB, "Gone/Folder")
    demo.store.accounts.delete(BOB)
    demo.store.accounts.add(BOB, None)
    assert demo.store.folders.subscriptions(BOB) == STANDARD


@pytest.mark.parametrize("bad", ["", "a\x00b", "tab\there", "x" * 1025])
def test_bad_names_are_refused(demo: Demo, bad: str) -> None:
    with pytest.raises(InvalidInput):
        demo.store.folders.subscribe(ALICE, bad)


def test_unknown_account(store: Store) -> None:
    with pytest.raises(NotFound):
        store.folders.subscriptions("nobody@example.test")


def _schema_diff(conn: sa.Connection) -> list[object]:
    """Differences between the database and schema.py, less the full-text tables (SQLite FTS5, PostgreSQL
    body_search), which migrations make outside schema.py on purpose."""
    diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    return [d for d in diff if "fts" not in repr(d).lower() and "body_search" not in repr(d)]


def _alembic(conn: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def test_upgrade_copies_the_old_subscribed_flags(tmp_path: Path) -> None:
    """From revision 0004 (subscription was folders.subscribed) to the head: subscribed personal folders
    become subscription rows, unsubscribed ones do not, and the schema then matches storage/schema.py."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        command.upgrade(_alembic(conn), "0004")
        conn.execute(
            sa.text(
                "INSERT INTO domains (id, name, enabled, created_at) VALUES (1, 'example.test', 1, '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO accounts (id, domain_id, local_part, enabled, password_generation, used_bytes,"
                " message_count, folder_count, created_at) VALUES (7, 1, 'alice', 1, 0, 0, 0, 0, '2026-01-01')"
            )
        )
        for fid, path, parent, subscribed in ((1, "", None, 1), (2, "Kept", 1, 1), (3, "Dropped", 1, 0)):
            conn.execute(
                sa.text(
                    "INSERT INTO folders (id, namespace, domain_id, account_id, parent_id, path, kind,"
                    " uidvalidity, uidnext, highestmodseq, message_count, unseen_count, total_bytes,"
                    " subscribed, created_at) VALUES (:id, 'a7', 1, 7, :parent, :path, 'mail', :id, 1, 1,"
                    " 0, 0, 0, :sub, '2026-01-01')"
                ),
                {"id": fid, "parent": parent, "path": path, "sub": subscribed},
            )
        conn.commit()
        command.upgrade(_alembic(conn), "head")
        conn.commit()
        rows = conn.execute(sa.text("SELECT account_id, name FROM subscriptions")).all()
        assert [tuple(r) for r in rows] == [(7, "Kept")]
        assert conn.execute(sa.text("SELECT count(*) FROM folders")).scalar() == 3  # nothing cascaded away
        assert _schema_diff(conn) == []
    engine.dispose()


def test_fresh_store_schema_matches_schema_py(store: Store) -> None:
    """The migrations (0005 included) build exactly storage/schema.py, on both backends."""
    with store.db.engine.connect() as conn:
        assert _schema_diff(conn) == []
