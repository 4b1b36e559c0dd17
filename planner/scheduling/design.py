"""Shift design: how many of which shift at which start, with breaks placed (aggregate model).

Identical people are aggregated into counts: one integer per shift type (template x day x start x
length) and one per (shift type, break, offset). The objective is the service-level-aware
under-coverage cost, over-coverage and paid hours (plus a lower bound of overtime). The
workforce enters only through necessary conditions (per-type and per-day headcount, weekly day
and hour totals per template set, minimum rest between days), so the design's proven bound is a
valid lower bound for the roster of named agents built from it (:mod:`planner.scheduling.roster`).
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.progress import ProgressCallback
from planner.scheduling import builders as b
from planner.scheduling.outputs import SHIFT_COLUMNS, ScheduleSummary, coverage_frame
from planner.scheduling.problem import (
    Problem,
    SolveEvent,
    SolveStats,
    hint_by_fixing,
    lp_relaxation,
    prepare_problem,
    shifts_by_day,
    solve_model,
)
from planner.scheduling.rules import ScheduleRules

HINT_SHARE = 0.2
"""Most of the time limit spent turning a legal week per agent into a complete hint."""
LP_SHARE = 0.25
"""Most of the time limit spent on the LP relaxation (bound and support)."""
SUPPORT_SHARE = 0.75
"""Most of the time limit spent on the model restricted to the shift types the LP optimum uses."""

__all__ = ["DesignVars", "ShiftDesign", "add_design_model", "design_shifts", "heads_per_slot"]


@dataclass
class DesignVars:
    """Variables of the aggregate part of a model."""

    counts: dict[int, cp_model.IntVar]
    placements: dict[tuple[int, int], dict[int, cp_model.IntVar]]
    coverage: b.CoverageVars
    terms: b.VariableTerms
    overtime_minutes: cp_model.IntVar | None
    tours: dict[tuple[int, tuple[int, ...]], cp_model.IntVar] = field(default_factory=dict)
    agent_class: dict[int, int] = field(default_factory=dict)
    class_counts: dict[int, dict[int, cp_model.IntVar]] = field(default_factory=dict)


@dataclass(frozen=True)
class ShiftDesign:
    """The result of :func:`design_shifts`.

    ``shifts`` has :data:`~planner.scheduling.outputs.SHIFT_COLUMNS` (one row per shift type used,
    with its ``count``); ``breaks`` has (date, template, shift_start, activity, start, end, count);
    ``coverage`` one row per interval; ``counts``/``placements`` are the raw solution by shift type
    index (used by the roster phase).
    """

    shifts: pd.DataFrame
    breaks: pd.DataFrame
    coverage: pd.DataFrame
    summary: ScheduleSummary
    stats: SolveStats
    problem: Problem
    counts: Mapping[int, int]
    placements: Mapping[tuple[int, int], Mapping[int, int]]
    agent_days: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    """Worked days of each agent index consistent with the design's tour counts (may be empty)."""
    class_types: Mapping[int, Mapping[int, int]] = field(default_factory=dict)
    """Per class of identical agents, how many of its members work each shift type."""
    agent_class: Mapping[int, int] = field(default_factory=dict)
    """The class of each agent index."""


def add_design_model(
    model: cp_model.CpModel,
    problem: Problem,
    upper_bounds: Mapping[int, int],
    *,
    workforce_limits: bool = True,
    enforce: b.EnforceFn | None = None,
) -> DesignVars:
    """Add counts, break placements, coverage costs, paid hours, break stagger and (optionally)
    the aggregate workforce conditions to ``model``; returns the variables and objective terms."""
    types = problem.shift_types
    rules = problem.rules
    counts = b.add_shift_counts(model, types, upper_bounds)
    placements = b.add_break_placements(model, types, counts, upper_bounds)
    on_shift, on_break = b.coverage_terms(problem.grid, types, counts, placements)
    max_heads = max(len(rules.agents) if workforce_limits else sum(upper_bounds.values()), 1)
    cov, terms = b.add_coverage_costs(
        model,
        problem.required,
        problem.curves,
        on_shift,
        on_break,
        rules.costs,
        problem.interval_minutes,
        max_heads,
    )
    if rules.hard_coverage:
        for t, under in cov.under.items():
            ct = model.add(under == 0).with_name(f"hard_coverage_slot{t}")
            if enforce is not None:
                ct.only_enforce_if(enforce("coverage", str(t)))
    if problem.floor_heads is not None:
        b.add_floor_heads(model, cov, problem.required, problem.floor_heads, enforce)
    terms += b.add_paid_hours_cost(types, counts, rules.costs)
    terms += b.add_break_stagger(model, on_shift, on_break, rules.weekly.max_on_break_share)
    dv = DesignVars(counts, placements, cov, terms, None)
    if workforce_limits:
        dv.overtime_minutes, more = _add_workforce_limits(model, problem, counts, dv)
        terms += more
    return dv


