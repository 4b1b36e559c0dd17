"""Scale-out of the per-queue work: local processes or an existing Dask distributed cluster.

Large centres plan hundreds to thousands of queues, and the per-queue stages (forecast fits and
backtests, staffing, evaluation) are independent from one queue to the next. :func:`run_per_queue`
splits a long frame by ``queue``, runs one function on each queue's frame, and concatenates what the
function returns, in the queues' input order, whichever backend ran it:

``workers=1``
    in the calling process, no pool (for debugging: breakpoints and tracebacks work);
``workers=N``
    ``N`` local processes (``concurrent.futures.ProcessPoolExecutor``, *spawn* start method);
``workers=None`` (the default)
    :func:`resolve_workers` decides: the cores this process may use, but in this process when
    the work is too small for a pool's start-up to pay off;
``dask_address="tcp://scheduler:8786"``
    an existing ``dask.distributed`` cluster (install the ``dask`` extra:
    ``pip install 'workforce-planner[dask]'``). Adapters read ``PLANNER_DASK_ADDRESS``
    (:func:`dask_address_from_env`); the core never reads the environment.

The function must be picklable, which in practice means **defined at module level** in an importable
module (``planner.staffing.required_agents``, a function in your own package), or a
:func:`functools.partial` of such a function; lambdas and functions nested in other functions are
not. Local worker processes are started with *spawn*, so a script that calls this with
``workers > 1`` needs the usual ``if __name__ == "__main__":`` guard. It is called as
``func(queue_frame, **kwargs)`` with one queue's rows (a copy with a fresh
``RangeIndex``) and must return a :class:`pandas.DataFrame`, or a tuple of frames of fixed length
(e.g. a forecast and its per-queue method choices). On a Dask cluster the workers must have
``planner`` (and the module defining ``func``) installed in the same version as the client.

Memory stays bounded: queues are grouped into chunks of ``chunk_queues`` queues, and at most
``max_chunks_ahead`` chunks are in flight at once; a worker holds one chunk's fitted models at a
time and sends back only frames. A queue whose function raises is recorded in
:attr:`PerQueueRun.failures` as ``(queue, error type, message)``; the other queues' results are
kept.
"""

from __future__ import annotations

import math
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from planner.errors import ConfigError, InfeasibleError, InputError, PlannerError
from planner.progress import ProgressCallback, report

__all__ = [
    "DASK_ADDRESS_ENV",
    "PerQueueRun",
    "QueueFailure",
    "STAFFING_SECONDS_PER_ROW",
    "dask_address_from_env",
    "default_workers",
    "resolve_workers",
    "run_per_queue",
]

DASK_ADDRESS_ENV = "PLANNER_DASK_ADDRESS"
"""Environment variable the adapters (CLI, API) read for the Dask scheduler address."""

MAX_DEFAULT_CHUNK_QUEUES = 8
"""Upper bound of the default chunk size: small chunks keep progress fine-grained and memory low."""

DASK_CONNECT_TIMEOUT_SECONDS = 10.0

POOL_STARTUP_SECONDS = 8.0
"""Wall seconds a local spawn pool of 2 workers takes before its first result, beyond the work
itself: two fresh interpreters importing pandas, SciPy and ``planner.forecast`` (measured by
``bench/bench_workers_default.py``: 6.3-10.3 s on the shared 2-core machine at load 6-7, where one
import is ~1.45 CPU seconds). It is compared with per-queue seconds measured in the same conditions
(:data:`DEFAULT_QUEUE_SECONDS`, ``planner.parallel_forecast``), so only their ratio matters."""

DEFAULT_QUEUE_SECONDS = 2.0
"""Per-queue seconds :func:`run_per_queue` assumes when the caller gives no estimate: one queue's
``forecast_history(method="auto")`` on a year of 30-minute history (1.7-2.2 s, measured with
:data:`POOL_STARTUP_SECONDS` by ``bench/bench_workers_default.py``)."""

STAFFING_SECONDS_PER_ROW: dict[str, float] = {"erlang-c": 2.5e-6, "erlang-a": 3.7e-5}
"""Seconds per interval row of ``planner.staffing.required_agents`` at 80/20 (bench/RESULTS.md,
issue 3: a year of 15-minute rows, 35,040, in 0.089 s with Erlang C and 1.31 s with Erlang A, on the
shared machine). With :data:`POOL_STARTUP_SECONDS` a 2-process pool pays off from ~6 million rows
with Erlang C and ~430,000 rows with Erlang A; ``planner staff`` feeds them to
:func:`resolve_workers`."""

