"""Shift design against pyworkforce on the same weekly curve and shift set (issue 5).

A weekly requirement curve (7 days; peak about 60 heads, night about 5) at 30- and 15-minute
resolution goes through pyworkforce's ``MinAbsDifference`` (minimise the sum of |scheduled -
required| over periods) and ``MinRequiredResources`` (cover every period, minimise the weighted
shifts; weights = paid hours, so both minimise paid hours) and through our ``design_shifts`` with
the same 37 shift types and no breaks:

- vs MinAbsDifference: our costs are 1 per missing or surplus agent-period, plus 0.001 per paid
  hour as a tie-break (never worth a unit of coverage), so the coverage objective is the same;
- vs MinRequiredResources: ``hard_coverage = true`` and 1 per paid hour.

Then ours with breaks, lunches and weekly rules (named agents, 5-day weeks, 11 h rest) on the
30-minute curve, which pyworkforce cannot express (it schedules each day on its own, without
breaks). Both solvers get the same time limit and worker count.

Run: ``.venv/bin/python bench/bench_schedule_pyworkforce.py [--time-limit-seconds 60]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.scheduling import build_roster, check_roster, design_shifts, parse_rules  # noqa: E402

TZ = "Europe/London"
MONDAY = "2026-11-23"  # no clock change this week: every day has 24 hours, as pyworkforce assumes

# 37 shift types: 8 h starting 00:00..16:00 hourly, 6 h starting 00:00..18:00 hourly, 12 h at 06:00
SHIFT_SET = (
    [("eight", h, 480) for h in range(17)]
    + [("six", h, 360) for h in range(19)]
    + [("twelve", 6, 720)]
)


def requirement_curve(step_minutes: int) -> np.ndarray:
    """Heads per period, shape (7, periods per day): peak about 60, night about 5."""
    periods = 1440 // step_minutes
    hour = (np.arange(periods) + 0.5) * step_minutes / 60.0
    shape = np.exp(-(((hour - 10.5) / 2.2) ** 2)) + 0.85 * np.exp(-(((hour - 15.5) / 2.8) ** 2))
    shape = shape / shape.max()
    day_factor = np.array([1.0, 0.97, 0.95, 0.96, 0.9, 0.65, 0.55])
    return np.rint(5 + 55 * day_factor[:, None] * shape[None, :]).astype(int)


def template_rules(mode: str, step_minutes: int) -> dict:
    per_period_hour = 60.0 / step_minutes
    costs = (
        {
            "paid_hour": 0.001,
            "under_coverage_hour": per_period_hour,
            "over_coverage_hour": per_period_hour,
            "late_call": 0.0,
            "overtime_hour": 0.001,
            "start_time_change_hour": 0.0,
        }
        if mode == "abs"
        else {
            "paid_hour": 1.0,
            "under_coverage_hour": 0.0,
            "over_coverage_hour": 0.0,
            "late_call": 0.0,
            "overtime_hour": 1.0,
            "start_time_change_hour": 0.0,
        }
    )
    return {
        "hard_coverage": mode == "min",
        "costs": costs,
        "shift_templates": [
            {
                "name": "eight",
                "earliest_start": "00:00",
                "latest_start": "16:00",
                "start_step_minutes": 60,
                "lengths_minutes": [480],
            },
            {
                "name": "six",
                "earliest_start": "00:00",
                "latest_start": "18:00",
                "start_step_minutes": 60,
                "lengths_minutes": [360],
            },
            {
                "name": "twelve",
                "earliest_start": "06:00",
                "latest_start": "06:00",
                "start_step_minutes": 60,
                "lengths_minutes": [720],
            },
        ],
        # the design without workforce limits does not use the agents; one is required by the file
        "agents": [{"id": "unused", "min_hours": 0, "max_hours": 40, "min_days": 0, "max_days": 5}],
    }


def requirements_frame(curve: np.ndarray, step_minutes: int) -> pd.DataFrame:
    idx = pd.date_range(MONDAY, periods=curve.size, freq=f"{step_minutes}min", tz=TZ)
    return pd.DataFrame({"queue": "q", "interval_start": idx, "agents_to_schedule": curve.ravel()})


def pyworkforce_run(
    kind: str, curve: np.ndarray, step_minutes: int, time_limit: float, workers: int
) -> dict:
    from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources

    periods = 1440 // step_minutes
    coverage = {}
    hours = {}
    for name, hour, length in SHIFT_SET:
        vec = np.zeros(periods, dtype=int)
        first = hour * 60 // step_minutes
        vec[first : first + length // step_minutes] = 1
        coverage[f"{name}_{hour:02d}"] = vec.tolist()
        hours[f"{name}_{hour:02d}"] = length // 60
    common = dict(
        num_days=7,
        periods=periods,
        shifts_coverage=coverage,
        required_resources=curve.tolist(),
        max_period_concurrency=int(curve.max() * 3),
        max_shift_concurrency=int(curve.max()),
        max_search_time=time_limit,
        num_search_workers=workers,
    )
    started = time.perf_counter()
    solver = (
        MinAbsDifference(**common)
        if kind == "abs"
        else MinRequiredResources(**common, cost_dict=hours)
    )
    solution = solver.solve()
    seconds = time.perf_counter() - started
    heads = np.zeros_like(curve)
    paid = 0.0
    for row in solution["resources_shifts"]:
        if row["resources"] > 0:
            heads[row["day"]] += row["resources"] * np.array(coverage[row["shift"]])
            paid += row["resources"] * hours[row["shift"]]
    return {
        "status": solution["status"],
        "abs_diff": int(np.abs(heads - curve).sum()),
        "under": int(np.maximum(curve - heads, 0).sum()),
        "paid_hours": paid,
        "seconds": seconds,
    }


def ours_run(
    kind: str, curve: np.ndarray, step_minutes: int, time_limit: float, workers: int
) -> dict:
    rules = parse_rules(template_rules(kind, step_minutes), source="bench rules")
    frame = requirements_frame(curve, step_minutes)
    started = time.perf_counter()
    design = design_shifts(
        frame, rules, time_limit_seconds=time_limit, num_workers=workers, workforce_limits=False
    )
    seconds = time.perf_counter() - started
    cov = design.coverage
    return {
        "status": design.summary.status,
        "abs_diff": int((cov["under"] + cov["over"]).sum()),
        "under": int(cov["under"].sum()),
        "paid_hours": design.summary.paid_hours,
        "seconds": seconds,
        "gap": design.summary.gap,
    }


def roster_with_rules(curve: np.ndarray, time_limit: float, workers: int) -> dict:
    """Named agents with breaks, lunch and weekly rules on the 30-minute curve."""
    required_hours = curve.sum() * 0.5
    n_agents = int(np.ceil(required_hours * 1.10 / 40))
    data = {
        "costs": {
            "paid_hour": 1.0,
            "under_coverage_hour": 2.0,
            "over_coverage_hour": 0.2,
            "late_call": 0.0,
            "start_time_change_hour": 0.0,
        },
        "weekly": {"min_rest_hours": 11, "min_consecutive_days_off": 2, "max_on_break_share": 0.25},
        "shift_templates": [
            {
                "name": "day",
                "earliest_start": "00:00",
                "latest_start": "23:30",
                "start_step_minutes": 30,
                "lengths_minutes": [510],
                "breaks": [
                    {
                        "name": "break",
                        "minutes": 30,
                        "paid": True,
                        "earliest_after_start_minutes": 90,
                        "latest_after_start_minutes": 150,
                    },
                    {
                        "name": "lunch",
                        "minutes": 30,
                        "paid": False,
                        "earliest_after_start_minutes": 210,
                        "latest_after_start_minutes": 300,
                        "min_gap_minutes": 60,
                    },
                ],
            },
        ],
        "agent_groups": [
            {
                "count": n_agents,
                "id_prefix": "A",
                "min_hours": 40,
                "max_hours": 40,
                "min_days": 5,
                "max_days": 5,
            }
        ],
    }
    rules = parse_rules(data, source="bench rules")
    frame = requirements_frame(curve, 30)
    started = time.perf_counter()
    result = build_roster(frame, rules, time_limit_seconds=time_limit, num_workers=workers)
    seconds = time.perf_counter() - started
    dates = sorted({ts.date() for ts in frame["interval_start"]})
    violations = check_roster(
        result.roster, result.activities, rules, dates=dates, interval_minutes=30
    )
    cov = result.coverage
    return {
        "status": result.summary.status,
        "abs_diff": int((cov["under"] + cov["over"]).sum()),
        "under": int(cov["under"].sum()),
        "paid_hours": result.summary.paid_hours,
        "seconds": seconds,
        "gap": result.summary.gap,
        "agents": n_agents,
        "violations": len(violations),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-roster", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
        "(shared with other work); "
        f"time limit {args.time_limit_seconds:g} s, {args.workers} workers"
    )
    rows = []
    for step in (30, 15):
        curve = requirement_curve(step)
        for kind, label in (("abs", "MinAbsDifference"), ("min", "MinRequiredResources")):
            theirs = pyworkforce_run(kind, curve, step, args.time_limit_seconds, args.workers)
            ours = ours_run(kind, curve, step, args.time_limit_seconds, args.workers)
            rows.append((step, label, theirs, ours))
            print(
                f"{step:>3} min {label:<22} pyworkforce: {theirs['status']:<8} "
                f"|diff| {theirs['abs_diff']:>6} under {theirs['under']:>5} "
                f"paid {theirs['paid_hours']:>8.1f} h {theirs['seconds']:>6.1f} s   "
                f"ours: {ours['status']:<8} |diff| {ours['abs_diff']:>6} under {ours['under']:>5} "
                f"paid {ours['paid_hours']:>8.1f} h {ours['seconds']:>6.1f} s "
                f"gap {100 * ours['gap']:.2f} %",
                flush=True,
            )
    print(
        "\nverdict (ours vs pyworkforce): coverage objective at least as good, paid hours no higher"
    )
    for step, label, theirs, ours in rows:
        key = "abs_diff" if label == "MinAbsDifference" else "paid_hours"
        cov_ok = ours["abs_diff"] <= theirs["abs_diff"] if key == "abs_diff" else ours["under"] == 0
        paid_ok = ours["paid_hours"] <= theirs["paid_hours"] + 1e-9
        print(
            f"  {step:>3} min {label:<22} coverage {'yes' if cov_ok else 'NO'}  "
            f"paid hours {'yes' if paid_ok else 'NO'}"
        )
    if not args.skip_roster:
        r = roster_with_rules(requirement_curve(30), args.time_limit_seconds, args.workers)
        print(
            "\nours with breaks, lunch, 5-day weeks, 11 h rest, 2 days off in a row "
            f"({r['agents']} named agents, 30 min): {r['status']}, |diff| {r['abs_diff']}, "
            f"under {r['under']}, paid {r['paid_hours']:.1f} h, gap {100 * r['gap']:.2f} %, "
            f"{r['seconds']:.1f} s, checker violations {r['violations']}"
        )


if __name__ == "__main__":
    main()
