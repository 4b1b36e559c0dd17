"""Benchmark of planner.simulate: a week of 100,000 calls, and the simulation against Erlang A.

Run: ``.venv/bin/python bench/bench_simulate.py [--replications 10] [--calls 100000]``

The week is one queue at 15-minute intervals, open 07:00-22:00 every day, with a two-peak
intraday shape and weekday factors; AHT 300 s (exponential), patience 180 s (exponential).
Agents per interval come from square-root safety staffing ``ceil(A + 1.0 * sqrt(A))`` (a plan
of the kind a planner hands over, not an optimal one). The script prints:

1. speed: seconds per replication and simulated calls per second;
2. the week's KPIs by Erlang A (per interval, aggregated weighted by calls) and by the
   simulation (with its 95 % confidence interval);
3. a stationary check: one constant interval repeated for two days, where the formulas hold,
   run with ``--seeds`` seeds: how many of the 95 % confidence intervals cover Erlang A.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.queueing import erlang_a  # noqa: E402
from planner.simulate import simulate_plan  # noqa: E402

AHT_SECONDS = 300.0
PATIENCE_SECONDS = 180.0
ANSWER_TARGET_SECONDS = 20.0


def week_of_calls(total_calls: float) -> pd.DataFrame:
    """One queue, one week (Mon 4 March 2024), open 07:00-22:00, scaled to ``total_calls``."""
    starts = pd.date_range("2024-03-04 00:00", periods=7 * 96, freq="15min", tz="Europe/London")
    hour = starts.hour + starts.minute / 60
    open_ = (hour >= 7) & (hour < 22)
    shape = np.exp(-0.5 * ((hour - 10.5) / 1.5) ** 2) + 0.8 * np.exp(-0.5 * ((hour - 15) / 2) ** 2)
    weekday = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.6, 0.45])[starts.day_of_week]
    weight = np.where(open_, (shape + 0.15) * weekday, 0.0)
    calls = total_calls * weight / weight.sum()
    frame = pd.DataFrame({"queue": "bench", "interval_start": starts, "calls_forecast": calls}).loc[
        open_
    ]
    traffic = frame["calls_forecast"].to_numpy() * AHT_SECONDS / 900.0
    agents = np.ceil(traffic + np.sqrt(traffic)).astype(np.int64)
    return frame.assign(aht_seconds_forecast=AHT_SECONDS, agents_scheduled=agents).reset_index(
        drop=True
    )


def erlang_week(frame: pd.DataFrame) -> dict[str, float]:
    """Erlang A per interval, aggregated over the week weighted by calls (answered for ASA)."""
    calls = frame["calls_forecast"].to_numpy()
    result = erlang_a(
        calls * AHT_SECONDS / 900.0,
        frame["agents_scheduled"].to_numpy(),
        AHT_SECONDS,
        PATIENCE_SECONDS,
        ANSWER_TARGET_SECONDS,
    )
    answered = calls * (1 - result.abandon_rate)
    busy = answered * AHT_SECONDS
    return {
        "service_level": float((calls * result.service_level).sum() / calls.sum()),
        "asa_seconds": float((answered * result.asa_seconds).sum() / answered.sum()),
        "abandon_rate": float((calls * result.abandon_rate).sum() / calls.sum()),
        "wait_probability": float((calls * result.wait_probability).sum() / calls.sum()),
        "occupancy": float(busy.sum() / (frame["agents_scheduled"].to_numpy() * 900.0).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--calls", type=float, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--seeds", type=int, default=20, help="Seeds of the stationary check.")
    args = parser.parse_args()

    frame = week_of_calls(args.calls)
    print(
        f"week: {len(frame)} open intervals, {frame['calls_forecast'].sum():,.0f} calls expected, "
        f"peak {frame['agents_scheduled'].max()} agents, "
        f"{(frame['agents_scheduled'] * 0.25).sum():,.0f} agent-hours"
    )
    simulate_plan(frame.head(8), "agents_scheduled", replications=1, seed=0)  # warm imports
    started = time.perf_counter()
    result = simulate_plan(
        frame,
        "agents_scheduled",
        patience_seconds=PATIENCE_SECONDS,
        answer_target_seconds=ANSWER_TARGET_SECONDS,
        replications=args.replications,
        seed=args.seed,
    )
    elapsed = time.perf_counter() - started
    simulated = result.intervals["calls_offered"].sum() * args.replications
    print()
    print("| replications | seconds total | seconds per replication | calls simulated | calls/s |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {args.replications} | {elapsed:.2f} | {elapsed / args.replications:.3f} | "
        f"{simulated:,.0f} | {simulated / elapsed:,.0f} |"
    )

    formulas = erlang_week(frame)
    totals = result.totals.iloc[0]
    print()
    print(
        "Week, time-varying load (Erlang A per interval, weighted by calls, vs simulation 95 % CI):"
    )
    print("| KPI | Erlang A | simulation | 95 % CI | formula inside CI |")
    print("|---|---:|---:|---|---|")
    for metric, value in formulas.items():
        lower, upper = totals[f"{metric}_lower"], totals[f"{metric}_upper"]
        print(
            f"| {metric} | {value:.4f} | {totals[metric]:.4f} | [{lower:.4f}, {upper:.4f}] | "
            f"{'yes' if lower <= value <= upper else 'no'} |"
        )
    per_interval = result.intervals
    erlang_intervals = erlang_a(
        frame["calls_forecast"].to_numpy() * AHT_SECONDS / 900.0,
        frame["agents_scheduled"].to_numpy(),
        AHT_SECONDS,
        PATIENCE_SECONDS,
        ANSWER_TARGET_SECONDS,
    )
    outside = (
        (erlang_intervals.service_level < per_interval["service_level_lower"])
        | (erlang_intervals.service_level > per_interval["service_level_upper"])
    ).sum()
    print(
        f"\nintervals whose Erlang A service level lies outside the simulation's 95 % CI: "
        f"{outside} of {len(per_interval)}; largest backlog at an interval end: "
        f"{per_interval['queue_at_end'].max():.1f} calls"
    )

    # Stationary check: 40 erlangs on 44 agents for two days, over many seeds: how often does
    # the simulation's 95 % confidence interval cover the exact Erlang A value?
    starts = pd.date_range("2024-03-04", periods=192, freq="15min", tz="UTC")
    stationary = pd.DataFrame(
        {
            "interval_start": starts,
            "calls_forecast": 120.0,
            "aht_seconds_forecast": AHT_SECONDS,
            "agents_scheduled": 44,
        }
    )
    exact = erlang_a(40.0, 44, AHT_SECONDS, PATIENCE_SECONDS, ANSWER_TARGET_SECONDS)
    metrics = ("service_level", "asa_seconds", "abandon_rate", "wait_probability", "occupancy")
    runs = [
        simulate_plan(
            stationary,
            "agents_scheduled",
            patience_seconds=PATIENCE_SECONDS,
            replications=args.replications,
            seed=args.seed + offset,
        ).totals.iloc[0]
        for offset in range(args.seeds)
    ]
    print(
        f"\nStationary: 40 erlangs, 44 agents, two days; {args.seeds} seeds x "
        f"{args.replications} replications (each run starts empty):"
    )
    print("| KPI | Erlang A | simulation mean over seeds | 95 % CIs covering Erlang A |")
    print("|---|---:|---:|---:|")
    for metric in metrics:
        value = float(getattr(exact, metric))
        covered = sum(run[f"{metric}_lower"] <= value <= run[f"{metric}_upper"] for run in runs)
        mean = float(np.mean([run[metric] for run in runs]))
        print(f"| {metric} | {value:.4f} | {mean:.4f} | {covered} of {len(runs)} |")


if __name__ == "__main__":
    main()
