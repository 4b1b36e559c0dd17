"""Shift design, rosters, the independent checker, penalties and infeasibility explanations."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import ConfigError, InfeasibleError, InputError
from planner.scheduling import build_roster, check_roster, design_shifts, parse_rules
from planner.scheduling.penalties import under_coverage_costs
from planner.scheduling.problem import prepare_problem
from planner.scheduling.rules import CostRules
from planner.scheduling.shifts import enumerate_shift_types, make_grid

TZ = "Europe/London"
MONDAY = "2026-11-23"


def requirements(
    heads_by_hour: dict[tuple[int, int], int], days: int = 2, step: int = 60
) -> pd.DataFrame:
    """Requirement frame over ``days`` days from MONDAY; (day, hour) -> heads, 0 elsewhere."""
    idx = pd.date_range(MONDAY, periods=days * 1440 // step, freq=f"{step}min", tz=TZ)
    heads = [heads_by_hour.get((i // (1440 // step), ts.hour), 0) for i, ts in enumerate(idx)]
    return pd.DataFrame({"queue": "q", "interval_start": idx, "agents_to_schedule": heads})


def rules_dict(**weekly: object) -> dict:
    return {
        "weekly": {"min_rest_hours": 11, **weekly},
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
                "breaks": [
                    {
                        "name": "break",
                        "minutes": 60,
                        "paid": True,
                        "earliest_after_start_minutes": 120,
                        "latest_after_start_minutes": 240,
                    },
                ],
            }
        ],
        "agent_defaults": {"min_days": 0, "max_days": 2, "min_hours": 0, "max_hours": 16},
        "agents": [{"id": f"A{i}"} for i in range(1, 5)],
    }


# ------------------------------------------------------------------------------------------
# grid, shift types, penalties


def test_grid_handles_the_autumn_clock_change() -> None:
    # 2026-10-25 is the last Sunday of October: Europe/London has a 25-hour day
    idx = pd.Series(pd.date_range("2026-10-25", "2026-10-26 23:45", freq="15min", tz=TZ))
    grid = make_grid(idx, 15)
    assert list(np.diff(grid.day_start_slot)) == [100, 96]
    rules = parse_rules(rules_dict())
    types = enumerate_shift_types(grid, rules)
    monday_6am = next(t for t in types if t.day == 1 and t.start_clock_minutes == 360)
    assert monday_6am.start_slot == 100 + 24
    assert monday_6am.start == pd.Timestamp("2026-10-26 06:00", tz=TZ)


def test_durations_off_the_interval_grid_are_config_errors() -> None:
    data = rules_dict()
    data["shift_templates"][0]["breaks"][0]["minutes"] = 45
    with pytest.raises(
        ConfigError, match="breaks 'break' minutes must be a multiple of the 60-minute"
    ):
        prepare_problem(requirements({(0, 9): 1}), parse_rules(data))


def test_requirements_are_validated() -> None:
    rules = parse_rules(rules_dict())
    frame = requirements({(0, 9): 1})
    with pytest.raises(InputError, match="column 'agents_to_schedule' is missing"):
        prepare_problem(frame.drop(columns="agents_to_schedule"), rules)
    bad = frame.assign(agents_to_schedule=frame["agents_to_schedule"].astype(float))
    bad.loc[3, "agents_to_schedule"] = 1.5
    with pytest.raises(InputError, match="row 3: agents_to_schedule must be a whole number"):
        prepare_problem(bad, rules)
    naive = frame.assign(interval_start=frame["interval_start"].dt.tz_localize(None))
    with pytest.raises(InputError, match="interval_start must be timezone-aware"):
        prepare_problem(naive, rules)
    long = requirements({}, days=8)
    with pytest.raises(InputError, match="spans 8 days"):
        prepare_problem(long, rules)


def sl_requirements() -> pd.DataFrame:
    # one interval of 30 minutes, 100 calls of 180 s = 10 Erlangs, 14 heads
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


def test_service_level_penalty_is_convex_and_prices_the_fifth_agent_above_the_first() -> None:
    costs = CostRules(under_coverage_hour=0.0, late_call=1.0)
    frame = sl_requirements()
    required, curves = under_coverage_costs(frame, np.array([0]), 1, costs, 30, 20.0)
    curve = curves[0]
    marginal = np.diff(curve)
    assert required[0] == 14
    assert curve[0] == 0.0
    assert np.all(np.diff(marginal) >= -1e-9)  # convex
    assert marginal[4] > 2 * marginal[0]  # the fifth missing head costs far more than the first
    # golden values from planner.queueing's Erlang C (the kernel the penalty is defined on)
    from planner.queueing import erlang_c_service_level

    late_at_13 = 100 * (1 - erlang_c_service_level(10.0, 13, 180.0, 20.0))
    late_at_14 = 100 * (1 - erlang_c_service_level(10.0, 14, 180.0, 20.0))
    assert marginal[0] == pytest.approx(late_at_13 - late_at_14, rel=1e-9)
    # 4 short: every one of the 100 calls is late, compared with late_at_14 when fully staffed
    assert curve[4] == pytest.approx(100.0 - late_at_14, rel=1e-9)


def test_linear_penalty_without_traffic_and_pooling_of_queues() -> None:
    costs = CostRules(under_coverage_hour=2.0, late_call=1.0)
    frame = pd.DataFrame(
        {
            "queue": ["a", "b"],
            "interval_start": [pd.Timestamp(f"{MONDAY} 10:00", tz=TZ)] * 2,
            "agents_to_schedule": [2, 3],
        }
    )
    required, curves = under_coverage_costs(frame, np.array([0, 0]), 1, costs, 30, 20.0)
    assert required[0] == 5
    np.testing.assert_allclose(curves[0], np.arange(6) * 2.0 * 0.5)


# ------------------------------------------------------------------------------------------
# the independent checker


def legal_roster() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A hand-written legal two-day roster for rules_dict() (not produced by the model)."""
    data = rules_dict()
    rows, acts = [], []
    for agent, day, hour in (("A1", 0, 8), ("A1", 1, 8), ("A2", 0, 9)):
        date = pd.Timestamp(MONDAY).date() + dt.timedelta(days=day)
        start = pd.Timestamp(f"{date} {hour:02d}:00", tz=TZ)
        end = start + pd.Timedelta(hours=8)
        rows.append((agent, date, "day", start, end, 480))
        acts.append(
            (
                agent,
                date,
                "break",
                True,
                start + pd.Timedelta(hours=3),
                start + pd.Timedelta(hours=4),
            )
        )
    roster = pd.DataFrame(
        rows, columns=["agent_id", "date", "template", "shift_start", "shift_end", "paid_minutes"]
    )
    activities = pd.DataFrame(
        acts, columns=["agent_id", "date", "activity", "paid", "start", "end"]
    )
    return roster, activities, data


