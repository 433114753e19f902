"""Alembic environment: always run programmatically by storage.db.Database.migrate() on a connection."""

from alembic import context

from storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