PerQueueFunc = Callable[..., Any]
"""``func(queue_frame, **kwargs) -> DataFrame | tuple[DataFrame, ...]``, defined at module level."""


class QueueFailure(NamedTuple):
    """One queue whose function raised: its name, the exception's class name and its message.

    A :class:`~planner.errors.PlannerError` keeps its message unchanged (``error_type`` is e.g.
    ``"InputError"``), so adapters can show it as the usual one-line planner error.
    """

    queue: str
    error_type: str
    message: str


class _QueueOutcome(NamedTuple):
    """What a worker sends back for one queue (plain picklable values, never exception objects)."""

    queue: str
    frames: tuple[pd.DataFrame, ...] | None
    failure: QueueFailure | None
    seconds: float


class _ChunkOutcome(NamedTuple):
    outcomes: list[_QueueOutcome]
    worker: str
    peak_memory_bytes: int | None


@dataclass(frozen=True)
class PerQueueRun:
    """The result of :func:`run_per_queue`.

    Attributes
    ----------
    frames : tuple of DataFrame
        The per-queue results concatenated, one frame per element of what ``func`` returns, rows in
        the queues' input order with a fresh ``RangeIndex``. Failed queues contribute no rows. Empty
        frames (no columns) when every queue failed.
    queues : tuple of str
        Every input queue, in input order (first appearance in the input frame).
    failures : tuple of QueueFailure
        The queues whose function raised, in input order.
    queue_seconds : Series
        Seconds spent inside ``func`` per queue (float64, index ``queue`` in input order), failed
        queues included (time until the error).
    wall_seconds : float
        Elapsed seconds of the whole run, pool start-up and transfers included.
    backend : str
        ``"in-process"``, ``"processes"`` or ``"dask"``.
    workers : int
        Parallel task slots used: local processes, or the Dask cluster's worker threads at the
        start.
    worker_peak_memory_bytes : dict of str to int
        Peak resident memory per worker process (``host:pid``) after its last chunk (Linux
        ``VmHWM``, else ``ru_maxrss``); in-process runs report this process.
    """

    frames: tuple[pd.DataFrame, ...]
    queues: tuple[str, ...]
    failures: tuple[QueueFailure, ...]
    queue_seconds: pd.Series
    wall_seconds: float
    backend: str
    workers: int
    worker_peak_memory_bytes: dict[str, int] = field(default_factory=dict)

    @property
    def frame(self) -> pd.DataFrame:
        """The first (usually the only) result frame."""
        return self.frames[0]

    @property
    def ok(self) -> bool:
        """True when no queue failed."""
        return not self.failures

    @property
    def busy_fraction(self) -> float:
        """Fraction of the workers' time (``wall_seconds x workers``) spent inside ``func``.

        ``1 - busy_fraction`` is the overhead of the scale-out: pool start-up, transfers, splitting
        and concatenating frames, idle workers at the end.
        """
        capacity = self.wall_seconds * max(self.workers, 1)
        if capacity <= 0:
            return 0.0
        return float(min(1.0, self.queue_seconds.sum() / capacity))

    def slowest(self, n: int = 5) -> pd.Series:
        """The ``n`` queues that took longest inside ``func``: seconds by ``queue``, descending."""
        return self.queue_seconds.sort_values(ascending=False, kind="stable").head(n)

    def raise_for_failures(self, *, only_if_all_alike: bool = False) -> None:
        """Raise a :class:`~planner.errors.PlannerError` naming the failed queues, if any failed.

        When every queue failed with the same planner error (a problem of the input as a whole,
        such as an unknown method), that error is raised as it is, with its own class and message.
        Otherwise a :class:`~planner.errors.PlannerError` lists them:
        ``"2 of 40 queues failed: queue 'a': InputError: ...; queue 'b': ..."``. With
        ``only_if_all_alike=True`` only the first case raises.
        """
        if not self.failures:
            return
        kinds = {(failure.error_type, failure.message) for failure in self.failures}
        if len(self.failures) == len(self.queues) and len(kinds) == 1:
            ((error_type, message),) = kinds
            if error_type in _PLANNER_ERRORS:
                raise _PLANNER_ERRORS[error_type](message)
        if only_if_all_alike:
            return
        details = "; ".join(
            f"queue {failure.queue!r}: {failure.error_type}: {failure.message}"
            for failure in self.failures
        )
        raise PlannerError(f"{len(self.failures)} of {len(self.queues)} queues failed: {details}")


