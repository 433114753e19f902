"""Every statement that differs between SQLite and PostgreSQL, in one place.

Why one seam: the rest of storage/ writes portable SQLAlchemy, and where the two backends genuinely
differ (insert-on-conflict, row locks, advisory locks, notifications, the full-text index) it asks this
module instead of branching on ``conn.dialect.name`` itself. The backend is chosen once per call from
the connection's dialect; each backend is a small class with the same methods, so adding or checking a
difference means reading two methods side by side, not grepping a dozen modules.

Locking model behind the no-ops on SQLite: every write transaction starts with BEGIN IMMEDIATE
(storage.db), so it already holds the database's single write lock; row and advisory locks only matter
on PostgreSQL, where writers run concurrently.

Migrations keep their own backend branches: they describe schema history, not runtime statements.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table, text
from sqlalchemy.dialects import postgresql, sqlite

_Query = TypeVar("_Query", bound=Select[Any])

# Run at every delivery: parsed once here rather than by text() per call.
_SQLITE_INDEX_BODY = text("INSERT INTO body_fts(rowid, headers, body) VALUES (:id, :h, :b)")
_PG_INDEX_BODY = text(
    "INSERT INTO body_search(body_id, tsv) VALUES (:id, "
    "setweight(to_tsvector('fieldpost', :h), 'A') || to_tsvector('fieldpost', :b))"
)
_PG_LOCK_TEXT = text("SELECT pg_advisory_xact_lock(hashtextextended(:sha, 0))")
_PG_NOTIFY = text("SELECT pg_notify(:c, '')")


class _SQLite:
    name = "sqlite"

    def insert(self, table: Table) -> Any:
        return sqlite.insert(table)

    def lock_rows(self, query: _Query, *, skip_locked: bool) -> _Query:
        return query  # the transaction already holds the write lock (BEGIN IMMEDIATE)

    def advisory_lock(self, conn: Connection, key: int) -> None:
        pass  # the write lock already serialises writers

    def advisory_lock_text(self, conn: Connection, key: str) -> None:
        pass

    def notify(self, conn: Connection, channel: str) -> bool:
        return False  # watchers poll PRAGMA data_version instead (storage.changes)

    def index_body(self, conn: Connection, body_id: int, header_text: str, search_text: str) -> None:
        conn.execute(_SQLITE_INDEX_BODY, {"id": body_id, "h": header_text, "b": search_text})

    def clear_body_index(self, conn: Connection) -> None:
        conn.execute(text("INSERT INTO body_fts(body_fts) VALUES('delete-all')"))

    def search_uids(
        self, conn: Connection, folder_id: int, words: Sequence[str], where: str, from_index: bool
    ) -> list[int]:
        column = {"all": "", "headers": "headers : ", "body": "body : "}[where]
        match = " AND ".join(f'{column}"{w}"*' for w in words)
        # MATCH once, then join: a join lets SQLite probe the index once per message
        sql = (
            "SELECT m.uid FROM messages m WHERE m.folder_id = :fid AND m.body_id IN "
            "(SELECT rowid FROM body_fts WHERE body_fts MATCH :q) ORDER BY m.uid"
        )
        if from_index:  # the matching bodies first, each probing messages by body: cost ~ matches
            sql = (
                "SELECT m.uid FROM (SELECT rowid AS b FROM body_fts WHERE body_fts MATCH :q) f "
                "CROSS JOIN messages m ON m.body_id = f.b WHERE m.folder_id = :fid ORDER BY m.uid"
            )
        return [int(u) for u in conn.execute(text(sql), {"fid": folder_id, "q": match}).scalars()]


class _PostgreSQL:
    name = "postgresql"

    def insert(self, table: Table) -> Any:
        return postgresql.insert(table)

    def lock_rows(self, query: _Query, *, skip_locked: bool) -> _Query:
        return query.with_for_update(skip_locked=skip_locked)

    def advisory_lock(self, conn: Connection, key: int) -> None:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    def advisory_lock_text(self, conn: Connection, key: str) -> None:
        conn.execute(_PG_LOCK_TEXT, {"sha": key})

    def notify(self, conn: Connection, channel: str) -> bool:
        conn.execute(_PG_NOTIFY, {"c": channel})
        return True

    def index_body(self, conn: Connection, body_id: int, header_text: str, search_text: str) -> None:
        conn.execute(
            _PG_INDEX_BODY, {"id": body_id, "h": _words_only(header_text), "b": _words_only(search_text)}
        )

    def clear_body_index(self, conn: Connection) -> None:
        conn.execute(text("DELETE FROM body_search"))

    def search_uids(
        self, conn: Connection, folder_id: int, words: Sequence[str], where: str, from_index: bool
    ) -> list[int]:
        weight = {"all": "", "headers": ":A", "body": ":D"}[where]
        suffix = f":*{weight[1:]}" if weight else ":*"
        match = " & ".join(f"{w}{suffix}" for w in words)
        sql = (
            "SELECT m.uid FROM messages m JOIN body_search b ON b.body_id = m.body_id "
            "WHERE m.folder_id = :fid AND b.tsv @@ to_tsquery('fieldpost', :q) ORDER BY m.uid"
        )
        return [int(u) for u in conn.execute(text(sql), {"fid": folder_id, "q": match}).scalars()]


_BACKENDS: dict[str, _SQLite | _PostgreSQL] = {"sqlite": _SQLite(), "postgresql": _PostgreSQL()}


def _of(conn: Connection) -> _SQLite | _PostgreSQL:
    try:
        return _BACKENDS[conn.dialect.name]
    except KeyError:
        raise ValueError(f"unsupported database backend {conn.dialect.name!r}") from None


def insert(conn: Connection, table: Table) -> Any:
    """An INSERT that supports ``on_conflict_do_update`` / ``on_conflict_do_nothing`` (an upsert)."""
    return _of(conn).insert(table)


def lock_rows(conn: Connection, query: _Query, *, skip_locked: bool = False) -> _Query:
    """``query`` locking the rows it reads until commit (SELECT ... FOR UPDATE [SKIP LOCKED])."""
    return _of(conn).lock_rows(query, skip_locked=skip_locked)


def advisory_lock(conn: Connection, key: int) -> None:
    """Serialise writers of one thing, named by a 64-bit key, until the transaction ends."""
    _of(conn).advisory_lock(conn, key)


def advisory_lock_text(conn: Connection, key: str) -> None:
    """As advisory_lock, with the key hashed from a string by the database."""
    _of(conn).advisory_lock_text(conn, key)


def notify(conn: Connection, channel: str) -> bool:
    """Wake listeners of ``channel`` at commit; False where the backend has no notifications."""
    return _of(conn).notify(conn, channel)


def index_body(conn: Connection, body_id: int, header_text: str, search_text: str) -> None:
    """Add one body to the full-text index (headers weigh more than the body text)."""
    _of(conn).index_body(conn, body_id, header_text, search_text)


def clear_body_index(conn: Connection) -> None:
    """Empty the full-text index (before a reindex)."""
    _of(conn).clear_body_index(conn)


def search_uids(
    conn: Connection, folder_id: int, words: Sequence[str], where: str, *, from_index: bool = False
) -> list[int]:
    """UIDs in one folder whose text has every word as a word prefix; ``where`` is "all", "headers"
    or "body"; ``words`` come from storage.mail.search_words (non-empty).

    ``from_index`` (SQLite): start from the index's matches instead of the folder's messages, so the
    cost follows the number of matching bodies (server-wide), not the folder's size: on a
    100,000-message folder a rare word takes ~2 ms instead of ~170 ms, a word in every message about
    the same. The message list's search uses it; PostgreSQL's planner chooses by itself."""
    return _of(conn).search_uids(conn, folder_id, words, where, from_index)


def _words_only(text_: str) -> str:
    """Punctuation to spaces, so PostgreSQL's parser splits text exactly as search_words splits queries
    (left alone it reads "2024-117" as 2024 and -117, and e-mail addresses as one token)."""
    return _NON_WORD.sub(" ", text_)


_NON_WORD = re.compile(r"[\W_]+")
