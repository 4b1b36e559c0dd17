"""Staffing: agents required per interval for service targets, and KPIs for given agents.

Frames in, frames out, over the numpy kernels of :mod:`planner.queueing`:

- :func:`required_agents` turns a forecast frame into the requirements frame
  (:data:`planner.schema.REQUIREMENT_COLUMNS`): the smallest number of productive agents that
  meets every target in :class:`StaffingTargets` in each interval, grossed up for shrinkage by an
  exact integer ceiling, with the predicted KPIs at that staffing.
- :func:`kpis_for_agents` is the reverse: predicted KPIs for a given number of agents per interval.
- :func:`combine_shrinkage` multiplies shrinkage components exactly.

Models: ``"erlang-c"`` (M/M/n, callers never hang up) and ``"erlang-a"`` (M/M/n+M, callers hang
up after an exponential patience with mean ``patience_seconds``: one number, or a mapping queue ->
seconds since patience differs per queue, validated by :func:`planner._params.patience_by_row`).
Under Erlang C the
``abandon_rate`` column is NaN: the model does not predict abandonment (it is not 0, it is
unknown); and an interval whose traffic is at least its agents has no steady state, so
:func:`kpis_for_agents` reports NaN KPIs there (use Erlang A for overloaded intervals).
Intervals without calls need no agents (``min_agents`` sets a floor) and report service level 1,
ASA 0, occupancy 0, wait probability 0 (and abandon rate 0 under Erlang A).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from planner import queueing
from planner._params import PatienceSeconds, check_patience, patience_by_row
from planner._params import show_value as _show
from planner.errors import InfeasibleError, InputError
from planner.schema import DEFAULT_QUEUE, REQUIREMENT_COLUMNS

__all__ = [
    "KPI_COLUMNS",
    "Model",
    "StaffingTargets",
    "combine_shrinkage",
    "kpis_for_agents",
    "required_agents",
]

Model = Literal["erlang-c", "erlang-a"]
_MODELS = ("erlang-c", "erlang-a")

KPI_COLUMNS = (
    "queue",
    "interval_start",
    "calls_forecast",
    "aht_seconds_forecast",
    "traffic_erlangs",
    "agents_scheduled",
    "service_level",
    "asa_seconds",
    "occupancy",
    "wait_probability",
    "abandon_rate",
    "service_level_of_answered",
    "mean_wait_seconds",
)
"""Columns of :func:`kpis_for_agents`; ``agents_scheduled`` takes the name of the agents column
when one is given by name (e.g. ``agents_staffed``)."""

_MAX_GALLOP_STEPS = 40
_INFEASIBLE_FACTOR = 20
"""A target not met with ``20 x traffic + 1000`` agents is reported as infeasible."""


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------


def _check_number(name: str, value: object, *, optional: bool) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{name} must be a number, got {_show(value)}")
    number = float(value)
    if math.isnan(number):
        raise InputError(f"{name} must be a number, got nan")
    return number


@dataclass(frozen=True)
class StaffingTargets:
    """Service targets every interval must meet; validated on construction.

    Attributes
    ----------
    service_level_target : float or None
        Fraction of offered calls to answer within ``answer_target_seconds`` (the 0.8 of 80/20),
        in (0, 1]; ``None`` for no service-level target.
    answer_target_seconds : float
        The answer time of the service level in seconds (the 20 of 80/20), >= 0. Not the ASA.
    max_asa_seconds : float or None
        Largest acceptable mean wait of answered calls in seconds (> 0).
    max_abandon_rate : float or None
        Largest acceptable fraction of offered calls that abandon, in (0, 1]; Erlang A only.
    max_occupancy : float or None
        Largest acceptable fraction of agents' time busy with calls, in (0, 1].

    Raises
    ------
    planner.errors.InputError
        A value out of range or not a number, e.g.
        ``service_level_target must be in (0, 1], got 80``; or no target at all.
    """

    service_level_target: float | None = 0.8
    answer_target_seconds: float = 20.0
    max_asa_seconds: float | None = None
    max_abandon_rate: float | None = None
    max_occupancy: float | None = None

    def __post_init__(self) -> None:
        checks: list[tuple[str, bool, Callable[[float], bool], str]] = [
            ("service_level_target", True, lambda v: 0 < v <= 1, "in (0, 1]"),
            ("answer_target_seconds", False, lambda v: 0 <= v < math.inf, "a finite number >= 0"),
            ("max_asa_seconds", True, lambda v: 0 < v < math.inf, "a finite number > 0"),
            ("max_abandon_rate", True, lambda v: 0 < v <= 1, "in (0, 1]"),
            ("max_occupancy", True, lambda v: 0 < v <= 1, "in (0, 1]"),
        ]
        for name, optional, ok, expected in checks:
            value = _check_number(name, getattr(self, name), optional=optional)
            if value is not None and not ok(value):
                raise InputError(f"{name} must be {expected}, got {_show(getattr(self, name))}")
        if all(
            getattr(self, name) is None
            for name in (
                "service_level_target",
                "max_asa_seconds",
                "max_abandon_rate",
                "max_occupancy",
            )
        ):
            raise InputError(
                "StaffingTargets needs at least one target: service_level_target, "
                "max_asa_seconds, max_abandon_rate or max_occupancy, got none"
            )


# ---------------------------------------------------------------------------------------------
# Shrinkage
# ---------------------------------------------------------------------------------------------


def _decimal_fraction(value: float) -> Fraction:
    """The decimal a float prints as (``repr``), exactly: 0.3 -> 3/10, not 5404319552844595/2^54."""
    return Fraction(repr(float(value)))


def combine_shrinkage(*fractions: ArrayLike) -> float | NDArray[np.float64]:
    """Total shrinkage of independent components: ``1 - (1 - a)(1 - b)...``, computed exactly.

    Parameters
    ----------
    *fractions : float or array_like of float
        Shrinkage components in [0, 1) (e.g. breaks 0.1, absence 0.05, training 0.05); scalars or
        per-interval arrays of one shape, broadcast together.

    Returns
    -------
    float or numpy.ndarray of float64
        The combined fraction in [0, 1): a float for scalar input, else an array of the broadcast
        shape. Each component is taken as the decimal it prints as and the product is exact, so
        ``combine_shrinkage(0.1, 0.2)`` is 0.28, not 0.28000000000000003.

    Raises
    ------
    planner.errors.InputError
        No components, or a component outside [0, 1) or not a number.
    """
    if not fractions:
        raise InputError("combine_shrinkage needs at least one shrinkage fraction, got none")
    arrays = np.broadcast_arrays(*(np.asarray(f, dtype=np.float64) for f in fractions))
    for position, array in enumerate(arrays, start=1):
        bad = ~((array >= 0) & (array < 1))
        if bad.any():
            value = array[bad].flat[0]
            raise InputError(
                f"shrinkage component {position} must be in [0, 1), got {_show(value)}"
            )
    stacked = np.stack([a.ravel() for a in arrays], axis=1)
    unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    combined = np.empty(unique.shape[0])
    for row, values in enumerate(unique):
        kept = Fraction(1)
        for value in values:
            kept *= 1 - _decimal_fraction(value)
        combined[row] = float(1 - kept)
    out = combined[np.ravel(inverse)].reshape(arrays[0].shape)
    return float(out) if out.ndim == 0 else out


def _gross_up(agents: NDArray[np.int64], shrinkage: NDArray[np.float64]) -> NDArray[np.int64]:
    """``ceil(agents / (1 - shrinkage))`` in exact rational arithmetic (shrinkage as decimal).

    With ``1 - shrinkage = p / q`` in lowest terms the ceiling is ``(agents q + p - 1) // p``,
    done in int64 when ``agents q`` cannot overflow and in Python integers otherwise.
    """
    out = np.empty(agents.shape[0], dtype=np.int64)
    codes, values = pd.factorize(shrinkage)
    for code, value in enumerate(values):
        rows = np.flatnonzero(codes == code)
        kept = 1 - _decimal_fraction(float(value))
        p, q = kept.numerator, kept.denominator
        counts = agents[rows]
        if int(counts.max(initial=0)) * q < 2**62:
            out[rows] = (counts * q + (p - 1)) // p
        else:
            out[rows] = [(int(count) * q + p - 1) // p for count in counts]
    return out


# ---------------------------------------------------------------------------------------------
# Frame validation
# ---------------------------------------------------------------------------------------------


def _where(frame: pd.DataFrame, position: int) -> str:
    queue = frame["queue"].iloc[position] if "queue" in frame.columns else DEFAULT_QUEUE
    start = frame["interval_start"].iloc[position] if "interval_start" in frame.columns else None
    return f"forecast row {position + 1} (queue {queue!r}, interval_start {start})"


def _pick(frame: pd.DataFrame, names: tuple[str, ...], what: str) -> str:
    for name in names:
        if name in frame.columns:
            return name
    raise InputError(
        f"forecast: no {what} column; expected one of {', '.join(names)}, "
        f"got columns {', '.join(map(str, frame.columns))}"
    )


@dataclass(frozen=True)
class _Intervals:
    queue: pd.Series
    interval_start: pd.Series
    calls: NDArray[np.float64]
    aht_seconds: NDArray[np.float64]
    traffic_erlangs: NDArray[np.float64]
    order: NDArray[np.intp]


def _read_intervals(forecast: pd.DataFrame, interval_minutes: int | None) -> _Intervals:
    """Validate the forecast frame and return its columns sorted by (queue, interval_start)."""
    if not isinstance(forecast, pd.DataFrame):
        raise InputError(f"forecast must be a pandas DataFrame, got {type(forecast).__name__}")
    if "interval_start" not in forecast.columns:
        raise InputError(
            "forecast: no interval_start column; got columns "
            + ", ".join(map(str, forecast.columns))
        )
    calls_name = _pick(forecast, ("calls_forecast", "calls_offered"), "calls")
    aht_name = _pick(forecast, ("aht_seconds_forecast", "aht_seconds"), "AHT")
    calls = pd.to_numeric(forecast[calls_name], errors="coerce").to_numpy(dtype=np.float64)
    aht = pd.to_numeric(forecast[aht_name], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(calls) & (calls >= 0))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{_where(forecast, pos)}: {calls_name} must be a finite number >= 0, "
            f"got {_show(forecast[calls_name].iloc[pos])}"
        )
    bad = (calls > 0) & ~(np.isfinite(aht) & (aht > 0))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{_where(forecast, pos)}: {aht_name} must be a finite number > 0 where there are "
            f"calls, got {_show(forecast[aht_name].iloc[pos])}"
        )
    queue = (
        forecast["queue"].reset_index(drop=True)
        if "queue" in forecast.columns
        else pd.Series([DEFAULT_QUEUE] * len(forecast), dtype=object)
    )
    starts = forecast["interval_start"].reset_index(drop=True)
    if interval_minutes is None:
        interval_minutes = _infer_interval_minutes(starts, queue)
    elif (
        isinstance(interval_minutes, bool)
        or not isinstance(interval_minutes, int | np.integer)
        or interval_minutes <= 0
    ):
        raise InputError(
            f"interval_minutes must be a whole number > 0, got {_show(interval_minutes)}"
        )
    keys = pd.DataFrame({"queue": queue.astype(str), "interval_start": starts})
    order = keys.sort_values(["queue", "interval_start"], kind="mergesort").index.to_numpy()
    calls, aht = calls[order], aht[order]
    traffic = np.where(calls > 0, calls * np.where(calls > 0, aht, 1.0), 0.0) / (
        float(interval_minutes) * 60.0
    )
    return _Intervals(
        queue=queue.iloc[order].reset_index(drop=True),
        interval_start=starts.iloc[order].reset_index(drop=True),
        calls=calls,
        aht_seconds=aht,
        traffic_erlangs=traffic,
        order=order,
    )


def _infer_interval_minutes(starts: pd.Series, queue: pd.Series) -> int:
    """Interval length from the spacing of the starts (planner.io), with a hint on failure."""
    from planner.io import infer_interval_minutes

    try:
        return infer_interval_minutes(starts, source="forecast", queue=queue)
    except InputError as error:
        raise InputError(f"{error}; or pass interval_minutes explicitly") from error


def _check_model(model: object, patience_seconds: object) -> None:
    """The model is known; Erlang A has a valid patience, Erlang C none."""
    if model not in _MODELS:
        raise InputError(f"model must be 'erlang-c' or 'erlang-a', got {model!r}")
    if model == "erlang-a":
        if patience_seconds is None:
            raise InputError(
                "patience_seconds is required with model='erlang-a' (mean caller patience in "
                "seconds, or a mapping queue -> seconds), got None"
            )
        check_patience(patience_seconds)
    elif patience_seconds is not None:
        raise InputError(
            f"patience_seconds is only used by model='erlang-a', got {_show(patience_seconds)} "
            "with model='erlang-c'"
        )


def _patience_rows(
    model: str, patience_seconds: PatienceSeconds, intervals: _Intervals
) -> NDArray[np.float64]:
    """Mean patience per sorted row (Erlang A), or infinity (Erlang C: nobody hangs up)."""
    if model == "erlang-c":
        return np.full(intervals.calls.shape[0], math.inf)
    rows = patience_by_row(patience_seconds, intervals.queue)
    assert rows is not None
    return rows


def _shrinkage_array(forecast: pd.DataFrame, shrinkage: object, order: NDArray[np.intp]) -> NDArray:
    if isinstance(shrinkage, str):
        if shrinkage not in forecast.columns:
            raise InputError(
                f"shrinkage column {shrinkage!r} is not in the forecast; got columns "
                + ", ".join(map(str, forecast.columns))
            )
        values = pd.to_numeric(forecast[shrinkage], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~((values >= 0) & (values < 1))
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{_where(forecast, pos)}: {shrinkage} must be in [0, 1), "
                f"got {_show(forecast[shrinkage].iloc[pos])}"
            )
        return values[order]
    value = _check_number("shrinkage", shrinkage, optional=False)
    assert value is not None
    if not 0 <= value < 1:
        raise InputError(f"shrinkage must be in [0, 1), got {_show(shrinkage)}")
    return np.full(order.shape[0], value)


# ---------------------------------------------------------------------------------------------
# KPIs and the search
# ---------------------------------------------------------------------------------------------


def _kpis(
    model: str,
    traffic: NDArray[np.float64],
    agents: NDArray[np.float64],
    aht: NDArray[np.float64],
    patience: NDArray[np.float64],
    answer_seconds: float,
    *,
    moments: Literal["none", "closed", "exact"] = "exact",
    erlang_b_value: NDArray[np.float64] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """KPIs of the chosen model for 1-D arrays (patience per row, seconds; unused by Erlang C);
    zero-traffic rows get AHT 1 (unused)."""
    aht = np.where(traffic > 0, aht, 1.0)
    if model == "erlang-c":
        kpi = queueing._erlang_c_flat(
            traffic, agents, aht, np.full(traffic.shape, answer_seconds), erlang_b_value
        )
        kpi["abandon_rate"] = np.full(traffic.shape, np.nan)
        kpi["service_level_of_answered"] = kpi["service_level"]
        kpi["mean_wait_seconds"] = kpi["asa_seconds"]
        return kpi
    size = traffic.shape[0]
    return queueing._erlang_a_flat(
        traffic,
        agents,
        aht,
        np.asarray(np.broadcast_to(patience, (size,)), dtype=np.float64),
        np.full(size, answer_seconds),
        moments=moments,
    )


def _meets(
    model: str,
    targets: StaffingTargets,
    *,
    closed_form: bool = False,
) -> Callable[[NDArray, NDArray, NDArray, NDArray], NDArray[np.bool_]]:
    """Vectorised predicate ``meets(traffic, agents, aht, patience)``: do ``agents`` meet every
    target (NaN KPIs never do)?

    With ``closed_form=True`` (Erlang A) the ASA target is ignored and abandonment comes from the
    cheap closed form: a predicate for a starting guess, not for the answer.
    """
    moments: Literal["none", "closed", "exact"] = "none"
    if model == "erlang-a":
        if closed_form:
            if targets.max_abandon_rate is not None or targets.max_occupancy is not None:
                moments = "closed"
        elif (
            targets.max_asa_seconds is not None
            or targets.max_abandon_rate is not None
            or targets.max_occupancy is not None
        ):
            moments = "exact"
    check_asa = targets.max_asa_seconds is not None and not closed_form

    def meets(
        traffic: NDArray, agents: NDArray, aht: NDArray, patience: NDArray
    ) -> NDArray[np.bool_]:
        kpi = _kpis(
            model,
            traffic,
            agents.astype(np.float64),
            aht,
            patience,
            targets.answer_target_seconds,
            moments=moments,
        )
        ok = np.ones(traffic.shape, dtype=bool)
        if model == "erlang-c":
            ok &= (agents > traffic) | (traffic == 0)
        if targets.service_level_target is not None:
            ok &= kpi["service_level"] >= targets.service_level_target
        if check_asa:
            ok &= kpi["asa_seconds"] <= float(targets.max_asa_seconds)  # type: ignore[arg-type]
        if targets.max_abandon_rate is not None:
            ok &= kpi["abandon_rate"] <= targets.max_abandon_rate
        if targets.max_occupancy is not None:
            ok &= kpi["occupancy"] <= targets.max_occupancy
        return ok

    return meets


class _Unreachable(Exception):
    """The search reached its agent limit at element ``index`` without meeting the targets."""

    def __init__(self, index: int, agents: int) -> None:
        super().__init__(index, agents)
        self.index = index
        self.agents = agents


def _smallest_meeting(
    meets: Callable[[NDArray, NDArray, NDArray, NDArray], NDArray[np.bool_]],
    traffic: NDArray[np.float64],
    aht: NDArray[np.float64],
    patience: NDArray[np.float64],
    failing: NDArray[np.int64],
    guess: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Smallest ``n > failing`` with ``meets(n)`` per element, for a predicate monotone in ``n``.

    ``failing`` is a known failing count (or one below the smallest allowed). From ``guess``,
    gallop up (doubling steps) where it fails and down where it meets, then bisect the bracket;
    every step evaluates the kernels on the still-open elements only.
    """
    size = traffic.shape[0]
    lo = failing.copy()
    hi = np.maximum(guess, failing + 1)
    ok = meets(traffic, hi, aht, patience)
    limit = np.ceil(_INFEASIBLE_FACTOR * traffic).astype(np.int64) + 1000

    # Up: hi fails -> move the bracket up until it meets.
    up = np.flatnonzero(~ok)
    step = np.maximum(np.ceil(0.5 * np.sqrt(traffic)).astype(np.int64), 1)
    for _ in range(_MAX_GALLOP_STEPS):
        if up.size == 0:
            break
        lo[up] = hi[up]
        hi[up] = np.minimum(hi[up] + step[up], np.maximum(limit[up], lo[up] + 1))
        step[up] *= 2
        met = meets(traffic[up], hi[up], aht[up], patience[up])
        stuck = ~met & (hi[up] >= limit[up])
        if stuck.any():
            first = int(up[np.flatnonzero(stuck)[0]])
            raise _Unreachable(first, int(hi[first]))
        up = up[~met]

    # Down: hi meets at the first try -> probe below while it keeps meeting.
    down = np.flatnonzero(ok)
    step = np.ones(size, dtype=np.int64)
    for _ in range(_MAX_GALLOP_STEPS):
        down = down[hi[down] - lo[down] > 1]
        if down.size == 0:
            break
        probe = np.maximum(hi[down] - step[down], lo[down] + 1)
        met = meets(traffic[down], probe, aht[down], patience[down])
        hi[down[met]] = probe[met]
        lo[down[~met]] = probe[~met]
        step[down] *= 2
        down = down[met]

    # Bisect: lo fails, hi meets.
    open_ = np.flatnonzero(hi - lo > 1)
    while open_.size:
        mid = (lo[open_] + hi[open_]) // 2
        met = meets(traffic[open_], mid, aht[open_], patience[open_])
        hi[open_[met]] = mid[met]
        lo[open_[~met]] = mid[~met]
        open_ = open_[hi[open_] - lo[open_] > 1]
    return hi


