"""planner.config (the plan file) and planner.pipeline (run_plan, planner plan, planner init)."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.config import example_plan_text, load_config, parse_config
from planner.errors import ConfigError, InputError
from planner.pipeline import STAGES, run_plan
from planner.sample import generate_sample_history
from planner.staffing import StaffingTargets, required_agents

BASE: dict = {
    "timezone": "Europe/London",
    "forecast": {"method": "mean-last-weeks"},
    "targets": {"service_level_target": 0.8, "answer_target_seconds": 20, "model": "erlang-a"},
    "staffing": {"shrinkage": {"absence": 0.1, "breaks": 0.2}, "patience_seconds": 180},
    "queues": [{"name": "sales", "patience_seconds": 60}],
    "scenarios": {"everyday": True},
}

SMALL_RULES = {
    "shift_templates": [
        {
            "name": "day",
            "earliest_start": "07:00",
            "latest_start": "14:00",
            "start_step_minutes": 60,
            "lengths_minutes": [480],
            "breaks": [
                {
                    "name": "break",
                    "minutes": 15,
                    "paid": True,
                    "earliest_after_start_minutes": 120,
                    "latest_after_start_minutes": 240,
                }
            ],
        }
    ],
    "agent_defaults": {"min_days": 5, "max_days": 5, "min_hours": 40, "max_hours": 40},
    "agent_groups": [{"count": 6, "id_prefix": "A"}],
}


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    # Seven weeks from Monday 3 March 2025: five to learn from, the week of 7 April to plan.
    frame = generate_sample_history(seed=7, years=0.15, start="2025-03-03")
    return frame.loc[frame["interval_start"] < pd.Timestamp("2025-04-14", tz="Europe/London")]


@pytest.fixture(scope="module")
def plain_run(history: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory):
    config = parse_config(BASE, source="plan.toml")
    out = tmp_path_factory.mktemp("plan")
    return run_plan(history, config, start="2025-04-07", weeks=1, out_dir=out)


# -- config ------------------------------------------------------------------------------------


def test_example_plan_parses_with_rules_and_combined_shrinkage() -> None:
    data = tomllib.loads(example_plan_text())
    config = parse_config(data, source="plan.example.toml")
    # 1 - (1 - 0.10)(1 - 0.12)(1 - 0.08), the example's components
    assert config.shrinkage == pytest.approx(1 - 0.9 * 0.88 * 0.92, abs=1e-12)
    assert config.patience_for("sales") == 150.0
    assert config.patience_for("unlisted") == 180.0
    assert config.schedule.rules is not None
    assert len(config.schedule.rules.agents) == sum(
        g["count"] for g in data["schedule"]["rules"]["agent_groups"]
    )


def _with(path: tuple, value: object) -> dict:
    data = copy.deepcopy(BASE)
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if not isinstance(key, int) else node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        (
            ("targets", "service_level_target"),
            80,
            r"targets\.service_level_target must be .*got 80",
        ),
        (("targets", "model"), "erlang-x", r"targets\.model must be one of"),
        (("targets", "answer_target_seconds"), 0, r"targets\.answer_target_seconds"),
        (("forecast", "method"), "arima", r"forecast\.method must be one of .*'arima'"),
        (("forecast", "candidates"), ["prophet", "magic"], r"forecast\.candidates .*'magic'"),
        (("staffing", "shrinkage"), 1.2, r"staffing\.shrinkage must be a fraction .*1\.2"),
        (("staffing", "shrinkage"), {"absence": -0.1}, r"staffing\.shrinkage\.absence"),
        (("queues", 0, "patience_seconds"), -5, r"queues\[0\]\.patience_seconds .*-5"),
        (("output", "format"), "xlsx", r"output\.format must be one of .*'xlsx'"),
        (("timezone",), "Mars/Base", r"timezone must be an IANA time zone"),
        (("forecast", "horizon"), 3, r"unknown key 'forecast\.horizon'"),
        (("schedule", "time_limit_seconds"), -1, r"schedule\.time_limit_seconds"),
        (("schedule", "rules"), {"shift_templates": []}, r"shift_templates"),
        (("scenarios", "custom"), [{"name": "x", "volume": 2}], r"unknown keys \['volume'\]"),
    ],
    ids=[
        "sl-percent",
        "model",
        "answer-zero",
        "method",
        "candidates",
        "shrinkage",
        "shrinkage-part",
        "patience",
        "format",
        "timezone",
        "unknown-key",
        "time-limit",
        "rules",
        "scenario-key",
    ],
)
def test_config_errors_name_the_key_and_value(path: tuple, value: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_config(_with(path, value), source="plan.toml")


def test_erlang_a_without_patience_is_refused() -> None:
    data = copy.deepcopy(BASE)
    del data["staffing"]["patience_seconds"]
    data["queues"] = [{"name": "sales"}]
    with pytest.raises(ConfigError, match=r"queues \['sales'\] has no patience_seconds"):
        parse_config(data, source="plan.toml")


def test_rules_and_rules_file_together_are_refused() -> None:
    data = _with(("schedule", "rules"), SMALL_RULES)
    data["schedule"]["rules_file"] = "rules.toml"
    with pytest.raises(ConfigError, match=r"schedule\.rules and schedule\.rules_file"):
        parse_config(data, source="plan.toml")


def test_load_config_reads_yaml_and_refuses_missing_or_broken_files(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(BASE), encoding="utf-8")
    assert load_config(path).patience_for("sales") == 60.0
    with pytest.raises(ConfigError, match="plan file not found"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[targets\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.toml: not valid TOML"):
        load_config(broken)


# -- run_plan ----------------------------------------------------------------------------------


def test_plan_without_rules_runs_every_other_stage(plain_run) -> None:
    assert list(plain_run.stages) == list(STAGES)
    assert plain_run.stages["schedule"] == "not run: the plan file gives no shift rules"
    for stage in STAGES:
        if stage != "schedule":
            assert plain_run.stages[stage] == "ran", stage
    for label, path in plain_run.outputs.items():
        assert path.is_file(), label
    # plan_summary.json records every stage, the report included
    summary = json.loads(plain_run.outputs["plan_summary"].read_text(encoding="utf-8"))
    assert summary["stages"] == plain_run.stages
    page = plain_run.outputs["report"].read_text(encoding="utf-8")
    assert 'id="absent-roster"' in page
    assert "chart-forecast" in page and "chart-heatmap" in page and "chart-accuracy" in page


def test_plan_window_and_weighted_totals(plain_run) -> None:
    forecast = plain_run.frames["forecast"]
    local = forecast["interval_start"].dt.tz_convert("Europe/London")
    assert local.min() >= pd.Timestamp("2025-04-07", tz="Europe/London")
    assert local.max() < pd.Timestamp("2025-04-14", tz="Europe/London")
    totals = plain_run.summary.set_index("queue")
    assert totals.loc["all queues", "calls_forecast"] == pytest.approx(
        forecast["calls_forecast"].sum(), rel=1e-12
    )
    # Without a roster the evaluation staffs exactly agents_to_schedule.
    evaluation = plain_run.frames["evaluation"]
    requirements = plain_run.frames["requirements"]
    merged = evaluation.merge(requirements, on=["queue", "interval_start"])
    assert len(merged) == len(evaluation)
    np.testing.assert_array_equal(merged["agents_scheduled"], merged["agents_to_schedule"])


def test_each_queue_is_staffed_with_its_own_patience(plain_run) -> None:
    forecast = plain_run.frames["forecast"]
    requirements = plain_run.frames["requirements"]
    for queue, patience in (("sales", 60.0), ("support", 180.0)):
        expected = required_agents(
            forecast.loc[
                forecast["queue"] == queue,
                ["queue", "interval_start", "calls_forecast", "aht_seconds_forecast"],
            ],
            StaffingTargets(service_level_target=0.8, answer_target_seconds=20),
            model="erlang-a",
            patience_seconds=patience,
            shrinkage=1 - 0.9 * 0.8,
        )
        got = requirements.loc[requirements["queue"] == queue].reset_index(drop=True)
        np.testing.assert_array_equal(got["agents_to_schedule"], expected["agents_to_schedule"])


def test_history_inside_the_window_is_the_actuals(plain_run, history: pd.DataFrame) -> None:
    accuracy = plain_run.frames["accuracy_intervals"]
    joined = accuracy.merge(history, on=["queue", "interval_start"], how="left")
    assert len(joined) == len(accuracy) > 0
    np.testing.assert_allclose(joined["calls_actual"], joined["calls_offered"], rtol=0, atol=1e-9)
    # the sample has agents_staffed: the plan's heads are compared with what was staffed, by day
    planned = plain_run.frames["planned_vs_achieved"]
    assert set(planned["queue"]) == {"billing", "sales", "support"}
    # ... and the forecast learnt only from history before the window
    assert plain_run.frames["history"]["interval_start"].max() < pd.Timestamp(
        "2025-04-07", tz="Europe/London"
    )


def test_plan_after_the_history_has_no_accuracy(history: pd.DataFrame, tmp_path: Path) -> None:
    config = parse_config({**BASE, "scenarios": {"everyday": False}, "output": {"report": False}})
    result = run_plan(history, config, weeks=1, out_dir=tmp_path)
    assert result.stages["accuracy"].startswith("not run: no history inside the plan window")
    assert result.stages["scenarios"] == "not run: the plan file asks for none"
    assert result.stages["report"] == "not run: output.report is false"
    assert "report" not in result.outputs
    first = result.frames["forecast"]["interval_start"].min()
    assert first.tz_convert("Europe/London").date() == pd.Timestamp("2025-04-14").date()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weeks": 0}, "weeks must be a whole number >= 1"),
        ({"start": "2024-01-01"}, "no rows before the plan start 2024-01-01"),
        ({"start": "not a date"}, "start must be a date"),
    ],
    ids=["weeks", "start-before-history", "start-text"],
)
def test_run_plan_errors(history: pd.DataFrame, tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        run_plan(history, parse_config(BASE), out_dir=tmp_path, **kwargs)


@pytest.mark.slow
def test_plan_with_rules_rosters_and_evaluates_the_roster(
    history: pd.DataFrame, tmp_path: Path
) -> None:
    data = _with(("schedule", "rules"), SMALL_RULES)
    data["schedule"].update({"time_limit_seconds": 5, "num_workers": 1})
    data["scenarios"] = {"everyday": False}
    result = run_plan(history, parse_config(data), start="2025-04-07", out_dir=tmp_path)
    assert result.stages["schedule"] == "ran"
    roster = result.frames["roster"]
    assert set(roster["agent_id"]) <= {f"A{i:03d}" for i in range(1, 7)}
    assert roster.groupby("agent_id").size().max() <= 5  # max_days
    coverage = result.frames["coverage"]
    pooled = coverage.groupby("interval_start")["agents_scheduled"].sum()
    assert pooled.max() <= 6
    evaluation = result.frames["evaluation"].merge(
        coverage, on=["queue", "interval_start"], suffixes=("", "_roster")
    )
    np.testing.assert_array_equal(
        evaluation["agents_scheduled"], evaluation["agents_scheduled_roster"]
    )
    page = result.outputs["report"].read_text(encoding="utf-8")
    assert "chart-roster" in page and 'id="absent-roster"' not in page


def test_plan_under_a_hard_floor_keeps_each_queues_floor_in_the_coverage(
    history: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the week rostered with exactly the pooled floor heads (the tightest roster a hard floor
    # allows): the coverage's split between the three queues must leave none below its own floor
    import planner.scheduling
    from planner.scheduling.penalties import floor_heads_by_row
    from tests.roster_doubles import roster_at_the_hard_floor

    monkeypatch.setattr(planner.scheduling, "build_roster", roster_at_the_hard_floor)
    data = _with(
        ("schedule", "rules"),
        {**SMALL_RULES, "min_interval_service_level": 0.7, "min_interval_service_level_hard": True},
    )
    data["targets"]["model"] = "erlang-c"
    data["scenarios"] = {"everyday": False}
    data["output"] = {"report": False}
    result = run_plan(history, parse_config(data), start="2025-04-07", out_dir=tmp_path)
    assert result.stages["schedule"] == "ran"
    requirements = result.frames["requirements"]
    floor = requirements[["queue", "interval_start"]].assign(
        floor_heads=floor_heads_by_row(requirements, 20.0, 0.7)
    )
    coverage = result.frames["coverage"].merge(floor, on=["queue", "interval_start"])
    assert len(coverage) == len(requirements)
    assert set(coverage["queue"]) == {"billing", "sales", "support"}
    assert (coverage["agents_scheduled"] >= coverage["floor_heads"]).all()


def test_cli_plan_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from planner.cli import main

    (tmp_path / "plan.toml").write_text("[targets]\nservice_level_target = 80\n", encoding="utf-8")
    (tmp_path / "h.csv").write_text("queue,interval_start,calls_offered\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", str(tmp_path / "h.csv"), "--config", str(tmp_path / "plan.toml")])
    assert exit_info.value.code == 2
    assert (
        "targets.service_level_target must be a number in (0, 1], got 80" in capsys.readouterr().err
    )


def test_cli_init_writes_a_plan_that_loads(tmp_path: Path) -> None:
    from planner.cli import main

    target = tmp_path / "plan.toml"
    main(["init", "--out", str(target)])
    assert load_config(target).schedule.rules is not None
    with pytest.raises(SystemExit) as exit_info:
        main(["init", "--out", str(target)])
    assert exit_info.value.code == 2


def test_every_stage_runs_once_for_all_queues(monkeypatch, history: pd.DataFrame, tmp_path: Path):
    # Staffing, evaluation and simulation take the per-queue patience as one mapping: one call
    # each.
    import planner.evaluate
    import planner.simulate
    import planner.staffing

    calls: dict[str, list] = {"staffing": [], "evaluate": [], "simulate": []}
    for label, module, name in (
        ("staffing", planner.staffing, "required_agents"),
        ("evaluate", planner.evaluate, "evaluate_plan"),
        ("simulate", planner.simulate, "simulate_plan"),
    ):
        original = getattr(module, name)

        def spy(*args, _original=original, _label=label, **kwargs):
            calls[_label].append(kwargs.get("patience_seconds"))
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    config = parse_config(
        {
            **BASE,
            "scenarios": {"everyday": False},
            "output": {"report": False},
            "simulation": {"replications": 2},
        }
    )
    run_plan(history, config, out_dir=tmp_path)  # after the history: no accuracy stage
    expected = {"billing": 180.0, "sales": 60.0, "support": 180.0}
    assert calls["staffing"] == [expected]
    assert calls["evaluate"] == [expected]
    assert calls["simulate"] == [expected]


def test_simulation_of_one_queue_is_reproducible_from_the_config_seed(plain_run) -> None:
    # The pipeline simulates every queue in one call with simulation.seed; each queue's streams
    # come from that seed and the queue's name, so the queue alone with the same seed and its
    # own patience gives exactly the pipeline's rows.
    from planner.config import SimulationSettings
    from planner.simulate import simulate_plan

    settings = SimulationSettings()  # BASE keeps the defaults of [simulation]
    evaluation = plain_run.frames["evaluation"]
    sales = evaluation.loc[
        evaluation["queue"] == "sales",
        ["queue", "interval_start", "calls_forecast", "aht_seconds_forecast", "agents_scheduled"],
    ]
    alone = simulate_plan(
        sales,
        "agents_scheduled",
        shrinkage=1 - 0.9 * 0.8,
        handle_time=settings.handle_time,
        aht_cv=settings.aht_cv,
        patience_seconds=60.0,
        answer_target_seconds=20.0,
        replications=settings.replications,
        seed=settings.seed,
    )
    intervals = plain_run.frames["simulation_intervals"]
    got = intervals.loc[intervals["queue"] == "sales"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, alone.intervals, check_exact=False, rtol=1e-12)


def test_accuracy_re_evaluates_with_the_plan_model(plain_run) -> None:
    # The plan is Erlang A with each queue's patience: planned against achieved predicts
    # abandonment, and its planned service level per day is the evaluation's (same model,
    # patience, heads and shrinkage; the actuals cover the whole plan week).
    planned = plain_run.frames["planned_vs_achieved"].set_index(["queue", "day"])
    assert planned["abandon_rate_planned"].notna().all()
    daily = plain_run.frames["kpis_daily"].set_index(["queue", "day"])
    common = planned.index.intersection(daily.index)
    assert len(common) == len(planned) > 0
    np.testing.assert_allclose(
        planned.loc[common, "service_level_planned"],
        daily.loc[common, "service_level"],
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        planned.loc[common, "abandon_rate_planned"],
        daily.loc[common, "abandon_rate"],
        rtol=1e-9,
    )


def test_simulation_of_the_plan_week_per_queue(plain_run) -> None:
    intervals = plain_run.frames["simulation_intervals"]
    evaluation = plain_run.frames["evaluation"]
    # the whole plan week, every queue, the same heads as the evaluation
    merged = evaluation.merge(intervals, on=["queue", "interval_start"], suffixes=("", "_sim"))
    assert len(merged) == len(evaluation) == len(intervals)
    np.testing.assert_array_equal(merged["agents_scheduled"], merged["agents_scheduled_sim"])
    assert (intervals["queue_at_end"] >= 0).all()
    daily = plain_run.frames["simulation_daily"]
    assert set(daily["queue"]) == {"billing", "sales", "support"}
    ok = daily["service_level_lower"] <= daily["service_level"]
    assert (ok & (daily["service_level"] <= daily["service_level_upper"])).all()
    # Pooled over the week, the simulation agrees with the Erlang A prediction within a few
    # points (both model the same plan; the simulation adds the backlog between intervals).
    totals = plain_run.frames["simulation_totals"].set_index("queue")
    predicted = plain_run.summary.set_index("queue")
    for queue in ("billing", "sales", "support"):
        assert totals.loc[queue, "service_level"] == pytest.approx(
            predicted.loc[queue, "service_level"], abs=0.1
        )
    page = plain_run.outputs["report"].read_text(encoding="utf-8")
    assert "chart-simulation" in page and "Backlog carried over" in page


def test_history_kpis_are_the_history_before_the_plan(plain_run, history: pd.DataFrame) -> None:
    totals = plain_run.frames["history_kpis_total"].set_index("queue")
    before = history.loc[history["interval_start"] < pd.Timestamp("2025-04-07", tz="Europe/London")]
    for queue, part in before.groupby("queue"):
        # SL achieved = answered within target / offered, summed (PRODUCT.md)
        expected = part["answered_within_target"].sum() / part["calls_offered"].sum()
        assert totals.loc[queue, "service_level"] == pytest.approx(expected, rel=1e-12)
    assert totals.loc["all queues", "calls_offered"] == pytest.approx(
        before["calls_offered"].sum(), rel=1e-12
    )
    for column in ("service_level_p10", "service_level_p90", "intervals_below_target"):
        assert totals[column].notna().all(), column
    weekly = plain_run.frames["history_kpis_weekly"]
    assert weekly.groupby("queue").size().min() >= 4  # five weeks of history, the first partial
    page = plain_run.outputs["report"].read_text(encoding="utf-8")
    assert "chart-history-kpis" in page


def test_empty_missing_target_frame_is_written_with_its_header(history, tmp_path: Path) -> None:
    # A plan that meets target everywhere: the missing_target file exists, header only.
    data = {**BASE, "targets": {**BASE["targets"], "service_level_target": 0.01}}
    data["scenarios"] = {"everyday": False}
    data["output"] = {"report": False}
    data["simulation"] = {"run": False}
    result = run_plan(history, parse_config(data), start="2025-04-07", out_dir=tmp_path)
    assert result.stages["simulate"] == "not run: simulation.run is false"
    path = result.outputs["missing_target"]
    assert len(result.frames["missing_target"]) == 0
    assert path.read_text(encoding="utf-8").splitlines()[0].startswith("queue,interval_start,")


def test_erlang_c_plan_shows_abandonment_as_not_modelled(history, tmp_path: Path) -> None:
    data = {**BASE, "targets": {**BASE["targets"], "model": "erlang-c"}}
    data["simulation"] = {"run": False}
    result = run_plan(history, parse_config(data), start="2025-04-07", out_dir=tmp_path)
    assert result.summary["abandon_rate"].isna().all()
    assert result.frames["scenarios"]["abandon_rate"].isna().all()
    page = result.outputs["report"].read_text(encoding="utf-8")
    assert "n/a" in page and "abandonment: not modelled" in page
    assert "nan" not in page.split('id="kpis"')[1].split('id="simulation"')[0].lower()


@pytest.mark.slow
def test_two_weeks_are_rostered_the_second_warm_started_from_the_first(
    monkeypatch, history: pd.DataFrame, tmp_path: Path
) -> None:
    import planner.scheduling

    previous_given: list = []
    original = planner.scheduling.build_roster

    def spy(requirements, rules, *, previous_roster=None, **kwargs):
        previous_given.append(previous_roster)
        return original(requirements, rules, previous_roster=previous_roster, **kwargs)

    monkeypatch.setattr(planner.scheduling, "build_roster", spy)
    data = _with(("schedule", "rules"), SMALL_RULES)
    data["schedule"].update({"time_limit_seconds": 6, "num_workers": 1, "method": "single"})
    data["scenarios"] = {"everyday": False}
    data["output"] = {"report": False}
    data["simulation"] = {"replications": 2}
    result = run_plan(history, parse_config(data), start="2025-03-31", weeks=2, out_dir=tmp_path)
    assert result.stages["schedule"] == "ran"
    weeks = [
        pd.Timestamp("2025-03-31", tz="Europe/London"),
        pd.Timestamp("2025-04-07", tz="Europe/London"),
    ]

    def week_of(stamps: pd.Series) -> set:
        local = pd.to_datetime(stamps).dt.tz_convert("Europe/London")
        return {weeks[int(s >= weeks[1])] for s in local}

    assert week_of(result.frames["roster"]["shift_start"]) == set(weeks)
    assert week_of(result.frames["coverage"]["interval_start"]) == set(weeks)
    assert week_of(result.frames["evaluation"]["interval_start"]) == set(weeks)
    # the first week starts cold, the second from the first week's roster
    assert len(previous_given) == 2 and previous_given[0] is None
    first_week = result.frames["roster"].loc[
        pd.to_datetime(result.frames["roster"]["shift_start"]) < weeks[1]
    ]
    pd.testing.assert_frame_equal(
        previous_given[1].reset_index(drop=True), first_week.reset_index(drop=True)
    )
    # and keeps the rest rule across the week boundary
    roster = result.frames["roster"].sort_values(["agent_id", "shift_start"])
    rest = (
        pd.to_datetime(roster["shift_start"])
        - pd.to_datetime(roster["shift_end"]).groupby(roster["agent_id"]).shift()
    )
    assert (rest.dropna() >= pd.Timedelta(hours=11)).all()
    # the simulation covers the first plan week only
    simulated = result.frames["simulation_intervals"]["interval_start"]
    assert week_of(simulated) == {weeks[0]}


# -- workforce sizing --------------------------------------------------------------------------


def _example_rules():
    return parse_config(
        tomllib.loads(example_plan_text()), source="plan.example.toml"
    ).schedule.rules


@pytest.mark.slow
def test_workforce_is_sized_from_the_unconstrained_design(plain_run) -> None:
    from planner.pipeline import size_workforce_from_design
    from planner.scheduling import design_shifts

    requirements = plain_run.frames["requirements"]
    rules = _example_rules()
    sized, note = size_workforce_from_design(
        requirements, rules, interval_minutes=15, time_limit_seconds=5, seed=0, num_workers=1
    )
    # the same design (same seed, one worker), read independently of headcounts_from_design
    design = design_shifts(
        requirements,
        rules,
        time_limit_seconds=5,
        seed=0,
        num_workers=1,
        interval_minutes=15,
        workforce_limits=False,
    )
    shifts = design.shifts
    full_hours = float(
        (shifts["paid_minutes"] * shifts["count"])[shifts["template"] == "full"].sum()
    )
    part = shifts.loc[shifts["template"] == "part"]
    full_ids = [a.agent_id for a in sized.agents if a.templates == ("full",)]
    part_ids = [a.agent_id for a in sized.agents if a.templates == ("part",)]
    assert len(full_ids) + len(part_ids) == len(sized.agents)
    # full-timers at 40 h cover no more than the design's full-time hours, one more would
    assert len(full_ids) * 40 * 60 <= full_hours < (len(full_ids) + 1) * 40 * 60
    assert len(part_ids) >= -(-int(part["count"].sum()) // 5)
    assert len(part_ids) >= int(part.groupby("date")["count"].sum().max())
    assert full_ids[:2] == ["F001", "F002"] and part_ids[0] == "P001"
    # contracts copied from the plan file's first full- and part-timer
    proto = next(a for a in rules.agents if a.templates == ("part",))
    copy_ = next(a for a in sized.agents if a.templates == ("part",))
    assert (copy_.min_hours, copy_.max_hours, copy_.contract_hours) == (
        proto.min_hours,
        proto.max_hours,
        proto.contract_hours,
    )
    assert sized.shift_templates == rules.shift_templates
    assert note.startswith(
        f"workforce sized from an unconstrained shift design: {len(full_ids)} full-time + "
        f"{len(part_ids)} part-time"
    )


def test_workforce_sizing_needs_a_full_and_a_part_time_agent(plain_run) -> None:
    from dataclasses import replace

    from planner.pipeline import size_workforce_from_design

    rules = _example_rules()
    only_full = replace(rules, agents=tuple(a for a in rules.agents if a.templates == ("full",)))
    with pytest.raises(ConfigError, match="'part' template"):
        size_workforce_from_design(plain_run.frames["requirements"], only_full, interval_minutes=15)


@pytest.mark.slow
@pytest.mark.parametrize("fails", [False, True], ids=["sized", "sizing-infeasible"])
def test_run_plan_rosters_the_sized_workforce(
    history: pd.DataFrame, tmp_path: Path, fails: bool
) -> None:
    from dataclasses import replace

    from planner.errors import InfeasibleError

    seen: list[pd.DataFrame] = []

    def sizer(requirements, rules, *, interval_minutes, progress):
        seen.append(requirements)
        if fails:
            raise InfeasibleError("no design in time")
        return replace(rules, agents=rules.agents[:3]), "sized to 3 agents"

    data = _with(("schedule", "rules"), SMALL_RULES)
    data["schedule"].update({"time_limit_seconds": 3, "num_workers": 1})
    data["scenarios"] = {"everyday": False}
    data["output"] = {"report": False}
    data["simulation"] = {"replications": 2}
    result = run_plan(
        history, parse_config(data), start="2025-04-07", out_dir=tmp_path, size_workforce=sizer
    )
    # the sizer sees the first plan week's requirements only
    week = pd.to_datetime(seen[0]["interval_start"]).dt.tz_convert("Europe/London")
    assert week.min() >= pd.Timestamp("2025-04-07", tz="Europe/London")
    assert week.max() < pd.Timestamp("2025-04-14", tz="Europe/London")
    agents = set(result.frames["roster"]["agent_id"])
    if fails:
        assert any("workforce sizing failed (no design in time)" in n for n in result.notes)
        assert agents <= {f"A{i:03d}" for i in range(1, 7)}
    else:
        assert "sized to 3 agents" in result.notes
        assert agents <= {"A001", "A002", "A003"}
