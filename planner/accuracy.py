"""Forecast against actual: how wrong the forecast was, and why the service level missed.

:func:`forecast_accuracy` joins a saved forecast (a forecast frame, or a version saved by
:mod:`planner.forecast.versions`) with the actual interval history and reports:

* **volume and AHT accuracy** per interval, day and week and per queue: WAPE
  ``sum|f - a| / sum a``, bias ``sum(f - a) / sum a`` (positive: over-forecast) and MASE (mean
  absolute error over the mean absolute error of the weekly seasonal-naive forecast, "same slot a
  week earlier", measured on the history before the forecast starts, as in
  :mod:`planner.forecast.backtest`); AHT WAPE and bias weighted by actual calls;
* **planned against achieved KPIs** per day (when the plan's agents are given): the service
  level, ASA and abandonment the plan predicted (:func:`planner.evaluate.evaluate_plan`) next to
  those the history records (``answered_within_target / calls_offered`` etc.);
* **the day's service-level miss broken down**: the plan is re-evaluated with the actual volume,
  then also the actual AHT, then also the actual staffing (``agents_staffed``); the steps give the
  volume effect, the AHT effect and the staffing gap, and what remains between that last model
  value and the achieved service level is the residual (the model, intraday patterns, routing,
  adherence). The four add up to achieved minus planned exactly.

The comparison covers the intervals both frames span (per queue, from the later first interval to
the earlier last one); inside that span an interval missing from one side counts as zero calls
there (a closed interval in the history, or an interval the forecast said would be closed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner._params import PatienceSeconds, check_patience, patience_by_row
from planner.errors import InputError
from planner.evaluate import (
    ALL_QUEUES,
    _check_fraction,
    _check_interval_start,
    _with_queue,
    calendar_keys,
    evaluate_plan,
    group_codes,
    join_plan,
    productive_agents,
    resolve_interval_minutes,
)

__all__ = [
    "ACCURACY_INTERVAL_COLUMNS",
    "DECOMPOSITION_COLUMNS",
    "AccuracyReport",
    "forecast_accuracy",
    "load_forecast",
]

ACCURACY_INTERVAL_COLUMNS = (
    "queue",
    "interval_start",
    "calls_forecast",
    "calls_actual",
    "calls_error",
    "aht_seconds_forecast",
    "aht_seconds_actual",
)
"""Columns of :attr:`AccuracyReport.intervals`."""

SCORE_COLUMNS = (
    "queue",
    "level",
    "periods",
    "calls_forecast",
    "calls_actual",
    "wape",
    "bias",
    "mase",
    "naive_scale",
    "aht_wape",
    "aht_bias",
)
"""Columns of :attr:`AccuracyReport.scores`."""

DECOMPOSITION_COLUMNS = (
    "queue",
    "day",
    "calls_forecast",
    "calls_actual",
    "service_level_planned",
    "service_level_actual_volume",
    "service_level_actual_volume_aht",
    "service_level_actual_staffing",
    "service_level_achieved",
    "volume_effect",
    "aht_effect",
    "staffing_effect",
    "residual",
    "asa_seconds_planned",
    "asa_seconds_achieved",
    "abandon_rate_planned",
    "abandon_rate_achieved",
)
"""Columns of :attr:`AccuracyReport.planned_vs_achieved`."""

LEVELS = ("interval", "day", "week")


@dataclass(frozen=True)
class AccuracyReport:
    """What :func:`forecast_accuracy` returns.

    Attributes
    ----------
    intervals
        The joined intervals, columns :data:`ACCURACY_INTERVAL_COLUMNS` (``calls_error`` is
        forecast minus actual; ``aht_seconds_actual`` NaN where the history has none).
    scores
        Columns :data:`SCORE_COLUMNS`: one row per queue (and ``all queues``) and level
        (``interval``, ``day``, ``week``). MASE is the mean of each period's absolute error
        divided by its own queue's ``naive_scale`` (so the ``all queues`` row, whose
        ``naive_scale`` is NaN, averages errors scaled queue by queue); NaN where a queue has no
        in-sample history before the forecast or its ``naive_scale`` is 0.
    daily, weekly
        Per (``queue``, ``day``) / (``queue``, ``week_start``): ``calls_forecast``,
        ``calls_actual``, ``calls_error``, ``wape`` and ``bias`` over the intervals inside.
    planned_vs_achieved
        Columns :data:`DECOMPOSITION_COLUMNS`, one row per (``queue``, ``day``); None when no
        plan (agents) was given. Steps that the history cannot support are NaN (see ``notes``).
    notes
        What was left out and why, in planner words.
    """

    intervals: pd.DataFrame
    scores: pd.DataFrame
    daily: pd.DataFrame
    weekly: pd.DataFrame
    planned_vs_achieved: pd.DataFrame | None
    notes: tuple[str, ...]
    interval_minutes: int


def load_forecast(source: str, models_dir: str = "models") -> pd.DataFrame:
    """A forecast frame from a file (CSV / Parquet) or from a saved forecast version id.

    Parameters
    ----------
    source
        Path of a forecast file, or the id of a version saved under ``models_dir`` by
        :func:`planner.forecast.versions.save_forecast_version`.
    models_dir
        Models folder holding ``forecasts/<id>/``.
    """
    from pathlib import Path

    from planner.io import read_forecast

    if Path(source).is_file():
        return read_forecast(source)
    from planner.forecast.versions import load_forecast_version

    return load_forecast_version(source, models_dir).frame


def _history_columns(history: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validated copy of the history columns used here (``calls_offered`` required)."""
    frame = _with_queue(history)
    _check_interval_start(frame, source)
    if "calls_offered" not in frame.columns:
        raise InputError(
            f"{source}: column calls_offered is missing; got columns {list(history.columns)}"
        )
    if frame.duplicated(subset=["queue", "interval_start"]).any():
        row = int(np.flatnonzero(frame.duplicated(subset=["queue", "interval_start"]))[0])
        raise InputError(
            f"{source} row {row + 1}: (queue, interval_start) appears twice; expected one row per "
            "interval"
        )
    out = frame.loc[:, ["queue", "interval_start"]].reset_index(drop=True)
    for column in (
        "calls_offered",
        "aht_seconds",
        "calls_answered",
        "calls_abandoned",
        "answered_within_target",
        "agents_staffed",
        "asa_seconds",
    ):
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, copy=True)
        bad = (np.isnan(values) & frame[column].notna().to_numpy()) | (values < 0)
        if column == "calls_offered":
            bad |= np.isnan(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{source} row {row + 1}: {column} must be a number >= 0, "
                f"got {frame[column].iloc[row]!r}"
            )
        out[column] = values
    return out


