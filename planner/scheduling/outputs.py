"""Output frames and files of the scheduler: shifts, roster, activities, coverage, summary.

Column sets (each frame has exactly these columns):

- roster: ``ROSTER_COLUMNS``, one row per agent per worked day; ``break_start``/``break_end``
  columns hold the first paid break, ``lunch_*`` the first unpaid one, ``second_break_*`` the
  next paid one (NaT where the shift has none); every activity is also in the activities frame.
- activities: ``ACTIVITY_COLUMNS``, one row per break or lunch.
- coverage: ``COVERAGE_COLUMNS``, one row per grid interval (pooled over queues: ``queue`` is the
  queues joined by ``+``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError

__all__ = [
    "ACTIVITY_COLUMNS",
    "COVERAGE_COLUMNS",
    "ROSTER_COLUMNS",
    "SHIFT_COLUMNS",
    "ScheduleSummary",
    "coverage_frame",
    "split_coverage_by_queue",
    "write_schedule",
]

ROSTER_COLUMNS = (
    "agent_id",
    "date",
    "template",
    "shift_start",
    "shift_end",
    "paid_minutes",
    "break_start",
    "break_end",
    "lunch_start",
    "lunch_end",
    "second_break_start",
    "second_break_end",
)
ACTIVITY_COLUMNS = ("agent_id", "date", "activity", "paid", "start", "end")
SHIFT_COLUMNS = ("date", "template", "shift_start", "shift_end", "paid_minutes", "count")
COVERAGE_COLUMNS = (
    "queue",
    "interval_start",
    "agents_to_schedule",
    "agents_scheduled",
    "under",
    "over",
)


@dataclass(frozen=True)
class ScheduleSummary:
    """Headline figures of a design or roster (money in the rules' cost units).

    ``objective`` and ``best_bound`` are in the same units; ``gap`` = (objective - bound) /
    objective, proven by the solver; ``status`` is CP-SAT's (OPTIMAL or FEASIBLE).
    """

    status: str
    method: str
    paid_hours: float
    required_agent_hours: float
    scheduled_agent_hours: float
    under_agent_hours: float
    over_agent_hours: float
    cost: float
    objective: float
    best_bound: float
    gap: float
    solve_seconds: float
    shifts: int
    agents: int
    agents_working: int | None

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly dict (NaN becomes None)."""
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }


