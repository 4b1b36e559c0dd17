"""Curtois & Qu employee shift scheduling instances: reader, independent checker, CP-SAT model.

The benchmark set of Tim Curtois and Rong Qu (University of Nottingham, "Computational results on
new staff scheduling benchmark instances", 2014) describes each instance in a plain text file with
sections ``SECTION_HORIZON``, ``SECTION_SHIFTS``, ``SECTION_STAFF``, ``SECTION_DAYS_OFF``,
``SECTION_SHIFT_ON_REQUESTS``, ``SECTION_SHIFT_OFF_REQUESTS`` and ``SECTION_COVER``. Day 0 is a
Monday; a weekend is a (Saturday, Sunday) pair and counts as worked when either day is worked.

Hard rules (every one of them must hold):

- at most one shift per employee and day; no shift on a pre-assigned day off;
- a shift may not be followed on the next day by one of its forbidden successors;
- at most ``max_shifts[shift]`` shifts of each type per employee;
- total minutes worked in ``[min_total_minutes, max_total_minutes]``;
- at most ``max_consecutive_shifts`` worked days in a row;
- a block of worked days is at least ``min_consecutive_shifts`` long, and a block of days off at
  least ``min_consecutive_days_off`` long, except blocks that touch the start or the end of the
  horizon (the days outside the horizon are unknown, so such blocks are not checked);
- at most ``max_weekends`` worked weekends.

Penalty (the objective, minimised): for each shift-on request not met its weight, for each
shift-off request not met its weight, and for each (day, shift) cover line
``weight_under * max(0, requirement - assigned) + weight_over * max(0, assigned - requirement)``.

The CP-SAT model follows the house style of OR-Tools' ``shift_scheduling_sat.py``: one builder per
rule family, each returning its objective terms; sequence rules are written as forbidden-pattern
clauses over sliding windows, which propagate and linearise better than automata for the short
windows found in rostering. The generic sequence builders (:func:`add_max_run`,
:func:`add_min_run`) take plain lists of literals so the product roster engine can share them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.progress import ProgressCallback, report

__all__ = [
    "NrpCover",
    "NrpEmployee",
    "NrpEvaluation",
    "NrpInstance",
    "NrpModel",
    "NrpRequest",
    "NrpShift",
    "NrpSolution",
    "add_max_run",
    "add_min_run",
    "build_nrp_model",
    "evaluate_nrp_roster",
    "parse_nrp_instance",
    "read_nrp_instance",
    "solve_nrp",
]

OFF = -1
"""Value of a roster cell (employee, day) with no shift."""

_SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


@dataclass(frozen=True)
class NrpShift:
    """One shift type: id, length in minutes, ids of the shifts that may not follow it next day."""

    shift_id: str
    length_minutes: int
    forbidden_next: tuple[str, ...]


@dataclass(frozen=True)
class NrpEmployee:
    """One employee's contract (all hard limits over the whole horizon)."""

    employee_id: str
    max_shifts: dict[str, int]
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int


@dataclass(frozen=True)
class NrpRequest:
    """A shift-on or shift-off request: ``weight`` is paid when it is not met."""

    employee_id: str
    day: int
    shift_id: str
    weight: int


@dataclass(frozen=True)
class NrpCover:
    """Cover line: ``requirement`` heads on (day, shift), weights per head under and over."""

    day: int
    shift_id: str
    requirement: int
    weight_under: int
    weight_over: int


@dataclass(frozen=True)
class NrpInstance:
    """A parsed instance. ``days_off`` maps employee id to the day indexes they must have off."""

    name: str
    horizon_days: int
    shifts: tuple[NrpShift, ...]
    employees: tuple[NrpEmployee, ...]
    days_off: dict[str, tuple[int, ...]]
    shift_on_requests: tuple[NrpRequest, ...]
    shift_off_requests: tuple[NrpRequest, ...]
    cover: tuple[NrpCover, ...]

    @property
    def shift_ids(self) -> tuple[str, ...]:
        """Shift ids in file order; roster cells hold indexes into this tuple."""
        return tuple(s.shift_id for s in self.shifts)

    @property
    def weekends(self) -> tuple[tuple[int, int], ...]:
        """(Saturday, Sunday) day-index pairs fully inside the horizon (day 0 is a Monday)."""
        return tuple((d, d + 1) for d in range(5, self.horizon_days - 1, 7))


@dataclass(frozen=True)
class NrpEvaluation:
    """Penalty of a roster computed from the instance alone, and the hard rules it breaks."""

    penalty: int
    shift_on_penalty: int
    shift_off_penalty: int
    cover_under_penalty: int
    cover_over_penalty: int
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        """True when no hard rule is broken."""
        return not self.violations


@dataclass
class NrpModel:
    """A built CP-SAT model: ``works[e][d][s]`` Boolean per employee, day, shift index."""

    model: Any
    works: list[list[list[Any]]]
    on_duty: list[list[Any]] = field(default_factory=list)
    weekend_worked: list[tuple[Any, int, int, int]] = field(default_factory=list)
    cover_slacks: list[tuple[Any, Any, NrpCover]] = field(default_factory=list)
    run_states: list[_RunStateVariables] = field(default_factory=list)

    def add_complete_hint(self, instance: NrpInstance, values: list[list[list[int]]]) -> None:
        """Hint every variable of the model from 0/1 ``works`` values, shape (e, d, s)."""
        self.model.clear_hints()
        for e, row in enumerate(self.works):
            for d, day in enumerate(row):
                for s, lit in enumerate(day):
                    self.model.add_hint(lit, values[e][d][s])
                self.model.add_hint(self.on_duty[e][d], int(any(values[e][d])))
        for var, e, sat, sun in self.weekend_worked:
            self.model.add_hint(var, int(any(values[e][sat]) or any(values[e][sun])))
        index = {s.shift_id: i for i, s in enumerate(instance.shifts)}
        for under, over, line in self.cover_slacks:
            heads = sum(values[e][line.day][index[line.shift_id]] for e in range(len(values)))
            self.model.add_hint(under, max(0, line.requirement - heads))
            self.model.add_hint(over, max(0, heads - line.requirement))
        for e, flow in enumerate(self.run_states):
            path = flow.path([any(day) for day in values[e]])
            if path is None:
                continue  # the roster breaks this employee's sequence rules: no flow to hint
            for d, day_states in enumerate(flow.states):
                for state, var in day_states.items():
                    self.model.add_hint(var, int(state == path[d]))
            for (d, tail, head), var in flow.arcs.items():
                self.model.add_hint(var, int(path[d] == tail and path[d + 1] == head))


@dataclass(frozen=True)
class NrpSolution:
    """Result of :func:`solve_nrp`.

    ``roster`` has shape (employees, days): the shift index worked, or ``-1`` for a day off.
    ``objective`` is the penalty of that roster, ``best_bound`` the proven lower bound, ``status``
    the CP-SAT status name, ``wall_seconds`` the solve time.
    """

    roster: tuple[tuple[int, ...], ...]
    objective: int
    best_bound: int
    status: str
    wall_seconds: float


# --------------------------------------------------------------------------------------------
# Reader
# --------------------------------------------------------------------------------------------


