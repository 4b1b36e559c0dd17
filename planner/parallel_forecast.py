"""Forecasts and backtests queue by queue through :func:`planner.parallel.run_per_queue`.

Frame-level wrappers over the public API of :mod:`planner.forecast` for centres with many queues:
each queue is forecast (or backtested) on its own, on local cores or a Dask cluster, so a worker
holds one chunk of queues' fitted models at a time and sends back only frames.

What makes the per-queue runs agree with the whole-history ones:

- the forecast horizon starts at the interval after the last interval of the **whole** history (as
  :func:`planner.forecast.forecast_history` does), not of each queue: a queue closed on the last day
  is predicted from the same origin as the others;
- the backtest origins are computed once from the whole history
  (:func:`planner.forecast.backtest.default_origins`) and given to every queue.

One difference remains with ``method="auto"``: the backtest that chooses the method uses each
queue's own last Mondays (``forecast_history`` has no parameter for the origins of its automatic
choice). When every queue's history starts and ends on the same days (the usual ACD export) the
choice is the same as the whole-history run's; otherwise it can differ for the queues whose history
is shorter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.forecast import (
    AUTO_CANDIDATES,
    METHODS,
    BacktestResult,
    ForecastRun,
    MethodChoice,
    backtest,
    forecast_history,
    save_model,
)
from planner.forecast.backtest import HORIZONS, default_origins
from planner.parallel import PerQueueRun, run_per_queue
from planner.progress import ProgressCallback

__all__ = [
    "BacktestScaleOut",
    "ForecastScaleOut",
    "backtest_one_queue",
    "backtest_per_queue",
    "estimated_queue_seconds",
    "forecast_on_best_backend",
    "forecast_one_queue",
    "forecast_per_queue",
    "forecast_queue_seconds",
]

_CHOICE_COLUMNS = ("queue", "method", "reason", "scores_json", "model_path")

YEAR_ROWS_PER_QUEUE = 9_492
"""Rows per queue of the histories behind :data:`FIT_SECONDS_PER_YEAR` (a year of 30-minute
intervals, 14 open hours a day, some queues closed on Sundays)."""

FIT_SECONDS_PER_YEAR: dict[str, float] = {
    "auto": 2.0,
    "mean-last-weeks": 0.08,
    "same-slot-last-week": 0.03,
    "topdown": 0.5,
    "prophet": 16.5,
}
"""Seconds of one queue's ``forecast_history`` (validation, fit, predict; ``auto`` with the default
candidates, its backtest included) on :data:`YEAR_ROWS_PER_QUEUE` rows, measured together with
:data:`planner.parallel.POOL_STARTUP_SECONDS` by ``bench/bench_workers_default.py`` on the shared
2-core machine (auto 1.7-2.2, mean-last-weeks 0.04-0.13, same-slot-last-week 0.03, topdown 0.46,
Prophet 16.5 s). Only the ratio to the pool's start-up matters: they feed the default of
``workers`` (:func:`planner.parallel.resolve_workers`)."""


@dataclass(frozen=True)
class ForecastScaleOut:
    """Result of :func:`forecast_per_queue`.

    Attributes
    ----------
    forecast : ForecastRun
        ``frame`` (exactly ``FORECAST_COLUMNS``, queues in input order) and one ``MethodChoice``
        per successful queue; ``models`` is empty (the fitted models are never all held at once;
        pass ``models_dir`` to have each worker save its queues' models).
    model_paths : dict of str to Path
        Queue -> saved model file, when ``models_dir`` was given.
    run : PerQueueRun
        Failures ``(queue, error type, message)``, seconds per queue, backend.
    """

    forecast: ForecastRun
    model_paths: dict[str, Path]
    run: PerQueueRun


@dataclass(frozen=True)
class BacktestScaleOut:
    """Result of :func:`backtest_per_queue`: the ``BacktestResult`` and the per-queue run."""

    result: BacktestResult
    run: PerQueueRun


def estimated_queue_seconds(
    history: pd.DataFrame, methods: Sequence[str], *, fits_per_method: int = 1
) -> float:
    """Expected seconds of one queue's forecasts or backtests, for the default of ``workers``.

    ``sum(FIT_SECONDS_PER_YEAR[m] for m in methods) x fits_per_method``, scaled by the mean rows
    per queue of ``history`` over :data:`YEAR_ROWS_PER_QUEUE` (fit time taken as proportional to
    the history's length: an approximation). Methods without a figure count as ``auto``.

    Parameters
    ----------
    history : DataFrame
        Long history frame with a ``queue`` column.
    methods : sequence of str
        Method names; ``"auto"`` for the automatic choice among the default candidates.
    fits_per_method : int
        Fits of each method per queue (a backtest refits at every origin).

    Returns
    -------
    float
        Seconds, >= 0.
    """
    n_queues = history["queue"].nunique() if "queue" in history.columns else 0
    if not n_queues:
        return 0.0
    per_year = sum(FIT_SECONDS_PER_YEAR.get(m, FIT_SECONDS_PER_YEAR["auto"]) for m in methods)
    return per_year * max(fits_per_method, 1) * len(history) / n_queues / YEAR_ROWS_PER_QUEUE


def forecast_queue_seconds(
    history: pd.DataFrame,
    method: str = "auto",
    candidates: Sequence[str] = AUTO_CANDIDATES,
    auto_origins: int = 3,
) -> float:
    """Expected seconds of one queue's :func:`forecast_one_queue` (see
    :func:`estimated_queue_seconds`): the method's fit, or ``auto`` (its figure covers the default
    candidates) plus each other candidate fitted at each of its origins and once more."""
    if method != "auto":
        return estimated_queue_seconds(history, (method,))
    extra = tuple(c for c in candidates if c not in AUTO_CANDIDATES)
    return estimated_queue_seconds(history, ("auto",)) + estimated_queue_seconds(
        history, extra, fits_per_method=auto_origins + 1
    )


def forecast_one_queue(
    queue_frame: pd.DataFrame,
    *,
    horizon_days: int,
    last_start: pd.Timestamp,
    method: str,
    candidates: tuple[str, ...],
    auto_origins: int,
    country_holidays: str | None,
    special_days: Any,
    seed: int,
    models_dir: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast one queue (the task :func:`forecast_per_queue` sends to workers).

    Returns the forecast frame (``FORECAST_COLUMNS``) and a one-row choice frame
    (queue, method, reason, scores_json, model_path).
    """
    run = forecast_history(
        queue_frame,
        horizon_days,
        method=method,
        candidates=candidates,
        auto_origins=auto_origins,
        country_holidays=country_holidays,
        special_days=special_days,
        seed=seed,
    )
    (choice,) = run.choices
    model = run.models[choice.method]
    origin = last_start + pd.Timedelta(minutes=model.interval_minutes_)
    frame = run.frame
    own_origin = queue_frame["interval_start"].max() + pd.Timedelta(minutes=model.interval_minutes_)
    if own_origin != origin:
        # This queue's history ends before the others': forecast from the common origin.
        frame = model.predict(horizon_days, origin=origin).reset_index(drop=True)
    path = ""
    if models_dir is not None:
        path = str(save_model(model, choice.queue, models_dir, scores=choice.scores))
    choice_row = pd.DataFrame(
        {
            "queue": [choice.queue],
            "method": [choice.method],
            "reason": [choice.reason],
            "scores_json": [json.dumps(choice.scores)],
            "model_path": [path],
        }
    )
    return frame, choice_row


