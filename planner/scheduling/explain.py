"""Infeasibility in planner words, never a bare "INFEASIBLE".

Two tools: :func:`precheck` finds the common causes before any solve (an agent whose contract
cannot fit their availability, an interval needing more heads than can be there under hard
coverage or a hard service-level floor, no shift fitting the opening hours);
:func:`explain_roster_infeasible` solves the agent-level model with one assumption literal per
(rule family, agent or interval) and turns the solver's infeasible core into sentences naming
agents, rules and values.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from ortools.sat.python import cp_model

from planner.errors import InfeasibleError
from planner.scheduling.problem import Problem, SolveStats
from planner.scheduling.shifts import ShiftType

__all__ = ["explain_infeasible", "explain_roster_infeasible", "precheck"]

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MAX_LINES = 6


def _fmt_hours(hours: float) -> str:
    return f"{hours:g} h"


def _agent_findings(problem: Problem) -> list[str]:
    rules = problem.rules
    types = problem.shift_types
    n_days = problem.grid.n_days
    prorate = min(1.0, n_days / 7)
    findings = []
    for a, agent in enumerate(rules.agents):
        allowed = problem.allowed.get(a, [])
        best_per_day: dict[int, int] = {}
        least_per_day: dict[int, int] = {}
        for s in allowed:
            t = types[s]
            best_per_day[t.day] = max(best_per_day.get(t.day, 0), t.paid_minutes)
            least_per_day[t.day] = min(least_per_day.get(t.day, 10**9), t.paid_minutes)
        days = sorted(best_per_day)
        min_days = agent.min_days if n_days >= 7 else math.floor(agent.min_days * prorate)
        min_minutes = math.ceil(agent.min_hours * 60 * prorate - 1e-9)
        day_list = (
            ", ".join(_DAY_NAMES[problem.grid.dates[d].weekday()][:3] for d in days) or "none"
        )
        if min_days > 0 and not days:
            findings.append(
                f"agent {agent.agent_id} must work at least {min_days} days but no shift fits "
                "their "
                "availability, templates and days off"
            )
            continue
        if len(days) < min_days:
            findings.append(
                f"agent {agent.agent_id} must work at least {min_days} days but is available on "
                f"only {len(days)} ({day_list})"
            )
            continue
        block = problem.rules.weekly.min_consecutive_days_off
        if block and min_days > 0:
            from planner.scheduling.design import day_patterns

            if not day_patterns(days, n_days, min_days, agent.max_days, block):
                findings.append(
                    f"agent {agent.agent_id} must work at least {min_days} of the {len(days)} "
                    f"available days ({day_list}) and have {block} consecutive days off: impossible"
                )
                continue
        usable = sorted(best_per_day.values(), reverse=True)[: min(agent.max_days, n_days)]
        if sum(usable) < min_minutes:
            findings.append(
                f"agent {agent.agent_id}'s contract of {_fmt_hours(agent.min_hours * prorate)} "
                "cannot "
                f"be met with {len(days)} available days ({day_list}) and at most {agent.max_days} "
                f"worked (the longest shifts pay {_fmt_hours(sum(usable) / 60)})"
            )
            continue
        shortest = sorted(least_per_day.values())[:min_days]
        if sum(shortest) > agent.max_hours * 60:
            findings.append(
                f"agent {agent.agent_id} may work at most {_fmt_hours(agent.max_hours)} but "
                f"{min_days} days of the shortest shifts pay {_fmt_hours(sum(shortest) / 60)}"
            )
    return findings


def _slot_label(problem: Problem, first: int, last: int) -> str:
    starts = problem.grid.slot_starts
    end = starts[last] + np.timedelta64(problem.interval_minutes, "m")
    return f"{_DAY_NAMES[starts[first].weekday()]} {starts[first]:%H:%M}-{end:%H:%M}"


def _coverage_findings(problem: Problem) -> list[str]:
    """Under hard coverage: intervals needing more heads than agents who could be there."""
    n = problem.grid.n_slots
    reachable = np.zeros(n, dtype=np.int64)
    for types in problem.allowed.values():
        covered = np.zeros(n + 1, dtype=np.int64)
        for s in types:
            shift = problem.shift_types[s]
            covered[max(shift.start_slot, 0)] += 1
            covered[min(shift.end_slot, n)] -= 1
        reachable += np.cumsum(covered)[:n] > 0
    short = problem.required > reachable
    return [
        f"{_slot_label(problem, first, last)} needs {int(problem.required[first])} agents, "
        f"at most {int(reachable[first])} are available"
        for first, last in _equal_runs(short, problem.required, reachable)
    ]


def _equal_runs(flagged: np.ndarray, *figures: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive flagged slots whose ``figures`` are all equal, as (first, last) slots.

    A run reads as one sentence ("Sunday 08:00-10:00 needs ..."); ``flagged`` has shape (slots,)
    bool and every array of ``figures`` shape (slots,).
    """
    runs = []
    t, n = 0, len(flagged)
    while t < n:
        if not flagged[t]:
            t += 1
            continue
        first = t
        while (
            t + 1 < n
            and flagged[t + 1]
            and all(figure[t + 1] == figure[first] for figure in figures)
        ):
            t += 1
        runs.append((first, t))
        t += 1
    return runs