def read_nrp_instance(path: str | Path) -> NrpInstance:
    """Read an instance file in the Curtois & Qu text format.

    Parameters
    ----------
    path : str or Path
        The ``InstanceN.txt`` file.

    Returns
    -------
    NrpInstance
        Named after the file stem.

    Raises
    ------
    InputError
        When the file is missing or a line cannot be read (names the file, line and field).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the instance file ({exc.strerror})") from exc
    return parse_nrp_instance(text, name=path.stem, source=str(path))


def parse_nrp_instance(text: str, name: str = "instance", source: str = "<text>") -> NrpInstance:
    """Parse the text of an instance (see :func:`read_nrp_instance`).

    Parameters
    ----------
    text : str
        File contents; ``#`` starts a comment line, blank lines are ignored.
    name : str
        Name given to the instance.
    source : str
        Used in error messages in place of a file name.
    """
    sections: dict[str, list[tuple[int, str]]] = {}
    current: str | None = None
    for line_number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in _SECTIONS:
                raise InputError(
                    f"{source} line {line_number}: unknown section {line!r}, "
                    f"expected one of {', '.join(_SECTIONS)}"
                )
            current = line
            sections[current] = []
            continue
        if current is None:
            raise InputError(
                f"{source} line {line_number}: data {line!r} before the first SECTION_ header"
            )
        sections[current].append((line_number, line))
    missing = [
        s for s in ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF") if s not in sections
    ]
    if missing:
        raise InputError(f"{source}: missing section {missing[0]}, expected all of {_SECTIONS}")

    def fields(line_number: int, line: str, count: int, section: str) -> list[str]:
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < count:
            raise InputError(
                f"{source} line {line_number}: {section} needs {count} comma-separated fields, "
                f"got {len(parts)} in {line!r}"
            )
        return parts

    def integer(value: str, line_number: int, what: str, minimum: int = 0) -> int:
        try:
            number = int(value)
        except ValueError:
            raise InputError(
                f"{source} line {line_number}: {what} must be an integer, got {value!r}"
            ) from None
        if number < minimum:
            raise InputError(
                f"{source} line {line_number}: {what} must be >= {minimum}, got {number}"
            )
        return number

    horizon_lines = sections["SECTION_HORIZON"]
    if len(horizon_lines) != 1:
        raise InputError(
            f"{source}: SECTION_HORIZON must hold one line (the horizon in days), "
            f"got {len(horizon_lines)}"
        )
    horizon_days = integer(horizon_lines[0][1], horizon_lines[0][0], "horizon_days", minimum=1)

    shifts: list[NrpShift] = []
    for line_number, line in sections["SECTION_SHIFTS"]:
        parts = fields(line_number, line, 2, "SECTION_SHIFTS")
        forbidden = tuple(p for p in (parts[2].split("|") if len(parts) > 2 else []) if p)
        shifts.append(
            NrpShift(parts[0], integer(parts[1], line_number, "length_minutes", 1), forbidden)
        )
    shift_ids = {s.shift_id for s in shifts}
    if len(shift_ids) != len(shifts):
        raise InputError(f"{source}: SECTION_SHIFTS repeats a shift id")
    for shift in shifts:
        for other in shift.forbidden_next:
            if other not in shift_ids:
                raise InputError(
                    f"{source}: shift {shift.shift_id} forbids unknown successor {other!r}, "
                    f"expected one of {sorted(shift_ids)}"
                )

    def day_index(value: str, line_number: int) -> int:
        day = integer(value, line_number, "day")
        if day >= horizon_days:
            raise InputError(
                f"{source} line {line_number}: day must be < horizon_days={horizon_days}, got {day}"
            )
        return day

    def known_shift(value: str, line_number: int) -> str:
        if value not in shift_ids:
            raise InputError(
                f"{source} line {line_number}: shift_id {value!r} is not in SECTION_SHIFTS "
                f"{sorted(shift_ids)}"
            )
        return value

    employees: list[NrpEmployee] = []
    for line_number, line in sections["SECTION_STAFF"]:
        parts = fields(line_number, line, 8, "SECTION_STAFF")
        max_shifts: dict[str, int] = {}
        for item in filter(None, parts[1].split("|")):
            shift_id, _, limit = item.partition("=")
            max_shifts[known_shift(shift_id, line_number)] = integer(
                limit, line_number, f"max_shifts[{shift_id}]"
            )
        employees.append(
            NrpEmployee(
                employee_id=parts[0],
                max_shifts=max_shifts,
                max_total_minutes=integer(parts[2], line_number, "max_total_minutes"),
                min_total_minutes=integer(parts[3], line_number, "min_total_minutes"),
                max_consecutive_shifts=integer(parts[4], line_number, "max_consecutive_shifts"),
                min_consecutive_shifts=integer(parts[5], line_number, "min_consecutive_shifts"),
                min_consecutive_days_off=integer(parts[6], line_number, "min_consecutive_days_off"),
                max_weekends=integer(parts[7], line_number, "max_weekends"),
            )
        )
    employee_ids = {e.employee_id for e in employees}
    if len(employee_ids) != len(employees):
        raise InputError(f"{source}: SECTION_STAFF repeats an employee id")

    def known_employee(value: str, line_number: int) -> str:
        if value not in employee_ids:
            raise InputError(
                f"{source} line {line_number}: employee_id {value!r} is not in SECTION_STAFF"
            )
        return value

    days_off: dict[str, tuple[int, ...]] = {}
    for line_number, line in sections.get("SECTION_DAYS_OFF", []):
        parts = fields(line_number, line, 1, "SECTION_DAYS_OFF")
        employee_id = known_employee(parts[0], line_number)
        days = tuple(day_index(p, line_number) for p in parts[1:] if p)
        days_off[employee_id] = tuple(sorted(set(days_off.get(employee_id, ()) + days)))

    def requests(section: str) -> tuple[NrpRequest, ...]:
        out = []
        for line_number, line in sections.get(section, []):
            parts = fields(line_number, line, 4, section)
            out.append(
                NrpRequest(
                    known_employee(parts[0], line_number),
                    day_index(parts[1], line_number),
                    known_shift(parts[2], line_number),
                    integer(parts[3], line_number, "weight"),
                )
            )
        return tuple(out)

    cover: list[NrpCover] = []
    for line_number, line in sections.get("SECTION_COVER", []):
        parts = fields(line_number, line, 5, "SECTION_COVER")
        cover.append(
            NrpCover(
                day_index(parts[0], line_number),
                known_shift(parts[1], line_number),
                integer(parts[2], line_number, "requirement"),
                integer(parts[3], line_number, "weight_under"),
                integer(parts[4], line_number, "weight_over"),
            )
        )
    return NrpInstance(
        name=name,
        horizon_days=horizon_days,
        shifts=tuple(shifts),
        employees=tuple(employees),
        days_off=days_off,
        shift_on_requests=requests("SECTION_SHIFT_ON_REQUESTS"),
        shift_off_requests=requests("SECTION_SHIFT_OFF_REQUESTS"),
        cover=tuple(cover),
    )


# --------------------------------------------------------------------------------------------
# Independent checker (computes everything from the instance, not from a model)
# --------------------------------------------------------------------------------------------


def _runs(worked: Sequence[bool]) -> list[tuple[bool, int, int]]:
    """Maximal runs of equal values: (value, first day, length)."""
    runs: list[tuple[bool, int, int]] = []
    start = 0
    for day in range(1, len(worked) + 1):
        if day == len(worked) or worked[day] != worked[start]:
            runs.append((worked[start], start, day - start))
            start = day
    return runs


def evaluate_nrp_roster(instance: NrpInstance, roster: Sequence[Sequence[int]]) -> NrpEvaluation:
    """Penalty and hard-rule violations of a roster, computed directly from the instance.

    Parameters
    ----------
    instance : NrpInstance
    roster : sequence of sequences of int, shape (employees, days)
        Shift index (into ``instance.shifts``) worked by each employee on each day, ``-1`` off.

    Returns
    -------
    NrpEvaluation
        The penalty by component and one message per broken hard rule.
    """
    n_employees, n_days, n_shifts = (
        len(instance.employees),
        instance.horizon_days,
        len(instance.shifts),
    )
    if len(roster) != n_employees or any(len(row) != n_days for row in roster):
        raise InputError(
            f"roster must have shape ({n_employees}, {n_days}) (employees, days), "
            f"got {len(roster)} rows of lengths {sorted({len(r) for r in roster})}"
        )
    index = {s.shift_id: i for i, s in enumerate(instance.shifts)}
    row_of = {e.employee_id: i for i, e in enumerate(instance.employees)}
    violations: list[str] = []
    for e, employee in enumerate(instance.employees):
        row = [int(v) for v in roster[e]]
        name = employee.employee_id
        for day, value in enumerate(row):
            if value != OFF and not 0 <= value < n_shifts:
                violations.append(f"{name} day {day}: shift index {value} out of range")
        if any(v != OFF and not 0 <= v < n_shifts for v in row):
            continue
        for day in instance.days_off.get(name, ()):
            if row[day] != OFF:
                violations.append(f"{name} day {day}: works on a day off")
        for day in range(n_days - 1):
            if row[day] != OFF and row[day + 1] != OFF:
                first = instance.shifts[row[day]]
                if instance.shifts[row[day + 1]].shift_id in first.forbidden_next:
                    violations.append(
                        f"{name} day {day}: {first.shift_id} followed by "
                        f"{instance.shifts[row[day + 1]].shift_id}"
                    )
        for shift_id, s in index.items():
            count = sum(1 for v in row if v == s)
            limit = employee.max_shifts.get(shift_id, n_days)
            if count > limit:
                violations.append(f"{name}: {count} shifts {shift_id}, max {limit}")
        minutes = sum(instance.shifts[v].length_minutes for v in row if v != OFF)
        if not employee.min_total_minutes <= minutes <= employee.max_total_minutes:
            violations.append(
                f"{name}: {minutes} minutes, expected [{employee.min_total_minutes}, "
                f"{employee.max_total_minutes}]"
            )
        worked = [v != OFF for v in row]
        for is_work, first_day, length in _runs(worked):
            touches_edge = first_day == 0 or first_day + length == n_days
            if is_work and length > employee.max_consecutive_shifts:
                violations.append(
                    f"{name} day {first_day}: {length} consecutive shifts, "
                    f"max {employee.max_consecutive_shifts}"
                )
            if is_work and not touches_edge and length < employee.min_consecutive_shifts:
                violations.append(
                    f"{name} day {first_day}: {length} consecutive shifts, "
                    f"min {employee.min_consecutive_shifts}"
                )
            if not is_work and not touches_edge and length < employee.min_consecutive_days_off:
                violations.append(
                    f"{name} day {first_day}: {length} consecutive days off, "
                    f"min {employee.min_consecutive_days_off}"
                )
        weekends = sum(1 for sat, sun in instance.weekends if worked[sat] or worked[sun])
        if weekends > employee.max_weekends:
            violations.append(f"{name}: {weekends} weekends worked, max {employee.max_weekends}")

    def works(request: NrpRequest) -> bool:
        return int(roster[row_of[request.employee_id]][request.day]) == index[request.shift_id]

    shift_on = sum(r.weight for r in instance.shift_on_requests if not works(r))
    shift_off = sum(r.weight for r in instance.shift_off_requests if works(r))
    under = over = 0
    for line in instance.cover:
        s = index[line.shift_id]
        assigned = sum(1 for e in range(n_employees) if int(roster[e][line.day]) == s)
        under += line.weight_under * max(0, line.requirement - assigned)
        over += line.weight_over * max(0, assigned - line.requirement)
    return NrpEvaluation(
        penalty=shift_on + shift_off + under + over,
        shift_on_penalty=shift_on,
        shift_off_penalty=shift_off,
        cover_under_penalty=under,
        cover_over_penalty=over,
        violations=tuple(violations),
    )


# --------------------------------------------------------------------------------------------
# Generic sequence builders (plain lists of literals; shared with the product roster engine)
# --------------------------------------------------------------------------------------------


def _negate(item):
    """Negation of a literal or of a fixed truth value (a Python bool)."""
    return (not item) if isinstance(item, bool) else item.Not()


def _add_clause(model, items: Sequence) -> None:
    """Clause over literals and fixed truth values: dropped when a fixed value is true."""
    if any(item is True for item in items):
        return
    literals = [item for item in items if not isinstance(item, bool)]
    model.add_bool_or(literals)  # empty only if the fixed days already break the rule


def add_max_run(model, literals: Sequence, max_run: int) -> None:
    """At most ``max_run`` consecutive true literals: every window of ``max_run + 1`` has a false.

    Parameters
    ----------
    model : cp_model.CpModel
    literals : sequence of literals or bools, shape (days,)
        A Python bool stands for a day whose value is fixed; windows with no literal are skipped.
    max_run : int
        Longest allowed run of true literals (days).
    """
    for start in range(len(literals) - max_run):
        window = literals[start : start + max_run + 1]
        if all(isinstance(item, bool) for item in window):
            continue
        _add_clause(model, [_negate(item) for item in window])


def add_min_run(model, literals: Sequence, min_run: int, check_edges: bool = False) -> None:
    """Every run of true literals is at least ``min_run`` long (forbidden-pattern clauses).

    For each run length ``k < min_run`` and each position, the pattern ``false, k x true, false``
    is forbidden by one clause. Runs that touch the first or last position are left free unless
    ``check_edges`` (the days outside the window are unknown). For runs of false literals pass the
    negated literals.

    Parameters
    ----------
    model : cp_model.CpModel
    literals : sequence of literals or bools, shape (days,)
        A Python bool stands for a day whose value is fixed; patterns with no literal are skipped.
    min_run : int
        Shortest allowed run of true literals (days).
    check_edges : bool
        Also forbid short runs that start at the first or end at the last position.
    """
    n = len(literals)
    for length in range(1, min_run):
        for start in range(0 if check_edges else 1, n - length + (1 if check_edges else 0)):
            clause = [_negate(literals[d]) for d in range(start, start + length)]
            if start > 0:
                clause.append(literals[start - 1])
            if start + length < n:
                clause.append(literals[start + length])
            elif not check_edges:
                continue
            if all(isinstance(item, bool) for item in clause):
                continue
            _add_clause(model, clause)


# --------------------------------------------------------------------------------------------
# CP-SAT model: one builder per rule family, each returning its objective terms
# --------------------------------------------------------------------------------------------


def add_one_shift_per_day(model, nrp: NrpModel, instance: NrpInstance) -> list[tuple[Any, int]]:
    """At most one shift per employee and day; none on pre-assigned days off. No cost terms."""
    for e, employee in enumerate(instance.employees):
        for d in range(instance.horizon_days):
            model.add_at_most_one(nrp.works[e][d])
        for d in instance.days_off.get(employee.employee_id, ()):
            for lit in nrp.works[e][d]:
                model.add(lit == 0)
    return []


def add_forbidden_successions(model, nrp: NrpModel, instance: NrpInstance) -> list[tuple[Any, int]]:
    """Shift ``a`` on day d forbids each of its ``forbidden_next`` shifts on day d+1.

    Shifts with the same forbidden set are grouped; since an employee works at most one shift a
    day, "no shift of the group on day d followed by one of the set on day d+1" is one
    at-most-one over the group's literals on d and the set's literals on d+1 (one constraint per
    employee, day and group instead of one clause per forbidden pair).
    """
    index = {s.shift_id: i for i, s in enumerate(instance.shifts)}
    groups: dict[tuple[int, ...], list[int]] = {}
    for a, shift in enumerate(instance.shifts):
        banned = tuple(sorted(index[b] for b in shift.forbidden_next))
        if banned:
            groups.setdefault(banned, []).append(a)
    for e in range(len(instance.employees)):
        for d in range(instance.horizon_days - 1):
            for banned, firsts in groups.items():
                model.add_at_most_one(
                    [nrp.works[e][d][a] for a in firsts] + [nrp.works[e][d + 1][b] for b in banned]
                )
    return []


def add_shift_limits(model, nrp: NrpModel, instance: NrpInstance) -> list[tuple[Any, int]]:
    """Max shifts per type, and total minutes within [min, max] for every employee."""
    n_days = instance.horizon_days
    for e, employee in enumerate(instance.employees):
        for s, shift in enumerate(instance.shifts):
            limit = employee.max_shifts.get(shift.shift_id, n_days)
            if limit == 0:
                for d in range(n_days):
                    model.add(nrp.works[e][d][s] == 0)
            elif limit < n_days:
                model.add(sum(nrp.works[e][d][s] for d in range(n_days)) <= limit)
        minutes = sum(
            shift.length_minutes * nrp.works[e][d][s]
            for d in range(n_days)
            for s, shift in enumerate(instance.shifts)
        )
        model.add_linear_constraint(minutes, employee.min_total_minutes, employee.max_total_minutes)
    return []


def add_sequence_rules(
    model, nrp: NrpModel, instance: NrpInstance, day_works: list[list[Any]]
) -> list[tuple[Any, int]]:
    """Max/min consecutive shifts and min consecutive days off as forbidden-pattern clauses."""
    for e, employee in enumerate(instance.employees):
        add_max_run(model, day_works[e], employee.max_consecutive_shifts)
        add_min_run(model, day_works[e], employee.min_consecutive_shifts)
        add_min_run(model, [_negate(w) for w in day_works[e]], employee.min_consecutive_days_off)
    return []


RunState = tuple[str, int]
"""A day's state in an employee's work/off sequence: ("first_work", k) = day k of a work run
that began on the first day (exempt from the minimum), ("first_off", 0) = the off run that began
on the first day (exempt), ("work", k) = day k of a work run, ("off", k) = day k of an off run
(k = min_consecutive_days_off stands for "that many or more")."""


def _run_state_successors(employee: NrpEmployee) -> tuple[list[RunState], Any]:
    """The states of :data:`RunState` allowed on the first day, and the successor function.

    Runs touching the horizon's start are exempt from the minimums (``first_*`` states); runs
    touching its end are exempt because every state may end the horizon. The maximum run of
    shifts holds everywhere.
    """
    min_work = max(1, employee.min_consecutive_shifts)
    max_work = employee.max_consecutive_shifts
    min_off = max(1, employee.min_consecutive_days_off)
    first_work_day = ("first_work", 1) if min_work > 1 else ("work", 1)

    def successors(state: RunState) -> list[RunState]:
        kind, k = state
        if kind == "first_work":
            # after min_work - 1 days the run has met the minimum and continues as a plain run
            return [("first_work", k + 1) if k + 1 < min_work else ("work", k + 1), ("off", 1)]
        if kind == "first_off":
            # the work run after it does not touch the start: the minimum applies
            return [("first_off", 0), ("work", 1)]
        if kind == "work":
            out = [("work", k + 1)] if k < max_work else []
            return out + ([("off", 1)] if k >= min_work else [])
        return [("off", min(k + 1, min_off))] + ([("work", 1)] if k >= min_off else [])

    return [first_work_day, ("first_off", 0)], successors


@dataclass
class _RunStateVariables:
    """One employee's run-state flow in a model: the successor function and first-day states of
    :func:`_run_state_successors`, one {state: Boolean} per day, and the arc Booleans that are
    neither endpoint's state Boolean, keyed (day of the tail, tail, head)."""

    successors: Any
    start: list[RunState]
    states: list[dict[RunState, Any]]
    arcs: dict[tuple[int, RunState, RunState], Any]

    def path(self, worked: Sequence[bool]) -> list[RunState] | None:
        """The state of each day for a work (True) / off (False) pattern, None when illegal."""

        def matching(options: list[RunState], works: bool) -> RunState | None:
            kinds = ("first_work", "work") if works else ("first_off", "off")
            return next((state for state in options if state[0] in kinds), None)

        state = matching(self.start, worked[0])
        path = [state]
        for works in worked[1:]:
            state = None if state is None else matching(self.successors(state), works)
            path.append(state)
        if any(state is None for state in path):
            return None
        return [state for state in path if state is not None]


