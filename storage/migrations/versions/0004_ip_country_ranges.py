"""IP-to-country ranges for country filtering

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:40:00

Written by hand to match storage/schema.py (ip_country_ranges): the table ``fieldpost filters countries
import`` fills and the SMTP country check looks client addresses up in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ip_country_ranges",
        sa.Column("family", sa.Integer(), nullable=False),
        sa.Column("range_start", sa.LargeBinary(length=16), nullable=False),
        sa.Column("range_end", sa.LargeBinary(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("family", "range_start", name=op.f("pk_ip_country_ranges")),
    )


def downgrade() -> None:
    op.drop_table("ip_country_ranges")