def _phone_mask(shift: ShiftType, n: int) -> np.ndarray:
    """Slots where someone on ``shift`` can be on the phones, shape (n,) bool.

    The shift's slots, less those a break covers wherever it is placed (every allowed offset of
    that break covers the slot). Each break is taken alone, so the mask may keep a slot that only
    a placement breaking the gap rules would free: an upper bound, as the precheck needs.
    """
    mask = np.zeros(n, dtype=bool)
    mask[max(shift.start_slot, 0) : max(min(shift.end_slot, n), 0)] = True
    for offsets, length in zip(shift.break_offsets, shift.break_slots, strict=True):
        if not offsets:
            continue
        # slots inside the break for every allowed start: from the latest start to the
        # earliest end
        first = shift.start_slot + max(offsets)
        last = shift.start_slot + min(offsets) + length
        if first < last:
            mask[max(first, 0) : max(min(last, n), 0)] = False
    return mask


def _phone_reachable(problem: Problem) -> np.ndarray:
    """Most agents who can be on the phones in each slot, shape (n_slots,).

    An agent counts in a slot when one of the shifts their availability, templates and days off
    allow (``problem.allowed``) covers it and its breaks can fall elsewhere.
    """
    n = problem.grid.n_slots
    masks: dict[int, np.ndarray] = {}
    by_types: dict[tuple[int, ...], np.ndarray] = {}
    reachable = np.zeros(n, dtype=np.int64)
    for types in problem.allowed.values():
        key = tuple(types)
        if key not in by_types:
            union = np.zeros(n, dtype=bool)
            for s in types:
                if s not in masks:
                    masks[s] = _phone_mask(problem.shift_types[s], n)
                union |= masks[s]
            by_types[key] = union
        reachable += by_types[key]
    return reachable


def _floor_findings(problem: Problem) -> list[str]:
    """Under a hard service-level floor: intervals whose floor needs more heads than can be on
    the phones there."""
    floor = problem.floor_heads
    if floor is None:
        return []
    rules = problem.rules
    reachable = _phone_reachable(problem)
    short = floor > reachable
    target = (
        f"to keep {100 * rules.min_interval_service_level:g} % of calls answered within "
        f"{rules.answer_target_seconds:g} s"
    )
    return [
        f"{_slot_label(problem, first, last)} needs at least {int(floor[first])} agents on the "
        f"phones {target} (min_interval_service_level_hard); at most "
        f"{int(reachable[first])} can be there (agents' availability, shift windows, breaks)"
        for first, last in _equal_runs(short, floor, reachable)
    ]


