"""Whether a database already has the newest schema, answered without loading Alembic.

Every process that opens a store runs the migrations (storage.db), and importing Alembic costs about as
much CPU as the rest of a short ``fieldpost`` command. When the one row of ``alembic_version`` already
names the newest revision there is nothing to run, so ``Database.migrate`` asks here first and loads
Alembic only otherwise. Anything this reading does not understand (a merge of two branches, no table yet,
two rows) answers "not known to be current", and Alembic decides as before.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*[\"']([^\"'\n]+)[\"']\s*$", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(?:None|[\"']([^\"'\n]+)[\"'])\s*$", re.MULTILINE)


@cache
def head_revision(versions_dir: Path) -> str | None:
    """The one revision no other revision builds on, read from the ``revision`` and ``down_revision``
    lines of the scripts in ``versions_dir``; None when that is not exactly one linear chain's head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions_dir.glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None  # a form this reading does not know (a tuple of parents...): let Alembic decide
        revisions.add(revision[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def is_current(conn: Connection, versions_dir: Path) -> bool:
    """True only when the database's stamped revision is the head of ``versions_dir``."""
    head = head_revision(versions_dir)
    if head is None:
        return False
    try:
        stamped = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:
        return False  # a new database: no table yet
    return list(stamped) == [head]
