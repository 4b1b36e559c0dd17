"""Alembic environment: migrates the connection handed over by ``planner.storage.migrate``.

Run from code only (``planner.storage.open_storage`` calls it at startup); the connection comes in
``config.attributes["connection"]`` so the same engine options (SQLite pragmas, a PostgreSQL
``search_path``) apply to the migration and to the application.
"""

from __future__ import annotations

from alembic import context

from planner.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic command line
    raise RuntimeError(
        "planner migrations run through planner.storage.open_storage(url), "
        "which passes its connection to Alembic"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
