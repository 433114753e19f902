"""organizer: pim_items, pim_removed, pim_collections, calendar_feeds

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 05:45:00

Written by hand to match storage/schema.py. ``pim_items`` indexes the messages of PIM-kind folders (their
bytes are iCalendar or vCard text); the rows of messages stored before this revision (the contacts WebMail
added) are made when the store opens next (storage.pim.item_rows.backfill), which reads their blobs -- a
migration sees only the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pim_items",
        sa.Column("message_id", Id, nullable=False),
        sa.Column("folder_id", Id, nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("item_uid", sa.String(1000), nullable=False),
        sa.Column("component", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("starts_at", When, nullable=True),
        sa.Column("ends_at", When, nullable=True),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("recurs", sa.Boolean(), nullable=False),
        sa.Column("recur_end", When, nullable=True),
        sa.Column("due_at", When, nullable=True),
        sa.Column("completed_at", When, nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("organizer", sa.String(320), nullable=False),
        sa.Column("emails", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_pim_items_message_id_messages", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], name="fk_pim_items_folder_id_folders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("message_id", name="pk_pim_items"),
        sa.UniqueConstraint("folder_id", "name", name="uq_pim_items_folder_id_name"),
        sa.UniqueConstraint("folder_id", "item_uid", name="uq_pim_items_folder_id_item_uid"),
    )
    op.create_index("ix_pim_items_folder_starts", "pim_items", ["folder_id", "starts_at"])
    op.create_index("ix_pim_items_folder_recur_end", "pim_items", ["folder_id", "recur_end"])
    op.create_index("ix_pim_items_folder_due", "pim_items", ["folder_id", "due_at"])
    op.create_table(
        "pim_removed",
        sa.Column("folder_id", Id, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], name="fk_pim_removed_folder_id_folders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("folder_id", "name", name="pk_pim_removed"),
    )
    op.create_index("ix_pim_removed_folder_modseq", "pim_removed", ["folder_id", "modseq"])
    op.create_table(
        "pim_collections",
        sa.Column("folder_id", Id, nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("color", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], name="fk_pim_collections_folder_id_folders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("folder_id", name="pk_pim_collections"),
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("folder_id", Id, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], name="fk_calendar_feeds_folder_id_folders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("folder_id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feeds_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_table("pim_collections")
    op.drop_index("ix_pim_removed_folder_modseq", table_name="pim_removed")
    op.drop_table("pim_removed")
    op.drop_index("ix_pim_items_folder_due", table_name="pim_items")
    op.drop_index("ix_pim_items_folder_recur_end", table_name="pim_items")
    op.drop_index("ix_pim_items_folder_starts", table_name="pim_items")
    op.drop_table("pim_items")
