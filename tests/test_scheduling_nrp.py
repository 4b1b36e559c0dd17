"""Curtois & Qu instance reader, independent checker and CP-SAT model (planner.scheduling.nrp).

The instances here are written in the test, in the benchmark's text format; nothing is read from
../shared, so the tests pass without the benchmark data.
"""

from __future__ import annotations

import itertools
import random
import time

import pytest

from planner.errors import InfeasibleError, InputError
from planner.scheduling.nrp import (
    OFF,
    _construct_by_employees,
    _roster_from_values,
    _run_state_successors,
    _search_neighbourhoods,
    _solution_recorder,
    _solve_whole_model,
    add_max_run,
    add_min_run,
    evaluate_nrp_roster,
    parse_nrp_instance,
    read_nrp_instance,
    solve_nrp,
)

# One employee, one shift type, one week. Hand-computed optimum (see test_hand_computable_optimum).
ONE_EMPLOYEE = """\
# comment lines and blank lines are ignored
SECTION_HORIZON
# days
7

SECTION_SHIFTS
D,480,

SECTION_STAFF
A,D=7,2400,0,5,1,1,1

SECTION_DAYS_OFF

SECTION_SHIFT_ON_REQUESTS

SECTION_SHIFT_OFF_REQUESTS
A,3,D,2

SECTION_COVER
0,D,1,100,1
1,D,1,100,1
2,D,1,100,1
3,D,1,100,1
4,D,1,100,1
5,D,1,100,1
6,D,1,100,1
"""

# Two employees, two shift types (N may not be followed by D), richer rules: used for the reader,
# the checker and model-vs-checker agreement.
TWO_EMPLOYEES = """\
SECTION_HORIZON
7

SECTION_SHIFTS
# ShiftID, Length in mins, Shifts which cannot follow this shift | separated
D,480,
N,600,D

SECTION_STAFF
A,D=7|N=0,2400,960,3,2,2,1
B,D=4|N=7,2880,1080,4,2,1,1

SECTION_DAYS_OFF
A,0
B,6

SECTION_SHIFT_ON_REQUESTS
B,2,N,3
A,5,D,1

SECTION_SHIFT_OFF_REQUESTS
A,3,D,2
B,4,N,4

SECTION_COVER
0,D,1,100,1
1,D,1,100,1
2,D,1,100,1
3,D,2,100,1
4,D,1,100,1
5,D,1,50,2
6,D,0,100,1
0,N,0,30,1
1,N,1,30,1
2,N,1,30,1
3,N,1,30,1
4,N,0,30,1
5,N,0,30,1
6,N,1,30,1
"""


def test_reader_fields() -> None:
    instance = parse_nrp_instance(TWO_EMPLOYEES, name="two")
    assert instance.name == "two"
    assert instance.horizon_days == 7
    assert instance.shift_ids == ("D", "N")
    assert instance.shifts[1].length_minutes == 600
    assert instance.shifts[1].forbidden_next == ("D",)
    assert instance.shifts[0].forbidden_next == ()
    b = instance.employees[1]
    assert b.employee_id == "B"
    assert b.max_shifts == {"D": 4, "N": 7}
    assert (b.max_total_minutes, b.min_total_minutes) == (2880, 1080)
    assert (b.max_consecutive_shifts, b.min_consecutive_shifts) == (4, 2)
    assert (b.min_consecutive_days_off, b.max_weekends) == (1, 1)
    assert instance.days_off == {"A": (0,), "B": (6,)}
    assert [(r.employee_id, r.day, r.shift_id, r.weight) for r in instance.shift_on_requests] == [
        ("B", 2, "N", 3),
        ("A", 5, "D", 1),
    ]
    assert len(instance.shift_off_requests) == 2
    assert len(instance.cover) == 14
    assert instance.cover[5].weight_under == 50 and instance.cover[5].weight_over == 2
    assert instance.weekends == ((5, 6),)


def test_weekends_of_a_four_week_horizon() -> None:
    text = ONE_EMPLOYEE.replace("\n7\n", "\n28\n", 1)
    assert parse_nrp_instance(text).weekends == ((5, 6), (12, 13), (19, 20), (26, 27))


