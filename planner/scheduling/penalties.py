"""Service-level-aware under-coverage costs: convex, piecewise linear, one curve per interval.

Missing the k-th agent of an interval costs the calls that would then be answered later than the
answer target (Erlang C on that interval's traffic), times ``CostRules.late_call``, plus a linear
``CostRules.under_coverage_hour`` per missing agent-hour. The late calls grow faster with every
agent taken away, so the cost is convex: the first missing agent costs less than the fifth, and the
solver spends hours where callers would wait. Where the Erlang curve is not convex (an unstable
queue, where every call is late whatever is taken away) the marginal costs are raised to the
running maximum, so the curve stays convex and never under-prices a missing agent.

Several queues in one interval are pooled: the cheapest way to be ``u`` agents short over all
queues takes the ``u`` smallest marginal costs of the queues' own convex curves (exact for
separable convex costs), which gives the pooled curve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.scheduling.rules import CostRules, ScheduleRules

__all__ = [
    "BELOW_FLOOR_COST",
    "floor_heads",
    "floor_heads_by_row",
    "floor_shortfall",
    "hard_floor_heads_by_row",
    "late_call_marginals",
    "under_coverage_costs",
]

BELOW_FLOOR_COST = 5.0
"""Extra cost (money units) of each head missing below an interval's service-level floor: five
paid hours, so the solver leaves an interval below the floor only where no shift can reach it."""


def late_call_marginals(
    traffic_erlangs: np.ndarray,
    calls: np.ndarray,
    aht_seconds: np.ndarray,
    heads_required: np.ndarray,
    productive_share: np.ndarray,
    answer_target_seconds: float,
) -> list[np.ndarray]:
    """Extra late calls caused by each missing head, per interval (numpy kernel).

    Parameters
    ----------
    traffic_erlangs, calls, aht_seconds : ndarray, shape (n,)
        Offered traffic (Erlangs), calls offered and AHT (seconds) per interval.
    heads_required : ndarray of int, shape (n,)
        Heads to schedule (``agents_to_schedule``).
    productive_share : ndarray, shape (n,)
        Productive agents per scheduled head (``agents_required / agents_to_schedule``).
    answer_target_seconds : float
        The answer target of the service level (the 20 in 80/20).

    Returns
    -------
    list of ndarray
        Entry ``t`` has shape (heads_required[t],): element ``k`` is the extra late calls when the
        (k+1)-th head is missing, non-decreasing in ``k`` (convexified).
    """
    heads = np.asarray(heads_required, dtype=np.int64)
    k_max = int(heads.max(initial=0))
    if k_max == 0:
        return [np.zeros(0) for _ in heads]
    service_level = _service_level_by_missing(
        traffic_erlangs, aht_seconds, heads, productive_share, answer_target_seconds
    )
    late = calls[:, None] * (1.0 - np.clip(service_level, 0.0, 1.0))
    marginal = np.maximum(np.diff(late, axis=1), 0.0)
    marginal = np.maximum.accumulate(marginal, axis=1)
    return [marginal[t, : heads[t]] for t in range(len(heads))]


def _service_level_by_missing(
    traffic_erlangs: np.ndarray,
    aht_seconds: np.ndarray,
    heads: np.ndarray,
    productive_share: np.ndarray,
    answer_target_seconds: float,
) -> np.ndarray:
    """Erlang C service level with ``m`` heads missing, shape (n, max(heads) + 1), column ``m``."""
    from planner.queueing import erlang_c_service_level

    k_max = int(heads.max(initial=0))
    missing = np.arange(k_max + 1)[None, :]  # (1, k_max + 1)
    heads_left = np.clip(heads[:, None] - missing, 0, None)
    productive = np.rint(heads_left * productive_share[:, None])
    traffic = np.broadcast_to(traffic_erlangs[:, None], productive.shape)
    aht = np.broadcast_to(np.maximum(aht_seconds, 1.0)[:, None], productive.shape)
    with np.errstate(all="ignore"):
        service_level = erlang_c_service_level(traffic, productive, aht, answer_target_seconds)
    service_level = np.nan_to_num(np.asarray(service_level, dtype=float), nan=0.0)
    return np.where(productive > traffic, service_level, 0.0)


def floor_shortfall(
    traffic_erlangs: np.ndarray,
    aht_seconds: np.ndarray,
    heads_required: np.ndarray,
    productive_share: np.ndarray,
    answer_target_seconds: float,
    service_level_floor: float,
) -> np.ndarray:
    """Most heads each interval can miss and keep its Erlang C service level >= the floor.

    Parameters
    ----------
    traffic_erlangs, aht_seconds : ndarray, shape (n,)
        Offered traffic (Erlangs) and AHT (seconds) per interval.
    heads_required, productive_share : ndarray, shape (n,)
        Heads to schedule and productive agents per head (as for :func:`late_call_marginals`).
    answer_target_seconds, service_level_floor : float
        The answer target (seconds) and the floor (a share, e.g. 0.7).

    Returns
    -------
    ndarray of int, shape (n,)
        ``m`` such that ``heads_required - m`` heads still meet the floor (0 when even the full
        requirement does not).
    """
    heads = np.asarray(heads_required, dtype=np.int64)
    if int(heads.max(initial=0)) == 0:
        return np.zeros(len(heads), dtype=np.int64)
    service_level = _service_level_by_missing(
        traffic_erlangs, aht_seconds, heads, productive_share, answer_target_seconds
    )
    ok = service_level >= service_level_floor - 1e-12
    # service level falls as heads go missing: the allowed shortfall is the run of columns still
    # at the floor from column 0 (no heads missing), less one
    allowed = np.cumprod(ok, axis=1).sum(axis=1) - 1
    return np.minimum(np.maximum(allowed, 0), heads).astype(np.int64)


FLOOR_COLUMNS = ("traffic_erlangs", "aht_seconds_forecast")
"""Requirement columns the service-level floor is computed from."""


def _productive_share(requirements: pd.DataFrame, heads: np.ndarray) -> np.ndarray:
    """Productive agents per scheduled head, shape (n,), in [0, 1] (1 without agents_required)."""
    if "agents_required" not in requirements.columns:
        return np.ones(len(heads))
    needed = requirements["agents_required"].to_numpy(dtype=float)
    return np.clip(np.where(heads > 0, needed / np.maximum(heads, 1), 1.0), 0.0, 1.0)


def floor_heads_by_row(
    requirements: pd.DataFrame, answer_target_seconds: float, service_level_floor: float
) -> np.ndarray:
    """Fewest heads on the phones that keep each row's queue at the service-level floor.

    ``agents_to_schedule`` minus :func:`floor_shortfall` (the heads that can go missing before
    the queue's Erlang C service level drops below the floor), one queue and interval per row.

    Parameters
    ----------
    requirements : DataFrame
        Rows (queue, interval_start) with ``agents_to_schedule``, ``traffic_erlangs`` (Erlangs)
        and ``aht_seconds_forecast`` (seconds); ``agents_required`` optional (shrinkage).
    answer_target_seconds, service_level_floor : float
        The answer target (seconds) and the floor (a share, e.g. 0.7).

    Returns
    -------
    ndarray of int, shape (len(requirements),)
        Heads the row's queue must have on the phones (0 where nothing is required).
    """
    heads = requirements["agents_to_schedule"].to_numpy(dtype=np.int64)
    allowed = floor_shortfall(
        requirements["traffic_erlangs"].to_numpy(dtype=float),
        requirements["aht_seconds_forecast"].to_numpy(dtype=float),
        heads,
        _productive_share(requirements, heads),
        answer_target_seconds,
        service_level_floor,
    )
    return heads - allowed


def hard_floor_heads_by_row(requirements: pd.DataFrame, rules: ScheduleRules) -> np.ndarray | None:
    """Per-row floor heads of the rules' hard service-level floor; None without a hard floor.

    The answer target and floor are the rules' own (``answer_target_seconds``,
    ``min_interval_service_level``), so the heads are the ones the roster's hard floor
    (``min_interval_service_level_hard``) guaranteed, summed over queues, in every interval.

    Returns
    -------
    ndarray of int, shape (len(requirements),), or None
        :func:`floor_heads_by_row` under the rules' floor; None when
        ``rules.min_interval_service_level_hard`` is false.
    """
    if not rules.min_interval_service_level_hard:
        return None
    return floor_heads_by_row(
        requirements, rules.answer_target_seconds, rules.min_interval_service_level
    )


def floor_heads(
    requirements: pd.DataFrame,
    slot_of_row: np.ndarray,
    n_slots: int,
    answer_target_seconds: float,
    service_level_floor: float,
) -> np.ndarray:
    """Fewest heads on the phones per slot that keep every queue at the service-level floor.

    Per row, :func:`floor_heads_by_row` (``agents_to_schedule`` minus :func:`floor_shortfall`),
    summed over the queues of each slot, because the models schedule pooled heads.

    Erlang C, not Erlang A, on purpose: the requirement (``agents_to_schedule``) and the soft floor
    are Erlang C, so the hard floor is the same rule made hard and needs no patience; Erlang C
    ignores abandonment, so it never promises a service level Erlang A would not also predict (it
    is the conservative choice, at the price of a few more heads in the busiest intervals). A
    planner who wants an Erlang A floor passes an Erlang A requirement.

    Parameters
    ----------
    requirements : DataFrame
        Rows (queue, interval_start) with ``agents_to_schedule``, ``traffic_erlangs`` (Erlangs)
        and ``aht_seconds_forecast`` (seconds); ``agents_required`` optional (shrinkage).
    slot_of_row : ndarray of int, shape (len(requirements),)
        Grid slot of each row.
    n_slots : int
        Slots in the horizon.
    answer_target_seconds, service_level_floor : float
        The answer target (seconds) and the floor (a share, e.g. 0.7).

    Returns
    -------
    ndarray of int, shape (n_slots,)
        Heads the slot must have on the phones (0 where nothing is required).
    """
    per_row = floor_heads_by_row(requirements, answer_target_seconds, service_level_floor)
    return np.bincount(slot_of_row, weights=per_row, minlength=n_slots).astype(np.int64)


def under_coverage_costs(
    requirements: pd.DataFrame,
    slot_of_row: np.ndarray,
    n_slots: int,
    costs: CostRules,
    interval_minutes: int,
    answer_target_seconds: float,
    service_level_floor: float = 0.0,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Pooled heads required and the convex under-coverage cost curve of every slot.

    Parameters
    ----------
    requirements : DataFrame
        Rows (queue, interval_start) with ``agents_to_schedule``; with ``traffic_erlangs``,
        ``calls_forecast`` and ``aht_seconds_forecast`` the cost is service-level aware,
        otherwise linear.
    slot_of_row : ndarray of int, shape (len(requirements),)
        Grid slot of each row.
    n_slots : int
        Slots in the horizon.
    service_level_floor : float
        With the service-level-aware cost: every head missing beyond what keeps the interval's
        Erlang C service level at this share costs :data:`BELOW_FLOOR_COST` more (0: no floor).

    Returns
    -------
    required : ndarray of int, shape (n_slots,)
        Heads required per slot, summed over queues.
    cost_curves : list of ndarray
        Entry ``t`` has shape (required[t] + 1,): the cost (money units) of being ``u`` heads
        short, ``u = 0..required[t]``; starts at 0, convex, non-decreasing.
    """
    heads = requirements["agents_to_schedule"].to_numpy(dtype=np.int64)
    required = np.bincount(slot_of_row, weights=heads, minlength=n_slots).astype(np.int64)
    linear = costs.under_coverage_hour * interval_minutes / 60.0
    sl_aware = costs.late_call > 0 and {
        "traffic_erlangs",
        "calls_forecast",
        "aht_seconds_forecast",
    } <= set(requirements.columns)
    per_slot: list[list[np.ndarray]] = [[] for _ in range(n_slots)]
    if sl_aware:
        share = _productive_share(requirements, heads)
        marginals = late_call_marginals(
            requirements["traffic_erlangs"].to_numpy(dtype=float),
            requirements["calls_forecast"].to_numpy(dtype=float),
            requirements["aht_seconds_forecast"].to_numpy(dtype=float),
            heads,
            share,
            answer_target_seconds,
        )
        below = [np.zeros(h) for h in heads]
        if service_level_floor > 0:
            allowed = floor_shortfall(
                requirements["traffic_erlangs"].to_numpy(dtype=float),
                requirements["aht_seconds_forecast"].to_numpy(dtype=float),
                heads,
                share,
                answer_target_seconds,
                service_level_floor,
            )
            # the (k+1)-th missing head, k >= allowed, takes the interval below the floor
            below = [
                BELOW_FLOOR_COST * (np.arange(h) >= m) for h, m in zip(heads, allowed, strict=True)
            ]
        for row, slot in enumerate(slot_of_row):
            if heads[row] > 0:
                per_slot[slot].append(marginals[row] * costs.late_call + linear + below[row])
    else:
        for row, slot in enumerate(slot_of_row):
            if heads[row] > 0:
                per_slot[slot].append(np.full(heads[row], linear))
    curves = []
    for t in range(n_slots):
        if per_slot[t]:
            pooled = np.sort(np.concatenate(per_slot[t]))
            curves.append(np.concatenate([[0.0], np.cumsum(pooled)]))
        else:
            curves.append(np.zeros(1))
    return required, curves
