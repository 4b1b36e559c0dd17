"""Benchmark of planner.evaluate: a 52-week plan at 15-minute intervals.

Run: ``.venv/bin/python bench/bench_evaluate.py [--queues 3] [--repeats 3]``

Each queue is open 07:00-22:00 every day of 52 weeks (Europe/London, so two DST changes) with a
two-peak intraday shape, AHT 300-420 s and square-root safety staffing ``ceil(A + sqrt(A))``
grossed up for 30 % shrinkage. The script times :func:`planner.evaluate.evaluate_plan` with
Erlang A (patience 180 s) and with Erlang C, and prints the best of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.evaluate import evaluate_plan  # noqa: E402


def year_plan(queues: int, seed: int = 1) -> pd.DataFrame:
    """52 weeks x 96 intervals per queue; closed intervals carry no calls and no agents."""
    rng = np.random.default_rng(seed)
    starts = pd.date_range("2024-01-01", periods=52 * 7 * 96, freq="15min", tz="Europe/London")
    hour = starts.hour + starts.minute / 60
    open_ = (hour >= 7) & (hour < 22)
    shape = np.exp(-0.5 * ((hour - 10.5) / 1.5) ** 2) + 0.8 * np.exp(-0.5 * ((hour - 15) / 2) ** 2)
    frames = []
    for index in range(queues):
        calls = np.where(open_, 80.0 * (shape + 0.15) * rng.uniform(0.8, 1.2, starts.size), 0.0)
        aht = 300.0 + 40.0 * index
        traffic = calls * aht / 900.0
        productive = np.ceil(traffic + np.sqrt(traffic))
        heads = np.where(open_, np.ceil(productive / 0.7), 0).astype(np.int64)
        frames.append(
            pd.DataFrame(
                {
                    "queue": f"q{index}",
                    "interval_start": starts,
                    "calls_forecast": calls,
                    "aht_seconds_forecast": aht,
                    "agents_to_schedule": heads,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    plan = year_plan(args.queues)
    print(f"plan: {args.queues} queues x 52 weeks x 96 intervals = {len(plan):,} rows")
    print()
    print("| model | rows | best seconds | rows/s | intervals missing target | weekly SL range |")
    print("|---|---:|---:|---:|---:|---|")
    for label, kwargs in (
        ("Erlang A (patience 180 s)", {"patience_seconds": 180.0}),
        ("Erlang C", {"model": "erlang-c"}),
    ):
        best = np.inf
        evaluation = None
        for _ in range(args.repeats):
            started = time.perf_counter()
            evaluation = evaluate_plan(plan, shrinkage=0.3, interval_minutes=15, **kwargs)
            best = min(best, time.perf_counter() - started)
        assert evaluation is not None
        weekly = evaluation.weekly["service_level"]
        print(
            f"| {label} | {len(plan):,} | {best:.3f} | {len(plan) / best:,.0f} | "
            f"{len(evaluation.missing_target):,} | {weekly.min():.3f}-{weekly.max():.3f} |"
        )


if __name__ == "__main__":
    main()
