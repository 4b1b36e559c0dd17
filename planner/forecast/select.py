"""The frame-level entry point: forecast a history with a named method or the automatic choice.

``method="auto"`` backtests the candidate methods on the last ``auto_origins`` week starts (days
1-14 ahead) and takes, per queue, the one with the lowest WAPE over both weeks; the run records the
choice and the scores behind it. The default candidates are the fast methods (top-down and the two
baselines); add "prophet" to ``candidates`` to let Prophet compete (slower: one fit per origin).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.errors import InputError
from planner.forecast.backtest import METHODS, backtest, make_method
from planner.forecast.base import ForecastMethod, QueuePrediction
from planner.forecast.calendar import FutureDays, QueueGrid, SpecialDays
from planner.io import validate_history
from planner.progress import ProgressCallback, report
from planner.schema import FORECAST_COLUMNS

__all__ = ["AUTO_CANDIDATES", "AutoForecaster", "ForecastRun", "MethodChoice", "forecast_history"]

AUTO_CANDIDATES = ("topdown", "mean-last-weeks", "same-slot-last-week")
"""Methods ``auto`` compares by default."""


@dataclass
class MethodChoice:
    """Which method forecast a queue, and why.

    Attributes
    ----------
    queue
        Queue name.
    method
        Method name (see :data:`planner.forecast.backtest.METHODS`).
    reason
        One sentence for people.
    scores
        Backtest WAPE (fraction) per candidate method and horizon, e.g.
        ``{"topdown": {"week1": 0.076, "week2": 0.078}}``; empty when the method was given.
    """

    queue: str
    method: str
    reason: str
    scores: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class ForecastRun:
    """Result of :func:`forecast_history`.

    Attributes
    ----------
    frame
        Exactly ``FORECAST_COLUMNS``, sorted by (queue, interval_start).
    choices
        One :class:`MethodChoice` per queue.
    models
        The fitted methods by method name (each fitted on the queues that chose it).
    """

    frame: pd.DataFrame
    choices: list[MethodChoice]
    models: dict[str, ForecastMethod] = field(default_factory=dict)

    def choices_frame(self) -> pd.DataFrame:
        """Choices as a frame: queue, method, reason, and ``wape_<horizon>_<method>`` columns."""
        rows = []
        for choice in self.choices:
            row: dict[str, Any] = {
                "queue": choice.queue,
                "method": choice.method,
                "reason": choice.reason,
            }
            for method, by_h in choice.scores.items():
                for horizon, value in by_h.items():
                    row[f"wape_{horizon}_{method}"] = value
            rows.append(row)
        return pd.DataFrame(rows)


class AutoForecaster(ForecastMethod):
    """Per queue, the candidate method with the lowest backtest WAPE (see the module docstring).

    ``fit`` backtests ``candidates`` on the last ``auto_origins`` week starts of the history (days
    1-14 ahead), records a :class:`MethodChoice` per queue in ``choices_``, and fits each chosen
    method on its queues (``models_``); ``predict`` returns their forecasts, each row labelled
    with the method that made it. With too little history to backtest, it uses "mean-last-weeks".

    Parameters
    ----------
    candidates
        Method names to compare.
    auto_origins
        Number of weekly backtest origins.
    seed
        Seed of Prophet's uncertainty draws (when Prophet is a candidate).
    interval_level, country_holidays, special_days
        See :class:`planner.forecast.base.ForecastMethod`.
    """

    name = "auto"

    def __init__(
        self,
        *,
        candidates: tuple[str, ...] = AUTO_CANDIDATES,
        auto_origins: int = 3,
        seed: int = 0,
        interval_level: float = 0.8,
        country_holidays: str | None = None,
        special_days: SpecialDays = None,
    ) -> None:
        super().__init__(
            interval_level=interval_level,
            country_holidays=country_holidays,
            special_days=special_days,
        )
        self.candidates = candidates
        self.auto_origins = auto_origins
        self.seed = seed

    def fit(
        self, history: pd.DataFrame, progress: ProgressCallback | None = None
    ) -> AutoForecaster:
        """Choose and fit a method per queue; returns ``self``."""
        frame = validate_history(history, source="history").frame
        for name in self.candidates:
            if name not in METHODS:
                raise InputError(f"candidates must name methods in {sorted(METHODS)}, got {name!r}")
        queues = [str(q) for q in pd.unique(frame["queue"])]
        choices = _auto_choices(
            frame,
            queues,
            tuple(self.candidates),
            int(self.auto_origins),
            self.country_holidays,
            self.special_days,
            int(self.seed),
            progress,
        )
        by_method: dict[str, list[str]] = {}
        for queue in queues:
            by_method.setdefault(choices[queue].method, []).append(queue)
        self.models_: dict[str, ForecastMethod] = {}
        self.grids_ = {}
        self.states_ = {}
        self.aht_ = {}
        for name, qs in by_method.items():
            model = make_method(
                name,
                country_holidays=self.country_holidays,
                special_days=self.special_days,
                seed=int(self.seed),
                interval_level=self.interval_level,
            )
            model.fit(frame.loc[frame["queue"].isin(qs)])
            self.models_[name] = model
            for queue in qs:
                self.grids_[queue] = model.grids_[queue]
                self.states_[queue] = name
                self.aht_[queue] = model.aht_[queue]
        self.choices_ = [choices[q] for q in queues]
        self.interval_minutes_ = next(iter(self.models_.values())).interval_minutes_
        self.last_start_ = max(g.last_start for g in self.grids_.values())
        return self

    def _fit_queue(self, grid: QueueGrid) -> str:
        return self.states_[grid.queue]

    def _predict_queue(self, state: str, grid: QueueGrid, fut: FutureDays) -> QueuePrediction:
        model = self.models_[state]
        return model._predict_queue(model.states_[grid.queue], grid, fut)

    def _queue_frame(self, queue: str, grid: QueueGrid, fut: FutureDays) -> pd.DataFrame:
        model = self.models_[self.states_[queue]]
        return model._queue_frame(queue, grid, fut)


def forecast_history(
    history: pd.DataFrame,
    horizon_days: int,
    *,
    method: str = "auto",
    candidates: tuple[str, ...] = AUTO_CANDIDATES,
    auto_origins: int = 3,
    country_holidays: str | None = None,
    special_days: SpecialDays = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> ForecastRun:
    """Forecast every queue of ``history`` for ``horizon_days`` days.

    Parameters
    ----------
    history
        Long history frame (``queue``, tz-aware ``interval_start``, ``calls_offered``, optional
        ``aht_seconds``, ...); not modified.
    horizon_days
        Days to forecast; the horizon starts at the interval after the last history interval.
    method
        "auto" or a name in :data:`planner.forecast.backtest.METHODS`.
    candidates
        Methods ``auto`` compares.
    auto_origins
        Weekly origins of the ``auto`` backtest (fewer when the history is short; with less than
        4 weeks before the latest possible origin, ``auto`` falls back to "mean-last-weeks").
    country_holidays
        Country code for the ``holidays`` package (e.g. "US", "GB"), or None.
    special_days
        Extra holidays (see :data:`planner.forecast.calendar.SpecialDays`).
    seed
        Seed of Prophet's uncertainty draws (the only randomness).
    progress
        Optional progress callback.

    Returns
    -------
    ForecastRun
        ``frame`` holds one row per open future interval; closed hours and days have no row.
        ``aht_seconds_forecast`` is NaN when the history has no AHT (staffing then needs one).
    """
    frame = validate_history(history, source="history").frame
    queues = [str(q) for q in pd.unique(frame["queue"])]
    if method != "auto" and method not in METHODS:
        raise InputError(f"method must be 'auto' or one of {sorted(METHODS)}, got {method!r}")
    for name in candidates:
        if name not in METHODS:
            raise InputError(f"candidates must name methods in {sorted(METHODS)}, got {name!r}")

    origin = frame["interval_start"].max()
    if method == "auto":
        auto = AutoForecaster(
            candidates=tuple(candidates),
            auto_origins=auto_origins,
            seed=seed,
            country_holidays=country_holidays,
            special_days=special_days,
        )
        auto.fit(frame, progress=progress)
        choices = {c.queue: c for c in auto.choices_}
        models = dict(auto.models_)
        model: ForecastMethod = auto
    else:
        model = make_method(
            method, country_holidays=country_holidays, special_days=special_days, seed=seed
        )
        model.fit(frame)
        choices = {q: MethodChoice(queue=q, method=method, reason="method given") for q in queues}
        models = {method: model}
    report(progress, "forecast", 0, 1)
    origin = origin + pd.Timedelta(minutes=model.interval_minutes_)
    frames = [model.predict(horizon_days, origin=origin)]
    report(progress, "forecast", 1, 1)
    out = (
        pd.concat(frames, ignore_index=True)
        .sort_values(["queue", "interval_start"], kind="stable")
        .reset_index(drop=True)
        .loc[:, list(FORECAST_COLUMNS)]
    )
    return ForecastRun(frame=out, choices=[choices[q] for q in queues], models=models)


def _auto_choices(
    frame: pd.DataFrame,
    queues: list[str],
    candidates: tuple[str, ...],
    auto_origins: int,
    country_holidays: str | None,
    special_days: SpecialDays,
    seed: int,
    progress: ProgressCallback | None,
) -> dict[str, MethodChoice]:
    if not candidates:
        raise InputError("candidates must name at least one method, got none")
    try:
        result = backtest(
            frame,
            candidates,
            n_origins=auto_origins,
            horizons=("week1", "week2"),
            country_holidays=country_holidays,
            special_days=special_days,
            seed=seed,
            progress=progress,
        )
    except InputError as error:
        fallback = "mean-last-weeks"
        return {
            q: MethodChoice(
                queue=q,
                method=fallback,
                reason=f"history too short to backtest ({error}); used {fallback}",
            )
            for q in queues
        }
    scores = result.scores.loc[result.scores["level"] == "interval"]
    out = {}
    for queue in queues:
        sub = scores.loc[scores["queue"] == queue]
        table: dict[str, dict[str, float]] = {}
        for row in sub.itertuples(index=False):
            table.setdefault(str(row.method), {})[str(row.horizon)] = float(row.wape)
        overall = {
            m: sum(v.values()) / len(v)
            for m, v in table.items()
            if v and all(pd.notna(list(v.values())))
        }
        if not overall:
            out[queue] = MethodChoice(
                queue=queue,
                method="mean-last-weeks",
                reason="no backtest score for this queue; used mean-last-weeks",
                scores=table,
            )
            continue
        best = min(overall, key=lambda m: (overall[m], candidates.index(m)))
        ranking = ", ".join(
            f"{m} {100 * overall[m]:.1f} %" for m in sorted(overall, key=lambda m: overall[m])
        )
        out[queue] = MethodChoice(
            queue=queue,
            method=best,
            reason=(
                f"lowest mean WAPE over weeks 1 and 2 on {result.scores['n_origins'].max()} weekly "
                f"backtest origins: {ranking}"
            ),
            scores=table,
        )
    return out
