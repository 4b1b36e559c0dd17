"""Time `planner demo` (run_demo) stage by stage: the target is a few minutes on 2 cores.

Usage: .venv/bin/python bench/bench_demo.py [--time-limit-seconds 45] [--seed 7]
Writes the demo into a temporary folder; prints one row per stage and the total.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from planner.pipeline import demo_config, run_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit-seconds", type=float, default=45.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = run_demo(
            Path(folder),
            seed=args.seed,
            config=demo_config(time_limit_seconds=args.time_limit_seconds),
        )
        total = time.perf_counter() - started
        size_mb = result.outputs["report"].stat().st_size / 1e6 if "report" in result.outputs else 0
    print(f"{'stage':<12} {'seconds':>8}  state")
    print(f"{'sample':<12} {total - sum(result.seconds.values()):8.1f}  sample centre generated")
    for stage, seconds in result.seconds.items():
        print(f"{stage:<12} {seconds:8.1f}  {result.stages[stage][:70]}")
    print(f"{'total':<12} {total:8.1f}  report.html {size_mb:.1f} MB")


if __name__ == "__main__":
    main()
