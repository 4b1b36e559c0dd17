"""A quick legal roster that ignores coverage: the complete warm start of the design model.

CP-SAT's first-solution heuristics struggle with the design's equalities (every person working a
day works one shift), while a legal week per agent is easy to build by hand: the same start time
every worked day (so the rest between days is 24 h minus the shift length), a pattern of days
that respects the day counts and the days-off block, lengths that fit the contract hours. The
pattern and start time of each agent are chosen greedily to cover the heads still missing, so the
hint is a reasonable design; CP-SAT improves from there.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from planner.scheduling.problem import Problem

__all__ = ["assign_by_class", "assign_design", "greedy_roster"]

LENGTH_PRICE = 0.7
"""Heads-missing-per-slot a shift slot must cover to be worth its length in the greedy week."""


def greedy_roster(problem: Problem) -> dict[int, list[int]] | None:
    """A legal assignment ``{agent index: [shift type indices]}`` or None when none is found.

    Legal for: availability, templates, days off, day and hour bounds, days-off block, minimum
    rest and start-time tolerance (all starts equal). Breaks and coverage are not considered.
    """
    from planner.scheduling.design import day_patterns

    rules = problem.rules
    types = problem.shift_types
    n_days = problem.grid.n_days
    prorate = min(1.0, n_days / 7)
    rest_minutes = rules.weekly.min_rest_hours * 60
    n_slots = problem.grid.n_slots
    residual = problem.required.astype(float).copy()
    out: dict[int, list[int]] = {}
    for a, agent in enumerate(rules.agents):
        by_day_clock: dict[tuple[int, str, int], list[int]] = defaultdict(list)
        for s in problem.allowed[a]:
            t = types[s]
            by_day_clock[t.day, t.template, t.start_clock_minutes].append(s)
        days_available = sorted({types[s].day for s in problem.allowed[a]})
        min_days = agent.min_days if n_days >= 7 else math.floor(agent.min_days * prorate)
        min_minutes = math.ceil(agent.min_hours * 60 * prorate - 1e-9)
        max_minutes = round(agent.max_hours * 60)
        target = min(max(round(agent.contract_hours * 60 * prorate), min_minutes), max_minutes)
        patterns = day_patterns(
            days_available, n_days, min_days, agent.max_days, rules.weekly.min_consecutive_days_off
        )
        if min_days == 0 and target == 0:
            out[a] = []
            continue
        # greedy cover: the pattern of days and the start time that take most of the residual
        # requirement (heads still missing), then the residual shrinks by this agent's shifts
        positive = np.maximum(residual, 0.0)
        prefix = np.concatenate([[0.0], np.cumsum(positive)])
        day_value = {
            d: float(
                prefix[problem.grid.day_start_slot[d + 1]] - prefix[problem.grid.day_start_slot[d]]
            )
            for d in days_available
        }
        patterns.sort(key=lambda p: -sum(day_value[d] for d in p))
        combos = sorted({(tpl, clock) for (_d, tpl, clock) in by_day_clock})

        def value(chosen: list[int], prefix: np.ndarray = prefix) -> float:
            return sum(
                prefix[min(types[x].end_slot, n_slots)] - prefix[max(types[x].start_slot, 0)]
                for x in chosen
            )

        found = None
        for days in patterns or [()]:
            if not days and min_minutes > 0:
                continue
            candidates = []
            for tpl, clock in combos:
                # a missing (day, template, clock) becomes an empty option list: skipped below
                options = [by_day_clock.get((d, tpl, clock)) or [] for d in days]
                if any(not o for o in options):
                    continue
                # lengths by worth (heads still missing minus a price per slot) when the hours
                # allow, else lengths that meet the contract
                worth = [
                    max(
                        o,
                        key=lambda x: (
                            value([x]) - LENGTH_PRICE * (types[x].end_slot - types[x].start_slot)
                        ),
                    )
                    for o in options
                ]
                total = sum(types[x].paid_minutes for x in worth)
                chosen = (
                    worth
                    if min_minutes <= total <= max_minutes
                    else _fit_lengths(problem, options, target, min_minutes, max_minutes)
                )
                if chosen is not None:
                    candidates.append(
                        (
                            value(chosen)
                            - LENGTH_PRICE
                            * sum(types[x].end_slot - types[x].start_slot for x in chosen),
                            chosen,
                        )
                    )
            candidates.sort(key=lambda c: -c[0])
            for _score, chosen in candidates:
                if _rest_ok(problem, chosen, rest_minutes):
                    found = chosen
                    break
            if found is not None:
                break
        if found is not None:
            for x in found:
                residual[max(types[x].start_slot, 0) : min(types[x].end_slot, n_slots)] -= 1
        if found is None:
            return None
        out[a] = found
    return out


def _fit_lengths(
    problem: Problem, options: list[list[int]], target: int, lo: int, hi: int
) -> list[int] | None:
    """One type per day, total paid minutes in [lo, hi], near ``target`` (greedy)."""
    types = problem.shift_types
    chosen = []
    remaining = target
    for i, opts in enumerate(options):
        days_left = len(options) - i
        want = remaining / days_left
        best = min(opts, key=lambda s: abs(types[s].paid_minutes - want))
        chosen.append(best)
        remaining -= types[best].paid_minutes
    total = sum(types[s].paid_minutes for s in chosen)
    return chosen if lo <= total <= hi else None


def _rest_ok(problem: Problem, chosen: list[int], rest_minutes: float) -> bool:
    types = sorted((problem.shift_types[s] for s in chosen), key=lambda t: t.start)
    for prev, nxt in zip(types[:-1], types[1:], strict=False):
        if (nxt.start - prev.end).total_seconds() / 60 < rest_minutes - 1e-9:
            return False
    return True


def assign_design(
    problem: Problem,
    counts: dict[int, int] | Mapping[int, int],
    agent_days: Mapping[int, Sequence[int]],
    allowed: Mapping[int, Sequence[int]],
) -> tuple[dict[int, list[int]], bool]:
    """Named agents for the designed shifts, built day by day, and whether all were placed.

    Each agent works the days of its design tour; on each day the shifts are taken in order of
    start, each by the eligible agent (allowed type, rested since the previous shift) whose latest
    possible start is earliest, preferring on long shifts the agent with fewest hours so far.
    When that order fails on a day, a maximum bipartite matching (SciPy) of the day's shifts to its
    agents places as many as possible. Hour bounds and start tolerance are not checked here: the
    solver that receives the result as a hint checks (and repairs) them.
    """
    types = problem.shift_types
    rules = problem.rules
    rest = pd.Timedelta(hours=rules.weekly.min_rest_hours)
    allowed_sets = {a: set(v) for a, v in allowed.items()}
    by_day: dict[int, list[int]] = defaultdict(list)
    for s, c in counts.items():
        by_day[types[s].day].extend([s] * c)
    working: dict[int, list[int]] = defaultdict(list)
    for a, days in agent_days.items():
        for d in days:
            working[d].append(a)
    latest: dict[tuple[int, int, str], pd.Timestamp] = {}
    for a, allowed_a in allowed_sets.items():
        for x in allowed_a:
            key = (a, types[x].day, types[x].template)
            if key not in latest or types[x].start > latest[key]:
                latest[key] = types[x].start
    last_end: dict[int, pd.Timestamp] = {}
    minutes: dict[int, int] = defaultdict(int)
    out: dict[int, list[int]] = defaultdict(list)
    complete = True

    def eligible(a: int, s: int) -> bool:
        return s in allowed_sets[a] and (a not in last_end or types[s].start >= last_end[a] + rest)

    for d in range(problem.grid.n_days):
        shifts_d = sorted(by_day[d], key=lambda i: (types[i].start, -types[i].length_minutes))
        free = set(working[d])
        chosen: list[tuple[int, int]] = []
        for s in shifts_d:
            t = types[s]
            candidates = [a for a in free if eligible(a, s)]
            if not candidates:
                chosen = []
                break
            a = min(
                candidates,
                key=lambda x: (latest.get((x, d, t.template), t.start), minutes[x], x),
            )
            free.discard(a)
            chosen.append((a, s))
        if len(chosen) < len(shifts_d):
            # the greedy order failed: a maximum matching of the day's shifts to its agents
            from scipy.sparse import csr_matrix
            from scipy.sparse.csgraph import maximum_bipartite_matching

            agents_d = sorted(working[d])
            rows, cols = [], []
            for r, s in enumerate(shifts_d):
                for c, a in enumerate(agents_d):
                    if eligible(a, s):
                        rows.append(r)
                        cols.append(c)
            graph = csr_matrix(
                (np.ones(len(rows)), (rows, cols)), shape=(len(shifts_d), len(agents_d))
            )
            match = maximum_bipartite_matching(graph, perm_type="column")
            chosen = [(agents_d[c], shifts_d[r]) for r, c in enumerate(match) if c >= 0]
            complete = complete and len(chosen) == len(shifts_d) == len(agents_d)
        elif free:
            complete = False
        for a, s in chosen:
            out[a].append(s)
            last_end[a] = types[s].end
            minutes[a] += types[s].paid_minutes
    return dict(out), complete


def assign_by_class(
    problem: Problem,
    class_types: Mapping[int, Mapping[int, int]],
    agent_class: Mapping[int, int],
    agent_days: Mapping[int, Sequence[int]],
) -> tuple[dict[int, list[int]], bool]:
    """Named agents for a design that says how many of each class work each shift type.

    Within a class the agents are identical, so on each day the class's shifts, earliest start
    first, go to its working agents, earliest rested first (sorted matching, which meets the rest
    rule whenever any pairing of that day does). Returns the assignment and whether every shift
    was placed without breaking the rest rule.
    """
    types = problem.shift_types
    rest = pd.Timedelta(hours=problem.rules.weekly.min_rest_hours)
    members: dict[int, list[int]] = defaultdict(list)
    for a, c in agent_class.items():
        members[c].append(a)
    last_end: dict[int, pd.Timestamp] = {}
    out: dict[int, list[int]] = defaultdict(list)
    complete = True
    floor = pd.Timestamp.min.tz_localize("UTC")
    for d in range(problem.grid.n_days):
        for c, per_type in class_types.items():
            shifts = sorted(
                (s for s, n in per_type.items() if types[s].day == d for _ in range(n)),
                key=lambda s: (types[s].start, types[s].end),
            )
            agents = sorted(
                (a for a in members[c] if d in agent_days.get(a, ())),
                key=lambda a: (last_end.get(a, floor), a),
            )
            if len(agents) != len(shifts):
                complete = False
            for a, s in zip(agents, shifts, strict=False):
                if a in last_end and types[s].start < last_end[a] + rest:
                    complete = False
                out[a].append(s)
                last_end[a] = types[s].end
    return dict(out), complete
