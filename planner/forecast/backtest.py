"""Rolling-origin backtests of the forecasting methods.

Origins are week starts (Monday 00:00 local time). At each origin every method is fitted on the
history before it and forecasts the next 14 days; the forecast is scored against the history
after the origin on three horizons: ``"day"`` (the origin's day), ``"week1"`` (days 1-7 ahead) and
``"week2"`` (days 8-14 ahead). Days with no history rows at all (holidays, outages) are not scored;
on an open day a slot without a row counts 0 actual calls.

Scores per (queue, method, horizon) and level ``interval`` / ``day`` / ``week`` (sums per local
day, or per origin and horizon), pooled over origins:
- ``wape``: sum |forecast - actual| / sum actual (a fraction);
- ``bias``: sum (forecast - actual) / sum actual (a fraction; > 0 over-forecasts);
- ``mase``: mean |forecast - actual| divided by the in-sample mean absolute change from the same
  slot (day, week) one week earlier, measured on the history before each origin; NaN where that
  change is 0 (a history that never changes week on week gives no scale to divide by);
- ``coverage`` (interval level only): fraction of actuals inside [calls_lower, calls_upper].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.forecast.base import ForecastMethod
from planner.forecast.baselines import MeanLastWeeks, SameSlotLastWeek
from planner.forecast.calendar import QueueGrid, SpecialDays
from planner.forecast.prophet_model import ProphetForecaster
from planner.forecast.topdown import TopDown
from planner.io import validate_history
from planner.progress import ProgressCallback, report

__all__ = [
    "HORIZONS",
    "METHODS",
    "BacktestResult",
    "backtest",
    "default_origins",
    "make_method",
]

METHODS: dict[str, type[ForecastMethod]] = {
    "same-slot-last-week": SameSlotLastWeek,
    "mean-last-weeks": MeanLastWeeks,
    "topdown": TopDown,
    "prophet": ProphetForecaster,
}
"""Method name -> class; the names are the CLI's ``--method`` values."""

HORIZONS: dict[str, tuple[int, int]] = {"day": (0, 1), "week1": (0, 7), "week2": (7, 14)}
"""Horizon name -> (first day, end day) after the origin, in days."""

_MIN_WEEKS_BEFORE_ORIGIN = 4


def make_method(
    name: str,
    *,
    country_holidays: str | None = None,
    special_days: SpecialDays = None,
    seed: int = 0,
    **params: Any,
) -> ForecastMethod:
    """A fresh, unfitted method by its name (see :data:`METHODS`)."""
    if name not in METHODS:
        raise InputError(f"method must be one of {sorted(METHODS)} or 'auto', got {name!r}")
    cls = METHODS[name]
    if cls is ProphetForecaster:
        params.setdefault("seed", seed)
    return cls(country_holidays=country_holidays, special_days=special_days, **params)


def _clone(method: ForecastMethod) -> ForecastMethod:
    return type(method)(**method.get_params())


@dataclass
class BacktestResult:
    """Scores and the scored forecasts of a backtest.

    Attributes
    ----------
    scores
        One row per (queue, method, horizon, level): ``wape``, ``bias``, ``mase``, ``coverage``
        (fractions; coverage NaN except at interval level), ``actual_calls``, ``n_origins``.
    forecasts
        Every scored interval: queue, method, origin, interval_start, calls_forecast,
        calls_lower, calls_upper, calls_actual.
    origins
        The origins used (tz-aware).
    """

    scores: pd.DataFrame
    forecasts: pd.DataFrame
    origins: list[pd.Timestamp] = field(default_factory=list)

    def table(self, level: str = "interval", score: str = "wape") -> pd.DataFrame:
        """Scores as a (queue, method) x horizon table at ``level``."""
        sub = self.scores.loc[self.scores["level"] == level]
        return sub.pivot_table(
            index=["queue", "method"], columns="horizon", values=score, sort=False
        )


def default_origins(
    history: pd.DataFrame, n_origins: int, span_days: int = 14
) -> list[pd.Timestamp]:
    """The last ``n_origins`` Mondays (00:00 local) with ``span_days`` of history after them.

    Raises
    ------
    InputError
        When the history is too short for even one origin with 4 weeks of history before it.
    """
    starts = history["interval_start"]
    tz = starts.dt.tz
    local_first = starts.min().tz_convert(tz).tz_localize(None).normalize()
    local_last = starts.max().tz_convert(tz).tz_localize(None).normalize()
    latest = local_last + pd.Timedelta(days=1) - pd.Timedelta(days=span_days)
    latest = latest - pd.Timedelta(days=latest.day_of_week)
    earliest = local_first + pd.Timedelta(weeks=_MIN_WEEKS_BEFORE_ORIGIN)
    out: list[pd.Timestamp] = []
    day = latest
    while day >= earliest and len(out) < n_origins:
        out.append(day.tz_localize(tz))
        day -= pd.Timedelta(weeks=1)
    if not out:
        raise InputError(
            f"history: spans {local_first.date()} to {local_last.date()}, "
            f"a backtest needs at least "
            f"{_MIN_WEEKS_BEFORE_ORIGIN} weeks before an origin and {span_days} days after it"
        )
    return sorted(out)