def _overlap(forecast: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """Outer join of forecast and actual rows inside each queue's common span."""
    spans_f = forecast.groupby("queue")["interval_start"].agg(["min", "max"])
    spans_a = actual.groupby("queue")["interval_start"].agg(["min", "max"])
    spans = spans_f.add_suffix("_f").join(spans_a.add_suffix("_a"), how="inner")
    first = spans[["min_f", "min_a"]].max(axis=1)
    last = spans[["max_f", "max_a"]].min(axis=1)
    joined = forecast.merge(actual, on=["queue", "interval_start"], how="outer", sort=True)
    lower = joined["queue"].map(first)
    upper = joined["queue"].map(last)
    inside = (
        lower.notna() & (joined["interval_start"] >= lower) & (joined["interval_start"] <= upper)
    )
    return joined.loc[inside.to_numpy()].reset_index(drop=True)


def forecast_accuracy(
    forecast: pd.DataFrame,
    actuals: pd.DataFrame,
    *,
    agents: str | pd.DataFrame | None = None,
    shrinkage: float = 0.0,
    model: str | None = None,
    patience_seconds: PatienceSeconds = None,
    answer_target_seconds: float = 20.0,
    interval_minutes: int | None = None,
    source: str = "actuals",
) -> AccuracyReport:
    """Compare a forecast with what happened, and explain each day's service-level miss.

    Parameters
    ----------
    forecast
        Forecast frame: ``queue`` (optional), ``interval_start`` (timezone-aware),
        ``calls_forecast`` and ``aht_seconds_forecast``; for planned-against-achieved also the
        plan's agents (a column named by ``agents``). See :func:`load_forecast` for files and
        saved versions.
    actuals
        History frame (:func:`planner.io.read_history`): ``calls_offered`` and where available
        ``aht_seconds``, ``calls_answered``, ``calls_abandoned``, ``answered_within_target``,
        ``agents_staffed`` (agents logged in and available), ``asa_seconds``. Rows before the
        forecast's first interval are used as the in-sample history of MASE.
    agents
        The plan's heads per interval: a column of ``forecast`` (``agents_to_schedule``,
        ``agents_scheduled``) or a roster's coverage frame; None skips planned against achieved.
    shrinkage
        Shrinkage of the plan's heads, in [0, 1) (the history's ``agents_staffed`` are taken as
        productive already).
    model, patience_seconds, answer_target_seconds
        As for :func:`planner.evaluate.evaluate_plan`: ``patience_seconds`` is one number of
        seconds for every queue or a mapping queue -> seconds, which must name every queue that
        is compared when ``agents`` is given (it is passed as it is to every re-evaluation). Use
        the answer target the history's ``answered_within_target`` was counted against.
    interval_minutes
        Interval length; inferred from the forecast when None.
    source
        Name of the actuals in error messages.

    Returns
    -------
    AccuracyReport

    Raises
    ------
    planner.errors.InputError
        Bad frames or parameters, naming them; a patience mapping without some compared queue
        when ``agents`` is given (``patience_seconds has no value for queue 'billing'; ...``).
    """
    if not isinstance(forecast, pd.DataFrame):
        raise InputError(f"forecast must be a pandas DataFrame, got {type(forecast).__name__}")
    if not isinstance(actuals, pd.DataFrame):
        raise InputError(f"{source} must be a pandas DataFrame, got {type(actuals).__name__}")
    _check_fraction(shrinkage, "shrinkage", upper_open=True)
    patience = check_patience(patience_seconds)
    if agents is None:  # accuracy alone: the plan's agents are not used
        plan = join_plan(forecast.assign(_no_agents=0), "_no_agents", name="forecast")
    else:
        plan = join_plan(forecast, agents, name="forecast")
    minutes = resolve_interval_minutes(plan, interval_minutes, name="forecast")
    history = _history_columns(actuals, source)
    notes: list[str] = []

    queues = sorted(set(plan["queue"]) & set(history["queue"]))
    if not queues:
        raise InputError(
            f"forecast and {source} share no queue: forecast queues "
            f"{sorted(plan['queue'].unique())}, {source} queues "
            f"{sorted(history['queue'].unique())}; expected the same queue names"
        )
    for queue in sorted(set(plan["queue"]) ^ set(history["queue"])):
        side = "forecast" if queue in set(plan["queue"]) else source
        notes.append(f"queue {queue} is only in the {side}: left out")
    joined = _overlap(plan, history)
    if joined.empty:
        raise InputError(
            f"forecast and {source} do not overlap in time: forecast "
            f"{plan['interval_start'].min()} to {plan['interval_start'].max()}, {source} "
            f"{history['interval_start'].min()} to {history['interval_start'].max()}"
        )
    first_forecast = plan.groupby("queue")["interval_start"].min()
    calls_f = joined["calls_forecast"].fillna(0.0).to_numpy()
    calls_a = joined["calls_offered"].fillna(0.0).to_numpy()
    aht_a = (
        joined["aht_seconds"].to_numpy(dtype=float)
        if "aht_seconds" in joined.columns
        else np.full(len(joined), np.nan)
    )
    intervals = pd.DataFrame(
        {
            "queue": joined["queue"].to_numpy(),
            "interval_start": joined["interval_start"],
            "calls_forecast": calls_f,
            "calls_actual": calls_a,
            "calls_error": calls_f - calls_a,
            "aht_seconds_forecast": joined["aht_seconds_forecast"].to_numpy(dtype=float),
            "aht_seconds_actual": aht_a,
        }
    )
    unforecast = joined["calls_forecast"].isna() & (calls_a > 0)
    if unforecast.any():
        notes.append(
            f"{int(unforecast.sum())} intervals with {calls_a[unforecast.to_numpy()].sum():,.0f} "
            "actual calls have no forecast row: counted as forecast 0"
        )
    if "aht_seconds" not in history.columns:
        notes.append(f"AHT accuracy cannot be computed: {source} has no aht_seconds")

    starts_at = history["queue"].map(first_forecast)
    before = (
        history["queue"].isin(first_forecast.index).to_numpy()
        & (history["interval_start"] < starts_at).to_numpy()
    )
    in_sample = history.loc[before].reset_index(drop=True)
    if in_sample.empty:
        notes.append(
            f"MASE cannot be computed: {source} has no rows before the forecast starts (the "
            "weekly-naive scale is measured there)"
        )
    daily, weekly, scores = _scores(intervals, in_sample)

    if agents is not None and patience is not None:
        # Every compared queue needs its patience; fail here, before the re-evaluations.
        patience_by_row(patience, intervals["queue"].to_numpy())
    planned = None
    if agents is None:
        notes.append("planned against achieved not computed: no plan agents given")
    else:
        planned = _planned_vs_achieved(
            intervals,
            joined,
            history,
            shrinkage=shrinkage,
            model=model,
            patience_seconds=patience,
            answer_target_seconds=answer_target_seconds,
            minutes=minutes,
            notes=notes,
            source=source,
        )
    return AccuracyReport(
        intervals=intervals.loc[:, list(ACCURACY_INTERVAL_COLUMNS)],
        scores=scores,
        daily=daily,
        weekly=weekly,
        planned_vs_achieved=planned,
        notes=tuple(notes),
        interval_minutes=minutes,
    )


def _naive_scales(in_sample: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Mean absolute change of the weekly seasonal-naive forecast, per (queue, level).

    Interval level: the same local clock time 7 days earlier; day level: the same weekday a week
    earlier; week level: the previous week. Only pairs where both values exist are used, and only
    whole days and whole weeks.
    """
    scales: dict[tuple[str, str], float] = {}
    if in_sample.empty:
        return scales
    local = in_sample["interval_start"].dt.tz_localize(None)
    day, week_start = calendar_keys(in_sample["interval_start"])
    calls = in_sample["calls_offered"].to_numpy(dtype=float)
    queue = in_sample["queue"].to_numpy()
    frames = {
        "interval": pd.DataFrame({"queue": queue, "key": local.to_numpy(), "calls": calls}),
        "day": pd.DataFrame({"queue": queue, "key": day.to_numpy(), "calls": calls}),
        "week": pd.DataFrame({"queue": queue, "key": week_start.to_numpy(), "calls": calls}),
    }
    first_day = day.groupby(queue).transform("min").to_numpy()
    last_day = day.groupby(queue).transform("max").to_numpy()
    whole_week = (week_start.to_numpy() >= first_day) & (
        week_start.to_numpy() + np.timedelta64(6, "D") <= last_day
    )
    frames["week"] = frames["week"].loc[whole_week]
    for level, frame in frames.items():
        totals = frame.groupby(["queue", "key"], sort=True)["calls"].sum()
        lagged = totals.copy()
        lagged.index = lagged.index.set_levels(
            lagged.index.levels[1] + pd.Timedelta(days=7), level=1
        )
        pairs = pd.concat([totals.rename("now"), lagged.rename("before")], axis=1, join="inner")
        change = (pairs["now"] - pairs["before"]).abs().groupby(level=0).mean()
        for queue_name, value in change.items():
            scales[(str(queue_name), level)] = float(value)
    return scales


def _scores(
    intervals: pd.DataFrame, in_sample: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Daily and weekly error frames and the score table (see :data:`SCORE_COLUMNS`)."""
    day, week_start = calendar_keys(intervals["interval_start"])
    if not in_sample.empty:
        # Whole days only: the day the forecast starts in is not in-sample history.
        first = intervals.groupby("queue")["interval_start"].min()
        first_day = calendar_keys(first.reset_index(drop=True))[0].set_axis(first.index)
        sample_day = calendar_keys(in_sample["interval_start"])[0]
        in_sample = in_sample.loc[
            (sample_day < in_sample["queue"].map(first_day)).to_numpy()
        ].reset_index(drop=True)
    scales = _naive_scales(in_sample)
    calls_a = intervals["calls_actual"].to_numpy(dtype=float)
    aht_a = intervals["aht_seconds_actual"].to_numpy(dtype=float)
    known_aht = np.isfinite(aht_a) & (calls_a > 0)
    weight = np.where(known_aht, calls_a, 0.0)
    base = {
        "calls_forecast": intervals["calls_forecast"].to_numpy(dtype=float),
        "calls_actual": calls_a,
        "aht_forecast_weighted": weight
        * np.nan_to_num(intervals["aht_seconds_forecast"].to_numpy()),
        "aht_actual_weighted": weight * np.nan_to_num(aht_a),
        "aht_weight": weight,
    }
    queue = intervals["queue"].to_numpy()

    def period_rows(keys: pd.DataFrame | None) -> pd.DataFrame:
        """Sum the base columns per period (or keep interval rows) and add the AHTs."""
        if keys is None:
            out = pd.DataFrame({"queue": queue, **base})
        else:
            codes, out = group_codes(keys)
            for name, values in base.items():
                out[name] = np.bincount(codes, weights=values, minlength=len(out))
            out["abs_error_intervals"] = np.bincount(
                codes,
                weights=np.abs(base["calls_forecast"] - base["calls_actual"]),
                minlength=len(out),
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            out["aht_f"] = np.where(
                out["aht_weight"] > 0, out["aht_forecast_weighted"] / out["aht_weight"], np.nan
            )
            out["aht_a"] = np.where(
                out["aht_weight"] > 0, out["aht_actual_weighted"] / out["aht_weight"], np.nan
            )
        out["calls_error"] = out["calls_forecast"] - out["calls_actual"]
        return out

    levels = {
        "interval": period_rows(None),
        "day": period_rows(pd.DataFrame({"queue": queue, "day": day.to_numpy()})),
        "week": period_rows(pd.DataFrame({"queue": queue, "week_start": week_start.to_numpy()})),
    }
    rows = []
    queues = sorted(pd.unique(queue))
    for level, frame in levels.items():
        groups = [(q, frame["queue"].to_numpy() == q) for q in queues]
        if len(queues) > 1:
            groups.append((ALL_QUEUES, np.ones(len(frame), dtype=bool)))
        scale_of_row = frame["queue"].map(lambda q, lv=level: scales.get((str(q), lv), np.nan))
        for name, mask in groups:
            part = frame.loc[mask]
            actual = part["calls_actual"].sum()
            error = part["calls_error"].to_numpy()
            scale = scale_of_row.loc[mask].to_numpy(dtype=float)
            # A zero naive scale (history that never changed week on week) leaves MASE undefined:
            # NaN, not inf, and the group's MASE is then NaN.
            with np.errstate(divide="ignore", invalid="ignore"):
                scaled = np.where(scale > 0, np.abs(error) / scale, np.nan)
            aht_rows = part["aht_weight"].to_numpy() > 0
            aht_w = part["aht_weight"].to_numpy()[aht_rows]
            aht_f = part["aht_f"].to_numpy()[aht_rows]
            aht_act = part["aht_a"].to_numpy()[aht_rows]
            denominator = float((aht_w * aht_act).sum())
            rows.append(
                {
                    "queue": name,
                    "level": level,
                    "periods": int(mask.sum()),
                    "calls_forecast": float(part["calls_forecast"].sum()),
                    "calls_actual": float(actual),
                    "wape": float(np.abs(error).sum() / actual) if actual > 0 else np.nan,
                    "bias": float(error.sum() / actual) if actual > 0 else np.nan,
                    "mase": float(scaled.mean())
                    if np.isfinite(scaled).all() and scaled.size
                    else np.nan,
                    "naive_scale": scales.get((str(name), level), np.nan),
                    "aht_wape": float((aht_w * np.abs(aht_f - aht_act)).sum() / denominator)
                    if denominator > 0
                    else np.nan,
                    "aht_bias": float((aht_w * (aht_f - aht_act)).sum() / denominator)
                    if denominator > 0
                    else np.nan,
                }
            )
    scores = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))

    def error_frame(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        out = frame.loc[:, ["queue", key, "calls_forecast", "calls_actual", "calls_error"]].copy()
        actual = frame["calls_actual"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["wape"] = np.where(actual > 0, frame["abs_error_intervals"] / actual, np.nan)
            out["bias"] = np.where(actual > 0, frame["calls_error"] / actual, np.nan)
        out["aht_seconds_forecast"] = frame["aht_f"].to_numpy()
        out["aht_seconds_actual"] = frame["aht_a"].to_numpy()
        return out

    return error_frame(levels["day"], "day"), error_frame(levels["week"], "week_start"), scores


def _planned_vs_achieved(
    intervals: pd.DataFrame,
    joined: pd.DataFrame,
    history: pd.DataFrame,
    *,
    shrinkage: float,
    model: str | None,
    patience_seconds: float | dict[str, float] | None,
    answer_target_seconds: float,
    minutes: int,
    notes: list[str],
    source: str,
) -> pd.DataFrame:
    """Planned and achieved KPIs per day, and the service-level miss in four parts."""
    calls_f = intervals["calls_forecast"].to_numpy(dtype=float)
    calls_a = intervals["calls_actual"].to_numpy(dtype=float)
    aht_f = intervals["aht_seconds_forecast"].to_numpy(dtype=float)
    aht_a = intervals["aht_seconds_actual"].to_numpy(dtype=float)
    fallback_aht = np.nanmedian(np.concatenate([aht_f, aht_a])) if np.isfinite(aht_f).any() else 1.0
    aht_plan = np.where(
        np.isfinite(aht_f) & (aht_f > 0),
        aht_f,
        np.where(np.isfinite(aht_a) & (aht_a > 0), aht_a, fallback_aht),
    )
    aht_real = np.where(np.isfinite(aht_a) & (aht_a > 0), aht_a, aht_plan)
    heads = joined["agents_scheduled"].fillna(0).to_numpy(dtype=np.int64)
    base = pd.DataFrame(
        {"queue": intervals["queue"].to_numpy(), "interval_start": intervals["interval_start"]}
    )

    def daily(
        calls: np.ndarray, aht: np.ndarray, agents: np.ndarray, shrink: float
    ) -> pd.DataFrame:
        frame = base.assign(calls_forecast=calls, aht_seconds_forecast=aht, agents_scheduled=agents)
        evaluation = evaluate_plan(
            frame,
            "agents_scheduled",
            shrinkage=shrink,
            model=model,
            patience_seconds=patience_seconds,
            answer_target_seconds=answer_target_seconds,
            interval_minutes=minutes,
        )
        return evaluation.daily.set_index(["queue", "day"])

    planned = daily(calls_f, aht_plan, heads, shrinkage)
    volume = daily(calls_a, aht_plan, heads, shrinkage)
    volume_aht = daily(calls_a, aht_real, heads, shrinkage)
    if "aht_seconds" not in history.columns:
        notes.append("AHT effect is 0: the actual AHT is unknown, the forecast AHT is used")
    if "agents_staffed" in joined.columns:
        staffed = joined["agents_staffed"].to_numpy(dtype=float)
        unknown = ~np.isfinite(staffed)
        # Agents logged in, averaged over an interval, may be fractional: whole agents, rounded
        # down (a part-time presence cannot answer as a whole agent).
        actual_agents = np.where(
            unknown,
            productive_agents(heads, shrinkage),
            np.floor(np.nan_to_num(staffed) + 1e-9),  # 1e-9: an average stored as 11.9999999
        ).astype(np.int64)
        if unknown.any():
            notes.append(
                f"{int(unknown.sum())} intervals have no agents_staffed: the plan's productive "
                "agents are used there"
            )
        staffing = daily(calls_a, aht_real, actual_agents, 0.0)["service_level"]
    else:
        notes.append(f"staffing gap cannot be computed: {source} has no agents_staffed")
        staffing = pd.Series(np.nan, index=volume_aht.index)

    day, _ = calendar_keys(intervals["interval_start"])
    offered = joined["calls_offered"].fillna(0.0).to_numpy(dtype=float)
    achieved_parts = {"offered": offered}
    for column in ("answered_within_target", "calls_abandoned", "calls_answered", "asa_seconds"):
        achieved_parts[column] = (
            joined[column].to_numpy(dtype=float)
            if column in joined.columns
            else np.full(len(joined), np.nan)
        )
    answered = achieved_parts["calls_answered"]
    if not np.isfinite(answered).any() and np.isfinite(achieved_parts["calls_abandoned"]).any():
        answered = offered - np.nan_to_num(achieved_parts["calls_abandoned"])
    achieved_frame = pd.DataFrame(
        {
            "queue": intervals["queue"].to_numpy(),
            "day": day.to_numpy(),
            "offered": offered,
            "within": achieved_parts["answered_within_target"],
            "abandoned": achieved_parts["calls_abandoned"],
            "wait": answered * achieved_parts["asa_seconds"],
            "answered_with_wait": np.where(
                np.isfinite(achieved_parts["asa_seconds"]), answered, np.nan
            ),
        }
    )
    sums = achieved_frame.groupby(["queue", "day"], sort=True).sum(min_count=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        achieved_sl = sums["within"] / sums["offered"].where(sums["offered"] > 0)
        achieved_abandon = sums["abandoned"] / sums["offered"].where(sums["offered"] > 0)
        achieved_asa = sums["wait"] / sums["answered_with_wait"].where(
            sums["answered_with_wait"] > 0
        )
    if "answered_within_target" not in joined.columns:
        notes.append(
            f"achieved service level cannot be computed: {source} has no answered_within_target"
        )
    if "asa_seconds" not in joined.columns:
        notes.append(f"achieved ASA cannot be computed: {source} has no asa_seconds")

    out = pd.DataFrame(index=planned.index)
    out["calls_forecast"] = planned["calls_forecast"]
    out["calls_actual"] = volume["calls_forecast"]
    out["service_level_planned"] = planned["service_level"]
    out["service_level_actual_volume"] = volume["service_level"]
    out["service_level_actual_volume_aht"] = volume_aht["service_level"]
    out["service_level_actual_staffing"] = staffing
    out["service_level_achieved"] = achieved_sl
    out["volume_effect"] = out["service_level_actual_volume"] - out["service_level_planned"]
    out["aht_effect"] = out["service_level_actual_volume_aht"] - out["service_level_actual_volume"]
    out["staffing_effect"] = (
        out["service_level_actual_staffing"] - out["service_level_actual_volume_aht"]
    )
    last_model = out["service_level_actual_staffing"].fillna(out["service_level_actual_volume_aht"])
    out["residual"] = out["service_level_achieved"] - last_model
    out["asa_seconds_planned"] = planned["asa_seconds"]
    out["asa_seconds_achieved"] = achieved_asa
    out["abandon_rate_planned"] = planned["abandon_rate"]
    out["abandon_rate_achieved"] = achieved_abandon
    return out.reset_index().loc[:, list(DECOMPOSITION_COLUMNS)]
