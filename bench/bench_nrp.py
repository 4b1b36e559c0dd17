"""Curtois & Qu employee shift scheduling instances 1-12 at 60 s each (issue 5).

Reads ../shared/bench-data/nrp/ (InstanceN.txt and best_known.csv) and skips with a message when it
is absent. For each instance: our objective (checked by the independent checker, not the model),
the best-known value, the gap, the proven lower bound and the wall time; then how many reached the
best-known value and the mean gap.

    .venv/bin/python bench/bench_nrp.py [--seconds 60] [--instances 1-12] [--workers 2] [--seed 0]
        [--subsolvers max_lp] [--weak-bound-check-fraction 0.25] [--neighbourhood-seconds 2]
        [--run-state-flow-max-literals 2000] [--polish-fraction 0.25]
        [--column-generation-min-literals 2001] [--column-generation-root-fraction 0.5]

``--subsolvers ""`` gives CP-SAT's default portfolio to the whole-model solves, for comparing it
with ``max_lp`` (the engine's default) through the same engine; the other options are
:func:`planner.scheduling.nrp.solve_nrp`'s parameters of the same names, with its defaults.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.scheduling.nrp import evaluate_nrp_roster, read_nrp_instance, solve_nrp  # noqa: E402

DATA = REPO.parent / "shared" / "bench-data" / "nrp"


def _instances(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--instances", default="1-12")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--subsolvers",
        default="max_lp",
        help="comma-separated CP-SAT full-model subsolvers; empty for CP-SAT's default portfolio",
    )
    parser.add_argument("--weak-bound-check-fraction", type=float, default=0.25)
    parser.add_argument("--neighbourhood-seconds", type=float, default=2.0)
    parser.add_argument("--run-state-flow-max-literals", type=int, default=2000)
    parser.add_argument("--polish-fraction", type=float, default=0.25)
    parser.add_argument("--column-generation-min-literals", type=int, default=2001)
    parser.add_argument("--column-generation-root-fraction", type=float, default=0.5)
    args = parser.parse_args()
    if not (DATA / "best_known.csv").exists():
        print(f"skipped: benchmark data not found at {DATA} (see bench/RESULTS.md)")
        return 0
    with open(DATA / "best_known.csv", newline="", encoding="utf-8") as handle:
        best_known = {
            row["instance"]: int(row["best_known_solution"]) for row in csv.DictReader(handle)
        }
    print(
        f"Curtois & Qu NRP, {args.seconds:.0f} s each, num_workers={args.workers}, "
        f"random_seed={args.seed}, subsolvers={args.subsolvers or 'default'}, "
        f"weak_bound_check_fraction={args.weak_bound_check_fraction}, "
        f"neighbourhood_seconds={args.neighbourhood_seconds}, "
        f"run_state_flow_max_literals={args.run_state_flow_max_literals}, "
        f"polish_fraction={args.polish_fraction}, "
        f"column_generation_min_literals={args.column_generation_min_literals}, "
        f"column_generation_root_fraction={args.column_generation_root_fraction}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    header = (
        f"{'instance':<11}{'objective':>10}{'best':>8}{'gap %':>8}{'bound':>8}{'seconds':>9}  check"
    )
    print(header)
    print("-" * len(header))
    gaps: list[float] = []
    hits = 0
    for number in _instances(args.instances):
        name = f"Instance{number}"
        path = DATA / f"{name}.txt"
        if not path.exists():
            print(f"{name:<11} skipped: {path} not found")
            continue
        instance = read_nrp_instance(path)
        solution = solve_nrp(
            instance,
            time_limit_seconds=args.seconds,
            num_workers=args.workers,
            random_seed=args.seed,
            full_model_subsolvers=[name for name in args.subsolvers.split(",") if name],
            weak_bound_check_fraction=args.weak_bound_check_fraction,
            neighbourhood_seconds=args.neighbourhood_seconds,
            run_state_flow_max_literals=args.run_state_flow_max_literals,
            polish_fraction=args.polish_fraction,
            column_generation_min_literals=args.column_generation_min_literals,
            column_generation_root_fraction=args.column_generation_root_fraction,
        )
        evaluation = evaluate_nrp_roster(instance, solution.roster)
        check = (
            "ok"
            if evaluation.feasible and evaluation.penalty == solution.objective
            else (f"MISMATCH penalty={evaluation.penalty} violations={len(evaluation.violations)}")
        )
        best = best_known[name]
        gap = 100.0 * (evaluation.penalty - best) / best
        gaps.append(gap)
        hits += evaluation.penalty <= best
        print(
            f"{name:<11}{evaluation.penalty:>10}{best:>8}{gap:>8.1f}{solution.best_bound:>8}"
            f"{solution.wall_seconds:>9.1f}  {check}",
            flush=True,
        )
    if gaps:
        print("-" * len(header))
        print(
            f"best-known reached on {hits} of {len(gaps)}; mean gap {sum(gaps) / len(gaps):.1f} %; "
            f"max gap {max(gaps):.1f} %"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
