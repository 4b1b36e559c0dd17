"""Benchmark of the staffing engine (issue 3): one run, prints a table.

1. Requirements for one year of 15-minute intervals (35,040 rows, traffic up to 500 Erlangs) with
   Erlang C 80/20, against pyworkforce's ErlangC.required_positions looped over the same rows:
   agent counts compared row by row, speed ratio. pyworkforce is timed on every row unless a
   measured random subset projects more than ``--pyworkforce-budget`` seconds, in which case the
   subset's time is extrapolated (and the table says so).
2. The same year with Erlang A targets (80/20 only; and 80/20 + ASA <= 30 s + abandonment <= 5 %).
3. One interval with 5,000 agents: Erlang A KPIs (median of repeated calls), checked against the
   independent birth-death chain of tests/test_queueing.py.

Usage: ``.venv/bin/python bench/bench_staffing.py [--seed 7] [--pyworkforce-budget 240]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.queueing import erlang_a  # noqa: E402
from planner.staffing import StaffingTargets, required_agents  # noqa: E402

AHT_SECONDS = 300.0
INTERVAL_MINUTES = 15
PATIENCE_SECONDS = 180.0


def year_of_intervals(seed: int) -> pd.DataFrame:
    """35,040 quarter-hours of 2025 with daily, weekly and yearly shape; peak 500 Erlangs."""
    rng = np.random.default_rng(seed)
    starts = pd.date_range("2025-01-01", periods=35_040, freq="15min", tz="Europe/London")
    hours = (starts.hour + starts.minute / 60).to_numpy()
    daily = 0.02 + np.clip(np.sin((hours - 7.0) / 14.0 * np.pi), 0.0, None) ** 1.5
    weekly = np.where(starts.day_of_week.to_numpy() >= 5, 0.55, 1.0)
    yearly = 0.85 + 0.15 * np.cos(2 * np.pi * (starts.day_of_year.to_numpy() - 20) / 365.0)
    noise = rng.lognormal(0.0, 0.08, starts.size)
    traffic = daily * weekly * yearly * noise
    traffic = traffic / traffic.max() * 500.0
    calls = np.round(traffic * INTERVAL_MINUTES * 60 / AHT_SECONDS, 1)
    calls = np.maximum(calls, 0.1)  # pyworkforce rejects intervals without calls
    return pd.DataFrame(
        {
            "queue": "bench",
            "interval_start": starts,
            "calls_forecast": calls,
            "aht_seconds_forecast": AHT_SECONDS,
        }
    )


def pyworkforce_positions(calls: np.ndarray) -> list[int]:
    from pyworkforce.queuing import ErlangC

    return [
        ErlangC(
            transactions=float(c),
            aht=AHT_SECONDS / 60,
            asa=20 / 60,
            interval=INTERVAL_MINUTES,
        ).required_positions(service_level=0.8)["raw_positions"]
        for c in calls
    ]


def timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pyworkforce-budget", type=float, default=240.0)
    args = parser.parse_args()

    forecast = year_of_intervals(args.seed)
    traffic = forecast["calls_forecast"].to_numpy() * AHT_SECONDS / (INTERVAL_MINUTES * 60)
    rows: list[tuple[str, str, str]] = []
    print(
        f"{len(forecast):,} intervals, traffic {traffic.min():.2f} to {traffic.max():.1f} Erlangs"
    )

    # 1. Erlang C against pyworkforce.
    required_agents(forecast.head(200), interval_minutes=INTERVAL_MINUTES)  # warm imports
    ours_runs = [
        timed(required_agents, forecast, interval_minutes=INTERVAL_MINUTES) for _ in range(5)
    ]
    ours = ours_runs[0][0]
    ours_seconds = float(np.median([seconds for _, seconds in ours_runs]))
    ours_agents = ours["agents_required"].to_numpy()
    rng = np.random.default_rng(args.seed)
    probe = rng.choice(len(forecast), size=1_000, replace=False)
    probe_positions, probe_seconds = timed(
        pyworkforce_positions, forecast["calls_forecast"].to_numpy()[probe]
    )
    projected = probe_seconds * len(forecast) / probe.size
    if projected <= args.pyworkforce_budget:
        pw_positions, pw_seconds = timed(
            pyworkforce_positions, forecast["calls_forecast"].to_numpy()
        )
        compared = np.arange(len(forecast))
        pw_note = "all 35,040 rows, measured"
    else:
        pw_positions, pw_seconds = probe_positions, projected
        compared = probe
        pw_note = f"{probe.size:,} random rows measured ({probe_seconds:.1f} s), extrapolated"
    mismatches = int(np.sum(np.asarray(pw_positions) != ours_agents[compared]))
    rows.append(
        ("Erlang C year, planner.staffing", f"{ours_seconds:.3f} s", "80/20; median of 5 runs")
    )
    rows.append(("Erlang C year, pyworkforce loop", f"{pw_seconds:.1f} s", pw_note))
    rows.append(
        (
            "speed ratio / agent counts",
            f"{pw_seconds / ours_seconds:,.0f}x",
            f"{mismatches} of {compared.size:,} rows differ",
        )
    )

    # 2. Erlang A year.
    sl_only = StaffingTargets(0.8, 20.0)
    every = StaffingTargets(0.8, 20.0, max_asa_seconds=30.0, max_abandon_rate=0.05)
    for label, targets in (("80/20", sl_only), ("80/20, ASA<=30 s, abandon<=5 %", every)):
        runs = [
            timed(
                required_agents,
                forecast,
                targets,
                model="erlang-a",
                patience_seconds=PATIENCE_SECONDS,
                interval_minutes=INTERVAL_MINUTES,
            )
            for _ in range(3)
        ]
        result = runs[0][0]
        seconds = [s for _, s in runs]
        rows.append(
            (
                f"Erlang A year ({label})",
                f"{np.median(seconds):.2f} s",
                f"median of 3 (max {max(seconds):.2f} s); peak "
                f"{int(result['agents_required'].max())} agents; patience 180 s",
            )
        )

    # 3. One interval, 5,000 agents.
    from tests.test_queueing import erlang_a_chain

    args_5000 = (4900.0, 5000, AHT_SECONDS, PATIENCE_SECONDS, 20.0)
    erlang_a(*args_5000)
    times = []
    for _ in range(21):
        result_5000, seconds = timed(erlang_a, *args_5000)
        times.append(seconds)
    chain = erlang_a_chain(*args_5000)
    worst = max(
        abs(float(getattr(result_5000, name)) / value - 1.0)
        for name, value in chain.items()
        if value != 0
    )
    rows.append(
        (
            "Erlang A KPIs, 1 interval, 5,000 agents",
            f"{1000 * float(np.median(times)):.1f} ms",
            f"median of 21; worst relative gap to the chain {worst:.1e}",
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'time':>10}  note")
    for case, value, note in rows:
        print(f"{case:<{width}}  {value:>10}  {note}")


if __name__ == "__main__":
    main()