def day_patterns(
    available_days: Sequence[int], n_days: int, min_days: int, max_days: int, min_block_off: int
) -> list[tuple[int, ...]]:
    """Every set of worked days allowed by the day counts and the days-off block rule."""
    out = []
    for r in range(min_days, min(max_days, len(available_days)) + 1):
        for days in itertools.combinations(sorted(available_days), r):
            if min_block_off and min_block_off <= n_days:
                run = best = 0
                for d in range(n_days):
                    run = 0 if d in days else run + 1
                    best = max(best, run)
                if best < min_block_off:
                    continue
            out.append(days)
    return out


def _add_workforce_limits(
    model: cp_model.CpModel, problem: Problem, counts: Mapping[int, cp_model.IntVar], dv: DesignVars
) -> tuple[cp_model.IntVar | None, b.VariableTerms]:
    """Necessary conditions for a design to be rosterable by the named agents.

    Agents with the same eligibility and contract form a class; each class gets one count per
    pattern of worked days (days per week, days-off block). Every person working a day works one
    shift, so the shifts of a day equal the people working it, per set of templates between the
    classes confined to it and those touching it; minimum rest between two days binds the people
    working both; weekly paid hours are bounded per template set.
    """
    rules = problem.rules
    agents = rules.agents
    types = problem.shift_types
    n_days = problem.grid.n_days
    prorate = min(1.0, n_days / 7)
    all_templates = frozenset(t.name for t in rules.shift_templates)
    classes: dict[tuple, list[int]] = defaultdict(list)
    for a, agent in enumerate(agents):
        key = (
            tuple(problem.allowed[a]),
            agent.min_days,
            agent.max_days,
            agent.templates,
        )
        classes[key].append(a)
    working: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)  # day -> (class, var)
    both: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    class_templates: list[frozenset[str]] = []
    for c, (key, members) in enumerate(classes.items()):
        agent = agents[members[0]]
        class_templates.append(frozenset(agent.templates or all_templates))
        available = sorted({types[s].day for s in key[0]})
        min_days = agent.min_days if n_days >= 7 else math.floor(agent.min_days * prorate)
        patterns = day_patterns(
            available, n_days, min_days, agent.max_days, rules.weekly.min_consecutive_days_off
        )
        if not patterns:
            model.add_bool_or([])  # infeasible; precheck names the agent
            continue
        z = [
            model.new_int_var(0, len(members), f"tour_class{c}_days{''.join(map(str, p))}")
            for p in patterns
        ]
        model.add(sum(z) == len(members))
        for a in members:
            dv.agent_class[a] = c
        for p, var in zip(patterns, z, strict=True):
            dv.tours[c, p] = var
        for p, var in zip(patterns, z, strict=True):
            for d in p:
                working[d].append((c, var))
            for i, d in enumerate(p):
                for d2 in p[i + 1 :]:
                    both[d, d2].append(var)
    people = {d: sum(v for _, v in working[d]) for d in range(n_days)}
    # per class of identical agents: how many of them work each shift type (exact for
    # availability; each working member works one of its allowed types that day), and the rest
    # between days within the class
    rest_slots = math.ceil(rules.weekly.min_rest_hours * 60 / problem.interval_minutes - 1e-9)
    by_type: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for c, (key, members) in enumerate(classes.items()):
        if c >= len(class_templates) or not any(k[0] == c for k in dv.tours):
            continue
        y = {
            s_idx: model.new_int_var(0, len(members), f"class{c}_{types[s_idx].name}")
            for s_idx in key[0]
        }
        dv.class_counts[c] = y
        for s_idx, var in y.items():
            by_type[s_idx].append(var)
        per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for s_idx, var in y.items():
            per_day[types[s_idx].day].append(var)
        works_c = {d: sum(v for cc, v in working[d] if cc == c) for d in range(n_days)}
        both_c: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for (cc, pattern), var in dv.tours.items():
            if cc == c:
                for i, d in enumerate(pattern):
                    for d2 in pattern[i + 1 :]:
                        both_c[d, d2].append(var)
        for d in range(n_days):
            model.add(sum(per_day[d]) == works_c[d])

        def class_capacity(d: int, d2: int, works_c=works_c, both_c=both_c) -> cp_model.LinearExprT:
            return works_c[d] + works_c[d2] - sum(both_c[d, d2])

        b.add_min_rest(model, shifts_by_day(types, y), rest_slots, class_capacity, f"class{c}")
    for s in types:
        if s.index in counts:
            model.add(sum(by_type[s.index]) == counts[s.index])
    # shifts per day == people working that day, and per template set
    template_sets = set(class_templates) | {all_templates}
    for tset in template_sets:
        for d in range(n_days):
            vars_d = [counts[s.index] for s in types if s.template in tset and s.day == d]
            inside = [v for c, v in working[d] if class_templates[c] <= tset]
            touching = [v for c, v in working[d] if class_templates[c] & tset]
            if tset == all_templates:
                model.add(sum(vars_d) == sum(touching)).with_name(f"people_day{d}")
            else:
                model.add(sum(vars_d) >= sum(inside))
                model.add(sum(vars_d) <= sum(touching))
        minutes_t = [(s.paid_minutes, counts[s.index]) for s in types if s.template in tset]
        if minutes_t:
            inside_a = [a for a in agents if frozenset(a.templates or all_templates) <= tset]
            touching_a = [a for a in agents if frozenset(a.templates or all_templates) & tset]
            paid = sum(m * v for m, v in minutes_t)
            model.add(paid >= math.ceil(sum(a.min_hours for a in inside_a) * 60 * prorate - 1e-9))
            model.add(paid <= round(sum(a.max_hours for a in touching_a) * 60))

    # minimum rest: people ending late on d and starting early on d2 are different people
    def rest_capacity(d: int, d2: int) -> cp_model.LinearExprT:
        return people[d] + people[d2] - sum(both[d, d2])

    b.add_min_rest(model, shifts_by_day(types, counts), rest_slots, rest_capacity, "all")
    # overtime lower bound: total paid minutes above the total contract minutes
    extra = rules.costs.overtime_hour - rules.costs.paid_hour
    if extra <= 0 or not any(a.max_hours > a.contract_hours for a in agents):
        return None, []
    total_paid = sum(s.paid_minutes * counts[s.index] for s in types)
    contract = round(sum(a.contract_hours for a in agents) * 60)
    headroom = round(sum(max(a.max_hours - a.contract_hours, 0) for a in agents) * 60)
    overtime = model.new_int_var(0, max(headroom, 0), "overtime_min_total")
    model.add(overtime >= total_paid - contract)
    return overtime, [(overtime, b.to_units(extra / 60.0))]