_PLANNER_ERRORS: dict[str, type[PlannerError]] = {
    cls.__name__: cls for cls in (PlannerError, InputError, ConfigError, InfeasibleError)
}


def default_workers() -> int:
    """Cores this process may use (``os.process_cpu_count`` on 3.13+, else the CPU affinity)."""
    counter = getattr(os, "process_cpu_count", None)
    if counter is not None:
        count = counter()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, count or 1)


def resolve_workers(
    requested: int | None,
    n_queues: int,
    *,
    queue_seconds_estimate: float = DEFAULT_QUEUE_SECONDS,
    cores: int | None = None,
) -> int:
    """How many local worker processes to use: the one rule behind every ``workers`` default.

    - ``requested >= 1``: that many (``run_per_queue`` still starts no more than it has chunks);
    - ``requested == 0``: every core (``cores``, default :func:`default_workers`);
    - ``requested is None``: ``n = min(cores, n_queues)`` processes when a pool of ``n`` is
      expected to save more than it costs to start, else 1 (this process, no pool). The work
      done one queue after another takes ``n_queues x queue_seconds_estimate``; ``n`` processes
      save ``(1 - 1/n)`` of it and cost :data:`POOL_STARTUP_SECONDS`, so the pool is used when
      ``n_queues x queue_seconds_estimate x (1 - 1/n) > POOL_STARTUP_SECONDS``.

    With the defaults on 2 cores: the ``auto`` forecast of a year of history (~2 s a queue)
    goes to a pool from 9 queues on; the 3-queue sample centre stays in this process.

    Parameters
    ----------
    requested : int or None
        The ``--workers`` / ``workers=`` value: None (decide), 0 (every core) or a count >= 1.
    n_queues : int
        Queues to run.
    queue_seconds_estimate : float
        Expected seconds of one queue's work in one process (an estimate; see
        ``planner.parallel_forecast.estimated_queue_seconds`` for forecasts and backtests).
    cores : int, optional
        Cores available; default :func:`default_workers`.

    Returns
    -------
    int
        Worker processes, >= 1 (1 means in this process).

    Raises
    ------
    InputError
        ``requested`` is negative or not an int, ``n_queues`` negative, or
        ``queue_seconds_estimate`` not a finite number >= 0.
    """
    if requested is not None and (
        isinstance(requested, bool) or not isinstance(requested, int | np.integer) or requested < 0
    ):
        raise InputError(
            "The 'requested' parameter of resolve_workers must be None, 0 (every core) or an int "
            f">= 1, got {requested!r}"
        )
    if isinstance(n_queues, bool) or not isinstance(n_queues, int | np.integer) or n_queues < 0:
        raise InputError(
            f"The 'n_queues' parameter of resolve_workers must be an int >= 0, got {n_queues!r}"
        )
    if not isinstance(queue_seconds_estimate, int | float | np.number) or not (
        math.isfinite(queue_seconds_estimate) and queue_seconds_estimate >= 0
    ):
        raise InputError(
            "The 'queue_seconds_estimate' parameter of resolve_workers must be a finite number "
            f"of seconds >= 0, got {queue_seconds_estimate!r}"
        )
    available = default_workers() if cores is None else max(1, int(cores))
    if requested is not None:
        return int(requested) if requested >= 1 else available
    n = min(available, int(n_queues))
    if n < 2:
        return 1
    saved_seconds = n_queues * float(queue_seconds_estimate) * (1.0 - 1.0 / n)
    return n if saved_seconds > POOL_STARTUP_SECONDS else 1