DATES = [pd.Timestamp(MONDAY).date() + dt.timedelta(days=i) for i in range(2)]


def test_checker_accepts_a_legal_roster() -> None:
    roster, activities, data = legal_roster()
    found = check_roster(roster, activities, parse_rules(data), dates=DATES, interval_minutes=60)
    assert found.empty, found.to_string()


def _shift(roster: pd.DataFrame, activities: pd.DataFrame, row: int, hours: float) -> None:
    delta = pd.Timedelta(hours=hours)
    roster.loc[row, ["shift_start", "shift_end"]] += delta
    activities.loc[row, ["start", "end"]] += delta


def _violate(case: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    roster, activities, data = legal_roster()
    if case == "min_rest_hours":  # A1 Monday 14:00-22:00, Tuesday 08:00: 10 h rest
        _shift(roster, activities, 0, 6)
    elif case == "template":  # 06:30 is not on the 60-minute start grid
        _shift(roster, activities, 2, -2.5)
    elif case == "availability":
        data["agents"][1]["availability"] = {"tue": ["06:00", "22:00"]}
    elif case == "days_off":
        data["agents"][1]["days_off"] = [MONDAY]
    elif case == "min_days":
        data["agents"][2].update(
            {"min_days": 4, "max_days": 5}
        )  # prorated to the 2-day horizon: floor(4 * 2 / 7) = 1
    elif case == "max_hours":
        data["agents"][0]["max_hours"] = 12
    elif case == "max_days":
        data["agents"][0]["max_days"] = 1
    elif case == "break_window":
        activities.loc[0, ["start", "end"]] += pd.Timedelta(hours=2)
    elif case == "break_length":
        activities.loc[0, "end"] += pd.Timedelta(minutes=30)
    elif case == "breaks":
        activities = activities.drop(index=1)
    elif case == "paid_minutes":
        roster.loc[0, "paid_minutes"] = 450
    elif case == "max_on_break_share":  # A1 and A2 on a break together on Monday 12:00
        data["weekly"]["max_on_break_share"] = 0.5
        _shift(roster, activities, 2, -1)
    elif case == "min_consecutive_days_off":
        data["weekly"]["min_consecutive_days_off"] = 1
    elif case == "start_time_tolerance_minutes":
        data["weekly"]["start_time_tolerance_minutes"] = 30
        _shift(roster, activities, 1, 1)
    elif case == "agent":
        roster.loc[2, "agent_id"] = "Z9"
        activities.loc[2, "agent_id"] = "Z9"
    return roster, activities, data


CASES = [
    "min_rest_hours",
    "template",
    "availability",
    "days_off",
    "min_days",
    "max_hours",
    "max_days",
    "break_window",
    "break_length",
    "breaks",
    "paid_minutes",
    "max_on_break_share",
    "min_consecutive_days_off",
    "start_time_tolerance_minutes",
    "agent",
]


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_checker_catches_each_rule_violation(case: str) -> None:
    roster, activities, data = _violate(case)
    found = check_roster(roster, activities, parse_rules(data), dates=DATES, interval_minutes=60)
    assert case in set(found["rule"]), found.to_string()


def test_checker_sees_rest_and_weekend_rules_across_weeks() -> None:
    roster, activities, data = legal_roster()
    data["weekly"]["alternate_weekends_off"] = True
    previous = pd.DataFrame(
        {
            "agent_id": ["A1"],
            "shift_start": [pd.Timestamp("2026-11-22 14:00", tz=TZ)],  # last Sunday 14:00-22:30
            "shift_end": [pd.Timestamp("2026-11-22 22:30", tz=TZ)],
        }
    )
    found = check_roster(
        roster, activities, parse_rules(data), dates=DATES, previous_roster=previous
    )
    assert "min_rest_hours" in set(found["rule"])


# ------------------------------------------------------------------------------------------
# solves (small, a few seconds each)


@pytest.mark.slow
def test_design_covers_an_exactly_coverable_curve_optimally() -> None:
    # 2 heads 08:00-16:00 on Monday with a 1 h paid break in hours 2-4: the design needs 3 shifts
    # starting at 08:00 (or breaks staggered with neighbours), never under-covers at these costs
    data = rules_dict()
    data["shift_templates"][0]["breaks"] = []
    frame = requirements({(0, h): 2 for h in range(8, 16)}, days=1)
    design = design_shifts(frame, parse_rules(data), time_limit_seconds=10, num_workers=2)
    assert design.summary.status == "OPTIMAL"
    assert list(design.shifts["count"]) == [2]
    assert design.shifts["shift_start"].iloc[0] == pd.Timestamp(f"{MONDAY} 08:00", tz=TZ)
    assert design.coverage["under"].sum() == 0 and design.coverage["over"].sum() == 0
    assert design.summary.paid_hours == pytest.approx(16.0, abs=1e-9)
    assert list(design.coverage.columns) == [
        "queue",
        "interval_start",
        "agents_to_schedule",
        "agents_scheduled",
        "under",
        "over",
    ]


@pytest.mark.slow
def test_roster_passes_the_checker_and_reports_its_gap() -> None:
    data = rules_dict(max_on_break_share=0.5)
    frame = requirements({(d, h): 2 for d in range(2) for h in range(8, 18)})
    rules = parse_rules(data)
    events = []
    result = build_roster(
        frame, rules, time_limit_seconds=10, num_workers=2, on_solution=events.append
    )
    s = result.summary
    assert s.status in ("OPTIMAL", "FEASIBLE")
    assert 0.0 <= s.gap <= 1.0 and s.best_bound <= s.objective + 1e-6
    assert events, "progress events were reported"
    found = check_roster(result.roster, result.activities, rules, dates=DATES, interval_minutes=60)
    assert found.empty, found.to_string()
    # coverage frame agrees with the roster: heads on shift minus heads on a break
    heads = result.coverage.set_index("interval_start")["agents_scheduled"]
    t = pd.Timestamp(f"{MONDAY} 12:00", tz=TZ)
    on_shift = ((result.roster["shift_start"] <= t) & (result.roster["shift_end"] > t)).sum()
    on_break = ((result.activities["start"] <= t) & (result.activities["end"] > t)).sum()
    assert heads[t] == on_shift - on_break
    assert s.paid_hours == pytest.approx(result.roster["paid_minutes"].sum() / 60, abs=1e-9)


@pytest.mark.slow
def test_same_seed_gives_the_same_roster() -> None:
    rules = parse_rules(rules_dict())
    frame = requirements({(d, h): 1 for d in range(2) for h in range(9, 17)})
    first = build_roster(frame, rules, time_limit_seconds=5, seed=3, num_workers=1)
    second = build_roster(frame, rules, time_limit_seconds=5, seed=3, num_workers=1)
    pd.testing.assert_frame_equal(first.roster, second.roster)


@pytest.mark.slow
def test_previous_roster_rest_is_honoured_across_the_week_boundary() -> None:
    rules = parse_rules(rules_dict())
    frame = requirements({(0, h): 1 for h in range(6, 14)}, days=1)
    previous = pd.DataFrame(
        {
            "agent_id": [f"A{i}" for i in range(1, 5)],
            "shift_start": [pd.Timestamp("2026-11-22 14:00", tz=TZ)] * 4,
            "shift_end": [pd.Timestamp("2026-11-22 22:00", tz=TZ)] * 4,
        }
    )
    result = build_roster(
        frame, rules, previous_roster=previous, time_limit_seconds=5, num_workers=2
    )
    assert (result.roster["shift_start"] >= pd.Timestamp(f"{MONDAY} 09:00", tz=TZ)).all()
    found = check_roster(
        result.roster, result.activities, rules, dates=DATES[:1], previous_roster=previous
    )
    assert found.empty, found.to_string()


# ------------------------------------------------------------------------------------------
# infeasibility in planner words


def test_precheck_names_an_agent_whose_contract_cannot_fit_availability() -> None:
    data = rules_dict()
    data["agents"][0].update(
        {
            "min_hours": 40,
            "max_hours": 40,
            "min_days": 0,
            "max_days": 7,
            "availability": {
                "mon": ["06:00", "22:00"],
                "tue": ["06:00", "22:00"],
                "wed": ["06:00", "22:00"],
            },
        }
    )
    frame = requirements({(0, 9): 1}, days=7)
    with pytest.raises(
        InfeasibleError, match="agent A1's contract of 40 h cannot be met with 3 available days"
    ):
        design_shifts(frame, parse_rules(data), time_limit_seconds=2, num_workers=1)


def test_precheck_names_an_interval_that_cannot_be_staffed() -> None:
    data = rules_dict()
    data["hard_coverage"] = True
    frame = requirements({(1, 10): 6}, days=2)
    with pytest.raises(
        InfeasibleError, match="Tuesday 10:00-11:00 needs 6 agents, at most 4 are available"
    ):
        build_roster(frame, parse_rules(data), time_limit_seconds=2, num_workers=1)


def test_precheck_names_days_off_block_conflict() -> None:
    data = rules_dict(min_consecutive_days_off=3)
    data["agents"][0].update({"min_days": 5, "max_days": 5, "max_hours": 40})
    frame = requirements({(0, 9): 1}, days=7)
    with pytest.raises(
        InfeasibleError, match="agent A1 must work at least 5 .* 3 consecutive days off"
    ):
        build_roster(frame, parse_rules(data), time_limit_seconds=2, num_workers=1)


@pytest.mark.slow
def test_conflict_found_by_solving_with_assumptions_names_rest_and_intervals() -> None:
    # one agent must be there Monday 21:00 (a 14:00-22:00 shift) and Tuesday 06:00: 8 h rest
    data = rules_dict()
    data["hard_coverage"] = True
    data["agents"] = [{"id": "A1"}]
    frame = requirements({(0, 21): 1, (1, 6): 1}, days=2)
    with pytest.raises(InfeasibleError) as caught:
        build_roster(frame, parse_rules(data), time_limit_seconds=5, num_workers=1)
    message = str(caught.value)
    assert "agent A1 rests 11 h between shifts" in message
    assert "Monday 21:00-22:00 needs 1 agents" in message
    assert "Tuesday 06:00-07:00 needs 1 agents" in message
    assert "INFEASIBLE" not in message


# ------------------------------------------------------------------------------------------
# property: a roster never breaks a hard rule


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    peak=st.integers(min_value=1, max_value=4),
    start_hour=st.integers(min_value=6, max_value=12),
    rest=st.sampled_from([8, 11, 14]),
    share=st.sampled_from([0.34, 0.5, 1.0]),
    unavailable_day=st.sampled_from([None, "mon", "tue"]),
)
def test_roster_never_breaks_a_hard_rule(
    peak: int, start_hour: int, rest: int, share: float, unavailable_day: str | None
) -> None:
    data = rules_dict(max_on_break_share=share)
    data["weekly"]["min_rest_hours"] = rest
    if unavailable_day is not None:
        other = "tue" if unavailable_day == "mon" else "mon"
        data["agents"][0]["availability"] = {other: ["06:00", "22:00"]}
    rules = parse_rules(copy.deepcopy(data))
    frame = requirements(
        {(d, h): peak for d in range(2) for h in range(start_hour, start_hour + 9)}
    )
    try:
        result = build_roster(frame, rules, time_limit_seconds=3, num_workers=1)
    except InfeasibleError as error:
        # only the 8 h-rest-free shapes are always feasible; an infeasible draw must say why
        assert "INFEASIBLE" not in str(error)
        assert rest > 8 or unavailable_day is not None, str(error)
        return
    found = check_roster(result.roster, result.activities, rules, dates=DATES, interval_minutes=60)
    assert found.empty, found.to_string()