def heads_per_slot(
    problem: Problem,
    counts: Mapping[int, int],
    placements: Mapping[tuple[int, int], Mapping[int, int]],
) -> np.ndarray:
    """Heads on the phones per slot (on shift and not on a break), shape (n_slots,)."""
    delta = np.zeros(problem.grid.n_slots + 1, dtype=np.int64)
    n = problem.grid.n_slots
    for s in problem.shift_types:
        c = counts.get(s.index, 0)
        if not c:
            continue
        delta[max(s.start_slot, 0)] += c
        delta[min(s.end_slot, n)] -= c
        for k in range(len(s.break_offsets)):
            for o, nb in placements.get((s.index, k), {}).items():
                if nb:
                    first = s.start_slot + o
                    delta[max(first, 0)] -= nb
                    delta[min(first + s.break_slots[k], n)] += nb
    return np.cumsum(delta)[:n]


def hint_design(
    model: cp_model.CpModel,
    problem: Problem,
    dv: DesignVars,
    counts: Mapping[int, int],
    placements: Mapping[tuple[int, int], Mapping[int, int]],
    days_worked: Mapping[int, Sequence[int]] | None = None,
) -> None:
    """Hint every design variable from a known solution (complete when ``days_worked``, each
    agent's worked days, is given for the tour counts)."""
    for s, var in dv.counts.items():
        model.add_hint(var, int(counts.get(s, 0)))
    for key, vars_k in dv.placements.items():
        got = placements.get(key, {})
        for o, var in vars_k.items():
            model.add_hint(var, int(got.get(o, 0)))
    heads = heads_per_slot(problem, counts, placements)
    for t, var in dv.coverage.under.items():
        under = max(int(problem.required[t] - heads[t]), 0)
        model.add_hint(var, under)
        model.add_hint(
            dv.coverage.under_cost[t], b.piecewise_cost_value(dv.coverage.curves_units[t], under)
        )
    for t, var in dv.coverage.over.items():
        model.add_hint(var, max(int(heads[t] - problem.required[t]), 0))
    if dv.tours and days_worked is not None:
        tally: dict[tuple[int, tuple[int, ...]], int] = defaultdict(int)
        for a, days in days_worked.items():
            tally[dv.agent_class[a], tuple(sorted(days))] += 1
        for tour_key, var in dv.tours.items():
            model.add_hint(var, tally.get(tour_key, 0))
    if dv.overtime_minutes is not None:
        total = sum(problem.shift_types[s].paid_minutes * c for s, c in counts.items())
        contract = round(sum(a.contract_hours for a in problem.rules.agents) * 60)
        model.add_hint(dv.overtime_minutes, max(total - contract, 0))


