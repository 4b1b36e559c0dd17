"""CP-SAT constraint builders, one per constraint family, each returning its objective terms.

In the manner of OR-Tools' ``shift_scheduling_sat.py``: every builder takes the model and the
variables it constrains, names its variables readably, and returns the objective terms it adds as
``(variable or expression, integer coefficient)`` pairs (soft rules are hard rules with a cost).
Costs are integers in :data:`SCALE` units per money unit. The same builders serve the aggregate
shift design (integer counts per shift type), the agent-level roster (booleans per agent and shift
type) and other engines (e.g. the nurse rostering benchmark readers).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from planner.scheduling.rules import AgentRules, CostRules
from planner.scheduling.shifts import Grid, ShiftType

__all__ = [
    "SCALE",
    "CoverageVars",
    "LinearTerm",
    "ObjectiveTerms",
    "VariableTerms",
    "add_agent_assignment",
    "add_break_placements",
    "add_break_stagger",
    "add_consecutive_days_off",
    "add_coverage_costs",
    "add_days_per_week",
    "add_floor_heads",
    "add_hours_per_week",
    "add_min_rest",
    "add_paid_hours_cost",
    "add_shift_counts",
    "add_start_time_stability",
    "coverage_terms",
    "curve_breakpoints",
    "piecewise_cost_value",
    "to_units",
]

SCALE = 1000
"""Objective units per money unit."""

LinearTerm = cp_model.LinearExpr
"""A CP-SAT variable or linear expression over variables (an ``IntVar`` is a ``LinearExpr``).

