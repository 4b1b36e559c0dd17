"""Tests of planner.accuracy: forecast against actual, and the service-level miss in parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.accuracy import (
    ACCURACY_INTERVAL_COLUMNS,
    DECOMPOSITION_COLUMNS,
    forecast_accuracy,
    load_forecast,
)
from planner.errors import InputError
from planner.queueing import erlang_a

TZ = "Europe/London"


def history_frame(
    days: int, *, start: str = "2024-03-04", calls=None, queue: str = "q"
) -> pd.DataFrame:
    """``days`` days of two 60-minute intervals (09:00, 10:00)."""
    starts = []
    for day in pd.date_range(start, periods=days, freq="D"):
        starts += [day + pd.Timedelta(hours=9), day + pd.Timedelta(hours=10)]
    starts = pd.DatetimeIndex(starts).tz_localize(TZ)
    values = np.asarray(
        calls if calls is not None else np.arange(len(starts)) % 5 + 10, dtype=float
    )
    return pd.DataFrame({"queue": queue, "interval_start": starts, "calls_offered": values})


def test_wape_bias_mase_by_hand():
    # History: week 1 and week 2 (in-sample), week 3 is forecast. Interval calls cycle 10..14.
    history = history_frame(21)
    in_sample = history.iloc[:28]
    actual = history.iloc[28:]
    forecast = actual[["queue", "interval_start"]].assign(
        calls_forecast=actual["calls_offered"].to_numpy() + np.tile([2.0, -1.0], 7),
        aht_seconds_forecast=300.0,
    )
    report = forecast_accuracy(forecast, history, interval_minutes=60)
    scores = report.scores.set_index("level")
    # Errors alternate +2, -1 over 14 intervals: |e| sums to 21, e sums to 7.
    total = actual["calls_offered"].sum()
    assert scores.loc["interval", "wape"] == pytest.approx(21 / total, abs=1e-12)
    assert scores.loc["interval", "bias"] == pytest.approx(7 / total, abs=1e-12)
    # Weekly-naive scale at interval level, by hand: mean |a_t - a_{t-7d}| over week 2's slots.
    week1 = in_sample["calls_offered"].to_numpy()[:14]
    week2 = in_sample["calls_offered"].to_numpy()[14:]
    scale = np.abs(week2 - week1).mean()
    assert scores.loc["interval", "naive_scale"] == pytest.approx(scale, abs=1e-12)
    assert scores.loc["interval", "mase"] == pytest.approx((21 / 14) / scale, abs=1e-12)
    # Day level: each day's error is +1 (2 - 1): WAPE = 7 / total, MASE = 1 / daily scale.
    daily_totals = (
        in_sample.groupby(in_sample["interval_start"].dt.date)["calls_offered"].sum().to_numpy()
    )
    day_scale = np.abs(daily_totals[7:] - daily_totals[:7]).mean()
    assert scores.loc["day", "wape"] == pytest.approx(7 / total, abs=1e-12)
    assert scores.loc["day", "mase"] == pytest.approx(1 / day_scale, abs=1e-12)
    assert len(report.daily) == 7
    assert report.daily["calls_error"].tolist() == pytest.approx([1.0] * 7, abs=1e-12)
    assert tuple(report.intervals.columns) == ACCURACY_INTERVAL_COLUMNS


def test_aht_accuracy_weighted_by_actual_calls():
    history = history_frame(2, calls=[10.0, 30.0, 20.0, 20.0]).assign(
        aht_seconds=[200.0, 300.0, 250.0, 250.0]
    )
    forecast = history[["queue", "interval_start"]].assign(
        calls_forecast=20.0, aht_seconds_forecast=260.0
    )
    report = forecast_accuracy(forecast, history, interval_minutes=60)
    row = report.scores.set_index("level").loc["interval"]
    # By hand: weights 10, 30, 20, 20; |f - a| = 60, 40, 10, 10; actual 200, 300, 250, 250.
    denominator = 10 * 200 + 30 * 300 + 20 * 250 + 20 * 250
    assert row["aht_wape"] == pytest.approx((600 + 1200 + 200 + 200) / denominator, abs=1e-12)
    assert row["aht_bias"] == pytest.approx((600 - 1200 + 200 + 200) / denominator, abs=1e-12)
    assert any("MASE cannot be computed" in note for note in report.notes)
    assert np.isnan(row["mase"])


def test_only_the_common_span_and_missing_rows_count_as_zero():
    history = history_frame(3)
    # Forecast covers days 2-4 (day 4 has no history: outside the span) and lacks day 2's
    # 10:00 interval (inside the span: forecast 0 for those actual calls).
    forecast_days = history_frame(4).iloc[2:]
    forecast = forecast_days[["queue", "interval_start"]].assign(
        calls_forecast=12.0, aht_seconds_forecast=300.0
    )
    forecast = forecast.drop(index=3)
    report = forecast_accuracy(forecast, history, interval_minutes=60)
    assert len(report.intervals) == 4  # days 2 and 3 only
    missing = report.intervals.loc[
        report.intervals["interval_start"] == history["interval_start"].iloc[3]
    ]
    assert missing["calls_forecast"].tolist() == [0.0]
    assert any("no forecast row" in note for note in report.notes)


def planned_case(agents_staffed=None, within=None):
    """One day of four 15-minute intervals with a plan, and actuals that differ from it."""
    starts = pd.date_range("2024-03-04 09:00", periods=4, freq="15min", tz=TZ)
    forecast = pd.DataFrame(
        {
            "queue": "q",
            "interval_start": starts,
            "calls_forecast": [40.0, 50.0, 50.0, 40.0],
            "aht_seconds_forecast": 240.0,
            "agents_to_schedule": [15, 17, 17, 15],
        }
    )
    history = pd.DataFrame(
        {
            "queue": "q",
            "interval_start": starts,
            "calls_offered": [44.0, 58.0, 51.0, 40.0],
            "aht_seconds": [250.0, 260.0, 240.0, 230.0],
            "calls_abandoned": [1.0, 3.0, 1.0, 0.0],
            "answered_within_target": within if within is not None else [36.0, 40.0, 42.0, 35.0],
        }
    )
    if agents_staffed is not None:
        history["agents_staffed"] = agents_staffed
    return forecast, history


def sl_day(calls, aht, agents, patience=180.0):
    """Day SL weighted by calls, straight from the Erlang A kernel (independent of evaluate)."""
    calls, aht, agents = (np.asarray(v, dtype=float) for v in (calls, aht, agents))
    result = erlang_a(calls * aht / 900.0, agents, aht, patience, 20.0)
    return float((calls * result.service_level).sum() / calls.sum())


def test_service_level_miss_in_four_parts():
    staffed = [12.0, 13.6, 14.0, 12.0]
    forecast, history = planned_case(agents_staffed=staffed)
    report = forecast_accuracy(
        forecast, history, agents="agents_to_schedule", shrinkage=0.2, patience_seconds=180
    )
    row = report.planned_vs_achieved.iloc[0]
    assert tuple(report.planned_vs_achieved.columns) == DECOMPOSITION_COLUMNS
    # Plan: 15/17/17/15 heads at 20 % shrinkage = 12/13/13/12 productive (exact floor).
    productive = [12, 13, 13, 12]
    calls_f, calls_a = forecast["calls_forecast"], history["calls_offered"]
    aht_f, aht_a = [240.0] * 4, history["aht_seconds"]
    assert row["service_level_planned"] == pytest.approx(
        sl_day(calls_f, aht_f, productive), abs=1e-12
    )
    assert row["service_level_actual_volume"] == pytest.approx(
        sl_day(calls_a, aht_f, productive), abs=1e-12
    )
    assert row["service_level_actual_volume_aht"] == pytest.approx(
        sl_day(calls_a, aht_a, productive), abs=1e-12
    )
    # Actual staffing: agents logged in, fractional averages rounded down (13.6 -> 13).
    assert row["service_level_actual_staffing"] == pytest.approx(
        sl_day(calls_a, aht_a, [12, 13, 14, 12]), abs=1e-12
    )
    achieved = (36 + 40 + 42 + 35) / (44 + 58 + 51 + 40)
    assert row["service_level_achieved"] == pytest.approx(achieved, abs=1e-12)
    parts = row["volume_effect"] + row["aht_effect"] + row["staffing_effect"] + row["residual"]
    assert parts == pytest.approx(achieved - row["service_level_planned"], abs=1e-12)
    assert row["volume_effect"] < 0  # more calls than planned
    assert row["aht_effect"] < 0  # longer calls than planned
    assert row["abandon_rate_achieved"] == pytest.approx(5 / 193, abs=1e-12)


def test_residual_vanishes_when_the_centre_behaves_like_the_model():
    staffed = [13.0, 14.0, 14.0, 13.0]
    forecast, history = planned_case(agents_staffed=staffed)
    result = erlang_a(
        history["calls_offered"].to_numpy() * history["aht_seconds"].to_numpy() / 900.0,
        np.array(staffed),
        history["aht_seconds"].to_numpy(),
        180.0,
        20.0,
    )
    history["answered_within_target"] = history["calls_offered"] * result.service_level
    report = forecast_accuracy(forecast, history, agents="agents_to_schedule", patience_seconds=180)
    assert report.planned_vs_achieved["residual"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_without_agents_staffed_the_staffing_gap_is_unknown():
    forecast, history = planned_case()
    report = forecast_accuracy(forecast, history, agents="agents_to_schedule", patience_seconds=180)
    row = report.planned_vs_achieved.iloc[0]
    assert np.isnan(row["staffing_effect"])
    assert row["residual"] == pytest.approx(
        row["service_level_achieved"] - row["service_level_actual_volume_aht"], abs=1e-12
    )
    assert any("agents_staffed" in note for note in report.notes)
    assert any("ASA" in note for note in report.notes)


def two_queue_case():
    """planned_case for "sales", and a busier "support" queue on the same intervals."""
    staffed = [12.0, 13.6, 14.0, 12.0]
    sales_f, sales_h = planned_case(agents_staffed=staffed)
    support_f, support_h = planned_case(agents_staffed=[s + 3 for s in staffed])
    support_f = support_f.assign(
        queue="support",
        calls_forecast=support_f["calls_forecast"] * 1.5,
        agents_to_schedule=support_f["agents_to_schedule"] + 6,
    )
    support_h = support_h.assign(queue="support", calls_offered=support_h["calls_offered"] * 1.4)
    forecast = pd.concat([sales_f.assign(queue="sales"), support_f], ignore_index=True)
    history = pd.concat([sales_h.assign(queue="sales"), support_h], ignore_index=True)
    return forecast, history


def test_patience_per_queue_gives_the_rows_of_one_call_per_queue():
    # The mapping goes to every re-evaluation: each queue's rows are those of a call on that
    # queue alone with its own number.
    forecast, history = two_queue_case()
    mapping = {"support": 300.0, "sales": 60.0}
    together = forecast_accuracy(
        forecast, history, agents="agents_to_schedule", shrinkage=0.1, patience_seconds=mapping
    )
    for queue, patience in mapping.items():
        alone = forecast_accuracy(
            forecast.loc[forecast["queue"] == queue],
            history.loc[history["queue"] == queue],
            agents="agents_to_schedule",
            shrinkage=0.1,
            patience_seconds=patience,
        )
        got = together.planned_vs_achieved
        pd.testing.assert_frame_equal(
            got.loc[got["queue"] == queue].reset_index(drop=True),
            alone.planned_vs_achieved,
            check_exact=True,
        )
    # ... and a single number for both queues is not the same plan for support.
    one = forecast_accuracy(
        forecast, history, agents="agents_to_schedule", shrinkage=0.1, patience_seconds=60.0
    ).planned_vs_achieved
    support = together.planned_vs_achieved["queue"] == "support"
    assert not np.allclose(
        together.planned_vs_achieved.loc[support, "service_level_planned"],
        one.loc[support, "service_level_planned"],
    )


@pytest.mark.parametrize(
    ("patience", "match"),
    [
        ({"sales": 60.0}, r"patience_seconds has no value for queue 'support'"),
        ({"sales": 60.0, "support": 0.0}, r"patience_seconds\['support'\] must be a finite"),
        ({}, r"patience_seconds must map every queue"),
    ],
    ids=["missing-queue", "zero-value", "empty-mapping"],
)
def test_patience_mapping_errors(patience, match):
    forecast, history = two_queue_case()
    with pytest.raises(InputError, match=match):
        forecast_accuracy(forecast, history, agents="agents_to_schedule", patience_seconds=patience)


def test_patience_mapping_needs_only_the_compared_queues():
    # Queues left out of the comparison (here "billing", only in the forecast) need no value.
    forecast, history = two_queue_case()
    billing = forecast.loc[forecast["queue"] == "sales"].assign(queue="billing")
    report = forecast_accuracy(
        pd.concat([forecast, billing], ignore_index=True),
        history,
        agents="agents_to_schedule",
        patience_seconds={"sales": 60.0, "support": 300.0},
    )
    assert set(report.planned_vs_achieved["queue"]) == {"sales", "support"}
    assert any("queue billing is only in the forecast" in note for note in report.notes)


def test_without_a_plan_only_accuracy():
    forecast, history = planned_case()
    report = forecast_accuracy(
        forecast.drop(columns="agents_to_schedule"), history, interval_minutes=15
    )
    assert report.planned_vs_achieved is None
    assert any("no plan agents" in note for note in report.notes)


def test_several_queues_and_all_queues_row():
    a = history_frame(2, queue="a", calls=[10.0, 20.0, 30.0, 40.0])
    b = history_frame(2, queue="b", calls=[5.0, 5.0, 5.0, 5.0])
    history = pd.concat([a, b], ignore_index=True)
    forecast = history[["queue", "interval_start"]].assign(
        calls_forecast=[12.0, 18.0, 30.0, 40.0, 6.0, 6.0, 4.0, 4.0], aht_seconds_forecast=300.0
    )
    report = forecast_accuracy(forecast, history, interval_minutes=60)
    rows = report.scores.set_index(["queue", "level"])
    assert rows.loc[("a", "interval"), "wape"] == pytest.approx(4 / 100, abs=1e-12)
    assert rows.loc[("b", "interval"), "wape"] == pytest.approx(4 / 20, abs=1e-12)
    assert rows.loc[("all queues", "interval"), "wape"] == pytest.approx(8 / 120, abs=1e-12)
    assert rows.loc[("all queues", "interval"), "bias"] == pytest.approx(0.0, abs=1e-12)


def test_load_forecast_from_file_and_version(tmp_path):
    from planner.forecast.versions import save_forecast_version
    from planner.io import write_frame

    history = history_frame(2)
    forecast = history[["queue", "interval_start"]].assign(
        calls_forecast=11.0,
        calls_lower=9.0,
        calls_upper=13.0,
        aht_seconds_forecast=300.0,
        method="test",
    )
    path = write_frame(forecast, tmp_path / "forecast.csv")
    from_file = load_forecast(str(path))
    version = save_forecast_version(forecast, tmp_path / "models")
    from_version = load_forecast(version, str(tmp_path / "models"))
    for frame in (from_file, from_version):
        report = forecast_accuracy(frame, history, interval_minutes=60)
        assert report.scores.set_index("level").loc["interval", "calls_forecast"] == pytest.approx(
            44.0
        )
    with pytest.raises(InputError, match="nope"):
        load_forecast("nope", str(tmp_path / "models"))


@pytest.mark.parametrize(
    ("change_forecast", "change_history", "match"),
    [
        (lambda f: f.assign(queue="x"), lambda h: h, "share no queue"),
        (
            lambda f: f.assign(interval_start=f["interval_start"] + pd.Timedelta(days=30)),
            lambda h: h,
            "do not overlap",
        ),
        (lambda f: f, lambda h: h.drop(columns="calls_offered"), "calls_offered"),
        (lambda f: f, lambda h: h.assign(calls_offered=-1.0), "calls_offered"),
        (lambda f: f, lambda h: h.assign(aht_seconds="long"), "aht_seconds"),
        (lambda f: f, lambda h: pd.concat([h, h.iloc[[0]]], ignore_index=True), "interval_start"),
        (lambda f: f.drop(columns="calls_forecast"), lambda h: h, "calls_forecast"),
    ],
    ids=[
        "no-common-queue",
        "no-overlap",
        "no-offered",
        "negative-offered",
        "text-aht",
        "duplicate",
        "no-forecast",
    ],
)
def test_errors(change_forecast, change_history, match):
    history = history_frame(2)
    forecast = history[["queue", "interval_start"]].assign(
        calls_forecast=11.0, aht_seconds_forecast=300.0
    )
    with pytest.raises(InputError, match=match):
        forecast_accuracy(change_forecast(forecast), change_history(history), interval_minutes=60)


def test_parameter_errors():
    forecast, history = planned_case()
    with pytest.raises(InputError, match="shrinkage"):
        forecast_accuracy(forecast, history, agents="agents_to_schedule", shrinkage=1.2)
    with pytest.raises(InputError, match="patience_seconds"):
        forecast_accuracy(forecast, history, agents="agents_to_schedule", patience_seconds=-1)


def test_cli_accuracy_with_plan(tmp_path, capsys):
    from planner.cli import main
    from planner.io import write_frame

    forecast, history = planned_case(agents_staffed=[12.0, 13.0, 14.0, 12.0])
    write_frame(forecast.drop(columns="agents_to_schedule"), tmp_path / "forecast.csv")
    write_frame(forecast[["queue", "interval_start", "agents_to_schedule"]], tmp_path / "plan.csv")
    write_frame(history, tmp_path / "history.csv")
    main(
        [
            "accuracy",
            str(tmp_path / "forecast.csv"),
            str(tmp_path / "history.csv"),
            "--plan",
            str(tmp_path / "plan.csv"),
            "--patience-seconds",
            "180",
            "-o",
            str(tmp_path / "acc"),
        ]
    )
    parts = pd.read_csv(tmp_path / "acc" / "planned_vs_achieved.csv")
    assert parts["service_level_achieved"].iloc[0] == pytest.approx(153 / 193, abs=1e-9)
    scores = pd.read_csv(tmp_path / "acc" / "accuracy_scores.csv")
    assert set(scores["level"]) == {"interval", "day", "week"}


def test_cli_accuracy_with_patience_per_queue(tmp_path):
    # --patience-seconds QUEUE=SECONDS,... is the mapping of forecast_accuracy.
    from planner.cli import main
    from planner.io import read_forecast, read_history, write_frame

    forecast, history = two_queue_case()
    write_frame(forecast.drop(columns="agents_to_schedule"), tmp_path / "forecast.csv")
    write_frame(forecast[["queue", "interval_start", "agents_to_schedule"]], tmp_path / "plan.csv")
    write_frame(history, tmp_path / "history.csv")
    main(
        [
            "accuracy",
            str(tmp_path / "forecast.csv"),
            str(tmp_path / "history.csv"),
            "--plan",
            str(tmp_path / "plan.csv"),
            "--patience-seconds",
            "sales=60, support=300",
            "-o",
            str(tmp_path / "acc"),
        ]
    )
    got = pd.read_csv(tmp_path / "acc" / "planned_vs_achieved.csv")
    expected = forecast_accuracy(
        read_forecast(tmp_path / "forecast.csv"),
        read_history(tmp_path / "history.csv"),
        agents=forecast.loc[:, ["queue", "interval_start", "agents_to_schedule"]].rename(
            columns={"agents_to_schedule": "agents_scheduled"}
        ),
        patience_seconds={"sales": 60.0, "support": 300.0},
    ).planned_vs_achieved
    np.testing.assert_allclose(
        got["service_level_planned"], expected["service_level_planned"], rtol=1e-12
    )
    np.testing.assert_allclose(
        got["abandon_rate_planned"], expected["abandon_rate_planned"], rtol=1e-12
    )


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("sales=60", "patience_seconds has no value for queue 'support'"),
        ("sales=60,support=soon", "--patience-seconds: got 'support=soon'"),
        ("=60", "--patience-seconds: got '=60'"),
        ("later", "--patience-seconds: got 'later'"),
        ("sales=60,support=-5", r"--patience-seconds\['support'\] must be a finite number > 0"),
        ("0", "--patience-seconds must be a finite number > 0, got 0"),
    ],
    ids=["missing-queue", "text-seconds", "no-queue-name", "text", "negative", "zero"],
)
def test_cli_accuracy_patience_errors_exit_2(tmp_path, capsys, value, match):
    import re

    from planner.cli import main
    from planner.io import write_frame

    forecast, history = two_queue_case()
    write_frame(forecast, tmp_path / "forecast.csv")
    write_frame(history, tmp_path / "history.csv")
    args = [str(tmp_path / "forecast.csv"), str(tmp_path / "history.csv")]
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "accuracy",
                *args,
                "--plan",
                str(tmp_path / "forecast.csv"),
                "--patience-seconds",
                value,
                "-o",
                str(tmp_path / "acc"),
            ]
        )
    assert exit_info.value.code == 2
    assert re.search(match, capsys.readouterr().err)
