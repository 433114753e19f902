"""greylisting triplets and clients, sender confirmations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:05:00

Written by hand to match storage/schema.py (the greylist_* and sender_confirmations tables): state of
the filter engine that must survive restarts and be shared by every SMTP and processing process.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "greylist_triplets",
        sa.Column("triplet", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("triplet", name=op.f("pk_greylist_triplets")),
    )
    op.create_index("ix_greylist_triplets_last_seen", "greylist_triplets", ["last_seen"], unique=False)
    op.create_table(
        "greylist_clients",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_greylist_clients")),
    )
    op.create_index("ix_greylist_clients_expires_at", "greylist_clients", ["expires_at"], unique=False)
    op.create_table(
        "sender_confirmations",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sender_confirmations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "sender", name=op.f("pk_sender_confirmations")),
        sa.UniqueConstraint("token", name=op.f("uq_sender_confirmations_token")),
    )


def downgrade() -> None:
    op.drop_table("sender_confirmations")
    op.drop_index("ix_greylist_clients_expires_at", table_name="greylist_clients")
    op.drop_table("greylist_clients")
    op.drop_index("ix_greylist_triplets_last_seen", table_name="greylist_triplets")
    op.drop_table("greylist_triplets")