Narrower than ``cp_model.LinearExprT`` on purpose: that union also admits numpy integer scalars,
which the OR-Tools stubs cannot add to an expression, and the builders only ever hold model
variables or expressions over them."""

ObjectiveTerms = list[tuple[LinearTerm, int]]
"""``(expression, integer coefficient in SCALE units)`` pairs summed into the objective."""

VariableTerms = list[tuple[cp_model.IntVar, int]]
"""Objective terms whose expressions are single variables, as the LP relaxation needs (it reads
each variable's proto index); the shift design's terms are all of this kind."""

EnforceFn = Callable[[str, str], cp_model.IntVar]
"""``enforce(family, who)`` -> a literal enforcing that rule family for that agent; used to solve
with assumptions and name the rules in an infeasible core (see ``planner.scheduling.explain``)."""


def _enforced(ct: cp_model.Constraint, enforce: EnforceFn | None, family: str, who: str) -> None:
    if enforce is not None:
        ct.only_enforce_if(enforce(family, who))


def to_units(money: float) -> int:
    """Money -> integer objective units."""
    return int(round(money * SCALE))


def add_shift_counts(
    model: cp_model.CpModel, shift_types: Sequence[ShiftType], upper_bounds: Mapping[int, int]
) -> dict[int, cp_model.IntVar]:
    """One integer variable per shift type: how many people work it."""
    return {
        s.index: model.new_int_var(0, int(upper_bounds[s.index]), f"count_{s.name}")
        for s in shift_types
    }


def add_break_placements(
    model: cp_model.CpModel,
    shift_types: Sequence[ShiftType],
    counts: Mapping[int, cp_model.IntVar],
    upper_bounds: Mapping[int, int],
) -> dict[tuple[int, int], dict[int, cp_model.IntVar]]:
    """How many of each shift type take break ``k`` at each allowed offset.

    The placements of break ``k`` of a shift type sum to its count. When the windows of
    consecutive breaks are close enough that a pairing could violate the minimum gap, the counts
    are constrained so that pairing the i-th earliest break ``k-1`` with the i-th earliest break
    ``k`` always respects the gap (for every offset q: breaks ``k`` at or before q <= breaks
    ``k-1`` ending at least the gap before q). Returns ``{(shift index, k): {offset: var}}``.
    """
    placements: dict[tuple[int, int], dict[int, cp_model.IntVar]] = {}
    for s in shift_types:
        ub = int(upper_bounds[s.index])
        for k, offsets in enumerate(s.break_offsets):
            vars_k = {o: model.new_int_var(0, ub, f"break{k}_{s.name}_at{o}") for o in offsets}
            model.add(sum(vars_k.values()) == counts[s.index])
            placements[s.index, k] = vars_k
            if k == 0:
                continue
            prev = placements[s.index, k - 1]
            shift_needed = s.break_slots[k - 1] + s.break_gap_slots[k]
            if min(offsets) >= max(prev) + shift_needed:
                continue  # every pairing is legal
            for q in offsets:
                later = [v for o, v in vars_k.items() if o <= q]
                earlier = [v for o, v in prev.items() if o <= q - shift_needed]
                model.add(sum(later) <= sum(earlier))
    return placements


def coverage_terms(
    grid: Grid,
    shift_types: Sequence[ShiftType],
    counts: Mapping[int, cp_model.IntVar],
    placements: Mapping[tuple[int, int], Mapping[int, cp_model.IntVar]],
) -> tuple[list[list[cp_model.IntVar]], list[list[cp_model.IntVar]]]:
    """Per slot, the count variables of shifts covering it and the break variables inside it.

    Heads on the phones in slot t = sum(on_shift[t]) - sum(on_break[t]).
    """
    on_shift: list[list[cp_model.IntVar]] = [[] for _ in range(grid.n_slots)]
    on_break: list[list[cp_model.IntVar]] = [[] for _ in range(grid.n_slots)]
    for s in shift_types:
        for t in range(max(s.start_slot, 0), min(s.end_slot, grid.n_slots)):
            on_shift[t].append(counts[s.index])
        for k in range(len(s.break_offsets)):
            for o, var in placements[s.index, k].items():
                first = s.start_slot + o
                for t in range(max(first, 0), min(first + s.break_slots[k], grid.n_slots)):
                    on_break[t].append(var)
    return on_shift, on_break


def curve_breakpoints(length: int) -> list[int]:
    """Breakpoints 0..8 one by one, then growing by half, and the last point ``length - 1``."""
    points = set(range(min(length, 9)))
    p = 8.0
    while p < length - 1:
        points.add(int(p))
        p *= 1.5
    points.add(length - 1)
    return sorted(points)


def _lines(curve_units: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(d, d*f(p), slope_numerator, p): cost*d >= d*f(p) + num*(u - p) for each segment."""
    pts = curve_breakpoints(len(curve_units))
    lines = []
    for p, q in zip(pts[:-1], pts[1:], strict=False):
        d = q - p
        lines.append((d, int(d * curve_units[p]), int(curve_units[q] - curve_units[p]), p))
    return lines


def piecewise_cost_value(curve_units: np.ndarray, under: int) -> int:
    """The value the cost variable of :func:`add_coverage_costs` takes at ``under`` (units)."""
    if under <= 0 or len(curve_units) <= 1:
        return 0
    return max(math.ceil((fd + num * (under - p)) / d) for d, fd, num, p in _lines(curve_units))


@dataclass
class CoverageVars:
    """Variables of the coverage part: heads short / surplus and cost per slot."""

    under: dict[int, cp_model.IntVar]
    over: dict[int, cp_model.IntVar]
    under_cost: dict[int, cp_model.IntVar]
    curves_units: list[np.ndarray]


def add_coverage_costs(
    model: cp_model.CpModel,
    required: np.ndarray,
    curves: Sequence[np.ndarray],
    on_shift: Sequence[Sequence[cp_model.IntVar]],
    on_break: Sequence[Sequence[cp_model.IntVar]],
    costs: CostRules,
    interval_minutes: int,
    max_heads: int,
) -> tuple[CoverageVars, VariableTerms]:
    """Under- and over-coverage per slot, priced by the convex curves (soft coverage).

    ``under[t] >= required[t] - heads[t]`` and ``under_cost[t]`` lies above every segment of the
    piecewise-linear interpolation of ``curves[t]`` at :func:`curve_breakpoints`; surplus heads
    cost ``costs.over_coverage_hour`` per agent-hour.
    """
    terms: VariableTerms = []
    over_units = to_units(costs.over_coverage_hour * interval_minutes / 60.0)
    cv = CoverageVars({}, {}, {}, [np.rint(np.asarray(c) * SCALE).astype(np.int64) for c in curves])
    for t in range(len(required)):
        heads = sum(on_shift[t]) - sum(on_break[t])
        r = int(required[t])
        if r > 0:
            under = model.new_int_var(0, r, f"under_slot{t}")
            model.add(heads + under >= r)
            cv.under[t] = under
            curve = cv.curves_units[t]
            cost = model.new_int_var(0, piecewise_cost_value(curve, r), f"under_cost_slot{t}")
            for d, fd, num, p in _lines(curve):
                model.add(d * cost >= fd + num * (under - p))
            cv.under_cost[t] = cost
            terms.append((cost, 1))
        if over_units > 0 and on_shift[t]:
            over = model.new_int_var(0, max_heads, f"over_slot{t}")
            model.add(over >= heads - r)
            cv.over[t] = over
            terms.append((over, over_units))
    return cv, terms


def add_floor_heads(
    model: cp_model.CpModel,
    cov: CoverageVars,
    required: np.ndarray,
    floor_heads: np.ndarray,
    enforce: EnforceFn | None = None,
) -> None:
    """Hard service-level floor: heads on the phones in slot t >= ``floor_heads[t]``.

    Written on the shortfall variables of :func:`add_coverage_costs` as
    ``under[t] <= required[t] - floor_heads[t]`` (heads + under >= required there), so the soft
    cost curve still prices the heads between the floor and the requirement. ``required`` and
    ``floor_heads`` have shape (n_slots,), heads.
    """
    for t, under in cov.under.items():
        slack = int(required[t]) - int(floor_heads[t])
        if slack >= int(required[t]):
            continue  # the floor asks for nothing here
        ct = model.add(under <= max(slack, 0)).with_name(f"service_level_floor_slot{t}")
        _enforced(ct, enforce, "floor", str(t))


def add_break_stagger(
    model: cp_model.CpModel,
    on_shift: Sequence[Sequence[cp_model.IntVar]],
    on_break: Sequence[Sequence[cp_model.IntVar]],
    max_share: float,
) -> VariableTerms:
    """At most ``max(1, ceil(max_share * on shift))`` heads on a break in any slot (hard)."""
    if max_share >= 1.0:
        return []
    percent = int(math.floor(max_share * 100))
    for t in range(len(on_shift)):
        if on_break[t]:
            # 100 b <= p n + 99  <=>  b <= ceil(p n / 100) for integers (and b <= 1 when p n small)
            model.add(100 * sum(on_break[t]) <= percent * sum(on_shift[t]) + 99)
    return []


def add_paid_hours_cost(
    shift_types: Sequence[ShiftType], counts: Mapping[int, cp_model.IntVar], costs: CostRules
) -> VariableTerms:
    """``costs.paid_hour`` per paid hour of every shift worked."""
    return [
        (counts[s.index], to_units(costs.paid_hour * s.paid_minutes / 60.0)) for s in shift_types
    ]


def add_min_rest(
    model: cp_model.CpModel,
    shifts_by_day: Mapping[int, Sequence[tuple[ShiftType, LinearTerm]]],
    rest_slots: int,
    capacity: cp_model.LinearExprT | int | Callable[[int, int], cp_model.LinearExprT | int],
    name: str,
    enforce: EnforceFn | None = None,
) -> ObjectiveTerms:
    """Minimum rest between a shift and the next one of the same person (hard).

    For every day pair (d, d') and threshold T (the end of some shift on d): the shifts on d ending
    after T and those on d' starting before T + rest cannot be worked by the same person, so their
    variables sum to at most ``capacity`` (1 for one agent's booleans; for aggregate counts, the
    people working d or d', a necessary condition; a callable ``capacity(d, d')`` gives it per day
    pair). Also forbids overlapping shifts.
    """
    days = sorted(shifts_by_day)
    for i, d in enumerate(days):
        for d2 in days[i + 1 :]:
            later = shifts_by_day[d2]
            if not later:
                continue
            first_start = min(s.start_slot for s, _ in later)
            ends = sorted(
                {s.end_slot for s, _ in shifts_by_day[d] if s.end_slot + rest_slots > first_start}
            )
            if not ends:
                continue
            cap = capacity(d, d2) if callable(capacity) else capacity
            for threshold in ends:
                late = [v for s, v in shifts_by_day[d] if s.end_slot >= threshold]
                early = [v for s, v in later if s.start_slot < threshold + rest_slots]
                if late and early:
                    ct = model.add(sum(late) + sum(early) <= cap)
                    ct.with_name(f"rest_{name}_d{d}_d{d2}_end{threshold}")
                    _enforced(ct, enforce, "rest", name)
    return []


def add_agent_assignment(
    model: cp_model.CpModel,
    agents: Sequence[AgentRules],
    shift_types: Sequence[ShiftType],
    allowed: Mapping[int, Sequence[int]],
    n_days: int,
) -> tuple[dict[tuple[int, int], cp_model.IntVar], dict[tuple[int, int], cp_model.IntVar]]:
    """Booleans ``work[a, s]`` (agent ``a`` works shift type ``s``) for the allowed pairs, and
    ``works_day[a, d]`` (agent ``a`` works on day ``d``); at most one shift per agent per day."""
    work: dict[tuple[int, int], cp_model.IntVar] = {}
    works_day: dict[tuple[int, int], cp_model.IntVar] = {}
    for a, agent in enumerate(agents):
        by_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for s_idx in allowed[a]:
            s = shift_types[s_idx]
            var = model.new_bool_var(f"work_{agent.agent_id}_{s.name}")
            work[a, s_idx] = var
            by_day[s.day].append(var)
        for d in range(n_days):
            day_var = model.new_bool_var(f"works_{agent.agent_id}_d{d}")
            if by_day[d]:
                model.add(sum(by_day[d]) == day_var)
            else:
                model.add(day_var == 0)
            works_day[a, d] = day_var
    return work, works_day


def add_days_per_week(
    model: cp_model.CpModel,
    agents: Sequence[AgentRules],
    works_day: Mapping[tuple[int, int], cp_model.IntVar],
    n_days: int,
    enforce: EnforceFn | None = None,
) -> ObjectiveTerms:
    """Each agent works between ``min_days`` and ``max_days`` days (hard; the minimum is
    prorated to the horizon when it is shorter than a week)."""
    for a, agent in enumerate(agents):
        days = [works_day[a, d] for d in range(n_days)]
        min_days = (
            min(agent.min_days, n_days) if n_days >= 7 else math.floor(agent.min_days * n_days / 7)
        )
        ct = model.add(sum(days) >= min_days).with_name(f"min_days_{agent.agent_id}")
        _enforced(ct, enforce, "min_days", agent.agent_id)
        ct = model.add(sum(days) <= agent.max_days).with_name(f"max_days_{agent.agent_id}")
        _enforced(ct, enforce, "max_days", agent.agent_id)
    return []


def add_hours_per_week(
    model: cp_model.CpModel,
    agents: Sequence[AgentRules],
    work: Mapping[tuple[int, int], cp_model.IntVar],
    shift_types: Sequence[ShiftType],
    costs: CostRules,
    n_days: int,
    enforce: EnforceFn | None = None,
) -> ObjectiveTerms:
    """Paid minutes between ``min_hours`` and ``max_hours`` (hard); minutes above
    ``contract_hours`` cost ``overtime_hour - paid_hour`` extra per hour (soft)."""
    by_agent: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (a, s_idx), var in work.items():
        by_agent[a].append((shift_types[s_idx].paid_minutes, var))
    extra = costs.overtime_hour - costs.paid_hour
    terms: ObjectiveTerms = []
    prorate = min(1.0, n_days / 7)
    for a, agent in enumerate(agents):
        paid = sum(m * v for m, v in by_agent[a]) if by_agent[a] else 0
        ct = model.add(paid >= math.ceil(agent.min_hours * 60 * prorate - 1e-9))
        _enforced(ct.with_name(f"min_hours_{agent.agent_id}"), enforce, "min_hours", agent.agent_id)
        ct = model.add(paid <= round(agent.max_hours * 60))
        _enforced(ct.with_name(f"max_hours_{agent.agent_id}"), enforce, "max_hours", agent.agent_id)
        if extra > 0 and agent.max_hours > agent.contract_hours:
            overtime = model.new_int_var(
                0,
                round((agent.max_hours - agent.contract_hours) * 60),
                f"overtime_min_{agent.agent_id}",
            )
            model.add(overtime >= paid - round(agent.contract_hours * 60))
            terms.append((overtime, to_units(extra / 60.0)))
    return terms


def add_consecutive_days_off(
    model: cp_model.CpModel,
    agents: Sequence[AgentRules],
    works_day: Mapping[tuple[int, int], cp_model.IntVar],
    n_days: int,
    min_block: int,
    enforce: EnforceFn | None = None,
) -> ObjectiveTerms:
    """At least one block of ``min_block`` consecutive days off in the horizon (hard)."""
    if min_block <= 0 or min_block > n_days:
        return []
    for a, agent in enumerate(agents):
        blocks = []
        for b in range(n_days - min_block + 1):
            off_block = model.new_bool_var(f"off_block_{agent.agent_id}_d{b}")
            for d in range(b, b + min_block):
                model.add_implication(off_block, works_day[a, d].Not())
            blocks.append(off_block)
        ct = model.add_bool_or(blocks).with_name(f"days_off_block_{agent.agent_id}")
        _enforced(ct, enforce, "days_off_block", agent.agent_id)
    return []


def add_start_time_stability(
    model: cp_model.CpModel,
    agents: Sequence[AgentRules],
    work: Mapping[tuple[int, int], cp_model.IntVar],
    works_day: Mapping[tuple[int, int], cp_model.IntVar],
    shift_types: Sequence[ShiftType],
    n_days: int,
    tolerance_minutes: int | None,
    costs: CostRules,
    enforce: EnforceFn | None = None,
) -> ObjectiveTerms:
    """Spread of an agent's start clock times over the week: at most ``tolerance_minutes``
    (hard, when set) and ``costs.start_time_change_hour`` per hour of spread (soft)."""
    per_hour = to_units(costs.start_time_change_hour)
    if tolerance_minutes is None and per_hour == 0:
        return []
    starts: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (a, s_idx), var in work.items():
        s = shift_types[s_idx]
        starts[a, s.day].append((s.start_clock_minutes, var))
    terms: ObjectiveTerms = []
    for a, agent in enumerate(agents):
        clocks = [c for d in range(n_days) for c, _ in starts[a, d]]
        if not clocks:
            continue
        lo, hi = min(clocks), max(clocks)
        earliest = model.new_int_var(lo, hi, f"earliest_start_{agent.agent_id}")
        latest = model.new_int_var(lo, hi, f"latest_start_{agent.agent_id}")
        for d in range(n_days):
            if not starts[a, d]:
                continue
            clock = sum(c * v for c, v in starts[a, d])
            model.add(latest >= clock).only_enforce_if(works_day[a, d])
            model.add(earliest <= clock).only_enforce_if(works_day[a, d])
        model.add(earliest <= latest)
        spread = latest - earliest
        if tolerance_minutes is not None:
            ct = model.add(spread <= tolerance_minutes).with_name(
                f"start_tolerance_{agent.agent_id}"
            )
            _enforced(ct, enforce, "start_tolerance", agent.agent_id)
        if per_hour:
            # per minute, rounded up so that a nonzero cost stays nonzero
            terms.append((spread, max(1, round(per_hour / 60))))
    return terms
