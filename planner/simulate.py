"""Discrete-event simulation of a staffing plan: what the Erlang formulas cannot show.

The Erlang formulas treat every interval as a queue in steady state that starts empty. A real
queue does not: a peak leaves calls waiting that the next interval has to answer, agents leave
at the end of their shift in the middle of a call, and arrivals are random around the forecast.
:func:`simulate_plan` replays the plan call by call:

* arrivals are Poisson with a rate that is constant inside each interval (the forecast's
  ``calls_forecast``), i.e. a Poisson count per interval placed uniformly inside it;
* handle times are exponential or lognormal with the interval's ``aht_seconds_forecast`` as the
  mean (lognormal with a given coefficient of variation);
* callers abandon after an exponential (or fixed) patience, or never (``patience=None``); the
  mean patience is one number for every queue or one per queue (a mapping queue -> seconds, as
  for :func:`planner.evaluate.evaluate_plan`), so each call draws from its own queue's mean;
* one FCFS queue per ``queue``; the agents on duty follow the plan interval by interval. When
  the count falls, randomly chosen agents leave; an agent in the middle of a call finishes it
  first. The queue carries over interval boundaries. When the centre closes (a gap in the
  intervals, or the end of the horizon) the agents of the last open interval stay until every
  call that arrived before closing has been answered or has abandoned;
* every call is counted in the interval in which it arrived.

The kernel (:func:`simulate_queue`) is an event loop over calls: service in FCFS order means that
the start of service of each call is the earliest moment at or after its arrival (and after the
previous call's) at which an agent on duty is free, so a heap of agents' free times gives the
whole run in O(calls x log agents) with staffing changes applied at interval boundaries. All
random numbers are drawn vectorised before the loop; the per-interval accounting after it is
vectorised too.

Randomness: replication ``r`` of queue ``q`` draws every number from
``numpy.random.SeedSequence(seed, spawn_key=(*w, r))``, where ``w`` are the first four 32-bit
little-endian words of the SHA-256 of ``q``'s name (UTF-8). A queue's run therefore depends only on
the seed, its name and its own rows: simulating all queues in one call gives exactly the rows of
one call per queue with the same seed.

Replications give confidence intervals: every interval, day, week and queue total is computed in
each replication (ratios of sums, weighted by calls) and summarised as the mean over replications
and a Student-t interval around it.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from planner._params import PatienceSeconds, check_patience, patience_by_row
from planner.errors import InputError
from planner.evaluate import (
    calendar_keys,
    join_plan,
    productive_agents,
    resolve_interval_minutes,
)
from planner.progress import ProgressCallback, report

__all__ = [
    "SIMULATION_METRICS",
    "QueueRun",
    "SimulationResult",
    "simulate_plan",
    "simulate_queue",
]

SIMULATION_METRICS = (
    "service_level",
    "service_level_of_answered",
    "asa_seconds",
    "abandon_rate",
    "wait_probability",
    "occupancy",
)
"""Per-call KPIs the simulation reports, each with ``_lower`` / ``_upper`` confidence bounds."""

_COUNT_NAMES = (
    "calls_offered",
    "calls_answered",
    "calls_abandoned",
    "calls_unanswered",
    "answered_within_target",
    "calls_waited",
    "wait_seconds_answered",
    "busy_seconds",
    "staffed_seconds",
)


# --------------------------------------------------------------------------------------------
# Kernel: one replication of one queue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRun:
    """Outcome of every call of one replication of one queue (arrays of shape ``(calls,)``).

    Attributes
    ----------
    wait_seconds
        Time in queue: until answer for answered calls, until abandonment for abandoned ones,
        ``inf`` for calls never answered (no agent ever came and the caller never abandons).
    answered
        True when an agent answered the call.
    abandoned
        True when the caller hung up before an agent was free.
    overrun_start_seconds, overrun_end_seconds
        Extra presence of agents beyond the plan, shape ``(k,)``: an agent who leaves while on a
        call (or who stays at closing to clear the queue) is present from ``start`` to ``end``.
    """

    wait_seconds: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    overrun_start_seconds: np.ndarray
    overrun_end_seconds: np.ndarray


def simulate_queue(
    arrival_seconds: np.ndarray,
    handle_seconds: np.ndarray,
    patience_seconds: np.ndarray,
    change_seconds: np.ndarray,
    agents_after_change: np.ndarray,
    closing: np.ndarray,
    rng: np.random.Generator,
) -> QueueRun:
    """Run one FCFS multi-agent queue with abandonment and a time-varying number of agents.

    Parameters
    ----------
    arrival_seconds
        Arrival times in seconds, shape ``(calls,)``, sorted ascending.
    handle_seconds
        Handle time of each call in seconds, shape ``(calls,)``, > 0.
    patience_seconds
        Patience of each caller in seconds, shape ``(calls,)``; ``inf`` means never abandons.
    change_seconds
        Times in seconds at which the number of agents on duty changes, shape ``(changes,)``,
        sorted ascending. Before the first change no agent is on duty.
    agents_after_change
        Agents on duty from each change on, shape ``(changes,)``, integers >= 0.
    closing
        Shape ``(changes,)``, bool: the change is a closing (to zero agents) at which the agents
        on duty stay until every call that arrived before it has left the queue.
    rng
        Chooses which agents leave when the count falls.

    Returns
    -------
    QueueRun
        Per-call outcome and the agents' presence beyond the plan.
    """
    arrivals = arrival_seconds.tolist()
    handles = handle_seconds.tolist()
    patiences = patience_seconds.tolist()
    changes = change_seconds.tolist()
    counts = [int(value) for value in agents_after_change.tolist()]
    closings = [bool(value) for value in closing.tolist()] + [False]  # sentinel at inf
    calls = len(arrivals)
    waits = [0.0] * calls
    outcome = bytearray(calls)  # 0 answered, 1 abandoned, 2 never answered
    overrun_start: list[float] = []
    overrun_end: list[float] = []
    heap: list[float] = []  # free times of the agents on duty
    inf = math.inf
    n_changes = len(changes)
    next_change_index = 0
    next_change = changes[0] if n_changes else inf
    frontier = -inf  # no call starts service before this time (FCFS)
    heappush = heapq.heappush
    heapreplace = heapq.heapreplace

    def apply_change(index: int) -> None:
        """Bring the agents on duty to ``counts[index]`` at time ``changes[index]``."""
        at = changes[index]
        target = counts[index]
        on_duty = len(heap)
        if closings[index]:
            # The agents stayed to clear the queue; each left when its last call ended.
            for free_at in heap:
                if free_at > at:
                    overrun_start.append(at)
                    overrun_end.append(free_at)
            heap.clear()
            on_duty = 0
        if target > on_duty:
            for _ in range(target - on_duty):
                heappush(heap, at)
        elif target < on_duty:
            leaving = set(rng.choice(on_duty, size=on_duty - target, replace=False).tolist())
            staying = []
            for position, free_at in enumerate(heap):
                if position not in leaving:
                    staying.append(free_at)
                elif free_at > at:  # in the middle of a call: finishes it, then leaves
                    overrun_start.append(at)
                    overrun_end.append(free_at)
            heap[:] = staying
            heapq.heapify(heap)

    for i in range(calls):
        arrival = arrivals[i]
        patience = patiences[i]
        now = arrival if arrival > frontier else frontier
        # Changes up to ``now`` apply; a closing applies only to calls that arrive after it
        # (the agents on duty at closing stay for the calls that arrived before).
        while next_change <= now and (next_change <= arrival or not closings[next_change_index]):
            apply_change(next_change_index)
            next_change_index += 1
            next_change = changes[next_change_index] if next_change_index < n_changes else inf
        while True:
            free_at = heap[0] if heap else inf
            if free_at <= now:
                start = now
                break
            # Here next_change > now >= arrival, so a closing ahead does not apply to this call.
            if free_at <= next_change or closings[next_change_index]:
                start = free_at
                break
            if next_change - arrival > patience:
                start = inf  # nobody is free before the caller gives up (or ever)
                break
            now = next_change
            apply_change(next_change_index)
            next_change_index += 1
            next_change = changes[next_change_index] if next_change_index < n_changes else inf
        wait = start - arrival
        if wait > patience or start == inf:
            if patience < inf:
                waits[i] = patience
                outcome[i] = 1
            else:
                waits[i] = inf
                outcome[i] = 2
            if now > frontier:
                frontier = now
            continue
        waits[i] = wait
        heapreplace(heap, start + handles[i])
        frontier = start
    outcome_array = np.frombuffer(bytes(outcome), dtype=np.uint8)
    return QueueRun(
        wait_seconds=np.asarray(waits, dtype=float),
        answered=outcome_array == 0,
        abandoned=outcome_array == 1,
        overrun_start_seconds=np.asarray(overrun_start, dtype=float),
        overrun_end_seconds=np.asarray(overrun_end, dtype=float),
    )


# --------------------------------------------------------------------------------------------
# Vectorised accounting of one run
# --------------------------------------------------------------------------------------------


def _cumulative_overlap(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Total length of the spans ``[starts, ends)`` that lies before each time in ``at``.

    ``sum_i clip(t - s_i, 0, e_i - s_i)`` for every ``t``, in O((n + m) log n): the sum of
    ``t - s_i`` over spans started before ``t`` minus the sum of ``t - e_i`` over spans ended
    before ``t``. Shapes: ``starts``, ``ends`` ``(n,)``; ``at`` ``(m,)``; result ``(m,)``.
    """
    if starts.size == 0:
        return np.zeros(at.shape, dtype=float)
    total = np.zeros(at.shape, dtype=float)
    for edges, sign in ((np.sort(starts), 1.0), (np.sort(ends), -1.0)):
        prefix = np.concatenate(([0.0], np.cumsum(edges)))
        count = np.searchsorted(edges, at, side="left")
        total += sign * (count * at - prefix[count])
    return total


