"""Minimum shift design instances of Musliu, Schaerf and Slany: .dzn reader, checker, CP-SAT model.

The instances (TU Wien, "Local search for shift design", EJOR 153, 2004; Di Gaspero et al., "The
minimum shift design problem", Annals of OR 155, 2007) come as MiniZinc data files with the fields
``interval`` (slot length, minutes), ``days``, ``demand`` (heads per slot over the cyclic week,
``days * 1440 / interval`` values), ``shiftTypes`` with ``minStart``/``maxStart`` (slot of the day)
and ``minLength``/``maxLength`` (slots), ``minDuties``/``maxDuties`` (allowed range of the average
number of duties per employee and week), ``avgMinutes`` (average weekly working minutes of an
employee), and four weights.

A *shift* is a (start slot, length) pair allowed by some shift type; a design says how many
employees start each shift on each day. Shifts may run past midnight into the next day, and the
week is cyclic (the last day runs into the first). The objective, minimised, is

- ``weightUnderCover`` x shortage in person-minutes (a slot short of one head costs ``interval``),
- ``weightOverCover`` x excess in person-minutes,
- ``weightShiftInstances`` x the number of distinct shifts used on any day,
- ``weightDutiesPerWeek`` x how far the average number of duties per week lies outside
  ``[minDuties, maxDuties]``, where average duties = duties x ``avgMinutes`` / worked minutes
  (the number of employees is worked minutes / ``avgMinutes``); this term is rounded up to an
  integer so the objective stays integral.

A weight of 0 makes its rule hard rather than free: ``weightUnderCover = 0`` means the demand must
be covered in full, ``weightDutiesPerWeek = 0`` means the duties range must hold. (With a free rule
the toy instances, whose under-cover weight is 0, would be solved by an empty design; the toy3
instance exists to make the duties range bind with a weight of 0.)
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from planner.errors import InfeasibleError, InputError
from planner.progress import ProgressCallback, report

__all__ = [
    "DesignEvaluation",
    "ShiftDesignInstance",
    "ShiftDesignSolution",
    "build_shift_design_model",
    "evaluate_shift_design",
    "parse_dzn",
    "parse_shift_design_instance",
    "read_shift_design_instance",
    "solve_shift_design",
]

_FIELDS = {
    "interval": "int",
    "days": "int",
    "demand": "int_list",
    "shiftTypes": "int",
    "minStart": "int_list",
    "maxStart": "int_list",
    "minLength": "int_list",
    "maxLength": "int_list",
    "minDuties": "number",
    "maxDuties": "number",
    "avgMinutes": "int",
    "weightUnderCover": "int",
    "weightOverCover": "int",
    "weightDutiesPerWeek": "int",
    "weightShiftInstances": "int",
}


@dataclass(frozen=True)
class ShiftDesignInstance:
    """A parsed instance; field meanings as in the module docstring (units in the names)."""

    name: str
    interval_minutes: int
    days: int
    demand: tuple[int, ...]
    min_start_slot: tuple[int, ...]
    max_start_slot: tuple[int, ...]
    min_length_slots: tuple[int, ...]
    max_length_slots: tuple[int, ...]
    min_duties_per_week: Fraction
    max_duties_per_week: Fraction
    avg_minutes_per_week: int
    weight_under_cover: int
    weight_over_cover: int
    weight_duties_per_week: int
    weight_shift_instances: int

    @property
    def slots_per_day(self) -> int:
        """Slots in one day (1440 / interval)."""
        return 1440 // self.interval_minutes

    @property
    def shifts(self) -> tuple[tuple[int, int], ...]:
        """Distinct (start slot, length in slots) pairs allowed by any shift type, sorted."""
        pairs = {
            (start, length)
            for t in range(len(self.min_start_slot))
            for start in range(self.min_start_slot[t], self.max_start_slot[t] + 1)
            for length in range(self.min_length_slots[t], self.max_length_slots[t] + 1)
        }
        return tuple(sorted(pairs))


@dataclass(frozen=True)
class DesignEvaluation:
    """Objective of a design by component, computed from the instance alone."""

    objective: int
    under_minutes: int
    over_minutes: int
    shifts_used: int
    duties: int
    worked_minutes: int
    duties_penalty: int
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        """True when no hard rule (weight 0) is broken."""
        return not self.violations


@dataclass(frozen=True)
class ShiftDesignSolution:
    """Result of :func:`solve_shift_design`.

    ``heads[i][d]`` is the number of employees starting ``instance.shifts[i]`` on day ``d``,
    shape (shifts, days). ``objective`` is the cost of that design (as
    :func:`evaluate_shift_design` computes it) and ``best_bound`` the proven lower bound, both in
    objective units (see module).
    """

    heads: tuple[tuple[int, ...], ...]
    objective: int
    best_bound: int
    status: str
    wall_seconds: float


def parse_dzn(text: str, source: str = "<text>") -> dict[str, Fraction | list[Fraction]]:
    """Parse the ``name = value;`` assignments of a MiniZinc data file (ints, numbers, lists)."""
    text = re.sub(r"%[^\n]*", "", text)
    values: dict[str, Fraction | list[Fraction]] = {}
    for statement in text.split(";"):
        statement = statement.strip()
        if not statement:
            continue
        name, eq, value = statement.partition("=")
        if not eq:
            raise InputError(f"{source}: expected 'name = value;', got {statement[:40]!r}")
        name, value = name.strip(), value.strip()
        try:
            if value.startswith("["):
                if not value.endswith("]"):
                    raise ValueError
                inner = value[1:-1].strip()
                values[name] = [Fraction(v.strip()) for v in inner.split(",")] if inner else []
            else:
                values[name] = Fraction(value)
        except ValueError:
            raise InputError(
                f"{source}: {name} must be a number or a list of numbers, got {value[:40]!r}"
            ) from None
    return values


def read_shift_design_instance(path: str | Path) -> ShiftDesignInstance:
    """Read a ``.dzn`` shift design instance (see module docstring for the fields).

    Raises
    ------
    InputError
        When the file is missing, a field is missing or malformed, or the sizes disagree.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the instance file ({exc.strerror})") from exc
    return parse_shift_design_instance(text, name=path.stem, source=str(path))


