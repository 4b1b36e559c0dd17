"""The LP relaxation (HiGHS) and the design solved first on the LP optimum's shift types."""

from __future__ import annotations

import pandas as pd
import pytest
from ortools.sat.python import cp_model

from planner.scheduling import design_shifts, parse_rules
from planner.scheduling.problem import lp_bound, lp_relaxation

TZ = "Europe/London"
MONDAY = "2026-11-23"


def test_lp_relaxation_proves_the_fractional_optimum_and_returns_its_point() -> None:
    # min x + y subject to 2x + 2y >= 3 over integers 0..5: the LP optimum is 1.5 (x + y = 1.5),
    # the integer optimum 2; objective coefficients are in SCALE (1000) units per money unit
    model = cp_model.CpModel()
    x = model.new_int_var(0, 5, "x")
    y = model.new_int_var(0, 5, "y")
    model.add(2 * x + 2 * y >= 3)
    relaxation = lp_relaxation(model, [(x, 1000), (y, 1000)], time_limit_seconds=5)
    assert relaxation is not None
    assert relaxation.bound == pytest.approx(1.5, abs=1e-9)
    assert relaxation.values.shape == (2,)
    assert relaxation.values[x.index] + relaxation.values[y.index] == pytest.approx(1.5, abs=1e-6)
    assert lp_bound(model, [(x, 1000), (y, 1000)], time_limit_seconds=5) == pytest.approx(
        1.5, abs=1e-9
    )


def test_lp_relaxation_without_objective_terms_is_none() -> None:
    model = cp_model.CpModel()
    model.new_int_var(0, 5, "x")
    assert lp_relaxation(model, [], time_limit_seconds=1) is None


def _rules() -> dict:
    return {
        "weekly": {"min_rest_hours": 11, "max_on_break_share": 1.0},
        "costs": {
            "late_call": 0.0,
            "under_coverage_hour": 10.0,
            "paid_hour": 1.0,
            "over_coverage_hour": 0.5,
            "start_time_change_hour": 0.0,
        },
        "shift_templates": [
            {
                "name": "day",
                "earliest_start": "06:00",
                "latest_start": "14:00",
                "start_step_minutes": 60,
                "lengths_minutes": [480],
            }
        ],
        "agent_defaults": {"min_days": 0, "max_days": 2, "min_hours": 0, "max_hours": 16},
        "agents": [{"id": f"A{i}"} for i in range(1, 7)],
    }


@pytest.mark.slow
def test_design_is_solved_first_on_the_lp_support_and_proves_the_optimum() -> None:
    # Monday 08:00-16:00 needs 2 heads, 12:00-20:00 needs 1 more (3 heads 12:00-16:00): two
    # 08:00 shifts and one 12:00 shift cover it exactly (24 paid hours), which the LP finds too
    idx = pd.date_range(MONDAY, periods=24, freq="60min", tz=TZ)
    heads = [(2 if 8 <= ts.hour < 16 else 0) + (1 if 12 <= ts.hour < 20 else 0) for ts in idx]
    frame = pd.DataFrame({"queue": "q", "interval_start": idx, "agents_to_schedule": heads})
    events = []
    design = design_shifts(
        frame,
        parse_rules(_rules()),
        time_limit_seconds=10,
        num_workers=1,
        on_solution=events.append,
    )
    phases = [e.phase for e in events]
    assert "design-lp-support" in phases
    assert design.summary.status == "OPTIMAL"
    assert design.summary.paid_hours == pytest.approx(24.0, abs=1e-9)
    assert design.coverage["under"].sum() == 0 and design.coverage["over"].sum() == 0
    starts = dict(zip(design.shifts["shift_start"].dt.hour, design.shifts["count"], strict=True))
    assert starts == {8: 2, 12: 1}


def test_a_constructed_assignment_is_kept_only_when_the_checker_finds_it_legal() -> None:
    # the fallback of the exact assignment when CP-SAT runs out of time: agent A1 on Monday
    # 14:00-22:00 and Tuesday 06:00 rests 8 h (< 11 h): illegal; Tuesday 09:00 rests 11 h: legal
    from planner.scheduling.problem import prepare_problem
    from planner.scheduling.roster import _legal

    idx = pd.date_range(MONDAY, periods=48, freq="60min", tz=TZ)
    frame = pd.DataFrame({"queue": "q", "interval_start": idx, "agents_to_schedule": 1})
    problem = prepare_problem(frame, parse_rules(_rules()))

    def shift(day: int, hour: int) -> int:
        return next(
            s.index
            for s in problem.shift_types
            if s.day == day and s.start_clock_minutes == 60 * hour
        )

    assert not _legal(problem, {shift(0, 14): [0], shift(1, 6): [0]}, {}, None)
    assert _legal(problem, {shift(0, 14): [0], shift(1, 9): [0]}, {}, None)


def _erlang_c_service_level(traffic: float, agents: int, aht: float, target: float) -> float:
    """Textbook Erlang C (independent of planner.queueing): 1 - P(wait) exp(-(N - A) t / AHT)."""
    import math

    if agents <= traffic:
        return 0.0
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    bottom = sum(traffic**k / math.factorial(k) for k in range(agents)) + top
    return 1.0 - top / bottom * math.exp(-(agents - traffic) * target / aht)


def _one_interval() -> pd.DataFrame:
    # 30 minutes, 100 calls of 180 s = 10 Erlangs, 14 heads
    return pd.DataFrame(
        {
            "queue": ["q"],
            "interval_start": [pd.Timestamp(f"{MONDAY} 10:00", tz=TZ)],
            "agents_to_schedule": [14],
            "agents_required": [14],
            "traffic_erlangs": [10.0],
            "calls_forecast": [100.0],
            "aht_seconds_forecast": [180.0],
        }
    )


@pytest.mark.parametrize("floor", [0.5, 0.7, 0.8], ids=["50pct", "70pct", "80pct"])
def test_service_level_floor_prices_each_head_missing_below_it(floor: float) -> None:
    import numpy as np

    from planner.scheduling.penalties import BELOW_FLOOR_COST, floor_shortfall, under_coverage_costs
    from planner.scheduling.rules import CostRules

    # the fewest heads meeting the floor, by the textbook formula
    fewest = next(n for n in range(15) if _erlang_c_service_level(10.0, n, 180.0, 20.0) >= floor)
    allowed = floor_shortfall(
        np.array([10.0]), np.array([180.0]), np.array([14]), np.array([1.0]), 20.0, floor
    )
    assert list(allowed) == [14 - fewest]
    costs = CostRules(under_coverage_hour=0.0, late_call=1.0)
    frame = _one_interval()
    _, plain = under_coverage_costs(frame, np.array([0]), 1, costs, 30, 20.0)
    _, floored = under_coverage_costs(frame, np.array([0]), 1, costs, 30, 20.0, floor)
    extra = np.diff(floored[0]) - np.diff(plain[0])
    # nothing extra while the floor holds, BELOW_FLOOR_COST for every head missing beyond it
    expected = np.where(np.arange(14) >= 14 - fewest, BELOW_FLOOR_COST, 0.0)
    np.testing.assert_allclose(extra, expected, atol=1e-9)


def test_service_level_floor_is_parsed_and_checked() -> None:
    from planner.errors import ConfigError

    data = _rules()
    assert parse_rules(data).min_interval_service_level == 0.0
    assert (
        parse_rules({**data, "min_interval_service_level": 0.7}).min_interval_service_level == 0.7
    )
    with pytest.raises(ConfigError, match="min_interval_service_level"):
        parse_rules({**data, "min_interval_service_level": 1.5})
