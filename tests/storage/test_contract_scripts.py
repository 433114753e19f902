"""Sieve scripts at three levels and vacation response tracking (storage.scripts), on every backend.

The script operations follow RFC 5804 (ManageSieve): one active script per scope, the active one cannot
be deleted, renaming onto a taken name fails, SETACTIVE "" (None here) deactivates.
"""

from __future__ import annotations

import shutil
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, func, inspect, select, text

from storage import schema as s
from storage.db import Database
from storage.errors import AlreadyExists, InvalidInput, NotFound, QuotaExceeded
from storage.scripts import ScriptTooLarge, TooManyScripts
from storage.store import Store, open_store
from tests.storage.conftest import BACKENDS, DOMAIN, PG_HOST, PG_PORT, PG_URL, Demo, _pg_admin

ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"
KEEP = "keep;\n"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _count(store: Store, table: Table) -> int:
    with store.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# -- put / get / list -------------------------------------------------------------------------------


def test_put_get_list_at_each_level(demo: Demo) -> None:
    scripts = demo.store.scripts
    info = scripts.put("account", ALICE, "main", 'require "fileinto";\nfileinto "Ärger";\n')
    assert info.name == "main" and info.level == "account" and info.scope_id == demo.alice.id
    assert info.size == len('require "fileinto";\nfileinto "Ärger";\n'.encode()) and not info.active
    assert info.updated_at.tzinfo is not None
    scripts.put("account", ALICE, "b-second", KEEP)
    scripts.put("domain", DOMAIN, "domain-wide", KEEP)
    scripts.put("server", None, "server-wide", KEEP)

    got = scripts.get("account", ALICE, "main")
    assert got.content == 'require "fileinto";\nfileinto "Ärger";\n' and got.id == info.id
    listed = scripts.list("account", ALICE)
    assert [x.name for x in listed] == ["b-second", "main"]
    assert all(x.content is None for x in listed)
    assert [x.name for x in scripts.list("domain", DOMAIN)] == ["domain-wide"]
    assert [x.name for x in scripts.list("server", None)] == ["server-wide"]
    assert scripts.list("account", BOB) == []


def test_put_replaces_content_and_keeps_active(demo: Demo) -> None:
    scripts = demo.store.scripts
    first = scripts.put("account", ALICE, "main", KEEP)
    scripts.activate("account", ALICE, "main")
    second = scripts.put("account", ALICE, "main", "discard;\n")
    assert second.id == first.id and second.active and second.content == "discard;\n"
    assert second.updated_at >= first.updated_at
    assert len(scripts.list("account", ALICE)) == 1


def test_levels_with_the_same_scope_id_are_separate(demo: Demo) -> None:
    # the first domain and the first account may share id 1; their scripts must not mix
    scripts = demo.store.scripts
    scripts.put("domain", DOMAIN, "same", "domain;\n")
    scripts.put("account", ALICE, "same", "account;\n")
    scripts.put("server", None, "same", "server;\n")
    assert scripts.get("domain", DOMAIN, "same").content == "domain;\n"
    assert scripts.get("account", ALICE, "same").content == "account;\n"
    assert scripts.get("server", None, "same").content == "server;\n"
    scripts.activate("domain", DOMAIN, "same")
    assert scripts.active("account", ALICE) is None and scripts.active("server", None) is None


def test_account_alias_and_address_case_reach_the_same_scripts(demo: Demo) -> None:
    demo.store.accounts.add_alias(ALICE, f"ally@{DOMAIN}")
    demo.store.scripts.put("account", f"Ally@{DOMAIN.upper()}", "main", KEEP)
    assert [x.name for x in demo.store.scripts.list("account", ALICE)] == ["main"]


def test_unknown_things_are_not_found(demo: Demo) -> None:
    scripts = demo.store.scripts
    with pytest.raises(NotFound):
        scripts.get("account", ALICE, "nothing")
    with pytest.raises(NotFound):
        scripts.put("account", f"nobody@{DOMAIN}", "main", KEEP)
    with pytest.raises(NotFound):
        scripts.list("domain", "unknown.test")
    with pytest.raises(NotFound):
        scripts.delete("server", None, "nothing")
    with pytest.raises(NotFound):
        scripts.rename("account", ALICE, "nothing", "other")


@pytest.mark.parametrize(
    ("level", "scope"),
    [("class", DOMAIN), ("server", DOMAIN), ("domain", None), ("account", None), ("account", "")],
)
def test_bad_level_or_scope_is_invalid(demo: Demo, level: str, scope: str | None) -> None:
    with pytest.raises(InvalidInput):
        demo.store.scripts.put(level, scope, "main", KEEP)


