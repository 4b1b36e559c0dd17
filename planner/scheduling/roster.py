"""Weekly rosters of named agents: a legal tour per agent (shift per day or day off, breaks placed).

Two methods, measured against each other in ``bench/bench_schedule_e2e.py``:

- ``"two_phase"`` (default): :func:`~planner.scheduling.design.design_shifts` solves the aggregate
  design (counts per shift type, breaks placed, tours of worked days per class of identical
  agents) and proves a bound; then named agents are assigned to exactly those shifts (contracts,
  availability, days off, rest, days-off blocks, start-time stability), a feasibility problem
  with a small objective (overtime, start-time spread), warm-started by a day-by-day construction
  (:func:`~planner.scheduling.greedy.assign_design`). The design relaxes the roster problem, so
  its bound is a valid bound of the roster and the roster's gap is proven. When the exact
  assignment is not found in its time share, the agent-level model below is solved instead,
  warm-started by a legal greedy week.
- ``"single"``: one agent-level model with the coverage objective over every shift type.

Time split of ``time_limit_seconds``: design 60 % (the LP relaxation by HiGHS for a bound and the
shift types its optimum uses, CP-SAT on those types, then on the whole design model from that
complete hint), exact assignment up to 15 %, the rest to the fallback when needed. When CP-SAT
runs out of time in the exact assignment, the constructed assignment (sorted matching per class of
identical agents) is kept if the independent checker finds it legal. Breaks are placed per shift
type in aggregate and handed to the agents working that shift type in order (the i-th agent gets
the i-th earliest placement of every break, which respects the minimum gaps by construction of
the placement constraints).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.errors import InputError
from planner.progress import ProgressCallback
from planner.scheduling import builders as b
from planner.scheduling.design import (
    ShiftDesign,
    add_design_model,
    design_for_problem,
    design_values,
    heads_per_slot,
    hint_design,
    summarise,
)
from planner.scheduling.greedy import assign_by_class, assign_design, greedy_roster
from planner.scheduling.outputs import (
    ACTIVITY_COLUMNS,
    ROSTER_COLUMNS,
    ScheduleSummary,
    coverage_frame,
)
from planner.scheduling.problem import (
    Problem,
    SolveEvent,
    SolveStats,
    hint_by_fixing,
    prepare_problem,
    shifts_by_day,
    solve_model,
)
from planner.scheduling.rules import ScheduleRules

__all__ = ["RosterResult", "RosterVars", "add_roster_model", "build_roster", "roster_objective"]

METHODS = ("two_phase", "single")
DESIGN_SHARE = 0.6
"""Share of ``time_limit_seconds`` for the design phase of "two_phase"."""
ASSIGNMENT_SHARE = 0.15
"""Most of ``time_limit_seconds`` for the exact assignment of the design to named agents."""


@dataclass(frozen=True)
class RosterResult:
    """The result of :func:`build_roster`.

    ``roster``: :data:`~planner.scheduling.outputs.ROSTER_COLUMNS`, one row per agent per worked
    day; ``activities``: one row per break/lunch; ``coverage``: one row per interval; ``summary``:
    paid hours, cost, objective, proven bound and gap, status, seconds; ``stats``: each solve;
    ``events``: every improving solution (objective, bound, gap) in order.
    """

    roster: pd.DataFrame
    activities: pd.DataFrame
    coverage: pd.DataFrame
    summary: ScheduleSummary
    design: ShiftDesign | None
    stats: tuple[SolveStats, ...]
    events: tuple[SolveEvent, ...] = field(default=())


@dataclass
class RosterVars:
    """Agent-level variables: ``work[a, s]`` and ``works_day[a, d]`` booleans."""

    work: dict[tuple[int, int], cp_model.IntVar]
    works_day: dict[tuple[int, int], cp_model.IntVar]
    terms: b.ObjectiveTerms


def add_roster_model(
    model: cp_model.CpModel,
    problem: Problem,
    allowed: Mapping[int, Sequence[int]],
    enforce: b.EnforceFn | None = None,
) -> RosterVars:
    """Add every agent-level rule family for the agents of ``problem`` over ``allowed`` types."""
    rules = problem.rules
    agents = rules.agents
    types = problem.shift_types
    n_days = problem.grid.n_days
    work, works_day = b.add_agent_assignment(model, agents, types, allowed, n_days)
    terms: b.ObjectiveTerms = []
    terms += b.add_days_per_week(model, agents, works_day, n_days, enforce)
    terms += b.add_hours_per_week(model, agents, work, types, rules.costs, n_days, enforce)
    rest_slots = math.ceil(rules.weekly.min_rest_hours * 60 / problem.interval_minutes - 1e-9)
    for a, agent in enumerate(agents):
        mine = {s: work[a, s] for s in allowed[a]}
        b.add_min_rest(model, shifts_by_day(types, mine), rest_slots, 1, agent.agent_id, enforce)
    terms += b.add_consecutive_days_off(
        model, agents, works_day, n_days, rules.weekly.min_consecutive_days_off, enforce
    )
    terms += b.add_start_time_stability(
        model,
        agents,
        work,
        works_day,
        types,
        n_days,
        rules.weekly.start_time_tolerance_minutes,
        rules.costs,
        enforce,
    )
    return RosterVars(work, works_day, terms)


def _previous_shifts(previous_roster: pd.DataFrame | None, problem: Problem) -> pd.DataFrame | None:
    if previous_roster is None:
        return None
    for col in ("agent_id", "shift_start", "shift_end"):
        if col not in previous_roster.columns:
            raise InputError(f"previous roster: column {col!r} is missing")
    frame = previous_roster[["agent_id", "shift_start", "shift_end"]].copy()
    tz = problem.grid.tz
    for col in ("shift_start", "shift_end"):
        values = frame[col]
        if not isinstance(values.dtype, pd.DatetimeTZDtype):
            try:
                values = pd.to_datetime(values, utc=True)
            except (ValueError, TypeError):
                raise InputError(
                    f"previous roster: {col} must be timestamps with a UTC offset, "
                    f"got {values.iloc[0]!r}"
                ) from None
        frame[col] = values.dt.tz_convert(tz)
    frame["agent_id"] = frame["agent_id"].astype(str)
    return frame


def _restrict_by_previous(problem: Problem, previous: pd.DataFrame | None) -> dict[int, list[int]]:
    """Allowed shift types after rest from last week's final shift and alternate weekends off."""
    allowed = {a: list(v) for a, v in problem.allowed.items()}
    if previous is None:
        return allowed
    rules = problem.rules
    rest = pd.Timedelta(hours=rules.weekly.min_rest_hours)
    last_end = previous.groupby("agent_id")["shift_end"].max()
    worked_weekend = set(previous.loc[previous["shift_start"].dt.day_of_week >= 5, "agent_id"])
    for a, agent in enumerate(rules.agents):
        keep = allowed[a]
        if agent.agent_id in last_end.index:
            earliest = last_end[agent.agent_id] + rest
            keep = [s for s in keep if problem.shift_types[s].start >= earliest]
        if rules.weekly.alternate_weekends_off and agent.agent_id in worked_weekend:
            keep = [s for s in keep if problem.grid.dates[problem.shift_types[s].day].weekday() < 5]
        allowed[a] = keep
    return allowed


