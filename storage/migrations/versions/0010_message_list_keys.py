"""message list keys: sort and conversation columns on messages, and the folder_threads table

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:50:00

Written by hand to match storage/schema.py. WebMail's list of a 100,000-message folder must be an index
range scan, so each message row gets its sort date, folded base subject, folded sender and conversation
key (storage/list_keys.py), each indexed with the folder and UID, and ``folder_threads`` keeps one row per
conversation per folder. Existing rows are filled here from their body rows. References headers were not
kept before this revision, so an existing reply is grouped under its In-Reply-To (else its own id);
``fieldpost storage reindex`` recomputes every key from the message bytes.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage import list_keys

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
_INDEXES = {
    "ix_messages_folder_sort_date": ["folder_id", "sort_date", "uid"],
    "ix_messages_folder_sort_subject": ["folder_id", "sort_subject", "uid"],
    "ix_messages_folder_sort_from": ["folder_id", "sort_from", "uid"],
    "ix_messages_folder_size": ["folder_id", "size", "uid"],
    "ix_messages_folder_thread": ["folder_id", "thread_key", "sort_date"],
}


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column(
                "sort_date",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("'1970-01-01 00:00:00'"),
            )
        )
        batch.add_column(sa.Column("sort_subject", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("sort_from", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("thread_key", sa.String(32), nullable=False, server_default=""))
    with op.batch_alter_table("folders") as batch:
        batch.add_column(sa.Column("thread_count", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "folder_threads",
        sa.Column("folder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("thread_key", sa.String(32), nullable=False),
        sa.Column("message_count", sa.BigInteger(), nullable=False),
        sa.Column("latest_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest_uid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["folders.id"],
            name=op.f("fk_folder_threads_folder_id_folders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("folder_id", "thread_key", name=op.f("pk_folder_threads")),
    )
    op.create_index(
        "ix_folder_threads_folder_latest", "folder_threads", ["folder_id", "latest_date", "thread_key"]
    )
    _backfill(op.get_bind())
    for name, columns in _INDEXES.items():
        op.create_index(name, "messages", columns, unique=False)
    _count_threads(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Each message's keys from its body row, in batches by row id."""
    m = sa.table(
        "messages",
        sa.column("id"),
        sa.column("body_id"),
        sa.column("internal_date", sa.DateTime(timezone=True)),
        sa.column("sort_date", sa.DateTime(timezone=True)),
        sa.column("sort_subject"),
        sa.column("sort_from"),
        sa.column("thread_key"),
    )
    b = sa.table(
        "bodies",
        sa.column("id"),
        sa.column("sha256"),
        sa.column("subject"),
        sa.column("from_display"),
        sa.column("from_addr"),
        sa.column("sent_at", sa.DateTime(timezone=True)),
        sa.column("message_id"),
        sa.column("structure"),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(
                m.c.id,
                m.c.internal_date,
                b.c.sha256,
                b.c.subject,
                b.c.from_display,
                b.c.from_addr,
                b.c.sent_at,
                b.c.message_id,
                b.c.structure,
            )
            .join(b, b.c.id == m.c.body_id)
            .where(m.c.id > last)
            .order_by(m.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        updates = []
        for r in rows:
            keys = list_keys.keys_of(
                subject=r.subject or "",
                from_display=r.from_display or "",
                from_addr=r.from_addr,
                sent=r.sent_at,
                internal=r.internal_date,
                message_id=r.message_id,
                in_reply_to=_in_reply_to(r.structure),
                references=(),
                sha256=r.sha256,
            )
            updates.append({"mid": r.id, **{f"k_{k}": v for k, v in keys.columns().items()}})
        conn.execute(
            m.update()
            .where(m.c.id == sa.bindparam("mid"))
            .values(
                sort_date=sa.bindparam("k_sort_date"),
                sort_subject=sa.bindparam("k_sort_subject"),
                sort_from=sa.bindparam("k_sort_from"),
                thread_key=sa.bindparam("k_thread_key"),
            ),
            updates,
        )
        last = rows[-1].id


def _in_reply_to(structure: str) -> str | None:
    """The first ``<id>`` of the cached envelope's In-Reply-To (storage.mime.cache: [version, envelope,
    root], the envelope's ninth field)."""
    try:
        envelope = json.loads(structure)[1]
        value = envelope[8] if isinstance(envelope, list) and len(envelope) > 8 else None
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    if not isinstance(value, str):
        return None
    ids = list_keys._MSG_ID.findall(value)
    return ids[0] if ids else None


def _count_threads(conn: sa.Connection) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO folder_threads (folder_id, thread_key, message_count, latest_date, latest_uid) "
            "SELECT folder_id, thread_key, COUNT(*), MAX(sort_date), 0 FROM messages "
            "GROUP BY folder_id, thread_key"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE folder_threads SET latest_uid = (SELECT MAX(m.uid) FROM messages m "
            "WHERE m.folder_id = folder_threads.folder_id AND m.thread_key = folder_threads.thread_key "
            "AND m.sort_date = folder_threads.latest_date)"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE folders SET thread_count = "
            "(SELECT COUNT(*) FROM folder_threads t WHERE t.folder_id = folders.id)"
        )
    )


def downgrade() -> None:
    op.drop_index("ix_folder_threads_folder_latest", table_name="folder_threads")
    op.drop_table("folder_threads")
    for name in _INDEXES:
        op.drop_index(name, table_name="messages")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy would drop and recreate the tables,
    # and the ON DELETE CASCADE foreign keys would follow the drop (see 0005).
    for column in ("thread_key", "sort_from", "sort_subject", "sort_date"):
        op.execute(f"ALTER TABLE messages DROP COLUMN {column}")
    op.execute("ALTER TABLE folders DROP COLUMN thread_count")
