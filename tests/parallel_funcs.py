"""Small module-level per-queue functions for tests/test_parallel.py.

They live in an importable module (not in the test file) because worker processes and Dask workers
import the function by its module path, exactly as they would import ``planner.staffing``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import InputError


def running_load(queue_frame: pd.DataFrame, *, aht_seconds: float = 300.0) -> pd.DataFrame:
    """Per interval: offered load in erlangs and its running total; InputError on negative calls."""
    calls = queue_frame["calls_offered"].to_numpy(dtype="float64")
    if (calls < 0).any():
        row = int(np.flatnonzero(calls < 0)[0])
        raise InputError(f"row {row}: calls_offered must be >= 0, got {calls[row]:g}")
    load_erlangs = calls * aht_seconds / 1800.0
    return pd.DataFrame(
        {
            "queue": queue_frame["queue"].to_numpy(),
            "interval_start": queue_frame["interval_start"].to_numpy(),
            "traffic_erlangs": load_erlangs,
            "cumulative_erlangs": np.cumsum(load_erlangs),
        }
    )


def load_and_summary(queue_frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two frames per queue: the per-interval load and a one-row summary."""
    load = running_load(queue_frame)
    summary = pd.DataFrame(
        {
            "queue": [queue_frame["queue"].iloc[0]],
            "calls_total": [queue_frame["calls_offered"].sum()],
        }
    )
    return load, summary


def crash_on_empty_calls(queue_frame: pd.DataFrame) -> pd.DataFrame:
    """A bug, not a planner error: ZeroDivisionError when a queue offered no calls at all."""
    total = int(queue_frame["calls_offered"].sum())
    return pd.DataFrame({"queue": [queue_frame["queue"].iloc[0]], "share": [1 / total]})


def not_a_frame(queue_frame: pd.DataFrame) -> list[int]:
    """Returns a list: run_per_queue must report it as the queue's failure."""
    return [len(queue_frame)]


def summary_or_pair(queue_frame: pd.DataFrame) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """One frame for most queues, two for queue 'pair': an inconsistent function."""
    if queue_frame["queue"].iloc[0] == "pair":
        return load_and_summary(queue_frame)
    return running_load(queue_frame)


def small_centre(weeks: int = 10, *, seed: int = 5) -> pd.DataFrame:
    """Three queues of half-hourly history, 08:00-18:00 Europe/London, seeded Poisson counts,
    sorted by (queue, interval_start) as CONTRIBUTING.md requires.

    Queue 'sales' is closed on Sundays, so its history ends a day before the others' when the
    last day is a Sunday (the forecast origin must still be the common one).
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range("2026-01-05", periods=7 * weeks, freq="D")  # Monday .. Sunday
    slots = np.arange(20)
    shape = 0.4 + np.exp(-0.5 * ((slots - 6) / 3.0) ** 2)
    parts = []
    for queue, level, closed_sunday in (
        ("support", 30.0, False),
        ("sales", 12.0, True),
        ("billing", 6.0, False),
    ):
        for day in days:
            if closed_sunday and day.weekday() == 6:
                continue
            factor = 0.5 if day.weekday() >= 5 else 1.0
            starts = (
                day + pd.Timedelta(hours=8) + pd.to_timedelta(30 * slots, unit="min")
            ).tz_localize("Europe/London")
            parts.append(
                pd.DataFrame(
                    {
                        "queue": queue,
                        "interval_start": starts,
                        "calls_offered": rng.poisson(level * factor * shape).astype("float64"),
                        "aht_seconds": rng.normal(300.0, 20.0, len(slots)),
                    }
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
