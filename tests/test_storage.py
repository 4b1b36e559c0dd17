"""planner.storage: migrations, frames, jobs and API key digests on SQLite and PostgreSQL.

PostgreSQL tests run against the server at $PLANNER_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test), each in its own schema that is dropped
afterwards; they are skipped with a message when no server answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from planner.errors import ConfigError, InputError
from planner.storage import Storage, hash_api_key, open_storage
from planner.storage.repository import create_storage_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[Storage]:
    """A migrated store on each backend."""
    if request.param == "sqlite":
        store = open_storage(f"sqlite:///{tmp_path / 'store' / 'planner.sqlite3'}")
    else:
        schema = request.getfixturevalue("pg_schema")
        store = open_storage(request.getfixturevalue("pg_url"), schema=schema)
    try:
        yield store
    finally:
        store.dispose()


def _frame() -> pd.DataFrame:
    starts = pd.date_range("2026-03-29 00:00", periods=12, freq="15min", tz="Europe/Paris").as_unit(
        "ns"
    )
    return pd.DataFrame(
        {
            "queue": ["billing"] * 6 + ["sales"] * 6,
            "interval_start": starts,
            "calls_offered": np.arange(12, dtype=np.float64),
            "aht_seconds": [np.nan] + [300.0] * 11,
        }
    )


def test_frame_round_trip_keeps_types_time_zone_and_nan(storage: Storage) -> None:
    frame = _frame()
    record = storage.save_frame(
        "history", frame, name="h", interval_minutes=15, meta={"notes": ["x"]}
    )
    assert (record.kind, record.n_rows, record.queues) == ("history", 12, ["billing", "sales"])
    loaded = storage.load_frame(record.id)
    pd.testing.assert_frame_equal(loaded, frame)
    assert str(loaded["interval_start"].dtype) == "datetime64[ns, Europe/Paris]"
    again = storage.get_frame(record.id)
    assert again is not None and again.meta == {"notes": ["x"]} and again.interval_minutes == 15
    assert again.created_at.tzinfo is not None
    assert storage.get_frame(record.id, kind="forecast") is None
    assert [r.id for r in storage.list_frames("history")] == [record.id]


def test_frame_parent_and_delete(storage: Storage) -> None:
    parent = storage.save_frame("history", _frame(), name="h")
    child = storage.save_frame("forecast", _frame(), name="f", parent_id=parent.id)
    assert child.parent_id == parent.id
    assert storage.delete_frame(parent.id) is True
    assert storage.delete_frame(parent.id) is False
    assert storage.get_frame(child.id).parent_id is None  # ON DELETE SET NULL
    with pytest.raises(KeyError):
        storage.load_frame(parent.id)


def test_save_frame_rejects_unknown_kind(storage: Storage) -> None:
    with pytest.raises(InputError, match="frame kind"):
        storage.save_frame("pickles", _frame(), name="x")


def test_transaction_commits_its_frames_together(storage: Storage) -> None:
    observer = Storage(storage.engine)  # another connection, as another server thread sees it
    with storage.transaction():
        first = storage.save_frame("history", _frame(), name="first")
        # a read inside the block flushes the row to the database and reads it back ...
        pd.testing.assert_frame_equal(storage.load_frame(first.id), _frame())
        second = storage.save_frame("forecast", _frame(), name="second", parent_id=first.id)
        # ... yet no other connection sees either row before the commit
        assert observer.get_frame(first.id) is None
        assert observer.list_frames("forecast") == []
    assert [r.id for r in observer.list_frames("history")] == [first.id]
    assert [r.id for r in observer.list_frames("forecast")] == [second.id]


def test_transaction_that_raises_stores_nothing(storage: Storage) -> None:
    kept = storage.save_frame("history", _frame(), name="kept before the block")
    with pytest.raises(RuntimeError, match="disk full"), storage.transaction():
        storage.save_frame("forecast", _frame(), name="f", parent_id=kept.id)
        with storage.transaction():  # joins the outer transaction: rolled back with it
            storage.save_frame("roster", _frame(), name="r")
            assert storage.delete_frame(kept.id) is True
        raise RuntimeError("disk full")
    assert storage.list_frames("forecast") == [] and storage.list_frames("roster") == []
    assert storage.get_frame(kept.id) is not None  # the delete was rolled back too
    # the store works normally after a rollback
    assert storage.get_frame(storage.save_frame("history", _frame(), name="h").id) is not None


def test_job_life_cycle(storage: Storage) -> None:
    job = storage.create_job("wait", {"seconds": 1})
    assert job.status == "queued"
    assert storage.start_job(job.id) is True
    assert storage.start_job(job.id) is False  # only a queued job starts
    storage.update_progress(job.id, "waiting", 3, 10)
    running = storage.get_job(job.id)
    assert (running.status, running.progress_done, running.progress_total) == ("running", 3, 10)
    assert storage.finish_job(job.id, {"answer": 42}) is True
    done = storage.get_job(job.id)
    assert (done.status, done.result, done.error) == ("succeeded", {"answer": 42}, None)
    assert done.finished_at is not None and done.started_at is not None
    assert storage.fail_job(job.id, "late") is False  # a finished job stays finished
    assert storage.cancel_job(job.id).status == "succeeded"
    assert storage.cancel_job("nope") is None


def test_cancel_queued_and_running_jobs(storage: Storage) -> None:
    queued = storage.create_job("wait", {})
    assert storage.cancel_job(queued.id).status == "cancelled"
    assert storage.start_job(queued.id) is False
    running = storage.create_job("wait", {})
    storage.start_job(running.id)
    flagged = storage.cancel_job(running.id)
    assert (flagged.status, flagged.cancel_requested) == ("running", True)
    assert storage.is_cancel_requested(running.id) is True
    assert storage.mark_cancelled(running.id) is True
    assert storage.get_job(running.id).status == "cancelled"


def test_recover_marks_running_failed_and_returns_queued(storage: Storage) -> None:
    running = storage.create_job("wait", {})
    storage.start_job(running.id)
    queued = storage.create_job("wait", {})
    finished = storage.create_job("wait", {})
    storage.start_job(finished.id)
    storage.finish_job(finished.id, {"ok": True})
    failed_ids, queued_ids = storage.recover_interrupted_jobs()
    assert failed_ids == [running.id] and queued_ids == [queued.id]
    after = storage.get_job(running.id)
    assert after.status == "failed" and "server stopped" in after.error
    assert storage.finish_job(running.id, {"late": True}) is False  # a dead worker cannot revive it
    assert storage.get_job(finished.id).result == {"ok": True}
    assert [j.id for j in storage.list_jobs(status="failed")] == [running.id]


def test_api_key_digests(storage: Storage) -> None:
    digest = hash_api_key("correct horse battery staple")
    # sha256 of that phrase, computed with `printf %s 'correct horse battery staple' | sha256sum`
    assert digest == "c4bbcb1fbec99d65bf59d85c8cb62ee2db963f0fe106f483d9afa73bd4e39a8a"
    assert storage.add_api_key_hash(digest, "ops") is True
    assert storage.add_api_key_hash(digest, "ops again") is False
    assert storage.api_key_hashes() == frozenset({digest}) and storage.count_api_keys() == 1
    with pytest.raises(InputError, match="API key hash"):
        storage.add_api_key_hash("not-a-digest", "x")


def test_reopening_runs_migrations_idempotently(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    first = open_storage(url)
    record = first.save_frame("history", _frame(), name="h")
    first.dispose()
    second = open_storage(url)
    try:
        assert second.get_frame(record.id) is not None
        with second.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert (
                connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                == "0001_initial"
            )
    finally:
        second.dispose()


@pytest.mark.parametrize(
    ("url", "schema", "error", "match"),
    [
        ("not a url", None, InputError, "database URL"),
        ("nosuchdb://x/y", None, ConfigError, "database URL"),
        ("sqlite:///x.sqlite3", "abc", InputError, "database schema"),
        ("postgresql+psycopg://u@127.0.0.1/db", "bad-name;drop", InputError, "database schema"),
    ],
    ids=["unparseable", "unknown-driver", "schema-on-sqlite", "schema-not-identifier"],
)
def test_bad_database_settings(url: str, schema: str | None, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        create_storage_engine(url, schema=schema)