def dask_address_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The Dask scheduler address in ``PLANNER_DASK_ADDRESS``, or None when unset or blank.

    For adapters (CLI, API); ``environ`` defaults to ``os.environ``.
    """
    environ = os.environ if environ is None else environ
    address = environ.get(DASK_ADDRESS_ENV, "").strip()
    return address or None


def run_per_queue(
    func: PerQueueFunc,
    frame: pd.DataFrame,
    *,
    kwargs: Mapping[str, Any] | None = None,
    per_queue_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    chunk_queues: int | None = None,
    max_chunks_ahead: int | None = None,
    progress: ProgressCallback | None = None,
    description: str = "queues",
    queue_seconds_estimate: float | None = None,
) -> PerQueueRun:
    """Run ``func`` on every queue of ``frame``, in parallel, and concatenate the results in order.

    Parameters
    ----------
    func : callable
        ``func(queue_frame, **kwargs) -> DataFrame | tuple[DataFrame, ...]``. Must be picklable:
        defined at module level in an importable module (or a ``functools.partial`` of one).
        Must be deterministic (explicit seeds) for the backends to give identical results.
    frame : DataFrame, shape (n_rows, n_columns)
        Long frame with a ``queue`` column; each queue's rows are passed to ``func`` in their order
        in ``frame``, as a copy with a fresh ``RangeIndex``. Not modified.
    kwargs : mapping, optional
        Keyword arguments passed to every call (picklable).
    per_queue_kwargs : mapping of str to mapping, optional
        Extra keyword arguments for some queues, by queue name (e.g. each queue's caller
        patience); they override ``kwargs`` for that queue.
    workers : int, optional
        Local worker processes. ``1`` runs in this process with no pool. Default (None):
        :func:`resolve_workers` decides from the number of queues and
        ``queue_seconds_estimate`` (the cores, or this process when a pool would not pay off).
        Not allowed together with ``dask_address``.
    dask_address : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    chunk_queues : int, optional
        Queues per task; default ``ceil(n_queues / (4 x workers))`` capped at 8 (1 in this
        process).
    max_chunks_ahead : int, optional
        Most chunks submitted and not yet collected at once; default ``2 x workers``. Bounds the
        memory held in flight.
    progress : callable, optional
        ``progress(description, queues_done, n_queues)`` after each chunk (after each queue in
        this process); an exception it raises (a cancelled job) stops the run and propagates,
        after the chunks already running on workers end.
    description : str
        Progress description.
    queue_seconds_estimate : float, optional
        Expected seconds of ``func`` on one queue, for the default of ``workers``; default
        :data:`DEFAULT_QUEUE_SECONDS`. Ignored when ``workers`` or ``dask_address`` is given.

    Returns
    -------
    PerQueueRun
        Concatenated frames, failures ``(queue, error type, message)``, seconds per queue.

    Raises
    ------
    InputError
        ``frame`` has no ``queue`` column, missing queue names, or a bad ``workers`` /
        ``chunk_queues`` / ``max_chunks_ahead``.
    ConfigError
        Both ``workers`` and ``dask_address`` given, ``dask`` not installed, or the scheduler cannot
        be reached.
    """
    _check_positive_int("workers", workers)
    _check_positive_int("chunk_queues", chunk_queues)
    _check_positive_int("max_chunks_ahead", max_chunks_ahead)
    if dask_address is not None and workers is not None:
        raise ConfigError(
            f"run_per_queue got both workers={workers} and dask_address={dask_address!r}; "
            "expected one backend: local workers or a Dask cluster"
        )
    if dask_address is not None and not str(dask_address).strip():
        raise ConfigError(
            "The 'dask_address' parameter of run_per_queue is blank; expected e.g. "
            "'tcp://scheduler:8786' or None"
        )
    queue_names, positions = _split_queues(frame)
    call_kwargs = dict(kwargs or {})
    extras = {str(q): dict(v) for q, v in (per_queue_kwargs or {}).items()}
    unknown = sorted(set(extras) - set(queue_names))
    if unknown:
        raise InputError(
            f"The 'per_queue_kwargs' parameter of run_per_queue names queues {unknown} that are "
            f"not in the frame; expected some of {queue_names[:10]}"
        )
    started = time.perf_counter()
    n_queues = len(queue_names)

    if dask_address is not None:
        with _dask_client(str(dask_address).strip()) as client:
            n_workers = max(1, sum(client.nthreads().values()))  # worker threads = task slots
            chunks = _chunks(
                frame,
                queue_names,
                positions,
                _chunk_size(chunk_queues, n_queues, n_workers),
                extras,
            )
            ahead = max_chunks_ahead or 2 * n_workers
            collected = _run_dask(
                client, func, call_kwargs, chunks, ahead, progress, description, n_queues
            )
        backend = "dask"
    else:
        n_workers = workers
        if n_workers is None:
            n_workers = resolve_workers(
                None,
                n_queues,
                queue_seconds_estimate=DEFAULT_QUEUE_SECONDS
                if queue_seconds_estimate is None
                else queue_seconds_estimate,
            )
        if n_workers == 1 and chunk_queues is None:
            chunk_queues = 1  # in this process: nothing to transfer, progress after every queue
        chunk_size = _chunk_size(chunk_queues, n_queues, n_workers)
        n_chunks = math.ceil(n_queues / chunk_size) if n_queues else 0
        n_workers = max(1, min(n_workers, n_chunks))  # no idle processes
        chunks = _chunks(frame, queue_names, positions, chunk_size, extras)
        if n_workers == 1:
            collected = _run_in_process(func, call_kwargs, chunks, progress, description, n_queues)
            backend = "in-process"
        else:
            ahead = max_chunks_ahead or 2 * n_workers
            collected = _run_processes(
                n_workers, func, call_kwargs, chunks, ahead, progress, description, n_queues
            )
            backend = "processes"

    return _assemble(queue_names, collected, time.perf_counter() - started, backend, n_workers)


# --- splitting ---------------------------------------------------------------------------------


def _check_positive_int(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(
            f"The {name!r} parameter of run_per_queue must be an int >= 1, got {value!r}"
        )


def _split_queues(frame: pd.DataFrame) -> tuple[list[str], list[slice | np.ndarray]]:
    """Queue names in order of first appearance and each queue's rows (a slice or positions)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            "The 'frame' parameter of run_per_queue must be a pandas DataFrame, "
            f"got {type(frame).__name__}"
        )
    if "queue" not in frame.columns:
        raise InputError(
            "frame passed to run_per_queue has no 'queue' column "
            f"(columns: {list(frame.columns)}); "
            "expected a long frame with one row per (queue, interval_start)"
        )
    missing = frame["queue"].isna().to_numpy()
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise InputError(
            "frame passed to run_per_queue: column 'queue' is missing in "
            f"{int(missing.sum())} rows "
            f"(first at row {first}); expected a queue name in every row"
        )
    codes, names = pd.factorize(frame["queue"], sort=False)
    run_starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    if len(run_starts) == len(names):
        # Each queue's rows are contiguous (the usual sorted long frame): slices, no gather.
        bounds = np.r_[run_starts, len(codes)]
        rows: list[slice | np.ndarray] = [
            slice(int(bounds[i]), int(bounds[i + 1])) for i in range(len(names))
        ]
    else:
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        rows = [order[bounds[i] : bounds[i + 1]] for i in range(len(names))]
    return [str(name) for name in names], rows


