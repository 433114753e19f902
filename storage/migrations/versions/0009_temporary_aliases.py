"""temporary aliases: an address row may carry an expiry

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:40:00

Written by hand to match storage/schema.py: ``addresses.expires_at`` is set on the temporary aliases a user
makes in WebMail's settings (a throw-away address that stops receiving at that time); permanent addresses
leave it NULL. The index serves the periodic sweep that removes expired ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("addresses") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_addresses_expires_at", "addresses", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_addresses_expires_at", table_name="addresses")
    with op.batch_alter_table("addresses") as batch:
        batch.drop_column("expires_at")