def _origins(
    history: pd.DataFrame, origins: Any, n_origins: int, span_days: int
) -> list[pd.Timestamp]:
    if origins is None:
        return default_origins(history, n_origins, span_days)
    tz = history["interval_start"].dt.tz
    out = []
    for value in origins:
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError) as error:
            raise InputError(f"origins: every origin must be a date, got {value!r}") from error
        stamp = stamp.tz_localize(tz) if stamp.tzinfo is None else stamp.tz_convert(tz)
        out.append(stamp)
    if not out:
        raise InputError("origins must hold at least one date, got none")
    return sorted(out)


def _naive_scales(grid: QueueGrid) -> dict[str, float]:
    """In-sample mean absolute weekly-naive change per level (interval, day, week) of a grid."""
    calls = grid.calls
    both = grid.observed[7:] & grid.observed[:-7]
    out = {}
    diff = np.abs(calls[7:][both] - calls[:-7][both])
    out["interval"] = float(diff.mean()) if diff.size else np.nan
    totals = np.nansum(calls, axis=1)
    out["day"] = (
        float(np.abs(totals[7:][both] - totals[:-7][both]).mean()) if both.any() else np.nan
    )
    n_weeks = grid.n_days // 7
    if n_weeks >= 2:
        weekly = totals[grid.n_days - 7 * n_weeks :].reshape(n_weeks, 7).sum(axis=1)
        out["week"] = float(np.abs(np.diff(weekly)).mean())
    else:
        out["week"] = np.nan
    return out


def _score_rows(frame: pd.DataFrame, level: str) -> dict[str, float]:
    f = frame["calls_forecast"].to_numpy(dtype=float)
    a = frame["calls_actual"].to_numpy(dtype=float)
    total = a.sum()
    err = f - a
    scale = frame["scale"].to_numpy(dtype=float)
    # MASE is undefined where the in-sample naive change is 0 (a queue whose history never
    # changed from one week to the next, e.g. all zeros) or unknown (NaN): such rows score NaN
    # instead of inf, and a group with no defined row has MASE NaN.
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(scale > 0, np.abs(err) / scale, np.nan)
    out = {
        "wape": float(np.abs(err).sum() / total) if total > 0 else np.nan,
        "bias": float(err.sum() / total) if total > 0 else np.nan,
        "mase": float(np.nanmean(scaled)) if np.isfinite(scaled).any() else np.nan,
        "coverage": np.nan,
        "actual_calls": float(total),
    }
    if level == "interval":
        inside = (a >= frame["calls_lower"].to_numpy()) & (a <= frame["calls_upper"].to_numpy())
        out["coverage"] = float(inside.mean()) if inside.size else np.nan
    return out