def _previous_hint(
    problem: Problem, previous: pd.DataFrame | None, allowed: Mapping[int, Sequence[int]]
) -> dict[tuple[int, int], int]:
    """work[a, s] = 1 where agent a worked the same weekday, clock start and length last week."""
    if previous is None:
        return {}
    key_of: dict[tuple[int, int, int], int] = {}
    for shift in problem.shift_types:
        weekday = problem.grid.dates[shift.day].weekday()
        key_of[weekday, shift.start_clock_minutes, shift.length_minutes] = shift.index
    clock = previous["shift_start"].dt.hour * 60 + previous["shift_start"].dt.minute
    length = (previous["shift_end"] - previous["shift_start"]) // pd.Timedelta(minutes=1)
    keys = zip(
        previous["agent_id"], previous["shift_start"].dt.day_of_week, clock, length, strict=True
    )
    worked = {(agent, int(wd), int(c), int(n)) for agent, wd, c, n in keys}
    index = {agent.agent_id: a for a, agent in enumerate(problem.rules.agents)}
    hint: dict[tuple[int, int], int] = {}
    for agent_id, wd, c, n in worked:
        s = key_of.get((wd, c, n))
        a = index.get(agent_id)
        if s is not None and a is not None and s in set(allowed[a]):
            hint[a, s] = 1
    return hint


