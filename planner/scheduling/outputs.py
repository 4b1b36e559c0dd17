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


def split_coverage_by_queue(coverage: pd.DataFrame, requirements: pd.DataFrame) -> pd.DataFrame:
    """Share pooled scheduled heads between queues in proportion to their requirement.

    The first version schedules agents against the sum over queues (every agent serves every
    queue); to evaluate queues separately, each interval's heads are split by largest remainder
    in proportion to ``agents_to_schedule`` (all to the queues in equal shares when none is
    required). Returns (queue, interval_start, agents_to_schedule, agents_scheduled) for every row
    of ``requirements``.
    """
    req = requirements[["queue", "interval_start", "agents_to_schedule"]].copy()
    heads = coverage.set_index("interval_start")["agents_scheduled"]
    req["pooled"] = req["interval_start"].map(heads).fillna(0).to_numpy(dtype=np.int64)
    total = (
        req.groupby("interval_start")["agents_to_schedule"].transform("sum").to_numpy(dtype=float)
    )
    n_queues = req.groupby("interval_start")["queue"].transform("size").to_numpy(dtype=float)
    need = req["agents_to_schedule"].to_numpy(dtype=float)
    share = np.where(total > 0, need / np.maximum(total, 1.0), 1.0 / n_queues)
    exact = req["pooled"].to_numpy(dtype=float) * share
    base = np.floor(exact).astype(np.int64)
    req["base"] = base
    req["remainder"] = exact - base
    left = req.groupby("interval_start")["pooled"].transform("first") - req.groupby(
        "interval_start"
    )["base"].transform("sum")
    rank = req.groupby("interval_start")["remainder"].rank(method="first", ascending=False)
    req["agents_scheduled"] = base + (rank.to_numpy() <= left.to_numpy()).astype(np.int64)
    return req[["queue", "interval_start", "agents_to_schedule", "agents_scheduled"]].reset_index(
        drop=True
    )


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