@pytest.mark.parametrize(
    "name", ["", "a\x00b", "tab\there", "line\nbreak", "del\x7f", "c1\x85", "ls\u2028", "ps\u2029", "x" * 129]
)
def test_invalid_script_names_are_refused(demo: Demo, name: str) -> None:
    with pytest.raises(InvalidInput):
        demo.store.scripts.put("account", ALICE, name, KEEP)
    assert demo.store.scripts.list("account", ALICE) == []


def test_script_names_are_unicode_up_to_128_characters_in_nfc(demo: Demo) -> None:
    scripts = demo.store.scripts
    long_name = "é" * 128
    assert scripts.put("account", ALICE, long_name, KEEP).name == long_name
    decomposed = unicodedata.normalize("NFD", "Café rules")
    scripts.put("account", ALICE, decomposed, KEEP)
    assert scripts.get("account", ALICE, "Café rules").name == "Café rules"  # one script, stored in NFC
    assert len(scripts.list("account", ALICE)) == 2


def test_content_must_be_text(demo: Demo) -> None:
    with pytest.raises(InvalidInput):
        demo.store.scripts.put("account", ALICE, "main", b"keep;")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        demo.store.scripts.put("account", ALICE, "main", "keep; \udc80")


# -- limits -----------------------------------------------------------------------------------------


def test_script_size_limit_from_settings(demo: Demo) -> None:
    store = demo.store
    default_limit = 64 * 1024
    store.scripts.put("account", ALICE, "big", "#" * default_limit)
    with pytest.raises(ScriptTooLarge):
        store.scripts.put("account", ALICE, "bigger", "#" * (default_limit + 1))
    store.settings.set("sieve.max_script_bytes", "2K")
    with pytest.raises(QuotaExceeded):  # ScriptTooLarge is a QuotaExceeded
        store.scripts.put("server", None, "s", "é" * 1025)  # 2050 bytes of UTF-8
    store.settings.set("sieve.max_script_bytes", "4K", domain=DOMAIN)  # the domain's value wins for it
    store.scripts.put("account", ALICE, "mid", "#" * 3000)
    store.scripts.put("domain", DOMAIN, "mid", "#" * 3000)
    with pytest.raises(ScriptTooLarge):
        store.scripts.put("server", None, "mid", "#" * 3000)
    with pytest.raises(ScriptTooLarge):  # replacing an existing script is limited too
        store.scripts.put("account", ALICE, "mid", "#" * 5000)
    assert store.scripts.get("account", ALICE, "mid").size == 3000


def test_script_count_limit_from_settings(demo: Demo) -> None:
    store = demo.store
    store.settings.set("sieve.max_scripts", 2, domain=DOMAIN)
    store.scripts.put("account", ALICE, "one", KEEP)
    store.scripts.put("account", ALICE, "two", KEEP)
    with pytest.raises(TooManyScripts):
        store.scripts.put("account", ALICE, "three", KEEP)
    with pytest.raises(TooManyScripts):
        store.scripts.check_space("account", ALICE, "three", 10)
    store.scripts.check_space("account", ALICE, "two", 10)  # replacing needs no new slot
    store.scripts.put("account", ALICE, "two", "discard;\n")
    store.scripts.put("account", BOB, "one", KEEP)  # the count is per scope
    for i in range(3):  # the server's own scope uses the server value (default 20)
        store.scripts.put("server", None, f"s{i}", KEEP)
    store.scripts.delete("account", ALICE, "one")
    store.scripts.put("account", ALICE, "three", KEEP)
    assert [x.name for x in store.scripts.list("account", ALICE)] == ["three", "two"]


def test_check_space_reports_size(demo: Demo) -> None:
    store = demo.store
    store.scripts.check_space("account", ALICE, "main", 64 * 1024)
    with pytest.raises(ScriptTooLarge):
        store.scripts.check_space("account", ALICE, "main", 64 * 1024 + 1)
    with pytest.raises(InvalidInput):
        store.scripts.check_space("account", ALICE, "main", -1)


# -- activation, rename, delete ---------------------------------------------------------------------


