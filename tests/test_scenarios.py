"""Tests of planner.scenarios: overrides run through staffing (and rostering) and evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.errors import InputError
from planner.evaluate import evaluate_plan
from planner.scenarios import (
    SUMMARY_COLUMNS,
    Scenario,
    everyday_scenarios,
    run_scenarios,
    scenario_from_mapping,
)
from planner.staffing import StaffingTargets, required_agents


def forecast_frame(days: int = 1) -> pd.DataFrame:
    """08:00-20:00 at 15 minutes, a midday peak; 00:00-08:00 and 20:00-24:00 closed."""
    starts = pd.date_range("2024-03-04", periods=96 * days, freq="15min", tz="Europe/London")
    hour = starts.hour + starts.minute / 60
    open_ = (hour >= 8) & (hour < 20)
    calls = np.where(open_, 30 + 20 * np.sin((hour - 8) / 12 * np.pi), 0.0)
    return pd.DataFrame(
        {
            "queue": "q",
            "interval_start": starts,
            "calls_forecast": calls,
            "aht_seconds_forecast": 300.0,
        }
    )


BASE = {"patience_seconds": 180.0, "shrinkage": 0.3, "service_level_target": 0.8}


def base_requirements(forecast: pd.DataFrame) -> pd.DataFrame:
    return required_agents(
        forecast,
        StaffingTargets(service_level_target=0.8, answer_target_seconds=20.0),
        model="erlang-a",
        patience_seconds=180.0,
        shrinkage=0.3,
        interval_minutes=15,
    )


def test_everyday_scenarios_side_by_side():
    forecast = forecast_frame()
    result = run_scenarios(
        forecast, everyday_scenarios(), headcount=40, cost_per_agent_hour=20.0, **BASE
    )
    summary = result.summary.set_index("scenario")
    assert tuple(result.summary.columns) == SUMMARY_COLUMNS
    assert list(summary.index) == [
        "baseline",
        "volume +10 %",
        "volume +10 %, re-staffed",
        "lose 5 agents",
        "AHT +20 s",
    ]
    base = summary.loc["baseline"]
    # The current roster (here the baseline's staffing) meets 80 % everywhere...
    assert base["intervals_missing_target"] == 0
    # ... and misses it when volume or AHT rise or agents leave, while re-staffing restores it
    # at the price of more hours.
    for name in ("volume +10 %", "lose 5 agents", "AHT +20 s"):
        assert summary.loc[name, "service_level"] < base["service_level"], name
        assert summary.loc[name, "intervals_missing_target"] > 0, name
    restaffed = summary.loc["volume +10 %, re-staffed"]
    assert restaffed["intervals_missing_target"] == 0
    assert restaffed["scheduled_hours"] > base["scheduled_hours"]
    assert restaffed["cost"] == pytest.approx(restaffed["scheduled_hours"] * 20.0, abs=1e-9)
    assert summary.loc["AHT +20 s", "aht_seconds"] == pytest.approx(320.0, abs=1e-9)
    assert any("scheduling not run" in note for note in result.notes)
    assert set(result.daily["scenario"]) == set(summary.index)


def test_volume_scenario_equals_evaluating_the_scaled_forecast():
    forecast = forecast_frame()
    result = run_scenarios(forecast, [Scenario("v", volume_factor=1.1, keep_roster=True)], **BASE)
    heads = base_requirements(forecast)["agents_to_schedule"]
    expected = evaluate_plan(
        forecast.assign(calls_forecast=forecast["calls_forecast"] * 1.1, agents_scheduled=heads),
        "agents_scheduled",
        shrinkage=0.3,
        patience_seconds=180.0,
    )
    got = result.evaluations["v"].intervals
    assert got["service_level"].to_numpy() == pytest.approx(
        expected.intervals["service_level"].to_numpy(), abs=1e-12
    )


def test_kept_roster_still_reports_what_it_would_require():
    # Staffing always runs (it is a core stage): a scenario evaluated with the current roster
    # still gets its own requirements and required_hours, for its scaled forecast.
    forecast = forecast_frame()
    result = run_scenarios(forecast, [Scenario("v", volume_factor=1.1, keep_roster=True)], **BASE)
    expected = base_requirements(forecast.assign(calls_forecast=forecast["calls_forecast"] * 1.1))
    got = result.requirements["v"]
    assert got["agents_required"].tolist() == expected["agents_required"].tolist()
    required_hours = result.summary.set_index("scenario").loc["v", "required_hours"]
    # 15-minute intervals: a quarter of an agent-hour per required agent.
    assert required_hours == pytest.approx(expected["agents_required"].sum() * 0.25, abs=1e-9)
    assert required_hours > result.summary.set_index("scenario").loc["baseline", "required_hours"]


def test_lose_agents_shrinks_every_interval_in_proportion():
    forecast = forecast_frame()
    heads = base_requirements(forecast)["agents_to_schedule"].to_numpy()
    result = run_scenarios(
        forecast, [Scenario("lose 5", agents_lost=5, keep_roster=True)], headcount=40, **BASE
    )
    got = result.evaluations["lose 5"].intervals["agents_scheduled"].to_numpy()
    # heads * 35 / 40 to the nearest whole head, halves up, computed here with Fraction:
    # 14 heads -> 12.25 -> 12; 4 heads -> 3.5 -> 4; 10 heads -> 8.75 -> 9.
    from fractions import Fraction

    expected = [int(Fraction(int(h) * 35, 40) + Fraction(1, 2)) for h in heads]
    assert got.tolist() == expected


def test_lose_agents_without_headcount_is_left_out_and_said():
    result = run_scenarios(
        forecast_frame(), [Scenario("lose 5", agents_lost=5, keep_roster=True)], **BASE
    )
    assert list(result.summary["scenario"]) == ["baseline"]
    assert any("lose 5" in note and "headcount" in note for note in result.notes)


def test_opening_hours_and_headcount_cap():
    forecast = forecast_frame()
    result = run_scenarios(
        forecast,
        [Scenario("short day", opening_hours=("09:00", "17:00")), Scenario("cap", headcount_cap=9)],
        **BASE,
    )
    hour = forecast["interval_start"].dt.hour
    outside = (hour < 9) | (hour >= 17)
    summary = result.summary.set_index("scenario")
    assert summary.loc["short day", "calls_outside_hours"] == pytest.approx(
        forecast.loc[outside, "calls_forecast"].sum(), abs=1e-9
    )
    short = result.evaluations["short day"].intervals
    assert (short.loc[outside.to_numpy(), "agents_scheduled"] == 0).all()
    assert (short.loc[outside.to_numpy(), "calls_forecast"] == 0).all()
    assert result.evaluations["cap"].intervals["agents_scheduled"].max() <= 9


def test_added_calls_only_where_there_are_calls():
    forecast = forecast_frame()
    result = run_scenarios(
        forecast,
        [Scenario("+5", volume_add_calls=5.0, keep_roster=True)],
        include_baseline=False,
        **BASE,
    )
    got = result.evaluations["+5"].intervals["calls_forecast"].to_numpy()
    calls = forecast["calls_forecast"].to_numpy()
    assert got.tolist() == pytest.approx(np.where(calls > 0, calls + 5.0, 0.0).tolist(), abs=1e-12)


def test_calls_added_per_day_follow_the_intraday_shape():
    forecast = forecast_frame(days=2)
    result = run_scenarios(
        forecast,
        [Scenario("+240 a day", volume_add_calls_per_day=240.0, keep_roster=True)],
        include_baseline=False,
        **BASE,
    )
    got = result.evaluations["+240 a day"].intervals["calls_forecast"].to_numpy()
    calls = forecast["calls_forecast"].to_numpy()
    added = got - calls
    # Each day gains 240 calls, shared in proportion to the forecast: by hand for day 1.
    assert added[:96].sum() == pytest.approx(240.0, abs=1e-9)
    assert added[96:].sum() == pytest.approx(240.0, abs=1e-9)
    assert added[:96] == pytest.approx(240.0 * calls[:96] / calls[:96].sum(), abs=1e-12)


def test_current_roster_is_used_when_given():
    forecast = forecast_frame()
    coverage = forecast[["queue", "interval_start"]].assign(
        agents_scheduled=np.where(forecast["calls_forecast"] > 0, 12, 0)
    )
    result = run_scenarios(forecast, [], current_agents=coverage, **BASE)
    assert result.evaluations["baseline"].intervals["agents_scheduled"].max() == 12
    assert not any("stands in" in note for note in result.notes)


@pytest.mark.slow
def test_restaffed_scenario_is_rostered_with_rules():
    from planner.scheduling import parse_rules

    rules = parse_rules(
        {
            "shift_templates": [
                {
                    "name": "day",
                    "earliest_start": "08:00",
                    "latest_start": "12:00",
                    "start_step_minutes": 60,
                    "lengths_minutes": [480],
                }
            ],
            "weekly": {"min_rest_hours": 11, "min_consecutive_days_off": 0},
            "agent_defaults": {"min_days": 0, "max_days": 7, "min_hours": 0, "max_hours": 60},
            "agent_groups": [{"count": 30, "id_prefix": "A"}],
        },
        source="test rules",
    )
    forecast = forecast_frame()
    result = run_scenarios(
        forecast,
        [Scenario("v", volume_factor=1.1)],
        rules=rules,
        schedule_time_limit_seconds=5.0,
        **BASE,
    )
    summary = result.summary.set_index("scenario")
    assert np.isfinite(summary.loc["v", "roster_cost"])
    assert np.isfinite(summary.loc["baseline", "roster_cost"])
    # 8-hour shifts starting 08:00-12:00 cover 08:00-20:00 in whole shifts: scheduled hours are
    # a multiple of 8 paid hours.
    assert summary.loc["v", "scheduled_hours"] % 8 == pytest.approx(0.0, abs=1e-9)
    assert any("requirements are rostered" in note for note in result.notes)


def test_scenario_from_mapping():
    scenario = scenario_from_mapping(
        {"name": "late", "opening_hours": ["08:00", "22:00"], "aht_add_seconds": 10}
    )
    assert scenario.opening_hours == ("08:00", "22:00")
    assert scenario.aht_add_seconds == 10
    with pytest.raises(InputError, match="unknown keys"):
        scenario_from_mapping({"name": "x", "volume": 2})
    with pytest.raises(InputError, match="name"):
        scenario_from_mapping({"volume_factor": 2})
    with pytest.raises(InputError, match="opening_hours"):
        scenario_from_mapping({"name": "x", "opening_hours": "08:00-18:00"})


@pytest.mark.parametrize(
    ("scenario", "kwargs", "match"),
    [
        (Scenario("a", volume_factor=-1), {}, "volume_factor"),
        (Scenario("a", aht_add_seconds=-400, keep_roster=True), {}, "AHT"),
        (Scenario("a", shrinkage=1.0), {}, "shrinkage"),
        (Scenario("a", service_level_target=2.0), {}, "service_level_target"),
        (Scenario("a", headcount_cap=-1), {}, "headcount_cap"),
        (Scenario("a", agents_lost=50, keep_roster=True), {"headcount": 40}, "agents_lost"),
        (Scenario("a", opening_hours=("18:00", "08:00")), {}, "opening_hours"),
        (Scenario("a", opening_hours=("8am", "18:00")), {}, "HH:MM"),
        (Scenario("baseline"), {}, "unique"),
        (Scenario("a"), {"headcount": 0}, "headcount"),
        (Scenario("a"), {"cost_per_agent_hour": -1.0}, "cost_per_agent_hour"),
    ],
    ids=[
        "volume-factor",
        "aht-negative",
        "shrinkage",
        "sl-target",
        "cap",
        "lost-above-headcount",
        "hours-reversed",
        "hours-format",
        "duplicate-name",
        "headcount",
        "cost",
    ],
)
def test_errors(scenario, kwargs, match):
    with pytest.raises(InputError, match=match):
        run_scenarios(forecast_frame(), [scenario], **{**BASE, **kwargs})


def test_cli_scenario_with_a_scenarios_file(tmp_path, capsys):
    from planner.cli import main
    from planner.io import write_frame

    write_frame(forecast_frame(), tmp_path / "forecast.csv")
    (tmp_path / "scenarios.yaml").write_text(
        "scenarios:\n  - name: late close\n    opening_hours: ['08:00', '19:00']\n"
        "  - name: slow calls\n    aht_factor: 1.1\n    keep_roster: true\n"
    )
    main(
        [
            "scenario",
            str(tmp_path / "forecast.csv"),
            "--scenarios",
            str(tmp_path / "scenarios.yaml"),
            "--no-everyday",
            "--patience-seconds",
            "180",
            "-o",
            str(tmp_path / "sc"),
        ]
    )
    summary = pd.read_csv(tmp_path / "sc" / "scenarios_summary.csv")
    assert summary["scenario"].tolist() == ["baseline", "late close", "slow calls"]
    (tmp_path / "bad.yaml").write_text("- name: x\n  volume: 2\n")
    with pytest.raises(SystemExit) as exit_info:
        main(
            ["scenario", str(tmp_path / "forecast.csv"), "--scenarios", str(tmp_path / "bad.yaml")]
        )
    assert exit_info.value.code == 2
    assert "unknown keys" in capsys.readouterr().err


# -- patience per queue ------------------------------------------------------------------------


def two_queue_forecast() -> pd.DataFrame:
    one = forecast_frame()
    return pd.concat([one.assign(queue="support"), one.assign(queue="sales")], ignore_index=True)


def test_patience_per_queue_gives_the_rows_of_one_run_per_queue():
    forecast = two_queue_forecast()
    patience = {"sales": 60.0, "support": 600.0}
    scenarios = [Scenario("volume +10 %", volume_factor=1.1)]
    settings = {"shrinkage": 0.3, "service_level_target": 0.8, "include_baseline": True}
    both = run_scenarios(forecast, scenarios, patience_seconds=patience, **settings)
    for queue, seconds in patience.items():
        alone = run_scenarios(
            forecast.loc[forecast["queue"] == queue].reset_index(drop=True),
            scenarios,
            patience_seconds=seconds,
            **settings,
        )
        for name in ("baseline", "volume +10 %"):
            rows = both.evaluations[name].intervals
            rows = rows.loc[rows["queue"] == queue].reset_index(drop=True)
            pd.testing.assert_frame_equal(
                rows, alone.evaluations[name].intervals, check_exact=False, rtol=1e-12
            )
        got = both.summary.loc[both.summary["queue"] == queue].reset_index(drop=True)
        expected = alone.summary.reset_index(drop=True)
        columns = ["scenario", "required_hours", "scheduled_hours", "service_level", "abandon_rate"]
        pd.testing.assert_frame_equal(
            got[columns], expected[columns], check_exact=False, rtol=1e-12
        )
    assert "all queues" in set(both.summary["queue"])


@pytest.mark.parametrize(
    ("base", "override", "match"),
    [
        ({"sales": 60.0}, None, r"patience_seconds has no value for queue 'support'"),
        (
            180.0,
            {"support": 600.0},
            r"scenario 'impatient': patience_seconds has no value for queue 'sales'",
        ),
    ],
    ids=["base-missing-queue", "scenario-missing-queue"],
)
def test_patience_mapping_missing_a_queue_is_refused(base, override, match):
    with pytest.raises(InputError, match=match):
        run_scenarios(
            two_queue_forecast(),
            [Scenario("impatient", patience_seconds=override)],
            patience_seconds=base,
        )


def test_erlang_c_abandonment_is_nan_in_the_summary():
    result = run_scenarios(forecast_frame(), everyday_scenarios(), headcount=40, model="erlang-c")
    assert result.summary["abandon_rate"].isna().all()


def test_rostered_heads_keep_each_queues_hard_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two queues whose loads cross during the morning, rostered under a hard 70 % floor by a
    # roster with exactly the pooled floor heads: split in proportion to agents_to_schedule, a
    # queue is a head under its own floor at 09:45, 10:15 and 10:45; each must keep its floor.
    import planner.scheduling
    from planner.scheduling import parse_rules
    from planner.scheduling.penalties import floor_heads_by_row
    from tests.roster_doubles import roster_at_the_hard_floor

    monkeypatch.setattr(planner.scheduling, "build_roster", roster_at_the_hard_floor)
    rules = parse_rules(
        {
            "min_interval_service_level": 0.7,
            "min_interval_service_level_hard": True,
            "shift_templates": [
                {
                    "name": "day",
                    "earliest_start": "08:00",
                    "latest_start": "12:00",
                    "start_step_minutes": 60,
                    "lengths_minutes": [480],
                }
            ],
            "agent_defaults": {"min_days": 0, "max_days": 7, "min_hours": 0, "max_hours": 60},
            "agent_groups": [{"count": 30, "id_prefix": "A"}],
        },
        source="test rules",
    )
    starts = pd.date_range("2024-03-04 08:00", periods=12, freq="15min", tz="Europe/London")
    forecast = pd.concat(
        [
            pd.DataFrame(
                {
                    "queue": queue,
                    "interval_start": starts,
                    "calls_forecast": calls,
                    "aht_seconds_forecast": aht_seconds,
                }
            )
            for queue, calls, aht_seconds in (
                ("a", np.linspace(5, 60, 12), 240.0),
                ("b", np.linspace(40, 5, 12), 300.0),
            )
        ],
        ignore_index=True,
    )
    result = run_scenarios(
        forecast,
        [],
        rules=rules,
        model="erlang_c",
        patience_seconds=180.0,
        shrinkage=0.0,
        service_level_target=0.8,
    )
    required = result.requirements["baseline"]
    floor = required[["queue", "interval_start"]].assign(
        floor_heads=floor_heads_by_row(required, 20.0, 0.7)
    )
    heads = result.evaluations["baseline"].intervals.merge(floor, on=["queue", "interval_start"])
    assert len(heads) == 24
    assert (heads["agents_scheduled"] >= heads["floor_heads"]).all()
    assert (
        heads.groupby("interval_start")["agents_scheduled"].sum()
        == heads.groupby("interval_start")["floor_heads"].sum()
    ).all()
