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

from fractions import Fraction

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.schema import DEFAULT_QUEUE, SUPPORTED_INTERVAL_MINUTES

__all__ = [
    "PLAN_COLUMNS",
    "calendar_keys",
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