def coverage_frame(
    slot_starts: pd.DatetimeIndex, required: np.ndarray, heads: np.ndarray, queues: tuple[str, ...]
) -> pd.DataFrame:
    """Scheduled vs required heads per interval (pooled over ``queues``).

    Parameters
    ----------
    slot_starts : DatetimeIndex, shape (n,)
    required, heads : ndarray of int, shape (n,)
        Heads to schedule and heads on the phones (on shift, not on a break).
    """
    required = np.asarray(required, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    return pd.DataFrame(
        {
            "queue": "+".join(queues),
            "interval_start": slot_starts,
            "agents_to_schedule": required,
            "agents_scheduled": heads,
            "under": np.maximum(required - heads, 0),
            "over": np.maximum(heads - required, 0),
        }
    )


def split_coverage_by_queue(
    coverage: pd.DataFrame,
    requirements: pd.DataFrame,
    *,
    floor_heads_per_row: np.ndarray | None = None,
) -> pd.DataFrame:
    """Share pooled scheduled heads between queues in proportion to their requirement.

    The first version schedules agents against the sum over queues (every agent serves every
    queue); to evaluate queues separately, each interval's heads are split by largest remainder
    in proportion to ``agents_to_schedule`` (all to the queues in equal shares when none is
    required).

    With ``floor_heads_per_row`` (each queue's own service-level floor, e.g.
    :func:`~planner.scheduling.penalties.hard_floor_heads_by_row`) the heads are shared in three
    steps, each by largest remainder: first every queue gets its own floor heads (in proportion
    to the floors when the pooled heads do not cover their sum), then the heads left go in
    proportion to what each queue still needs (``agents_to_schedule`` minus its floor, at least
    0), then any surplus in proportion to ``agents_to_schedule``. A roster under a hard floor has
    pooled heads >= the sum of the floors, so no queue is split below its own floor.

    Parameters
    ----------
    coverage : DataFrame
        One row per interval with ``interval_start`` and pooled ``agents_scheduled`` (heads).
    requirements : DataFrame
        Rows (queue, interval_start) with ``agents_to_schedule`` (heads).
    floor_heads_per_row : ndarray of int, shape (len(requirements),), optional
        Heads each row's queue needs on its own to keep its service-level floor; None splits in
        proportion to ``agents_to_schedule`` only.

    Returns
    -------
    DataFrame
        (queue, interval_start, agents_to_schedule, agents_scheduled), one row per row of
        ``requirements``, in its order; ``agents_scheduled`` sums to the pooled heads of each
        interval.

    Raises
    ------
    InputError
        ``floor_heads_per_row`` of the wrong shape, or not whole numbers >= 0.
    """
    req = requirements[["queue", "interval_start", "agents_to_schedule"]].reset_index(drop=True)
    pooled_heads = coverage.set_index("interval_start")["agents_scheduled"]
    interval_of_row, intervals = pd.factorize(req["interval_start"])
    # an interval missing from the coverage has no heads to share
    pooled_per_interval = pd.Series(intervals).map(pooled_heads).fillna(0).to_numpy(dtype=np.int64)
    need = req["agents_to_schedule"].to_numpy(dtype=np.int64)
    if floor_heads_per_row is None:
        heads = _largest_remainder_split(pooled_per_interval, need, interval_of_row)
    else:
        floor = _checked_floor_heads(floor_heads_per_row, len(req))
        heads = _split_floor_first(pooled_per_interval, need, floor, interval_of_row)
    return req.assign(agents_scheduled=heads)


def _checked_floor_heads(floor_heads_per_row: np.ndarray, n_rows: int) -> np.ndarray:
    """``floor_heads_per_row`` as int64, shape (n_rows,), or InputError naming the bad value."""
    values = np.asarray(floor_heads_per_row)
    if values.shape != (n_rows,):
        raise InputError(
            f"split_coverage_by_queue: floor_heads_per_row must have shape ({n_rows},) "
            f"(one per requirements row), got {values.shape}"
        )
    if values.dtype.kind not in "biuf":
        raise InputError(
            "split_coverage_by_queue: floor_heads_per_row must hold whole numbers of heads, "
            f"got dtype {values.dtype}"
        )
    as_float = values.astype(float)
    bad = np.flatnonzero(~np.isfinite(as_float) | (as_float < 0) | (as_float != np.round(as_float)))
    if len(bad):
        raise InputError(
            f"split_coverage_by_queue: floor_heads_per_row row {int(bad[0])} must be a whole "
            f"number >= 0, got {values[bad[0]].item()!r}"
        )
    return as_float.astype(np.int64)


def _split_floor_first(
    pooled_per_interval: np.ndarray,
    need: np.ndarray,
    floor: np.ndarray,
    interval_of_row: np.ndarray,
) -> np.ndarray:
    """Floors first, then what is still needed, then the surplus by requirement (heads per row).

    Shapes: ``pooled_per_interval`` (n_intervals,); the others (n_rows,).
    """
    n_intervals = len(pooled_per_interval)
    floor_total = np.bincount(interval_of_row, weights=floor, minlength=n_intervals)
    # a share of exactly the floors' total returns each floor exactly (no remainder)
    to_floors = np.minimum(pooled_per_interval, floor_total.astype(np.int64))
    heads = _largest_remainder_split(to_floors, floor, interval_of_row)
    still_needed = np.maximum(need - floor, 0)
    left = pooled_per_interval - to_floors
    to_needs = np.minimum(
        left, np.bincount(interval_of_row, weights=still_needed, minlength=n_intervals)
    ).astype(np.int64)
    heads += _largest_remainder_split(to_needs, still_needed, interval_of_row)
    surplus = left - to_needs
    heads += _largest_remainder_split(surplus, need, interval_of_row)
    return heads


def _largest_remainder_split(
    amount_per_group: np.ndarray, weight_per_row: np.ndarray, group_of_row: np.ndarray
) -> np.ndarray:
    """Share each group's whole amount between its rows in proportion to their weights.

    Exact integer arithmetic: each row gets the floor of its quota ``amount * weight / total``
    and the units left go to the largest remainders (ties to the earlier row); a group whose
    weights are all 0 is shared in equal quotas.

    Parameters
    ----------
    amount_per_group : ndarray of int, shape (n_groups,)
        Units to share in each group (>= 0).
    weight_per_row : ndarray of int, shape (n_rows,)
        Weights (>= 0).
    group_of_row : ndarray of int, shape (n_rows,)
        Group of each row, in 0..n_groups-1.

    Returns
    -------
    ndarray of int, shape (n_rows,)
        Units per row; they sum to ``amount_per_group`` in every group with a row.
    """
    n_groups = len(amount_per_group)
    weight = np.asarray(weight_per_row, dtype=np.int64)
    weight_total = np.bincount(group_of_row, weights=weight, minlength=n_groups).astype(np.int64)
    # all-zero weights: equal quotas, i.e. weight 1 for every row of the group
    weight = np.where(weight_total[group_of_row] > 0, weight, 1)
    weight_total = np.bincount(group_of_row, weights=weight, minlength=n_groups).astype(np.int64)
    amount = np.asarray(amount_per_group, dtype=np.int64)[group_of_row]
    base, remainder = np.divmod(amount * weight, weight_total[group_of_row])
    units_left = amount_per_group - np.bincount(
        group_of_row, weights=base, minlength=n_groups
    ).astype(np.int64)
    # rank within the group: largest remainder first, then row order
    order = np.lexsort((np.arange(len(weight)), -remainder, group_of_row))
    group_start = np.searchsorted(group_of_row[order], np.arange(n_groups))
    rank = np.empty(len(weight), dtype=np.int64)
    rank[order] = np.arange(len(weight)) - group_start[group_of_row[order]]
    return base + (rank < units_left[group_of_row]).astype(np.int64)


def write_schedule(
    out_dir: str | Path,
    *,
    roster: pd.DataFrame,
    activities: pd.DataFrame,
    coverage: pd.DataFrame,
    summary: ScheduleSummary,
    extra: dict[str, object] | None = None,
) -> dict[str, Path]:
    """Write roster.csv, activities.csv, coverage.csv and summary.json into ``out_dir``.

    CSVs go through :func:`planner.io.write_frame` (ISO 8601 timestamps with their UTC
    offset). Returns the written paths by label.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "roster": out / "roster.csv",
        "activities": out / "activities.csv",
        "coverage": out / "coverage.csv",
        "summary": out / "summary.json",
    }
    from planner.io import write_frame

    write_frame(roster, paths["roster"])
    write_frame(activities, paths["activities"])
    write_frame(coverage, paths["coverage"])
    payload = summary.to_dict()
    if extra:
        payload.update(extra)
    paths["summary"].write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return paths
