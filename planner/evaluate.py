"""Evaluate a staffing plan interval by interval with the Erlang formulas.

Given a forecast and the agents a plan puts in each interval (a staffing column such as
``agents_to_schedule``, or a roster's coverage frame ``queue, interval_start, agents_scheduled``),
:func:`evaluate_plan` predicts per interval the service level, ASA, abandonment rate, occupancy
and wait probability, aggregates them per day and week weighted by calls, and lists the intervals
that miss target. The Erlang kernels live in :mod:`planner.queueing` and are reached through
:func:`planner.staffing.kpis_for_agents`; this module holds no queueing formula.

Aggregation rules (PRODUCT.md: never a plain mean of interval percentages):

* service level, abandonment rate and wait probability: weighted by calls offered,
  ``sum(calls * rate) / sum(calls)``;
* ASA: weighted by answered calls,
  ``sum(calls * (1 - abandon) * asa) / sum(calls * (1 - abandon))``;
* occupancy: busy agent time over productive agent time, ``sum(traffic) * (1 - abandon)`` weighted,
  i.e. ``sum(occupancy * agents_productive) / sum(agents_productive)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import pandas as pd

from planner._params import PatienceSeconds, check_patience, patience_by_row
from planner.errors import InputError
from planner.schema import DEFAULT_QUEUE, SUPPORTED_INTERVAL_MINUTES

__all__ = [
    "EVALUATION_COLUMNS",
    "PERIOD_COLUMNS",
    "PLAN_COLUMNS",
    "Evaluation",
    "calendar_keys",
    "evaluate_plan",
    "group_codes",
    "join_plan",
    "productive_agents",
    "resolve_interval_minutes",
]

PLAN_COLUMNS = (
    "queue",
    "interval_start",
    "calls_forecast",
    "aht_seconds_forecast",
    "agents_scheduled",
)
"""Columns of the frame :func:`join_plan` returns."""


# --------------------------------------------------------------------------------------------
# Shared frame helpers (used by simulate, scenarios, accuracy and kpi too)
# --------------------------------------------------------------------------------------------


def resolve_interval_minutes(
    frame: pd.DataFrame, interval_minutes: int | None, *, name: str
) -> int:
    """Return the interval length in minutes: the one given (checked) or the one in the data.

    Parameters
    ----------
    frame
        Long frame with ``queue`` and ``interval_start``.
    interval_minutes
        Interval length in minutes, or None to infer it with
        :func:`planner.io.infer_interval_minutes`.
    name
        What the frame is called in error messages.
    """
    if interval_minutes is None:
        from planner.io import infer_interval_minutes

        return int(
            infer_interval_minutes(frame["interval_start"], source=name, queue=frame["queue"])
        )
    if isinstance(interval_minutes, bool) or int(interval_minutes) != interval_minutes:
        raise InputError(
            f"{name}: interval_minutes must be one of {SUPPORTED_INTERVAL_MINUTES}, "
            f"got {interval_minutes!r}"
        )
    if int(interval_minutes) not in SUPPORTED_INTERVAL_MINUTES:
        raise InputError(
            f"{name}: interval_minutes must be one of {SUPPORTED_INTERVAL_MINUTES}, "
            f"got {interval_minutes!r}"
        )
    return int(interval_minutes)


def calendar_keys(interval_start: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Local calendar day and the Monday that starts its week, for each interval start.

    Parameters
    ----------
    interval_start
        Timezone-aware interval starts, shape ``(n,)``.

    Returns
    -------
    (day, week_start)
        Two naive ``datetime64[ns]`` series at local midnight, shape ``(n,)``: the day in the
        centre's own time zone (so a day has 23 or 25 hours at the DST changes), and the Monday
        of its ISO week.
    """
    local = interval_start.dt.tz_localize(None)
    day = local.dt.normalize()
    week_start = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return day.rename("day"), week_start.rename("week_start")