def forecast_per_queue(
    history: pd.DataFrame,
    horizon_days: int,
    *,
    method: str = "auto",
    candidates: Sequence[str] | None = None,
    auto_origins: int = 3,
    country_holidays: str | None = None,
    special_days: Any = None,
    seed: int = 0,
    models_dir: str | Path | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    chunk_queues: int | None = None,
    progress: ProgressCallback | None = None,
) -> ForecastScaleOut:
    """:func:`planner.forecast.forecast_history`, queue by queue on local cores or a Dask cluster.

    Parameters
    ----------
    history : DataFrame
        Long history frame (``queue``, tz-aware ``interval_start``, ``calls_offered``, optional
        ``aht_seconds``), sorted by (queue, interval_start); not modified.
    horizon_days, method, candidates, auto_origins, country_holidays, special_days, seed
        As for :func:`planner.forecast.forecast_history` (``candidates`` default
        :data:`planner.forecast.AUTO_CANDIDATES`).
    models_dir : path, optional
        Each worker saves its queues' fitted models here (``planner.forecast.save_model``). On a
        Dask cluster this must be a folder every worker can write and the client can read (a
        shared volume).
    workers, dask_address, chunk_queues, progress
        See :func:`planner.parallel.run_per_queue`; progress counts queues ("forecast"). Without
        ``workers`` or ``dask_address``, :func:`planner.parallel.resolve_workers` picks the cores
        or this process from :func:`estimated_queue_seconds`.

    Returns
    -------
    ForecastScaleOut
        The forecast of the successful queues and the failures by queue.
    """
    chosen = tuple(candidates) if candidates is not None else AUTO_CANDIDATES
    _check_methods(method, chosen, METHODS)
    last_start = _last_start(history)
    run = run_per_queue(
        forecast_one_queue,
        history,
        kwargs={
            "horizon_days": horizon_days,
            "last_start": last_start,
            "method": method,
            "candidates": chosen,
            "auto_origins": auto_origins,
            "country_holidays": country_holidays,
            "special_days": special_days,
            "seed": seed,
            "models_dir": None if models_dir is None else str(models_dir),
        },
        workers=workers,
        dask_address=dask_address,
        chunk_queues=chunk_queues,
        progress=progress,
        description="forecast",
        queue_seconds_estimate=forecast_queue_seconds(history, method, chosen, auto_origins),
    )
    _raise_if_every_queue_failed_alike(run)
    frame, choices_frame = run.frames if len(run.frames) == 2 else (run.frame, pd.DataFrame())
    choices = [
        MethodChoice(
            queue=str(row.queue),
            method=str(row.method),
            reason=str(row.reason),
            scores=json.loads(str(row.scores_json)),
        )
        for row in choices_frame.itertuples(index=False)
    ]
    paths = {
        str(row.queue): Path(str(row.model_path))
        for row in choices_frame.itertuples(index=False)
        if str(row.model_path)
    }
    return ForecastScaleOut(
        forecast=ForecastRun(frame=frame, choices=choices, models={}), model_paths=paths, run=run
    )