def add_run_state_flow(
    model, nrp: NrpModel, instance: NrpInstance, day_works: list[list[Any]]
) -> list[tuple[Any, int]]:
    """The sequence rules again, as one unit of flow per employee through day-layered run states.

    Redundant with :func:`add_sequence_rules` (the clauses stay for propagation), but its linear
    relaxation alone is the convex hull of the legal work/off patterns (a network flow), where the
    clauses' relaxation admits fractional patterns no roster has: on Instance5 (optimum 1,143)
    the clauses alone prove 839 in 30 s, with the flow the engine proves 1,143 in 24-26 s. Each
    day holds one state Boolean per reachable :data:`RunState`; an arc is the head's Boolean when
    the head has one predecessor, the tail's when the tail has one successor, and a new Boolean
    only otherwise. No cost terms.
    """
    for e, employee in enumerate(instance.employees):
        start, successors = _run_state_successors(employee)
        reachable = [set(start)]
        for _ in range(1, instance.horizon_days):
            reachable.append({nxt for state in reachable[-1] for nxt in successors(state)})
        states = [
            {
                state: model.new_bool_var(f"run_state[{employee.employee_id},{d},{state}]")
                for state in sorted(day_states)
            }
            for d, day_states in enumerate(reachable)
        ]
        for d, day in enumerate(states):
            model.add_exactly_one(list(day.values()))
            working = [var for (kind, _), var in day.items() if kind in ("first_work", "work")]
            model.add(sum(working) == day_works[e][d])
        flow = _RunStateVariables(successors, start, states, {})
        nrp.run_states.append(flow)
        for d in range(instance.horizon_days - 1):
            arcs = [(a, b) for a in states[d] for b in successors(a) if b in states[d + 1]]
            out_degree = {a: sum(1 for tail, _ in arcs if tail == a) for a in states[d]}
            in_degree = {b: sum(1 for _, head in arcs if head == b) for b in states[d + 1]}
            leaving: dict[RunState, list[Any]] = {a: [] for a in states[d]}
            entering: dict[RunState, list[Any]] = {b: [] for b in states[d + 1]}
            for a, b in arcs:
                if in_degree[b] == 1:
                    arc = states[d + 1][b]
                elif out_degree[a] == 1:
                    arc = states[d][a]
                else:
                    arc = model.new_bool_var(f"run_arc[{employee.employee_id},{d},{a}->{b}]")
                    flow.arcs[(d, a, b)] = arc
                leaving[a].append(arc)
                entering[b].append(arc)
            # a state whose only arc is its own Boolean needs no conservation constraint
            for a, flows in leaving.items():
                if not (len(flows) == 1 and flows[0] is states[d][a]):
                    model.add(sum(flows) == states[d][a])
            for b, flows in entering.items():
                if not (len(flows) == 1 and flows[0] is states[d + 1][b]):
                    model.add(sum(flows) == states[d + 1][b])
    return []