def test_read_from_file(tmp_path) -> None:
    path = tmp_path / "Tiny3.txt"
    path.write_text(TWO_EMPLOYEES, encoding="utf-8")
    assert read_nrp_instance(path).name == "Tiny3"


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("D,480,\nN,600,D", "D,480,\nN,x,D", "length_minutes"),
        ("B,2,N,3", "B,2,X,3", "shift_id"),
        ("B,2,N,3", "Z,2,N,3", "employee_id"),
        ("B,2,N,3", "B,9,N,3", "day must be < horizon_days"),
        ("B,2,N,3", "B,2,N", "SECTION_SHIFT_ON_REQUESTS needs 4"),
        ("B,2,N,3", "B,2,N,-3", "weight must be >= 0"),
        ("N,600,D", "N,600,Q", "unknown successor"),
        ("A,D=7|N=0,2400", "A,D=7|N=z,2400", r"max_shifts\[N\]"),
        ("SECTION_COVER", "SECTION_COVERS", "unknown section"),
        ("SECTION_HORIZON\n7", "SECTION_HORIZON\nseven", "horizon_days"),
    ],
    ids=[
        "length",
        "unknown-shift",
        "unknown-employee",
        "day-beyond-horizon",
        "short-line",
        "negative-weight",
        "unknown-successor",
        "max-shifts",
        "unknown-section",
        "horizon",
    ],
)
def test_reader_errors(old: str, new: str, match: str) -> None:
    assert old in TWO_EMPLOYEES
    with pytest.raises(InputError, match=match):
        parse_nrp_instance(TWO_EMPLOYEES.replace(old, new, 1))


def test_reader_missing_section_and_stray_data() -> None:
    with pytest.raises(InputError, match="SECTION_STAFF"):
        parse_nrp_instance("SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480,\n")
    with pytest.raises(InputError, match="before the first SECTION_ header"):
        parse_nrp_instance("7\n" + TWO_EMPLOYEES)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_nrp_instance(tmp_path / "nope.txt")


def test_checker_penalty_by_hand() -> None:
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    d, n = 0, 1
    # A: off, D, D, D, off, off, off  (3 shifts = 1440 min; day 3 D breaks the off request, 2)
    # B: off, N, N, N, off, off, off  (3 N = 1800 min)
    roster = [
        [OFF, d, d, d, OFF, OFF, OFF],
        [OFF, n, n, n, OFF, OFF, OFF],
    ]
    evaluation = evaluate_nrp_roster(instance, roster)
    assert evaluation.feasible, evaluation.violations
    # shift-on: B day 2 N worked (0); A day 5 D not worked (1)  -> 1
    assert evaluation.shift_on_penalty == 1
    # shift-off: A day 3 D worked (2); B day 4 N not worked (0) -> 2
    assert evaluation.shift_off_penalty == 2
    # D cover: day0 0/1 (100), day3 1/2 (100), day4 0/1 (100), day5 0/1 (50); days 1,2 met;
    # day 6 requirement 0 met  -> 350
    # N cover: day6 0/1 (30); days 1-3 met; no over  -> 30
    assert evaluation.cover_under_penalty == 380
    assert evaluation.cover_over_penalty == 0
    assert evaluation.penalty == 1 + 2 + 380


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        (
            [[OFF, 0, 0, 0, 0, OFF, OFF], [OFF, 1, 1, 1, OFF, OFF, OFF]],
            "4 consecutive shifts, max 3",
        ),
        (
            [[OFF, 0, OFF, OFF, 0, 0, OFF], [OFF, 1, 1, 1, OFF, OFF, OFF]],
            "1 consecutive shifts, min 2",
        ),
        (
            [[OFF, 0, 0, OFF, 0, 0, OFF], [OFF, 1, 1, 1, OFF, OFF, OFF]],
            "1 consecutive days off, min 2",
        ),
        ([[0, 0, 0, OFF, OFF, OFF, OFF], [OFF, 1, 1, 1, OFF, OFF, OFF]], "works on a day off"),
        ([[OFF, 0, 0, 0, OFF, OFF, OFF], [OFF, 1, 0, 0, OFF, OFF, OFF]], "N followed by D"),
        ([[OFF, OFF, OFF, OFF, OFF, OFF, 0], [OFF, 1, 1, 1, OFF, OFF, OFF]], "960, 2400"),
        ([[OFF, 1, 1, OFF, OFF, OFF, OFF], [OFF, 1, 1, 1, OFF, OFF, OFF]], "2 shifts N, max 0"),
        (
            [[OFF, OFF, OFF, OFF, 0, 0, 0], [OFF, 1, 1, 1, OFF, 1, OFF]],
            "1 consecutive shifts, min 2",
        ),
    ],
    ids=["max-run", "min-run", "min-off", "day-off", "succession", "minutes", "max-type", "edge"],
)
def test_checker_violations(roster: list[list[int]], message: str) -> None:
    evaluation = evaluate_nrp_roster(parse_nrp_instance(TWO_EMPLOYEES), roster)
    assert not evaluation.feasible
    assert any(message in v for v in evaluation.violations), evaluation.violations


