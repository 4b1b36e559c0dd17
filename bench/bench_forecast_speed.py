"""Fit + predict time of each forecasting method, and how it grows with history and queues.

Target (issue 4): one queue with a year of 15-minute history, fit + predict 14 days, under 10 s
on the 2-core CI machine. The history is synthetic (15-min, 07:00-21:00 weekdays, 09:00-17:00
Saturdays, Sunday closed, Poisson arrivals, AHT), made here so the timing needs no other module.
Times are wall-clock seconds of one run each; the machine may be shared with other work.

Usage: .venv/bin/python bench/bench_forecast_speed.py [--no-prophet]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from planner.forecast import (
    MeanLastWeeks,
    ProphetForecaster,
    SameSlotLastWeek,
    TopDown,
    forecast_history,
)


def synthetic_history(weeks: int, queues: int, *, minutes: int = 15, seed: int = 0) -> pd.DataFrame:
    """Open intervals only; per-queue volume, weekly and intraday shape, yearly wave, Poisson."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-02", periods=7 * weeks, freq="D")
    frames = []
    for q in range(queues):
        for is_sat, (lo, hi) in ((False, (7, 21)), (True, (9, 17))):
            mask = (days.day_of_week == 5) if is_sat else (days.day_of_week < 5)
            d = days[mask]
            slots = np.arange(lo * 60, hi * 60, minutes)
            hours = slots / 60
            shape = np.exp(-(((hours - 11) / 2.5) ** 2)) + 0.7 * np.exp(-(((hours - 15) / 2) ** 2))
            shape = shape / shape.sum()
            weekday = np.array([1.3, 1.0, 0.95, 1.0, 1.1, 0.5, 0.0])[d.day_of_week]
            yearly = 1 + 0.15 * np.sin(2 * np.pi * d.day_of_year.to_numpy() / 365.25)
            totals = 3000 * (1 + 0.3 * q) * weekday * yearly
            lam = totals[:, None] * shape[None, :]
            stamps = (d.values[:, None] + slots[None, :].astype("timedelta64[m]")).ravel()
            frame = pd.DataFrame(
                {
                    "queue": f"q{q}",
                    "interval_start": pd.DatetimeIndex(stamps).tz_localize("Europe/London"),
                    "calls_offered": rng.poisson(lam).ravel().astype(float),
                    "aht_seconds": (300 + 40 * (hours >= 17))[None, :].repeat(len(d), 0).ravel()
                    + rng.normal(0, 15, lam.size),
                }
            )
            frames.append(frame)
    return (
        pd.concat(frames, ignore_index=True)
        .sort_values(["queue", "interval_start"])
        .reset_index(drop=True)
    )


def timed(make, history: pd.DataFrame) -> float:
    started = time.perf_counter()
    make().fit(history).predict(14)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-prophet", action="store_true")
    args = parser.parse_args()
    methods = {
        "same-slot-last-week": SameSlotLastWeek,
        "mean-last-weeks": MeanLastWeeks,
        "topdown": TopDown,
    }
    if not args.no_prophet:
        methods["prophet"] = ProphetForecaster
        methods["topdown-daily-prophet"] = lambda: TopDown(daily_model="prophet")

    print("fit + predict 14 days, one queue, 15-min intervals: seconds by weeks of history")
    rows = []
    for weeks in (13, 26, 52, 104):
        history = synthetic_history(weeks, 1)
        row = {"weeks": weeks, "rows": len(history)}
        for name, make in methods.items():
            row[name] = round(timed(make, history), 2)
        rows.append(row)
        print(pd.DataFrame(rows).to_string(index=False))
        sys.stdout.flush()

    print("\nfit + predict 14 days, 52 weeks of 15-min history: seconds by number of queues")
    rows = []
    for queues in (1, 2, 4, 8):
        history = synthetic_history(52, queues)
        row = {"queues": queues, "rows": len(history)}
        for name, make in methods.items():
            if name == "prophet" and queues > 4:
                continue
            row[name] = round(timed(make, history), 2)
        started = time.perf_counter()
        forecast_history(history, 14)
        row["forecast_history auto"] = round(time.perf_counter() - started, 2)
        rows.append(row)
        print(pd.DataFrame(rows).to_string(index=False))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
