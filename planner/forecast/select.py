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
from planner.forecast.base import ForecastMethod, validate_history
from planner.forecast.calendar import SpecialDays
from planner.progress import ProgressCallback, report
from planner.schema import FORECAST_COLUMNS

__all__ = ["AUTO_CANDIDATES", "ForecastRun", "MethodChoice", "forecast_history"]

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
    frame = validate_history(history)
    queues = [str(q) for q in pd.unique(frame["queue"])]
    if method != "auto" and method not in METHODS:
        raise InputError(f"method must be 'auto' or one of {sorted(METHODS)}, got {method!r}")
    for name in candidates:
        if name not in METHODS:
            raise InputError(f"candidates must name methods in {sorted(METHODS)}, got {name!r}")

    choices: dict[str, MethodChoice] = {}
    if method != "auto":
        for queue in queues:
            choices[queue] = MethodChoice(queue=queue, method=method, reason="method given")
    else:
        choices = _auto_choices(
            frame, queues, candidates, auto_origins, country_holidays, special_days, seed, progress
        )

    by_method: dict[str, list[str]] = {}
    for queue in queues:
        by_method.setdefault(choices[queue].method, []).append(queue)
    frames = []
    models: dict[str, ForecastMethod] = {}
    for i, (name, qs) in enumerate(by_method.items()):
        report(progress, "forecast", i, len(by_method))
        model = make_method(
            name, country_holidays=country_holidays, special_days=special_days, seed=seed
        )
        model.fit(frame.loc[frame["queue"].isin(qs)])
        origin = frame["interval_start"].max() + pd.Timedelta(minutes=model.interval_minutes_)
        frames.append(model.predict(horizon_days, origin=origin))
        models[name] = model
    report(progress, "forecast", len(by_method), len(by_method))
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
            m: sum(v.values()) / len(v) for m, v in table.items() if v and all(pd.notna(list(v.values())))
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
        ranking = ", ".join(f"{m} {100 * overall[m]:.1f} %" for m in sorted(overall, key=overall.get))
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
