"""Engine creation, migrations and the repository over the planner's tables."""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from planner.errors import ConfigError, InputError
from planner.storage.models import ApiKeyRow, FrameRow, JobRow

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

FRAME_KINDS = (
    "history",
    "forecast",
    "requirements",
    "roster",
    "coverage",
    "evaluation",
    "scenario",
    "accuracy",
    "plan",
    "plan_frame",
)
"""What a stored frame is; one per pipeline stage output.

A whole-pipeline plan (``POST /plans``) is one ``plan`` frame (its KPI summary, with the stages,
notes and the ids of its outputs in ``meta``) and one ``plan_frame`` per output, each with the
plan's history as parent; all of them are written in one transaction (:meth:`Storage.transaction`).
"""

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
"""Job life cycle: queued -> running -> succeeded | failed | cancelled (queued -> cancelled too)."""

FINISHED_STATUSES = frozenset({"succeeded", "failed", "cancelled"})

INTERRUPTED_MESSAGE = "the server stopped while this job was running; submit it again"

_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def hash_api_key(key: str) -> str:
    """SHA-256 hex digest of an API key (64 characters); only digests are ever stored.

    API keys are long random strings, so a fast unsalted digest is enough to make a leaked table
    useless without the keys, and it keeps the per-request check cheap.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FrameRecord:
    """Metadata of one stored frame (the frame itself comes from :meth:`Storage.load_frame`)."""

    id: str
    kind: str
    name: str
    parent_id: str | None
    created_at: datetime
    n_rows: int
    queues: list[str]
    interval_minutes: int | None
    params: dict[str, Any]
    meta: dict[str, Any]


@dataclass(frozen=True)
class JobRecord:
    """One job's stored state."""

    id: str
    kind: str
    status: str
    params: dict[str, Any]
    progress_description: str
    progress_done: int
    progress_total: int
    result: dict[str, Any] | None
    error: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _frame_record(row: FrameRow) -> FrameRecord:
    return FrameRecord(
        id=row.id,
        kind=row.kind,
        name=row.name,
        parent_id=row.parent_id,
        created_at=_aware(row.created_at),  # type: ignore[arg-type]
        n_rows=row.n_rows,
        queues=list(row.queues),
        interval_minutes=row.interval_minutes,
        params=dict(row.params),
        meta=dict(row.meta),
    )


def _job_record(row: JobRow) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        status=row.status,
        params=dict(row.params),
        progress_description=row.progress_description,
        progress_done=row.progress_done,
        progress_total=row.progress_total,
        result=None if row.result is None else dict(row.result),
        error=row.error,
        cancel_requested=bool(row.cancel_requested),
        created_at=_aware(row.created_at),  # type: ignore[arg-type]
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
    )


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    """Serialise a frame to Parquet bytes (types and time zones kept; no pickle)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def frame_from_parquet(data: bytes) -> pd.DataFrame:
    """Read Parquet bytes written by :func:`frame_to_parquet` back into a frame."""
    return pd.read_parquet(io.BytesIO(data))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_storage_engine(url: str, *, schema: str | None = None) -> Engine:
    """Create the SQLAlchemy engine for ``url``.

    Parameters
    ----------
    url : str
        Any SQLAlchemy URL. ``sqlite:///path.db`` gets WAL mode, foreign keys and a 10 s busy
        timeout, and its parent folder is created; ``postgresql+psycopg://...`` uses psycopg 3.
    schema : str, optional
        PostgreSQL only: the schema put first on the ``search_path`` (tables and the Alembic
        version table live there). Used to isolate tests and tenants.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise InputError(
            f"database URL: cannot parse {url!r}; expected a SQLAlchemy URL such as "
            "sqlite:///planner.sqlite3 or postgresql+psycopg://user@host/db"
        ) from error
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if schema is not None and parsed.get_backend_name() != "postgresql":
        raise InputError(
            "database schema: only PostgreSQL URLs take a schema, "
            f"got {parsed.get_backend_name()!r}"
        )
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    elif schema is not None:
        if not schema.isidentifier():
            raise InputError(f"database schema: must be a plain identifier, got {schema!r}")
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise ConfigError(
            f"database URL: no driver for {parsed.drivername!r} ({error}); expected sqlite:/// "
            "or postgresql+psycopg://"
        ) from error
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the latest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_storage(url: str, *, schema: str | None = None, run_migrations: bool = True) -> Storage:
    """Open the store at ``url``, migrating it to the latest schema first.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///planner.sqlite3`` or
        ``postgresql+psycopg://postgres@127.0.0.1:5432/planner``.
    schema : str, optional
        PostgreSQL schema to work in (see :func:`create_storage_engine`).
    run_migrations : bool, default True
        Run the Alembic migrations before returning.
    """
    engine = create_storage_engine(url, schema=schema)
    if run_migrations:
        migrate(engine)
    return Storage(engine)


