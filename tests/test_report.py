"""planner.report: sections present or said absent, offline page, call-weighted heatmap cells."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from planner.report import SECTIONS, _heatmap_figure, render_report, write_report

BUNDLE_MARKER = "window.PlotlyConfig = {MathJaxConfig"  # written once per inlined plotly.js


def _evaluation() -> pd.DataFrame:
    """Two queues, two days, two intervals a day; support misses target at 09:00 on day 1."""
    starts = pd.DatetimeIndex(
        ["2026-03-02 09:00", "2026-03-02 09:30", "2026-03-03 09:00", "2026-03-03 09:30"],
        tz="Europe/London",
    )
    frame = pd.DataFrame(
        {
            "queue": ["sales"] * 4 + ["support"] * 4,
            "interval_start": starts.append(starts),
            "calls_forecast": [10.0, 20.0, 30.0, 0.0, 30.0, 20.0, 10.0, 0.0],
            "service_level": [0.9, 0.8, 0.85, np.nan, 0.5, 0.9, 0.95, np.nan],
            "abandon_rate": [0.01, 0.02, 0.03, np.nan, 0.2, 0.01, 0.0, np.nan],
        }
    )
    frame["meets_target"] = (frame["service_level"] >= 0.8) | (frame["calls_forecast"] == 0)
    return frame


def test_every_section_says_why_it_is_absent() -> None:
    page = render_report(
        stages={"schedule": "not run: no rules", "accuracy": "not run: no actuals"}
    )
    for section, heading in SECTIONS:
        assert f'<h2 id="{section}">{heading}</h2>' in page
        assert f'id="absent-{section}"' in page, section
    assert "no roster (not run: no rules)" in page
    assert "no actuals to compare with (not run: no actuals)" in page
    assert "plotly-graph-div" not in page
    assert BUNDLE_MARKER not in page


def test_page_is_offline_with_one_bundle_and_escaped_notes(tmp_path) -> None:
    evaluation = _evaluation()
    kpis = pd.DataFrame(
        {"queue": ["all queues"], "service_level": [0.81], "calls_forecast": [120.0]}
    )
    path = write_report(
        tmp_path / "r.html",
        evaluation=evaluation,
        kpis=kpis,
        scenarios=pd.DataFrame(
            {
                "scenario": ["baseline", "x"],
                "queue": ["sales", "sales"],
                "service_level": [0.8, 0.6],
            }
        ),
        service_level_target=0.8,
        notes=["<script>alert(1)</script> & more"],
    )
    page = path.read_text(encoding="utf-8")
    assert page.count(BUNDLE_MARKER) == 1
    assert page.count('class="plotly-graph-div"') == 2  # heatmap and scenarios
    assert not re.search(r"<script[^>]+src=", page)  # nothing fetched from the network
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "1 of 8 queue-intervals miss target (service level below 80.0 %)" in page
    assert "81.0 %" in page  # KPI table shows rates as percentages


def test_heatmap_cells_are_weighted_by_calls_and_misses_marked() -> None:
    fig = _heatmap_figure(_evaluation(), 0.8, None)
    sl, ab, missed = fig.data
    assert list(sl.y) == ["Mon 02 Mar", "Tue 03 Mar"]
    assert list(sl.x) == ["09:00", "09:30"]
    # Mon 09:00: sales 10 calls at 0.9, support 30 calls at 0.5 -> (9 + 15) / 40 = 0.6
    assert sl.z[0][0] == pytest.approx(0.6, abs=1e-12)
    # Tue 09:30: no calls in either queue -> no value
    assert np.isnan(sl.z[1][1])
    # Mon 09:00 abandonment: (10 * 0.01 + 30 * 0.2) / 40
    assert ab.z[0][0] == pytest.approx(6.1 / 40, abs=1e-12)
    assert list(zip(missed.x, missed.y, strict=True)) == [("09:00", "Mon 02 Mar")]


def test_lines_break_over_closed_hours() -> None:
    from planner.report import _band_polygon, _gapped

    starts = pd.DatetimeIndex(
        ["2026-03-02 20:30", "2026-03-02 20:45", "2026-03-03 08:00", "2026-03-03 08:15"],
        tz="Europe/London",
    )
    frame = pd.DataFrame(
        {"interval_start": starts, "calls_upper": [3.0, 4.0, 5.0, 6.0], "calls_lower": 1.0}
    )
    gapped = _gapped(frame)
    # one empty row, one 15-minute step after the last open interval of the evening
    assert len(gapped) == 5
    assert gapped["interval_start"].iloc[2] == pd.Timestamp("2026-03-02 21:00", tz="Europe/London")
    assert np.isnan(gapped["calls_upper"].iloc[2])
    xs, ys = _band_polygon(gapped)
    # two polygons (2 + 2 points each way) separated by None
    assert ys == [3.0, 4.0, 1.0, 1.0, None, 5.0, 6.0, 1.0, 1.0, None]
    assert xs.count(None) == 2


def test_erlang_c_abandonment_shows_as_not_modelled() -> None:
    evaluation = _evaluation().assign(abandon_rate=np.nan)
    fig = _heatmap_figure(evaluation, 0.8, None)
    _, ab, _ = fig.data
    assert np.isnan(np.asarray(ab.z, dtype=float)).all()  # not 0: nothing is predicted
    assert "not modelled" in fig.layout.annotations[1].text
    kpis = pd.DataFrame({"queue": ["sales"], "service_level": [0.81], "abandon_rate": [np.nan]})
    scenarios = pd.DataFrame(
        {
            "scenario": ["baseline"],
            "queue": ["sales"],
            "service_level": [0.8],
            "abandon_rate": [np.nan],
        }
    )
    page = render_report(evaluation=evaluation, kpis=kpis, scenarios=scenarios)
    for section in ("kpis", "scenarios"):
        body = page.split(f'<h2 id="{section}">')[1].split("<h2")[0]
        assert "<td>n/a</td>" in body, section
        assert "nan" not in body.lower().replace("n/a", ""), section


def test_simulation_section_compares_days_and_lists_the_backlog() -> None:
    day = pd.to_datetime(["2026-03-02", "2026-03-03"])
    kpis_daily = pd.DataFrame(
        {"queue": "sales", "day": day, "service_level": [0.812, 0.9], "abandon_rate": np.nan}
    )
    simulation_daily = pd.DataFrame(
        {
            "queue": "sales",
            "day": day,
            "calls_offered": [500.0, 450.0],
            "service_level": [0.734, 0.88],
            "service_level_lower": [0.701, 0.86],
            "service_level_upper": [0.767, 0.9],
            "abandon_rate": 0.0,
        }
    )
    starts = pd.date_range("2026-03-02 09:00", periods=3, freq="15min", tz="Europe/London")
    simulation = pd.DataFrame(
        {
            "queue": "sales",
            "interval_start": starts,
            "calls_offered": [30.0, 40.0, 20.0],
            "agents_productive": [5, 5, 6],
            "service_level": [0.9, 0.6, 0.8],
            "queue_at_end": [0.0, 4.25, 0.5],
            "queue_at_end_lower": [0.0, 2.0, 0.0],
            "queue_at_end_upper": [0.0, 6.5, 1.4],
        }
    )
    page = render_report(
        kpis_daily=kpis_daily,
        simulation_daily=simulation_daily,
        simulation=simulation,
        model="erlang-c",
        stages={"simulate": "ran"},
    )
    body = page.split('<h2 id="simulation">')[1].split("<h2")[0]
    assert "chart-simulation" in body and "Erlang C prediction" in body
    # Monday: Erlang 81.2 %, simulated 73.4 % (70.1 % to 76.7 %), Erlang abandonment n/a
    assert re.search(r"81\.2 %</td>\s*<td>73\.4 %</td>\s*<td>70\.1 %</td>\s*<td>76\.7 %", body)
    assert "2 of 3 queue-intervals end with calls still waiting" in body
    backlog = body.split("Backlog carried over")[1]
    assert backlog.index("Mon 02 Mar 09:15") < backlog.index("Mon 02 Mar 09:30")  # largest first
    assert "09:00" not in backlog


def test_history_kpis_section_shows_the_spread() -> None:
    totals = pd.DataFrame(
        {
            "queue": ["sales"],
            "calls_offered": [1000.0],
            "service_level": [0.8],
            "service_level_p10": [0.512],
            "service_level_p90": [0.955],
            "intervals_below_target": [42],
        }
    )
    page = render_report(history_kpis=totals, stages={"history_kpis": "ran"})
    body = page.split('<h2 id="history_kpis">')[1].split("<h2")[0]
    assert "51.2 %" in body and "95.5 %" in body and "<td>42</td>" in body
    assert 'id="absent-history_kpis"' not in body
    assert "chart-history-kpis" not in body  # no weekly frame given, so no chart