def parse_shift_design_instance(
    text: str, name: str = "instance", source: str = "<text>"
) -> ShiftDesignInstance:
    """Parse the text of a ``.dzn`` instance (see :func:`read_shift_design_instance`)."""
    raw = parse_dzn(text, source)
    for field_name, kind in _FIELDS.items():
        if field_name not in raw:
            raise InputError(f"{source}: missing field {field_name}")
        value = raw[field_name]
        if (kind == "int_list") != isinstance(value, list):
            raise InputError(
                f"{source}: {field_name} must be {kind.replace('_', ' ')}, got {value}"
            )
        items = value if isinstance(value, list) else [value]
        if kind != "number" and any(v.denominator != 1 for v in items):
            raise InputError(f"{source}: {field_name} must hold integers, got {value}")
        if any(v < 0 for v in items):
            raise InputError(f"{source}: {field_name} must be >= 0, got {value}")

    lists = {k: v for k, v in raw.items() if isinstance(v, list)}
    scalars = {k: v for k, v in raw.items() if isinstance(v, Fraction)}

    def ints(field_name: str) -> tuple[int, ...]:
        return tuple(int(v) for v in lists[field_name])

    interval = int(scalars["interval"])
    if interval <= 0 or 1440 % interval:
        raise InputError(f"{source}: interval must divide 1440 minutes, got {interval}")
    days = int(scalars["days"])
    demand = ints("demand")
    slots = 1440 // interval
    if len(demand) != days * slots:
        raise InputError(
            f"{source}: demand must have days * 1440 / interval = {days * slots} values, "
            f"got {len(demand)}"
        )
    n_types = int(scalars["shiftTypes"])
    for field_name in ("minStart", "maxStart", "minLength", "maxLength"):
        if len(lists[field_name]) != n_types:
            raise InputError(
                f"{source}: {field_name} must have shiftTypes = {n_types} values, "
                f"got {len(lists[field_name])}"
            )
    min_start, max_start = ints("minStart"), ints("maxStart")
    min_length, max_length = ints("minLength"), ints("maxLength")
    for t in range(n_types):
        if not min_start[t] <= max_start[t] < slots:
            raise InputError(
                f"{source}: shift type {t + 1}: need minStart <= maxStart < {slots}, "
                f"got {min_start[t]}..{max_start[t]}"
            )
        if not 1 <= min_length[t] <= max_length[t]:
            raise InputError(
                f"{source}: shift type {t + 1}: need 1 <= minLength <= maxLength, "
                f"got {min_length[t]}..{max_length[t]}"
            )
    return ShiftDesignInstance(
        name=name,
        interval_minutes=interval,
        days=days,
        demand=demand,
        min_start_slot=min_start,
        max_start_slot=max_start,
        min_length_slots=min_length,
        max_length_slots=max_length,
        min_duties_per_week=scalars["minDuties"],
        max_duties_per_week=scalars["maxDuties"],
        avg_minutes_per_week=int(scalars["avgMinutes"]),
        weight_under_cover=int(scalars["weightUnderCover"]),
        weight_over_cover=int(scalars["weightOverCover"]),
        weight_duties_per_week=int(scalars["weightDutiesPerWeek"]),
        weight_shift_instances=int(scalars["weightShiftInstances"]),
    )


