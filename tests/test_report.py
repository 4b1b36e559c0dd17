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