def hint_from_assignment(
    problem: Problem, assignment: Mapping[int, Sequence[int]]
) -> tuple[dict[int, int], dict[tuple[int, int], dict[int, int]], dict[int, list[int]]]:
    """Counts, break placements (spread over the windows) and worked days of an assignment
    ``{agent index: [shift type indices]}``, as used by :func:`hint_design`."""
    counts: dict[int, int] = defaultdict(int)
    days_worked: dict[int, list[int]] = {}
    for a, chosen in assignment.items():
        days_worked[a] = [problem.shift_types[s].day for s in chosen]
        for s in chosen:
            counts[s] += 1
    placements: dict[tuple[int, int], dict[int, int]] = {}
    for s_idx, c in counts.items():
        shift = problem.shift_types[s_idx]
        for k in range(len(shift.break_offsets)):
            placements[s_idx, k] = defaultdict(int)
        for i in range(c):
            earliest = 0
            for k, offsets in enumerate(shift.break_offsets):
                if k:
                    earliest += shift.break_slots[k - 1] + shift.break_gap_slots[k]
                valid = [o for o in offsets if o >= earliest]
                # later breaks keep room: stay early enough for the next windows
                offset = valid[i % len(valid)] if k == len(shift.break_offsets) - 1 else valid[0]
                if k < len(shift.break_offsets) - 1:
                    slack = [
                        o
                        for o in valid
                        if o + shift.break_slots[k] + shift.break_gap_slots[k + 1]
                        <= shift.break_offsets[k + 1][-1]
                    ]
                    offset = slack[i % len(slack)] if slack else valid[0]
                placements[s_idx, k][offset] += 1
                earliest = offset
    return dict(counts), {k: dict(v) for k, v in placements.items()}, days_worked


class _Values:
    """A solution vector by proto variable index, read like a solver (``value(var)``)."""

    def __init__(self, solution: Sequence[int]) -> None:
        self.solution = np.asarray(solution, dtype=np.int64)

    def value(self, var: cp_model.IntVar) -> int:
        return int(self.solution[var.index])