def _raise(findings: Sequence[str], intro: str) -> InfeasibleError:
    lines = list(findings[:_MAX_LINES])
    if len(findings) > _MAX_LINES:
        lines.append(f"... and {len(findings) - _MAX_LINES} more")
    return InfeasibleError(intro + "; ".join(lines))


def precheck(problem: Problem) -> None:
    """Raise :class:`InfeasibleError` for causes visible before solving.

    Raises
    ------
    InfeasibleError
        E.g. ``Thursday 09:30-09:45 needs at least 104 agents on the phones to keep 70 % of calls
        answered within 20 s (min_interval_service_level_hard); at most 99 can be there ...`` or
        ``agent A12's contract of 40 h cannot be met with 3 available days ...`` or
        ``Sunday 08:00-10:00 needs 14 agents, at most 9 are available``.
    """
    if not problem.shift_types:
        raise InfeasibleError(
            "no shift fits: every shift template falls outside the opening hours or its days"
        )
    findings = _agent_findings(problem)
    if problem.rules.hard_coverage:
        findings += _coverage_findings(problem)
    findings += _floor_findings(problem)
    if findings:
        raise _raise(findings, "no schedule can meet the hard rules: ")


def explain_infeasible(problem: Problem, stats: SolveStats) -> InfeasibleError:
    """An error for a solve that ended without a solution (proven infeasible or out of time)."""
    if stats.status == "INFEASIBLE":
        findings = _coverage_findings(problem) if problem.rules.hard_coverage else []
        findings += _floor_findings(problem)
        rules = problem.rules
        weekly = rules.weekly
        # each interval's floor can be reached on its own (else the precheck names it), so name
        # the floor as one of the rules that cannot hold together
        floor = (
            f", the hard floor of {100 * rules.min_interval_service_level:g} % within "
            f"{rules.answer_target_seconds:g} s in every open interval"
            if problem.floor_heads is not None
            else ""
        )
        findings.append(
            "the shift design cannot meet the agents' combined weekly days and hours, the "
            f"{weekly.min_rest_hours:g} h rest between shifts{floor} and the headcount per day "
            "together (check the agents' contracts against the shift templates and opening hours)"
        )
        return _raise(findings, f"no {stats.phase} meets the hard rules: ")
    return InfeasibleError(
        f"no {stats.phase} found within the time limit of {stats.seconds:.0f} s (solver status "
        f"{stats.status}): none was found and none was proven impossible; raise the time limit"
    )


def _describe(problem: Problem, family: str, who: str) -> str:
    rules = problem.rules
    if family == "coverage":
        t = int(who)
        return f"{_slot_label(problem, t, t)} needs {int(problem.required[t])} agents on the phones"
    if family == "floor" and problem.floor_heads is not None:
        t = int(who)
        return (
            f"{_slot_label(problem, t, t)} needs at least {int(problem.floor_heads[t])} agents on "
            f"the phones to keep {100 * rules.min_interval_service_level:g} % of calls answered "
            f"within {rules.answer_target_seconds:g} s"
        )
    agent = next(a for a in rules.agents if a.agent_id == who)
    weekly = rules.weekly
    text = {
        "min_days": f"works at least {agent.min_days} days",
        "max_days": f"works at most {agent.max_days} days",
        "min_hours": f"works at least {_fmt_hours(agent.min_hours)}",
        "max_hours": f"works at most {_fmt_hours(agent.max_hours)}",
        "rest": f"rests {weekly.min_rest_hours:g} h between shifts",
        "days_off_block": f"has {weekly.min_consecutive_days_off} consecutive days off",
        "start_tolerance": (
            f"starts within {weekly.start_time_tolerance_minutes} min of the same time every day"
        ),
    }[family]
    return f"agent {who} {text}"