def _distribute_breaks(
    problem: Problem,
    assignment: Mapping[int, list[int]],
    placements: Mapping[tuple[int, int], Mapping[int, int]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Roster and activities frames: agents of a shift type take its placements in order."""
    rules = problem.rules
    templates = {t.name: t for t in rules.shift_templates}
    step = pd.Timedelta(minutes=problem.interval_minutes)
    rows, acts = [], []
    for s_idx, agent_indices in sorted(assignment.items()):
        s = problem.shift_types[s_idx]
        template = templates[s.template]
        date = problem.grid.dates[s.day]
        per_break = []
        for k in range(len(s.break_offsets)):
            offs = sorted(placements.get((s_idx, k), {}).items())
            expanded = [o for o, n in offs for _ in range(n)]
            per_break.append(expanded)
        for i, a in enumerate(sorted(agent_indices, key=lambda x: rules.agents[x].agent_id)):
            agent_id = rules.agents[a].agent_id
            row = {
                "agent_id": agent_id,
                "date": date,
                "template": s.template,
                "shift_start": s.start,
                "shift_end": s.end,
                "paid_minutes": s.paid_minutes,
            }
            paid_seen = 0
            unpaid_seen = 0
            for k, rule in enumerate(template.breaks):
                start = s.start + per_break[k][i] * step
                end = start + s.break_slots[k] * step
                acts.append((agent_id, date, rule.name, rule.paid, start, end))
                if rule.paid:
                    prefix = ("break", "second_break")[paid_seen] if paid_seen < 2 else None
                    paid_seen += 1
                else:
                    prefix = "lunch" if unpaid_seen == 0 else None
                    unpaid_seen += 1
                if prefix:
                    row[f"{prefix}_start"] = start
                    row[f"{prefix}_end"] = end
            rows.append(row)
    roster = pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))
    tz = problem.grid.tz
    for col in ROSTER_COLUMNS[6:]:
        roster[col] = pd.to_datetime(roster[col], utc=True).dt.tz_convert(tz)
    roster = roster.sort_values(["agent_id", "shift_start"]).reset_index(drop=True)
    activities = pd.DataFrame(acts, columns=list(ACTIVITY_COLUMNS))
    activities = activities.sort_values(["agent_id", "start"]).reset_index(drop=True)
    return roster, activities


def roster_objective(
    problem: Problem, heads: np.ndarray, assignment: Mapping[int, list[int]]
) -> float:
    """The roster's objective in money units, recomputed from the solution (not the model):
    under-coverage curves, over-coverage, paid hours, overtime and start-time spread."""
    rules = problem.rules
    costs = rules.costs
    hours = problem.interval_minutes / 60.0
    units = 0
    for t in range(problem.grid.n_slots):
        r = int(problem.required[t])
        if r > 0:
            curve = np.rint(np.asarray(problem.curves[t]) * b.SCALE).astype(np.int64)
            units += b.piecewise_cost_value(curve, max(r - int(heads[t]), 0))
    over_units = b.to_units(costs.over_coverage_hour * hours)
    if over_units:
        units += over_units * int(
            sum(
                max(int(heads[t]) - int(problem.required[t]), 0)
                for t in range(problem.grid.n_slots)
                if heads[t] > 0
            )
        )
    per_agent_minutes: dict[int, int] = defaultdict(int)
    clocks: dict[int, list[int]] = defaultdict(list)
    for s_idx, agent_indices in assignment.items():
        s = problem.shift_types[s_idx]
        units += len(agent_indices) * b.to_units(costs.paid_hour * s.paid_minutes / 60.0)
        for a in agent_indices:
            per_agent_minutes[a] += s.paid_minutes
            clocks[a].append(s.start_clock_minutes)
    extra = costs.overtime_hour - costs.paid_hour
    per_hour = b.to_units(costs.start_time_change_hour)
    for a, agent in enumerate(rules.agents):
        if extra > 0 and agent.max_hours > agent.contract_hours:
            overtime = max(per_agent_minutes[a] - round(agent.contract_hours * 60), 0)
            units += overtime * b.to_units(extra / 60.0)
        if per_hour and clocks[a]:
            units += (max(clocks[a]) - min(clocks[a])) * max(1, round(per_hour / 60))
    return units / b.SCALE


def _by_type(per_agent: Mapping[int, Sequence[int]]) -> dict[int, list[int]]:
    """``{agent: [shift types]}`` -> ``{shift type: [agents]}``."""
    out: dict[int, list[int]] = defaultdict(list)
    for a, chosen in per_agent.items():
        for s in chosen:
            out[s].append(a)
    return dict(out)


def _legal(
    problem: Problem,
    assignment: Mapping[int, list[int]],
    placements: Mapping[tuple[int, int], Mapping[int, int]],
    previous_roster: pd.DataFrame | None,
) -> bool:
    """Whether the independent checker finds no violation in the roster of ``assignment``."""
    from planner.scheduling.checker import check_roster

    roster, activities = _distribute_breaks(problem, assignment, placements)
    found = check_roster(
        roster,
        activities,
        problem.rules,
        dates=problem.grid.dates,
        interval_minutes=problem.interval_minutes,
        previous_roster=previous_roster,
    )
    return found.empty


def _assignment_of(solver: cp_model.CpSolver, rv: RosterVars) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for (a, s), var in rv.work.items():
        if solver.boolean_value(var):
            out[s].append(a)
    return dict(out)


def build_roster(
    requirements: pd.DataFrame,
    rules: ScheduleRules,
    *,
    previous_roster: pd.DataFrame | None = None,
    time_limit_seconds: float = 60.0,
    seed: int = 0,
    num_workers: int | None = None,
    progress: ProgressCallback | None = None,
    on_solution: Callable[[SolveEvent], None] | None = None,
    method: str = "two_phase",
    interval_minutes: int | None = None,
) -> RosterResult:
    """Build the week's roster of named agents for the requirements.

    Parameters
    ----------
    requirements : DataFrame
        As for :func:`~planner.scheduling.design.design_shifts` (queues pooled: every agent
        serves the sum over queues in this first version).
    rules : ScheduleRules
        Templates, weekly rules, costs and the agents.
    previous_roster : DataFrame, optional
        Last week's roster (agent_id, shift_start, shift_end): rest across the week boundary,
        alternate weekends off, and a warm start (last week's design as a complete hint of the
        design phase; the same weekday/start per agent as the assignment hint).
    time_limit_seconds : float
        Total CP-SAT time over all phases (seconds).
    seed, num_workers
        Fixed ``random_seed``; workers default to the CPU count. The same seed reproduces the
        roster when the solve ends by proof or with ``num_workers=1``; with several workers
        stopped by the time limit, CP-SAT's parallel search is not deterministic.
    progress, on_solution
        Progress callback and a hook receiving each improving solution (:class:`SolveEvent`).
    method : {"two_phase", "single"}
        Design then assignment, or one agent-level model.

    Returns
    -------
    RosterResult
        The best roster found (on timeout, the best so far with its proven gap).

    Raises
    ------
    InputError
        Bad requirements or previous roster; an unknown ``method``.
    InfeasibleError
        The hard rules cannot all be met, explained in planner words.
    """
    from planner.scheduling.explain import explain_infeasible, explain_roster_infeasible, precheck

    if method not in METHODS:
        raise InputError(f"build_roster: method must be one of {METHODS}, got {method!r}")
    started = time.perf_counter()
    problem = prepare_problem(requirements, rules, interval_minutes=interval_minutes)
    previous = _previous_shifts(previous_roster, problem)
    allowed = _restrict_by_previous(problem, previous)
    problem = Problem(**{**problem.__dict__, "allowed": allowed})
    precheck(problem)
    events: list[SolveEvent] = []

    def record(event: SolveEvent) -> None:
        events.append(event)
        if on_solution is not None:
            on_solution(event)

    def remaining() -> float:
        return max(time_limit_seconds - (time.perf_counter() - started), 1.0)

    stats_list: list[SolveStats] = []
    design: ShiftDesign | None = None
    assignment: dict[int, list[int]] | None = None
    placements: Mapping[tuple[int, int], Mapping[int, int]] = {}
    bound = float("nan")
    hint_work = _previous_hint(problem, previous, allowed)

    if method == "two_phase":
        design_hint = _design_hint_from(problem, hint_work) if hint_work else None
        design = design_for_problem(
            problem,
            time_limit_seconds=DESIGN_SHARE * time_limit_seconds,
            seed=seed,
            num_workers=num_workers,
            progress=progress,
            on_solution=record,
            hint=design_hint,
        )
        stats_list.append(design.stats)
        bound = design.stats.best_bound
        # phase 2: exactly the designed shifts for named agents
        support = set(design.counts)
        sub_allowed = {a: [s for s in v if s in support] for a, v in allowed.items()}
        model = cp_model.CpModel()
        rv = add_roster_model(model, problem, sub_allowed)
        by_type: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (_a, s), var in rv.work.items():
            by_type[s].append(var)
        for s, c in design.counts.items():
            model.add(sum(by_type[s]) == c).with_name(f"designed_{problem.shift_types[s].name}")
        constructed, complete = None, False
        if design.class_types:
            constructed, complete = assign_by_class(
                problem, design.class_types, design.agent_class, design.agent_days
            )
        if not complete and design.agent_days:
            constructed, complete = assign_design(
                problem, design.counts, design.agent_days, sub_allowed
            )
        if constructed is not None:
            chosen = {(a, s) for a, types in constructed.items() for s in types}
            fixes = [(var, int(key in chosen)) for key, var in rv.work.items()]
            if not complete or not hint_by_fixing(
                model,
                rv.terms,
                fixes,
                time_limit_seconds=0.05 * time_limit_seconds,
                seed=seed,
                num_workers=num_workers,
            ):
                for key, var in rv.work.items():
                    model.add_hint(var, int(key in chosen))
        else:
            for key, value in hint_work.items():
                if key in rv.work:
                    model.add_hint(rv.work[key], value)
        solver, stats = solve_model(
            model,
            rv.terms,
            phase="assignment",
            time_limit_seconds=min(remaining(), ASSIGNMENT_SHARE * time_limit_seconds),
            seed=seed,
            num_workers=num_workers,
            progress=progress,
            on_solution=record,
        )
        stats_list.append(stats)
        if stats.status not in ("OPTIMAL", "FEASIBLE"):
            record(
                SolveEvent(
                    "assignment " + stats.status.lower(),
                    stats.seconds,
                    float("nan"),
                    float("nan"),
                    float("nan"),
                )
            )
        if stats.status in ("OPTIMAL", "FEASIBLE"):
            assignment = _assignment_of(solver, rv)
            placements = design.placements
            status = (
                "OPTIMAL"
                if design.stats.status == "OPTIMAL" and stats.status == "OPTIMAL"
                else "FEASIBLE"
            )
            method_used = "two_phase"
        elif complete and constructed is not None:
            # CP-SAT ran out of time (e.g. in presolve on a loaded machine), but the sorted
            # matching placed every designed shift: keep it if the independent checker agrees
            built = _by_type(constructed)
            if _legal(problem, built, design.placements, previous_roster):
                assignment = built
                placements = design.placements
                status = "FEASIBLE"
                method_used = "two_phase"
                record(
                    SolveEvent(
                        "assignment constructed",
                        time.perf_counter() - started,
                        float("nan"),
                        float("nan"),
                        float("nan"),
                    )
                )
    if assignment is None:
        # one agent-level model (method "single", or the two-phase fallback hinted by the design)
        model = cp_model.CpModel()
        dv = add_design_model(model, problem, problem.capacity(), workforce_limits=False)
        rv = add_roster_model(model, problem, allowed)
        by_type = defaultdict(list)
        for (_a, s), var in rv.work.items():
            by_type[s].append(var)
        for s, var in dv.counts.items():
            model.add(var == sum(by_type[s]))
        legal = greedy_roster(problem)
        if legal is not None:
            # a legal week per agent, completed into a full feasible hint
            chosen = {(a, s) for a, types in legal.items() for s in types}
            fixes = [(var, int(key in chosen)) for key, var in rv.work.items()]
            hint_by_fixing(
                model,
                dv.terms + rv.terms,
                fixes,
                time_limit_seconds=0.2 * remaining(),
                seed=seed,
                num_workers=num_workers,
            )
        elif design is not None:
            hint_design(model, problem, dv, design.counts, design.placements)
        phase = "single" if method == "single" else "assignment-fallback"
        solver, stats = solve_model(
            model,
            dv.terms + rv.terms,
            phase=phase,
            time_limit_seconds=remaining(),
            seed=seed,
            num_workers=num_workers,
            progress=progress,
            on_solution=record,
        )
        stats_list.append(stats)
        if stats.status not in ("OPTIMAL", "FEASIBLE"):
            if stats.status == "INFEASIBLE":
                raise explain_roster_infeasible(
                    problem, allowed, seed=seed, num_workers=num_workers
                )
            raise explain_infeasible(problem, stats)
        assignment = _assignment_of(solver, rv)
        _counts, placements = design_values(solver, dv)
        status = stats.status
        bound = stats.best_bound if design is None else max(bound, stats.best_bound)
        method_used = phase

    counts = {s: len(v) for s, v in assignment.items()}
    heads = heads_per_slot(problem, counts, placements)
    roster, activities = _distribute_breaks(problem, assignment, placements)
    objective = roster_objective(problem, heads, assignment)
    total_stats = SolveStats(
        phase=method_used,
        status=status,
        objective=objective,
        best_bound=bound,
        gap=max((objective - bound) / objective, 0.0) if objective else 0.0,
        seconds=time.perf_counter() - started,
        events=tuple(events),
    )
    paid = float(roster["paid_minutes"].sum())
    summary = summarise(
        problem,
        total_stats,
        heads,
        paid,
        method_used,
        len(roster),
        int(roster["agent_id"].nunique()),
    )
    coverage = coverage_frame(problem.grid.slot_starts, problem.required, heads, problem.queues)
    return RosterResult(
        roster, activities, coverage, summary, design, tuple(stats_list), tuple(events)
    )


def _design_hint_from(
    problem: Problem, hint_work: Mapping[tuple[int, int], int]
) -> tuple[dict[int, int], dict[tuple[int, int], dict[int, int]]]:
    """A complete design hint from last week's shifts: counts per type, breaks spread evenly."""
    counts: dict[int, int] = defaultdict(int)
    for (_a, s), v in hint_work.items():
        counts[s] += v
    placements: dict[tuple[int, int], dict[int, int]] = {}
    for s_idx, c in counts.items():
        shift = problem.shift_types[s_idx]
        earliest = 0
        for k, offsets in enumerate(shift.break_offsets):
            # each break at its earliest offset after the previous one and its gap
            if k:
                earliest += shift.break_slots[k - 1] + shift.break_gap_slots[k]
            offset = next(o for o in offsets if o >= earliest)
            placements[s_idx, k] = {offset: c}
            earliest = offset
    return dict(counts), placements