def _solve_on_lp_support(
    model: cp_model.CpModel,
    dv: DesignVars,
    lp_values: np.ndarray,
    *,
    time_limit_seconds: float,
    seed: int,
    num_workers: int | None,
    progress: ProgressCallback | None,
    on_solution: Callable[[SolveEvent], None] | None,
) -> tuple[_Values | None, SolveStats | None]:
    """Solve ``model`` with every shift type the LP optimum leaves empty fixed to 0.

    A relaxation-induced neighbourhood: the LP optimum of a week uses a few hundred of the
    thousand shift types, the restricted model is a fraction of the size, and CP-SAT finds
    solutions within a fraction of a percent of the LP bound in seconds where the whole model
    stays near its warm start. Every solution of the restricted model is a solution of the whole
    model (only constraints were added), so it becomes a complete hint. Returns the best
    solution (None when none was found in time) and the solve's statistics.
    """
    used = [var for var in dv.counts.values() if lp_values[var.index] > 1e-6]
    if not used:
        return None, None
    if dv.terms:
        variables, coefficients = zip(*dv.terms, strict=True)
        model.minimize(cp_model.LinearExpr.weighted_sum(list(variables), list(coefficients)))
    restricted = model.clone()
    restricted.clear_hints()
    used_index = {var.index for var in used}
    for var in dv.counts.values():
        if var.index not in used_index:
            restricted.add(restricted.get_int_var_from_proto_index(var.index) == 0)
    solver, stats = solve_model(
        restricted,
        dv.terms,
        phase="design-lp-support",
        time_limit_seconds=time_limit_seconds,
        seed=seed,
        num_workers=num_workers,
        progress=progress,
        on_solution=on_solution,
    )
    if stats.status not in ("OPTIMAL", "FEASIBLE"):
        return None, stats
    return _Values(solver.response_proto.solution), stats


def design_values(
    solver: cp_model.CpSolver | _Values, dv: DesignVars
) -> tuple[dict[int, int], dict[tuple[int, int], dict[int, int]]]:
    """Counts and break placements of the solver's solution (zeros dropped)."""
    counts = {s: int(solver.value(v)) for s, v in dv.counts.items()}
    counts = {s: c for s, c in counts.items() if c}
    placements = {
        key: {o: int(solver.value(v)) for o, v in vars_k.items() if solver.value(v)}
        for key, vars_k in dv.placements.items()
        if key[0] in counts
    }
    return counts, placements


