"""Durable storage of the planner: SQLAlchemy 2, SQLite by default, any SQLAlchemy URL.

:func:`open_storage` creates the engine (SQLite in WAL mode with a busy timeout; PostgreSQL through
psycopg, ``postgresql+psycopg://...``), runs the Alembic migrations that ship inside this package
and returns a :class:`Storage`, the small repository the API and other adapters use. Frames are
stored as Parquet bytes and metadata as JSON; nothing is pickled.
"""

from __future__ import annotations

from planner.storage.repository import (
    FRAME_KINDS,
    JOB_STATUSES,
    FrameRecord,
    JobRecord,
    Storage,
    hash_api_key,
    migrate,
    open_storage,
)

__all__ = [
    "FRAME_KINDS",
    "JOB_STATUSES",
    "FrameRecord",
    "JobRecord",
    "Storage",
    "hash_api_key",
    "migrate",
    "open_storage",
]