def test_one_active_script_per_scope(demo: Demo) -> None:
    scripts = demo.store.scripts
    for name in ("a", "b", "c"):
        scripts.put("account", ALICE, name, KEEP)
    scripts.put("account", BOB, "a", KEEP)
    assert scripts.active("account", ALICE) is None
    scripts.activate("account", ALICE, "a")
    scripts.activate("account", BOB, "a")
    scripts.activate("account", ALICE, "b")
    active = scripts.active("account", ALICE)
    assert active is not None and active.name == "b" and active.content == KEEP
    assert [x.name for x in scripts.list("account", ALICE) if x.active] == ["b"]
    bob_active = scripts.active("account", BOB)
    assert bob_active is not None and bob_active.name == "a"  # other scopes untouched
    scripts.activate("account", ALICE, "b")  # again: still exactly one
    assert [x.name for x in scripts.list("account", ALICE) if x.active] == ["b"]


def test_activate_unknown_changes_nothing_and_none_deactivates(demo: Demo) -> None:
    scripts = demo.store.scripts
    scripts.put("domain", DOMAIN, "a", KEEP)
    scripts.activate("domain", DOMAIN, "a")
    with pytest.raises(NotFound):
        scripts.activate("domain", DOMAIN, "missing")
    still = scripts.active("domain", DOMAIN)
    assert still is not None and still.name == "a"
    scripts.activate("domain", DOMAIN, None)
    assert scripts.active("domain", DOMAIN) is None
    scripts.activate("domain", DOMAIN, "a")
    scripts.activate("domain", DOMAIN, "")  # SETACTIVE "" as ManageSieve sends it
    assert scripts.active("domain", DOMAIN) is None


def test_delete_refuses_the_active_script(demo: Demo) -> None:
    scripts = demo.store.scripts
    scripts.put("account", ALICE, "a", KEEP)
    scripts.put("account", ALICE, "b", KEEP)
    scripts.activate("account", ALICE, "a")
    with pytest.raises(InvalidInput):
        scripts.delete("account", ALICE, "a")
    scripts.delete("account", ALICE, "b")
    scripts.activate("account", ALICE, None)
    scripts.delete("account", ALICE, "a")
    assert scripts.list("account", ALICE) == []
    with pytest.raises(NotFound):
        scripts.get("account", ALICE, "a")


def test_rename_keeps_activity_and_refuses_a_taken_name(demo: Demo) -> None:
    scripts = demo.store.scripts
    original = scripts.put("account", ALICE, "old", "discard;\n")
    scripts.put("account", ALICE, "other", KEEP)
    scripts.activate("account", ALICE, "old")
    with pytest.raises(AlreadyExists):
        scripts.rename("account", ALICE, "old", "other")
    with pytest.raises(AlreadyExists):
        scripts.rename("account", ALICE, "old", "old")
    with pytest.raises(InvalidInput):
        scripts.rename("account", ALICE, "old", "bad\nname")
    renamed = scripts.rename("account", ALICE, "old", "new")
    assert renamed.id == original.id and renamed.name == "new" and renamed.active
    assert scripts.get("account", ALICE, "new").content == "discard;\n"
    active = scripts.active("account", ALICE)
    assert active is not None and active.name == "new"
    with pytest.raises(NotFound):
        scripts.get("account", ALICE, "old")
    scripts.put("account", ALICE, "old", KEEP)  # the old name is free again


# -- on a user's behalf (ManageSieve): store.for_user(id).scripts ------------------------------------


def test_a_user_reaches_only_their_own_account_scripts(demo: Demo) -> None:
    store = demo.store
    mine, bobs = store.for_user(demo.alice.id).scripts, store.for_user(demo.bob.id).scripts
    store.scripts.put("account", BOB, "secret", KEEP)
    store.scripts.put("domain", DOMAIN, "secret", KEEP)
    store.scripts.put("server", None, "secret", KEEP)
    assert mine.list() == []
    for attempt in (
        lambda: mine.get("secret"),
        lambda: mine.activate("secret"),
        lambda: mine.delete("secret"),
        lambda: mine.rename("secret", "mine"),
    ):
        with pytest.raises(NotFound):
            attempt()
    info = mine.put("secret", "discard;\n")  # the same name is a script of alice's own
    assert (info.level, info.scope_id) == ("account", demo.alice.id)
    assert store.scripts.get("account", BOB, "secret").content == KEEP  # bob's is untouched
    assert [i.name for i in bobs.list()] == ["secret"]
    mine.activate("secret")
    assert [(i.name, i.active) for i in store.scripts.list("account", ALICE)] == [("secret", True)]
    assert not bobs.get("secret").active
    with pytest.raises(InvalidInput):  # the active one stays
        mine.delete("secret")
    assert mine.rename("secret", "renamed").name == "renamed"
    mine.activate(None)
    mine.delete("renamed")
    assert mine.list() == [] and [i.name for i in bobs.list()] == ["secret"]