def _floor_core(
    problem: Problem, *, seed: int, time_limit_seconds: float
) -> InfeasibleError | None:
    """Under a hard service-level floor: the intervals whose floors the workforce cannot staff
    together, or None when the floor is not the cause (or no core is found in time).

    The shift design with the workforce's aggregate conditions (headcount per day, tours, rest
    between days) and one assumption literal per interval floor (and per interval under hard
    coverage): far smaller than the agent-level model, so a core comes back in seconds on a
    realistic week, where the agent-level search often runs out of time.
    """
    if problem.floor_heads is None:
        return None
    from planner.scheduling.design import add_design_model

    model = cp_model.CpModel()
    literals: dict[tuple[str, str], cp_model.IntVar] = {}

    def enforce(family: str, who: str) -> cp_model.IntVar:
        if (family, who) not in literals:
            literals[family, who] = model.new_bool_var(f"assume_{family}_{who}")
        return literals[family, who]

    add_design_model(model, problem, problem.capacity(), workforce_limits=True, enforce=enforce)
    model.add_assumptions(list(literals.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_seconds
    solver.parameters.num_workers = 1  # cores of assumptions come from the sequential search
    solver.parameters.random_seed = seed
    if solver.solve(model) != cp_model.INFEASIBLE:
        return None
    by_index = {var.index: key for key, var in literals.items()}
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
    if not any(family == "floor" for family, _ in core):
        return None  # infeasible without any floor: the agent-level explanation says why
    # chronological, as a planner reads a day
    findings = [_describe(problem, family, who) for family, who in sorted(core, key=_slot_order)]
    return _raise(
        findings,
        f"no roster meets the hard rules: the {len(problem.rules.agents)} agents' weekly rules "
        "(days and hours, rest, days off in a row, availability) cannot staff these intervals "
        "together: ",
    )


def _slot_order(key: tuple[str, str]) -> tuple[int, str]:
    """Sort key of an interval assumption (family, slot) by slot."""
    return int(key[1]), key[0]


def explain_roster_infeasible(
    problem: Problem,
    allowed: Mapping[int, Sequence[int]],
    *,
    seed: int = 0,
    num_workers: int | None = None,
    time_limit_seconds: float = 20.0,
) -> InfeasibleError:
    """Solve the agent-level model with assumptions and name the conflicting rules.

    Every hard rule family of every agent (days, hours, rest, days-off block, start tolerance) and,
    under hard coverage, every interval's requirement is enforced by one assumption literal; the
    solver's sufficient set of assumptions for infeasibility becomes the message. Under a hard
    service-level floor the shift design is tried first (:func:`_floor_core`): when the floors
    are what the workforce cannot meet, the message names those intervals.
    """
    from planner.scheduling.design import add_design_model
    from planner.scheduling.roster import add_roster_model

    floor_error = _floor_core(problem, seed=seed, time_limit_seconds=time_limit_seconds)
    if floor_error is not None:
        return floor_error

    model = cp_model.CpModel()
    literals: dict[tuple[str, str], cp_model.IntVar] = {}

    def enforce(family: str, who: str) -> cp_model.IntVar:
        key = (family, who)
        if key not in literals:
            literals[key] = model.new_bool_var(f"assume_{family}_{who}")
        return literals[key]

    dv = add_design_model(
        model, problem, problem.capacity(), workforce_limits=False, enforce=enforce
    )
    rv = add_roster_model(model, problem, allowed, enforce=enforce)
    by_type: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (_a, s), var in rv.work.items():
        by_type[s].append(var)
    for s, var in dv.counts.items():
        model.add(var == sum(by_type[s]))
    model.add_assumptions(list(literals.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_seconds
    solver.parameters.num_workers = 1  # cores of assumptions come from the sequential search
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status != cp_model.INFEASIBLE:
        return InfeasibleError(
            "no roster meets the hard rules, and the conflict could not be narrowed down within "
            f"{time_limit_seconds:.0f} s (status {solver.status_name(status)})"
        )
    by_index = {var.index: key for key, var in literals.items()}
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
    findings = [_describe(problem, family, who) for family, who in sorted(core)]
    if not findings:
        findings = ["the agents' availability and the shift templates leave no legal tour"]
    return _raise(findings, "no roster meets the hard rules; these cannot all hold together: ")
