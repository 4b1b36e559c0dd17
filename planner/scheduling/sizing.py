"""Sizing a workforce from a shift design: headcounts, and part-timers for a hard floor.

:func:`headcounts_from_design` turns an unconstrained shift design of the week into headcounts:
full-timers for the full-time hours it uses, part-timers for its part-time shifts at five a week
and at least its busiest day's. That design knows nothing of weekly tours, so under a hard floor
(``min_interval_service_level_hard``) such a workforce can be short on the days its 5-day weeks
and days off in a row leave thin; :func:`part_timers_for_hard_floor` then finds the fewest extra
part-timers with which the week's floors can be staffed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
from ortools.sat.python import cp_model

from planner.errors import ConfigError, InfeasibleError, InputError
from planner.progress import ProgressCallback, report
from planner.scheduling.design import DesignVars, ShiftDesign, add_design_model
from planner.scheduling.explain import precheck
from planner.scheduling.problem import Problem, prepare_problem
from planner.scheduling.rules import ScheduleRules

__all__ = ["FloorSizing", "headcounts_from_design", "part_timers_for_hard_floor"]


def headcounts_from_design(design: ShiftDesign, *, days_per_week: int = 5) -> tuple[int, int]:
    """(full-timers, part-timers) for the shifts of an unconstrained design of the sample rules.

    Full-timers (40 h a week, no flexibility) for the full-time hours the design uses, rounded
    down so that none is forced into surplus hours; part-timers (20-30 h, flexible) for the
    part-time shifts at ``days_per_week`` each and at least the busiest day's part-time shifts.

    Parameters
    ----------
    design : ShiftDesign
        From ``design_shifts(..., workforce_limits=False)`` with the sample rules' templates.
    """
    shifts = design.shifts
    if shifts.empty:
        raise InputError(
            "headcounts_from_design: the design has no shifts; expected a staffed week"
        )
    hours = shifts["paid_minutes"] * shifts["count"] / 60.0
    full_hours = float(hours[shifts["template"] == "full"].sum())
    part = shifts[shifts["template"] == "part"]
    part_shifts = int(part["count"].sum())
    busiest_day = int(part.groupby("date")["count"].sum().max()) if len(part) else 0
    full = math.floor(full_hours / 40.0 + 1e-9)
    part_time = max(math.ceil(part_shifts / days_per_week), busiest_day)
    return full, part_time


@dataclass(frozen=True)
class FloorSizing:
    """The result of :func:`part_timers_for_hard_floor`.

    Attributes
    ----------
    extra_part_time : int
        Part-timers added to the workforce (heads).
    rules : ScheduleRules
        The workforce with them (``with_extra(extra_part_time)``).
    fewest_proven : bool
        True when no smaller number of extra part-timers can staff the floors (the sizing model
        was solved to optimality); False when its search ran out of time with this many.
    confirmed : bool
        True when the shift design with exactly these agents' weekly rules and the hard floor was
        found feasible; False when that check ran out of time without an answer.
    rounds : int
        Checks run on sized workforces (each adds part-timers after an infeasible one).
    seconds : float
        Wall-clock time of the whole sizing (seconds).
    """

    extra_part_time: int
    rules: ScheduleRules
    fewest_proven: bool
    confirmed: bool
    rounds: int
    seconds: float


def part_timers_for_hard_floor(
    requirements: pd.DataFrame,
    with_extra: Callable[[int], ScheduleRules],
    *,
    interval_minutes: int | None = None,
    max_extra: int = 60,
    time_limit_seconds: float = 20.0,
    check_seconds: float = 10.0,
    max_rounds: int = 3,
    step: int = 2,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> FloorSizing:
    """The fewest part-timers to add so that a hard service-level floor can be staffed.

    A workforce sized from an unconstrained design (:func:`headcounts_from_design`) has the
    design's shifts but not the weekly tours: with 5-day weeks, two days off in a row and
    availability limits it can be short on some days, and a hard floor
    (``min_interval_service_level_hard``) then makes the week infeasible. This sizes from a
    design that includes the tours: the shift design with the workforce's weekly conditions (as
    the roster's first phase solves it) and ``max_extra`` candidate part-timers, each either not
    hired or working a full legal week, minimising how many are hired. The answer is then checked
    on the workforce ``with_extra(n)`` itself (the candidates' hours are relaxed in the sizing
    model); when the check finds it infeasible, ``step`` more are added, for at most
    ``max_rounds`` checks. CP-SAT runs on one worker with ``seed``: the same inputs give the same
    answer.

    Parameters
    ----------
    requirements : DataFrame
        Staffing's requirements of at most 7 local days (with ``traffic_erlangs``,
        ``calls_forecast`` and ``aht_seconds_forecast``, which the floor needs).
    with_extra : callable
        ``with_extra(n)`` -> the rules with ``n`` extra part-timers listed after the others;
        its rules must have ``min_interval_service_level_hard = true``.
    interval_minutes : int, optional
        Interval length (minutes); inferred when None.
    max_extra : int
        Most part-timers that may be added (heads).
    time_limit_seconds : float
        CP-SAT time of the sizing model (seconds).
    check_seconds : float
        CP-SAT time of each check of a sized workforce (seconds).
    max_rounds : int
        Most checks (>= 1).
    step : int
        Part-timers added after a check finds the week infeasible (heads, >= 1).
    seed : int
        CP-SAT's random seed.
    progress
        Optional callback: one step for the sizing model and one per check.

    Returns
    -------
    FloorSizing

    Raises
    ------
    ConfigError
        The rules have no hard floor; ``with_extra`` does not add ``n`` agents.
    InputError
        ``max_extra``, ``max_rounds`` or ``step`` out of range.
    InfeasibleError
        Even ``max_extra`` more part-timers cannot staff every floor, none was found in time, or
        every check found the sized workforce infeasible.
    """
    started = time.perf_counter()
    for name, value in (("max_extra", max_extra), ("max_rounds", max_rounds), ("step", step)):
        if value < 1:
            raise InputError(f"part_timers_for_hard_floor: {name} must be >= 1, got {value!r}")
    base = with_extra(0)
    if not base.min_interval_service_level_hard:
        raise ConfigError(
            "part_timers_for_hard_floor: the rules have min_interval_service_level_hard = false; "
            "expected a hard floor to size for"
        )
    total = max_rounds + 1
    report(progress, "size workforce for the hard floor", 0, total)
    pool_rules, pool, work_days = _candidate_pool(base, with_extra(max_extra), max_extra)
    problem = prepare_problem(requirements, pool_rules, interval_minutes=interval_minutes)
    # a floor that even every candidate cannot reach is named here, in planner words
    precheck(problem)
    extra, proven, shifts = _fewest_extra(
        problem, pool, work_days, seed=seed, time_limit_seconds=time_limit_seconds
    )
    report(progress, "size workforce for the hard floor", 1, total)
    for round_ in range(1, max_rounds + 1):
        rules = with_extra(extra)
        status = _design_status(
            prepare_problem(requirements, rules, interval_minutes=interval_minutes),
            shifts,
            seed=seed,
            time_limit_seconds=check_seconds,
        )
        report(progress, "size workforce for the hard floor", round_ + 1, total)
        if status != cp_model.INFEASIBLE:
            return FloorSizing(
                extra,
                rules,
                proven,
                status in (cp_model.OPTIMAL, cp_model.FEASIBLE),
                round_,
                time.perf_counter() - started,
            )
        extra += step
        if extra > max_extra:
            break
    raise InfeasibleError(
        f"the hard floor cannot be staffed with up to {min(extra, max_extra)} extra part-timers "
        f"after {round_} checks of the sized workforce; raise max_extra or max_rounds"
    )


def _candidate_pool(
    base: ScheduleRules, widest: ScheduleRules, max_extra: int
) -> tuple[ScheduleRules, range, dict[int, int]]:
    """The rules with ``max_extra`` candidate part-timers free to work no day at all.

    Returns the rules, the candidates' agent indices and each candidate's days a week when
    hired (their own ``min_days``).
    """
    n = len(base.agents)
    if len(widest.agents) != n + max_extra:
        raise ConfigError(
            f"part_timers_for_hard_floor: with_extra({max_extra}) has {len(widest.agents)} "
            f"agents; expected {n} + {max_extra}"
        )
    pool = range(n, n + max_extra)
    work_days = {a: widest.agents[a].min_days for a in pool}
    agents = tuple(
        replace(agent, min_days=0, min_hours=0.0) if a in pool else agent
        for a, agent in enumerate(widest.agents)
    )
    return replace(widest, agents=agents), pool, work_days


Shifts = dict[tuple[str, int, int], int]
"""A design's shift counts and break placements by (shift type name, break, offset); break -1
holds the count of the shift type itself."""


def _fewest_extra(
    problem: Problem,
    pool: range,
    work_days: dict[int, int],
    *,
    seed: int,
    time_limit_seconds: float,
) -> tuple[int, bool, Shifts]:
    """Fewest candidates hired in a feasible design with the workforce's weekly conditions.

    A candidate is not hired (the empty week) or works a legal week of at least their days; the
    design's per-class tour counts say how many are hired. Returns that number, whether it is
    proven fewest, and the design's shifts (to check the sized workforce against).
    """
    model = cp_model.CpModel()
    dv = add_design_model(model, problem, problem.capacity(), workforce_limits=True)
    hired = _hired_tours(model, dv, pool, work_days)
    model.minimize(sum(hired))
    solver = _solver(seed, time_limit_seconds)
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        raise InfeasibleError(
            f"the hard floor cannot be staffed even with {len(pool)} extra part-timers: the "
            "workforce's weekly rules (days and hours, rest, days off in a row, availability) "
            "and the floors of min_interval_service_level_hard cannot hold together"
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InfeasibleError(
            f"no workforce meeting the hard floor was found within {time_limit_seconds:g} s "
            f"(solver status {solver.status_name(status)}); raise time_limit_seconds"
        )
    shifts = {key: solver.value(var) for key, var in _shift_vars(problem, dv).items()}
    return round(solver.objective_value), status == cp_model.OPTIMAL, shifts


def _shift_vars(problem: Problem, dv: DesignVars) -> dict[tuple[str, int, int], cp_model.IntVar]:
    """The design's count and break-placement variables by (shift type name, break, offset);
    the names, unlike the indices of classes and tours, are the same for any workforce."""
    names = {s.index: s.name for s in problem.shift_types}
    out = {(names[s], -1, 0): var for s, var in dv.counts.items()}
    for (s, k), by_offset in dv.placements.items():
        for offset, var in by_offset.items():
            out[names[s], k, offset] = var
    return out


def _hired_tours(
    model: cp_model.CpModel, dv: DesignVars, pool: range, work_days: dict[int, int]
) -> list[cp_model.IntVar]:
    """The candidates' tour counts of non-empty weeks; weeks shorter than a hired candidate's
    days are forbidden (the candidates' ``min_days`` was relaxed to 0 to allow not hiring)."""
    days_of_class: dict[int, int] = {}
    for a in pool:
        c = dv.agent_class[a]
        days_of_class[c] = min(days_of_class.get(c, work_days[a]), work_days[a])
    hired = []
    for (c, pattern), var in dv.tours.items():
        if c not in days_of_class or not pattern:
            continue
        if len(pattern) < days_of_class[c]:
            model.add(var == 0)
        else:
            hired.append(var)
    return hired


def _design_status(
    problem: Problem, shifts: Shifts, *, seed: int, time_limit_seconds: float
) -> int:
    """CP-SAT status of the shift design with the workforce's weekly conditions (no objective).

    The sizing model's ``shifts`` are tried first, fixed: the workforce then only has to be
    split into tours, which takes a second where the whole design takes several. When that
    fails (the candidates' hours were relaxed there), the whole design is solved.
    """
    for fixed in (True, False):
        model = cp_model.CpModel()
        dv = add_design_model(model, problem, problem.capacity(), workforce_limits=True)
        if fixed:
            for key, var in _shift_vars(problem, dv).items():
                model.add(var == shifts.get(key, 0))
        status = int(_solver(seed, time_limit_seconds).solve(model))
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return status
    return status


def _solver(seed: int, time_limit_seconds: float) -> cp_model.CpSolver:
    """A CP-SAT solver on one worker: the sequential search gives the same answer every run."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_seconds)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(seed)
    return solver
