"""IMAP subscriptions in their own table

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:40:00

Written by hand to match storage/schema.py: ``subscriptions`` holds (account, folder name) so a
subscription survives the deletion of its folder (RFC 3501 6.3.6). The old ``folders.subscribed`` flag is
copied over (personal folders only: their name is their path) and then dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_subscriptions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "name", name=op.f("pk_subscriptions")),
    )
    op.execute(
        "INSERT INTO subscriptions (account_id, name) SELECT account_id, path FROM folders"
        " WHERE subscribed AND account_id IS NOT NULL AND path <> ''"
    )
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35 has it): a batch copy of ``folders`` would drop
    # and recreate the table, which the ON DELETE CASCADE foreign keys of messages would follow.
    op.execute("ALTER TABLE folders DROP COLUMN subscribed")


def downgrade() -> None:
    with op.batch_alter_table("folders") as batch:
        batch.add_column(sa.Column("subscribed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE folders SET subscribed = TRUE WHERE EXISTS (SELECT 1 FROM subscriptions s"
        " WHERE s.account_id = folders.account_id AND s.name = folders.path)"
    )
    op.drop_table("subscriptions")
