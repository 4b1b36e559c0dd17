"""Column generation for the Curtois & Qu instances (planner.scheduling.nrp_columns).

Instances are written in the tests (see tests/test_scheduling_nrp.py); nothing is read from
../shared.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest

from planner.scheduling.nrp import (
    OFF,
    _construct_by_employees,
    _roster_from_values,
    evaluate_nrp_roster,
    parse_nrp_instance,
    solve_nrp,
)
from planner.scheduling.nrp_columns import (
    PRICE_SCALE,
    _RosterPricer,
    solve_by_column_generation,
)
from tests.test_scheduling_nrp import (
    TWO_EMPLOYEES,
    _brute_force_optimum,
    _random_instance,
    _row_ok,
)


def _legal_rows(instance, employee: int) -> list[tuple[int, ...]]:
    """Every roster of one employee of a one-week instance that breaks none of their rules."""
    shifts = range(len(instance.shifts))
    return [
        row
        for row in itertools.product((OFF, *shifts), repeat=instance.horizon_days)
        if _row_ok(instance, employee, row)
    ]


@pytest.mark.parametrize("seed", [0, 1, 2], ids=["seed0", "seed1", "seed2"])
@pytest.mark.parametrize("employee", [0, 1], ids=["A", "B"])
def test_pricing_finds_the_least_reduced_cost_of_brute_force(employee: int, seed: int) -> None:
    # Independent of the model: enumerate the employee's legal weeks by the checker and take the
    # least (request penalty - duals of the shifts worked); the pricer must find that value, and
    # its bound must lie below it by no more than the rounding allowance.
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    pricer = _RosterPricer(instance, employee)
    duals = np.random.default_rng(seed).uniform(-1, 100, size=(7, len(instance.shifts)))

    def reduced_cost(row) -> float:
        return pricer.cost(row) - sum(duals[d, s] for d, s in enumerate(row) if s != OFF)

    least = min(reduced_cost(row) for row in _legal_rows(instance, employee))
    rosters, lower = pricer.price(duals, seconds=10, seed=0)
    assert rosters and _row_ok(instance, employee, rosters[0])
    assert reduced_cost(rosters[0]) == pytest.approx(least, abs=7 / PRICE_SCALE)
    assert lower is not None
    assert least - 7 / PRICE_SCALE - 1e-9 <= lower <= least + 1e-9


def test_request_cost_of_a_column_matches_the_checker() -> None:
    # the checker's penalty of a roster with no cover lines is the request penalty alone
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    cover_start = TWO_EMPLOYEES.index("SECTION_COVER")
    no_cover = parse_nrp_instance(TWO_EMPLOYEES[:cover_start] + "SECTION_COVER\n")
    for employee in (0, 1):
        pricer = _RosterPricer(instance, employee)
        other = _RosterPricer(instance, 1 - employee).cost((OFF,) * 7)
        for row in _legal_rows(instance, employee)[:50]:
            rows = [row, (OFF,) * 7] if employee == 0 else [(OFF,) * 7, row]
            assert pricer.cost(row) + other == evaluate_nrp_roster(no_cover, rows).penalty


# a second cover line on (Monday, D) with other weights: each line keeps its own dual
REPEATED_LINE = TWO_EMPLOYEES.rstrip("\n") + "\n0,D,1,50,2\n"


@pytest.mark.slow
@pytest.mark.parametrize("text", [TWO_EMPLOYEES, REPEATED_LINE], ids=["one-line", "repeated-line"])
def test_root_bound_is_the_lp_value_and_below_the_brute_force_optimum(text: str) -> None:
    # At convergence the Lagrangian at the LP's duals equals the LP's value (a wrong dual sign
    # or a missing slack would break this), and no bound may exceed the true optimum.
    instance = parse_nrp_instance(text)
    start = _roster_from_values(_construct_by_employees(instance, time.perf_counter() + 20, 0))
    now = time.perf_counter()
    result = solve_by_column_generation(
        instance, start, root_deadline=now + 20, dive_deadline=now + 30
    )
    assert result.root_converged
    assert result.bound == math.ceil(result.root_value - 1e-6)
    assert result.bound <= _brute_force_optimum(instance)
    assert result.unfixed_employees == ()
    evaluation = evaluate_nrp_roster(instance, result.roster)
    assert evaluation.feasible
    assert evaluation.penalty >= result.bound


@pytest.mark.slow
def test_dive_gives_a_legal_roster_on_a_four_week_instance() -> None:
    instance = parse_nrp_instance(_random_instance(employees=24, seed=3))
    start = _roster_from_values(_construct_by_employees(instance, time.perf_counter() + 20, 0))
    start_penalty = evaluate_nrp_roster(instance, start).penalty
    now = time.perf_counter()
    result = solve_by_column_generation(
        instance, start, root_deadline=now + 20, dive_deadline=now + 40
    )
    evaluation = evaluate_nrp_roster(instance, result.roster)
    assert evaluation.feasible
    assert result.bound is not None and result.bound <= evaluation.penalty
    assert evaluation.penalty < start_penalty


@pytest.mark.slow
def test_solve_nrp_starts_large_models_from_column_generation() -> None:
    # 24 employees x 28 days x 3 shifts = 2,016 shift literals: above the default threshold
    instance = parse_nrp_instance(_random_instance(employees=24, seed=3))
    reports: list[str] = []
    solution = solve_nrp(
        instance,
        time_limit_seconds=10,
        progress=lambda description, done, total: reports.append(description),
    )
    assert any(r.endswith("after column generation") for r in reports), reports
    assert any(" column generation LP=" in r for r in reports), reports
    assert any(" dive LP=" in r for r in reports), reports
    evaluation = evaluate_nrp_roster(instance, solution.roster)
    assert evaluation.feasible and evaluation.penalty == solution.objective
    # the root may not finish in 5 s on a loaded machine: its bound is then any valid one
    assert 0 <= solution.best_bound <= solution.objective


def test_root_fraction_out_of_range() -> None:
    from planner.errors import InputError

    with pytest.raises(InputError, match="column_generation_root_fraction must be in"):
        solve_nrp(parse_nrp_instance(TWO_EMPLOYEES), column_generation_root_fraction=0)