def test_a_user_s_limits_and_a_deleted_account(demo: Demo) -> None:
    store = demo.store
    mine = store.for_user(demo.alice.id).scripts
    assert mine.max_script_bytes() == 64 * 1024
    store.settings.set("sieve.max_script_bytes", "2K", domain=DOMAIN)
    store.settings.set("sieve.max_scripts", 1, domain=DOMAIN)
    assert mine.max_script_bytes() == 2048
    mine.check_space("a", 2048)
    with pytest.raises(ScriptTooLarge):
        mine.check_space("a", 2049)
    mine.put("a", KEEP)
    mine.check_space("a", 100)  # replacing is not one more
    with pytest.raises(TooManyScripts):
        mine.check_space("b", 100)
    with pytest.raises(TooManyScripts):
        mine.put("b", KEEP)
    store.accounts.delete(ALICE)
    for attempt in (mine.list, mine.max_script_bytes, lambda: mine.put("c", KEEP)):
        with pytest.raises(NotFound):
            attempt()


# -- what processing runs ---------------------------------------------------------------------------


def test_chain_runs_active_scripts_server_then_domain_then_account(demo: Demo) -> None:
    store = demo.store
    scripts = store.scripts
    assert scripts.chain_for(ALICE) == []
    # created in reverse order, so ids do not give the answer away
    scripts.put("account", ALICE, "mine", "account;\n")
    scripts.put("account", ALICE, "idle", "idle;\n")
    scripts.put("account", BOB, "bobs", "bob;\n")
    scripts.put("domain", DOMAIN, "dom", "domain;\n")
    scripts.put("server", None, "srv", "server;\n")
    scripts.put("server", None, "srv-idle", "idle;\n")
    store.domains.add("other.test")
    scripts.put("domain", "other.test", "elsewhere", "other;\n")
    for level, scope, name in [
        ("account", ALICE, "mine"),
        ("account", BOB, "bobs"),
        ("domain", DOMAIN, "dom"),
        ("server", None, "srv"),
        ("domain", "other.test", "elsewhere"),
    ]:
        scripts.activate(level, scope, name)
    chain = scripts.chain_for(ALICE)
    assert [(x.level, x.name, x.content) for x in chain] == [
        ("server", "srv", "server;\n"),
        ("domain", "dom", "domain;\n"),
        ("account", "mine", "account;\n"),
    ]
    scripts.activate("domain", DOMAIN, None)
    assert [x.level for x in scripts.chain_for(ALICE)] == ["server", "account"]
    assert [x.name for x in scripts.chain_for(f"carol@{DOMAIN}")] == ["srv"]
    with pytest.raises(NotFound):
        scripts.chain_for(f"nobody@{DOMAIN}")


def test_deleting_an_account_or_domain_removes_its_scripts_and_vacation_rows(demo: Demo) -> None:
    store = demo.store
    store.scripts.put("account", BOB, "b", KEEP)
    store.scripts.activate("account", BOB, "b")
    store.scripts.put("account", ALICE, "a", KEEP)
    store.scripts.put("server", None, "srv", KEEP)
    assert store.scripts.vacation_due(demo.bob.id, "h", "x@outside.test", 7, now=T0)
    assert store.scripts.vacation_due(demo.alice.id, "h", "x@outside.test", 7, now=T0)
    store.accounts.delete(BOB)
    with store.db.read() as conn:
        left = conn.execute(select(s.sieve_scripts.c.name).order_by(s.sieve_scripts.c.name)).scalars()
        assert list(left) == ["a", "srv"]
        owners = conn.execute(select(s.vacation_replies.c.account_id)).scalars()
        assert list(owners) == [demo.alice.id]
    store.scripts.put("domain", DOMAIN, "dom", KEEP)
    store.domains.delete(DOMAIN)
    assert _count(store, s.vacation_replies) == 0
    assert [x.name for x in store.scripts.list("server", None)] == ["srv"]
    assert _count(store, s.sieve_scripts) == 1


# -- vacation ---------------------------------------------------------------------------------------


def test_vacation_once_per_period_per_sender_and_handle(demo: Demo) -> None:
    due = demo.store.scripts.vacation_due
    aid = demo.alice.id
    assert due(aid, "away", "x@outside.test", 7, now=T0)
    assert not due(aid, "away", "x@outside.test", 7, now=T0 + timedelta(minutes=1))
    assert not due(aid, "away", "X@Outside.TEST", 7, now=T0 + timedelta(days=6, hours=23))
    assert due(aid, "away", "y@outside.test", 7, now=T0 + timedelta(days=1))  # another sender
    assert due(aid, "other-handle", "x@outside.test", 7, now=T0 + timedelta(days=1))  # another handle
    assert due(demo.bob.id, "away", "x@outside.test", 7, now=T0 + timedelta(days=1))  # another account
    assert due(aid, "away", "x@outside.test", 7, now=T0 + timedelta(days=7))  # the period is over
    # the new reply starts a new period
    assert not due(aid, "away", "x@outside.test", 7, now=T0 + timedelta(days=13))
    assert due(aid, "away", "x@outside.test", 7, now=T0 + timedelta(days=14))