def shift_frames(
    problem: Problem,
    counts: Mapping[int, int],
    placements: Mapping[tuple[int, int], Mapping[int, int]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The design's shifts frame and breaks frame."""
    rows, break_rows = [], []
    step = pd.Timedelta(minutes=problem.interval_minutes)
    templates = {t.name: t for t in problem.rules.shift_templates}
    for s_idx, c in sorted(counts.items()):
        s = problem.shift_types[s_idx]
        date = problem.grid.dates[s.day]
        rows.append((date, s.template, s.start, s.end, s.paid_minutes, c))
        for k, rule in enumerate(templates[s.template].breaks):
            for o, nb in sorted(placements.get((s_idx, k), {}).items()):
                start = s.start + o * step
                break_rows.append(
                    (
                        date,
                        s.template,
                        s.start,
                        rule.name,
                        start,
                        start + s.break_slots[k] * step,
                        nb,
                    )
                )
    shifts = pd.DataFrame(rows, columns=list(SHIFT_COLUMNS))
    breaks = pd.DataFrame(
        break_rows, columns=["date", "template", "shift_start", "activity", "start", "end", "count"]
    )
    return shifts, breaks


def summarise(
    problem: Problem,
    stats: SolveStats,
    heads: np.ndarray,
    paid_minutes: float,
    method: str,
    shifts: int,
    agents_working: int | None,
) -> ScheduleSummary:
    """Headline figures from the heads per slot and the solve statistics."""
    hours = problem.interval_minutes / 60.0
    required = problem.required
    return ScheduleSummary(
        status=stats.status,
        method=method,
        paid_hours=paid_minutes / 60.0,
        required_agent_hours=float(required.sum() * hours),
        scheduled_agent_hours=float(heads.sum() * hours),
        under_agent_hours=float(np.maximum(required - heads, 0).sum() * hours),
        over_agent_hours=float(np.maximum(heads - required, 0).sum() * hours),
        cost=stats.objective,
        objective=stats.objective,
        best_bound=stats.best_bound,
        gap=stats.gap,
        solve_seconds=stats.seconds,
        shifts=shifts,
        agents=len(problem.rules.agents),
        agents_working=agents_working,
    )


def design_shifts(
    requirements: pd.DataFrame,
    rules: ScheduleRules,
    *,
    time_limit_seconds: float = 30.0,
    seed: int = 0,
    num_workers: int | None = None,
    progress: ProgressCallback | None = None,
    on_solution: Callable[[SolveEvent], None] | None = None,
    interval_minutes: int | None = None,
    workforce_limits: bool = True,
    hint: tuple[Mapping[int, int], Mapping[tuple[int, int], Mapping[int, int]]] | None = None,
) -> ShiftDesign:
    """Choose how many of each shift type to staff, with breaks placed, for the requirements.

    Parameters
    ----------
    requirements : DataFrame
        (queue, interval_start, agents_to_schedule[, traffic_erlangs, calls_forecast,
        aht_seconds_forecast, agents_required]) for at most 7 local days; queues are pooled.
    rules : ScheduleRules
        Templates, costs, weekly rules and agents (the agents bound the headcount).
    time_limit_seconds, seed, num_workers
        CP-SAT limits; ``num_workers`` defaults to the CPU count. The same seed and workers give
        the same design.
    progress, on_solution
        Progress callback (``planner.progress``) and a hook receiving each :class:`SolveEvent`.
    workforce_limits : bool
        Add the necessary conditions from the named agents (False: unlimited headcount, e.g.
        to size a workforce).
    hint : (counts, placements), optional
        A known design used as a complete hint (e.g. last week's).

    Returns
    -------
    ShiftDesign
        The best design found and its proven gap (on timeout, the best so far).

    Raises
    ------
    InfeasibleError
        Explained in planner words (see :mod:`planner.scheduling.explain`).
    """
    problem = prepare_problem(requirements, rules, interval_minutes=interval_minutes)
    return design_for_problem(
        problem,
        time_limit_seconds=time_limit_seconds,
        seed=seed,
        num_workers=num_workers,
        progress=progress,
        on_solution=on_solution,
        workforce_limits=workforce_limits,
        hint=hint,
    )


def design_for_problem(
    problem: Problem,
    *,
    time_limit_seconds: float,
    seed: int,
    num_workers: int | None,
    progress: ProgressCallback | None,
    on_solution: Callable[[SolveEvent], None] | None = None,
    workforce_limits: bool = True,
    hint: tuple[Mapping[int, int], Mapping[tuple[int, int], Mapping[int, int]]] | None = None,
) -> ShiftDesign:
    """:func:`design_shifts` on an already prepared :class:`Problem`."""
    from planner.scheduling.explain import explain_infeasible, precheck

    if workforce_limits:
        precheck(problem)
        upper = problem.capacity()
    else:
        big = int(problem.required.max(initial=0)) + 1
        upper = {s.index: big for s in problem.shift_types}
    from planner.scheduling.greedy import greedy_roster

    model = cp_model.CpModel()
    dv = add_design_model(model, problem, upper, workforce_limits=workforce_limits)
    started = time.perf_counter()
    # the LP relaxation first (HiGHS, a few seconds): a proven bound, and the shift types the LP
    # optimum uses, where the integer optimum usually is
    relaxation = lp_relaxation(
        model, dv.terms, time_limit_seconds=max(LP_SHARE * time_limit_seconds, 2.0)
    )
    best: _Values | None = None
    support_stats: SolveStats | None = None
    if relaxation is not None:
        best, support_stats = _solve_on_lp_support(
            model,
            dv,
            relaxation.values,
            time_limit_seconds=SUPPORT_SHARE * time_limit_seconds,
            seed=seed,
            num_workers=num_workers,
            progress=progress,
            on_solution=on_solution,
        )
    hinted = best is not None
    if best is not None:
        model.clear_hints()
        for i, value in enumerate(best.solution):
            model.add_hint(model.get_int_var_from_proto_index(i), int(value))
    if not hinted and hint is not None:
        fixes = [(var, int(hint[0].get(s, 0))) for s, var in dv.counts.items()]
        hinted = hint_by_fixing(
            model,
            dv.terms,
            fixes,
            time_limit_seconds=HINT_SHARE * time_limit_seconds,
            seed=seed,
            num_workers=num_workers,
        )
    if not hinted and workforce_limits:
        # a legal week per agent (coverage ignored) fixes the counts; the rest follows
        legal = greedy_roster(problem)
        if legal is not None:
            counts_h, _placements, days_h = hint_from_assignment(problem, legal)
            fixes = [(var, int(counts_h.get(s, 0))) for s, var in dv.counts.items()]
            # the tours and per-class counts of that week too, so the completion is immediate
            per_class: dict[tuple[int, int], int] = defaultdict(int)
            tours_h: dict[tuple[int, tuple[int, ...]], int] = defaultdict(int)
            for a, chosen in legal.items():
                c = dv.agent_class.get(a)
                if c is None:
                    continue
                tours_h[c, tuple(sorted(days_h[a]))] += 1
                for s_idx in chosen:
                    per_class[c, s_idx] += 1
            fixes += [(var, tours_h.get(key, 0)) for key, var in dv.tours.items()]
            fixes += [
                (var, per_class.get((c, s_idx), 0))
                for c, y in dv.class_counts.items()
                for s_idx, var in y.items()
            ]
            hint_by_fixing(
                model,
                dv.terms,
                fixes,
                time_limit_seconds=HINT_SHARE * time_limit_seconds,
                seed=seed,
                num_workers=num_workers,
            )
    elapsed = time.perf_counter() - started
    solver, stats = solve_model(
        model,
        dv.terms,
        phase="design",
        time_limit_seconds=max(time_limit_seconds - elapsed, 1.0),
        seed=seed,
        num_workers=num_workers,
        progress=progress,
        on_solution=on_solution,
    )
    values: _Values | cp_model.CpSolver = solver
    if (
        best is not None
        and support_stats is not None
        and not (
            stats.status in ("OPTIMAL", "FEASIBLE") and stats.objective <= support_stats.objective
        )
    ):
        # the whole model did not get back to the LP-support solution within its time
        values = best
        stats = SolveStats(
            stats.phase,
            "FEASIBLE",
            support_stats.objective,
            stats.best_bound if math.isfinite(stats.best_bound) else float("-inf"),
            float("nan"),
            stats.seconds,
            stats.events,
        )
    if stats.status == "FEASIBLE" and relaxation is not None:
        # CP-SAT's own bound lags on big weeks; the LP relaxation (HiGHS) often proves more
        bound = max(relaxation.bound, stats.best_bound)
        gap = max((stats.objective - bound) / abs(stats.objective), 0.0) if stats.objective else 0.0
        stats = SolveStats(
            stats.phase, stats.status, stats.objective, bound, gap, stats.seconds, stats.events
        )
    if stats.status == "INFEASIBLE" and workforce_limits:
        # the design relaxes the roster, so the roster is infeasible too: name the rules
        from planner.scheduling.explain import explain_roster_infeasible

        raise explain_roster_infeasible(
            problem, problem.allowed, seed=seed, num_workers=num_workers
        )
    if stats.status not in ("OPTIMAL", "FEASIBLE"):
        raise explain_infeasible(problem, stats)
    counts, placements = design_values(values, dv)
    heads = heads_per_slot(problem, counts, placements)
    shifts, breaks = shift_frames(problem, counts, placements)
    paid = float(sum(problem.shift_types[s].paid_minutes * c for s, c in counts.items()))
    summary = summarise(problem, stats, heads, paid, "design", int(sum(counts.values())), None)
    coverage = coverage_frame(problem.grid.slot_starts, problem.required, heads, problem.queues)
    # hand the tour counts to the members of each class
    agent_days: dict[int, tuple[int, ...]] = {}
    members: dict[int, list[int]] = defaultdict(list)
    for a, c in dv.agent_class.items():
        members[c].append(a)
    for (c, pattern), var in sorted(dv.tours.items()):
        for _ in range(int(values.value(var))):
            if members[c]:
                agent_days[members[c].pop(0)] = pattern
    class_types = {
        c: {s_idx: int(values.value(v)) for s_idx, v in y.items() if values.value(v)}
        for c, y in dv.class_counts.items()
    }
    return ShiftDesign(
        shifts,
        breaks,
        coverage,
        summary,
        stats,
        problem,
        counts,
        placements,
        agent_days,
        class_types,
        dict(dv.agent_class),
    )