def add_weekend_limit(
    model, nrp: NrpModel, instance: NrpInstance, day_works: list[list[Any]]
) -> list[tuple[Any, int]]:
    """At most ``max_weekends`` worked weekends, via one Boolean per (employee, weekend)."""
    for e, employee in enumerate(instance.employees):
        worked_weekends = []
        for w, (sat, sun) in enumerate(instance.weekends):
            worked = model.new_bool_var(f"weekend_worked[{employee.employee_id},{w}]")
            model.add_bool_or([day_works[e][sat].Not(), worked])
            model.add_bool_or([day_works[e][sun].Not(), worked])
            model.add_bool_or([day_works[e][sat], day_works[e][sun], worked.Not()])
            worked_weekends.append(worked)
            nrp.weekend_worked.append((worked, e, sat, sun))
        if len(worked_weekends) > employee.max_weekends:
            model.add(sum(worked_weekends) <= employee.max_weekends)
    return []


def add_requests(model, nrp: NrpModel, instance: NrpInstance) -> list[tuple[Any, int]]:
    """Shift-on requests cost their weight when not worked, shift-off requests when worked."""
    index = {s.shift_id: i for i, s in enumerate(instance.shifts)}
    row = {e.employee_id: i for i, e in enumerate(instance.employees)}
    terms: list[tuple[Any, int]] = []
    for request in instance.shift_on_requests:
        lit = nrp.works[row[request.employee_id]][request.day][index[request.shift_id]]
        terms.append((lit.Not(), request.weight))
    for request in instance.shift_off_requests:
        lit = nrp.works[row[request.employee_id]][request.day][index[request.shift_id]]
        terms.append((lit, request.weight))
    return terms


def add_cover(model, nrp: NrpModel, instance: NrpInstance) -> list[tuple[Any, int]]:
    """Heads per (day, shift) against the requirement; under- and over-cover integer slacks."""
    index = {s.shift_id: i for i, s in enumerate(instance.shifts)}
    n_employees = len(instance.employees)
    terms: list[tuple[Any, int]] = []
    for line in instance.cover:
        s = index[line.shift_id]
        heads = sum(nrp.works[e][line.day][s] for e in range(n_employees))
        under = model.new_int_var(0, line.requirement, f"under[{line.day},{line.shift_id}]")
        over = model.new_int_var(
            0, max(0, n_employees - line.requirement), f"over[{line.day},{line.shift_id}]"
        )
        model.add(heads + under - over == line.requirement)
        nrp.cover_slacks.append((under, over, line))
        if line.weight_under:
            terms.append((under, line.weight_under))
        if line.weight_over:
            terms.append((over, line.weight_over))
    return terms