def backtest(
    history: pd.DataFrame,
    methods: Sequence[str | ForecastMethod] | Mapping[str, str | ForecastMethod] = (
        "same-slot-last-week",
        "mean-last-weeks",
        "topdown",
    ),
    *,
    origins: list[Any] | None = None,
    n_origins: int = 5,
    horizons: tuple[str, ...] = ("day", "week1", "week2"),
    country_holidays: str | None = None,
    special_days: SpecialDays = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of ``methods`` on ``history`` (see the module docstring).

    Parameters
    ----------
    history
        Long history frame (all queues).
    methods
        Method names (see :data:`METHODS`) or unfitted method instances (cloned per origin), or a
        mapping label -> name or instance to compare variants of one method; scores are labelled
        by the label (default the method's name).
    origins
        Origins as dates (local midnight) or tz-aware timestamps; default the last ``n_origins``
        Mondays with 14 days of history after them.
    n_origins
        Number of default origins.
    horizons
        Any of "day", "week1", "week2".
    country_holidays, special_days, seed
        Passed to methods given by name.
    progress
        Optional progress callback.

    Returns
    -------
    BacktestResult
    """
    # Validating infers the interval length too, so an unusable one fails before any fit.
    frame = validate_history(history, source="history").frame
    unknown = [h for h in horizons if h not in HORIZONS]
    if unknown or not horizons:
        raise InputError(
            f"horizons must be a non-empty subset of {list(HORIZONS)}, got {list(horizons)}"
        )
    if not methods:
        raise InputError("methods must name at least one method, got none")
    span_days = max(HORIZONS[h][1] for h in horizons)
    origin_list = _origins(frame, origins, n_origins, span_days)
    tz = frame["interval_start"].dt.tz
    local_day = frame["interval_start"].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()

    labelled = (
        list(methods.items())
        if isinstance(methods, Mapping)
        else [(m if isinstance(m, str) else m.name, m) for m in methods]
    )
    prototypes: list[tuple[str, ForecastMethod]] = []
    for label, m in labelled:
        if any(label == seen for seen, _ in prototypes):
            raise InputError(
                f"methods: label {label!r} appears twice; pass a mapping label -> method"
            )
        proto = (
            make_method(m, country_holidays=country_holidays, special_days=special_days, seed=seed)
            if isinstance(m, str)
            else m
        )
        if not isinstance(proto, ForecastMethod):
            raise InputError(
                f"methods: {label!r} must be a method name or ForecastMethod, got {m!r}"
            )
        prototypes.append((str(label), proto))
    total = len(origin_list) * len(prototypes)
    done = 0
    report(progress, "backtest", done, total)
    scored = []
    for origin in origin_list:
        past = frame.loc[frame["interval_start"] < origin]
        end = origin + pd.Timedelta(days=span_days)
        future_mask = (frame["interval_start"] >= origin) & (frame["interval_start"] < end)
        actual = frame.loc[future_mask, ["queue", "interval_start", "calls_offered"]]
        actual_days = (
            pd.DataFrame({"queue": frame.loc[future_mask, "queue"], "day": local_day[future_mask]})
            .drop_duplicates()
            .reset_index(drop=True)
        )
        if past.empty:
            raise InputError(f"origins: no history before origin {origin}")
        for label, proto in prototypes:
            method = _clone(proto)
            method.fit(past)
            fc = method.predict(span_days, origin=origin)
            merged = fc.merge(actual, on=["queue", "interval_start"], how="outer")
            merged["method"] = label
            merged["calls_actual"] = merged.pop("calls_offered").fillna(0.0)
            for column in ("calls_forecast", "calls_lower", "calls_upper"):
                merged[column] = merged[column].fillna(0.0)
            local = merged["interval_start"].dt.tz_convert(tz).dt.tz_localize(None)
            merged["day"] = local.dt.normalize()
            merged = merged.merge(actual_days, on=["queue", "day"], how="inner")
            merged["origin"] = origin
            merged["days_ahead"] = (
                (merged["interval_start"] - origin).dt.total_seconds() // 86400
            ).astype(int)
            scales = {q: _naive_scales(g) for q, g in method.grids_.items()}
            for level in ("interval", "day", "week"):
                merged[f"scale_{level}"] = merged["queue"].map(
                    {q: by_level[level] for q, by_level in scales.items()}
                )
            scored.append(merged)
            done += 1
            report(progress, "backtest", done, total)

    allf = pd.concat(scored, ignore_index=True)
    rows = []
    for horizon in horizons:
        lo, hi = HORIZONS[horizon]
        part = allf.loc[(allf["days_ahead"] >= lo) & (allf["days_ahead"] < hi)]
        for (queue, method_name), grp in part.groupby(["queue", "method"], sort=False):
            n_orig = grp["origin"].nunique()
            inter = grp.assign(scale=grp["scale_interval"])
            rows.append(
                {
                    "queue": queue,
                    "method": method_name,
                    "horizon": horizon,
                    "level": "interval",
                    **_score_rows(inter, "interval"),
                    "n_origins": n_orig,
                }
            )
            day = grp.groupby(["origin", "day"], sort=False).agg(
                calls_forecast=("calls_forecast", "sum"),
                calls_actual=("calls_actual", "sum"),
                scale=("scale_day", "first"),
            )
            rows.append(
                {
                    "queue": queue,
                    "method": method_name,
                    "horizon": horizon,
                    "level": "day",
                    **_score_rows(day, "day"),
                    "n_origins": n_orig,
                }
            )
            week = grp.groupby("origin", sort=False).agg(
                calls_forecast=("calls_forecast", "sum"),
                calls_actual=("calls_actual", "sum"),
                scale=("scale_week", "first"),
            )
            rows.append(
                {
                    "queue": queue,
                    "method": method_name,
                    "horizon": horizon,
                    "level": "week",
                    **_score_rows(week, "week"),
                    "n_origins": n_orig,
                }
            )
    scores = pd.DataFrame(rows)
    forecasts = allf.loc[
        :,
        [
            "queue",
            "method",
            "origin",
            "interval_start",
            "calls_forecast",
            "calls_lower",
            "calls_upper",
            "calls_actual",
        ],
    ].reset_index(drop=True)
    return BacktestResult(scores=scores, forecasts=forecasts, origins=origin_list)
