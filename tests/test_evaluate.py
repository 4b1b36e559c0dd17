"""Tests of planner.evaluate: per-interval Erlang KPIs of a plan, aggregates weighted by calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.evaluate import (
    EVALUATION_COLUMNS,
    PERIOD_COLUMNS,
    evaluate_plan,
    join_plan,
    productive_agents,
)


def forecast_frame(
    calls, agents, *, aht=180.0, queue="q", start="2024-03-04 09:00", tz="Europe/London"
):
    calls = np.asarray(calls, dtype=float)
    return pd.DataFrame(
        {
            "queue": queue,
            "interval_start": pd.date_range(start, periods=calls.size, freq="15min", tz=tz),
            "calls_forecast": calls,
            "aht_seconds_forecast": np.broadcast_to(np.asarray(aht, dtype=float), calls.shape),
            "agents_to_schedule": np.broadcast_to(np.asarray(agents), calls.shape).astype(np.int64),
        }
    )


def test_erlang_c_interval_by_hand():
    # 10 calls x 180 s in 15 minutes = 2 erlangs on 3 agents. By hand (textbook Erlang C):
    # B(3, 2) = (2^3/3!) / (1 + 2 + 2 + 8/6) = 4/19; C = 3B / (3 - 2(1 - B)) = 4/9;
    # SL(20 s) = 1 - C exp(-(3 - 2) 20 / 180) = 1 - (4/9) exp(-1/9); ASA = C 180 / (3 - 2) = 80 s;
    # occupancy = 2/3.
    evaluation = evaluate_plan(forecast_frame([10.0], 3), interval_minutes=15)
    row = evaluation.intervals.iloc[0]
    assert evaluation.model == "erlang_c"
    assert row["traffic_erlangs"] == pytest.approx(2.0, abs=1e-12)
    assert row["wait_probability"] == pytest.approx(4 / 9, abs=1e-12)
    assert row["service_level"] == pytest.approx(1 - 4 / 9 * np.exp(-1 / 9), abs=1e-12)
    assert row["asa_seconds"] == pytest.approx(80.0, abs=1e-9)
    assert row["occupancy"] == pytest.approx(2 / 3, abs=1e-12)
    assert np.isnan(row["abandon_rate"]), "Erlang C does not model abandonment"
    assert not row["meets_target"]  # 0.602 < 0.8


def test_erlang_a_single_agent_by_hand():
    # One agent (M/M/1+M): the birth-death chain with arrival rate l, service m, abandonment g
    # per waiting caller has p_k / p_0 = l^k / (m (m + g) ... (m + (k-1) g)). Summed by hand
    # here to 400 states (the tail is negligible): P(wait) = 1 - p_0 and the abandon rate
    # g E[queue] / l (Little). Checked against the kernel through evaluate_plan.
    calls, aht, patience = 3.0, 200.0, 100.0
    lam, mu, theta = calls / 900.0, 1 / aht, 1 / patience
    weights = [1.0]
    for k in range(1, 400):
        weights.append(weights[-1] * lam / (mu + (k - 1) * theta))
    p = np.array(weights) / sum(weights)
    queue_mean = sum(max(k - 1, 0) * p[k] for k in range(400))
    evaluation = evaluate_plan(
        forecast_frame([calls], 1, aht=aht), patience_seconds=patience, interval_minutes=15
    )
    row = evaluation.intervals.iloc[0]
    assert evaluation.model == "erlang_a"
    assert row["wait_probability"] == pytest.approx(1 - p[0], abs=1e-9)
    assert row["abandon_rate"] == pytest.approx(theta * queue_mean / lam, abs=1e-9)


def test_periods_are_weighted_by_calls():
    evaluation = evaluate_plan(forecast_frame([10.0, 40.0, 0.0], [3, 9, 1]), patience_seconds=120)
    intervals = evaluation.intervals
    calls = intervals["calls_forecast"].to_numpy()
    answered = calls * (1 - intervals["abandon_rate"].to_numpy())
    day = evaluation.daily.iloc[0]
    expected_sl = (calls * intervals["service_level"]).sum() / calls.sum()
    assert day["service_level"] == pytest.approx(expected_sl, abs=1e-12)
    plain_mean = intervals["service_level"].iloc[:2].mean()
    assert abs(day["service_level"] - plain_mean) > 1e-3  # the weighting matters here
    expected_asa = (answered * intervals["asa_seconds"]).sum() / answered.sum()
    assert day["asa_seconds"] == pytest.approx(expected_asa, abs=1e-9)
    productive = intervals["agents_productive"].to_numpy()
    expected_occupancy = (productive * intervals["occupancy"]).sum() / productive.sum()
    assert day["occupancy"] == pytest.approx(expected_occupancy, abs=1e-12)
    assert day["scheduled_hours"] == pytest.approx((3 + 9 + 1) * 0.25, abs=1e-12)
    assert tuple(evaluation.daily.columns) == ("queue", "day", *PERIOD_COLUMNS)
    assert tuple(evaluation.weekly.columns) == ("queue", "week_start", *PERIOD_COLUMNS)
    assert tuple(evaluation.intervals.columns) == EVALUATION_COLUMNS


@pytest.mark.parametrize(
    ("heads", "shrinkage", "expected"),
    [(10, 0.3, 7), (90, 0.3, 63), (20, 0.35, 13), (7, 0.0, 7), (1, 0.5, 0)],
    ids=["10-at-30pc", "90-at-30pc-float-gives-62", "20-at-35pc", "no-shrinkage", "half-of-one"],
)
def test_productive_agents_exact_floor(heads, shrinkage, expected):
    # floor(heads * (1 - shrinkage)) in exact decimal arithmetic; in floats 90 * (1 - 0.3) is
    # 62.99999999999999 and would floor to 62.
    assert productive_agents(np.array([heads]), shrinkage).tolist() == [expected]


def test_shrinkage_reduces_productive_agents_in_the_evaluation():
    evaluation = evaluate_plan(forecast_frame([40.0], 90), shrinkage=0.3, interval_minutes=15)
    assert evaluation.intervals["agents_productive"].tolist() == [63]
    assert evaluation.daily["productive_hours"].iloc[0] == pytest.approx(63 * 0.25, abs=1e-12)


def test_unstable_erlang_c_interval_is_a_growing_queue():
    # 60 calls x 180 s = 12 erlangs on 10 agents: no steady state; the interval fails outright.
    evaluation = evaluate_plan(forecast_frame([60.0, 10.0], [10, 10]))
    row = evaluation.intervals.iloc[0]
    assert row["service_level"] == 0.0
    assert np.isinf(row["asa_seconds"])
    assert row["wait_probability"] == 1.0
    assert not row["meets_target"]
    assert len(evaluation.missing_target) == 1


def test_erlang_a_approaches_erlang_c_with_patient_callers():
    frame = forecast_frame([30.0, 45.0], [8, 11])
    c = evaluate_plan(frame, model="erlang-c").intervals
    a = evaluate_plan(frame, model="erlang-a", patience_seconds=1e8).intervals
    for column in ("service_level", "asa_seconds", "wait_probability", "occupancy"):
        assert a[column].to_numpy() == pytest.approx(c[column].to_numpy(), rel=1e-4), column


def test_no_agents_under_erlang_a():
    evaluation = evaluate_plan(forecast_frame([20.0, 20.0], [0, 5]), patience_seconds=60)
    row = evaluation.intervals.iloc[0]
    assert row["service_level"] == 0.0
    assert row["abandon_rate"] == pytest.approx(1.0, abs=1e-12)
    assert not row["meets_target"]
    day = evaluation.daily.iloc[0]
    assert np.isfinite(day["asa_seconds"]) and np.isfinite(day["occupancy"])


def test_missing_target_list_and_abandon_ceiling():
    frame = forecast_frame([10.0, 40.0, 40.0, 0.0], [3, 9, 12, 0])
    loose = evaluate_plan(frame, patience_seconds=120, service_level_target=0.5)
    strict = evaluate_plan(
        frame, patience_seconds=120, service_level_target=0.5, max_abandon_rate=0.01
    )
    assert len(strict.missing_target) >= len(loose.missing_target)
    missed = strict.intervals.loc[~strict.intervals["meets_target"]]
    over = strict.intervals["abandon_rate"] > 0.01
    under = strict.intervals["service_level"] < 0.5
    with_calls = strict.intervals["calls_forecast"] > 0
    assert missed.index.tolist() == strict.intervals.index[(over | under) & with_calls].tolist()
    assert strict.missing_target["service_level"].is_monotonic_increasing
    assert strict.intervals["meets_target"].iloc[3]  # no calls, no miss
    assert strict.daily["intervals_missing_target"].iloc[0] == len(missed)


def test_coverage_frame_and_column_agree_and_input_untouched():
    frame = forecast_frame([20.0, 30.0, 25.0], [6, 8, 7])
    before = frame.copy()
    by_column = evaluate_plan(frame, "agents_to_schedule", patience_seconds=90)
    coverage = frame[["queue", "interval_start"]].assign(
        agents_scheduled=frame["agents_to_schedule"]
    )
    # A roster's coverage frame may omit intervals nobody covers and list ones outside the plan.
    partial = pd.concat(
        [
            coverage.iloc[:2],
            pd.DataFrame(
                {
                    "queue": ["q"],
                    "interval_start": [frame["interval_start"].iloc[-1] + pd.Timedelta(hours=1)],
                    "agents_scheduled": [4],
                }
            ),
        ],
        ignore_index=True,
    )
    by_coverage = evaluate_plan(
        frame.drop(columns="agents_to_schedule"), coverage, patience_seconds=90
    )
    by_partial = evaluate_plan(frame, partial, patience_seconds=90)
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(by_column.intervals, by_coverage.intervals)
    assert by_partial.intervals["agents_scheduled"].tolist() == [6, 8, 0]


def test_several_queues_and_all_queues_row():
    frame = pd.concat(
        [
            forecast_frame([20.0, 30.0], [6, 8], queue="b"),
            forecast_frame([10.0, 10.0], [4, 4], queue="a"),
        ],
        ignore_index=True,
    )
    evaluation = evaluate_plan(frame, patience_seconds=120)
    assert evaluation.intervals["queue"].tolist() == ["a", "a", "b", "b"]
    totals = evaluation.totals.set_index("queue")
    calls = evaluation.intervals["calls_forecast"]
    pooled = (calls * evaluation.intervals["service_level"]).sum() / calls.sum()
    assert totals.loc["all queues", "service_level"] == pytest.approx(pooled, abs=1e-12)
    assert totals.loc["all queues", "calls_forecast"] == 70


def test_days_and_weeks_in_local_time():
    # 23:45 local on Sunday 31 March (BST, 22:45 UTC) and 00:00 Monday 1 April.
    frame = forecast_frame([10.0, 10.0], 4, start="2024-03-31 23:45")
    evaluation = evaluate_plan(frame)
    assert evaluation.daily["day"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-31", "2024-04-01"]
    assert evaluation.weekly["week_start"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-25",
        "2024-04-01",
    ]


@settings(max_examples=20, deadline=None)
@given(
    calls=st.lists(st.floats(min_value=0.0, max_value=200.0), min_size=2, max_size=6),
    extra=st.integers(min_value=0, max_value=5),
)
def test_daily_service_level_lies_between_interval_values(calls, extra):
    # A calls-weighted mean can never leave the range of the values it averages, and adding
    # agents everywhere never lowers the day's service level.
    calls = np.asarray(calls)
    agents = np.ceil(calls * 180.0 / 900.0).astype(int) + 1
    frame = forecast_frame(calls, agents)
    evaluation = evaluate_plan(frame, patience_seconds=150)
    day = evaluation.daily["service_level"].iloc[0]
    values = evaluation.intervals.loc[evaluation.intervals["calls_forecast"] > 0, "service_level"]
    if len(values):
        assert values.min() - 1e-12 <= day <= values.max() + 1e-12
        more = evaluate_plan(frame.assign(agents_to_schedule=agents + extra), patience_seconds=150)
        assert more.daily["service_level"].iloc[0] >= day - 1e-12


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"model": "erlang-b"}, "model"),
        ({"model": "erlang-a"}, "patience_seconds"),
        ({"patience_seconds": -3}, "patience_seconds"),
        ({"service_level_target": 1.2}, "service_level_target"),
        ({"max_abandon_rate": 2.0}, "max_abandon_rate"),
        ({"answer_target_seconds": 0}, "answer_target_seconds"),
        ({"interval_minutes": 20}, "interval_minutes"),
    ],
    ids=[
        "shrinkage",
        "model",
        "erlang-a-without-patience",
        "patience",
        "sl-target",
        "abandon",
        "answer",
        "interval",
    ],
)
def test_parameter_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        evaluate_plan(forecast_frame([10.0, 12.0], 3), **kwargs)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.drop(columns="aht_seconds_forecast"), "aht_seconds_forecast"),
        (lambda f: f.assign(calls_forecast=["x", 1.0]), "calls_forecast"),
        (lambda f: f.assign(agents_to_schedule=[-1, 3]), "agents"),
        (lambda f: f.drop(columns="agents_to_schedule"), "agents_to_schedule"),
        (lambda f: f.drop(columns="interval_start"), "interval_start"),
    ],
    ids=["no-aht", "text-calls", "negative-agents", "no-agents-column", "no-interval-start"],
)
def test_frame_errors(change, match):
    with pytest.raises(InputError, match=match):
        evaluate_plan(change(forecast_frame([10.0, 12.0], 3)))


def test_coverage_errors():
    frame = forecast_frame([10.0, 12.0], 3)
    with pytest.raises(InputError, match="agents_scheduled"):
        join_plan(frame, frame[["queue", "interval_start"]])
    with pytest.raises(InputError, match="coverage"):
        join_plan(frame, frame[["queue", "interval_start"]].assign(queue="z", agents_scheduled=3))
    with pytest.raises(InputError, match="agents must be a column name or a coverage DataFrame"):
        join_plan(frame, 3)  # type: ignore[arg-type]


def test_cli_evaluate_writes_outputs_and_simulates(tmp_path, capsys):
    from planner.cli import main
    from planner.io import write_frame

    frame = forecast_frame([20.0, 30.0, 25.0, 40.0], [6, 8, 7, 5])
    write_frame(frame.drop(columns="agents_to_schedule"), tmp_path / "forecast.csv")
    write_frame(
        frame[["queue", "interval_start", "agents_to_schedule"]], tmp_path / "requirements.csv"
    )
    out = tmp_path / "ev"
    main(
        [
            "evaluate",
            str(tmp_path / "requirements.csv"),
            str(tmp_path / "forecast.csv"),
            "--patience-seconds",
            "120",
            "--simulate",
            "--replications",
            "2",
            "-o",
            str(out),
        ]
    )
    intervals = pd.read_csv(out / "evaluation_intervals.csv")
    assert intervals["agents_scheduled"].tolist() == [6, 8, 7, 5]
    assert (out / "simulation_intervals.csv").is_file()
    assert (out / "intervals_missing_target.csv").is_file()  # the 40-call interval misses


def test_cli_evaluate_bad_roster_is_one_line_and_exit_2(tmp_path, capsys):
    from planner.cli import main
    from planner.io import write_frame

    frame = forecast_frame([20.0, 30.0], 6)
    write_frame(frame, tmp_path / "forecast.csv")
    write_frame(frame[["queue", "interval_start"]], tmp_path / "roster.csv")
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(tmp_path / "roster.csv"), str(tmp_path / "forecast.csv")])
    assert exit_info.value.code == 2
    assert "agents_scheduled" in capsys.readouterr().err


# -- patience per queue ------------------------------------------------------------------------


def _two_queue_plan() -> pd.DataFrame:
    sales = forecast_frame([20.0, 60.0, 90.0, 0.0], 10, aht=240.0, queue="sales")
    support = forecast_frame([20.0, 60.0, 90.0, 0.0], 10, aht=240.0, queue="support")
    return pd.concat([support, sales], ignore_index=True)


def test_patience_per_queue_gives_the_rows_of_one_call_per_queue():
    plan = _two_queue_plan()
    patience = {"sales": 60.0, "support": 600.0}
    got = evaluate_plan(plan, shrinkage=0.2, patience_seconds=patience, max_abandon_rate=0.1)
    assert got.model == "erlang_a"
    for queue, seconds in patience.items():
        alone = evaluate_plan(
            plan.loc[plan["queue"] == queue],
            shrinkage=0.2,
            patience_seconds=seconds,
            max_abandon_rate=0.1,
        )
        rows = got.intervals.loc[got.intervals["queue"] == queue].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, alone.intervals, check_exact=False, rtol=1e-12)
        daily = got.daily.loc[got.daily["queue"] == queue].reset_index(drop=True)
        pd.testing.assert_frame_equal(daily, alone.daily, check_exact=False, rtol=1e-12)
    # the queues differ only by patience, and it shows
    by_queue = got.intervals.pivot(index="interval_start", columns="queue", values="abandon_rate")
    assert (by_queue["sales"].iloc[:3] > by_queue["support"].iloc[:3]).all()


def test_patience_mapping_missing_a_queue_is_refused():
    with pytest.raises(InputError, match=r"patience_seconds has no value for queue 'support'"):
        evaluate_plan(_two_queue_plan(), patience_seconds={"sales": 60.0})


def test_erlang_c_abandonment_is_not_modelled_in_every_aggregate():
    evaluation = evaluate_plan(_two_queue_plan(), model="erlang-c")
    for frame in (evaluation.intervals, evaluation.daily, evaluation.weekly, evaluation.totals):
        assert frame["abandon_rate"].isna().all()