def test_checker_leaves_edge_blocks_free_and_counts_weekends() -> None:
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    # A's single worked day at the end of the horizon and B's single day off at the start touch
    # the edges, so the min-run rules do not apply; B works one weekend (max 1).
    roster = [[OFF, 0, 0, 0, OFF, OFF, 0], [OFF, 1, 1, 1, 1, 1, OFF]]
    evaluation = evaluate_nrp_roster(instance, roster)
    assert not any("consecutive" in v and "min" in v for v in evaluation.violations)
    text = TWO_EMPLOYEES.replace("B,D=4|N=7,2880,1080,4,2,1,1", "B,D=4|N=7,2880,1080,4,2,1,0")
    evaluation = evaluate_nrp_roster(parse_nrp_instance(text), roster)
    assert any("1 weekends worked, max 0" in v for v in evaluation.violations)


def test_checker_shape_error() -> None:
    with pytest.raises(InputError, match="roster must have shape"):
        evaluate_nrp_roster(parse_nrp_instance(TWO_EMPLOYEES), [[OFF] * 7])


@pytest.mark.slow
def test_hand_computable_optimum() -> None:
    # A may work at most 5 days (2400 min / 480) and 5 in a row; cover asks 1 head every day, so
    # at least 2 days are short (2 x 100). Working day 3 costs the off request (2), but 5 days out
    # of {0,1,2,4,5,6} with at most 5 in a row and no isolated day off inside (min off 1 is free)
    # exist (0,1,2,4,5), so the optimum is 200.
    instance = parse_nrp_instance(ONE_EMPLOYEE)
    solution = solve_nrp(instance, time_limit_seconds=10, random_seed=1)
    assert solution.objective == 200
    assert solution.best_bound == 200
    assert solution.status == "OPTIMAL"
    evaluation = evaluate_nrp_roster(instance, solution.roster)
    assert evaluation.feasible and evaluation.penalty == 200
    assert solution.roster[0][3] == OFF


@pytest.mark.slow
def test_model_optimum_equals_brute_force_of_checker() -> None:
    # Independent of the model: enumerate every roster of the two-employee week (3^14), keep the
    # feasible ones by the checker, take the least penalty; the model must prove the same value.
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    best = _brute_force_optimum(instance)
    solution = solve_nrp(instance, time_limit_seconds=20)
    assert solution.status == "OPTIMAL"
    assert solution.objective == best
    evaluation = evaluate_nrp_roster(instance, solution.roster)
    assert evaluation.feasible
    assert evaluation.penalty == solution.objective


def _brute_force_optimum(instance) -> int:
    """Least penalty over every feasible roster of a two-employee week (3^14 rosters)."""
    best = None
    rows = {
        e: [row for row in itertools.product((OFF, 0, 1), repeat=7) if _row_ok(instance, e, row)]
        for e in (0, 1)
    }
    for row_a in rows[0]:
        for row_b in rows[1]:
            evaluation = evaluate_nrp_roster(instance, [row_a, row_b])
            if evaluation.feasible and (best is None or evaluation.penalty < best):
                best = evaluation.penalty
    assert best is not None
    return best


