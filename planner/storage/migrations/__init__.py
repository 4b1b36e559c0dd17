"""Alembic migrations of the planner's store; run by :func:`planner.storage.open_storage`."""
