"""expunged holds: what FETCH needs of an expunged message, kept a while (RFC 2180 4.1.1)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:20:00

Written by hand to match storage/schema.py: ``expunged_holds`` keeps, per expunged message, its last
metadata and one reference on its body until ``held_until``, so IMAP sessions of any process that were not
told of the expunge yet can still FETCH it (storage/holds.py). Existing bodies' refcounts are unchanged:
the table starts empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "expunged_holds",
        sa.Column("folder_id", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("body_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("internal_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], name=op.f("fk_expunged_holds_body_id_bodies")),
        sa.PrimaryKeyConstraint("folder_id", "uid", name=op.f("pk_expunged_holds")),
    )
    op.create_index("ix_expunged_holds_held_until", "expunged_holds", ["held_until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_expunged_holds_held_until", table_name="expunged_holds")
    op.drop_table("expunged_holds")