def test_vacation_edge_cases(demo: Demo) -> None:
    scripts = demo.store.scripts
    aid = demo.alice.id
    assert scripts.vacation_due(aid, "h", "x@outside.test", 0, now=T0)
    assert scripts.vacation_due(aid, "h", "x@outside.test", 0, now=T0)  # days=0 answers every time
    long_handle = "reason " * 100
    assert scripts.vacation_due(aid, long_handle, "x@outside.test", 7, now=T0)
    assert not scripts.vacation_due(aid, long_handle, "x@outside.test", 7, now=T0)
    assert scripts.vacation_due(aid, long_handle + "!", "x@outside.test", 7, now=T0)
    assert scripts.vacation_due(aid, "h", "x@outside.test", 7)  # the real clock, long after T0
    with pytest.raises(InvalidInput):
        scripts.vacation_due(aid, "h", "x@outside.test", -1, now=T0)
    with pytest.raises(InvalidInput):
        scripts.vacation_due(aid, "h", "  ", 7, now=T0)
    with pytest.raises(InvalidInput):
        scripts.vacation_due(aid, "h", "x" * 321, 7, now=T0)
    with pytest.raises(NotFound):
        scripts.vacation_due(999_999, "h", "x@outside.test", 7, now=T0)


def test_prune_vacation_forgets_old_replies(demo: Demo) -> None:
    scripts = demo.store.scripts
    aid = demo.alice.id
    assert scripts.vacation_due(aid, "h", "old@outside.test", 7, now=T0)
    assert scripts.vacation_due(aid, "h", "new@outside.test", 7, now=T0 + timedelta(days=40))
    assert scripts.prune_vacation(timedelta(days=30), now=T0 + timedelta(days=45)) == 1
    assert scripts.prune_vacation(timedelta(days=30), now=T0 + timedelta(days=45)) == 0
    assert not scripts.vacation_due(aid, "h", "new@outside.test", 7, now=T0 + timedelta(days=45))
    assert scripts.vacation_due(aid, "h", "old@outside.test", 7, now=T0 + timedelta(days=45))


# -- seamless upgrade -------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (not the migrated template the ``store`` fixture copies)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"fp_test_{uuid.uuid4().hex}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        pytest.skip(f"PostgreSQL on {PG_HOST}:{PG_PORT} is unreachable ({exc.__class__.__name__}: {exc})")
    try:
        yield PG_URL.format(host=PG_HOST, port=PG_PORT, name=name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_0001_database_upgrades_in_place(empty_url: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from storage.db import MIGRATIONS_DIR

    old = Database(empty_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with old.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.commit()
    with old.engine.begin() as conn:  # rows as a 0001 install wrote them (0001's columns only)
        conn.execute(
            text("INSERT INTO domains (id, name, enabled, created_at) VALUES (1, 'old.test', true, :t)"),
            {"t": T0},
        )
        conn.execute(
            text(
                "INSERT INTO accounts (id, domain_id, local_part, enabled, password_generation, used_bytes,"
                " message_count, folder_count, created_at) VALUES (1, 1, 'dora', true, 0, 0, 0, 0, :t)"
            ),
            {"t": T0},
        )
        conn.execute(
            text(
                "INSERT INTO addresses (domain_id, local_part, kind, account_id) VALUES (1, 'dora', 'account', 1)"
            )
        )
        tables = set(inspect(conn).get_table_names())
    assert "sieve_scripts" not in tables and "vacation_replies" not in tables
    old.dispose()

    store = open_store(empty_url, tmp_path / "blobs")  # opening migrates to the newest revision
    try:
        with store.db.read() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() != "0001"
        assert store.accounts.get("dora@old.test").id == 1
        store.scripts.put("account", "dora@old.test", "main", KEEP)
        store.scripts.activate("account", "dora@old.test", "main")
        assert [x.name for x in store.scripts.chain_for("dora@old.test")] == ["main"]
        assert store.scripts.vacation_due(1, "h", "x@outside.test", 7, now=T0)
    finally:
        store.close()
    shutil.rmtree(tmp_path / "blobs", ignore_errors=True)