@pytest.mark.slow
def test_construction_then_neighbourhood_search_reach_the_optimum_of_two_employees() -> None:
    # With two employees the "employees" neighbourhood of size 2 frees the whole roster, so the
    # search must end at the brute-force optimum, and stop there well before its deadline. It
    # starts from a legal but poor roster: one built against the opposite cover (the hard rules
    # do not depend on cover).
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    cover_start = TWO_EMPLOYEES.index("SECTION_COVER")
    opposite = TWO_EMPLOYEES[:cover_start] + TWO_EMPLOYEES[cover_start:].replace(
        ",1,100,1", ",0,100,100"
    ).replace(",1,30,1", ",0,30,100")
    started = time.perf_counter()
    deadline = started + 20
    values = _construct_by_employees(parse_nrp_instance(opposite), deadline, seed=0)
    start = evaluate_nrp_roster(instance, _roster_from_values(values))
    assert start.feasible
    assert start.penalty > _brute_force_optimum(instance)
    values, objective, bound = _search_neighbourhoods(
        instance, values, start.penalty, 0, deadline, random.Random(0), threads=2, cap_seconds=2.0
    )
    evaluation = evaluate_nrp_roster(instance, _roster_from_values(values))
    assert evaluation.feasible and evaluation.penalty == objective <= start.penalty
    assert objective == bound == _brute_force_optimum(instance)
    assert time.perf_counter() < deadline - 5


def _row_ok(instance, e: int, row) -> bool:
    """True when one employee's row breaks none of that employee's own hard rules."""
    other = (OFF,) * 7
    roster = [row, other] if e == 0 else [other, row]
    name = instance.employees[e].employee_id
    return not any(v.startswith(name) for v in evaluate_nrp_roster(instance, roster).violations)


