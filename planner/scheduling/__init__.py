"""Shift scheduling and weekly rosters with OR-Tools CP-SAT.

Public surface: :func:`load_rules` / :func:`parse_rules` (the rules file), :func:`design_shifts`
(aggregate shift design), :func:`build_roster` (named agents' weekly tours), :func:`check_roster`
(an independent rule checker) and :func:`write_schedule` (CSV/JSON outputs). Constraint builders
for other engines live in :mod:`planner.scheduling.builders`. OR-Tools is imported only here.
"""

from __future__ import annotations

from planner.scheduling.checker import check_roster
from planner.scheduling.design import ShiftDesign, design_shifts
from planner.scheduling.outputs import ScheduleSummary, split_coverage_by_queue, write_schedule
from planner.scheduling.roster import RosterResult, build_roster
from planner.scheduling.rules import ScheduleRules, load_rules, parse_rules

__all__ = [
    "RosterResult",
    "ScheduleRules",
    "ScheduleSummary",
    "ShiftDesign",
    "build_roster",
    "check_roster",
    "design_shifts",
    "load_rules",
    "parse_rules",
    "split_coverage_by_queue",
    "write_schedule",
]