# ------------------------------------------------------------------------------------------
# the command line


@pytest.mark.slow
def test_schedule_command_writes_outputs_and_explains_bad_rules(tmp_path, capsys) -> None:
    import json

    from planner.cli import main

    frame = requirements({(d, h): 1 for d in range(2) for h in range(9, 15)})
    req_path = tmp_path / "requirements.csv"
    frame.to_csv(req_path, index=False)
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text(
        """
[weekly]
min_rest_hours = 11
[costs]
late_call = 0.0
under_coverage_hour = 5.0
[[shift_templates]]
name = "day"
earliest_start = "08:00"
latest_start = "10:00"
start_step_minutes = 60
lengths_minutes = [360]
[[agents]]
id = "A1"
min_days = 0
max_days = 2
min_hours = 0
max_hours = 12
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    main(
        [
            "schedule",
            str(req_path),
            "--rules",
            str(rules_path),
            "-o",
            str(out),
            "--time-limit-seconds",
            "5",
            "--tz",
            TZ,
        ]
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] in ("OPTIMAL", "FEASIBLE")
    roster = pd.read_csv(out / "roster.csv")
    assert set(roster["agent_id"]) == {"A1"} and len(roster) == 2
    assert (out / "coverage.csv").exists() and (out / "activities.csv").exists()

    rules_path.write_text(rules_path.read_text().replace('"08:00"', '"8am"'), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["schedule", str(req_path), "--rules", str(rules_path), "-o", str(out)])
    assert exit_info.value.code == 2
    assert "shift_templates[0].earliest_start" in capsys.readouterr().err