def _chunk_size(chunk_queues: int | None, n_queues: int, n_workers: int) -> int:
    if chunk_queues is not None:
        return int(chunk_queues)
    return max(1, min(MAX_DEFAULT_CHUNK_QUEUES, math.ceil(n_queues / (4 * max(n_workers, 1)))))


Chunk = list[tuple[str, pd.DataFrame, dict[str, Any]]]
"""One task's queues: (queue name, the queue's rows, that queue's extra keyword arguments)."""


def _chunks(
    frame: pd.DataFrame,
    names: Sequence[str],
    positions: Sequence[slice | np.ndarray],
    size: int,
    extras: Mapping[str, dict[str, Any]],
) -> Iterator[Chunk]:
    """Lazily cut the frame into chunks of ``size`` queues (only submitted ones materialise)."""
    for start in range(0, len(names), size):
        yield [
            (names[i], frame.iloc[positions[i]].reset_index(drop=True), extras.get(names[i], {}))
            for i in range(start, min(start + size, len(names)))
        ]


# --- the task that runs on a worker ------------------------------------------------------------


def _run_chunk(func: PerQueueFunc, kwargs: Mapping[str, Any], chunk: Chunk) -> _ChunkOutcome:
    """Run ``func`` on each queue of one chunk; errors become :class:`QueueFailure` values."""
    outcomes = []
    for queue, queue_frame, extra in chunk:
        started = time.perf_counter()
        frames: tuple[pd.DataFrame, ...] | None = None
        failure: QueueFailure | None = None
        try:
            frames = _as_frames(func(queue_frame, **{**kwargs, **extra}), queue)
        except Exception as error:  # noqa: BLE001 - every queue's error is reported, none lost
            failure = QueueFailure(queue, type(error).__name__, str(error))
        outcomes.append(_QueueOutcome(queue, frames, failure, time.perf_counter() - started))
    return _ChunkOutcome(outcomes, f"{socket.gethostname()}:{os.getpid()}", _peak_memory_bytes())