def _all_solutions(model, literals) -> set[tuple[int, ...]]:
    """Every assignment of ``literals`` that CP-SAT finds feasible in ``model``."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.enumerate_all_solutions = True
    solver.parameters.num_workers = 1
    found: set[tuple[int, ...]] = set()

    class Collect(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            found.add(tuple(self.value(x) for x in literals))

    solver.solve(model, Collect())
    return found


def _legal_patterns(
    n_days: int, max_work: int, min_work: int, min_off: int
) -> set[tuple[int, ...]]:
    """Work (1) / off (0) patterns whose runs obey the rules; runs touching an end are exempt
    from the minimums, never from the maximum (the benchmark's definition)."""
    legal = set()
    for bits in itertools.product((0, 1), repeat=n_days):
        ok = True
        start = 0
        for d in range(1, n_days + 1):
            if d == n_days or bits[d] != bits[start]:
                length, inside = d - start, start > 0 and d < n_days
                if bits[start] and length > max_work:
                    ok = False
                if inside and length < (min_work if bits[start] else min_off):
                    ok = False
                start = d
        if ok:
            legal.add(bits)
    return legal


@pytest.mark.parametrize("min_run", [1, 2, 3], ids=["min1", "min2", "min3"])
@pytest.mark.parametrize("max_run", [2, 4], ids=["max2", "max4"])
def test_sequence_builders_match_brute_force(min_run: int, max_run: int) -> None:
    from ortools.sat.python import cp_model

    n = 7
    model = cp_model.CpModel()
    literals = [model.new_bool_var(f"x{d}") for d in range(n)]
    add_max_run(model, literals, max_run)
    add_min_run(model, literals, min_run)
    # no rule on runs of off days: a minimum of one always holds
    assert _all_solutions(model, literals) == _legal_patterns(n, max_run, min_run, 1)


@pytest.mark.parametrize(
    "roster",
    [
        [[OFF, 0, 0, 0, OFF, OFF, OFF], [OFF, 1, 1, 1, OFF, OFF, OFF]],
        [[OFF, 0, 0, OFF, OFF, 0, 0], [1, 1, OFF, OFF, 1, 1, OFF]],
    ],
    ids=["roster-a", "roster-b"],
)
@pytest.mark.parametrize("run_state_flow", [False, True], ids=["clauses", "with-flow"])
def test_complete_hint_reproduces_checker_penalty(
    roster: list[list[int]], run_state_flow: bool
) -> None:
    # The hint of a legal roster must cover every variable of the model (flow states and arcs
    # too), fixing the model to it must be feasible, and the model's objective there must equal
    # the checker's penalty of that roster.
    from ortools.sat.python import cp_model

    from planner.scheduling.nrp import build_nrp_model

    instance = parse_nrp_instance(TWO_EMPLOYEES)
    evaluation = evaluate_nrp_roster(instance, roster)
    assert evaluation.feasible, evaluation.violations
    nrp = build_nrp_model(instance, run_state_flow=run_state_flow)
    values = [[[int(cell == s) for s in range(2)] for cell in row] for row in roster]
    nrp.add_complete_hint(instance, values)
    proto = nrp.model.proto
    assert sorted(proto.solution_hint.vars) == list(range(len(proto.variables)))
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5
    status = solver.solve(nrp.model)
    assert status == cp_model.OPTIMAL
    assert solver.objective_value == evaluation.penalty


@pytest.mark.slow
def test_employee_whose_own_rules_admit_no_roster_is_named() -> None:
    # B must work at least 3,000 minutes but may work at most 2,880: no roster exists for B alone
    text = TWO_EMPLOYEES.replace("B,D=4|N=7,2880,1080,4,2,1,1", "B,D=4|N=7,2880,3000,4,2,1,1")
    with pytest.raises(InfeasibleError, match=r"employee B: no roster meets their own hard rules"):
        solve_nrp(parse_nrp_instance(text), time_limit_seconds=5)


@pytest.mark.slow
def test_mostly_neighbourhood_search_gives_a_legal_roster() -> None:
    # polish_fraction close to 1 leaves the whole model half a second: the roster must still
    # meet every hard rule and the bound may not exceed the objective
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    solution = solve_nrp(instance, time_limit_seconds=2, polish_fraction=0.75)
    evaluation = evaluate_nrp_roster(instance, solution.roster)
    assert evaluation.feasible
    assert evaluation.penalty == solution.objective
    assert solution.best_bound <= solution.objective


def test_construction_fraction_out_of_range() -> None:
    with pytest.raises(InputError, match="polish_fraction must be in"):
        solve_nrp(parse_nrp_instance(ONE_EMPLOYEE), polish_fraction=1.5)


def test_neighbourhood_seconds_out_of_range() -> None:
    with pytest.raises(InputError, match="neighbourhood_seconds must be > 0, got 0"):
        solve_nrp(parse_nrp_instance(ONE_EMPLOYEE), neighbourhood_seconds=0)


def test_stall_limit_out_of_range() -> None:
    with pytest.raises(InputError, match="stall_limit must be >= 1, got 0"):
        solve_nrp(parse_nrp_instance(ONE_EMPLOYEE), stall_limit=0)


@pytest.mark.parametrize(
    ("max_work", "min_work", "min_off"),
    [(5, 2, 2), (6, 2, 3), (4, 1, 1), (3, 3, 2), (5, 1, 2)],
    ids=["5-2-2", "6-2-3", "4-1-1", "3-3-2", "5-1-2"],
)
def test_run_state_flow_admits_exactly_the_legal_patterns(
    max_work: int, min_work: int, min_off: int
) -> None:
    # the flow alone (no clauses) must allow every legal work/off pattern and nothing else
    from ortools.sat.python import cp_model

    from planner.scheduling.nrp import NrpModel, add_run_state_flow

    n_days = 8
    text = (
        f"SECTION_HORIZON\n{n_days}\nSECTION_SHIFTS\nD,480,\nSECTION_STAFF\n"
        f"A,D={n_days},9999,0,{max_work},{min_work},{min_off},9\n"
    )
    instance = parse_nrp_instance(text)
    model = cp_model.CpModel()
    on_duty = [model.new_bool_var(f"on{d}") for d in range(n_days)]
    add_run_state_flow(model, NrpModel(model=model, works=[]), instance, [on_duty])
    assert _all_solutions(model, on_duty) == _legal_patterns(n_days, max_work, min_work, min_off)


def test_run_state_successors_never_exceed_the_maximum_run() -> None:
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    start, successors = _run_state_successors(instance.employees[0])  # max 3 shifts in a row
    seen, frontier = set(start), list(start)
    while frontier:
        for nxt in successors(frontier.pop()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert max(k for kind, k in seen if kind in ("first_work", "work")) == 3


@pytest.mark.slow
def test_model_with_run_state_flow_reaches_the_brute_force_optimum() -> None:
    from ortools.sat.python import cp_model

    from planner.scheduling.nrp import build_nrp_model

    instance = parse_nrp_instance(TWO_EMPLOYEES)
    nrp = build_nrp_model(instance, run_state_flow=True)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(nrp.model) == cp_model.OPTIMAL
    assert solver.objective_value == _brute_force_optimum(instance)


@pytest.mark.slow
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_stopping_the_whole_model_early_still_ends_at_the_optimum() -> None:
    # weak_bound_share=1 stops the CP-SAT solve at the check unless it has already proved
    # optimality; the neighbourhood search (two employees = the whole roster here) must still
    # reach the brute-force optimum, and the bound must stay below the objective
    instance = parse_nrp_instance(TWO_EMPLOYEES)
    solution = solve_nrp(
        instance, time_limit_seconds=5, weak_bound_check_fraction=0.001, weak_bound_share=1.0
    )
    assert solution.objective == _brute_force_optimum(instance)
    assert solution.best_bound <= solution.objective
    assert evaluate_nrp_roster(instance, solution.roster).penalty == solution.objective


def _random_instance(employees: int, seed: int) -> str:
    """A four-week, three-shift instance in the benchmark's text format with random cover."""
    rng = random.Random(seed)
    staff = "\n".join(f"E{e},D=28|L=28|N=8,9600,7200,5,2,2,2" for e in range(employees))
    cover = "\n".join(
        f"{d},{s},{rng.randint(1, employees // 3)},100,1" for d in range(28) for s in "DLN"
    )
    return (
        "SECTION_HORIZON\n28\n\nSECTION_SHIFTS\nD,480,\nL,480,D\nN,480,D|L\n\n"
        f"SECTION_STAFF\n{staff}\n\nSECTION_DAYS_OFF\n\nSECTION_SHIFT_ON_REQUESTS\n\n"
        f"SECTION_SHIFT_OFF_REQUESTS\n\nSECTION_COVER\n{cover}\n"
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_weak_bound_check_stops_the_whole_model_solve() -> None:
    # a bound below 100 % of the objective at the check (any unproved solve) must stop it there
    instance = parse_nrp_instance(_random_instance(employees=24, seed=3))
    started = time.perf_counter()
    run = _solve_whole_model(
        instance,
        None,
        30.0,
        num_workers=2,
        seed=0,
        subsolvers=("max_lp",),
        run_state_flow=False,
        log=False,
        recorder=_solution_recorder(instance.name, started, 30.0, None),
        weak_bound_check_seconds=1.0,
        weak_bound_share=1.0,
    )
    assert run.stopped_for_weak_bound and not run.optimal
    assert run.values is not None
    assert time.perf_counter() - started < 15


@pytest.mark.slow
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_stopped_re_solves_hand_back_to_the_neighbourhood_search() -> None:
    # weak_bound_share=1 stops every unproved whole-model solve at its check, and a stall limit
    # of 2 ends each search quickly: the engine must alternate search and re-solve until the
    # limit, and still return a legal roster judged by the checker
    instance = parse_nrp_instance(_random_instance(employees=24, seed=3))
    reports: list[str] = []
    solution = solve_nrp(
        instance,
        time_limit_seconds=8,
        column_generation_min_literals=10_000,  # the CP-SAT path, not column generation
        weak_bound_check_fraction=0.1,
        weak_bound_share=1.0,
        stall_limit=2,
        neighbourhood_seconds=0.5,
        progress=lambda description, done, total: reports.append(description),
    )
    searches = [r for r in reports if r.endswith("after neighbourhood search")]
    assert len(searches) >= 2, reports
    evaluation = evaluate_nrp_roster(instance, solution.roster)
    assert evaluation.feasible and evaluation.penalty == solution.objective
    assert solution.best_bound <= solution.objective
    assert solution.wall_seconds < 12
