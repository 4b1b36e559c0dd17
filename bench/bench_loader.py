"""Loader benchmark: ``planner.io.read_history`` on a 1,000,000-row history and on real data.

Run: ``.venv/bin/python bench/bench_loader.py [--rows N] [--repeats 3]``

1. Synthetic: a 24/7 centre with 4 queues, 15-minute intervals, naive local clock times in
   Europe/London (so the file holds every spring-forward gap and repeated autumn hour of ~7 years),
   columns spelled like an export (``skill,timestamp,calls,aht,answered,abandoned``). Written once
   as CSV and as Parquet into a temporary folder; each read is timed (median of ``--repeats``) in a
   fresh process, and its peak memory is the rise of the process's peak RSS (``VmHWM``, reset
   through ``/proc/self/clear_refs`` just before reading) over the RSS before reading, after a
   warm-up on a tiny file (pyarrow's allocations are invisible to tracemalloc).
   ``write_frame`` of the loaded frame is timed too.
2. Real: ``../shared/data/us_bank_2003_{5,15,30}min.csv`` (US bank, weekdays 07:00-21:05, local
   New York time, no zone in the file) with the gap report (the data README lists 6 missing
   weekdays). Skipped with a message when the folder is absent.

Prints a markdown table to paste into ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SEED = 20260


def make_synthetic(rows: int, folder: Path) -> tuple[Path, Path]:
    """Write the synthetic export (CSV and Parquet); return both paths."""
    queues = ["billing", "retention", "sales", "support"]
    per_queue = rows // len(queues)
    utc = pd.date_range("2017-01-02", periods=per_queue, freq="15min", tz="UTC")
    wall = utc.tz_convert("Europe/London").tz_localize(None)  # naive local clock, DST included
    rng = np.random.default_rng(SEED)
    hour = wall.hour.to_numpy() + wall.minute.to_numpy() / 60
    shape = np.clip(np.sin((hour - 7) / 15 * np.pi), 0.02, None)
    frames = []
    for k, queue in enumerate(queues):
        rate = (20 + 10 * k) * shape
        calls = rng.poisson(rate)
        answered = rng.binomial(calls, 0.93)
        frames.append(
            pd.DataFrame(
                {
                    "skill": queue,
                    "timestamp": wall,
                    "calls": calls,
                    "aht": np.round(rng.normal(300 + 20 * k, 15, per_queue), 1),
                    "answered": answered,
                    "abandoned": calls - answered,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    csv_path = folder / "synthetic_history.csv"
    parquet_path = folder / "synthetic_history.parquet"
    text = frame.assign(timestamp=frame["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    text.to_csv(csv_path, index=False)
    frame.to_parquet(parquet_path, index=False)
    return csv_path, parquet_path


def _rss_now_kib() -> int:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() // 1024


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process; False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _peak_kib() -> int:
    """Peak RSS since the last reset (VmHWM), or since the process started (getrusage)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _timed_load(path: str, tz: str, repeats: int) -> dict[str, object]:
    """Run in a fresh process: time load_history, measure the peak RSS rise, time write_frame."""
    from planner.io import load_history, write_frame

    # Warm up on a tiny file so that lazy imports and arrow's thread pool are not counted.
    with tempfile.TemporaryDirectory() as folder:
        tiny = Path(folder) / "tiny.csv"
        tiny.write_text("interval_start,calls_offered\n2024-01-01 08:00,1\n2024-01-01 08:15,2\n")
        write_frame(load_history(tiny, tz=tz).frame, Path(folder) / "tiny_out.csv")
    baseline_kib = _rss_now_kib()
    exact_peak = _reset_peak()
    seconds = []
    load = None
    for _ in range(repeats):
        start = time.perf_counter()
        load = load_history(path, tz=tz)
        seconds.append(time.perf_counter() - start)
    peak_kib = _peak_kib()
    assert load is not None
    result: dict[str, object] = {
        "seconds": seconds,
        "peak_rise_mib": (peak_kib - baseline_kib) / 1024,
        "exact_peak": exact_peak,
        "rows": len(load.frame),
        "interval_minutes": load.interval_minutes,
        "gaps": load.gaps,
        "notes": load.notes,
        "frame_mib": load.frame.memory_usage(deep=True).sum() / 2**20,
    }
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".csv", ".parquet"):
            start = time.perf_counter()
            write_frame(load.frame, Path(folder) / f"out{suffix}")
            result[f"write{suffix}"] = time.perf_counter() - start
    return result


def measure(path: Path, tz: str, repeats: int) -> dict[str, object]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_timed_load, (str(path), tz, repeats))


def row(label: str, path: Path, result: dict[str, object]) -> str:
    seconds = result["seconds"]
    assert isinstance(seconds, list)
    median = statistics.median(seconds)
    rows = int(result["rows"])  # type: ignore[call-overload]
    size_mib = path.stat().st_size / 2**20
    return (
        f"| {label} | {rows:,} | {size_mib:.1f} | {median:.2f} | {min(seconds):.2f} | "
        f"{rows / median / 1e6:.2f} | {result['peak_rise_mib']:.0f} | "
        f"{result['write.csv']:.2f} | {result['write.parquet']:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO))
    header = (
        "| file | rows | MiB on disk | load s (median) | load s (best) | M rows/s | "
        "peak RSS rise MiB | write_frame CSV s | write_frame Parquet s |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    lines = [header]
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        csv_path, parquet_path = make_synthetic(args.rows, Path(folder))
        print(f"generated {args.rows:,} synthetic rows in {time.perf_counter() - start:.1f} s")
        for label, path in (("synthetic CSV", csv_path), ("synthetic Parquet", parquet_path)):
            result = measure(path, "Europe/London", args.repeats)
            lines.append(row(label, path, result))
            print(f"{label}: notes {result['notes']}")
            gaps = result["gaps"]
            assert isinstance(gaps, pd.DataFrame)
            print(f"{label}: {len(gaps)} gaps (expected 0: DST days are neither gaps nor mixed)")

    real = []
    if not SHARED_DATA.exists():
        print(f"skipping real data: {SHARED_DATA} is absent")
    else:
        for minutes in (5, 15, 30):
            path = SHARED_DATA / f"us_bank_2003_{minutes}min.csv"
            if not path.exists():
                print(f"skipping {path}: absent")
                continue
            result = measure(path, "America/New_York", args.repeats)
            lines.append(row(f"us_bank_2003_{minutes}min.csv", path, result))
            real.append((path.name, result))

    print()
    print("\n".join(lines))
    for name, result in real:
        gaps = result["gaps"]
        assert isinstance(gaps, pd.DataFrame)
        days = gaps[gaps["kind"] == "day"]
        intervals = gaps[gaps["kind"] == "intervals"]
        print(
            f"\n{name}: {result['interval_minutes']}-minute intervals, {len(days)} missing days "
            f"({', '.join(days['gap_start'].dt.strftime('%Y-%m-%d'))}), "
            f"{int(intervals['missing_intervals'].sum())} missing intervals inside days"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
