"""report.html rendered in real headless Chromium (Debian's chromium driven by Playwright).

`make test` installs chromium where it can (root with apt); elsewhere this test skips and says
why. The page must load without console errors or page errors, and every plotly chart must have
drawn its SVG; a full-page screenshot is saved in the test's tmp folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _small_plan() -> dict[str, object]:
    """Frames for every section, two queues over two days (hand-made, no solver or simulation)."""
    tz = "Europe/London"
    starts = pd.date_range("2026-03-02 08:00", periods=16, freq="30min", tz=tz)
    days = starts.append(starts + pd.Timedelta(days=1))
    history_starts = days - pd.Timedelta(days=7)
    rows = []
    rng = np.random.default_rng(3)
    for queue in ("sales", "support"):
        rows.append(
            pd.DataFrame(
                {
                    "queue": queue,
                    "interval_start": days,
                    "calls_forecast": np.linspace(20, 40, len(days)),
                }
            )
        )
    forecast = pd.concat(rows, ignore_index=True)
    forecast["calls_lower"] = forecast["calls_forecast"] * 0.8
    forecast["calls_upper"] = forecast["calls_forecast"] * 1.2
    forecast["aht_seconds_forecast"] = 300.0
    history = forecast.loc[:, ["queue"]].assign(
        interval_start=np.tile(history_starts, 2),
        calls_offered=rng.poisson(30, len(forecast)).astype(float),
    )
    requirements = forecast.loc[:, ["queue", "interval_start"]].assign(
        agents_required=6, agents_to_schedule=8
    )
    coverage = requirements.loc[:, ["queue", "interval_start"]].assign(
        agents_scheduled=np.resize([7, 8, 9], len(requirements))
    )
    evaluation = forecast.loc[:, ["queue", "interval_start", "calls_forecast"]].assign(
        service_level=np.resize([0.7, 0.85, 0.95], len(forecast)),
        abandon_rate=np.resize([0.06, 0.03, 0.01], len(forecast)),
    )
    evaluation["meets_target"] = evaluation["service_level"] >= 0.8
    shift_start = pd.Timestamp("2026-03-02 08:00", tz=tz)
    roster = pd.DataFrame(
        {
            "agent_id": ["A1", "A2"],
            "template": ["full", "part"],
            "shift_start": [shift_start, shift_start + pd.Timedelta(hours=1)],
            "shift_end": [shift_start + pd.Timedelta(hours=8), shift_start + pd.Timedelta(hours=5)],
        }
    )
    activities = pd.DataFrame(
        {
            "agent_id": ["A1"],
            "activity": ["lunch"],
            "start": [shift_start + pd.Timedelta(hours=4)],
            "end": [shift_start + pd.Timedelta(hours=4, minutes=30)],
        }
    )
    kpis = pd.DataFrame({"queue": ["sales", "all queues"], "service_level": [0.8, 0.82]})
    scenarios = pd.DataFrame(
        {
            "scenario": ["baseline", "volume +10 %"] * 2,
            "queue": ["sales"] * 2 + ["support"] * 2,
            "service_level": [0.8, 0.7, 0.85, 0.75],
        }
    )
    accuracy = forecast.loc[:, ["queue", "interval_start", "calls_forecast"]].assign(
        calls_actual=forecast["calls_forecast"] + 2
    )
    day = pd.to_datetime(["2026-03-02", "2026-03-03"] * 2)
    queues = ["sales"] * 2 + ["support"] * 2
    kpis_daily = pd.DataFrame(
        {"queue": queues, "day": day, "service_level": [0.8, 0.85, 0.9, 0.7], "abandon_rate": 0.02}
    )
    simulation_daily = pd.DataFrame(
        {
            "queue": queues,
            "day": day,
            "calls_offered": 400.0,
            "service_level": [0.78, 0.83, 0.88, 0.66],
            "service_level_lower": [0.74, 0.8, 0.85, 0.6],
            "service_level_upper": [0.82, 0.86, 0.91, 0.72],
            "abandon_rate": 0.03,
        }
    )
    simulation = evaluation.loc[:, ["queue", "interval_start", "calls_forecast"]].assign(
        calls_offered=evaluation["calls_forecast"],
        agents_productive=6,
        service_level=0.8,
        queue_at_end=np.resize([0.0, 1.5, 0.0, 3.2], len(evaluation)),
        queue_at_end_lower=0.0,
        queue_at_end_upper=4.0,
    )
    weeks = pd.to_datetime(["2026-02-16", "2026-02-23"])
    history_kpis_weekly = pd.DataFrame(
        {
            "queue": ["sales", "sales", "support", "support"],
            "week_start": weeks.append(weeks),
            "service_level": [0.8, 0.75, 0.9, 0.85],
            "service_level_p10": [0.6, 0.5, 0.7, 0.65],
            "service_level_p90": [0.95, 0.9, 0.98, 0.96],
        }
    )
    history_kpis = pd.DataFrame(
        {
            "queue": ["sales", "support", "all queues"],
            "calls_offered": [900.0, 800.0, 1700.0],
            "service_level": [0.78, 0.87, 0.82],
            "service_level_p10": [0.55, 0.67, 0.6],
            "service_level_p90": [0.93, 0.97, 0.95],
            "abandon_rate": [0.04, 0.02, 0.03],
            "intervals_below_target": [12, 5, 17],
        }
    )
    return {
        "history": history,
        "forecast": forecast,
        "requirements": requirements,
        "coverage": coverage,
        "roster": roster,
        "activities": activities,
        "evaluation": evaluation,
        "kpis": kpis,
        "kpis_daily": kpis_daily,
        "model": "erlang-a",
        "simulation": simulation,
        "simulation_daily": simulation_daily,
        "history_kpis": history_kpis,
        "history_kpis_weekly": history_kpis_weekly,
        "scenarios": scenarios,
        "accuracy": accuracy,
        "service_level_target": 0.8,
        "stages": {"forecast": "ran"},
    }


@pytest.mark.slow
def test_report_draws_every_chart_in_headless_chromium(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            "/usr/bin/chromium is absent: `make test` installs it with apt-get when run as root; "
            "install Debian's chromium package to run this test"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (test extra) missing")
    page_path = write_report(tmp_path / "report.html", **_small_plan())
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri())
            page.wait_for_load_state("load")
            charts = page.locator("div.plotly-graph-div")
            # one chart per section: forecast, staffing, roster, heatmap, simulation, scenarios,
            # history KPIs, accuracy
            assert charts.count() == 8
            page.wait_for_function(
                "() => [...document.querySelectorAll('div.plotly-graph-div')]"
                ".every(d => d.querySelector('.main-svg'))",
                timeout=20_000,
            )
            drawn = page.evaluate(
                "() => [...document.querySelectorAll('div.plotly-graph-div')]"
                ".map(d => [d.id, d.querySelectorAll('.main-svg').length, "
                "d.querySelectorAll('.trace, .heatmaplayer image, .bars path').length])"
            )
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert {d[0] for d in drawn} == {
        "chart-forecast",
        "chart-staffing",
        "chart-roster",
        "chart-heatmap",
        "chart-simulation",
        "chart-scenarios",
        "chart-history-kpis",
        "chart-accuracy",
    }
    assert all(svgs > 0 and marks > 0 for _, svgs, marks in drawn), drawn
    assert shot.stat().st_size > 10_000
