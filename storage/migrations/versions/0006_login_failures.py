"""login failures shared by every service (the login throttle)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:40:00

Written by hand to match storage/schema.py: ``login_failures`` holds the failed-login counts and locks of
each login name and client address (storage/throttle.py), which used to live in each process's memory.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_expires_at", "login_failures", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_failures_expires_at", table_name="login_failures")
    op.drop_table("login_failures")