def _as_frames(result: Any, queue: str) -> tuple[pd.DataFrame, ...]:
    if isinstance(result, pd.DataFrame):
        return (result,)
    if isinstance(result, tuple) and result and all(isinstance(r, pd.DataFrame) for r in result):
        return tuple(result)
    raise TypeError(
        f"per-queue function returned {type(result).__name__} for queue {queue!r}; "
        "expected a pandas DataFrame or a tuple of DataFrames"
    )


def _peak_memory_bytes() -> int | None:
    """Peak resident memory of this process, bytes; None where the platform does not say.

    Linux: ``VmHWM`` of ``/proc/self/status`` (``ru_maxrss`` would carry over the parent's peak
    into a spawned child, since Linux keeps it across ``exec``). Elsewhere ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024  # Linux reports KiB


def _chunk_failed(chunk: Chunk, error: BaseException) -> _ChunkOutcome:
    """Every queue of a chunk whose task itself failed (worker died, unpicklable function...)."""
    failure_type, message = type(error).__name__, str(error) or repr(error)
    if failure_type == "BrokenProcessPool":
        message += (
            " (a worker process died: out of memory, a crash in native code, or a script that"
            " starts workers without the `if __name__ == '__main__':` guard)"
        )
    return _ChunkOutcome(
        [_QueueOutcome(q, None, QueueFailure(q, failure_type, message), 0.0) for q, *_ in chunk],
        "",
        None,
    )


# --- backends ----------------------------------------------------------------------------------


def _run_in_process(
    func: PerQueueFunc,
    kwargs: Mapping[str, Any],
    chunks: Iterator[Chunk],
    progress: ProgressCallback | None,
    description: str,
    n_queues: int,
) -> list[_ChunkOutcome]:
    collected = []
    done = 0
    report(progress, description, 0, n_queues)
    for chunk in chunks:
        collected.append(_run_chunk(func, kwargs, chunk))
        done += len(chunk)
        report(progress, description, done, n_queues)
    return collected


def _run_processes(
    n_workers: int,
    func: PerQueueFunc,
    kwargs: Mapping[str, Any],
    chunks: Iterator[Chunk],
    ahead: int,
    progress: ProgressCallback | None,
    description: str,
    n_queues: int,
) -> list[_ChunkOutcome]:
    import multiprocessing

    # spawn, not fork: the caller may run threads (the CLI's progress bars, the API's server).
    context = multiprocessing.get_context("spawn")
    results: dict[int, _ChunkOutcome] = {}
    pending: dict[Future[_ChunkOutcome], tuple[int, Chunk]] = {}
    done_queues = 0
    report(progress, description, 0, n_queues)
    numbered = enumerate(chunks)
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=context) as pool:
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < ahead:
                    item = next(numbered, None)
                    if item is None:
                        exhausted = True
                        break
                    index, chunk = item
                    try:
                        pending[pool.submit(_run_chunk, func, kwargs, chunk)] = (index, chunk)
                    except Exception as error:  # noqa: BLE001 - a broken pool fails the chunk
                        results[index] = _chunk_failed(chunk, error)
                        done_queues += len(chunk)
                if not pending:
                    break
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    index, chunk = pending.pop(future)
                    try:
                        results[index] = future.result()
                    except Exception as error:  # noqa: BLE001 - worker died, pickling failed
                        results[index] = _chunk_failed(chunk, error)
                    done_queues += len(chunk)
                report(progress, description, done_queues, n_queues)
        finally:
            for future in pending:
                future.cancel()
    return [results[i] for i in sorted(results)]


@contextmanager
def _dask_client(address: str) -> Iterator[Any]:
    """Connect to a running scheduler; close the connection on exit. Errors become ConfigError."""
    try:
        from distributed import Client
    except ImportError as error:
        raise ConfigError(
            f"dask_address {address!r} given but dask.distributed is not installed; "
            "expected the 'dask' extra: pip install 'workforce-planner[dask]'"
        ) from error
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ConfigError(
            f"cannot connect to the Dask scheduler at {address!r}: {error}; "
            "expected a running `dask scheduler` reachable at that address"
        ) from error
    try:
        yield client
    finally:
        client.close()


def _run_dask(
    client: Any,
    func: PerQueueFunc,
    kwargs: Mapping[str, Any],
    chunks: Iterator[Chunk],
    ahead: int,
    progress: ProgressCallback | None,
    description: str,
    n_queues: int,
) -> list[_ChunkOutcome]:
    from distributed import as_completed

    results: dict[int, _ChunkOutcome] = {}
    owner: dict[str, tuple[int, Chunk]] = {}
    done_queues = 0
    report(progress, description, 0, n_queues)
    token = f"{os.getpid()}-{time.time_ns()}"
    numbered = enumerate(chunks)

    def submit_next() -> Any:
        item = next(numbered, None)
        if item is None:
            return None
        index, chunk = item
        future = client.submit(
            _run_chunk, func, kwargs, chunk, key=f"planner-queues-{token}-{index}", pure=False
        )
        owner[future.key] = (index, chunk)
        return future

    # as_completed looks up the "current" client; make ours current only for this loop.
    with client.as_current():
        first = [f for f in (submit_next() for _ in range(ahead)) if f is not None]
        if not first:
            return []
        queue_of_futures = as_completed(first)
        try:
            for future in queue_of_futures:
                index, chunk = owner.pop(future.key)
                try:
                    results[index] = future.result()
                except Exception as error:  # noqa: BLE001 - worker lost, unpicklable function...
                    results[index] = _chunk_failed(chunk, error)
                done_queues += len(chunk)
                report(progress, description, done_queues, n_queues)
                following = submit_next()
                if following is not None:
                    queue_of_futures.add(following)
        finally:
            queue_of_futures.clear()
    return [results[i] for i in sorted(results)]


# --- assembling --------------------------------------------------------------------------------


def _assemble(
    names: list[str],
    collected: list[_ChunkOutcome],
    wall_seconds: float,
    backend: str,
    workers: int,
) -> PerQueueRun:
    outcomes = {o.queue: o for chunk in collected for o in chunk.outcomes}
    arity = next(
        (len(outcomes[q].frames) for q in names if outcomes[q].frames is not None),  # type: ignore[arg-type]
        1,
    )
    parts: list[list[pd.DataFrame]] = [[] for _ in range(arity)]
    failures = []
    for queue in names:
        outcome = outcomes[queue]
        if outcome.failure is not None:
            failures.append(outcome.failure)
        elif outcome.frames is not None and len(outcome.frames) != arity:
            failures.append(
                QueueFailure(
                    queue,
                    "TypeError",
                    f"per-queue function returned {len(outcome.frames)} frames "
                    f"for queue {queue!r}; "
                    f"expected {arity} like the queues before it",
                )
            )
        elif outcome.frames is not None:
            for part, result in zip(parts, outcome.frames, strict=True):
                part.append(result)
    frames = tuple(pd.concat(part, ignore_index=True) if part else pd.DataFrame() for part in parts)
    seconds = pd.Series(
        [outcomes[q].seconds for q in names],
        index=pd.Index(names, name="queue"),
        dtype="float64",
        name="seconds",
    )
    peaks: dict[str, int] = {}
    for chunk in collected:
        if chunk.worker and chunk.peak_memory_bytes is not None:
            peaks[chunk.worker] = max(peaks.get(chunk.worker, 0), chunk.peak_memory_bytes)
    return PerQueueRun(
        frames=frames,
        queues=tuple(names),
        failures=tuple(failures),
        queue_seconds=seconds,
        wall_seconds=float(wall_seconds),
        backend=backend,
        workers=workers,
        worker_peak_memory_bytes=peaks,
    )