class Storage:
    """Repository over the planner's tables; thread-safe (one session per call).

    Each call commits on its own, except inside :meth:`transaction`, where the calls of that
    thread share one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine whose database has been migrated (see :func:`open_storage`).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # the open transaction of each thread (see transaction()); threads never share one
        self._local = threading.local()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        current: Session | None = getattr(self._local, "session", None)
        if current is not None:  # inside transaction(): its commit or rollback decides
            yield current
            return
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every call of this thread inside the block one transaction: all or nothing.

        The block's writes are committed together when it ends, and rolled back together when
        it raises (or the process dies before it ends); other connections see none of them
        before the commit. A ``transaction`` inside another joins the outer one.

        Rows are sent at the commit (or earlier when a read inside the block needs them:
        SQLAlchemy's autoflush), so on SQLite the database write lock is held for the commit,
        not while the block serialises its frames.
        """
        if getattr(self._local, "session", None) is not None:
            yield
            return
        with self._sessions.begin() as session:
            self._local.session = session
            try:
                yield
            finally:
                self._local.session = None

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        with self._session() as session:
            return session.execute(select(1)).scalar_one() == 1

    # ------------------------------------------------------------------ frames
    def save_frame(
        self,
        kind: str,
        frame: pd.DataFrame,
        *,
        name: str,
        parent_id: str | None = None,
        interval_minutes: int | None = None,
        params: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> FrameRecord:
        """Store ``frame`` (Parquet) with its metadata and return the new record.

        ``params`` and ``meta`` must be JSON-serialisable; ``kind`` is one of :data:`FRAME_KINDS`.
        """
        if kind not in FRAME_KINDS:
            raise InputError(f"frame kind: must be one of {FRAME_KINDS}, got {kind!r}")
        queues = sorted(str(q) for q in frame["queue"].unique()) if "queue" in frame.columns else []
        row = FrameRow(
            id=uuid.uuid4().hex,
            kind=kind,
            name=name,
            parent_id=parent_id,
            created_at=_now(),
            n_rows=len(frame),
            queues=queues,
            interval_minutes=interval_minutes,
            params=params or {},
            meta=meta or {},
            data_parquet=frame_to_parquet(frame),
        )
        with self._session() as session:
            session.add(row)
        return _frame_record(row)

    def get_frame(self, frame_id: str, *, kind: str | None = None) -> FrameRecord | None:
        """Metadata of frame ``frame_id`` (of ``kind`` when given), or None when absent."""
        with self._session() as session:
            row = session.get(FrameRow, frame_id)
            if row is None or (kind is not None and row.kind != kind):
                return None
            return _frame_record(row)

    def load_frame(self, frame_id: str) -> pd.DataFrame:
        """The stored frame ``frame_id``; raises KeyError when it does not exist."""
        with self._session() as session:
            data = session.execute(
                select(FrameRow.data_parquet).where(FrameRow.id == frame_id)
            ).scalar_one_or_none()
        if data is None:
            raise KeyError(frame_id)
        return frame_from_parquet(data)

    def list_frames(self, kind: str, *, limit: int = 50, offset: int = 0) -> list[FrameRecord]:
        """Frames of ``kind``, newest first."""
        statement = (
            select(FrameRow)
            .where(FrameRow.kind == kind)
            .order_by(FrameRow.created_at.desc(), FrameRow.id)
            .limit(limit)
            .offset(offset)
        )
        with self._session() as session:
            return [_frame_record(row) for row in session.scalars(statement)]

    def delete_frame(self, frame_id: str) -> bool:
        """Delete frame ``frame_id``; True when it existed."""
        with self._session() as session:
            row = session.get(FrameRow, frame_id)
            if row is None:
                return False
            session.delete(row)
            return True

    # ------------------------------------------------------------------ jobs
    def create_job(self, kind: str, params: dict[str, Any]) -> JobRecord:
        """Insert a queued job of ``kind`` with its JSON ``params``."""
        row = JobRow(
            id=uuid.uuid4().hex,
            kind=kind,
            status="queued",
            params=params,
            progress_description="queued",
            progress_done=0,
            progress_total=0,
            result=None,
            error=None,
            cancel_requested=False,
            created_at=_now(),
        )
        with self._session() as session:
            session.add(row)
        return _job_record(row)

    def get_job(self, job_id: str) -> JobRecord | None:
        """Job ``job_id`` or None."""
        with self._session() as session:
            row = session.get(JobRow, job_id)
            return None if row is None else _job_record(row)

    def list_jobs(
        self, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[JobRecord]:
        """Jobs, newest first, optionally only those with ``status``."""
        statement = select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id)
        if status is not None:
            statement = statement.where(JobRow.status == status)
        with self._session() as session:
            return [_job_record(r) for r in session.scalars(statement.limit(limit).offset(offset))]

    def _transition(self, job_id: str, from_statuses: Sequence[str], **values: Any) -> bool:
        with self._session() as session:
            result = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_(list(from_statuses)))
                .values(**values)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def start_job(self, job_id: str) -> bool:
        """Move a queued job to running; False when it is no longer queued (e.g. cancelled)."""
        return self._transition(
            job_id, ["queued"], status="running", started_at=_now(), progress_description="started"
        )

    def update_progress(self, job_id: str, description: str, done: int, total: int) -> None:
        """Record a running job's progress."""
        self._transition(
            job_id,
            ["running"],
            progress_description=description[:200],
            progress_done=int(done),
            progress_total=int(total),
        )

    def finish_job(self, job_id: str, result: dict[str, Any]) -> bool:
        """Mark a running job succeeded with its JSON ``result``; False when it was not running."""
        return self._transition(
            job_id, ["running"], status="succeeded", result=result, finished_at=_now()
        )

    def fail_job(self, job_id: str, error: str) -> bool:
        """Mark a queued or running job failed with ``error``."""
        return self._transition(
            job_id, ["queued", "running"], status="failed", error=error, finished_at=_now()
        )

    def cancel_job(self, job_id: str) -> JobRecord | None:
        """Cancel a job: a queued job becomes cancelled at once, a running one is flagged.

        A running job stops at its next progress report (the runner checks the flag) and then
        becomes cancelled; one whose results are already committed finishes succeeded with the
        flag kept. A finished job is left as it is. Returns the job, or None when absent.
        """
        if not self._transition(
            job_id, ["queued"], status="cancelled", finished_at=_now(), error="cancelled by request"
        ):
            self._transition(job_id, ["running"], cancel_requested=True)
        return self.get_job(job_id)

    def mark_cancelled(self, job_id: str) -> bool:
        """A running job that stopped on a cancel request becomes cancelled."""
        return self._transition(
            job_id,
            ["running"],
            status="cancelled",
            error="cancelled by request",
            finished_at=_now(),
        )

    def is_cancel_requested(self, job_id: str) -> bool:
        """True when a cancel was requested for job ``job_id``."""
        with self._session() as session:
            flag = session.execute(
                select(JobRow.cancel_requested).where(JobRow.id == job_id)
            ).scalar_one_or_none()
        return bool(flag)

    def recover_interrupted_jobs(self) -> tuple[list[str], list[str]]:
        """Run at startup: jobs left running by a dead server become failed.

        Returns
        -------
        failed_ids, queued_ids : list of str
            The jobs just marked failed, and the jobs still queued (oldest first) that the
            caller should submit again.
        """
        with self._session() as session:
            running = list(session.scalars(select(JobRow.id).where(JobRow.status == "running")))
            if running:
                session.execute(
                    update(JobRow)
                    .where(JobRow.id.in_(running), JobRow.status == "running")
                    .values(status="failed", error=INTERRUPTED_MESSAGE, finished_at=_now())
                )
            queued = list(
                session.scalars(
                    select(JobRow.id).where(JobRow.status == "queued").order_by(JobRow.created_at)
                )
            )
        return running, queued

    # ------------------------------------------------------------------ API keys
    def add_api_key_hash(self, key_sha256: str, label: str) -> bool:
        """Store an API key digest (see :func:`hash_api_key`); False when already stored."""
        if len(key_sha256) != 64 or any(c not in "0123456789abcdef" for c in key_sha256):
            raise InputError(f"API key hash: must be 64 lowercase hex digits, got {key_sha256!r}")
        with self._session() as session:
            exists = session.execute(
                select(ApiKeyRow.id).where(ApiKeyRow.key_sha256 == key_sha256)
            ).scalar_one_or_none()
            if exists is not None:
                return False
            session.add(ApiKeyRow(key_sha256=key_sha256, label=label, created_at=_now()))
            return True

    def api_key_hashes(self) -> frozenset[str]:
        """Every stored API key digest."""
        with self._session() as session:
            return frozenset(session.scalars(select(ApiKeyRow.key_sha256)))

    def count_api_keys(self) -> int:
        """How many API keys are stored."""
        with self._session() as session:
            return int(session.execute(select(func.count(ApiKeyRow.id))).scalar_one())
