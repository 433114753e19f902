"""jmap submissions: EmailSubmission records and their per-account horizon

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:40:00

Written by hand to match storage/schema.py. ``jmap_submissions`` keeps what an account submitted through
JMAP (RFC 8621 7) for a while (storage.submissions.RETENTION), with tombstones for /changes;
``jmap_submission_horizons`` remembers, per account, the newest state that can no longer be answered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jmap_submissions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("identity_id", sa.String(64), nullable=False),
        sa.Column("email_id", sa.String(64), nullable=False),
        sa.Column("thread_id", sa.String(80), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queue_id", sa.BigInteger(), nullable=True),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.Column("destroyed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_jmap_submissions_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jmap_submissions"),
        sa.UniqueConstraint("account_id", "modseq", name="uq_jmap_submissions_account_id_modseq"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "jmap_submission_horizons",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("horizon", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_jmap_submission_horizons_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_jmap_submission_horizons"),
    )


def downgrade() -> None:
    op.drop_table("jmap_submission_horizons")
    op.drop_table("jmap_submissions")
