"""directory generation: one counter bumped by every write to the tables a recipient lookup reads

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:30:00

Written by hand to match storage/schema.py. ``directory_generation`` holds one row; triggers on the
tables ``storage.recipients`` reads to answer SMTP's RCPT (domains and their aliases, accounts' domain
and class, account classes, address rows, groups and their members, forwarders, stored settings) add
one to it in the writing transaction, so a process may keep answers in memory and check them with one
read of the counter (see storage.recipients). A trigger, not the Python write paths: every writer
(WebAdmin, the CLI, a backup restore, another worker) bumps it, including writes made by cascades.

On PostgreSQL the trigger is a deferred constraint trigger: the counter row is locked only at COMMIT,
so two transactions that write those tables never wait on each other's counter while they still hold
other rows (no deadlock through the counter).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the columns whose UPDATE changes an answer (None: every column)
WATCHED: dict[str, tuple[str, ...] | None] = {
    "domains": None,
    "domain_aliases": None,
    "account_classes": None,
    "accounts": ("domain_id", "local_part", "account_class_id"),  # not used_bytes (every delivery)
    "addresses": None,
    "groups": None,
    "group_members": None,
    "forwarders": None,
    "setting_values": None,
}
BUMP = "UPDATE directory_generation SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "directory_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directory_generation"),
    )
    op.execute("INSERT INTO directory_generation (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_directory_generation() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table, columns in WATCHED.items():
            update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_directory_generation AFTER INSERT OR DELETE OR {update} "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_directory_generation()"
            )
        return
    for table, columns in WATCHED.items():
        for event in ("INSERT", "DELETE", f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"):
            name = f"{table}_directory_generation_{event.split()[0].lower()}"
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_directory_generation ON {table}")
        op.execute("DROP FUNCTION bump_directory_generation()")
    else:
        for table in WATCHED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {table}_directory_generation_{event}")
    op.drop_table("directory_generation")
