"""sieve scripts and vacation replies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:04:27.384372

Generated with ``alembic revision --autogenerate`` against a database at 0001 (on SQLite and on
PostgreSQL, which produced the same operations), then reviewed: autogenerate also proposed dropping the
full-text tables of 0001 (``body_fts*`` on SQLite, ``body_search`` on PostgreSQL), which are hand-written
DDL outside the metadata; those drops were removed. Plain ``op.create_index`` replaces the batch form, as
creating an index needs no table rebuild on either backend.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sieve_scripts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=False),
        sa.Column("domain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sieve_scripts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_sieve_scripts_domain_id_domains"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sieve_scripts")),
        sa.UniqueConstraint("level", "scope_id", "name", name=op.f("uq_sieve_scripts_level_scope_id_name")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_sieve_scripts_account_id"), "sieve_scripts", ["account_id"], unique=False)
    op.create_index(op.f("ix_sieve_scripts_domain_id"), "sieve_scripts", ["domain_id"], unique=False)

    op.create_table(
        "vacation_replies",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("handle", sa.String(length=256), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("last_sent", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_vacation_replies_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "handle", "sender", name=op.f("pk_vacation_replies")),
    )
    op.create_index("ix_vacation_replies_last_sent", "vacation_replies", ["last_sent"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_vacation_replies_last_sent", table_name="vacation_replies")
    op.drop_table("vacation_replies")
    op.drop_index(op.f("ix_sieve_scripts_domain_id"), table_name="sieve_scripts")
    op.drop_index(op.f("ix_sieve_scripts_account_id"), table_name="sieve_scripts")
    op.drop_table("sieve_scripts")
