"""What a local process pool costs and what one queue's forecast costs: the figures behind
``planner.parallel.resolve_workers`` (the rule that picks the workers when ``--workers`` is not
given).

    .venv/bin/python bench/bench_workers_default.py
    .venv/bin/python bench/bench_workers_default.py --queues 12 --days 365

Measured, each in a fresh child process:

- ``pool start-up``: wall seconds of ``run_per_queue(forecast_one_queue, ...)`` with 2 spawn
  workers on 2 one-week queues (one queue per worker) minus the slower queue's own seconds: two
  fresh interpreters importing pandas, SciPy and ``planner.forecast``;
- ``seconds per queue`` of ``forecast_per_queue(workers=1)`` per method on ``--queues`` synthetic
  queues of ``--days`` days (the same generator as ``bench_scaleout.py``): mean and largest.

The table ends with the smallest number of queues for which a 2-process pool is expected to beat
one process under ``resolve_workers``' cost model (n x t x (1 - 1/2) > start-up).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

METHODS = ("auto", "mean-last-weeks", "same-slot-last-week", "topdown", "prophet")


def measure(kind: str, args: argparse.Namespace) -> dict:
    """One measurement in this (child) process."""
    from bench.bench_scaleout import synthetic_history
    from planner.parallel_forecast import forecast_per_queue

    if kind == "startup":
        history = synthetic_history(2, 7 * 5, seed=args.seed)
        scaled = forecast_per_queue(
            history, 7, method="same-slot-last-week", workers=2, chunk_queues=1
        )
        run = scaled.run
        return {
            "wall_s": run.wall_seconds,
            "startup_s": run.wall_seconds - float(run.queue_seconds.max()),
            "workers": run.workers,
            "backend": run.backend,
        }
    n_queues = 2 if kind == "prophet" else args.queues
    history = synthetic_history(n_queues, args.days, seed=args.seed)
    scaled = forecast_per_queue(history, 14, method=kind, workers=1)
    seconds = scaled.run.queue_seconds
    return {
        "queues": n_queues,
        "rows_per_queue": len(history) / n_queues,
        "mean_s": float(seconds.mean()),
        "max_s": float(seconds.max()),
        "failed": len(scaled.run.failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queues", type=int, default=8, help="queues per method (Prophet: 2)")
    parser.add_argument("--days", type=int, default=365, help="days of history per queue")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args)))
        return

    def child(kind: str) -> dict:
        command = [sys.executable, __file__, "--child", kind, "--queues", str(args.queues)]
        command += ["--days", str(args.days), "--seed", str(args.seed)]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
        return json.loads(done.stdout.strip().splitlines()[-1])

    with open("/proc/loadavg", encoding="ascii") as load:
        print(f"load average at start: {load.read().split()[0]}")
    startups = [child("startup")["startup_s"] for _ in range(2)]
    startup = min(startups)
    print(f"pool start-up (2 spawn workers): {', '.join(f'{s:.2f}' for s in startups)} s")
    print(
        "| method | queues x days | rows/queue | mean s/queue | max s/queue "
        "| queues for a 2-pool to pay |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for method in METHODS:
        figures = child(method)
        pays = startup / (figures["mean_s"] * 0.5)
        print(
            f"| {method} | {figures['queues']} x {args.days} | {figures['rows_per_queue']:,.0f} | "
            f"{figures['mean_s']:.3f} | "
            f"{figures['max_s']:.3f} | > {pays:.0f} |"
        )


if __name__ == "__main__":
    main()
