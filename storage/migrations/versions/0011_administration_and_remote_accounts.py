"""delegated administration, second factors, app passwords, remote POP/IMAP accounts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:30:00

Written by hand to match storage/schema.py. Every administrator that exists before this revision was a
server administrator, so ``admins.server_wide`` starts true for them. Delegated administrators hold the
server permissions in ``admins.server_rights`` and ``admin_groups.server_rights`` and the domains granted in
``admin_domains`` (storage/adminscope.py). ``second_factors``/``recovery_codes`` carry TOTP sign-in,
``app_passwords`` the per-client passwords of accounts that turned it on, ``remote_accounts`` and
``remote_fetched`` the Remote POP service; ``addresses.folder_id`` names the public folder of a folder
recipient (an address of kind "folder").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("addresses") as batch:
        batch.add_column(sa.Column("folder_id", Id, nullable=True))
        batch.create_foreign_key(
            "fk_addresses_folder_id_folders", "folders", ["folder_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_addresses_folder_id", ["folder_id"])
    with op.batch_alter_table("admins") as batch:
        batch.add_column(sa.Column("server_wide", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("server_rights", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "admin_groups",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("server_rights", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_admin_groups"),
        sa.UniqueConstraint("name", name="uq_admin_groups_name"),
    )
    op.create_table(
        "admin_group_members",
        sa.Column("group_id", Id, nullable=False),
        sa.Column("admin_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["admin_groups.id"],
            name="fk_admin_group_members_group_id_admin_groups",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name="fk_admin_group_members_admin_id_admins", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", "admin_id", name="pk_admin_group_members"),
    )
    op.create_index("ix_admin_group_members_admin_id", "admin_group_members", ["admin_id"])
    op.create_table(
        "admin_domains",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("admin_id", Id, nullable=True),
        sa.Column("group_id", Id, nullable=True),
        sa.Column("domain_id", Id, nullable=False),
        sa.Column("rights", sa.Text(), nullable=False),
        sa.Column("max_accounts", sa.Integer(), nullable=True),
        sa.Column("max_account_quota_mb", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name="fk_admin_domains_admin_id_admins", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["admin_groups.id"],
            name="fk_admin_domains_group_id_admin_groups",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name="fk_admin_domains_domain_id_domains", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_admin_domains"),
        sa.UniqueConstraint(
            "admin_id", "group_id", "domain_id", name="uq_admin_domains_admin_id_group_id_domain_id"
        ),
    )
    for column in ("admin_id", "group_id", "domain_id"):
        op.create_index(f"ix_admin_domains_{column}", "admin_domains", [column])
    op.create_table(
        "second_factors",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=True),
        sa.Column("admin_id", Id, nullable=True),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_second_factors_account_id_accounts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name="fk_second_factors_admin_id_admins", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_second_factors"),
        sa.UniqueConstraint("account_id", name="uq_second_factors_account_id"),
        sa.UniqueConstraint("admin_id", name="uq_second_factors_admin_id"),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("factor_id", Id, nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["factor_id"],
            ["second_factors.id"],
            name="fk_recovery_codes_factor_id_second_factors",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_codes"),
    )
    op.create_index("ix_recovery_codes_factor_id", "recovery_codes", ["factor_id"])
    op.create_table(
        "app_passwords",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_from", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_app_passwords_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_app_passwords"),
        sa.UniqueConstraint("account_id", "name", name="uq_app_passwords_account_id_name"),
    )
    op.create_index("ix_app_passwords_account_id", "app_passwords", ["account_id"])
    op.create_table(
        "remote_accounts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("protocol", sa.String(8), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls_mode", sa.String(16), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("sealed_password", sa.Text(), nullable=False),
        sa.Column("folder", sa.String(1000), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("keep_on_server", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_remote_accounts_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_remote_accounts"),
    )
    op.create_index("ix_remote_accounts_account_id", "remote_accounts", ["account_id"])
    op.create_index("ix_remote_accounts_next_run_at", "remote_accounts", ["next_run_at"])
    op.create_table(
        "remote_fetched",
        sa.Column("remote_id", Id, nullable=False),
        sa.Column("remote_uid", sa.String(255), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["remote_id"],
            ["remote_accounts.id"],
            name="fk_remote_fetched_remote_id_remote_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("remote_id", "remote_uid", name="pk_remote_fetched"),
    )


def downgrade() -> None:
    for table in (
        "remote_fetched",
        "remote_accounts",
        "app_passwords",
        "recovery_codes",
        "second_factors",
        "admin_domains",
        "admin_group_members",
        "admin_groups",
    ):
        op.drop_table(table)
    with op.batch_alter_table("addresses") as batch:
        batch.drop_index("ix_addresses_folder_id")
        batch.drop_constraint("fk_addresses_folder_id_folders", type_="foreignkey")
        batch.drop_column("folder_id")
    with op.batch_alter_table("admins") as batch:
        batch.drop_column("enabled")
        batch.drop_column("server_rights")
        batch.drop_column("server_wide")