def productive_agents(agents_scheduled: np.ndarray, shrinkage: float) -> np.ndarray:
    """Agents on the phones after shrinkage, rounded down with exact arithmetic.

    ``floor(agents * (1 - shrinkage))`` computed on the decimal value of ``shrinkage`` as written
    (``Fraction(repr(shrinkage))``), so ``10 heads at 30 %`` gives exactly 7, never 6.

    Parameters
    ----------
    agents_scheduled
        Heads per interval, integers >= 0, shape ``(n,)``.
    shrinkage
        Fraction of scheduled time not on the phones, in [0, 1).

    Returns
    -------
    numpy.ndarray
        Productive agents per interval, int64, shape ``(n,)``.
    """
    keep = 1 - Fraction(repr(float(shrinkage)))
    heads = np.asarray(agents_scheduled, dtype=np.int64)
    return (heads * keep.numerator) // keep.denominator


def _check_fraction(value: float, name: str, *, upper_open: bool = False) -> float:
    """Check a rate is a number in [0, 1] (or [0, 1) when ``upper_open``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if not np.isfinite(number) or number < 0 or number > 1 or (upper_open and number >= 1):
        expected = "[0, 1)" if upper_open else "[0, 1]"
        raise InputError(f"{name} must be a fraction in {expected}, got {value!r}")
    return number


def _positive(value: float | None, name: str, *, allow_none: bool = False) -> float | None:
    """Check a parameter is a finite number > 0 (or None when allowed)."""
    if value is None and allow_none:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number > 0, got {value!r}") from None
    if not np.isfinite(number) or number <= 0:
        raise InputError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def _with_queue(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with a ``queue`` column (``default`` when absent) as strings."""
    out = frame.copy()
    if "queue" not in out.columns:
        out["queue"] = DEFAULT_QUEUE
    out["queue"] = out["queue"].astype(str)
    return out


def _check_interval_start(frame: pd.DataFrame, name: str) -> None:
    """``interval_start`` must exist and be a timezone-aware datetime column."""
    if "interval_start" not in frame.columns:
        raise InputError(
            f"{name}: column interval_start is missing; expected timezone-aware starts"
        )
    column = frame["interval_start"]
    if not isinstance(column.dtype, pd.DatetimeTZDtype):
        raise InputError(
            f"{name}: column interval_start must be timezone-aware datetimes, "
            f"got dtype {column.dtype}"
        )


def _numeric_column(frame: pd.DataFrame, column: str, name: str) -> np.ndarray:
    """The column as float64, naming the first row that is not a number."""
    if column not in frame.columns:
        raise InputError(f"{name}: column {column} is missing; got columns {list(frame.columns)}")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{name} row {row}: {column} must be a finite number, got {frame[column].iloc[row]!r}"
        )
    return values