def _covered_slots(instance: ShiftDesignInstance, shift: tuple[int, int], day: int) -> list[int]:
    """Week slots (cyclic) worked by one employee on ``shift`` starting on ``day``."""
    week = instance.days * instance.slots_per_day
    start = day * instance.slots_per_day + shift[0]
    return [(start + k) % week for k in range(shift[1])]


def _duties_penalty(instance: ShiftDesignInstance, duties: int, worked_minutes: int) -> int:
    """weight x distance of duties x avgMinutes / worked minutes from the range, rounded up."""
    if worked_minutes == 0:
        return 0
    average = Fraction(duties * instance.avg_minutes_per_week, worked_minutes)
    distance = max(
        Fraction(0),
        average - instance.max_duties_per_week,
        instance.min_duties_per_week - average,
    )
    return math.ceil(instance.weight_duties_per_week * distance)


def evaluate_shift_design(
    instance: ShiftDesignInstance, heads: tuple[tuple[int, ...], ...] | list[list[int]]
) -> DesignEvaluation:
    """Objective of a design computed directly from the instance (independent of the model).

    Parameters
    ----------
    instance : ShiftDesignInstance
    heads : sequence of sequences of int, shape (len(instance.shifts), days)
        Employees starting each shift on each day.
    """
    shifts = instance.shifts
    if len(heads) != len(shifts) or any(len(row) != instance.days for row in heads):
        raise InputError(
            f"heads must have shape ({len(shifts)}, {instance.days}) (shifts, days), "
            f"got {len(heads)} rows"
        )
    cover = [0] * len(instance.demand)
    duties = worked = used = 0
    for i, shift in enumerate(shifts):
        if any(heads[i]):
            used += 1
        for day in range(instance.days):
            count = int(heads[i][day])
            if count < 0:
                raise InputError(f"heads[{i}][{day}] must be >= 0, got {count}")
            duties += count
            worked += count * shift[1] * instance.interval_minutes
            for slot in _covered_slots(instance, shift, day):
                cover[slot] += count
    under = sum(max(0, d - c) for d, c in zip(instance.demand, cover, strict=True))
    over = sum(max(0, c - d) for d, c in zip(instance.demand, cover, strict=True))
    duties_penalty = _duties_penalty(instance, duties, worked)
    violations = []
    if instance.weight_under_cover == 0 and under:
        violations.append(f"under-cover of {under} slot-heads where cover is hard")
    if instance.weight_duties_per_week == 0 and worked:
        average = Fraction(duties * instance.avg_minutes_per_week, worked)
        if not instance.min_duties_per_week <= average <= instance.max_duties_per_week:
            violations.append(
                f"average duties per week {float(average):.3f} outside "
                f"[{float(instance.min_duties_per_week)}, {float(instance.max_duties_per_week)}]"
            )
    minutes = instance.interval_minutes
    objective = (
        instance.weight_under_cover * under * minutes
        + instance.weight_over_cover * over * minutes
        + instance.weight_shift_instances * used
        + duties_penalty
    )
    return DesignEvaluation(
        objective=objective,
        under_minutes=under * minutes,
        over_minutes=over * minutes,
        shifts_used=used,
        duties=duties,
        worked_minutes=worked,
        duties_penalty=duties_penalty,
        violations=tuple(violations),
    )


