"""A quick legal roster that ignores coverage: the complete warm start of the design model.

CP-SAT's first-solution heuristics struggle with the design's equalities (every person working a
day works one shift), while a legal week per agent is easy to build by hand: the same start time
every worked day (so the rest between days is 24 h minus the shift length), a pattern of days
that respects the day counts and the days-off block, lengths that fit the contract hours. Start
times rotate between agents so the hint is not absurd for coverage; CP-SAT improves from there.
"""

from __future__ import annotations

import math
from collections import defaultdict

from planner.scheduling.problem import Problem

__all__ = ["greedy_roster"]


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
        # fewest days that can reach the target first, rotated between agents
        patterns.sort(key=lambda p: len(p))
        combos = sorted({(tpl, clock) for (_d, tpl, clock) in by_day_clock})
        found = None
        for shift in range(len(combos)):
            tpl, clock = combos[(a * 7 + shift) % len(combos)]
            for i in range(len(patterns)):
                days = patterns[(a + i) % len(patterns)] if patterns else ()
                if not days and min_minutes > 0:
                    continue
                options = [by_day_clock.get((d, tpl, clock)) for d in days]
                if any(not o for o in options):
                    continue
                chosen = _fit_lengths(problem, options, target, min_minutes, max_minutes)
                if chosen is None or not _rest_ok(problem, chosen, rest_minutes):
                    continue
                found = chosen
                break
            if found is not None:
                break
        if found is None:
            return None
        out[a] = found
    return out


def _fit_lengths(
    problem: Problem, options: list[list[int]], target: int, lo: int, hi: int
) -> list[int] | None:
    """One type per day with total paid minutes in [lo, hi], as close to ``target`` as greedy gets."""
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
