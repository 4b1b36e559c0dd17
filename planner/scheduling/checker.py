"""An independent checker of a roster against the rules (it does not use the CP-SAT model).

:func:`check_roster` re-derives every hard rule from the rules file and the roster and activities
frames alone (timestamps, templates, clock arithmetic) and returns one row per violation; an
empty frame means the roster is legal. It is the referee of the tests and benchmarks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd

from planner.scheduling.rules import WEEKDAYS, ScheduleRules

__all__ = ["VIOLATION_COLUMNS", "check_roster"]

VIOLATION_COLUMNS = ("agent_id", "date", "rule", "message")


def _clock(ts: pd.Timestamp) -> int:
    return ts.hour * 60 + ts.minute


def check_roster(
    roster: pd.DataFrame,
    activities: pd.DataFrame,
    rules: ScheduleRules,
    *,
    dates: Sequence[dt.date] | None = None,
    interval_minutes: int | None = None,
    previous_roster: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every hard-rule violation of ``roster`` (empty frame when the roster is legal).

    Parameters
    ----------
    roster : DataFrame
        agent_id, date, template, shift_start, shift_end, paid_minutes (tz-aware local times).
    activities : DataFrame
        agent_id, date, activity, paid, start, end: one row per break or lunch.
    rules : ScheduleRules
    dates : sequence of date, optional
        The horizon's local dates (for days off blocks and prorated minimums); default: the week
        from the Monday before the first shift.
    interval_minutes : int, optional
        When given, the break stagger rule (``max_on_break_share``) is checked on this grid.
    previous_roster : DataFrame, optional
        Last week's roster: rest across the boundary and alternate weekends off.

    Returns
    -------
    DataFrame
        Columns ``VIOLATION_COLUMNS``; ``rule`` names the rule (``min_rest_hours``, ``template``,
        ``availability``, ``days_off``, ``min_days``, ``max_hours``, ``break_window``, ...).
    """
    found: list[tuple[str, object, str, str]] = []

    def bad(agent: str, date: object, rule: str, message: str) -> None:
        found.append((agent, date, rule, message))

    agents = {a.agent_id: a for a in rules.agents}
    templates = {t.name: t for t in rules.shift_templates}
    weekly = rules.weekly
    shifts = roster.sort_values(["agent_id", "shift_start"]).reset_index(drop=True)
    if dates is None:
        if len(shifts):
            first = min(shifts["shift_start"]).date()
            monday = first - dt.timedelta(days=first.weekday())
            dates = [monday + dt.timedelta(days=i) for i in range(7)]
        else:
            dates = []
    n_days = len(dates)
    prorate = min(1.0, n_days / 7) if n_days else 1.0
    acts = activities.sort_values(["agent_id", "start"])
    acts_by_key = {key: g for key, g in acts.groupby(["agent_id", "date"], sort=False)}

    for row in shifts.itertuples(index=False):
        agent_id, start, end = str(row.agent_id), row.shift_start, row.shift_end
        date = start.date()
        agent = agents.get(agent_id)
        if agent is None:
            bad(agent_id, date, "agent", f"agent {agent_id} is not in the rules")
            continue
        template = templates.get(row.template)
        length = int((end - start) / pd.Timedelta(minutes=1))
        clock = _clock(start)
        if template is None:
            bad(agent_id, date, "template", f"unknown template {row.template!r}")
            continue
        earliest, latest = template.earliest_start_minutes, template.latest_start_minutes
        clock_ok = earliest <= clock <= latest or earliest <= clock + 1440 <= latest
        on_step = (clock - earliest) % template.start_step_minutes == 0
        if not (clock_ok and on_step) or length not in template.lengths_minutes:
            bad(
                agent_id,
                date,
                "template",
                f"shift {start:%a %H:%M} lasting {length} min is not a {template.name} shift",
            )
        if date.weekday() not in template.weekdays:
            bad(
                agent_id,
                date,
                "template",
                f"{template.name} shifts may not start on {WEEKDAYS[date.weekday()]}",
            )
        unpaid = template.unpaid_minutes()
        if int(row.paid_minutes) != length - unpaid:
            bad(
                agent_id,
                date,
                "paid_minutes",
                f"paid_minutes {row.paid_minutes} != length {length} - unpaid breaks {unpaid}",
            )
        if rules.opening_hours is not None:
            window = rules.opening_hours.get(date.weekday())
            if window is None or not (window[0] <= clock and clock + length <= window[1]):
                bad(
                    agent_id,
                    date,
                    "opening_hours",
                    f"shift {start:%a %H:%M}-{end:%H:%M} outside opening hours",
                )
        if agent.templates and template.name not in agent.templates:
            bad(agent_id, date, "templates", f"agent may not work {template.name} shifts")
        window = agent.availability.get(date.weekday())
        if window is None or not (window[0] <= clock and clock + length <= window[1]):
            bad(
                agent_id,
                date,
                "availability",
                f"shift {start:%a %H:%M}-{end:%H:%M} outside availability",
            )
        if pd.Timestamp(date) in agent.days_off:
            bad(agent_id, date, "days_off", f"works on requested day off {date}")
        # breaks
        mine = acts_by_key.get((agent_id, row.date))
        if mine is None:
            mine = activities.iloc[0:0]
        mine = mine[(mine["start"] >= start) & (mine["start"] < end)]
        names = list(mine["activity"])
        expected = [b.name for b in template.breaks]
        if names != expected:
            bad(agent_id, date, "breaks", f"breaks {names} differ from the template's {expected}")
            continue
        previous_end = None
        for rule, act in zip(template.breaks, mine.itertuples(index=False), strict=True):
            offset = (act.start - start) / pd.Timedelta(minutes=1)
            duration = (act.end - act.start) / pd.Timedelta(minutes=1)
            if not rule.earliest_after_start_minutes <= offset <= rule.latest_after_start_minutes:
                bad(
                    agent_id,
                    date,
                    "break_window",
                    f"{rule.name} starts {offset:g} min after the shift start, allowed "
                    f"{rule.earliest_after_start_minutes}-{rule.latest_after_start_minutes}",
                )
            if duration != rule.minutes or act.end > end:
                bad(
                    agent_id,
                    date,
                    "break_length",
                    f"{rule.name} lasts {duration:g} min, expected {rule.minutes}",
                )
            if previous_end is not None:
                gap = (act.start - previous_end) / pd.Timedelta(minutes=1)
                if gap < rule.min_gap_minutes:
                    bad(
                        agent_id,
                        date,
                        "break_gap",
                        f"{rule.name} starts {gap:g} min after the previous break, "
                        f"expected >= {rule.min_gap_minutes}",
                    )
            previous_end = act.end

    # weekly rules per agent
    previous = None
    if previous_roster is not None and len(previous_roster):
        previous = previous_roster.sort_values("shift_end").groupby("agent_id")
    for agent_id, agent in agents.items():
        mine = shifts[shifts["agent_id"].astype(str) == agent_id]
        days = len(mine)
        min_days = agent.min_days if n_days >= 7 else math.floor(agent.min_days * prorate)
        if days < min_days:
            bad(agent_id, None, "min_days", f"works {days} days, at least {min_days} required")
        if days > agent.max_days:
            bad(agent_id, None, "max_days", f"works {days} days, at most {agent.max_days} allowed")
        if mine["shift_start"].dt.date.duplicated().any():
            bad(agent_id, None, "one_shift_per_day", "works two shifts starting on the same day")
        hours = mine["paid_minutes"].sum() / 60.0
        if hours < agent.min_hours * prorate - 1e-9:
            bad(
                agent_id,
                None,
                "min_hours",
                f"works {hours:g} h, at least {agent.min_hours * prorate:g} h required",
            )
        if hours > agent.max_hours + 1e-9:
            bad(
                agent_id,
                None,
                "max_hours",
                f"works {hours:g} h, at most {agent.max_hours:g} h allowed",
            )
        starts = list(mine["shift_start"])
        ends = list(mine["shift_end"])
        if previous is not None and agent_id in previous.groups:
            prev = previous.get_group(agent_id)
            last_end = pd.to_datetime(prev["shift_end"], utc=True).max()
            if starts:
                rest_h = (starts[0] - last_end) / pd.Timedelta(hours=1)
                if rest_h < weekly.min_rest_hours - 1e-9:
                    bad(
                        agent_id,
                        starts[0].date(),
                        "min_rest_hours",
                        f"rests {rest_h:g} h after last week's final shift, "
                        f"at least {weekly.min_rest_hours:g} h",
                    )
            prev_start = pd.to_datetime(prev["shift_start"], utc=True)
            if weekly.alternate_weekends_off and starts:
                tz = starts[0].tz
                if (prev_start.dt.tz_convert(tz).dt.day_of_week >= 5).any() and any(
                    s.weekday() >= 5 for s in starts
                ):
                    bad(agent_id, None, "alternate_weekends_off", "works two weekends in a row")
        for i in range(1, len(starts)):
            rest_h = (starts[i] - ends[i - 1]) / pd.Timedelta(hours=1)
            if rest_h < weekly.min_rest_hours - 1e-9:
                bad(
                    agent_id,
                    starts[i].date(),
                    "min_rest_hours",
                    f"rests {rest_h:g} h before {starts[i]:%a %H:%M}, "
                    f"at least {weekly.min_rest_hours:g} h",
                )
        if weekly.min_consecutive_days_off and n_days >= weekly.min_consecutive_days_off:
            worked = {s.date() for s in starts}
            run = best = 0
            for d in dates:
                run = 0 if d in worked else run + 1
                best = max(best, run)
            if best < weekly.min_consecutive_days_off:
                bad(
                    agent_id,
                    None,
                    "min_consecutive_days_off",
                    f"longest run of days off is {best}, "
                    f"at least {weekly.min_consecutive_days_off} required",
                )
        tol = weekly.start_time_tolerance_minutes
        if tol is not None and starts:
            clocks = [_clock(s) for s in starts]
            if max(clocks) - min(clocks) > tol:
                bad(
                    agent_id,
                    None,
                    "start_time_tolerance_minutes",
                    f"start times spread {max(clocks) - min(clocks)} min, at most {tol}",
                )

    # break stagger on the interval grid
    if interval_minutes and weekly.max_on_break_share < 1.0 and len(shifts):
        step = pd.Timedelta(minutes=interval_minutes)
        t0 = min(shifts["shift_start"]).floor("D")

        def slots(s: pd.Series) -> pd.Series:
            return ((s - t0) / step).astype("int64")

        n = int(slots(shifts["shift_end"]).max()) + 1
        import numpy as np

        on_shift = np.zeros(n + 1, dtype=np.int64)
        np.add.at(on_shift, slots(shifts["shift_start"]).to_numpy(), 1)
        np.add.at(on_shift, slots(shifts["shift_end"]).to_numpy(), -1)
        on_break = np.zeros(n + 1, dtype=np.int64)
        if len(activities):
            np.add.at(on_break, slots(activities["start"]).to_numpy(), 1)
            np.add.at(on_break, slots(activities["end"]).to_numpy(), -1)
        on_shift, on_break = np.cumsum(on_shift), np.cumsum(on_break)
        limit = np.maximum(1, np.ceil(weekly.max_on_break_share * on_shift - 1e-9))
        for t in np.flatnonzero((on_break > limit) & (on_break > 0)):
            when = t0 + int(t) * step
            bad(
                "*",
                when.date(),
                "max_on_break_share",
                f"{int(on_break[t])} of {int(on_shift[t])} agents on a break at {when:%a %H:%M}",
            )
    return pd.DataFrame(found, columns=list(VIOLATION_COLUMNS))
