"""The task lists of some folders, straight from the index: ``Organizer.tasks``.

A task list needs the summary, due date, completion, status, priority and percent of every task, all of
which the ``pim_items`` row holds (storage.pim.index), so no item is opened. Folders without "r" are
left out, as for a calendar view. Tasks kept in a calendar folder (CalDAV clients do that) are listed
with the others.

Order: open tasks with a due date first, soonest first; then open tasks without one; then done tasks
(when asked for), most recently completed first. Ties go by priority (1 highest, 0/none last) and
summary. At most ``MAX_TASKS`` tasks are listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from storage import schema as s
from storage.pim.models import TaskRow

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer

MAX_TASKS = 5000
DONE = ("COMPLETED", "CANCELLED")


def is_done(row: Any) -> bool:
    return row.completed_at is not None or str(row.status).upper() in DONE


def tasks(organizer: Organizer, folder_ids: Iterable[int], *, include_done: bool = True) -> list[TaskRow]:
    """Organizer.tasks (see its docstring)."""
    p = s.pim_items
    with organizer.store.db.read() as conn:
        readable = organizer.readable_folder_ids(conn, folder_ids)
        if not readable:
            return []
        q = select(
            p.c.folder_id,
            p.c.name,
            p.c.etag,
            p.c.summary,
            p.c.due_at,
            p.c.completed_at,
            p.c.status,
            p.c.priority,
            p.c.percent,
            p.c.item_key,
        ).where(p.c.folder_id.in_(readable), p.c.component == "VTODO")
        if not include_done:
            q = q.where(p.c.completed_at.is_(None), p.c.status.not_in(DONE))
        rows = sorted(conn.execute(q).all(), key=_order)
    return [
        TaskRow(
            name=r.name,
            etag=r.etag,
            folder_id=int(r.folder_id),
            summary=r.summary,
            due_at=_utc(r.due_at),
            completed_at=_utc(r.completed_at),
            status=r.status,
            priority=r.priority,
            percent=r.percent,
            key=int(r.item_key or 0),
        )
        for r in rows[:MAX_TASKS]
    ]


def _order(row: Any) -> tuple[Any, ...]:
    priority = row.priority if row.priority else 10  # RFC 5545 3.8.1.9: 1 highest, 0 undefined
    if is_done(row):
        done = _utc(row.completed_at) or datetime.min.replace(tzinfo=UTC)
        return (2, -done.timestamp(), priority, str(row.summary).casefold(), row.name)
    due = _utc(row.due_at)
    if due is not None:
        return (0, due.timestamp(), priority, str(row.summary).casefold(), row.name)
    return (1, 0.0, priority, str(row.summary).casefold(), row.name)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