# --------------------------------------------------------------------------------------------
# CP-SAT model: one builder per rule family, each returning its objective terms
# --------------------------------------------------------------------------------------------


def add_cover_terms(model, instance: ShiftDesignInstance, heads) -> list[tuple[Any, int]]:
    """Heads per week slot against demand: under-cover (hard when its weight is 0) and over."""
    cover: list[list[Any]] = [[] for _ in instance.demand]
    for i, shift in enumerate(instance.shifts):
        for day in range(instance.days):
            for slot in _covered_slots(instance, shift, day):
                cover[slot].append(heads[i][day])
    minutes = instance.interval_minutes
    peak = max(instance.demand, default=0)
    terms: list[tuple[Any, int]] = []
    for slot, demand in enumerate(instance.demand):
        staffed = sum(cover[slot])
        over = model.new_int_var(0, 2 * peak + 1, f"over[{slot}]")
        if instance.weight_under_cover == 0:
            model.add(staffed - over == demand)
        else:
            under = model.new_int_var(0, demand, f"under[{slot}]")
            model.add(staffed + under - over == demand)
            terms.append((under, instance.weight_under_cover * minutes))
        if instance.weight_over_cover:
            terms.append((over, instance.weight_over_cover * minutes))
    return terms


def add_shift_count_terms(model, instance: ShiftDesignInstance, heads) -> list[tuple[Any, int]]:
    """One Boolean per shift, true when the shift is used on any day; each costs its weight."""
    terms: list[tuple[Any, int]] = []
    for i, shift in enumerate(instance.shifts):
        used = model.new_bool_var(f"shift_used[start={shift[0]},length={shift[1]}]")
        for day in range(instance.days):
            upper = list(heads[i][day].proto.domain)[-1]
            model.add(heads[i][day] <= upper * used)
        model.add(sum(heads[i]) >= 1).only_enforce_if(used)
        if instance.weight_shift_instances:
            terms.append((used, instance.weight_shift_instances))
    return terms


