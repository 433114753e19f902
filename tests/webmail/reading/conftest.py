"""The reading service runs on real storage: the storage contract fixtures (a fresh store per test on SQLite
and, where the server runs, PostgreSQL; ``demo`` adds example.test with alice, bob and carol)."""

from __future__ import annotations

from tests.storage.conftest import (  # noqa: F401  (fixtures)
    blob_dir,
    demo,
    make_message,
    pg_template,
    sqlite_template,
    store,
    store_url,
)
