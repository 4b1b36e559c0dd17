"""Rules for the built-in sample centre: a workforce sized from the week's required agent-hours.

Used by ``planner demo`` and ``bench/bench_schedule_e2e.py``: full-timers (40 h, 5 x 8 h paid,
30 min unpaid lunch, two paid 15-min breaks) and part-timers (20-30 h over 5 days, 4-6 h shifts
with a paid 15-min break); a fifth cannot work weekends, a seventh only until 17:00, some have
requested a day off; 11 h rest, two days off in a row, at most a quarter on a break at once;
every open interval should keep 70 % of calls answered within 20 s (``min_interval_service_level``;
priced by default, a hard rule with ``hard_floor=True``).

The headcounts come from the hours (half of them full-time, part-timers at 25 h on average) or,
as a planner would size a workforce, from a shift design of the week (``planner.scheduling.sizing``:
``headcounts_from_design``, and ``part_timers_for_hard_floor`` under a hard floor).
"""

from __future__ import annotations

import math

import pandas as pd

from planner.errors import InputError
from planner.scheduling.rules import ScheduleRules, parse_rules

__all__ = ["sample_centre_rules"]

FULL_TIME_SHARE_OF_HOURS = 0.5
PART_TIME_MEAN_HOURS = 25.0


def sample_centre_rules(
    required_agent_hours: float,
    week_start: str | pd.Timestamp,
    *,
    headcounts: tuple[int, int] | None = None,
    hard_floor: bool = False,
    extra_part_time: int = 0,
) -> ScheduleRules:
    """Rules with agents sized for ``required_agent_hours`` (paid breaks add about 6 %).

    Parameters
    ----------
    required_agent_hours : float
        Sum of ``agents_to_schedule`` x interval hours over the week (hours).
    week_start : str or Timestamp
        The Monday of the week (day-off requests fall in it).
    headcounts : (full-timers, part-timers), optional
        The workforce (e.g. from ``planner.scheduling.sizing.headcounts_from_design``); by
        default sized from the hours.
    hard_floor : bool
        Make the 70 % interval floor a hard rule (``min_interval_service_level_hard``).
    extra_part_time : int
        Part-timers hired on top (e.g. from
        ``planner.scheduling.sizing.part_timers_for_hard_floor``), listed last: the part-time
        contract, available whenever the centre is open, no day-off request.

    Raises
    ------
    InputError
        A negative headcount, or none at all; a negative ``extra_part_time``.
    """
    if headcounts is not None and (min(headcounts) < 0 or sum(headcounts) == 0):
        raise InputError(
            f"sample_centre_rules: headcounts must be two counts >= 0, not both 0, "
            f"got {headcounts!r}"
        )
    if extra_part_time < 0:
        raise InputError(
            f"sample_centre_rules: extra_part_time must be >= 0, got {extra_part_time!r}"
        )
    data = _rules_dict(required_agent_hours, pd.Timestamp(week_start), headcounts, extra_part_time)
    data["min_interval_service_level_hard"] = hard_floor
    return parse_rules(data, source="sample rules")


def _rules_dict(
    required_agent_hours: float,
    monday: pd.Timestamp,
    headcounts: tuple[int, int] | None = None,
    extra_part_time: int = 0,
) -> dict:
    """Rules with a workforce sized from the required agent-hours (paid breaks add ~6 %), plus
    ``extra_part_time`` part-timers without availability limits or day-off requests."""
    if headcounts is None:
        paid_needed = required_agent_hours * 1.06
        full = math.ceil(FULL_TIME_SHARE_OF_HOURS * paid_needed / 40.0)
        part = math.ceil((1 - FULL_TIME_SHARE_OF_HOURS) * paid_needed / PART_TIME_MEAN_HOURS)
    else:
        full, part = headcounts
    weekdays_only = {d: ["07:00", "22:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    daytime = {d: ["07:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    agents = []
    for i in range(full + part):
        is_full = i < full
        agent = {
            "id": f"{'F' if is_full else 'P'}{i + 1:03d}",
            "templates": ["full" if is_full else "part"],
            "min_days": 5,
            "max_days": 5,
            "min_hours": 40 if is_full else 20,
            "max_hours": 40 if is_full else 30,
        }
        if i % 5 == 1:
            agent["availability"] = weekdays_only
        elif i % 7 == 3:
            agent["availability"] = daytime
        if i % 11 == 4 and i % 5 != 1:
            agent["days_off"] = [str((monday + pd.Timedelta(days=i % 5)).date())]
        agents.append(agent)
    for i in range(full + part, full + part + extra_part_time):
        agents.append(
            {
                "id": f"P{i + 1:03d}",
                "templates": ["part"],
                "min_days": 5,
                "max_days": 5,
                "min_hours": 20,
                "max_hours": 30,
            }
        )
    return {
        "answer_target_seconds": 20,
        "min_interval_service_level": 0.7,
        "opening_hours": {
            **{d: ["07:00", "22:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "sat": ["09:00", "18:00"],
            "sun": ["09:00", "18:00"],
        },
        "costs": {
            "paid_hour": 1.0,
            "overtime_hour": 1.5,
            "under_coverage_hour": 1.0,
            "late_call": 0.3,
            "over_coverage_hour": 0.1,
            "start_time_change_hour": 0.02,
        },
        "weekly": {"min_rest_hours": 11, "min_consecutive_days_off": 2, "max_on_break_share": 0.25},
        "shift_templates": [
            {
                "name": "full",
                "earliest_start": "07:00",
                "latest_start": "13:30",
                "start_step_minutes": 15,
                "lengths_minutes": [510],
                "breaks": [
                    {
                        "name": "break",
                        "minutes": 15,
                        "paid": True,
                        "earliest_after_start_minutes": 90,
                        "latest_after_start_minutes": 150,
                    },
                    {
                        "name": "lunch",
                        "minutes": 30,
                        "paid": False,
                        "earliest_after_start_minutes": 210,
                        "latest_after_start_minutes": 300,
                        "min_gap_minutes": 60,
                    },
                    {
                        "name": "break2",
                        "minutes": 15,
                        "paid": True,
                        "earliest_after_start_minutes": 360,
                        "latest_after_start_minutes": 420,
                        "min_gap_minutes": 60,
                    },
                ],
            },
            {
                "name": "part",
                "earliest_start": "07:00",
                "latest_start": "18:00",
                "start_step_minutes": 15,
                "lengths_minutes": [240, 300, 360],
                "breaks": [
                    {
                        "name": "break",
                        "minutes": 15,
                        "paid": True,
                        "earliest_after_start_minutes": 90,
                        "latest_after_start_minutes": 165,
                    },
                ],
            },
        ],
        "agents": agents,
    }
