"""Minimum shift design instances (Musliu, Schaerf, Slany) within 60 s each (issue 5).

Reads ../shared/bench-data/shift_design/ (toy*.dzn and DataSet1-3/*.dzn) and skips with a message
when it is absent. For each instance: our objective (recomputed by the independent evaluator), the
proven lower bound, the gap to it, the components (under/over person-minutes, shifts used, duties
penalty) and the wall time. Best known values are not available here.

    .venv/bin/python bench/bench_shift_design.py [--seconds 60] [--workers 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.scheduling.shift_design_instances import (  # noqa: E402
    evaluate_shift_design,
    read_shift_design_instance,
    solve_shift_design,
)

DATA = REPO.parent / "shared" / "bench-data" / "shift_design"


def _files() -> list[Path]:
    def key(path: Path) -> tuple[str, int, str]:
        digits = "".join(c for c in path.stem if c.isdigit())
        return (path.parent.name, int(digits or 0), path.stem)

    return sorted(DATA.glob("toy*.dzn"), key=key) + sorted(DATA.glob("DataSet*/*.dzn"), key=key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="substring of the file path to select")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: benchmark data not found at {DATA} (see bench/RESULTS.md)")
        return 0
    print(
        f"Minimum shift design, {args.seconds:.0f} s each, num_workers={args.workers}, "
        f"random_seed={args.seed}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    header = (
        f"{'instance':<30}{'objective':>10}{'bound':>8}{'gap %':>7}{'status':>10}"
        f"{'under min':>10}{'over min':>9}{'shifts':>7}{'duties pen':>11}{'seconds':>8}"
    )
    print(header)
    print("-" * len(header))
    proven = total = 0
    for path in _files():
        if args.only and args.only not in str(path):
            continue
        instance = read_shift_design_instance(path)
        solution = solve_shift_design(
            instance,
            time_limit_seconds=args.seconds,
            num_workers=args.workers,
            random_seed=args.seed,
        )
        evaluation = evaluate_shift_design(instance, solution.heads)
        assert evaluation.feasible and evaluation.objective == solution.objective, evaluation
        gap = 100.0 * (solution.objective - solution.best_bound) / max(1, solution.objective)
        total += 1
        proven += solution.status == "OPTIMAL"
        label = f"{path.parent.name}/{path.stem}" if path.parent != DATA else path.stem
        print(
            f"{label:<30}{solution.objective:>10}{solution.best_bound:>8}{gap:>7.1f}"
            f"{solution.status:>10}{evaluation.under_minutes:>10}{evaluation.over_minutes:>9}"
            f"{evaluation.shifts_used:>7}{evaluation.duties_penalty:>11}"
            f"{solution.wall_seconds:>8.1f}",
            flush=True,
        )
    print("-" * len(header))
    print(f"proven optimal on {proven} of {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