def forecast_on_best_backend(
    history: pd.DataFrame,
    horizon_days: int,
    *,
    method: str = "auto",
    candidates: Sequence[str] | None = None,
    auto_origins: int = 3,
    country_holidays: str | None = None,
    special_days: Any = None,
    seed: int = 0,
    models_dir: str | Path | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[ForecastRun, ForecastScaleOut | None]:
    """Forecast in this process when a pool would not pay off, else queue by queue.

    With neither ``workers`` nor ``dask_address`` given and :func:`planner.parallel.resolve_workers`
    choosing one process (few queues, fast methods), this is
    :func:`planner.forecast.forecast_history` on the whole history, exactly: its ``auto`` choice
    backtests on the whole history's origins. Otherwise it is :func:`forecast_per_queue`.
    Arguments as for :func:`forecast_per_queue`.

    Returns
    -------
    (ForecastRun, ForecastScaleOut or None)
        The forecast, and the per-queue run (failures, seconds per queue) when one was made; the
        caller decides what failed queues mean (``scaled.run.raise_for_failures()``). On the
        one-process path the fitted models are in ``ForecastRun.models``; on the per-queue path
        they were saved to ``models_dir`` by the workers.
    """
    from planner.parallel import resolve_workers

    chosen = tuple(candidates) if candidates is not None else AUTO_CANDIDATES
    if workers is None and not dask_address:
        estimate = forecast_queue_seconds(history, method, chosen, auto_origins)
        if resolve_workers(None, history["queue"].nunique(), queue_seconds_estimate=estimate) == 1:
            run = forecast_history(
                history,
                horizon_days,
                method=method,
                candidates=chosen,
                auto_origins=auto_origins,
                country_holidays=country_holidays,
                special_days=special_days,
                seed=seed,
                progress=progress,
            )
            return run, None
    scaled = forecast_per_queue(
        history,
        horizon_days,
        method=method,
        candidates=chosen,
        auto_origins=auto_origins,
        country_holidays=country_holidays,
        special_days=special_days,
        seed=seed,
        models_dir=models_dir,
        workers=workers,
        dask_address=dask_address or None,
        progress=progress,
    )
    return scaled.forecast, scaled


def backtest_one_queue(
    queue_frame: pd.DataFrame,
    *,
    methods: tuple[str, ...],
    origins: list[pd.Timestamp],
    horizons: tuple[str, ...],
    country_holidays: str | None,
    special_days: Any,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest one queue at the given origins; returns (scores, forecasts) frames."""
    result = backtest(
        queue_frame,
        methods,
        origins=origins,
        horizons=horizons,
        country_holidays=country_holidays,
        special_days=special_days,
        seed=seed,
    )
    return result.scores, result.forecasts


def backtest_per_queue(
    history: pd.DataFrame,
    methods: Sequence[str] = ("same-slot-last-week", "mean-last-weeks", "topdown"),
    *,
    n_origins: int = 5,
    horizons: tuple[str, ...] = ("day", "week1", "week2"),
    country_holidays: str | None = None,
    special_days: Any = None,
    seed: int = 0,
    workers: int | None = None,
    dask_address: str | None = None,
    chunk_queues: int | None = None,
    progress: ProgressCallback | None = None,
) -> BacktestScaleOut:
    """:func:`planner.forecast.backtest`, queue by queue, at origins common to every queue.

    The origins are the last ``n_origins`` Mondays of the whole history with the horizons' span of
    history after them (:func:`planner.forecast.backtest.default_origins`). ``scores`` rows are in
    the order the whole-history backtest gives (horizon, method, queue in input order); the
    ``forecasts`` rows are grouped by queue.

    Parameters
    ----------
    history : DataFrame
        Long history frame (all queues); not modified.
    methods : sequence of str
        Method names (see :data:`planner.forecast.METHODS`).
    n_origins, horizons, country_holidays, special_days, seed
        As for :func:`planner.forecast.backtest`.
    workers, dask_address, chunk_queues, progress
        See :func:`planner.parallel.run_per_queue`; progress counts queues ("backtest"). Without
        ``workers`` or ``dask_address``, :func:`planner.parallel.resolve_workers` picks the cores
        or this process from :func:`estimated_queue_seconds` (each method refit at each origin).
    """
    names = tuple(methods)
    if not names:
        raise InputError("methods must name at least one method, got none")
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        raise InputError(f"methods must name methods in {sorted(METHODS)}, got {unknown}")
    bad = [h for h in horizons if h not in HORIZONS]
    if bad or not horizons:
        raise InputError(
            f"horizons must be a non-empty subset of {list(HORIZONS)}, got {list(horizons)}"
        )
    _last_start(history)
    span_days = max(HORIZONS[h][1] for h in horizons)
    origins = default_origins(history, n_origins, span_days)
    run = run_per_queue(
        backtest_one_queue,
        history,
        kwargs={
            "methods": names,
            "origins": origins,
            "horizons": tuple(horizons),
            "country_holidays": country_holidays,
            "special_days": special_days,
            "seed": seed,
        },
        workers=workers,
        dask_address=dask_address,
        chunk_queues=chunk_queues,
        progress=progress,
        description="backtest",
        queue_seconds_estimate=estimated_queue_seconds(
            history, names, fits_per_method=len(origins)
        ),
    )
    _raise_if_every_queue_failed_alike(run)
    scores, forecasts = run.frames if len(run.frames) == 2 else (run.frame, pd.DataFrame())
    if len(scores):
        horizon_rank = scores["horizon"].map({h: i for i, h in enumerate(horizons)})
        method_rank = scores["method"].map({m: i for i, m in enumerate(names)})
        queue_rank = scores["queue"].map({q: i for i, q in enumerate(run.queues)})
        order = np.lexsort((queue_rank.to_numpy(), method_rank.to_numpy(), horizon_rank.to_numpy()))
        scores = scores.iloc[order].reset_index(drop=True)
    return BacktestScaleOut(
        result=BacktestResult(scores=scores, forecasts=forecasts, origins=list(origins)), run=run
    )


def _check_methods(method: str, candidates: tuple[str, ...], methods: Any) -> None:
    if method != "auto" and method not in methods:
        raise InputError(f"method must be 'auto' or one of {sorted(methods)}, got {method!r}")
    for name in candidates:
        if name not in methods:
            raise InputError(f"candidates must name methods in {sorted(methods)}, got {name!r}")


def _last_start(history: pd.DataFrame) -> pd.Timestamp:
    if not isinstance(history, pd.DataFrame):
        raise InputError(f"history must be a pandas DataFrame, got {type(history).__name__}")
    if "interval_start" not in history.columns:
        raise InputError(
            f"history: column 'interval_start' is missing, got columns {list(history.columns)}"
        )
    if history.empty:
        raise InputError("history: calls_offered has no rows, expected at least one week")
    return history["interval_start"].max()


def _raise_if_every_queue_failed_alike(run: PerQueueRun) -> None:
    """When every queue failed with the same planner error, it is the input's: raise it as is."""
    run.raise_for_failures(only_if_all_alike=True)
