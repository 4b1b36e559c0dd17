"""The built-in sample centre: deterministic, realistic, internally consistent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.errors import InputError
from planner.sample import generate_sample_history


@pytest.fixture(scope="module")
def year_of_history() -> pd.DataFrame:
    return generate_sample_history(seed=7, years=1.0)


def test_same_seed_gives_the_same_centre() -> None:
    first = generate_sample_history(seed=3, years=0.1)
    second = generate_sample_history(seed=3, years=0.1)
    pd.testing.assert_frame_equal(first, second)
    other = generate_sample_history(seed=4, years=0.1)
    assert not first["calls_offered"].equals(other["calls_offered"])


def test_columns_keys_and_time_zone(year_of_history: pd.DataFrame) -> None:
    assert list(year_of_history.columns) == [
        "queue",
        "interval_start",
        "calls_offered",
        "aht_seconds",
        "calls_answered",
        "calls_abandoned",
        "answered_within_target",
        "agents_staffed",
    ]
    assert str(year_of_history["interval_start"].dt.tz) == "Europe/London"
    assert set(year_of_history["queue"]) == {"sales", "support", "billing"}
    assert not year_of_history.duplicated(["queue", "interval_start"]).any()
    for _, frame in year_of_history.groupby("queue"):
        assert frame["interval_start"].is_monotonic_increasing


def test_opening_hours_are_respected(year_of_history: pd.DataFrame) -> None:
    local = year_of_history["interval_start"].dt
    by_queue = year_of_history.assign(
        weekday=local.day_of_week, hour=local.hour + local.minute / 60
    )
    sales = by_queue[by_queue["queue"] == "sales"]
    assert (sales["weekday"] != 6).all(), "sales is shut on Sundays"
    support = by_queue[by_queue["queue"] == "support"]
    assert support["hour"].min() == 7.0 and support["hour"].max() == 21.75
    billing = by_queue[by_queue["queue"] == "billing"]
    assert (billing["weekday"] < 5).all(), "billing is shut at weekends"


def test_dst_days_keep_local_opening_hours(year_of_history: pd.DataFrame) -> None:
    # 2024-03-31 is the Sunday the UK moves to BST; support opens 09:00 local both sides of it.
    support = year_of_history[year_of_history["queue"] == "support"]
    local = support["interval_start"].dt
    for day in ("2024-03-30", "2024-03-31", "2024-04-01"):
        first = support[local.strftime("%Y-%m-%d") == day]["interval_start"].min()
        assert first.hour in (7, 9)
    utc_offsets = {
        day: support[local.strftime("%Y-%m-%d") == day]["interval_start"].iloc[0].utcoffset()
        for day in ("2024-03-30", "2024-04-01")
    }
    assert utc_offsets["2024-03-30"] == pd.Timedelta(0)
    assert utc_offsets["2024-04-01"] == pd.Timedelta(hours=1)


def test_christmas_is_closed_and_support_opens_on_easter_monday(
    year_of_history: pd.DataFrame,
) -> None:
    dates = year_of_history["interval_start"].dt.strftime("%Y-%m-%d")
    assert not (dates == "2024-12-25").any()
    easter_monday = year_of_history[dates == "2024-04-01"]
    assert set(easter_monday["queue"]) == {"support"}
    assert easter_monday["interval_start"].min().hour == 9, "Sunday hours on a bank holiday"


def test_weekday_and_yearly_shapes(year_of_history: pd.DataFrame) -> None:
    local = year_of_history["interval_start"].dt
    daily = (
        year_of_history.assign(date=local.date, weekday=local.day_of_week, month=local.month)
        .groupby(["queue", "date", "weekday", "month"], as_index=False)["calls_offered"]
        .sum()
    )
    support = daily[daily["queue"] == "support"]
    by_weekday = support.groupby("weekday")["calls_offered"].median()
    assert by_weekday[0] > by_weekday[4] > by_weekday[5], "Monday busiest, Saturday quiet"
    sales = daily[(daily["queue"] == "sales") & (daily["weekday"] < 5)]
    by_month = sales.groupby("month")["calls_offered"].median()
    assert by_month[1] > by_month[7], "January sales beat July"


def test_intraday_shape_peaks_in_the_morning(year_of_history: pd.DataFrame) -> None:
    weekdays = year_of_history[
        (year_of_history["queue"] == "support")
        & (year_of_history["interval_start"].dt.day_of_week < 5)
    ]
    by_hour = weekdays.groupby(weekdays["interval_start"].dt.hour)["calls_offered"].mean()
    assert by_hour.idxmax() in (9, 10)
    assert by_hour[9] > 3 * by_hour[7]


def test_aht_is_longer_in_the_evening(year_of_history: pd.DataFrame) -> None:
    support = year_of_history[year_of_history["queue"] == "support"]
    hour = support["interval_start"].dt.hour
    morning = support.loc[hour.between(9, 11), "aht_seconds"].mean()
    evening = support.loc[hour.between(19, 21), "aht_seconds"].mean()
    assert evening > 1.1 * morning


def test_outcomes_add_up(year_of_history: pd.DataFrame) -> None:
    h = year_of_history
    assert (h["calls_answered"] + h["calls_abandoned"] == h["calls_offered"]).all()
    assert (h["answered_within_target"] <= h["calls_answered"]).all()
    assert (h["agents_staffed"] >= 1).all()
    no_answers = h["calls_answered"] == 0
    assert h.loc[no_answers, "aht_seconds"].isna().all()
    assert h.loc[~no_answers, "aht_seconds"].gt(0).all()


def test_outcomes_are_those_of_a_plausibly_staffed_centre(year_of_history: pd.DataFrame) -> None:
    totals = year_of_history[["calls_offered", "answered_within_target", "calls_abandoned"]].sum()
    service_level = totals["answered_within_target"] / totals["calls_offered"]
    abandon_rate = totals["calls_abandoned"] / totals["calls_offered"]
    assert 0.7 < service_level < 0.9
    assert 0.005 < abandon_rate < 0.08
    interval_sl = year_of_history["answered_within_target"] / year_of_history["calls_offered"]
    assert np.nanpercentile(interval_sl, 10) < 0.75, "some intervals miss target, as in real life"


def test_two_years_is_the_default_span() -> None:
    history = generate_sample_history(seed=1)
    span = history["interval_start"].max() - history["interval_start"].min()
    assert span > pd.Timedelta(days=2 * 365 - 3)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"years": 0}, "years"),
        ({"years": 11}, "years"),
        ({"interval_minutes": 7}, "interval_minutes"),
    ],
    ids=["no-years", "too-many-years", "odd-interval"],
)
def test_bad_parameters_are_named(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError, match=field):
        generate_sample_history(**kwargs)
