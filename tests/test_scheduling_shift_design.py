"""Minimum shift design .dzn reader, independent evaluator and CP-SAT model.

Instances are written in the test (MiniZinc data syntax, the benchmark's field names); nothing is
read from ../shared.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from planner.errors import InfeasibleError, InputError
from planner.scheduling.shift_design_instances import (
    evaluate_shift_design,
    parse_dzn,
    parse_shift_design_instance,
    read_shift_design_instance,
    solve_shift_design,
)

# 6-hour slots, one day: slots 00-06, 06-12, 12-18, 18-24. One shift type starting at slot 1,
# 1 or 2 slots long; another starting at slot 3, 2 slots long (runs past midnight into slot 0).
TINY = """\
% a comment
interval = 360;
days = 1;
demand = [1,2,2,1];
shiftTypes = 2;
minStart = [1, 3];
maxStart = [1, 3];
minLength = [1, 2];
maxLength = [2, 2];
minDuties = 0;
maxDuties = 10;
avgMinutes = 2400;
weightUnderCover = 1;
weightOverCover = 1;
weightDutiesPerWeek = 0;
weightShiftInstances = 100;
"""


def _with(text: str, **fields: str) -> str:
    lines = []
    for line in text.splitlines():
        name = line.split("=")[0].strip()
        lines.append(f"{name} = {fields[name]};" if name in fields else line)
    return "\n".join(lines) + "\n"


def test_parse_dzn_values() -> None:
    values = parse_dzn("a = 3; b = [1, 2,3];\nc = 4.8; % note\n d = [];")
    assert values == {"a": 3, "b": [1, 2, 3], "c": Fraction(48, 10), "d": []}


def test_reader_fields(tmp_path) -> None:
    path = tmp_path / "Tiny.dzn"
    path.write_text(_with(TINY, maxDuties="3.4"), encoding="utf-8")
    instance = read_shift_design_instance(path)
    assert instance.name == "Tiny"
    assert instance.interval_minutes == 360 and instance.slots_per_day == 4
    assert instance.demand == (1, 2, 2, 1)
    assert instance.max_duties_per_week == Fraction(17, 5)
    assert instance.shifts == ((1, 1), (1, 2), (3, 2))
    assert instance.weight_shift_instances == 100


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"avgMinutes": "x"}, "avgMinutes"),
        ({"demand": "[1,2,2]"}, "demand must have"),
        ({"interval": "7"}, "interval must divide"),
        ({"minStart": "[2, 3]"}, "minStart <= maxStart"),
        ({"minLength": "[0, 2]"}, "minLength"),
        ({"days": "1.5"}, "days must hold integers"),
        ({"maxStart": "[1]"}, "maxStart must have shiftTypes"),
        ({"weightOverCover": "-1"}, "weightOverCover must be >= 0"),
    ],
    ids=[
        "not-a-number",
        "demand-length",
        "interval",
        "start-range",
        "length",
        "int",
        "sizes",
        "neg",
    ],
)
def test_reader_errors(fields: dict[str, str], match: str) -> None:
    with pytest.raises(InputError, match=match):
        parse_shift_design_instance(_with(TINY, **fields))


def test_reader_missing_field_and_file(tmp_path) -> None:
    text = "\n".join(line for line in TINY.splitlines() if not line.startswith("avgMinutes"))
    with pytest.raises(InputError, match="missing field avgMinutes"):
        parse_shift_design_instance(text)
    with pytest.raises(InputError, match="cannot read"):
        read_shift_design_instance(tmp_path / "none.dzn")


def test_evaluator_by_hand() -> None:
    instance = parse_shift_design_instance(TINY)
    # 2 heads on (1,2) cover slots 1-2 exactly; 1 head on (3,2) covers slot 3 and, past
    # midnight, slot 0: exact cover, 2 shifts used -> 200.
    evaluation = evaluate_shift_design(instance, [[0], [2], [1]])
    assert (evaluation.under_minutes, evaluation.over_minutes) == (0, 0)
    assert evaluation.shifts_used == 2
    assert evaluation.duties == 3 and evaluation.worked_minutes == 3 * 720
    assert evaluation.objective == 200
    # 1 head on (1,1) only: slot 1 short by 1, slots 0, 2, 3 short by 1, 2, 1 -> 5 x 360 min
    evaluation = evaluate_shift_design(instance, [[1], [0], [0]])
    assert evaluation.under_minutes == 5 * 360
    assert evaluation.objective == 5 * 360 + 100


def test_evaluator_duties_penalty_rounds_up() -> None:
    # 3 duties of 720 min with avgMinutes 2400: 3 x 2400 / 2160 = 3.333 duties per week; range
    # [0, 3] -> distance 1/3, weight 10 -> ceil(3.33) = 4.
    instance = parse_shift_design_instance(_with(TINY, maxDuties="3", weightDutiesPerWeek="10"))
    evaluation = evaluate_shift_design(instance, [[0], [2], [1]])
    assert evaluation.duties_penalty == 4
    assert evaluation.objective == 200 + 4
    assert evaluation.feasible


def test_evaluator_hard_rules() -> None:
    instance = parse_shift_design_instance(_with(TINY, weightUnderCover="0", maxDuties="3"))
    evaluation = evaluate_shift_design(instance, [[1], [0], [0]])
    assert any("under-cover" in v for v in evaluation.violations)
    assert evaluation.duties_penalty == 0
    evaluation = evaluate_shift_design(instance, [[0], [2], [1]])
    assert any("average duties per week 3.333" in v for v in evaluation.violations)


def test_evaluator_shape_error() -> None:
    with pytest.raises(InputError, match="heads must have shape"):
        evaluate_shift_design(parse_shift_design_instance(TINY), [[1], [0]])


def _brute_force(instance, max_heads: int) -> int:
    best = None
    for counts in itertools.product(range(max_heads + 1), repeat=len(instance.shifts)):
        evaluation = evaluate_shift_design(instance, [[c] for c in counts])
        if evaluation.feasible and (best is None or evaluation.objective < best):
            best = evaluation.objective
    assert best is not None
    return best


@pytest.mark.slow
@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"weightShiftInstances": "400"},
        {"weightUnderCover": "0", "weightShiftInstances": "1000"},
        {"maxDuties": "3", "weightDutiesPerWeek": "90"},
        {"maxDuties": "3", "weightDutiesPerWeek": "0"},
        {"minDuties": "3.5", "weightDutiesPerWeek": "0", "demand": "[2,1,3,1]"},
    ],
    ids=["base", "costly-shifts", "hard-cover", "soft-duties", "hard-duties", "hard-min-duties"],
)
def test_model_equals_brute_force_of_evaluator(fields: dict[str, str]) -> None:
    instance = parse_shift_design_instance(_with(TINY, **fields))
    solution = solve_shift_design(instance, time_limit_seconds=10, random_seed=3)
    assert solution.status == "OPTIMAL"
    assert solution.best_bound == solution.objective
    evaluation = evaluate_shift_design(instance, solution.heads)
    assert evaluation.feasible
    assert evaluation.objective == solution.objective
    # heads above the peak demand only add over-cover, so 0..3 per shift covers every optimum
    assert solution.objective == _brute_force(instance, 3)


@pytest.mark.slow
def test_hand_computable_optimum() -> None:
    # Exact cover needs (1,2) x2 and (3,2) x1: 2 shifts = 200. Any design with one shift leaves
    # at least 2 slot-heads (720 min) uncovered or over, so 200 is optimal.
    solution = solve_shift_design(parse_shift_design_instance(TINY), time_limit_seconds=10)
    assert solution.objective == 200
    assert solution.heads == ((0,), (2,), (1,))


@pytest.mark.slow
def test_infeasible_hard_rules() -> None:
    # Full cover is hard, but the duties range forces an average of at most 1 duty per 2400
    # worked minutes, i.e. shifts of 40 h: impossible.
    instance = parse_shift_design_instance(
        _with(TINY, weightUnderCover="0", maxDuties="1", weightDutiesPerWeek="0")
    )
    with pytest.raises(InfeasibleError, match="no shift design meets the hard rules"):
        solve_shift_design(instance, time_limit_seconds=5)


def test_time_limit_error() -> None:
    with pytest.raises(InputError, match="time_limit_seconds"):
        solve_shift_design(parse_shift_design_instance(TINY), time_limit_seconds=0)
