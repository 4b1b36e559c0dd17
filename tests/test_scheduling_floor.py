"""The hard service-level floor (``min_interval_service_level_hard``): rules, model, explanation.

Service levels are checked independently of the model, with :func:`planner.staffing.kpis_for_agents`
on the heads the design or roster puts on the phones.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from planner.errors import ConfigError, InfeasibleError, InputError
from planner.scheduling import build_roster, design_shifts, parse_rules
from planner.scheduling.penalties import floor_heads, floor_heads_by_row, hard_floor_heads_by_row
from planner.staffing import StaffingTargets, kpis_for_agents, required_agents

TZ = "Europe/London"
MONDAY = "2026-11-23"
FLOOR = 0.7


def spike_forecast(days_open: int = 1) -> pd.DataFrame:
    """08:00-16:00 on the first ``days_open`` of two days, 60 calls an hour of 240 s (4 Erlangs),
    150 calls at 11:00 (10 Erlangs); the other day closed."""
    idx = pd.date_range(MONDAY, periods=48, freq="60min", tz=TZ)
    open_day = np.arange(48) // 24 < days_open
    calls = np.where(open_day & (idx.hour >= 8) & (idx.hour < 16), 60.0, 0.0)
    calls[open_day & (idx.hour == 11)] = 150.0
    return pd.DataFrame(
        {
            "queue": "q",
            "interval_start": idx,
            "calls_forecast": calls,
            "aht_seconds_forecast": 240.0,
        }
    )


def spike_requirements(days_open: int = 1) -> pd.DataFrame:
    """Erlang C 80/20 requirement of :func:`spike_forecast` (7 heads, 14 at the 11:00 spike)."""
    return required_agents(spike_forecast(days_open), StaffingTargets(0.8, 20.0), model="erlang-c")


def floor_rules(*, hard: bool, agents: int = 20, **template: object) -> dict:
    """4 h shifts without breaks; a head-hour below the floor (5) is cheaper than a 4 h shift
    (8), so the priced floor leaves a one-hour spike below it."""
    return {
        "min_interval_service_level": FLOOR,
        "min_interval_service_level_hard": hard,
        "costs": {
            "paid_hour": 2.0,
            "late_call": 0.01,
            "under_coverage_hour": 0.0,
            "over_coverage_hour": 0.0,
            "start_time_change_hour": 0.0,
        },
        "weekly": {"min_rest_hours": 11},
        "shift_templates": [
            {
                "name": "short",
                "earliest_start": "06:00",
                "latest_start": "16:00",
                "start_step_minutes": 60,
                "lengths_minutes": [240],
                **template,
            }
        ],
        "agent_defaults": {"min_days": 0, "max_days": 2, "min_hours": 0, "max_hours": 16},
        "agents": [{"id": f"A{i:02d}"} for i in range(1, agents + 1)],
    }


def open_service_levels(coverage: pd.DataFrame) -> pd.Series:
    """Erlang C service level of every open interval for the coverage's heads (0 for none)."""
    frame = spike_forecast().merge(
        coverage[["queue", "interval_start", "agents_scheduled"]], on=["queue", "interval_start"]
    )
    kpis = kpis_for_agents(frame, "agents_scheduled", model="erlang-c", answer_target_seconds=20)
    sl = kpis["service_level"].fillna(0.0)  # NaN: traffic >= agents, every call late
    open_ = kpis["calls_forecast"].to_numpy() > 0
    return pd.Series(sl.to_numpy()[open_], index=kpis["interval_start"].to_numpy()[open_])


# ------------------------------------------------------------------------------------------
# rules file


