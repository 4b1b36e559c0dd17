"""Tests of planner.kpi: KPIs from actual history, weighted by calls, with their spread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.errors import InputError
from planner.kpi import ALL_QUEUES, KPI_INTERVAL_COLUMNS, kpi_report


def small_history() -> pd.DataFrame:
    """Two queues, 2 days x 2 intervals of 30 minutes, numbers chosen to work by hand."""
    starts = pd.to_datetime(
        ["2024-03-04 09:00", "2024-03-04 09:30", "2024-03-05 09:00", "2024-03-05 09:30"]
    ).tz_localize("Europe/London")
    a = pd.DataFrame(
        {
            "queue": "a",
            "interval_start": starts,
            "calls_offered": [10.0, 90.0, 40.0, 0.0],
            "calls_answered": [10.0, 80.0, 36.0, 0.0],
            "calls_abandoned": [0.0, 10.0, 4.0, 0.0],
            "answered_within_target": [10.0, 45.0, 32.0, 0.0],
            "aht_seconds": [180.0, 300.0, 200.0, np.nan],
            "agents_staffed": [2.0, 16.0, 6.0, 1.0],
        }
    )
    b = a.assign(queue="b", calls_offered=[20.0, 20.0, 20.0, 20.0])
    b = b.assign(
        calls_answered=20.0, calls_abandoned=0.0, answered_within_target=[20.0, 10.0, 16.0, 18.0]
    )
    b = b.assign(aht_seconds=360.0, agents_staffed=5.0)
    return pd.concat([a, b], ignore_index=True)


def test_totals_by_hand():
    report = kpi_report(small_history(), cost_per_agent_hour=30.0, service_level_target=0.8)
    a = report.totals.set_index("queue").loc["a"]
    # Hand-computed for queue a: offered 140, answered 126, abandoned 14, within 87.
    assert a["service_level"] == pytest.approx(87 / 140, abs=1e-12)
    assert a["abandon_rate"] == pytest.approx(14 / 140, abs=1e-12)
    # AHT weighted by answered calls: (10*180 + 80*300 + 36*200) / 126.
    assert a["aht_seconds"] == pytest.approx((1800 + 24000 + 7200) / 126, abs=1e-9)
    # Staffed time: (2 + 16 + 6 + 1) agents x 0.5 h = 12.5 agent-hours = 45000 s; the last
    # interval has no AHT (no calls), so it adds staffed time but no workload.
    assert a["occupancy"] == pytest.approx((1800 + 24000 + 7200) / 45000, abs=1e-12)
    assert a["calls_per_agent_hour"] == pytest.approx(126 / 12.5, abs=1e-12)
    assert a["cost"] == pytest.approx(12.5 * 30.0, abs=1e-9)
    assert a["cost_per_call"] == pytest.approx(12.5 * 30.0 / 126, abs=1e-12)


def test_day_is_weighted_by_calls_not_a_plain_mean():
    report = kpi_report(small_history())
    day = report.daily.set_index(["queue", "day"]).loc[("a", pd.Timestamp("2024-03-04"))]
    # Interval SLs are 1.0 (10 calls) and 0.5 (90 calls): weighted 55/100, not (1.0+0.5)/2.
    assert day["service_level"] == pytest.approx(55 / 100, abs=1e-12)
    assert day["service_level_p50"] == pytest.approx(0.75, abs=1e-12)  # median of 1.0 and 0.5


def test_spread_and_intervals_below_target():
    report = kpi_report(small_history(), service_level_target=0.8)
    b = report.totals.set_index("queue").loc["b"]
    interval_sl = np.array([20, 10, 16, 18]) / 20
    for q in (10, 50, 90):
        # numpy's default (linear) percentile, computed independently of pandas' quantile.
        assert b[f"service_level_p{q}"] == pytest.approx(np.percentile(interval_sl, q), abs=1e-12)
    # Queue b misses 0.8 only at 09:30 on day 1 (0.5); queue a at 09:30 day 1 (0.5); a's empty
    # interval is not judged.
    assert b["intervals_below_target"] == 1
    assert b["calls_share_below_target"] == pytest.approx(20 / 80, abs=1e-12)
    a = report.totals.set_index("queue").loc["a"]
    assert a["intervals"] == 4
    assert a["intervals_below_target"] == 1
    assert a["calls_share_below_target"] == pytest.approx(90 / 140, abs=1e-12)
    listed = report.below_target
    assert sorted(listed["queue"]) == ["a", "b"]
    assert listed["service_level"].is_monotonic_increasing


def test_abandon_ceiling_marks_intervals():
    report = kpi_report(small_history(), service_level_target=0.0, max_abandon_rate=0.1)
    # Only a's 09:30 day 1 interval abandons above 10 % (10/90 = 11.1 %); day 2's is exactly 10 %.
    listed = report.below_target
    assert len(listed) == 1
    assert listed["calls_abandoned"].iloc[0] == 10


def test_all_queues_row_pools_the_calls():
    report = kpi_report(small_history())
    row = report.totals.set_index("queue").loc[ALL_QUEUES]
    assert row["calls_offered"] == 220
    assert row["service_level"] == pytest.approx((87 + 64) / 220, abs=1e-12)


def test_asa_needs_a_wait_column():
    history = small_history()
    without = kpi_report(history)
    assert without.totals["asa_seconds"].isna().all()
    assert any("ASA cannot be computed" in note for note in without.notes)
    with_wait = kpi_report(
        history.assign(asa_seconds=[5.0, 40.0, 10.0, np.nan, 2.0, 30.0, 8.0, 4.0])
    )
    a = with_wait.totals.set_index("queue").loc["a"]
    # Weighted by answered calls: (10*5 + 80*40 + 36*10) / 126.
    assert a["asa_seconds"] == pytest.approx((50 + 3200 + 360) / 126, abs=1e-9)
    assert not any("ASA" in note for note in with_wait.notes)


def test_missing_answered_is_offered_minus_abandoned_and_said_so():
    history = small_history().drop(columns="calls_answered")
    report = kpi_report(history)
    assert report.intervals["calls_answered"].iloc[1] == 80
    assert any("calls_answered not given" in note for note in report.notes)


def test_without_staffing_occupancy_is_nan_with_a_note():
    report = kpi_report(small_history().drop(columns="agents_staffed"), cost_per_agent_hour=25.0)
    assert report.totals["occupancy"].isna().all()
    assert report.totals["cost_per_call"].isna().all()
    assert any("agents_staffed" in note for note in report.notes)


def test_days_follow_local_time_across_dst():
    # Europe/London springs forward on 2024-03-31: that day has 23 hours. Intervals at 23:00
    # local on 30 March and 00:00 local on 31 March fall on their local days.
    starts = pd.DatetimeIndex(
        pd.to_datetime(["2024-03-30 23:00", "2024-03-31 00:00", "2024-03-31 01:00"], utc=False)
    ).tz_localize("Europe/London", nonexistent="shift_forward")
    history = pd.DataFrame(
        {"queue": "q", "interval_start": starts, "calls_offered": [5.0, 7.0, 9.0]}
    )
    report = kpi_report(history, interval_minutes=60)
    assert report.daily["day"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-30", "2024-03-31"]
    assert report.daily["calls_offered"].tolist() == [5.0, 16.0]
    assert report.weekly["week_start"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-25"]


def test_intervals_have_declared_columns_and_input_is_untouched():
    history = small_history()
    before = history.copy()
    report = kpi_report(history)
    assert tuple(report.intervals.columns) == KPI_INTERVAL_COLUMNS
    pd.testing.assert_frame_equal(history, before)


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda h: h, {"service_level_target": 1.5}, "service_level_target"),
        (lambda h: h, {"max_abandon_rate": -0.1}, "max_abandon_rate"),
        (lambda h: h, {"cost_per_agent_hour": 0}, "cost_per_agent_hour"),
        (lambda h: h.drop(columns="calls_offered"), {}, "calls_offered"),
        (lambda h: h.assign(calls_offered=-h["calls_offered"] - 1), {}, "calls_offered"),
        (lambda h: h.assign(aht_seconds="slow"), {}, "aht_seconds"),
        (
            lambda h: h.assign(interval_start=h["interval_start"].dt.tz_localize(None)),
            {},
            "interval_start",
        ),
        (lambda h: pd.concat([h, h.iloc[[0]]], ignore_index=True), {}, "interval_start"),
        (lambda h: h.iloc[0:0], {}, "no rows"),
    ],
    ids=[
        "target",
        "abandon-ceiling",
        "cost",
        "no-offered",
        "negative-offered",
        "text-aht",
        "naive-time",
        "duplicate",
        "empty",
    ],
)
def test_errors(change, kwargs, match):
    with pytest.raises(InputError, match=match):
        kpi_report(change(small_history()), **kwargs)


def test_sample_centre_matches_direct_sums():
    from planner.sample import generate_sample_history

    history = generate_sample_history(seed=7, years=0.1)
    report = kpi_report(history)
    direct = history.groupby("queue")[["answered_within_target", "calls_offered"]].sum()
    expected = direct["answered_within_target"] / direct["calls_offered"]
    got = report.totals.set_index("queue")["service_level"].drop(ALL_QUEUES)
    assert got.to_numpy() == pytest.approx(expected.reindex(got.index).to_numpy(), abs=1e-12)
    assert report.intervals["below_target"].sum() == len(report.below_target)


def test_cli_kpi(tmp_path, capsys):
    from planner.cli import main
    from planner.io import write_frame

    write_frame(small_history(), tmp_path / "history.csv")
    main(["kpi", str(tmp_path / "history.csv"), "--cost-per-hour", "30", "-o", str(tmp_path / "k")])
    totals = pd.read_csv(tmp_path / "k" / "kpi_totals.csv").set_index("queue")
    assert totals.loc["a", "service_level"] == pytest.approx(87 / 140, abs=1e-9)
    assert "ASA cannot be computed" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["kpi", str(tmp_path / "missing.csv")])
    assert exit_info.value.code == 2


def test_cli_kpi_reads_an_asa_column(tmp_path, capsys):
    from planner.cli import main
    from planner.io import write_frame

    history = small_history().assign(asa_seconds=[5.0, 40.0, 10.0, np.nan, 2.0, 30.0, 8.0, 4.0])
    write_frame(history, tmp_path / "history.csv")
    main(["kpi", str(tmp_path / "history.csv"), "-o", str(tmp_path / "k")])
    totals = pd.read_csv(tmp_path / "k" / "kpi_totals.csv").set_index("queue")
    # Weighted by answered calls, as in test_asa_needs_a_wait_column.
    assert totals.loc["a", "asa_seconds"] == pytest.approx((50 + 3200 + 360) / 126, abs=1e-9)
    assert "ASA cannot be computed" not in capsys.readouterr().err
