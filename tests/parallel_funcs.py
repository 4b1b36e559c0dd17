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