def _interval_counts(
    run: QueueRun,
    arrival_seconds: np.ndarray,
    handle_seconds: np.ndarray,
    interval_index: np.ndarray,
    start_seconds: np.ndarray,
    length_seconds: float,
    agents_productive: np.ndarray,
    answer_target_seconds: float,
) -> dict[str, np.ndarray]:
    """Counts and sums per interval of one run (each array shape ``(intervals,)``)."""
    intervals = start_seconds.size
    answered = run.answered
    wait = run.wait_seconds

    def per_interval(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(interval_index, weights=weights, minlength=intervals).astype(float)

    counts = {
        "calls_offered": per_interval(),
        "calls_answered": per_interval(answered.astype(float)),
        "calls_abandoned": per_interval(run.abandoned.astype(float)),
        "calls_unanswered": per_interval((~answered & ~run.abandoned).astype(float)),
        "answered_within_target": per_interval(
            (answered & (wait <= answer_target_seconds)).astype(float)
        ),
        "calls_waited": per_interval((wait > 0).astype(float)),
        "wait_seconds_answered": per_interval(np.where(answered, wait, 0.0)),
    }
    ends = start_seconds + length_seconds
    edges = np.concatenate((start_seconds, ends))
    service_start = arrival_seconds[answered] + wait[answered]
    busy = _cumulative_overlap(service_start, service_start + handle_seconds[answered], edges)
    counts["busy_seconds"] = busy[intervals:] - busy[:intervals]
    overrun = _cumulative_overlap(run.overrun_start_seconds, run.overrun_end_seconds, edges)
    counts["staffed_seconds"] = (
        agents_productive * length_seconds + overrun[intervals:] - overrun[:intervals]
    )
    # Calls waiting at each interval's end: arrived before it, not yet out of the queue.
    leave_queue = np.sort(arrival_seconds + wait)
    arrived = np.searchsorted(arrival_seconds, ends, side="left")
    left = np.searchsorted(leave_queue, ends, side="right")
    counts["queue_at_end"] = (arrived - left).astype(float)
    return counts


def _ratios(counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-call KPIs from counts (any shape); NaN where the denominator is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        offered = counts["calls_offered"]
        answered = counts["calls_answered"]
        staffed = counts["staffed_seconds"]
        return {
            "service_level": np.where(
                offered > 0, counts["answered_within_target"] / offered, np.nan
            ),
            "service_level_of_answered": np.where(
                answered > 0, counts["answered_within_target"] / answered, np.nan
            ),
            "asa_seconds": np.where(
                answered > 0, counts["wait_seconds_answered"] / answered, np.nan
            ),
            "abandon_rate": np.where(offered > 0, counts["calls_abandoned"] / offered, np.nan),
            "wait_probability": np.where(offered > 0, counts["calls_waited"] / offered, np.nan),
            "occupancy": np.where(staffed > 0, counts["busy_seconds"] / staffed, np.nan),
        }


def _mean_and_interval(values: np.ndarray, confidence: float) -> tuple[np.ndarray, ...]:
    """Mean over replications (axis 0) and a Student-t confidence interval, ignoring NaN."""
    valid = np.isfinite(values)
    n = valid.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, np.nansum(np.where(valid, values, 0.0), axis=0) / n, np.nan)
        deviation = np.where(valid, values - mean, 0.0)
        variance = np.where(n > 1, (deviation**2).sum(axis=0) / (n - 1), np.nan)
        quantile = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half = np.where(n > 1, quantile * np.sqrt(variance / n), np.nan)
    return mean, mean - half, mean + half


def _summary_frame(
    keys: pd.DataFrame,
    counts: dict[str, np.ndarray],
    confidence: float,
    *,
    with_queue_at_end: bool,
) -> pd.DataFrame:
    """Keys plus mean counts and each KPI with its confidence bounds (counts shape ``(R, n)``)."""
    out = keys.reset_index(drop=True).copy()
    for name in ("calls_offered", "calls_answered", "calls_abandoned", "calls_unanswered"):
        out[name] = counts[name].mean(axis=0)
    # Bounds are clipped to the possible range (rates in [0, 1], waits and queues >= 0).
    for name, values in _ratios(counts).items():
        mean, lower, upper = _mean_and_interval(values, confidence)
        ceiling = np.inf if name == "asa_seconds" else 1.0
        out[name] = mean
        out[f"{name}_lower"] = np.clip(lower, 0.0, ceiling)
        out[f"{name}_upper"] = np.clip(upper, 0.0, ceiling)
    if with_queue_at_end:
        mean, lower, upper = _mean_and_interval(counts["queue_at_end"], confidence)
        out["queue_at_end"] = mean
        out["queue_at_end_lower"] = np.clip(lower, 0.0, None)
        out["queue_at_end_upper"] = upper
    return out


def _grouped(
    counts: dict[str, np.ndarray], group: np.ndarray, groups: int
) -> dict[str, np.ndarray]:
    """Sum counts of shape ``(R, n)`` into ``(R, groups)`` by the group index of each column."""
    out = {}
    for name in _COUNT_NAMES:
        values = counts[name]
        out[name] = np.stack([np.bincount(group, weights=row, minlength=groups) for row in values])
    return out


# --------------------------------------------------------------------------------------------
# Frame layer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate_plan` returns.

    Attributes
    ----------
    intervals
        One row per (``queue``, ``interval_start``): the plan (``calls_forecast``,
        ``aht_seconds_forecast``, ``agents_scheduled``, ``agents_productive``), the mean simulated
        counts (``calls_offered``, ``calls_answered``, ``calls_abandoned``, ``calls_unanswered``),
        each of :data:`SIMULATION_METRICS` with ``_lower`` / ``_upper`` confidence bounds over the
        replications (Student-t, clipped to the possible range), and ``queue_at_end`` (calls
        still waiting at the interval's end: the backlog the next interval inherits) with its
        bounds. KPIs of an interval are NaN where they are
        undefined in every replication (no call offered, no call answered, no agent staffed).
    daily, weekly
        The same KPIs per (``queue``, ``day``) and (``queue``, ``week_start``), pooled over the
        calls of the period within each replication (ratios of sums), then summarised.
    totals
        The same per ``queue`` over the whole horizon.
    replications, seed, confidence, interval_minutes
        The settings the result was produced with.
    """

    intervals: pd.DataFrame
    daily: pd.DataFrame
    weekly: pd.DataFrame
    totals: pd.DataFrame
    replications: int
    seed: int
    confidence: float
    interval_minutes: int
    settings: dict[str, object] = field(default_factory=dict)


HandleTime = Literal["exponential", "lognormal"]
PatienceDistribution = Literal["exponential", "fixed"]


def _lognormal_parameters(mean: np.ndarray, cv: float) -> tuple[np.ndarray, float]:
    """``mu``, ``sigma`` of a lognormal with the given mean and coefficient of variation."""
    sigma2 = math.log1p(cv * cv)
    return np.log(mean) - sigma2 / 2, math.sqrt(sigma2)


def simulate_plan(
    forecast: pd.DataFrame,
    agents: str | pd.DataFrame = "agents_to_schedule",
    *,
    shrinkage: float = 0.0,
    handle_time: HandleTime = "exponential",
    aht_cv: float = 1.0,
    patience: PatienceDistribution | None = "exponential",
    patience_seconds: PatienceSeconds = None,
    answer_target_seconds: float = 20.0,
    replications: int = 10,
    seed: int = 0,
    confidence: float = 0.95,
    interval_minutes: int | None = None,
    progress: ProgressCallback | None = None,
) -> SimulationResult:
    """Simulate a staffing plan call by call and report KPIs with confidence intervals.

    Parameters
    ----------
    forecast
        Long frame with ``queue`` (optional), ``interval_start`` (timezone-aware),
        ``calls_forecast`` (expected arrivals per interval, >= 0) and ``aht_seconds_forecast``
        (mean handle time in seconds of calls arriving in the interval).
    agents
        Heads per interval: the name of a column of ``forecast`` (``agents_to_schedule``,
        ``agents_scheduled``) or a roster's coverage frame (``queue``, ``interval_start``,
        ``agents_scheduled``); see :func:`planner.evaluate.join_plan`.
    shrinkage
        Fraction of scheduled heads not on the phones, in [0, 1); productive agents are
        ``floor(heads * (1 - shrinkage))``.
    handle_time
        ``"exponential"`` (the Erlang assumption) or ``"lognormal"`` with mean
        ``aht_seconds_forecast`` and coefficient of variation ``aht_cv``.
    aht_cv
        Coefficient of variation of lognormal handle times (> 0); must stay 1 for exponential.
    patience
        Distribution of callers' patience: ``"exponential"`` (the Erlang A assumption) with
        mean ``patience_seconds``, or ``"fixed"`` (every caller waits exactly
        ``patience_seconds``). ``None``, or ``patience_seconds=None``, means nobody abandons.
    patience_seconds
        Mean patience in seconds (> 0): one number for every queue, or a mapping queue ->
        seconds naming every queue of ``forecast`` (each call draws from its own queue's mean);
        None for no abandonment.
    answer_target_seconds
        The answer target of the service level (the 20 in 80/20), seconds > 0.
    replications
        Independent runs (>= 1; >= 2 for confidence intervals).
    seed
        Seed of every random number; the same seed gives the same result. Each queue's
        replications draw from streams derived from the seed and the queue's name (see the
        module docstring), so a queue gets the same numbers whether simulated alone or with
        others.
    confidence
        Level of the Student-t confidence intervals, in (0, 1).
    interval_minutes
        Interval length; inferred from ``interval_start`` when None.
    progress
        Optional ``progress(description, done, total)`` callback, one step per queue and
        replication.

    Returns
    -------
    SimulationResult
        Per-interval, daily, weekly and whole-horizon KPIs with confidence bounds.

    Raises
    ------
    planner.errors.InputError
        A bad parameter or frame, naming it; a patience mapping without some queue of
        ``forecast`` (``patience_seconds has no value for queue 'billing'; ...``).

    Notes
    -----
    Each replication of each queue starts empty. When the centre closes (a gap between
    intervals, or the end of the horizon) the agents of the last open interval stay until every
    call that arrived before closing is answered or has abandoned. A call that can never be
    answered (no agent ever, nobody abandons) is counted in ``calls_unanswered``: offered, not
    answered, not abandoned.
    """

    plan = join_plan(forecast, agents)
    minutes = resolve_interval_minutes(plan, interval_minutes, name="forecast")
    shrinkage = _fraction_below_one(shrinkage, "shrinkage")
    if handle_time not in ("exponential", "lognormal"):
        raise InputError(f"handle_time must be 'exponential' or 'lognormal', got {handle_time!r}")
    cv = _finite_positive(aht_cv, "aht_cv")
    if handle_time == "exponential" and cv != 1.0:
        raise InputError(
            "aht_cv applies to lognormal handle times only (exponential has CV 1), "
            f"got aht_cv={aht_cv!r}"
        )
    if patience is not None and patience not in ("exponential", "fixed"):
        raise InputError(f"patience must be 'exponential', 'fixed' or None, got {patience!r}")
    mean_patience = check_patience(patience_seconds)
    if patience is None and mean_patience is not None:
        raise InputError(
            f"patience_seconds={patience_seconds!r} given with patience=None; pass "
            "patience='exponential' or 'fixed', or patience_seconds=None for no abandonment"
        )
    # Mean patience of each row's queue, seconds, shape (rows,); None: nobody abandons.
    patience_rows = patience_by_row(mean_patience, plan["queue"].to_numpy())
    target = _finite_positive(answer_target_seconds, "answer_target_seconds")
    if (
        isinstance(replications, bool)
        or not isinstance(replications, (int, np.integer))
        or replications < 1
    ):
        raise InputError(f"replications must be an integer >= 1, got {replications!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    level = float(confidence)
    if not 0 < level < 1:
        raise InputError(f"confidence must be in (0, 1), got {confidence!r}")

    plan = plan.assign(
        agents_productive=productive_agents(plan["agents_scheduled"].to_numpy(), shrinkage)
    )
    length = minutes * 60.0
    queues = list(pd.unique(plan["queue"]))
    reps = int(replications)
    total_steps = len(queues) * reps
    counts_per_queue: list[dict[str, np.ndarray]] = []
    step = 0
    report(progress, "simulation", 0, total_steps)
    for queue in queues:
        in_queue = (plan["queue"] == queue).to_numpy()
        part = plan.loc[in_queue]
        interval_start = part["interval_start"].reset_index(drop=True)
        starts = ((interval_start - interval_start.iloc[0]) / pd.Timedelta(seconds=1)).to_numpy(
            dtype=float
        )
        calls = part["calls_forecast"].to_numpy(dtype=float)
        aht = part["aht_seconds_forecast"].to_numpy(dtype=float)
        heads = part["agents_productive"].to_numpy(dtype=np.int64)
        queue_patience = None if patience_rows is None else patience_rows[in_queue]
        change_seconds, agents_after, closing = _staffing_changes(starts, heads, length)
        replication_counts = []
        for stream in _queue_streams(int(seed), str(queue), reps):
            rng = np.random.Generator(np.random.PCG64(stream))
            arrivals_per_interval = rng.poisson(calls)
            interval_index = np.repeat(np.arange(calls.size), arrivals_per_interval)
            arrival = np.sort(starts[interval_index] + length * rng.random(interval_index.size))
            mean_handle = aht[interval_index]
            if handle_time == "exponential":
                handle = rng.exponential(mean_handle)
            else:
                mu, sigma = _lognormal_parameters(mean_handle, cv)
                handle = rng.lognormal(mu, sigma)
            if queue_patience is None:
                patience_draw = np.full(interval_index.size, np.inf)
            elif patience == "exponential":
                patience_draw = rng.exponential(queue_patience[interval_index])
            else:
                patience_draw = queue_patience[interval_index]
            run = simulate_queue(
                arrival, handle, patience_draw, change_seconds, agents_after, closing, rng
            )
            replication_counts.append(
                _interval_counts(
                    run, arrival, handle, interval_index, starts, length, heads, target
                )
            )
            step += 1
            report(progress, "simulation", step, total_steps)
        counts_per_queue.append(
            {
                name: np.stack([counts[name] for counts in replication_counts])
                for name in (*_COUNT_NAMES, "queue_at_end")
            }
        )
    counts = {
        name: np.concatenate([part[name] for part in counts_per_queue], axis=1)
        for name in (*_COUNT_NAMES, "queue_at_end")
    }
    keys = plan.loc[
        :,
        [
            "queue",
            "interval_start",
            "calls_forecast",
            "aht_seconds_forecast",
            "agents_scheduled",
            "agents_productive",
        ],
    ]
    intervals = _summary_frame(keys, counts, level, with_queue_at_end=True)
    day, week_start = calendar_keys(plan["interval_start"])
    periods = {}
    for label, key in (("daily", day), ("weekly", week_start), ("totals", None)):
        frame = pd.DataFrame({"queue": plan["queue"]})
        if key is not None:
            frame[key.name] = key.to_numpy()
        group_columns = list(frame.columns)
        codes = frame.groupby(group_columns, sort=True).ngroup().to_numpy()
        group_keys = frame.drop_duplicates().sort_values(group_columns).reset_index(drop=True)
        grouped = _grouped(counts, codes, len(group_keys))
        periods[label] = _summary_frame(group_keys, grouped, level, with_queue_at_end=False)
    return SimulationResult(
        intervals=intervals,
        daily=periods["daily"],
        weekly=periods["weekly"],
        totals=periods["totals"],
        replications=reps,
        seed=int(seed),
        confidence=level,
        interval_minutes=minutes,
        settings={
            "shrinkage": shrinkage,
            "handle_time": handle_time,
            "aht_cv": cv,
            "patience": None if mean_patience is None else patience,
            "patience_seconds": mean_patience,  # seconds, or a dict queue -> seconds
            "answer_target_seconds": target,
        },
    )


def _queue_streams(seed: int, queue: str, replications: int) -> list[np.random.SeedSequence]:
    """Seed sequences of one queue's replications, from the seed and the queue's name only.

    Replication ``r`` gets ``SeedSequence(seed, spawn_key=(*w, r))`` with ``w`` the first four
    32-bit little-endian words of ``sha256(queue.encode("utf-8"))``: fixed-width, so no two
    (queue, replication) pairs share a key, and independent of the other queues in the call.
    """
    digest = hashlib.sha256(queue.encode("utf-8")).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    return np.random.SeedSequence(seed, spawn_key=words).spawn(replications)


def _staffing_changes(
    starts: np.ndarray, heads: np.ndarray, length: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Changes of agents on duty for intervals starting at ``starts`` (seconds, sorted).

    Every interval start sets its heads; where the next interval does not follow on (a gap) and
    after the last interval, a closing sets zero agents (who stay for the calls already queued).
    """
    ends = starts + length
    follows_on = np.zeros(starts.size, dtype=bool)
    follows_on[:-1] = np.isclose(starts[1:], ends[:-1])
    closing_at = ends[~follows_on]
    times = np.concatenate((starts, closing_at))
    agents = np.concatenate((heads, np.zeros(closing_at.size, dtype=np.int64)))
    closing = np.concatenate(
        (np.zeros(starts.size, dtype=bool), np.ones(closing_at.size, dtype=bool))
    )
    order = np.argsort(times, kind="stable")
    return times[order], agents[order], closing[order]


def _fraction_below_one(value: float, name: str) -> float:
    """Check a fraction in [0, 1)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a fraction in [0, 1), got {value!r}") from None
    if not np.isfinite(number) or not 0 <= number < 1:
        raise InputError(f"{name} must be a fraction in [0, 1), got {value!r}")
    return number


def _finite_positive(value: float, name: str) -> float:
    """Check a finite number > 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number > 0, got {value!r}") from None
    if not np.isfinite(number) or number <= 0:
        raise InputError(f"{name} must be a finite number > 0, got {value!r}")
    return number
