"""KPI report from actual interval history: what the centre achieved, and how unevenly.

:func:`kpi_report` takes the history frame of :func:`planner.io.read_history` and reports per
interval, day, week and queue:

* ``service_level``: ``answered_within_target / calls_offered`` (PRODUCT.md's definition);
* ``abandon_rate``: ``calls_abandoned / calls_offered``;
* ``asa_seconds``: mean wait of answered calls, only when the history carries a per-interval
  ``asa_seconds`` column (ACD exports often do not: then the report says ASA cannot be computed);
* ``aht_seconds``: weighted by answered calls (handle time belongs to handled calls);
* ``occupancy``: handled workload ``calls_answered * aht_seconds`` over staffed time
  ``agents_staffed * interval length``, where ``agents_staffed`` is given;
* ``calls_per_agent_hour``: answered calls per staffed agent-hour;
* ``cost_per_call``: staffed agent-hours times ``cost_per_agent_hour`` over answered calls.

Every aggregate is a ratio of sums (so rates are weighted by calls, never a plain mean of interval
percentages) and comes with its spread across the intervals inside it: the 10th, 50th and 90th
percentiles of the interval values, the number of intervals below the service-level target (or
above the abandonment ceiling) and the share of calls that arrived in those intervals. A KPI that
the history cannot support is NaN and the report's ``notes`` say why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.evaluate import (
    _check_fraction,
    _check_interval_start,
    _positive,
    _with_queue,
    calendar_keys,
    resolve_interval_minutes,
)

__all__ = ["KPI_INTERVAL_COLUMNS", "KpiReport", "kpi_report"]

KPI_INTERVAL_COLUMNS = (
    "queue",
    "interval_start",
    "calls_offered",
    "calls_answered",
    "calls_abandoned",
    "answered_within_target",
    "aht_seconds",
    "agents_staffed",
    "service_level",
    "abandon_rate",
    "asa_seconds",
    "occupancy",
    "calls_per_agent_hour",
    "cost_per_call",
    "below_target",
)
"""Columns of :attr:`KpiReport.intervals`."""

_SPREAD_METRICS = ("service_level", "abandon_rate", "asa_seconds", "occupancy")
_PERCENTILES = (0.1, 0.5, 0.9)

# Sums from which every aggregate KPI is a ratio.
_SUMS = (
    "calls_offered",
    "calls_answered",
    "calls_abandoned",
    "answered_within_target",
    "handle_seconds",
    "wait_seconds",
    "answered_with_wait",
    "answered_with_aht",
    "staffed_agent_hours",
    "answered_with_staffing",
    "handle_seconds_with_staffing",
    "calls_below_target",
    "calls_with_target",
)


@dataclass(frozen=True)
class KpiReport:
    """What :func:`kpi_report` returns.

    Attributes
    ----------
    intervals
        One row per (``queue``, ``interval_start``), columns :data:`KPI_INTERVAL_COLUMNS`;
        ``below_target`` is True where the interval missed the service-level target or exceeded
        the abandonment ceiling (False for intervals with no call offered).
    daily, weekly, totals
        Per (``queue``, ``day``), (``queue``, ``week_start``) and ``queue`` (plus an ``all queues``
        row when there are several): counts, the KPIs as ratios of sums, ``cost`` (where a cost per
        hour was given), and the spread: ``<kpi>_p10``, ``<kpi>_p50``, ``<kpi>_p90`` over the
        intervals with calls, ``intervals``, ``intervals_below_target``,
        ``calls_share_below_target``.
    below_target
        The intervals that missed target, worst service level first.
    notes
        Why a KPI is NaN throughout (a column the history lacks), in planner words.
    service_level_target, max_abandon_rate, interval_minutes
        The settings the report was produced with.
    """

    intervals: pd.DataFrame
    daily: pd.DataFrame
    weekly: pd.DataFrame
    totals: pd.DataFrame
    below_target: pd.DataFrame
    notes: tuple[str, ...]
    service_level_target: float
    max_abandon_rate: float | None
    interval_minutes: int


ALL_QUEUES = "all queues"


def _column(frame: pd.DataFrame, name: str, source: str) -> np.ndarray | None:
    """Optional numeric column as float64 (NaN allowed), or None when absent; >= 0 checked."""
    if name not in frame.columns:
        return None
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~np.isnan(values) & (~np.isfinite(values) | (values < 0))
    not_number = np.isnan(values) & frame[name].notna().to_numpy()
    problem = bad | not_number
    if problem.any():
        row = int(np.flatnonzero(problem)[0])
        raise InputError(
            f"{source} row {row + 1}: {name} must be a number >= 0, got {frame[name].iloc[row]!r}"
        )
    return values


def kpi_report(
    history: pd.DataFrame,
    *,
    service_level_target: float = 0.8,
    max_abandon_rate: float | None = None,
    cost_per_agent_hour: float | None = None,
    interval_minutes: int | None = None,
    source: str = "history",
) -> KpiReport:
    """Report the KPIs a centre achieved, per interval, day, week and queue, with their spread.

    Parameters
    ----------
    history
        Long history frame (:func:`planner.io.read_history`): ``queue`` (optional),
        ``interval_start`` (timezone-aware), ``calls_offered``, and any of ``calls_answered``,
        ``calls_abandoned``, ``answered_within_target``, ``aht_seconds`` (seconds per answered
        call), ``agents_staffed``, and ``asa_seconds`` (mean wait of the interval's answered calls).
    service_level_target
        Target fraction answered within the answer target, in [0, 1]; intervals below it are
        listed.
    max_abandon_rate
        Optional ceiling on the abandonment rate, in [0, 1]; intervals above it are listed too.
    cost_per_agent_hour
        Cost of one staffed agent-hour (any currency), > 0; gives ``cost`` and ``cost_per_call``.
    interval_minutes
        Interval length; inferred from the data when None.
    source
        Name of the history in error messages (a file name).

    Returns
    -------
    KpiReport
        Interval, daily, weekly and total KPIs with their spread, the intervals below target,
        and notes on what could not be computed.
    """

    if not isinstance(history, pd.DataFrame):
        raise InputError(f"{source} must be a pandas DataFrame, got {type(history).__name__}")
    if len(history) == 0:
        raise InputError(f"{source}: has no rows; expected interval history rows")
    target = _check_fraction(service_level_target, "service_level_target")
    ceiling = (
        None if max_abandon_rate is None else _check_fraction(max_abandon_rate, "max_abandon_rate")
    )
    cost_rate = _positive(cost_per_agent_hour, "cost_per_agent_hour", allow_none=True)
    frame = _with_queue(history)
    _check_interval_start(frame, source)
    if frame.duplicated(subset=["queue", "interval_start"]).any():
        row = int(np.flatnonzero(frame.duplicated(subset=["queue", "interval_start"]))[0])
        raise InputError(
            f"{source} row {row + 1}: (queue, interval_start) appears twice; expected one row per "
            "interval"
        )
    frame = frame.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    minutes = resolve_interval_minutes(frame, interval_minutes, name=source)
    hours = minutes / 60.0
    offered = _column(frame, "calls_offered", source)
    if offered is None:
        raise InputError(
            f"{source}: column calls_offered is missing; got columns {list(history.columns)}"
        )
    if np.isnan(offered).any():
        row = int(np.flatnonzero(np.isnan(offered))[0])
        raise InputError(f"{source} row {row + 1}: calls_offered is missing; expected a number")
    answered = _column(frame, "calls_answered", source)
    abandoned = _column(frame, "calls_abandoned", source)
    within = _column(frame, "answered_within_target", source)
    aht = _column(frame, "aht_seconds", source)
    staffed = _column(frame, "agents_staffed", source)
    asa = _column(frame, "asa_seconds", source)
    n = len(frame)
    nan = np.full(n, np.nan)
    notes: list[str] = []
    if within is None:
        notes.append("service level cannot be computed: history has no answered_within_target")
    if abandoned is None:
        notes.append("abandonment cannot be computed: history has no calls_abandoned")
    if asa is None:
        notes.append(
            "ASA cannot be computed: history has no asa_seconds (wait of answered calls) column"
        )
    if aht is None:
        notes.append("AHT and occupancy cannot be computed: history has no aht_seconds")
    if staffed is None:
        notes.append(
            "occupancy, calls per agent-hour and cost cannot be computed: history has no "
            "agents_staffed"
        )
    elif cost_rate is None:
        notes.append("cost per call not computed: no cost per agent-hour given")
    if answered is None:
        if abandoned is not None:
            answered = np.clip(offered - abandoned, 0, None)
            notes.append("calls_answered not given: taken as calls_offered - calls_abandoned")
        else:
            notes.append("calls_answered not given: AHT and occupancy weighted by calls offered")
            answered = offered.copy()
    day, week_start = calendar_keys(frame["interval_start"])

    # Per-interval sums (NaN inputs contribute nothing; their denominators exclude them too).
    def known(values: np.ndarray | None) -> np.ndarray:
        return nan if values is None else values

    within_v, abandoned_v, aht_v = known(within), known(abandoned), known(aht)
    staffed_v, asa_v = known(staffed), known(asa)
    agent_hours = staffed_v * hours
    sums = pd.DataFrame(
        {
            "calls_offered": offered,
            "calls_answered": answered,
            "calls_abandoned": abandoned_v,
            "answered_within_target": within_v,
            "handle_seconds": answered * aht_v,
            "wait_seconds": answered * asa_v,
            "answered_with_wait": np.where(np.isnan(asa_v), np.nan, answered),
            "answered_with_aht": np.where(np.isnan(aht_v), np.nan, answered),
            "staffed_agent_hours": agent_hours,
            "answered_with_staffing": np.where(np.isnan(agent_hours), np.nan, answered),
            "handle_seconds_with_staffing": np.where(
                np.isnan(agent_hours), np.nan, answered * aht_v
            ),
        }
    )
    kpis = _ratios(sums, cost_rate)
    with np.errstate(invalid="ignore"):
        missed_sl = kpis["service_level"].to_numpy() < target
        missed_abandon = (
            np.zeros(n, dtype=bool)
            if ceiling is None
            else kpis["abandon_rate"].to_numpy() > ceiling
        )
    # An interval can be judged when its service level is known, or its abandonment rate is
    # known and there is a ceiling on it.
    judged = (offered > 0) & (
        ~np.isnan(kpis["service_level"].to_numpy())
        | ((ceiling is not None) & ~np.isnan(kpis["abandon_rate"].to_numpy()))
    )
    below = (missed_sl | missed_abandon) & (offered > 0)
    sums["calls_below_target"] = np.where(below, offered, 0.0)
    sums["calls_with_target"] = np.where(judged, offered, 0.0)

    intervals = pd.DataFrame(
        {
            "queue": frame["queue"].to_numpy(),
            "interval_start": frame["interval_start"],
            "calls_offered": offered,
            "calls_answered": answered,
            "calls_abandoned": abandoned_v,
            "answered_within_target": within_v,
            "aht_seconds": aht_v,
            "agents_staffed": staffed_v,
        }
    )
    for name in ("service_level", "abandon_rate", "asa_seconds", "occupancy"):
        intervals[name] = kpis[name].to_numpy()
    intervals["calls_per_agent_hour"] = kpis["calls_per_agent_hour"].to_numpy()
    intervals["cost_per_call"] = kpis["cost_per_call"].to_numpy()
    intervals["below_target"] = below
    intervals = intervals.loc[:, list(KPI_INTERVAL_COLUMNS)]

    spread_source = intervals.assign(
        day=day.to_numpy(), week_start=week_start.to_numpy(), below=below, with_calls=offered > 0
    )
    summed = sums.assign(
        queue=frame["queue"].to_numpy(), day=day.to_numpy(), week_start=week_start.to_numpy()
    )
    periods = {}
    for label, keys in (("daily", ["queue", "day"]), ("weekly", ["queue", "week_start"])):
        periods[label] = _aggregate(summed, spread_source, keys, cost_rate)
    totals = _aggregate(summed, spread_source, ["queue"], cost_rate)
    if frame["queue"].nunique() > 1:
        everything = _aggregate(
            summed.assign(queue=ALL_QUEUES),
            spread_source.assign(queue=ALL_QUEUES),
            ["queue"],
            cost_rate,
        )
        totals = pd.concat([totals, everything], ignore_index=True)
    below_frame = intervals.loc[below].sort_values(
        ["service_level", "abandon_rate"],
        ascending=[True, False],
        na_position="last",
        kind="stable",
    )
    return KpiReport(
        intervals=intervals,
        daily=periods["daily"],
        weekly=periods["weekly"],
        totals=totals,
        below_target=below_frame.reset_index(drop=True),
        notes=tuple(notes),
        service_level_target=target,
        max_abandon_rate=ceiling,
        interval_minutes=minutes,
    )


def _ratios(sums: pd.DataFrame, cost_rate: float | None) -> pd.DataFrame:
    """KPIs as ratios of the sums in ``sums`` (row by row); NaN where undefined."""

    def ratio(numerator: str, denominator: str) -> np.ndarray:
        top = sums[numerator].to_numpy(dtype=float)
        bottom = sums[denominator].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(bottom > 0, top / bottom, np.nan)

    out = pd.DataFrame(index=sums.index)
    out["service_level"] = ratio("answered_within_target", "calls_offered")
    out["abandon_rate"] = ratio("calls_abandoned", "calls_offered")
    out["asa_seconds"] = ratio("wait_seconds", "answered_with_wait")
    out["aht_seconds"] = ratio("handle_seconds", "answered_with_aht")
    staffed_seconds = sums["staffed_agent_hours"].to_numpy(dtype=float) * 3600.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["occupancy"] = np.where(
            staffed_seconds > 0,
            sums["handle_seconds_with_staffing"].to_numpy(dtype=float) / staffed_seconds,
            np.nan,
        )
    out["calls_per_agent_hour"] = ratio("answered_with_staffing", "staffed_agent_hours")
    if cost_rate is None:
        out["cost"] = np.nan
        out["cost_per_call"] = np.nan
    else:
        cost = sums["staffed_agent_hours"].to_numpy(dtype=float) * cost_rate
        answered = sums["answered_with_staffing"].to_numpy(dtype=float)
        out["cost"] = cost
        with np.errstate(divide="ignore", invalid="ignore"):
            out["cost_per_call"] = np.where(answered > 0, cost / answered, np.nan)
    return out


def _aggregate(
    summed: pd.DataFrame,
    spread_source: pd.DataFrame,
    keys: list[str],
    cost_rate: float | None,
) -> pd.DataFrame:
    """Sums -> KPIs per group, plus the spread of the interval KPIs inside each group."""
    # min_count=1: a column that is NaN throughout a group stays NaN instead of summing to 0.
    grouped = summed.groupby(keys, sort=True)[list(_SUMS)].sum(min_count=1)
    kpis = _ratios(grouped, cost_rate)
    out = grouped[["calls_offered", "calls_answered", "calls_abandoned", "answered_within_target"]]
    out = pd.concat([out, kpis], axis=1)
    with_calls = spread_source.loc[spread_source["with_calls"]]
    quantiles = with_calls.groupby(keys, sort=True)[list(_SPREAD_METRICS)].quantile(
        list(_PERCENTILES)
    )
    quantiles = quantiles.unstack(level=-1)
    quantiles.columns = [f"{metric}_p{round(q * 100):02d}" for metric, q in quantiles.columns]
    quantiles = quantiles.reindex(
        columns=[
            f"{metric}_p{round(q * 100):02d}" for metric in _SPREAD_METRICS for q in _PERCENTILES
        ]
    )
    counts = spread_source.groupby(keys, sort=True).agg(
        intervals=("with_calls", "size"), intervals_below_target=("below", "sum")
    )
    out = out.join(quantiles, how="left").join(counts, how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["calls_share_below_target"] = np.where(
            grouped["calls_with_target"] > 0,
            grouped["calls_below_target"] / grouped["calls_with_target"],
            np.nan,
        )
    out["intervals_below_target"] = out["intervals_below_target"].astype(np.int64)
    return out.reset_index()
