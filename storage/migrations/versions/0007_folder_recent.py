"""\\Recent marks shared by every IMAP worker process

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:00:00

Written by hand to match storage/schema.py: ``folder_recent`` holds, per folder, the highest UID some
IMAP session has been given as \\Recent (storage/recent.py), which used to live in each process's memory.
No rows at first: every message is recent to the next session that selects its folder, as after a restart
of the single process before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "folder_recent",
        sa.Column("folder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], name=op.f("fk_folder_recent_folder_id_folders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("folder_id", name=op.f("pk_folder_recent")),
    )


def downgrade() -> None:
    op.drop_table("folder_recent")