def build_nrp_model(instance: NrpInstance, *, run_state_flow: bool = False) -> NrpModel:
    """Build the CP-SAT model of an instance (variables ``works[e,d,s]``, objective = penalty).

    Parameters
    ----------
    instance : NrpInstance
    run_state_flow : bool
        Add the sequence rules' network-flow formulation (:func:`add_run_state_flow`) too: a
        tighter linear relaxation for a model about three times larger.

    Returns
    -------
    NrpModel
        The model with its ``works`` literals, shape (employees, days, shifts), its objective set.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    works = [
        [
            [
                model.new_bool_var(f"works[{employee.employee_id},{d},{shift.shift_id}]")
                for shift in instance.shifts
            ]
            for d in range(instance.horizon_days)
        ]
        for employee in instance.employees
    ]
    nrp = NrpModel(model=model, works=works)
    day_works = []
    for e, employee in enumerate(instance.employees):
        row = []
        for d in range(instance.horizon_days):
            on = model.new_bool_var(f"on_duty[{employee.employee_id},{d}]")
            model.add(sum(works[e][d]) == on)
            row.append(on)
        day_works.append(row)
    nrp.on_duty = day_works
    terms: list[tuple[Any, int]] = []
    terms += add_one_shift_per_day(model, nrp, instance)
    terms += add_forbidden_successions(model, nrp, instance)
    terms += add_shift_limits(model, nrp, instance)
    terms += add_sequence_rules(model, nrp, instance, day_works)
    if run_state_flow:
        terms += add_run_state_flow(model, nrp, instance, day_works)
    terms += add_weekend_limit(model, nrp, instance, day_works)
    terms += add_requests(model, nrp, instance)
    terms += add_cover(model, nrp, instance)
    model.minimize(sum(weight * expr for expr, weight in terms))
    return nrp


def _roster_from_values(values: list[list[list[int]]]) -> tuple[tuple[int, ...], ...]:
    """Roster (employees, days) of shift indexes, -1 off, from 0/1 values (e, d, s)."""
    return tuple(
        tuple(next((s for s, v in enumerate(day) if v), OFF) for day in row) for row in values
    )


def _values_from_roster(
    instance: NrpInstance, roster: Sequence[Sequence[int]]
) -> list[list[list[int]]]:
    """0/1 values, shape (e, d, s), of a roster (employees, days) of shift indexes, -1 off."""
    n_shifts = len(instance.shifts)
    return [[[int(value == s) for s in range(n_shifts)] for value in row] for row in roster]


def _solve_neighbourhood(model, seconds: float, seed: int):
    """Solve a residual model on one CP-SAT worker (these models are small, and a second thread
    costs more than it finds), without symmetry detection and probing in presolve, which cost
    more than they save where nearly every variable is fixed. Returns ``(solver, status)``."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    return solver, status