def add_duties_terms(model, instance: ShiftDesignInstance, heads) -> list[tuple[Any, int]]:
    """Average duties per week within [minDuties, maxDuties]: hard (weight 0) or a cost.

    With ``D`` duties, ``W`` worked minutes and ``A = avgMinutes`` the average is ``D * A / W``.
    Hard: ``minDuties * W <= D * A <= maxDuties * W`` (linear). Soft: an integer ``penalty`` with
    ``penalty * W >= weight * (D * A - maxDuties * W)`` and the same for the lower end, through
    one product variable; ``penalty`` is then the rounded-up weighted distance.
    """
    shifts = instance.shifts
    duties = sum(heads[i][d] for i in range(len(shifts)) for d in range(instance.days))
    worked = sum(
        shifts[i][1] * instance.interval_minutes * heads[i][d]
        for i in range(len(shifts))
        for d in range(instance.days)
    )
    low, high = instance.min_duties_per_week, instance.max_duties_per_week
    scale = math.lcm(low.denominator, high.denominator)
    a = instance.avg_minutes_per_week
    if instance.weight_duties_per_week == 0:
        model.add(int(low * scale) * worked <= scale * a * duties)
        model.add(scale * a * duties <= int(high * scale) * worked)
        return []
    weight = instance.weight_duties_per_week
    peak = max(instance.demand, default=0) + 1
    max_worked = peak * len(instance.demand) * instance.interval_minutes * 2
    max_penalty = weight * max(int(high) + 1, a // max(1, instance.interval_minutes)) + weight
    worked_var = model.new_int_var(0, max_worked, "worked_minutes")
    model.add(worked_var == worked)
    penalty = model.new_int_var(0, max_penalty, "duties_penalty")
    product = model.new_int_var(0, max_penalty * max_worked, "duties_penalty_x_worked")
    model.add_multiplication_equality(product, [penalty, worked_var])
    model.add(scale * product >= weight * (scale * a * duties - int(high * scale) * worked_var))
    model.add(scale * product >= weight * (int(low * scale) * worked_var - scale * a * duties))
    return [(penalty, 1)]


def build_shift_design_model(instance: ShiftDesignInstance):
    """Build the CP-SAT model; returns ``(model, heads)`` with ``heads[i][d]`` integer variables.

    ``heads`` has shape (len(instance.shifts), days); the objective is set on the model.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    peak = max(instance.demand, default=0)
    # More heads on a shift than the highest demand it covers only adds over-cover, so an
    # optimal design never has them: this bound is valid and tightens the LP of the big-M links.
    heads = [
        [
            model.new_int_var(
                0,
                max(instance.demand[s] for s in _covered_slots(instance, shift, day)),
                f"heads[start={shift[0]},length={shift[1]},day={day}]",
            )
            for day in range(instance.days)
        ]
        for shift in instance.shifts
    ]
    del peak
    terms: list[tuple[Any, int]] = []
    terms += add_cover_terms(model, instance, heads)
    terms += add_shift_count_terms(model, instance, heads)
    terms += add_duties_terms(model, instance, heads)
    model.minimize(sum(weight * expr for expr, weight in terms))
    return model, heads


def solve_shift_design(
    instance: ShiftDesignInstance,
    *,
    time_limit_seconds: float = 60.0,
    num_workers: int = 2,
    random_seed: int = 0,
    progress: ProgressCallback | None = None,
    log_search_progress: bool = False,
) -> ShiftDesignSolution:
    """Solve a shift design instance with CP-SAT; best design found and proven lower bound.

    Parameters
    ----------
    instance : ShiftDesignInstance
    time_limit_seconds : float
        Wall-clock limit (seconds).
    num_workers : int
        CP-SAT worker threads.
    random_seed : int
        CP-SAT seed.
    progress : ProgressCallback, optional
        Called once at the end with the objective and bound.
    log_search_progress : bool
        Let CP-SAT log its search to stdout (adapters and benchmarks only).

    Raises
    ------
    InputError
        When ``time_limit_seconds`` is not positive.
    InfeasibleError
        When the hard rules (weight-0 rules) admit no design, or none was found in time.
    """
    from ortools.sat.python import cp_model

    if not time_limit_seconds > 0:
        raise InputError(f"time_limit_seconds must be > 0, got {time_limit_seconds}")
    started = time.perf_counter()
    model, heads = build_shift_design_model(instance)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.max_time_in_seconds = time_limit_seconds
    solver.parameters.random_seed = random_seed
    solver.parameters.log_search_progress = log_search_progress
    status = solver.solve(model)
    elapsed = time.perf_counter() - started
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InfeasibleError(
            f"instance {instance.name}: no shift design meets the hard rules "
            f"(CP-SAT status {solver.status_name(status)} after {elapsed:.1f} s)"
        )
    design = tuple(tuple(int(solver.value(v)) for v in row) for row in heads)
    # The model's value can exceed the design's true cost when a slot carries both an under and
    # an over slack (allowed, never optimal); report the cost of the design itself.
    objective = min(
        int(round(solver.objective_value)), evaluate_shift_design(instance, design).objective
    )
    bound = int(round(solver.best_objective_bound))
    report(progress, f"shift design {instance.name} objective={objective} bound={bound}", 1, 1)
    return ShiftDesignSolution(
        heads=design,
        objective=objective,
        best_bound=bound,
        status=solver.status_name(status),
        wall_seconds=elapsed,
    )