def test_hard_floor_is_off_by_default_and_parsed() -> None:
    data = floor_rules(hard=False)
    assert parse_rules(data).min_interval_service_level_hard is False
    assert parse_rules(
        {**data, "min_interval_service_level_hard": True}
    ).min_interval_service_level_hard


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"min_interval_service_level_hard": "yes"},
            "min_interval_service_level_hard must be true or false, got 'yes'",
        ),
        (
            {"min_interval_service_level_hard": True, "min_interval_service_level": 0.0},
            "min_interval_service_level_hard = true needs min_interval_service_level > 0 .*got 0",
        ),
    ],
    ids=["not-a-boolean", "no-floor-to-enforce"],
)
def test_hard_floor_rule_errors_name_the_key(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_rules({**floor_rules(hard=False), **change})


def test_hard_floor_needs_the_traffic_columns() -> None:
    frame = spike_requirements().drop(columns=["traffic_erlangs"])
    with pytest.raises(
        InputError, match="'traffic_erlangs' is missing; min_interval_service_level_hard"
    ):
        design_shifts(frame, parse_rules(floor_rules(hard=True)), time_limit_seconds=2)


# ------------------------------------------------------------------------------------------
# floor heads


def two_queue_requirements() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast and Erlang C 80/20 requirement of two queues in one hour (150 and 40 calls)."""
    start = pd.Timestamp(f"{MONDAY} 09:00", tz=TZ)
    forecast = pd.DataFrame(
        {
            "queue": ["a", "b"],
            "interval_start": [start, start],
            "calls_forecast": [150.0, 40.0],
            "aht_seconds_forecast": [240.0, 300.0],
        }
    )
    return forecast, required_agents(forecast, StaffingTargets(0.8, 20.0), interval_minutes=60)


def fewest_heads_meeting_the_floor(forecast: pd.DataFrame, queue: str) -> int:
    """The queue's fewest heads with Erlang C SL >= 70 %, found by walking kpis_for_agents up."""
    row = forecast[forecast["queue"] == queue].reset_index(drop=True)
    candidates = pd.concat([row] * 30, ignore_index=True)
    # one candidate headcount per row, on distinct hours (a frame has one row per interval)
    candidates["interval_start"] = row["interval_start"].iloc[0] + pd.to_timedelta(
        np.arange(30), unit="h"
    )
    kpis = kpis_for_agents(candidates, np.arange(30), model="erlang-c", interval_minutes=60)
    return int(np.flatnonzero(kpis["service_level"].fillna(0.0).to_numpy() >= FLOOR)[0])


def test_floor_heads_by_row_are_each_queues_fewest_heads_meeting_the_floor() -> None:
    forecast, frame = two_queue_requirements()
    fewest = [fewest_heads_meeting_the_floor(forecast, q) for q in ("a", "b")]
    assert list(floor_heads_by_row(frame, 20.0, FLOOR)) == fewest


def test_floor_heads_are_the_fewest_heads_meeting_the_floor_summed_over_queues() -> None:
    # two queues in one interval, pooled by summing (the models schedule pooled heads)
    forecast, frame = two_queue_requirements()
    fewest = sum(fewest_heads_meeting_the_floor(forecast, q) for q in ("a", "b"))
    heads = floor_heads(frame, np.array([0, 0]), 1, 20.0, FLOOR)
    assert list(heads) == [fewest]
    assert fewest < int(frame["agents_to_schedule"].sum())  # the floor is below 80/20


@pytest.mark.parametrize("hard", [False, True], ids=["priced", "hard"])
def test_hard_floor_heads_by_row_follow_the_rules(hard: bool) -> None:
    forecast, frame = two_queue_requirements()
    got = hard_floor_heads_by_row(frame, parse_rules(floor_rules(hard=hard)))
    if hard:
        assert got is not None
        assert list(got) == [fewest_heads_meeting_the_floor(forecast, q) for q in ("a", "b")]
    else:
        assert got is None  # a priced floor promises nothing per queue


# ------------------------------------------------------------------------------------------
# the models honour it


@pytest.mark.slow
def test_priced_floor_leaves_the_spike_below_it_and_the_hard_floor_lifts_it() -> None:
    frame = spike_requirements()
    spike = pd.Timestamp(f"{MONDAY} 11:00", tz=TZ)
    soft = design_shifts(
        frame, parse_rules(floor_rules(hard=False)), time_limit_seconds=10, num_workers=1
    )
    assert soft.summary.status == "OPTIMAL"
    assert open_service_levels(soft.coverage)[spike] < FLOOR  # the spike is not worth a shift
    hard = design_shifts(
        frame, parse_rules(floor_rules(hard=True)), time_limit_seconds=10, num_workers=1
    )
    assert hard.summary.status == "OPTIMAL"
    levels = open_service_levels(hard.coverage)
    assert (levels >= FLOOR).all(), levels.to_string()
    assert hard.summary.paid_hours > soft.summary.paid_hours  # the floor is bought with shifts


@pytest.mark.slow
@pytest.mark.parametrize("method", ["two_phase", "single"], ids=["two_phase", "single"])
def test_rosters_keep_every_open_interval_at_the_hard_floor(method: str) -> None:
    result = build_roster(
        spike_requirements(),
        parse_rules(floor_rules(hard=True)),
        time_limit_seconds=10,
        num_workers=1,
        method=method,
    )
    assert result.summary.status in ("OPTIMAL", "FEASIBLE")
    levels = open_service_levels(result.coverage)
    assert (levels >= FLOOR).all(), levels.to_string()


# ------------------------------------------------------------------------------------------
# infeasible floors explained


@pytest.mark.parametrize(
    ("agents", "template", "availability", "reachable"),
    [
        (10, {}, None, 10),
        # 12 of 20 agents leave at 11:00, so 8 can be there
        (20, {}, {"mon": ["06:00", "11:00"], "tue": ["06:00", "11:00"]}, 8),
        # every shift starts at 09:00 and its hour-long break always falls at 11:00
        (
            20,
            {
                "earliest_start": "09:00",
                "latest_start": "09:00",
                "breaks": [
                    {
                        "name": "lunch",
                        "minutes": 60,
                        "paid": False,
                        "earliest_after_start_minutes": 120,
                        "latest_after_start_minutes": 120,
                    }
                ],
            },
            None,
            0,
        ),
    ],
    ids=["too-few-agents", "availability", "breaks"],
)
def test_precheck_names_the_interval_its_floor_heads_and_who_can_be_there(
    agents: int, template: dict, availability: dict | None, reachable: int
) -> None:
    data = floor_rules(hard=True, agents=agents, **template)
    if availability is not None:
        for agent in data["agents"][:12]:
            agent["availability"] = availability
    # Erlang C at 10 Erlangs, 240 s, 20 s: 12 heads give 62 %, 13 give 78 %
    message = (
        "Monday 11:00-12:00 needs at least 13 agents on the phones to keep 70 % of calls "
        f"answered within 20 s \\(min_interval_service_level_hard\\); at most {reachable} can be "
        "there"
    )
    with pytest.raises(InfeasibleError, match=message):
        build_roster(spike_requirements(), parse_rules(data), time_limit_seconds=5, num_workers=1)


@pytest.mark.slow
def test_floors_the_workforce_cannot_staff_together_are_named() -> None:
    # 20 agents, one day each: either day's 11:00 floor (13 heads) can be reached alone, so the
    # precheck passes, but both need 26 agent-days
    data = floor_rules(hard=True)
    data["agent_defaults"]["max_days"] = 1
    with pytest.raises(InfeasibleError) as caught:
        build_roster(
            spike_requirements(days_open=2),
            parse_rules(data),
            time_limit_seconds=10,
            num_workers=1,
        )
    message = str(caught.value)
    assert "the 20 agents' weekly rules" in message and "cannot staff these intervals" in message
    # the core is one of several (e.g. Monday 08:00 and 15:00, 6 heads each, no 4 h shift covers
    # both, with Tuesday 11:00): it must name a floor on each day, none holds alone
    floor = r"\d\d:00-\d\d:00 needs at least \d+ agents on the phones to keep 70 % of calls"
    assert re.search(f"Monday {floor}", message), message
    assert re.search(f"Tuesday {floor}", message), message
    assert "INFEASIBLE" not in message