def _build_free_cell_rules(
    instance: NrpInstance, values: list[list[list[int]]], free_cells: Sequence[tuple[int, int]]
):
    """CP-SAT model of the hard rules over the free (employee, day) cells, with no objective.

    Every other cell of a free cell's employee keeps its value in ``values`` (0/1, shape
    (e, d, s)) and enters that employee's rules as a constant: contract limits are reduced by the
    fixed cells, sequence and weekend rules see fixed days as Python bools (see
    :func:`add_max_run`). Returns ``(model, works)`` with ``works[(e, d)]`` the list of shift
    literals of a free cell (``False`` where the shift is ruled out).
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    n_days, shifts = instance.horizon_days, instance.shifts
    index = {s.shift_id: i for i, s in enumerate(shifts)}
    free = set(free_cells)
    employees = sorted({e for e, _ in free})
    works: dict[tuple[int, int], list[Any]] = {}
    for e in employees:
        employee = instance.employees[e]
        days_off = set(instance.days_off.get(employee.employee_id, ()))
        for d in range(n_days):
            if (e, d) not in free:
                continue
            row: list[Any] = []
            for s, shift in enumerate(shifts):
                if d in days_off or employee.max_shifts.get(shift.shift_id, n_days) == 0:
                    row.append(False)
                else:
                    lit = model.new_bool_var(f"works[{employee.employee_id},{d},{shift.shift_id}]")
                    model.add_hint(lit, values[e][d][s])
                    row.append(lit)
            works[(e, d)] = row

    def cell(e: int, d: int, s: int):
        return works[(e, d)][s] if (e, d) in works else bool(values[e][d][s])

    def lits(items):
        return [item for item in items if not isinstance(item, bool)]

    for e in employees:
        employee = instance.employees[e]
        on_duty: list[Any] = []
        for d in range(n_days):
            if (e, d) in works:
                row = lits(works[(e, d)])
                if row:
                    on = model.new_bool_var(f"on_duty[{employee.employee_id},{d}]")
                    model.add(sum(row) == on)
                    on_duty.append(on)
                else:
                    on_duty.append(False)
            else:
                on_duty.append(any(values[e][d]))
        # contract limits on what the free cells may add to the fixed ones
        for s, shift in enumerate(shifts):
            limit = employee.max_shifts.get(shift.shift_id, n_days)
            free_lits = lits(works[(e, d)][s] for d in range(n_days) if (e, d) in works)
            fixed = sum(values[e][d][s] for d in range(n_days) if (e, d) not in works)
            if free_lits and limit < n_days:
                model.add(sum(free_lits) <= limit - fixed)
        fixed_minutes = sum(
            shifts[s].length_minutes
            for d in range(n_days)
            if (e, d) not in works
            for s in range(len(shifts))
            if values[e][d][s]
        )
        free_minutes = [
            shifts[s].length_minutes * lit
            for d in range(n_days)
            if (e, d) in works
            for s, lit in enumerate(works[(e, d)])
            if not isinstance(lit, bool)
        ]
        model.add_linear_constraint(
            sum(free_minutes),
            employee.min_total_minutes - fixed_minutes,
            employee.max_total_minutes - fixed_minutes,
        )
        add_max_run(model, on_duty, employee.max_consecutive_shifts)
        add_min_run(model, on_duty, employee.min_consecutive_shifts)
        add_min_run(model, [_negate(w) for w in on_duty], employee.min_consecutive_days_off)
        weekend_items: list[Any] = []
        for sat, sun in instance.weekends:
            a, b = on_duty[sat], on_duty[sun]
            if isinstance(a, bool) and isinstance(b, bool):
                weekend_items.append(a or b)
            else:
                worked = model.new_bool_var(f"weekend_worked[{employee.employee_id},{sat}]")
                _add_clause(model, [_negate(a), worked])
                _add_clause(model, [_negate(b), worked])
                weekend_items.append(worked)
        fixed_weekends = sum(1 for item in weekend_items if item is True)
        if lits(weekend_items):
            model.add(sum(lits(weekend_items)) <= employee.max_weekends - fixed_weekends)
        # forbidden successions across any pair of days that has a free cell
        groups: dict[tuple[int, ...], list[int]] = {}
        for a_index, shift in enumerate(shifts):
            banned = tuple(sorted(index[b] for b in shift.forbidden_next))
            if banned:
                groups.setdefault(banned, []).append(a_index)
        for d in range(n_days - 1):
            if (e, d) not in works and (e, d + 1) not in works:
                continue
            for banned, firsts in groups.items():
                items = [cell(e, d, a) for a in firsts] + [cell(e, d + 1, b) for b in banned]
                if any(item is True for item in items):
                    for item in lits(items):
                        model.add(item == 0)
                elif len(lits(items)) > 1:
                    model.add_at_most_one(lits(items))
        for d in range(n_days):
            if (e, d) in works and len(lits(works[(e, d)])) > 1:
                model.add_at_most_one(lits(works[(e, d)]))
    return model, works


def _build_neighbourhood(
    instance: NrpInstance, values: list[list[list[int]]], free_cells: Sequence[tuple[int, int]]
):
    """Residual CP-SAT model of a neighbourhood: only the free (employee, day) cells are variables.

    The hard rules are :func:`_build_free_cell_rules`'; cover requirements are reduced by the
    fixed cells. The objective equals the roster's penalty up to a constant (the requests on
    fixed cells), so rosters are compared by :func:`evaluate_nrp_roster`, never by this value.
    Returns ``(model, works)`` as :func:`_build_free_cell_rules`.
    """
    model, works = _build_free_cell_rules(instance, values, free_cells)
    index = {s.shift_id: i for i, s in enumerate(instance.shifts)}

    def cell(e: int, d: int, s: int):
        return works[(e, d)][s] if (e, d) in works else bool(values[e][d][s])

    def lits(items):
        return [item for item in items if not isinstance(item, bool)]

    terms: list[tuple[Any, int]] = []
    row_of = {emp.employee_id: i for i, emp in enumerate(instance.employees)}
    for request in instance.shift_on_requests:
        key = (row_of[request.employee_id], request.day)
        if key in works and not isinstance(works[key][index[request.shift_id]], bool):
            terms.append((works[key][index[request.shift_id]].Not(), request.weight))
    for request in instance.shift_off_requests:
        key = (row_of[request.employee_id], request.day)
        if key in works and not isinstance(works[key][index[request.shift_id]], bool):
            terms.append((works[key][index[request.shift_id]], request.weight))
    free_days = {d for _, d in free_cells}
    n_employees = len(instance.employees)
    for line in instance.cover:
        if line.day not in free_days:
            continue
        s = index[line.shift_id]
        free_lits = lits(cell(e, line.day, s) for e in range(n_employees) if (e, line.day) in works)
        if not free_lits:
            continue
        fixed = sum(
            values[e][line.day][s] for e in range(n_employees) if (e, line.day) not in works
        )
        residual = line.requirement - fixed
        under = model.new_int_var(0, max(0, residual), f"under[{line.day},{line.shift_id}]")
        over = model.new_int_var(
            0, len(free_lits) + max(0, -residual), f"over[{line.day},{line.shift_id}]"
        )
        model.add(sum(free_lits) + under - over == residual)
        terms.append((under, line.weight_under))
        terms.append((over, line.weight_over))
    model.minimize(sum(weight * expr for expr, weight in terms))
    return model, works


def _penalty(instance: NrpInstance, values: list[list[list[int]]]) -> int:
    """Penalty of a roster given as 0/1 values, shape (e, d, s), by the independent checker."""
    return evaluate_nrp_roster(instance, _roster_from_values(values)).penalty


def _solve_cells(
    instance: NrpInstance,
    values: list[list[list[int]]],
    free: Sequence[tuple[int, int]],
    seconds: float,
    seed: int,
) -> tuple[str, dict[tuple[int, int], list[int]] | None, float]:
    """Best values of the ``free`` cells with every other cell of ``values`` fixed.

    Returns (CP-SAT status name, the free cells' new 0/1 shift values or None when none was
    found, wall seconds). Safe in a worker thread: CP-SAT releases the GIL while it solves.
    """
    started = time.perf_counter()
    model, works = _build_neighbourhood(instance, values, free)
    solver, status = _solve_neighbourhood(model, seconds, seed)
    name = solver.status_name(status)
    if name not in ("OPTIMAL", "FEASIBLE"):
        return name, None, time.perf_counter() - started
    cells = {
        cell: [
            int(item) if isinstance(item, bool) else int(solver.boolean_value(item)) for item in row
        ]
        for cell, row in works.items()
    }
    return name, cells, time.perf_counter() - started


def _with_cells(
    values: list[list[list[int]]], cells: dict[tuple[int, int], list[int]]
) -> list[list[list[int]]]:
    """A copy of ``values`` (0/1, shape (e, d, s)) with the given cells replaced."""
    candidate = [[list(day) for day in row] for row in values]
    for (e, d), shift_values in cells.items():
        candidate[e][d] = shift_values
    return candidate


def _reoptimise_employees(
    instance: NrpInstance,
    values: list[list[list[int]]],
    employees: Sequence[int],
    seconds: float,
    seed: int,
) -> tuple[str, list[list[list[int]]] | None]:
    """Best rosters for ``employees`` over the whole horizon, every other employee fixed.

    An exact best response: the residual model (:func:`_build_neighbourhood`) holds only these
    employees' cells and their own hard rules, and its objective is the roster's penalty up to a
    constant. Returns the CP-SAT status name and the new 0/1 values, shape (e, d, s), or None
    when no roster was found (the status says whether none exists or time ran out).
    """
    free = [(e, d) for e in employees for d in range(instance.horizon_days)]
    name, cells, _ = _solve_cells(instance, values, free, seconds, seed)
    return name, None if cells is None else _with_cells(values, cells)


def _construct_by_employees(
    instance: NrpInstance, deadline: float, seed: int
) -> list[list[list[int]]]:
    """First roster: each employee in turn gets the best roster against the cover still open.

    Every roster this returns meets every hard rule, since the hard rules are per employee.
    Raises :class:`InfeasibleError` naming the employee whose own rules admit no roster.
    """
    from planner.errors import InfeasibleError

    n_days, n_shifts = instance.horizon_days, len(instance.shifts)
    values = [[[0] * n_shifts for _ in range(n_days)] for _ in instance.employees]
    for e, employee in enumerate(instance.employees):
        # each employee gets at least a second: a roster must exist before the search can start
        seconds = max(1.0, deadline - time.perf_counter())
        status, candidate = _reoptimise_employees(instance, values, [e], seconds, seed)
        if candidate is None:
            reason = (
                "no roster meets their own hard rules"
                if status == "INFEASIBLE"
                else f"no roster found within {seconds:.1f} s (CP-SAT status {status})"
            )
            raise InfeasibleError(
                f"instance {instance.name}: employee {employee.employee_id}: {reason} (days off "
                f"{list(instance.days_off.get(employee.employee_id, ()))}, "
                f"{employee.min_total_minutes}-{employee.max_total_minutes} minutes, "
                f"{employee.min_consecutive_shifts}-{employee.max_consecutive_shifts} shifts in a "
                f"row, at least {employee.min_consecutive_days_off} days off in a row, at most "
                f"{employee.max_weekends} weekends)"
            )
        values = candidate
    return values


@dataclass
class _NeighbourhoodSizes:
    """Adaptive sizes of the three neighbourhood kinds of :func:`_search_neighbourhoods`.

    ``employees``: employees freed over the whole horizon; ``days``: days freed for every
    employee (a window); ``block``: employees freed over half the horizon. A size grows by a tenth
    when its residual model was solved to optimality in under half the time cap (the
    neighbourhood is exhausted quickly, so a larger one is affordable) and shrinks by a sixth
    when the cap stopped it.
    """

    employees: float = 2.0
    days: float = 5.0
    block: float = 4.0

    def pick(self, instance: NrpInstance, rng: Any) -> tuple[str, list[tuple[int, int]]]:
        """A random kind and its free (employee, day) cells at the kind's current size."""
        n_employees, n_days = len(instance.employees), instance.horizon_days
        kind = rng.choice(("employees", "days", "block"))
        if kind == "employees":
            chosen = rng.sample(range(n_employees), min(n_employees, max(1, int(self.employees))))
            return kind, [(e, d) for e in chosen for d in range(n_days)]
        if kind == "days":
            width = min(n_days, max(2, int(self.days)))
            first = rng.randrange(0, n_days - width + 1)
            return kind, [(e, d) for e in range(n_employees) for d in range(first, first + width)]
        width = min(n_days, max(7, n_days // 2))
        first = rng.randrange(0, n_days - width + 1)
        chosen = rng.sample(range(n_employees), min(n_employees, max(2, int(self.block))))
        return kind, [(e, d) for e in chosen for d in range(first, first + width)]

    def update(self, kind: str, optimal: bool, seconds: float, cap_seconds: float) -> None:
        """Grow ``kind`` after a quick proof of optimality, shrink it after a timeout."""
        size = getattr(self, kind)
        if optimal and seconds < 0.5 * cap_seconds:
            setattr(self, kind, size * 1.1)
        elif not optimal:
            setattr(self, kind, max(1.0, size / 1.2))


def _search_neighbourhoods(
    instance: NrpInstance,
    values: list[list[list[int]]],
    objective: int,
    bound: int,
    deadline: float,
    rng: Any,
    *,
    threads: int,
    cap_seconds: float,
    stall_limit: int | None = None,
) -> tuple[list[list[list[int]]], int, int]:
    """Large-neighbourhood search: free some cells, solve the rest-fixed model exactly, repeat.

    ``threads`` neighbourhoods are solved at once (one CP-SAT worker each). A result is applied to
    the incumbent of its return (which another thread may have improved meanwhile) and kept when
    the checker finds the roster legal and no worse, so equal-penalty moves let the search drift
    across plateaus. Stops at the deadline, at ``bound``, when a neighbourhood holding every
    cell was solved to optimality, or after ``stall_limit`` results in a row that lowered
    nothing. Returns the best roster (0/1 values, shape (e, d, s)), its penalty by the checker,
    and the bound (raised to the penalty by such a proof).
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    sizes = _NeighbourhoodSizes()
    every_cell = len(instance.employees) * instance.horizon_days
    running: dict[Any, tuple[str, int]] = {}
    stalls = 0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while True:
            while (
                len(running) < threads
                and objective > bound
                and (stall_limit is None or stalls < stall_limit)
            ):
                remaining = deadline - time.perf_counter()
                if remaining < 0.05:
                    break
                kind, free = sizes.pick(instance, rng)
                future = pool.submit(
                    _solve_cells,
                    instance,
                    values,
                    free,
                    min(cap_seconds, remaining),
                    rng.randrange(1 << 30),
                )
                running[future] = (kind, len(free))
            if not running:
                return values, objective, bound
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                kind, n_free = running.pop(future)
                status, cells, seconds = future.result()
                optimal = status == "OPTIMAL"
                sizes.update(kind, optimal, seconds, cap_seconds)
                if cells is None:
                    stalls += 1
                    continue
                candidate = _with_cells(values, cells)
                evaluation = evaluate_nrp_roster(instance, _roster_from_values(candidate))
                stalls = 0 if evaluation.feasible and evaluation.penalty < objective else stalls + 1
                if evaluation.feasible and evaluation.penalty <= objective:
                    values, objective = candidate, evaluation.penalty
                    if optimal and n_free == every_cell:
                        bound = objective  # the whole roster was re-solved to optimality


@dataclass
class _WholeModelRun:
    """Outcome of one whole-model CP-SAT solve: 0/1 values (None when no roster was found),
    the proven lower bound, whether the solve proved optimality, and whether the weak-bound
    check stopped it early."""

    values: list[list[list[int]]] | None
    bound: float
    optimal: bool
    stopped_for_weak_bound: bool = False


def _solution_recorder(name: str, started: float, limit: float, progress: ProgressCallback | None):
    """A CP-SAT solution callback that keeps the latest objective and reports it via progress."""
    from ortools.sat.python import cp_model

    class SolutionRecorder(cp_model.CpSolverSolutionCallback):
        latest_objective = math.inf

        def on_solution_callback(self) -> None:
            self.latest_objective = self.objective_value
            report(
                progress,
                f"nrp {name} objective={int(self.objective_value)} "
                f"bound={int(math.ceil(self.best_objective_bound - 1e-6))}",
                int(time.perf_counter() - started),
                int(limit),
            )

    return SolutionRecorder()


def _solve_whole_model(
    instance: NrpInstance,
    values: list[list[list[int]]] | None,
    seconds: float,
    *,
    num_workers: int,
    seed: int,
    subsolvers: Sequence[str],
    run_state_flow: bool,
    log: bool,
    recorder: Any,
    weak_bound_check_seconds: float | None = None,
    weak_bound_share: float = 0.0,
) -> _WholeModelRun:
    """One CP-SAT solve of the whole model (:func:`build_nrp_model`), hinted from ``values``
    (0/1, shape (e, d, s)) when given.

    With ``weak_bound_check_seconds``, a timer looks at the solve after that many seconds and
    stops it when the proven bound is below ``weak_bound_share`` of the incumbent's objective:
    the linear relaxation then says nothing about the instance, and the time is better spent on
    the neighbourhood search.
    """
    import threading

    from ortools.sat.python import cp_model

    nrp = build_nrp_model(instance, run_state_flow=run_state_flow)
    if values is not None:
        nrp.add_complete_hint(instance, values)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.log_search_progress = log
    solver.parameters.subsolvers.extend(subsolvers)
    stopped = threading.Event()
    # the solver's response is readable only after solve() returns: keep the bound as it rises
    proven = {"bound": -math.inf}
    solver.best_bound_callback = lambda bound: proven.update(bound=bound)

    def check_bound() -> None:
        if proven["bound"] < weak_bound_share * recorder.latest_objective:
            stopped.set()
            solver.stop_search()

    timer = None
    if weak_bound_check_seconds is not None and weak_bound_check_seconds < seconds:
        timer = threading.Timer(weak_bound_check_seconds, check_bound)
        timer.start()
    try:
        status = solver.solve(nrp.model, recorder)
    finally:
        if timer is not None:
            timer.cancel()
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return _WholeModelRun(
        values=(
            [[[int(solver.boolean_value(lit)) for lit in day] for day in row] for row in nrp.works]
            if found
            else None
        ),
        bound=solver.best_objective_bound,
        optimal=status == cp_model.OPTIMAL,
        stopped_for_weak_bound=stopped.is_set(),
    )


def _start_by_column_generation(
    instance: NrpInstance,
    root_deadline: float,
    dive_deadline: float,
    *,
    threads: int,
    seed: int,
    progress: ProgressCallback | None,
) -> tuple[list[list[list[int]]], int]:
    """A first roster and a lower bound from column generation and its dive
    (:func:`planner.scheduling.nrp_columns.solve_by_column_generation`), started from the roster
    built employee by employee. Returns the better of the two rosters as 0/1 values, shape
    (e, d, s), and the bound (0 when the root was not priced to optimality in time)."""
    from planner.scheduling.nrp_columns import solve_by_column_generation

    built = _construct_by_employees(instance, dive_deadline, seed)
    result = solve_by_column_generation(
        instance,
        _roster_from_values(built),
        root_deadline=root_deadline,
        dive_deadline=dive_deadline,
        threads=threads,
        seed=seed,
        progress=progress,
    )
    dived = _values_from_roster(instance, result.roster)
    for e in result.unfixed_employees:
        # the dive ran out of time: a best response against the roster so far beats the
        # heaviest column (Instance12, 47 of 60 fixed: 8,003 with the columns)
        _, candidate = _reoptimise_employees(
            instance, dived, [e], max(0.1, dive_deadline - time.perf_counter()), seed
        )
        if candidate is not None:
            dived = candidate
    values = min((dived, built), key=lambda start: _penalty(instance, start))
    return values, 0 if result.bound is None else result.bound


def solve_nrp(
    instance: NrpInstance,
    *,
    time_limit_seconds: float = 60.0,
    num_workers: int = 2,
    random_seed: int = 0,
    polish_fraction: float = 0.25,
    weak_bound_check_fraction: float = 0.25,
    weak_bound_share: float = 0.1,
    full_model_subsolvers: Sequence[str] = ("max_lp",),
    run_state_flow_max_literals: int = 2000,
    column_generation_min_literals: int = 2001,
    column_generation_root_fraction: float = 0.5,
    neighbourhood_seconds: float = 2.0,
    stall_limit: int = 20,
    progress: ProgressCallback | None = None,
    log_search_progress: bool = False,
) -> NrpSolution:
    """Solve an instance and return the best roster found with its proven lower bound.

    Models of at least ``column_generation_min_literals`` shift literals (employees x days x
    shifts: Instances 8-12) start from column generation instead of step 1
    (:func:`planner.scheduling.nrp_columns.solve_by_column_generation`): its root, for at most
    ``column_generation_root_fraction`` of the time, proves the bound (Instance12: 4,040, the
    optimum, in 22-30 s, where CP-SAT's bound is 6-13 after 15 s), and its dive fixes
    employees' rosters until ``1 - polish_fraction`` of the time; employees the dive did not
    reach get a best response against the rest. Steps 2 and 3 follow from its roster.

    1. The whole model (:func:`build_nrp_model`) for ``1 - polish_fraction`` of the time limit.
       Its full-model subsolvers default to ``max_lp``: the linear relaxation of every clause and
       at-most-one, with cuts, which proves bounds within 1 % of the optimum on most Curtois & Qu
       instances where CP-SAT's default LP proves 1-30 against optima of 1,000-4,600; the other
       workers run CP-SAT's neighbourhood searches. Models with at most
       ``run_state_flow_max_literals`` shift literals also get the sequence rules' network flow
       (:func:`add_run_state_flow`), whose tighter relaxation closes Instance5; on larger ones the
       bigger LP slows the search more than it helps (Instance11 after 30 s with a first version
       of the flow: 11,264 with a bound of 2,050; the engine without it ends at 3,462-3,688).
       After ``weak_bound_check_fraction`` of the time, a solve with no roster yet, or whose
       bound is still below ``weak_bound_share`` of its objective, is stopped: the relaxation is
       not guiding it (Instance12's bound is 3-90 against 6,000+), and a roster built employee by
       employee (:func:`_construct_by_employees`) takes over where better.
    2. Large-neighbourhood search (:func:`_search_neighbourhoods`): residual models that free a
       few employees' months, a window of days for everyone, or a block of employees and days,
       solved exactly by CP-SAT (at most ``neighbourhood_seconds`` each), ``num_workers`` at a
       time, until ``stall_limit`` results in a row lowered nothing. CP-SAT's own neighbourhoods
       rarely free whole employee rows or whole days, which is what moving a shift between
       employees needs. After a weak-bound stop this is the main search (Instance12: 5,035-5,352
       in five runs, against 5,235-6,650 for the employee sweeps it replaced), where
       improvements rarely stop.
    3. The whole model again for the rest of the time, with the search's roster as a complete
       hint and the same weak-bound check: where the relaxation guides it, CP-SAT improves more
       than the neighbourhoods do (Instances 9 and 10 ended at 539 and 5,044 with
       neighbourhoods alone to the end, at 439-442 and 4,639-4,933 this way in five runs); where
       it is stopped, steps 2 and 3 repeat. A relaxation that was only late for the first check
       gets its second chance here.

    Every roster is judged by the independent checker (:func:`evaluate_nrp_roster`), never by a
    model's objective value.

    Parameters
    ----------
    instance : NrpInstance
    time_limit_seconds : float
        Wall-clock limit of the whole solve (seconds); building a first roster employee by
        employee may overrun it on an instance where CP-SAT found none in its share.
    num_workers : int
        CP-SAT worker threads of the whole-model solve, and neighbourhoods solved at once.
    random_seed : int
        Seed of CP-SAT and of the neighbourhood choice.
    polish_fraction : float
        Share of the time limit kept for the neighbourhood search, in (0, 1].
    weak_bound_check_fraction, weak_bound_share : float
        When the whole-model solve is checked (share of the time limit, in (0, 1]) and the
        share of its objective its bound must reach by then to go on.
    full_model_subsolvers : sequence of str
        CP-SAT full-model subsolver names (``SatParameters.subsolvers``); empty for CP-SAT's
        default portfolio.
    run_state_flow_max_literals : int
        Largest model (employees x days x shifts) that gets the run-state flow; 0 for none.
    column_generation_min_literals : int
        Smallest model (employees x days x shifts) that starts from column generation.
    column_generation_root_fraction : float
        Share of the time limit the column generation's root may take, in (0, 1].
    neighbourhood_seconds : float
        Time cap of one neighbourhood's CP-SAT solve (seconds).
    stall_limit : int
        Neighbourhood results in a row that lower nothing before a guided search hands back to
        CP-SAT (step 3).
    progress : ProgressCallback, optional
        Called with ("nrp <name> objective=... bound=...", elapsed_seconds, time_limit_seconds)
        at each CP-SAT solution, after column generation and at the end of the neighbourhood
        search; column generation reports its own rounds and dive steps (see
        :func:`planner.scheduling.nrp_columns.solve_by_column_generation`).
    log_search_progress : bool
        Let CP-SAT log its whole-model solve to stdout (adapters and benchmarks only).

    Raises
    ------
    InputError
        When ``time_limit_seconds``, ``neighbourhood_seconds``, ``stall_limit`` or a fraction is
        out of range.
    InfeasibleError
        When an employee's own hard rules admit no roster (named in the message).
    """
    import random

    if not time_limit_seconds > 0:
        raise InputError(f"time_limit_seconds must be > 0, got {time_limit_seconds}")
    if not neighbourhood_seconds > 0:
        raise InputError(f"neighbourhood_seconds must be > 0, got {neighbourhood_seconds}")
    if stall_limit < 1:
        raise InputError(f"stall_limit must be >= 1, got {stall_limit}")
    for name, fraction in (
        ("polish_fraction", polish_fraction),
        ("weak_bound_check_fraction", weak_bound_check_fraction),
        ("weak_bound_share", weak_bound_share),
        ("column_generation_root_fraction", column_generation_root_fraction),
    ):
        if not 0 < fraction <= 1:
            raise InputError(f"{name} must be in (0, 1], got {fraction}")
    started = time.perf_counter()
    deadline = started + time_limit_seconds
    rng = random.Random(random_seed)
    recorder = _solution_recorder(instance.name, started, time_limit_seconds, progress)
    literals = len(instance.employees) * instance.horizon_days * len(instance.shifts)
    flow = literals <= run_state_flow_max_literals

    def solve_whole(values, seconds: float, seed: int, **check: float) -> _WholeModelRun:
        return _solve_whole_model(
            instance,
            values,
            seconds,
            num_workers=num_workers,
            seed=seed,
            subsolvers=full_model_subsolvers,
            run_state_flow=flow,
            log=log_search_progress,
            recorder=recorder,
            **check,
        )

    def search(values, objective: int, bound: int, stall_limit: int | None):
        found = _search_neighbourhoods(
            instance,
            values,
            objective,
            bound,
            deadline,
            rng,
            threads=num_workers,
            cap_seconds=neighbourhood_seconds,
            stall_limit=stall_limit,
        )
        report(
            progress,
            f"nrp {instance.name} objective={found[1]} bound={found[2]} after neighbourhood search",
            int(time.perf_counter() - started),
            int(time_limit_seconds),
        )
        return found

    if literals >= column_generation_min_literals:
        values, bound = _start_by_column_generation(
            instance,
            started + column_generation_root_fraction * time_limit_seconds,
            started + (1 - polish_fraction) * time_limit_seconds,
            threads=num_workers,
            seed=random_seed,
            progress=progress,
        )
        objective = _penalty(instance, values)
        bound = min(objective, bound)
        report(
            progress,
            f"nrp {instance.name} objective={objective} bound={bound} after column generation",
            int(time.perf_counter() - started),
            int(time_limit_seconds),
        )
    else:
        run = solve_whole(
            None,
            (1 - polish_fraction) * time_limit_seconds,
            random_seed,
            weak_bound_check_seconds=weak_bound_check_fraction * time_limit_seconds,
            weak_bound_share=weak_bound_share,
        )
        starts = [] if run.values is None else [run.values]
        if run.values is None or run.stopped_for_weak_bound:
            # CP-SAT's early rosters are poor where its bound is weak; one built employee by
            # employee is a better start
            starts.append(_construct_by_employees(instance, deadline, random_seed))
        values = min(starts, key=lambda start: _penalty(instance, start))
        objective = _penalty(instance, values)
        bound = objective if run.optimal else min(objective, int(math.ceil(run.bound - 1e-6)))
    while objective > bound and deadline - time.perf_counter() > 0.5:
        # neighbourhoods until they stall, then CP-SAT again from their roster as a complete
        # hint, checked like the first solve: a relaxation that was only late at the first check
        # (Instances 10 and 11 in a run with 95 % of the time for CP-SAT) guides this one to the
        # end; one that is weak (Instance12) stops it again, and the neighbourhoods resume
        values, objective, bound = search(values, objective, bound, stall_limit=stall_limit)
        remaining = deadline - time.perf_counter()
        if objective <= bound or remaining <= 0.5:
            break
        run = solve_whole(
            values,
            remaining,
            rng.randrange(1 << 30),
            weak_bound_check_seconds=weak_bound_check_fraction * time_limit_seconds,
            weak_bound_share=weak_bound_share,
        )
        if run.values is not None:
            # the checker, not the model, decides: a cover line may carry both slacks in a
            # non-optimal CP-SAT solution, so its objective can exceed the roster's penalty
            evaluation = evaluate_nrp_roster(instance, _roster_from_values(run.values))
            if evaluation.feasible and evaluation.penalty <= objective:
                values, objective = run.values, evaluation.penalty
        bound = objective if run.optimal else max(bound, int(math.ceil(run.bound - 1e-6)))
        if not run.stopped_for_weak_bound:
            break  # it had the rest of the time
    bound = min(bound, objective)
    return NrpSolution(
        roster=_roster_from_values(values),
        objective=objective,
        best_bound=bound,
        status="OPTIMAL" if objective == bound else "FEASIBLE",
        wall_seconds=time.perf_counter() - started,
    )
