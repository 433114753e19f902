"""organizer item identity: pim_items.item_key, pim_item_keys and pim_gone

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 22:10:00

Written by hand to match storage/schema.py. ``pim_items.item_key`` names an item for as long as it
exists, whatever folder it is moved to and however often it is replaced (a replace is an expunge and an
append, a move a copy and an expunge, so the message id changes each time): JMAP builds the ids of
events, tasks and notes from it (RFC 8620 ids never change). An item stored before this revision takes its
current message id, which no other message will have. ``pim_gone`` remembers which keys left which folder
at which MODSEQ, so a JMAP /changes can name the destroyed ones; it starts empty (JMAP states from before
this revision are refused, so nothing older is needed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("pim_items", sa.Column("item_key", sa.BigInteger(), nullable=True))
    op.execute("UPDATE pim_items SET item_key = message_id")
    op.create_index("ix_pim_items_item_key", "pim_items", ["item_key"], unique=True)
    op.create_table(
        "pim_item_keys",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pim_item_keys"),
        sqlite_autoincrement=True,
    )
    bind = op.get_bind()
    highest = bind.execute(sa.text("SELECT MAX(item_key) FROM pim_items")).scalar()
    if highest:
        if bind.dialect.name == "postgresql":
            bind.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('pim_item_keys', 'id'), :n)"),
                {"n": int(highest)},
            )
        else:  # AUTOINCREMENT remembers the highest id ever inserted
            bind.execute(sa.text("INSERT INTO pim_item_keys (id) VALUES (:n)"), {"n": int(highest)})
            bind.execute(sa.text("DELETE FROM pim_item_keys"))
    op.create_table(
        "pim_gone",
        sa.Column("folder_id", Id, nullable=False),
        sa.Column("item_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("component", sa.String(16), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folders.id"], name="fk_pim_gone_folder_id_folders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("folder_id", "item_key", name="pk_pim_gone"),
    )
    op.create_index("ix_pim_gone_folder_modseq", "pim_gone", ["folder_id", "modseq"])


def downgrade() -> None:
    op.drop_table("pim_gone")
    op.drop_table("pim_item_keys")
    op.drop_index("ix_pim_items_item_key", table_name="pim_items")
    with op.batch_alter_table("pim_items") as batch:
        batch.drop_column("item_key")
