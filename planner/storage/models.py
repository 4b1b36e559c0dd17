"""SQLAlchemy 2 table definitions of the planner's store.

Three tables: ``frames`` holds every stored long frame (history uploads, forecast versions,
requirement sets, rosters, evaluations, scenarios, accuracy reports) as Parquet bytes with its
metadata as JSON; ``jobs`` holds long-running work with its status, progress and result;
``api_keys`` holds SHA-256 hashes of API keys (never the keys). Nothing is pickled.

The schema is created and changed only by the Alembic migrations in
``planner/storage/migrations``; these classes must match the latest revision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["ApiKeyRow", "Base", "FrameRow", "JobRow"]


class Base(DeclarativeBase):
    """Declarative base of the planner's tables."""


class FrameRow(Base):
    """One stored long frame: ``kind`` says which stage produced it."""

    __tablename__ = "frames"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    parent_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("frames.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    n_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    queues: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    interval_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    data_parquet: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    __table_args__ = (Index("ix_frames_kind_created_at", "kind", "created_at"),)


class JobRow(Base):
    """One job: queued -> running -> succeeded | failed | cancelled."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    progress_description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    progress_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_jobs_status_created_at", "status", "created_at"),)


class ApiKeyRow(Base):
    """The SHA-256 hex digest of one API key and a label saying whose it is."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
