"""Shared preparation of a scheduling problem and the CP-SAT solve loop with progress.

:func:`prepare_problem` validates the requirements frame, builds the grid, the shift types, the
pooled requirement and its cost curves, and which agents can work which shift types (agents with
identical rules are grouped so this stays fast for hundreds of agents). :func:`solve_model` runs
CP-SAT with a time limit, a fixed seed and ``num_workers`` sized for the machine, reporting each
improving solution (objective, bound, gap) through :func:`planner.progress.report` and a
structured :class:`SolveEvent` record.
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.errors import InputError
from planner.progress import ProgressCallback, report
from planner.scheduling.builders import SCALE, LinearTerm
from planner.scheduling.penalties import FLOOR_COLUMNS, floor_heads, under_coverage_costs
from planner.scheduling.rules import ScheduleRules
from planner.scheduling.shifts import (
    Grid,
    ShiftType,
    agent_can_work,
    enumerate_shift_types,
    make_grid,
)

__all__ = [
    "Problem",
    "SolveEvent",
    "LpRelaxation",
    "SolveStats",
    "default_num_workers",
    "lp_bound",
    "lp_relaxation",
    "prepare_problem",
    "solve_model",
]

REQUIRED_COLUMNS = ("queue", "interval_start", "agents_to_schedule")


@dataclass(frozen=True)
class SolveEvent:
    """One improving solution: phase, wall seconds, objective and best bound (money units), gap."""

    phase: str
    seconds: float
    objective: float
    best_bound: float
    gap: float


@dataclass(frozen=True)
class SolveStats:
    """Outcome of one CP-SAT solve (objective and bound in money units)."""

    phase: str
    status: str
    objective: float
    best_bound: float
    gap: float
    seconds: float
    events: tuple[SolveEvent, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A validated scheduling problem on its grid.

    ``required`` has shape (n_slots,) (heads, summed over queues); ``curves[t]`` is the cost of
    being ``u`` heads short in slot t; ``allowed[a]`` the shift type indices agent ``a`` may work;
    ``floor_heads``, shape (n_slots,), the heads each slot must have on the phones under a hard
    service-level floor (``rules.min_interval_service_level_hard``), None without one.
    """

    requirements: pd.DataFrame
    rules: ScheduleRules
    grid: Grid
    shift_types: list[ShiftType]
    required: np.ndarray
    curves: list[np.ndarray]
    queues: tuple[str, ...]
    allowed: dict[int, list[int]] = field(default_factory=dict)
    floor_heads: np.ndarray | None = None

    @property
    def interval_minutes(self) -> int:
        return self.grid.interval_minutes

    def capacity(self) -> dict[int, int]:
        """Agents able to work each shift type."""
        cap: dict[int, int] = defaultdict(int)
        for types in self.allowed.values():
            for s in types:
                cap[s] += 1
        return {s.index: cap[s.index] for s in self.shift_types}


def default_num_workers() -> int:
    """CP-SAT workers sized for the machine: the CPU count (at least 1)."""
    return max(1, os.cpu_count() or 1)


def _infer_interval_minutes(starts: pd.Series) -> int:
    unique = np.unique(starts.to_numpy(dtype="datetime64[ns]").astype(np.int64))
    if len(unique) < 2:
        raise InputError("requirements: need at least two intervals to infer the interval length")
    step_ns = int(np.diff(unique).min())
    minutes, rest = divmod(step_ns, 60 * 10**9)
    if rest or minutes <= 0:
        raise InputError(
            f"requirements: interval_start steps must be whole minutes, got {step_ns / 6e10:g} min"
        )
    return int(minutes)


