"""Tests of planner.forecast (fast methods, calendar, backtest, auto, versions, CLI).

Series are built here: an exact multiplicative centre (daily total x weekday factor x month-start
uplift x fixed intraday shape, no noise) whose right answers are known in closed form, and a
Poisson version of it for the backtest and the automatic choice.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from planner.errors import InputError
from planner.forecast import (
    MeanLastWeeks,
    SameSlotLastWeek,
    TopDown,
    backtest,
    count_interval,
    forecast_history,
    list_forecast_versions,
    load_forecast_version,
    load_model,
    save_forecast_version,
    save_model,
)
from planner.schema import FORECAST_COLUMNS

TZ = "Europe/London"
WEEKDAY_FACTOR = (1.3, 1.0, 0.95, 1.0, 1.1, 0.5)  # Monday .. Saturday; Sunday closed
MONTH_START_UPLIFT = 1.25  # calendar days 1-5


def _shape(minutes: np.ndarray) -> np.ndarray:
    hours = minutes / 60.0
    return np.exp(-(((hours - 11) / 2.5) ** 2)) + 0.7 * np.exp(-(((hours - 15) / 2) ** 2))


def centre(
    start: str = "2024-04-01",
    weeks: int = 10,
    *,
    minutes: int = 30,
    closed: tuple[str, ...] = (),
    noise_seed: int | None = None,
    daily_total: float = 400.0,
    aht: bool = True,
    queues: tuple[str, ...] = ("sales",),
) -> pd.DataFrame:
    """Weekdays 08:00-18:00, Saturday 09:00-13:00, Sunday closed; ``closed`` dates absent."""
    rng = np.random.default_rng(noise_seed) if noise_seed is not None else None
    frames = []
    for qi, queue in enumerate(queues):
        for day in pd.date_range(start, periods=7 * weeks, freq="D"):
            dow = day.day_of_week
            if dow == 6 or str(day.date()) in closed:
                continue
            lo, hi = (8, 18) if dow < 5 else (9, 13)
            slots = np.arange(lo * 60, hi * 60, minutes)
            share = _shape(slots) / _shape(slots).sum()
            total = daily_total * (1 + 0.5 * qi) * WEEKDAY_FACTOR[dow]
            if day.day <= 5:
                total *= MONTH_START_UPLIFT
            calls = total * share
            if rng is not None:
                calls = rng.poisson(calls).astype(float)
            frame = pd.DataFrame(
                {
                    "queue": queue,
                    "interval_start": (day + pd.to_timedelta(slots, unit="min")).tz_localize(TZ),
                    "calls_offered": calls,
                }
            )
            if aht:
                frame["aht_seconds"] = 300.0 + 60.0 * (slots >= 15 * 60)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def local(series: pd.Series) -> pd.Series:
    return series.dt.tz_convert(TZ).dt.tz_localize(None)


# ----------------------------------------------------------------- frame contract
@pytest.mark.parametrize(
    "method",
    [SameSlotLastWeek(), MeanLastWeeks(), TopDown()],
    ids=["same-slot-last-week", "mean-last-weeks", "topdown"],
)
def test_forecast_frame_contract(method):
    history = centre(weeks=6, noise_seed=1)
    before = history.copy()
    out = method.fit(history).predict(14)
    pd.testing.assert_frame_equal(history, before)  # caller's frame untouched
    assert tuple(out.columns) == FORECAST_COLUMNS
    assert isinstance(out["interval_start"].dtype, pd.DatetimeTZDtype)
    # The horizon starts at the interval after the last one in the history.
    assert out["interval_start"].min() > history["interval_start"].max()
    assert local(out["interval_start"]).min() == pd.Timestamp("2024-05-13 08:00")
    assert local(out["interval_start"]).max() < pd.Timestamp("2024-05-26 00:00")
    # Closed days and hours have no rows: no Sunday, Saturday 09:00-12:30 only.
    stamps = local(out["interval_start"])
    assert (stamps.dt.day_of_week != 6).all()
    saturday = stamps[stamps.dt.day_of_week == 5]
    assert saturday.dt.hour.min() == 9 and saturday.dt.hour.max() == 12
    assert len(out) == 2 * (5 * 20 + 8)
    assert (out["calls_forecast"] >= 0).all()
    assert (out["calls_lower"] <= out["calls_forecast"]).all()
    assert (out["calls_forecast"] <= out["calls_upper"]).all()
    assert (out["method"] == method.name).all()


def test_missing_day_does_not_shift_the_weekly_lookup():
    # Monday 2024-05-06 is absent (a holiday); next Monday's "last week" is Monday 2024-04-29.
    history = centre(weeks=6, closed=("2024-05-06",), noise_seed=3)
    out = SameSlotLastWeek().fit(history).predict(3)
    out = out.loc[local(out["interval_start"]).dt.normalize() == pd.Timestamp("2024-05-13")]
    expected = history.loc[local(history["interval_start"]).dt.normalize() == "2024-04-29"]
    assert len(out) == 20
    np.testing.assert_allclose(out["calls_forecast"], expected["calls_offered"], rtol=0, atol=1e-12)


def test_mean_last_weeks_is_the_mean_of_the_same_weekday():
    history = centre(weeks=6, noise_seed=4)
    out = MeanLastWeeks(n_weeks=3).fit(history).predict(3)
    out = out.loc[local(out["interval_start"]).dt.normalize() == pd.Timestamp("2024-05-13")]
    days = local(history["interval_start"]).dt.normalize()
    tuesdays = [pd.Timestamp(d) for d in ("2024-04-23", "2024-04-30", "2024-05-07")]
    # The forecast day is Monday 2024-05-13; take the three Mondays before it.
    mondays = [d - pd.Timedelta(days=1) for d in tuesdays]
    expected = np.mean(
        [history.loc[days == d, "calls_offered"].to_numpy() for d in mondays], axis=0
    )
    np.testing.assert_allclose(out["calls_forecast"], expected, rtol=1e-12)


def test_topdown_recovers_an_exact_multiplicative_series():
    # No noise: the log daily-total regression and the profile are exact, so the forecast must
    # equal the generator's values, month-start uplift included (2024-06-03 .. 06-05 are days 3-5).
    history = centre(start="2024-01-01", weeks=21, aht=False)
    out = TopDown(daily_model="regression", level_half_life_weeks=2.0).fit(history).predict(7)
    truth = centre(start="2024-01-01", weeks=23, aht=False)
    truth = truth.loc[truth["interval_start"] > history["interval_start"].max()]
    merged = out.merge(truth, on=["queue", "interval_start"], how="inner")
    assert len(merged) == len(out) > 0
    np.testing.assert_allclose(merged["calls_forecast"], merged["calls_offered"], rtol=1e-6)
    assert out["aht_seconds_forecast"].isna().all()  # no AHT in the history


def test_aht_profile_follows_time_of_day():
    history = centre(weeks=6, noise_seed=5)
    out = TopDown().fit(history).predict(7)
    hours = local(out["interval_start"]).dt.hour
    # Generator: 300 s before 15:00, 360 s from 15:00; the 1-2-1 smoothing blends the edge slots.
    assert out.loc[hours < 14, "aht_seconds_forecast"].to_numpy() == pytest.approx(300.0, abs=1e-6)
    assert out.loc[hours >= 16, "aht_seconds_forecast"].to_numpy() == pytest.approx(360.0, abs=1e-6)


def test_closed_holiday_in_history_closes_future_holidays():
    # GB: Early May bank holiday 2024-05-06 closed in the history, so the Spring bank holiday
    # 2024-05-27 is forecast closed; without a holiday calendar it is an ordinary Monday.
    history = centre(start="2024-04-08", weeks=7, closed=("2024-05-06",), noise_seed=6)
    with_gb = SameSlotLastWeek(country_holidays="GB").fit(history).predict(14)
    without = SameSlotLastWeek().fit(history).predict(14)
    day = pd.Timestamp("2024-05-27")
    assert not (local(with_gb["interval_start"]).dt.normalize() == day).any()
    assert (local(without["interval_start"]).dt.normalize() == day).sum() == 20


def test_special_days_close_like_holidays():
    history = centre(start="2024-04-08", weeks=7, closed=("2024-05-08",), noise_seed=6)
    special = pd.DataFrame({"date": ["2024-05-08", "2024-06-05"], "name": ["away day"] * 2})
    out = MeanLastWeeks(special_days=special).fit(history).predict(14)
    days = local(out["interval_start"]).dt.normalize()
    assert not (days == pd.Timestamp("2024-06-05")).any()
    assert (days == pd.Timestamp("2024-06-04")).sum() == 20


def test_dst_change_keeps_local_opening_hours():
    # Europe/London moves to BST on 2024-03-31: Monday 2024-04-01 still opens at 08:00 local.
    history = centre(start="2024-02-12", weeks=7, noise_seed=7)
    out = MeanLastWeeks().fit(history).predict(2)
    first = out["interval_start"].min()
    assert first.tz_convert(TZ).hour == 8
    assert first.tz_convert("UTC").hour == 7


# ---------------------------------------------------------------- intervals
@pytest.mark.parametrize("mean", [0.5, 4.0, 40.0], ids=["m0.5", "m4", "m40"])
def test_count_interval_is_poisson_without_rate_uncertainty(mean):
    lower, upper = count_interval(np.array([mean]), np.array([0.0]), 0.8)
    assert lower[0] == stats.poisson.ppf(0.1, mean)
    assert upper[0] == stats.poisson.ppf(0.9, mean)


def test_count_interval_widens_with_rate_uncertainty():
    mean = np.full(3, 50.0)
    lower, upper = count_interval(mean, np.array([0.0, 0.1, 0.3]), 0.8)
    assert np.all(np.diff(upper - lower) > 0)


def test_interval_coverage_is_near_nominal_on_poisson_data():
    history = centre(weeks=14, noise_seed=11, daily_total=2000.0)
    result = backtest(
        history, [TopDown(daily_model="regression")], n_origins=3, horizons=("week1",)
    )
    coverage = result.scores.query("level == 'interval'")["coverage"].iloc[0]
    assert 0.7 <= coverage <= 0.95  # nominal 0.8, 3 weeks of ~108 intervals


# ---------------------------------------------------------------- backtest
def test_backtest_scores_exact_series():
    # Same slot last week is wrong around month starts; the top-down regression is exact
    # everywhere (it has a month-start effect); the scores must show it.
    history = centre(start="2024-01-01", weeks=20, aht=False)
    result = backtest(
        history,
        {
            "same-slot-last-week": "same-slot-last-week",
            "topdown": TopDown(daily_model="regression"),
        },
        n_origins=2,
    )
    scores = result.scores.set_index(["method", "horizon", "level"])
    assert scores.loc[("topdown", "week1", "interval"), "wape"] == pytest.approx(0.0, abs=1e-6)
    assert scores.loc[("topdown", "week2", "day"), "bias"] == pytest.approx(0.0, abs=1e-6)
    assert scores.loc[("same-slot-last-week", "week1", "interval"), "wape"] > 0.01
    assert set(result.scores["level"]) == {"interval", "day", "week"}
    assert set(result.scores["horizon"]) == {"day", "week1", "week2"}
    assert [o.day_of_week for o in result.origins] == [0, 0]
    assert result.origins[-1] + pd.Timedelta(days=14) <= history["interval_start"].max()


def test_backtest_wape_matches_hand_computation():
    history = centre(weeks=8, noise_seed=12)
    result = backtest(history, ["mean-last-weeks"], n_origins=1, horizons=("day",))
    origin = result.origins[0]
    fitted = MeanLastWeeks().fit(history.loc[history["interval_start"] < origin])
    forecast = fitted.predict(1, origin=origin)
    actual = history.loc[
        (history["interval_start"] >= origin)
        & (history["interval_start"] < origin + pd.Timedelta(days=1))
    ]
    merged = forecast.merge(actual, on=["queue", "interval_start"])
    wape = (merged["calls_forecast"] - merged["calls_offered"]).abs().sum() / merged[
        "calls_offered"
    ].sum()
    score = result.scores.query("level == 'interval'")["wape"].iloc[0]
    assert score == pytest.approx(wape, rel=1e-12)


def test_backtest_bias_is_negative_on_a_growing_series():
    history = centre(weeks=10, noise_seed=13)
    days = (history["interval_start"] - history["interval_start"].min()).dt.days
    history["calls_offered"] = history["calls_offered"] * (1 + 0.02 * days)
    result = backtest(history, ["mean-last-weeks"], n_origins=2, horizons=("week1",))
    assert result.scores.query("level == 'week'")["bias"].iloc[0] < -0.03


# ---------------------------------------------------------------- auto
def test_auto_records_the_lowest_backtest_wape():
    history = centre(weeks=10, noise_seed=14, queues=("sales", "support"))
    run = forecast_history(history, 7, auto_origins=2)
    assert tuple(run.frame.columns) == FORECAST_COLUMNS
    assert set(run.frame["queue"]) == {"sales", "support"}
    for choice in run.choices:
        means = {m: np.mean(list(v.values())) for m, v in choice.scores.items()}
        assert choice.method == min(means, key=means.get)
        assert choice.method in choice.reason
        used = run.frame.loc[run.frame["queue"] == choice.queue, "method"]
        assert (used == choice.method).all()
    assert set(run.choices_frame()["queue"]) == {"sales", "support"}


def test_auto_falls_back_on_short_history():
    history = centre(weeks=3, noise_seed=15)
    run = forecast_history(history, 7)
    assert run.choices[0].method == "mean-last-weeks"
    assert "too short" in run.choices[0].reason


def test_named_method_is_used_for_every_queue():
    history = centre(weeks=6, noise_seed=16, queues=("a", "b"))
    run = forecast_history(history, 3, method="same-slot-last-week")
    assert set(run.frame["method"]) == {"same-slot-last-week"}
    assert [c.reason for c in run.choices] == ["method given", "method given"]


# ---------------------------------------------------------------- versions
@pytest.mark.parametrize(
    "method", [SameSlotLastWeek(), MeanLastWeeks(), TopDown()], ids=["same-slot", "mean", "topdown"]
)
def test_saved_model_predicts_like_the_original(tmp_path, method):
    history = centre(weeks=6, noise_seed=17, queues=("sales", "support"))
    method.fit(history)
    path = save_model(method, "support", tmp_path, scores={"week1": 0.1})
    document = json.loads(path.read_text())
    assert document["metadata"]["queue"] == "support"
    assert document["metadata"]["method"] == method.name
    assert document["metadata"]["backtest_scores"] == {"week1": 0.1}
    assert document["metadata"]["data_first_day"] == "2024-04-01"
    loaded = load_model(path)
    expected = method.predict(10)
    expected = expected.loc[expected["queue"] == "support"].reset_index(drop=True)
    pd.testing.assert_frame_equal(loaded.predict(10), expected)


def test_forecast_version_round_trip(tmp_path):
    history = centre(weeks=6, noise_seed=18)
    run = forecast_history(history, 7, method="topdown")
    version = save_forecast_version(run.frame, tmp_path, choices=run.choices, note="test")
    loaded = load_forecast_version(version, tmp_path)
    pd.testing.assert_frame_equal(loaded.frame, run.frame)
    assert loaded.manifest["methods"] == ["topdown"]
    assert loaded.manifest["choices"][0]["reason"] == "method given"
    listing = list_forecast_versions(tmp_path)
    assert listing["id"].tolist() == [version]


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda h: h.drop(columns="calls_offered"), "calls_offered"),
        (
            lambda h: h.assign(interval_start=h["interval_start"].dt.tz_localize(None)),
            "interval_start",
        ),
        (lambda h: h.assign(calls_offered=-h["calls_offered"] - 1), "calls_offered"),
        (lambda h: pd.concat([h, h.head(1)], ignore_index=True), "duplicate"),
        # Rows are named as planner.io names them in frames: 1-based positions.
        (lambda h: h.assign(calls_offered=[-1.0] + [5.0] * (len(h) - 1)), r"history row 1: calls"),
        (lambda h: h.assign(calls_answered=h["calls_offered"] + 1), "calls_answered must be <="),
        (lambda h: h.iloc[:0], "no rows"),
        (lambda h: h.to_dict("list"), "DataFrame"),
    ],
    ids=[
        "missing-column",
        "naive-time",
        "negative-calls",
        "duplicate-row",
        "row-named",
        "answered-above-offered",
        "empty",
        "not-a-frame",
    ],
)
def test_bad_history_is_rejected(mutate, match):
    history = mutate(centre(weeks=3))
    with pytest.raises(InputError, match=match):
        MeanLastWeeks().fit(history)


@pytest.mark.parametrize(
    "call",
    [
        lambda h: backtest(h, ["mean-last-weeks"]),
        lambda h: forecast_history(h, 7, method="mean-last-weeks"),
    ],
    ids=["backtest", "forecast-history"],
)
def test_entry_points_validate_history_like_planner_io(call):
    # The same rule as MeanLastWeeks.fit, before any fitting: planner.io defines a valid history.
    history = centre(weeks=6)
    history.loc[3, "calls_offered"] = np.nan
    with pytest.raises(InputError, match=r"history row 4: calls_offered is missing"):
        call(history)


def test_history_column_spellings_are_read_as_planner_io_reads_them():
    history = centre(weeks=3)
    renamed = history.rename(columns={"calls_offered": "volume", "aht_seconds": "aht"})
    expected = MeanLastWeeks().fit(history).predict(7)
    got = MeanLastWeeks().fit(renamed).predict(7)
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda h: MeanLastWeeks().fit(h).predict(0), "horizon_days"),
        (lambda h: MeanLastWeeks().fit(h).predict(400), "horizon_days"),
        (lambda h: MeanLastWeeks(n_weeks=0).fit(h), "n_weeks"),
        (lambda h: SameSlotLastWeek(interval_weeks=0).fit(h), "interval_weeks"),
        (lambda h: TopDown(total_weeks=0).fit(h), "total_weeks"),
        (lambda h: TopDown(level_half_life_weeks=0).fit(h), "level_half_life_weeks"),
        (lambda h: TopDown(month_start_days=40).fit(h), "month_start_days"),
        (lambda h: TopDown(daily_model="arima").fit(h), "daily_model"),
        (lambda h: TopDown(interval_level=1.5).fit(h), "interval_level"),
        (lambda h: MeanLastWeeks(country_holidays="XX").fit(h), "country_holidays"),
        (lambda h: MeanLastWeeks(special_days=pd.DataFrame({"day": [1]})).fit(h), "special_days"),
        (lambda h: forecast_history(h, 7, method="arima"), "method"),
        (lambda h: forecast_history(h, 7, candidates=("arima",)), "candidates"),
        (lambda h: backtest(h, ["topdown"], horizons=("month",)), "horizons"),
        (lambda h: backtest(h.head(300), ["topdown"]), "history"),
        (lambda h: MeanLastWeeks().predict(3), "before fit"),
        (lambda h: MeanLastWeeks().fit(h.head(40)), "open days"),
    ],
    ids=[
        "horizon-zero",
        "horizon-too-long",
        "n-weeks",
        "interval-weeks",
        "total-weeks",
        "half-life",
        "month-start",
        "daily-model",
        "interval-level",
        "country",
        "special-days",
        "method",
        "candidates",
        "horizons",
        "short-backtest",
        "predict-before-fit",
        "too-few-days",
    ],
)
def test_bad_parameters_are_rejected(call, match):
    with pytest.raises(InputError, match=match):
        call(centre(weeks=6))


def test_unknown_forecast_version(tmp_path):
    with pytest.raises(InputError, match="forecast version"):
        load_forecast_version("nope", tmp_path)


# ---------------------------------------------------------------- CLI
def test_cli_forecast_and_backtest(tmp_path, capsys):
    from planner.cli import main
    from planner.io import write_frame

    history_path = write_frame(centre(weeks=8, noise_seed=19), tmp_path / "history.csv")
    out = tmp_path / "forecast.csv"
    main(
        [
            "forecast",
            str(history_path),
            "--horizon-days",
            "7",
            "--method",
            "topdown",
            "-o",
            str(out),
            "--models-dir",
            str(tmp_path / "models"),
        ]
    )
    text = out.read_text().splitlines()
    assert text[0] == ",".join(FORECAST_COLUMNS)
    assert text[1].split(",")[1] == "2024-05-27T08:00:00+01:00"
    assert len(list_forecast_versions(tmp_path / "models")) == 1
    assert list((tmp_path / "models" / "topdown").glob("sales-*.json"))

    scores = tmp_path / "scores.csv"
    main(
        [
            "backtest",
            str(history_path),
            "--methods",
            "topdown,mean-last-weeks",
            "--origins",
            "2",
            "-o",
            str(scores),
        ]
    )
    frame = pd.read_csv(scores)
    assert set(frame["method"]) == {"topdown", "mean-last-weeks"}
    assert "WAPE" in capsys.readouterr().out


def test_cli_bad_method_exits_2(tmp_path, capsys):
    from planner.cli import main
    from planner.io import write_frame

    history_path = write_frame(centre(weeks=3), tmp_path / "history.csv")
    with pytest.raises(SystemExit) as exit_info:
        main(
            ["forecast", str(history_path), "--horizon-days", "3", "--method", "arima", "--no-save"]
        )
    assert exit_info.value.code == 2
    assert "method must be" in capsys.readouterr().err


def test_auto_forecaster_backtests_like_any_method(tmp_path):
    from planner.forecast import AutoForecaster

    history = centre(weeks=12, noise_seed=25)
    result = backtest(
        history, {"auto": AutoForecaster(auto_origins=2)}, n_origins=1, horizons=("week1",)
    )
    assert result.scores["method"].eq("auto").all()
    auto = AutoForecaster(auto_origins=2).fit(history)
    out = auto.predict(7)
    assert set(out["method"]) == {auto.choices_[0].method}
    loaded = load_model(save_model(auto, "sales", tmp_path))
    pd.testing.assert_frame_equal(loaded.predict(7), out)


def test_horizon_counts_local_days_across_a_dst_change():
    # Europe/London leaves BST on 2024-10-27. History ends Saturday 2024-10-19 12:30; 14 local
    # days from 13:00 end at 13:00 on 2024-11-02, so that Saturday's last slot (12:30) is in.
    history = centre(start="2024-08-12", weeks=10, noise_seed=27)
    out = MeanLastWeeks().fit(history).predict(14)
    stamps = local(out["interval_start"])
    assert stamps.min() == pd.Timestamp("2024-10-21 08:00")
    assert stamps.max() == pd.Timestamp("2024-11-02 12:30")
    assert len(out) == 2 * (5 * 20 + 8)
