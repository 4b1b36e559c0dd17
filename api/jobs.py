"""The job runner: long work runs in worker threads, its state lives in the database.

``submit`` stores a queued job and hands it to a thread pool; the worker marks it running, calls
the job function with a progress callback, stores the result and marks it succeeded (or failed
with the planner's message, or cancelled). Threads, not processes: process pools pass work by
pickling, and the heavy stages (OR-Tools, Prophet's Stan) release the GIL or run out of process.

Durability: every state change is committed before it is visible. At startup
:meth:`JobRunner.start` marks jobs left running by a dead server failed and submits the queued
ones again, so a job is never left "running" forever.

Cancel is cooperative: a queued job is cancelled at once; a running job stops at its next
progress report. A stage that does not report progress while inside a native solver stops only
when that call returns (its time limit bounds the wait). A job stores its results inside
:meth:`JobContext.storing`, one transaction that checks the cancel flag before its commit, so a
cancel before that commit stores nothing. Once the job function has returned, its results are
committed and the job is marked succeeded with its result: a cancel that arrives after the commit
(while the job is still "running") is a no-op, and the record keeps ``cancel_requested`` true, so
it says what happened rather than "cancelled" next to a stored result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from api.config import Settings
from planner.errors import PlannerError
from planner.storage import JobRecord, Storage

__all__ = ["JobCancelled", "JobContext", "JobFunction", "JobRunner"]

logger = logging.getLogger("planner.api.jobs")

PROGRESS_WRITE_SECONDS = 0.25
"""Progress is written (and the cancel flag read) at most this often per job."""


class JobCancelled(Exception):
    """Raised inside a job's progress callback when a cancel was requested."""


class JobInterrupted(Exception):
    """Raised inside a job's progress callback when the server is shutting down."""


@dataclass
class JobContext:
    """What a job function gets: its parameters, the store, the settings and a progress callback.

    ``progress(description, done, total)`` records progress and raises :class:`JobCancelled`
    when the job was cancelled; job functions pass it to the planner's ``progress=`` parameters.
    """

    job_id: str
    params: dict[str, Any]
    storage: Storage
    settings: Settings
    progress: Callable[[str, int, int], None]

    @contextmanager
    def storing(self) -> Iterator[None]:
        """One transaction for the job's stores, cancelled as a whole.

        A cancel requested before the block starts, or while it runs (checked again before the
        commit), raises :class:`JobCancelled` and rolls every store of the block back, so a
        cancelled job leaves nothing behind and a job that returns has stored everything.
        """
        if self.storage.is_cancel_requested(self.job_id):
            raise JobCancelled
        with self.storage.transaction():
            yield
            if self.storage.is_cancel_requested(self.job_id):
                raise JobCancelled  # cancelled while storing: the rollback leaves nothing


JobFunction = Callable[[JobContext], dict[str, Any]]
"""A job: reads ``context.params``, does the work, stores frames, returns a JSON-able result.

Returning means success: the runner records the result even when a cancel arrived after the
function's last check, because whatever it stored stays stored. A job stores inside
``with context.storing():``, which checks for a cancel before the commit and rolls back, so a
cancelled job leaves nothing behind."""


class JobRunner:
    """Runs jobs of the kinds in ``registry`` on ``settings.job_workers`` threads."""

    def __init__(self, storage: Storage, settings: Settings, registry: Mapping[str, JobFunction]):
        self.storage = storage
        self.settings = settings
        self.registry = dict(registry)
        self._executor: ThreadPoolExecutor | None = None
        self._stopping = threading.Event()

    def start(self) -> tuple[list[str], list[str]]:
        """Start the workers after recovering from a previous run.

        Returns the ids of jobs marked failed (they were running when the server died) and of
        queued jobs submitted again.
        """
        failed, queued = self.storage.recover_interrupted_jobs()
        self._executor = ThreadPoolExecutor(
            max_workers=self.settings.job_workers, thread_name_prefix="planner-job"
        )
        for job_id in queued:
            self._executor.submit(self._run, job_id)
        if failed:
            logger.warning("marked %d interrupted job(s) failed: %s", len(failed), failed)
        return failed, queued

    def shutdown(self) -> None:
        """Stop taking work; running jobs stop at their next progress report and are failed."""
        self._stopping.set()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def submit(self, kind: str, params: dict[str, Any]) -> JobRecord:
        """Store a queued job of ``kind`` and schedule it; returns the stored job."""
        if kind not in self.registry:
            raise KeyError(kind)
        if self._executor is None:
            raise RuntimeError("JobRunner.start() must be called before submit()")
        job = self.storage.create_job(kind, params)
        self._executor.submit(self._run, job.id)
        return job

    def _progress_callback(self, job_id: str) -> Callable[[str, int, int], None]:
        last_write = 0.0

        def progress(description: str, done: int, total: int) -> None:
            nonlocal last_write
            if self._stopping.is_set():
                raise JobInterrupted
            now = time.monotonic()
            if now - last_write < PROGRESS_WRITE_SECONDS and not (total and done >= total):
                return
            last_write = now
            self.storage.update_progress(job_id, description, done, total)
            if self.storage.is_cancel_requested(job_id):
                raise JobCancelled

        return progress

    def _run(self, job_id: str) -> None:
        try:
            if self._stopping.is_set() or not self.storage.start_job(job_id):
                return
            job = self.storage.get_job(job_id)
            assert job is not None
            function = self.registry.get(job.kind)
            if function is None:
                self.storage.fail_job(
                    job_id, f"job kind {job.kind!r} is not available on this server"
                )
                return
            context = JobContext(
                job_id=job_id,
                params=job.params,
                storage=self.storage,
                settings=self.settings,
                progress=self._progress_callback(job_id),
            )
            try:
                result = function(context)
            except JobCancelled:
                self.storage.mark_cancelled(job_id)
                return
            except JobInterrupted:
                self.storage.fail_job(job_id, "the server shut down while this job was running")
                return
            except PlannerError as error:
                self.storage.fail_job(job_id, str(error))
                return
            # the function returned: its results are committed, so a cancel that came after its
            # last check is too late to undo them and the job succeeded (see the module notes)
            self.storage.finish_job(job_id, result)
        except Exception as error:  # a bug, not bad input: keep the worker alive, record it
            logger.exception("job %s failed", job_id)
            try:
                self.storage.fail_job(job_id, f"internal error: {type(error).__name__}: {error}")
            except Exception:  # the database itself is gone; recovery at next start handles it
                logger.exception("could not record the failure of job %s", job_id)
