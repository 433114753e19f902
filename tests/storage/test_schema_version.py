"""The shortcut that lets a store open without loading Alembic must agree with Alembic: the head it
reads from the scripts is Alembic's head, and a database without that stamp is not taken as current."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import MIGRATIONS_DIR, Database
from storage.schema_version import head_revision, is_current

VERSIONS = MIGRATIONS_DIR / "versions"


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert head_revision(VERSIONS) == ScriptDirectory.from_config(cfg).get_current_head()


def test_only_a_database_stamped_with_the_head_is_current(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        with database.engine.connect() as conn:
            assert not is_current(conn, VERSIONS)  # no alembic_version table yet
        database.migrate()
        with database.engine.begin() as conn:
            assert is_current(conn, VERSIONS)
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
            assert not is_current(conn, VERSIONS)
            conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision(VERSIONS)}
            )
    finally:
        database.dispose()


def test_scripts_this_reading_does_not_know_leave_it_to_alembic(tmp_path: Path) -> None:
    (tmp_path / "0001_a.py").write_text('revision = "a"\ndown_revision = None\n')
    (tmp_path / "0002_b.py").write_text('revision = "b"\ndown_revision = ("a", "c")\n')
    assert head_revision(tmp_path) is None
    (tmp_path / "0002_b.py").write_text('revision: str = "b"\ndown_revision: str | None = "a"\n')
    head_revision.cache_clear()
    assert head_revision(tmp_path) == "b"