def join_plan(
    forecast: pd.DataFrame,
    agents: str | pd.DataFrame = "agents_to_schedule",
    *,
    name: str = "forecast",
) -> pd.DataFrame:
    """Put the forecast and the agents a plan schedules side by side, one row per interval.

    Parameters
    ----------
    forecast
        Long frame with ``queue`` (optional), ``interval_start`` (timezone-aware),
        ``calls_forecast`` (>= 0) and ``aht_seconds_forecast`` (> 0 where calls are forecast).
    agents
        Either the name of a column of ``forecast`` holding heads per interval (staffing's
        ``agents_to_schedule``, or ``agents_scheduled``), or a coverage frame from a roster with
        ``queue`` (optional), ``interval_start`` and ``agents_scheduled``. Forecast intervals that
        the coverage frame does not list get 0 agents; coverage rows outside the forecast are not
        used.
    name
        What the forecast is called in error messages (a file name, say).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PLAN_COLUMNS`, sorted by (``queue``, ``interval_start``);
        ``agents_scheduled`` is int64. Where no calls are forecast a missing AHT becomes the
        queue's median AHT (it carries no traffic).
    """
    if not isinstance(forecast, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(forecast).__name__}")
    frame = _with_queue(forecast)
    _check_interval_start(frame, name)
    calls = _numeric_column(frame, "calls_forecast", name)
    negative = calls < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise InputError(f"{name} row {row}: calls_forecast must be >= 0, got {calls[row]!r}")
    if "aht_seconds_forecast" not in frame.columns:
        raise InputError(
            f"{name}: column aht_seconds_forecast is missing; got columns {list(frame.columns)}"
        )
    aht = pd.to_numeric(frame["aht_seconds_forecast"], errors="coerce").to_numpy(dtype=float)
    bad_aht = (~np.isfinite(aht) | (aht <= 0)) & (calls > 0)
    if bad_aht.any():
        row = int(np.flatnonzero(bad_aht)[0])
        raise InputError(
            f"{name} row {row}: aht_seconds_forecast must be a number > 0 where calls are "
            f"forecast, got {frame['aht_seconds_forecast'].iloc[row]!r}"
        )
    duplicated = frame.duplicated(subset=["queue", "interval_start"])
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(
            f"{name} row {row}: (queue, interval_start) = ({frame['queue'].iloc[row]}, "
            f"{frame['interval_start'].iloc[row]}) appears twice; expected one row per interval"
        )
    plan = pd.DataFrame(
        {
            "queue": frame["queue"].to_numpy(),
            "interval_start": frame["interval_start"].reset_index(drop=True),
            "calls_forecast": calls,
            "aht_seconds_forecast": aht,
        }
    )
    if isinstance(agents, str):
        if agents not in frame.columns:
            raise InputError(
                f"{name}: agents column {agents} is missing; got columns {list(frame.columns)}"
            )
        heads = pd.to_numeric(frame[agents], errors="coerce").to_numpy(dtype=float)
        source = f"{name} column {agents}"
    elif isinstance(agents, pd.DataFrame):
        coverage = _with_queue(agents)
        _check_interval_start(coverage, "coverage")
        if "agents_scheduled" not in coverage.columns:
            raise InputError(
                "coverage: column agents_scheduled is missing; "
                f"got columns {list(coverage.columns)}"
            )
        if coverage.duplicated(subset=["queue", "interval_start"]).any():
            row = int(np.flatnonzero(coverage.duplicated(subset=["queue", "interval_start"]))[0])
            raise InputError(
                f"coverage row {row}: (queue, interval_start) appears twice; expected one row per "
                "interval"
            )
        keys = pd.MultiIndex.from_arrays(
            [coverage["queue"].to_numpy(), coverage["interval_start"].dt.tz_convert("UTC")]
        )
        lookup = pd.Series(
            pd.to_numeric(coverage["agents_scheduled"], errors="coerce").to_numpy(dtype=float),
            index=keys,
        )
        wanted = pd.MultiIndex.from_arrays(
            [plan["queue"].to_numpy(), plan["interval_start"].dt.tz_convert("UTC")]
        )
        matched = wanted.isin(keys)
        if len(plan) and not matched.any():
            raise InputError(
                f"coverage: no (queue, interval_start) matches {name}; coverage queues "
                f"{sorted(coverage['queue'].unique())[:5]}, {name} queues "
                f"{sorted(plan['queue'].unique())[:5]}; "
                "expected the same queues and interval starts"
            )
        heads = lookup.reindex(wanted).to_numpy(dtype=float, copy=True)
        heads[~matched] = 0.0
        source = "coverage column agents_scheduled"
    else:
        raise InputError(
            f"agents must be a column name or a coverage DataFrame, got {type(agents).__name__}"
        )
    bad_heads = ~np.isfinite(heads) | (heads < 0) | (heads != np.round(heads))
    if bad_heads.any():
        row = int(np.flatnonzero(bad_heads)[0])
        raise InputError(
            f"{source} at {plan['queue'].iloc[row]} {plan['interval_start'].iloc[row]}: agents "
            f"must be whole numbers >= 0, got {heads[row]!r}"
        )
    plan["agents_scheduled"] = heads.astype(np.int64)
    missing_aht = ~np.isfinite(plan["aht_seconds_forecast"].to_numpy()) | (
        plan["aht_seconds_forecast"].to_numpy() <= 0
    )
    if missing_aht.any():
        valid = plan["aht_seconds_forecast"].where(~missing_aht)
        fill = valid.groupby(plan["queue"]).transform("median").fillna(1.0)
        plan["aht_seconds_forecast"] = valid.fillna(fill)
    plan = plan.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    return plan.loc[:, list(PLAN_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------

EVALUATION_COLUMNS = (
    "queue",
    "interval_start",
    "calls_forecast",
    "aht_seconds_forecast",
    "agents_scheduled",
    "agents_productive",
    "traffic_erlangs",
    "service_level",
    "asa_seconds",
    "abandon_rate",
    "occupancy",
    "wait_probability",
    "meets_target",
)
"""Columns of :attr:`Evaluation.intervals`."""

PERIOD_COLUMNS = (
    "calls_forecast",
    "calls_answered",
    "scheduled_hours",
    "productive_hours",
    "service_level",
    "asa_seconds",
    "abandon_rate",
    "occupancy",
    "wait_probability",
    "intervals",
    "intervals_missing_target",
    "calls_in_intervals_missing_target",
)
"""Columns of the period frames after their keys (``queue`` and ``day`` / ``week_start``)."""

Model = Literal["erlang_a", "erlang_c"]

ALL_QUEUES = "all queues"


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate_plan` returns.

    Attributes
    ----------
    intervals
        One row per (``queue``, ``interval_start``), columns :data:`EVALUATION_COLUMNS`.
    daily, weekly
        Per (``queue``, ``day``) and (``queue``, ``week_start``): :data:`PERIOD_COLUMNS`, rates
        weighted by calls (ASA by answered calls, occupancy by productive agent time).
    totals
        The same per ``queue`` over the whole horizon, plus an ``all queues`` row when there are
        several queues.
    missing_target
        The intervals (rows of ``intervals``) that miss target, worst service level first.
    model, patience_seconds, answer_target_seconds, service_level_target, max_abandon_rate,
    shrinkage, interval_minutes
        The settings the evaluation used.
    """

    intervals: pd.DataFrame
    daily: pd.DataFrame
    weekly: pd.DataFrame
    totals: pd.DataFrame
    missing_target: pd.DataFrame
    model: Model
    patience_seconds: float | dict[str, float] | None
    answer_target_seconds: float
    service_level_target: float
    max_abandon_rate: float | None
    shrinkage: float
    interval_minutes: int


def _resolve_model(model: str | None, patience_seconds: object) -> Model:
    """``erlang_a`` / ``erlang_c`` from the user's spelling, Erlang A when patience is known."""
    if model is None:
        return "erlang_a" if patience_seconds is not None else "erlang_c"
    spelled = str(model).strip().lower().replace("-", "_").replace(" ", "_")
    if spelled not in ("erlang_a", "erlang_c"):
        raise InputError(f"model must be 'erlang-a' or 'erlang-c', got {model!r}")
    if spelled == "erlang_a" and patience_seconds is None:
        raise InputError(
            "patience_seconds is required with model='erlang-a' (mean caller patience in seconds), "
            "got None"
        )
    return spelled  # type: ignore[return-value]


def _erlang_kpis(
    traffic: np.ndarray,
    agents: np.ndarray,
    aht_seconds: np.ndarray,
    model: Model,
    patience_seconds: np.ndarray | None,
    answer_target_seconds: float,
) -> dict[str, np.ndarray]:
    """Per-interval KPIs from the kernels of :mod:`planner.queueing` (shapes ``(n,)``; patience
    per interval in seconds, Erlang A).

    Erlang C has no steady state where traffic >= agents: the kernel returns NaN, and here that
    interval is what it is in practice, a queue growing without bound: service level 0, ASA
    infinite, every call waits, agents fully occupied.
    """
    from planner import queueing

    if model == "erlang_a":
        if patience_seconds is None:
            raise InputError("patience_seconds is required with model='erlang-a', got None")
        result = queueing.erlang_a(
            traffic, agents, aht_seconds, patience_seconds, answer_target_seconds
        )
        return {
            "service_level": result.service_level,
            "asa_seconds": result.asa_seconds,
            "abandon_rate": result.abandon_rate,
            "occupancy": result.occupancy,
            "wait_probability": result.wait_probability,
        }
    unstable = (traffic > 0) & (traffic >= agents)
    service_level = queueing.erlang_c_service_level(
        traffic, agents, aht_seconds, answer_target_seconds
    )
    asa = queueing.erlang_c_asa_seconds(traffic, agents, aht_seconds)
    wait = queueing.erlang_c_wait_probability(traffic, agents)
    busy = queueing.occupancy(traffic, agents)
    return {
        "service_level": np.where(unstable, 0.0, service_level),
        "asa_seconds": np.where(unstable, np.inf, asa),
        # Erlang C has no abandonment in it: "not modelled" (NaN), not a prediction of zero.
        "abandon_rate": np.full(traffic.shape, np.nan),
        "occupancy": np.where(unstable, 1.0, busy),
        "wait_probability": np.where(unstable, 1.0, wait),
    }


def evaluate_plan(
    forecast: pd.DataFrame,
    agents_scheduled: str | pd.DataFrame = "agents_to_schedule",
    *,
    shrinkage: float = 0.0,
    model: str | None = None,
    patience_seconds: PatienceSeconds = None,
    answer_target_seconds: float = 20.0,
    service_level_target: float = 0.8,
    max_abandon_rate: float | None = None,
    interval_minutes: int | None = None,
    name: str = "forecast",
) -> Evaluation:
    """Predict the KPIs a plan gives, interval by interval, with the Erlang formulas.

    Parameters
    ----------
    forecast
        Long frame with ``queue`` (optional), ``interval_start`` (timezone-aware),
        ``calls_forecast`` (calls per interval) and ``aht_seconds_forecast`` (seconds).
    agents_scheduled
        Heads per interval: a column of ``forecast`` (staffing's ``agents_to_schedule``,
        ``agents_scheduled``) or a roster's coverage frame (``queue``, ``interval_start``,
        ``agents_scheduled``); see :func:`join_plan`.
    shrinkage
        Fraction of scheduled heads not on the phones, in [0, 1); productive agents are
        ``floor(heads * (1 - shrinkage))`` (exact, see :func:`productive_agents`).
    model
        ``"erlang-a"`` or ``"erlang-c"``; None picks Erlang A when ``patience_seconds`` is given,
        Erlang C otherwise.
    patience_seconds
        Mean caller patience in seconds (> 0), for Erlang A: one number for every queue, or a
        mapping queue -> seconds naming every queue of ``forecast`` (a queue missing from it is
        an :class:`~planner.errors.InputError` naming the queue).
    answer_target_seconds
        The answer target of the service level (the 20 in 80/20), seconds > 0.
    service_level_target
        Fraction of offered calls to answer within the target, in [0, 1].
    max_abandon_rate
        Optional ceiling on the abandonment rate, in [0, 1]; an interval above it misses target.
    interval_minutes
        Interval length; inferred from ``interval_start`` when None.
    name
        What the forecast is called in error messages.

    Returns
    -------
    Evaluation
        Per-interval KPIs, daily / weekly / total aggregates weighted by calls, and the intervals
        missing target. An interval meets target when its service level reaches
        ``service_level_target`` and (if given) its abandonment stays within ``max_abandon_rate``;
        intervals with no calls always do.
    """
    plan = join_plan(forecast, agents_scheduled, name=name)
    minutes = resolve_interval_minutes(plan, interval_minutes, name=name)
    shrink = _check_fraction(shrinkage, "shrinkage", upper_open=True)
    patience = check_patience(patience_seconds)
    resolved = _resolve_model(model, patience)
    target_seconds = float(_positive(answer_target_seconds, "answer_target_seconds"))  # type: ignore[arg-type]
    sl_target = _check_fraction(service_level_target, "service_level_target")
    ceiling = (
        None if max_abandon_rate is None else _check_fraction(max_abandon_rate, "max_abandon_rate")
    )
    if ceiling is not None and resolved != "erlang_a":
        raise InputError(
            f"max_abandon_rate needs model='erlang-a' (Erlang C does not model abandonment), "
            f"got max_abandon_rate={max_abandon_rate} with model={model!r}"
        )

    calls = plan["calls_forecast"].to_numpy(dtype=float)
    aht = plan["aht_seconds_forecast"].to_numpy(dtype=float)
    heads = plan["agents_scheduled"].to_numpy(dtype=np.int64)
    productive = productive_agents(heads, shrink)
    traffic = calls * aht / (minutes * 60.0)
    patience_rows = (
        patience_by_row(patience, plan["queue"].to_numpy()) if resolved == "erlang_a" else None
    )
    kpis = _erlang_kpis(traffic, productive, aht, resolved, patience_rows, target_seconds)
    intervals = plan.assign(agents_productive=productive, traffic_erlangs=traffic)
    for column, values in kpis.items():
        intervals[column] = values
    intervals["meets_target"] = _meets_target(
        calls, kpis["service_level"], kpis["abandon_rate"], sl_target, ceiling
    )
    intervals = intervals.loc[:, list(EVALUATION_COLUMNS)]
    daily, weekly, totals = _period_frames(intervals, minutes)
    missing = intervals.loc[~intervals["meets_target"]].sort_values(
        ["service_level", "queue", "interval_start"], kind="stable"
    )
    return Evaluation(
        intervals=intervals,
        daily=daily,
        weekly=weekly,
        totals=totals,
        missing_target=missing.reset_index(drop=True),
        model=resolved,
        patience_seconds=patience,
        answer_target_seconds=target_seconds,
        service_level_target=sl_target,
        max_abandon_rate=ceiling,
        shrinkage=shrink,
        interval_minutes=minutes,
    )


def _meets_target(
    calls: np.ndarray,
    service_level: np.ndarray,
    abandon_rate: np.ndarray,
    service_level_target: float,
    max_abandon_rate: float | None,
) -> np.ndarray:
    """True where an interval meets the service-level target and the abandonment ceiling."""
    with np.errstate(invalid="ignore"):
        meets = service_level >= service_level_target - 1e-12
        if max_abandon_rate is not None:
            meets &= abandon_rate <= max_abandon_rate + 1e-12
    return meets | (calls <= 0)


def group_codes(keys: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of each row (groups sorted by the key columns) and the unique keys.

    Parameters
    ----------
    keys
        Key columns, shape ``(n, k)``.

    Returns
    -------
    (codes, unique)
        ``codes`` int64 of shape ``(n,)`` indexing the rows of ``unique`` (the distinct keys,
        sorted, ``RangeIndex``).
    """
    columns = list(keys.columns)
    codes = keys.groupby(columns, sort=True).ngroup().to_numpy(dtype=np.int64)
    unique = keys.drop_duplicates().sort_values(columns, kind="stable").reset_index(drop=True)
    return codes, unique


def _period_frames(
    intervals: pd.DataFrame, interval_minutes: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Daily, weekly and total aggregates of evaluated intervals (see :data:`PERIOD_COLUMNS`).

    Parameters
    ----------
    intervals
        Rows of :attr:`Evaluation.intervals` (columns :data:`EVALUATION_COLUMNS`), shape (n, 13).
    interval_minutes
        Interval length in minutes (for the hours columns).

    Returns
    -------
    (daily, weekly, totals)
        Per (``queue``, ``day``), (``queue``, ``week_start``) and ``queue`` (plus ``all queues``
        when there are several): :data:`PERIOD_COLUMNS` after the keys, rates weighted by calls.
        Under Erlang C ``abandon_rate`` is NaN (not modelled), never 0.
    """
    day, week_start = calendar_keys(intervals["interval_start"])
    queue = intervals["queue"].to_numpy()
    calls = intervals["calls_forecast"].to_numpy(dtype=float)
    abandon = intervals["abandon_rate"].to_numpy(dtype=float)
    answered = calls * (1.0 - np.nan_to_num(abandon, nan=0.0))  # Erlang C: every call answered
    productive = intervals["agents_productive"].to_numpy(dtype=float)
    hours = interval_minutes / 60.0
    missing = ~intervals["meets_target"].to_numpy(dtype=bool)

    def weighted(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        # Zero weight contributes nothing even where the value is NaN or infinite.
        with np.errstate(invalid="ignore"):
            return np.where(weights > 0, values * weights, 0.0)

    sums = {
        "calls_forecast": calls,
        "calls_answered": answered,
        "scheduled_hours": intervals["agents_scheduled"].to_numpy(dtype=float) * hours,
        "productive_hours": productive * hours,
        "sl_weighted": weighted(intervals["service_level"].to_numpy(dtype=float), calls),
        "asa_weighted": weighted(intervals["asa_seconds"].to_numpy(dtype=float), answered),
        "abandon_weighted": weighted(abandon, calls),
        "wait_weighted": weighted(intervals["wait_probability"].to_numpy(dtype=float), calls),
        "busy_agents": weighted(intervals["occupancy"].to_numpy(dtype=float), productive),
        "productive_agents": productive,
        "intervals": np.ones(len(intervals)),
        "intervals_missing_target": missing.astype(float),
        "calls_in_intervals_missing_target": np.where(missing, calls, 0.0),
    }

    def ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(bottom > 0, top / bottom, np.nan)

    def aggregate(keys: pd.DataFrame) -> pd.DataFrame:
        codes, out = group_codes(keys)
        total = {
            name: np.bincount(codes, weights=values, minlength=len(out))
            for name, values in sums.items()
        }
        for name in ("calls_forecast", "calls_answered", "scheduled_hours", "productive_hours"):
            out[name] = total[name]
        out["service_level"] = ratio(total["sl_weighted"], total["calls_forecast"])
        out["asa_seconds"] = ratio(total["asa_weighted"], total["calls_answered"])
        out["abandon_rate"] = ratio(total["abandon_weighted"], total["calls_forecast"])
        out["occupancy"] = ratio(total["busy_agents"], total["productive_agents"])
        out["wait_probability"] = ratio(total["wait_weighted"], total["calls_forecast"])
        out["intervals"] = total["intervals"].astype(np.int64)
        out["intervals_missing_target"] = total["intervals_missing_target"].astype(np.int64)
        out["calls_in_intervals_missing_target"] = total["calls_in_intervals_missing_target"]
        return out

    daily = aggregate(pd.DataFrame({"queue": queue, "day": day.to_numpy()}))
    weekly = aggregate(pd.DataFrame({"queue": queue, "week_start": week_start.to_numpy()}))
    totals = aggregate(pd.DataFrame({"queue": queue}))
    if len(totals) > 1:
        everything = aggregate(pd.DataFrame({"queue": np.full(len(queue), ALL_QUEUES)}))
        totals = pd.concat([totals, everything], ignore_index=True)
    return daily, weekly, totals