def _erlang_c_walk(
    targets: StaffingTargets,
    traffic: NDArray[np.float64],
    aht: NDArray[np.float64],
    start: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Smallest Erlang C staffing ``n >= start`` meeting the SL, ASA and occupancy targets.

    Returns ``n`` and the Erlang B value ``B(n, traffic)`` the walk ended with.

    Walks up the agents axis with the stable Erlang B recursion
    ``B(n+1) = A B(n) / (n + 1 + A B(n))`` from one exact log-space value at ``start``; each
    step costs a few vectorised multiplications over the intervals still short, and the walk is
    short because ``start`` is past the stability bound ``floor(traffic) + 1`` and the occupancy
    bound (square-root staffing: a few ``sqrt(traffic)`` steps). ``start`` must be stable
    (``> traffic``) and every count below it must fail. 1-D arrays of positive traffic.
    """
    n = start.astype(np.float64)
    b = queueing.erlang_b(traffic, n)
    out = np.empty(traffic.shape[0], dtype=np.int64)
    out_b = np.empty(traffic.shape[0])
    active = np.arange(traffic.shape[0])
    a, h = traffic.copy(), aht.copy()
    limit = _INFEASIBLE_FACTOR * a + 1000
    t = targets.answer_target_seconds
    while active.size:
        c = n * b / (n - a + a * b)
        ok = np.ones(active.size, dtype=bool)
        if targets.service_level_target is not None:
            ok &= 1.0 - c * np.exp(-(n - a) * t / h) >= targets.service_level_target
        if targets.max_asa_seconds is not None:
            ok &= c * h / (n - a) <= targets.max_asa_seconds
        if targets.max_occupancy is not None:
            ok &= a / n <= targets.max_occupancy
        if ok.any():
            out[active[ok]] = n[ok].astype(np.int64)
            out_b[active[ok]] = b[ok]
            keep = ~ok
            active = active[keep]
            n, b, a, h, limit = (v[keep] for v in (n, b, a, h, limit))
        stuck = n >= limit
        if stuck.any():
            first = int(np.flatnonzero(stuck)[0])
            raise _Unreachable(int(active[first]), int(n[first]))
        n = n + 1.0
        b = a * b / (n + a * b)
    return out, out_b


def _erlang_c_start(
    targets: StaffingTargets, traffic: NDArray[np.float64], min_agents: int
) -> NDArray[np.int64]:
    """First count worth testing under Erlang C: stable, at least ``min_agents``, and no lower
    than the occupancy bound (``n < traffic / max_occupancy`` fails; one agent of margin keeps
    float rounding of the bound on the safe side)."""
    start = np.maximum(np.floor(traffic).astype(np.int64) + 1, min_agents)
    if targets.max_occupancy is not None:
        bound = np.floor(traffic / targets.max_occupancy).astype(np.int64) - 1
        start = np.maximum(start, bound)
    return start


def _required(
    model: str,
    targets: StaffingTargets,
    patience: NDArray[np.float64],
    traffic: NDArray[np.float64],
    aht: NDArray[np.float64],
    min_agents: int,
    erlang_b_value: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Agents required per interval; under Erlang C also fills ``erlang_b_value`` (B at the
    answer) for the intervals with traffic, so that the KPIs need no second evaluation."""
    required = np.full(traffic.shape[0], min_agents, dtype=np.int64)
    busy = np.flatnonzero(traffic > 0)
    if busy.size == 0:
        return required
    a, h, p = traffic[busy], aht[busy], patience[busy]
    floor_min = np.full(busy.size, min_agents - 1, dtype=np.int64)
    if model == "erlang-c":
        required[busy], erlang_b_value[busy] = _erlang_c_walk(
            targets, a, h, _erlang_c_start(targets, a, min_agents)
        )
        return required
    c_guess = np.ceil(a + np.sqrt(a)).astype(np.int64) + 1
    # Erlang A: with n >= 1 agents the carried load is below min(traffic, n), so SL < n / traffic
    # and abandonment > 1 - n / traffic; with none, SL = 0 and abandonment = 1. Counts at or
    # below those bounds fail (n = 0 fails an abandonment target only when it is below 1).
    failing = floor_min.copy()
    if targets.service_level_target is not None:
        failing = np.maximum(failing, np.floor(a * targets.service_level_target).astype(np.int64))
    if targets.max_abandon_rate is not None and targets.max_abandon_rate < 1:
        failing = np.maximum(failing, np.floor(a * (1 - targets.max_abandon_rate)).astype(np.int64))
    # Starting guess: the Erlang C staffing for the SL/ASA targets (callers who hang up lighten
    # the queue, so Erlang A needs about as many or fewer), refined by the cheap closed-form
    # Erlang A predicate; the exact search then usually confirms it with two evaluations.
    guess = c_guess
    if targets.service_level_target is not None or targets.max_asa_seconds is not None:
        c_only = StaffingTargets(
            service_level_target=targets.service_level_target,
            answer_target_seconds=targets.answer_target_seconds,
            max_asa_seconds=targets.max_asa_seconds,
        )
        try:
            guess = _erlang_c_walk(c_only, a, h, _erlang_c_start(c_only, a, 0))[0]
        except _Unreachable:
            guess = c_guess
    if any(
        getattr(targets, name) is not None
        for name in ("service_level_target", "max_abandon_rate", "max_occupancy")
    ):
        try:
            guess = _smallest_meeting(
                _meets("erlang-a", targets, closed_form=True),
                a,
                h,
                p,
                failing,
                np.maximum(guess, failing + 1),
            )
        except _Unreachable:
            pass
        else:
            if (
                targets.max_asa_seconds is None
                and targets.max_abandon_rate is None
                and (targets.max_occupancy is None)
            ):
                # Service level only: the closed form is the exact predicate; done.
                required[busy] = guess
                return required
    required[busy] = _smallest_meeting(
        _meets("erlang-a", targets), a, h, p, failing, np.maximum(guess, failing + 1)
    )
    return required


# ---------------------------------------------------------------------------------------------
# Public frame functions
# ---------------------------------------------------------------------------------------------


def required_agents(
    forecast: pd.DataFrame,
    targets: StaffingTargets | None = None,
    *,
    model: Model = "erlang-c",
    patience_seconds: PatienceSeconds = None,
    shrinkage: float | str = 0.0,
    min_agents: int = 0,
    interval_minutes: int | None = None,
) -> pd.DataFrame:
    """Agents required per interval to meet every target, and the KPIs at that staffing.

    Parameters
    ----------
    forecast : pandas.DataFrame
        Long frame, one row per (``queue``, ``interval_start``), shape (n, k): ``interval_start``,
        ``calls_forecast`` and ``aht_seconds_forecast`` (history spellings ``calls_offered`` and
        ``aht_seconds`` are accepted when the forecast ones are absent); ``queue`` optional
        (``"default"``). Calls must be >= 0; AHT > 0 wherever there are calls (it is ignored,
        and may be missing, in intervals without calls). Not modified.
    targets : StaffingTargets, optional
        The targets; 80/20 service level by default.
    model : {"erlang-c", "erlang-a"}
        Queueing model. ``"erlang-a"`` needs ``patience_seconds``.
    patience_seconds : float or mapping of str to float, optional
        Mean caller patience in seconds (Erlang A only): one number for every queue, or a
        mapping queue -> seconds naming every queue of ``forecast`` (validated by
        :func:`planner._params.patience_by_row`).
    shrinkage : float or str
        Fraction of paid time agents are not available for calls, in [0, 1), or the name of a
        per-interval column of ``forecast`` holding it (use :func:`combine_shrinkage` to combine
        components). Read as the decimal it prints as (0.3 is 3/10 exactly).
    min_agents : int
        Floor of ``agents_required`` in every interval, zero-call intervals included.
    interval_minutes : int, optional
        Interval length; inferred from the spacing of ``interval_start`` (per queue) when omitted.

    Returns
    -------
    pandas.DataFrame
        Exactly :data:`planner.schema.REQUIREMENT_COLUMNS`, shape (n, 12), sorted by (``queue``,
        ``interval_start``), ``RangeIndex``: ``traffic_erlangs`` = calls x AHT / interval seconds;
        ``agents_required`` (int64) the smallest number of productive agents meeting every target
        (at least ``min_agents``; 0 for intervals without calls); ``agents_to_schedule`` (int64)
        = ``ceil(agents_required / (1 - shrinkage))`` in exact rational arithmetic; the KPIs of
        the model at ``agents_required`` (``service_level`` answered within the target over
        offered; ``asa_seconds`` mean wait of answered calls; ``abandon_rate`` NaN under Erlang C,
        which does not model abandonment).

    Raises
    ------
    planner.errors.InputError
        Bad frame or parameters (negative calls, missing AHT where there are calls, unknown model,
        Erlang A without ``patience_seconds``, ``max_abandon_rate`` with Erlang C, shrinkage out of
        [0, 1), ...), naming the field, row and value.
    planner.errors.InfeasibleError
        A target that no staffing up to ``20 x traffic + 1000`` agents meets.
    """
    targets = StaffingTargets() if targets is None else targets
    if not isinstance(targets, StaffingTargets):
        raise InputError(f"targets must be a StaffingTargets, got {type(targets).__name__}")
    _check_model(model, patience_seconds)
    if model == "erlang-c" and targets.max_abandon_rate is not None:
        raise InputError(
            f"max_abandon_rate needs model='erlang-a' (Erlang C does not model abandonment), "
            f"got max_abandon_rate={_show(targets.max_abandon_rate)} with model='erlang-c'"
        )
    if (
        isinstance(min_agents, bool)
        or not isinstance(min_agents, int | np.integer)
        or min_agents < 0
    ):
        raise InputError(f"min_agents must be a whole number >= 0, got {_show(min_agents)}")
    intervals = _read_intervals(forecast, interval_minutes)
    patience = _patience_rows(model, patience_seconds, intervals)
    shrink = _shrinkage_array(forecast, shrinkage, intervals.order)

    # B(n, traffic) at the answer, from the Erlang C walk (zero-traffic rows: B(n, 0)).
    erlang_b_value = np.full(len(shrink), 1.0 if min_agents == 0 else 0.0)
    try:
        agents = _required(
            model,
            targets,
            patience,
            intervals.traffic_erlangs,
            intervals.aht_seconds,
            int(min_agents),
            erlang_b_value,
        )
    except _Unreachable as stuck:
        busy = np.flatnonzero(intervals.traffic_erlangs > 0)
        sorted_pos = int(busy[stuck.index])
        row = int(intervals.order[sorted_pos])
        raise InfeasibleError(
            f"{_where(forecast, row)}: the targets are not met even with {stuck.agents} agents "
            f"for {intervals.traffic_erlangs[sorted_pos]:.6g} Erlangs; relax a target"
        ) from None
    kpi = _kpis(
        model,
        intervals.traffic_erlangs,
        agents.astype(np.float64),
        intervals.aht_seconds,
        patience,
        targets.answer_target_seconds,
        erlang_b_value=erlang_b_value if model == "erlang-c" else None,
    )
    out = pd.DataFrame(
        {
            "queue": intervals.queue,
            "interval_start": intervals.interval_start,
            "calls_forecast": intervals.calls,
            "aht_seconds_forecast": intervals.aht_seconds,
            "traffic_erlangs": intervals.traffic_erlangs,
            "agents_required": agents,
            "agents_to_schedule": _gross_up(agents, shrink),
            "service_level": kpi["service_level"],
            "asa_seconds": kpi["asa_seconds"],
            "occupancy": kpi["occupancy"],
            "wait_probability": kpi["wait_probability"],
            "abandon_rate": kpi["abandon_rate"],
        }
    )
    return out.loc[:, list(REQUIREMENT_COLUMNS)]


def kpis_for_agents(
    forecast: pd.DataFrame,
    agents: str | ArrayLike,
    *,
    model: Model = "erlang-c",
    patience_seconds: PatienceSeconds = None,
    answer_target_seconds: float = 20.0,
    interval_minutes: int | None = None,
) -> pd.DataFrame:
    """Predicted KPIs per interval for a given number of productive agents (the reverse).

    Parameters
    ----------
    forecast : pandas.DataFrame
        Forecast (or history) frame as in :func:`required_agents`, shape (n, k). Not modified.
    agents : str or array_like of int
        Name of a column of ``forecast`` (e.g. ``agents_scheduled`` or ``agents_staffed``) or an
        array of shape (n,) in the frame's row order: whole numbers >= 0 of agents on the phones.
    model : {"erlang-c", "erlang-a"}
        Queueing model; ``"erlang-a"`` needs ``patience_seconds``.
    patience_seconds : float or mapping of str to float, optional
        Mean caller patience in seconds (Erlang A only), one number or a mapping queue ->
        seconds naming every queue of ``forecast``.
    answer_target_seconds : float
        The answer time of the service level in seconds (the 20 of 80/20).
    interval_minutes : int, optional
        Interval length; inferred from ``interval_start`` when omitted.

    Returns
    -------
    pandas.DataFrame
        Exactly :data:`KPI_COLUMNS` (with ``agents_scheduled`` named after the agents column when
        one is given by name), sorted by (``queue``, ``interval_start``), ``RangeIndex``. Under
        Erlang C every KPI is NaN where traffic >= agents (no steady state: the queue grows
        without bound) and ``abandon_rate`` is NaN throughout (not modelled);
        ``service_level_of_answered`` is answered within the target over answered calls and
        ``mean_wait_seconds`` the mean time in queue of all offered calls.

    Raises
    ------
    planner.errors.InputError
        Bad frame, agents or parameters, naming the field, row and value.
    """
    _check_model(model, patience_seconds)
    answer = _check_number("answer_target_seconds", answer_target_seconds, optional=False)
    assert answer is not None
    if not 0 <= answer < math.inf:
        raise InputError(f"answer_target_seconds must be a finite number >= 0, got {_show(answer)}")
    intervals = _read_intervals(forecast, interval_minutes)
    patience = _patience_rows(model, patience_seconds, intervals)
    if isinstance(agents, str):
        if agents not in forecast.columns:
            raise InputError(
                f"agents column {agents!r} is not in the forecast; got columns "
                + ", ".join(map(str, forecast.columns))
            )
        agents_name = agents
        raw = pd.to_numeric(forecast[agents], errors="coerce").to_numpy(dtype=np.float64)
    else:
        agents_name = "agents_scheduled"
        raw = np.asarray(agents, dtype=np.float64).ravel()
        if raw.shape[0] != len(forecast):
            raise InputError(
                f"agents must have one value per forecast row ({len(forecast)}), got {raw.shape[0]}"
            )
    bad = ~(np.isfinite(raw) & (raw >= 0) & (raw == np.floor(raw)))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{_where(forecast, pos)}: {agents_name} must be a whole number >= 0, "
            f"got {_show(raw[pos])}"
        )
    counts = raw[intervals.order]
    kpi = _kpis(model, intervals.traffic_erlangs, counts, intervals.aht_seconds, patience, answer)
    out = pd.DataFrame(
        {
            "queue": intervals.queue,
            "interval_start": intervals.interval_start,
            "calls_forecast": intervals.calls,
            "aht_seconds_forecast": intervals.aht_seconds,
            "traffic_erlangs": intervals.traffic_erlangs,
            agents_name: counts.astype(np.int64),
            **{name: kpi[name] for name in KPI_COLUMNS[6:]},
        }
    )
    return out.loc[:, [*KPI_COLUMNS[:5], agents_name, *KPI_COLUMNS[6:]]]