def prepare_problem(
    requirements: pd.DataFrame, rules: ScheduleRules, *, interval_minutes: int | None = None
) -> Problem:
    """Validate ``requirements`` and build the problem (grid, shift types, costs, eligibility).

    Raises
    ------
    InputError
        Missing columns, naive timestamps, negative or fractional heads, a horizon over 7 days,
        or rows off the interval grid; under a hard service-level floor, requirements without
        the columns it is computed from.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in requirements.columns]
    if missing:
        raise InputError(
            f"requirements: column {missing[0]!r} is missing; "
            f"expected columns {list(REQUIRED_COLUMNS)}"
        )
    if len(requirements) == 0:
        raise InputError("requirements: no rows; expected at least one interval")
    frame = requirements.copy()
    starts = frame["interval_start"]
    if not isinstance(starts.dtype, pd.DatetimeTZDtype):
        raise InputError(
            "requirements: interval_start must be timezone-aware datetimes, "
            f"got dtype {starts.dtype}"
        )
    heads = frame["agents_to_schedule"].to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(heads) | (heads < 0) | (heads != np.round(heads)))
    if len(bad):
        raise InputError(
            f"requirements row {int(bad[0])}: agents_to_schedule must be a whole number >= 0, "
            f"got {heads[bad[0]]!r}"
        )
    frame["agents_to_schedule"] = heads.astype(np.int64)
    step = interval_minutes or _infer_interval_minutes(starts)
    grid = make_grid(starts, step)
    if grid.n_days > 7:
        raise InputError(
            f"requirements: the horizon spans {grid.n_days} days ({grid.dates[0]} to "
            f"{grid.dates[-1]}); schedule at most 7 days at a time"
        )
    delta = (starts - grid.start) / pd.Timedelta(minutes=step)
    slot = delta.to_numpy(dtype=float)
    off_grid = np.flatnonzero(slot != np.floor(slot))
    if len(off_grid):
        raise InputError(
            f"requirements row {int(off_grid[0])}: interval_start {starts.iloc[off_grid[0]]} "
            "is not on "
            f"the {step}-minute grid"
        )
    slot_of_row = slot.astype(np.int64)
    required, curves = under_coverage_costs(
        frame,
        slot_of_row,
        grid.n_slots,
        rules.costs,
        step,
        rules.answer_target_seconds,
        rules.min_interval_service_level,
    )
    shift_types = enumerate_shift_types(grid, rules)
    floor = _hard_floor_heads(frame, slot_of_row, grid.n_slots, rules)
    problem = Problem(
        requirements=frame,
        rules=rules,
        grid=grid,
        shift_types=shift_types,
        required=required,
        curves=curves,
        queues=tuple(sorted(frame["queue"].astype(str).unique())),
        floor_heads=floor,
    )
    # agents with identical rules share one eligibility computation
    classes: dict[tuple, list[int]] = {}
    for a, agent in enumerate(rules.agents):
        key = (agent.templates, tuple(sorted(agent.availability.items())), agent.days_off)
        if key not in classes:
            classes[key] = [s.index for s in shift_types if agent_can_work(agent, s, grid)]
        problem.allowed[a] = classes[key]
    return problem


def _hard_floor_heads(
    frame: pd.DataFrame, slot_of_row: np.ndarray, n_slots: int, rules: ScheduleRules
) -> np.ndarray | None:
    """Heads per slot under the hard service-level floor, shape (n_slots,); None without one."""
    if not rules.min_interval_service_level_hard:
        return None
    missing = [c for c in FLOOR_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"requirements: column {missing[0]!r} is missing; min_interval_service_level_hard "
            f"= true computes each interval's floor from {list(FLOOR_COLUMNS)} (as written by "
            "planner.staffing.required_agents)"
        )
    return floor_heads(
        frame, slot_of_row, n_slots, rules.answer_target_seconds, rules.min_interval_service_level
    )


class _ProgressCallback(cp_model.CpSolverSolutionCallback):
    def __init__(
        self,
        phase: str,
        time_limit_seconds: float,
        progress: ProgressCallback | None,
        on_solution: Callable[[SolveEvent], None] | None,
        offset_units: int,
    ) -> None:
        super().__init__()
        self.phase = phase
        self.limit = time_limit_seconds
        self.progress = progress
        self.on_solution = on_solution
        self.offset_units = offset_units
        self.events: list[SolveEvent] = []

    def on_solution_callback(self) -> None:
        objective = (self.objective_value + self.offset_units) / SCALE
        bound = (self.best_objective_bound + self.offset_units) / SCALE
        gap = (objective - bound) / abs(objective) if objective else 0.0
        event = SolveEvent(self.phase, self.wall_time, objective, bound, max(gap, 0.0))
        self.events.append(event)
        report(
            self.progress,
            f"schedule {self.phase}",
            min(int(self.wall_time), int(self.limit)),
            int(self.limit),
        )
        if self.on_solution is not None:
            self.on_solution(event)


def solve_model(
    model: cp_model.CpModel,
    terms: Sequence[tuple[LinearTerm, int]],
    *,
    phase: str,
    time_limit_seconds: float,
    seed: int,
    num_workers: int | None,
    progress: ProgressCallback | None,
    on_solution: Callable[[SolveEvent], None] | None = None,
    offset_units: int = 0,
) -> tuple[cp_model.CpSolver, SolveStats]:
    """Minimise the weighted sum of ``terms`` and return the solver and its statistics.

    ``offset_units`` is a constant added to objective and bound when reporting (costs fixed
    before this phase).
    """
    if terms:
        variables, coefficients = zip(*terms, strict=True)
        model.minimize(cp_model.LinearExpr.weighted_sum(list(variables), list(coefficients)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_seconds)
    solver.parameters.num_workers = int(num_workers or default_num_workers())
    solver.parameters.random_seed = int(seed)
    solver.parameters.log_search_progress = bool(os.environ.get("PLANNER_CPSAT_LOG"))
    callback = _ProgressCallback(phase, time_limit_seconds, progress, on_solution, offset_units)
    started = time.perf_counter()
    status = solver.solve(model, callback)
    seconds = time.perf_counter() - started
    name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        objective = (
            (solver.objective_value + offset_units) / SCALE if terms else offset_units / SCALE
        )
        bound = (solver.best_objective_bound + offset_units) / SCALE if terms else objective
        gap = max((objective - bound) / abs(objective), 0.0) if objective else 0.0
    else:
        objective = bound = gap = float("nan")
    report(progress, f"schedule {phase}", int(time_limit_seconds), int(time_limit_seconds))
    return solver, SolveStats(phase, name, objective, bound, gap, seconds, tuple(callback.events))


def shifts_by_day(
    shift_types: Sequence[ShiftType], variables: Mapping[int, LinearTerm]
) -> dict[int, list[tuple[ShiftType, LinearTerm]]]:
    """Group ``(shift type, variable)`` pairs by day for :func:`builders.add_min_rest`."""
    out: dict[int, list[tuple[ShiftType, LinearTerm]]] = defaultdict(list)
    for s in shift_types:
        if s.index in variables:
            out[s.day].append((s, variables[s.index]))
    return out


def hint_by_fixing(
    model: cp_model.CpModel,
    terms: Sequence[tuple[LinearTerm, int]],
    fixes: Sequence[tuple[cp_model.IntVar, int]],
    *,
    time_limit_seconds: float,
    seed: int,
    num_workers: int | None,
) -> bool:
    """Complete hint: solve a copy of ``model`` with ``fixes`` imposed, hint every variable.

    A partial idea of a solution (e.g. a legal week per agent) becomes a complete, feasible hint:
    the copy with those variables fixed is small and solves fast, and its full solution is added
    as the hint of ``model``. Returns whether a solution was found.
    """
    if terms:
        variables, coefficients = zip(*terms, strict=True)
        model.minimize(cp_model.LinearExpr.weighted_sum(list(variables), list(coefficients)))
    trial = model.clone()
    for var, value in fixes:
        trial.add(trial.get_int_var_from_proto_index(var.index) == int(value))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_seconds)
    solver.parameters.num_workers = int(num_workers or default_num_workers())
    solver.parameters.random_seed = int(seed)
    status = solver.solve(trial)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    model.clear_hints()
    for i, value in enumerate(solver.response_proto.solution):
        model.add_hint(model.get_int_var_from_proto_index(i), value)
    return True


@dataclass(frozen=True)
class LpRelaxation:
    """The LP relaxation of a model: its proven lower bound (money units) and the optimal point
    ``values``, shape (number of model variables,), indexed by proto variable index."""

    bound: float
    values: np.ndarray


def lp_relaxation(
    model: cp_model.CpModel,
    terms: Sequence[tuple[cp_model.IntVar, int]],
    *,
    time_limit_seconds: float,
) -> LpRelaxation | None:
    """Solve the LP relaxation of ``model`` with SciPy's HiGHS: a proven lower bound and a point.

    Every linear constraint without an enforcement literal is kept with its domain hull, every
    variable with its bounds; other constraints are dropped, which only loosens the relaxation, so
    the optimum stays a valid lower bound of the integer optimum. The optimal point shows where
    the integer optimum is likely to be (the shift types it uses; see
    :func:`planner.scheduling.design.design_for_problem`). ``terms`` pairs single variables with
    their integer coefficients: the cost vector is indexed by each variable's proto index. Returns
    None when ``terms`` is empty or HiGHS does not prove the LP optimum within the time limit
    (seconds).
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    if not terms:
        return None
    proto = model.proto
    n = len(proto.variables)
    big = 2.0**53
    bounds = []
    for var in proto.variables:
        domain = list(var.domain)
        lo, hi = float(domain[0]), float(domain[-1])
        bounds.append((lo if abs(lo) < big else None, hi if abs(hi) < big else None))
    # the constraint matrix in coordinate form (row, column, value) and its right-hand side
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    rhs: list[float] = []
    r = 0
    for ct in proto.constraints:
        if len(ct.enforcement_literal) or not ct.has_linear():
            continue
        lin = ct.linear
        domain = list(lin.domain)
        lo, hi = float(domain[0]), float(domain[-1])
        if any(v < 0 for v in lin.vars):
            continue
        for sign, bound in ((1.0, hi), (-1.0, lo)):
            if abs(bound) >= big:
                continue
            rows.extend([r] * len(lin.vars))
            cols.extend(lin.vars)
            vals.extend(sign * c for c in lin.coeffs)
            rhs.append(sign * bound)
            r += 1
    cost = np.zeros(n)
    for var, coefficient in terms:
        cost[var.index] += coefficient
    matrix = coo_matrix((vals, (rows, cols)), shape=(r, n)).tocsr()
    result = linprog(
        cost,
        A_ub=matrix,
        b_ub=np.asarray(rhs),
        bounds=bounds,
        method="highs",
        options={"time_limit": float(time_limit_seconds), "presolve": True},
    )
    if result.status != 0:
        return None
    return LpRelaxation(math.ceil(result.fun - 1e-6) / SCALE, np.asarray(result.x, dtype=float))


def lp_bound(
    model: cp_model.CpModel,
    terms: Sequence[tuple[cp_model.IntVar, int]],
    *,
    time_limit_seconds: float,
) -> float | None:
    """The proven lower bound (money units) of :func:`lp_relaxation`, or None."""
    relaxation = lp_relaxation(model, terms, time_limit_seconds=time_limit_seconds)
    return None if relaxation is None else relaxation.bound
