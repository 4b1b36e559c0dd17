"""Write the walkthrough notebooks (without outputs): `python notebooks/make_notebooks.py`.

Each notebook runs one stage on a small slice of the built-in sample centre, in seconds to a
minute. The test suite (tests/test_notebooks.py) executes every notebook with nbclient.
Edit the cells here and rerun the script rather than editing the .ipynb files by hand.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from planner.sample import SAMPLE_QUEUES, generate_sample_history

# Ten weeks of the sample centre, from Monday 3 March 2025 (a small, fast slice).
history = generate_sample_history(seed=7, years=0.2, start="2025-03-03")
history.groupby("queue")["calls_offered"].sum()"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_forecast_and_backtest.ipynb": [
        (
            "md",
            "# Forecast and backtest\n\nThe sample centre's calls per interval, forecast one "
            "week ahead by the automatic choice between methods, and the rolling-origin "
            "backtest behind that choice (WAPE: absolute error over actual calls).",
        ),
        ("code", SETUP),
        (
            "md",
            "## The automatic choice\n\n`forecast_history` backtests the candidates on "
            "weekly origins and keeps, per queue, the method with the lowest WAPE.",
        ),
        (
            "code",
            """\
from planner.forecast import backtest, forecast_history

run = forecast_history(history, 7, method="auto",
                       candidates=("same-slot-last-week", "mean-last-weeks"), auto_origins=2)
run.choices_frame()""",
        ),
        (
            "code",
            """\
sales_past = history[history["queue"] == "sales"].tail(4 * 7 * 48)
sales_next = run.frame[run.frame["queue"] == "sales"]
x_next = sales_next["interval_start"].dt.tz_localize(None)
fig = go.Figure([
    go.Scatter(x=sales_past["interval_start"].dt.tz_localize(None), y=sales_past["calls_offered"],
               name="history", line={"color": "#555"}),
    go.Scatter(x=x_next, y=sales_next["calls_upper"], line={"width": 0}, showlegend=False),
    go.Scatter(x=x_next, y=sales_next["calls_lower"], fill="tonexty", line={"width": 0},
               name="prediction band"),
    go.Scatter(x=x_next, y=sales_next["calls_forecast"], name="forecast"),
])
fig.update_layout(title="sales: calls per 15 minutes", height=350)
fig""",
        ),
        (
            "md",
            "## Backtest\n\nThree weekly origins, each method forecasting the next day and "
            "week; scores per queue and horizon. Two of the three origins (Easter Monday and "
            "the early May bank holiday) start on a UK bank holiday, when support opens on "
            "weekend hours: the day-ahead score is one day per origin, so those days dominate "
            'it. `country_holidays="GB"` tells the methods about them.',
        ),
        (
            "code",
            """\
result = backtest(history, ("same-slot-last-week", "mean-last-weeks"), n_origins=3,
                  horizons=("day", "week1"), country_holidays="GB")
print([str(origin.date()) for origin in result.origins])
table = result.table(level="interval", score="wape")
assert np.isfinite(table.to_numpy()).all() and (table.to_numpy() > 0).all()
table""",
        ),
    ],
    "02_staffing_erlang_c_vs_a.ipynb": [
        (
            "md",
            "# Staffing: Erlang C against Erlang A\n\nAgents required per interval for 80/20. "
            "Erlang C assumes nobody hangs up; Erlang A models callers' patience, so it needs "
            "as many agents or fewer, and reports the abandonment.",
        ),
        ("code", SETUP),
        (
            "code",
            """\
from planner.forecast import forecast_history
from planner.staffing import StaffingTargets, kpis_for_agents, required_agents

forecast = forecast_history(history, 7, method="mean-last-weeks").frame
sales = forecast[forecast["queue"] == "sales"].reset_index(drop=True)
patience = next(q.patience_seconds for q in SAMPLE_QUEUES if q.name == "sales")
targets = StaffingTargets(service_level_target=0.8, answer_target_seconds=20)
erlang_c = required_agents(sales, targets, model="erlang-c")
erlang_a = required_agents(sales, targets, model="erlang-a", patience_seconds=patience)
assert (erlang_a["agents_required"] <= erlang_c["agents_required"]).all()
comparison = pd.DataFrame({
    "interval_start": sales["interval_start"],
    "calls": sales["calls_forecast"].round(1),
    "erlang_c": erlang_c["agents_required"],
    "erlang_a": erlang_a["agents_required"],
    "abandon_rate_a": erlang_a["abandon_rate"].round(3),
})
comparison.head(12)""",
        ),
        (
            "code",
            """\
hours = 0.25
print(f"agent-hours for the week: Erlang C {erlang_c['agents_required'].sum() * hours:,.0f}, "
      f"Erlang A {erlang_a['agents_required'].sum() * hours:,.0f} (patience {patience:.0f} s)")
day = comparison.head(48)
go.Figure([
    go.Scatter(x=day["interval_start"].dt.tz_localize(None), y=day["erlang_c"], name="Erlang C",
               line_shape="hv"),
    go.Scatter(x=day["interval_start"].dt.tz_localize(None), y=day["erlang_a"], name="Erlang A",
               line_shape="hv"),
]).update_layout(title="sales, first day: productive agents required for 80/20", height=350)""",
        ),
        (
            "md",
            "## The reverse: KPIs for a given number of agents\n\nWith two agents fewer than "
            "Erlang C asks for, the service level drops below target.",
        ),
        (
            "code",
            """\
short = np.maximum(erlang_c["agents_required"].to_numpy() - 2, 0)
kpis = kpis_for_agents(sales, short, model="erlang-a", patience_seconds=patience)
kpis[["interval_start", "service_level", "asa_seconds", "abandon_rate", "occupancy"]].head(12)""",
        ),
        (
            "md",
            "## Every queue at once, each with its own patience\n\nCallers' patience differs "
            "per queue (the sample's sales callers hang up sooner than support's). "
            "`patience_seconds` takes a mapping queue -> seconds; a queue missing from it is an "
            "error naming the queue.",
        ),
        (
            "code",
            """\
patience_by_queue = {q.name: q.patience_seconds for q in SAMPLE_QUEUES}
all_queues = required_agents(forecast, targets, model="erlang-a",
                             patience_seconds=patience_by_queue, shrinkage=0.3)
# the sales rows are the ones staffed above with the sales patience alone
assert (all_queues.loc[all_queues["queue"] == "sales", "agents_required"].to_numpy()
        == erlang_a["agents_required"].to_numpy()).all()
sums = all_queues.assign(abandoned=all_queues["calls_forecast"] * all_queues["abandon_rate"])
by_queue = sums.groupby("queue")[["calls_forecast", "abandoned", "agents_required"]].sum()
by_queue["abandon_rate"] = by_queue["abandoned"] / by_queue["calls_forecast"]  # weighted by calls
by_queue["agent_hours"] = by_queue["agents_required"] * hours
by_queue["patience_seconds"] = pd.Series(patience_by_queue)
by_queue[["patience_seconds", "calls_forecast", "agent_hours", "abandon_rate"]].round(3)""",
        ),
    ],
    "03_scheduling.ipynb": [
        (
            "md",
            "# Scheduling: a week's roster with CP-SAT\n\nThe billing queue's requirement "
            "rostered for a small team: shift templates with breaks, five days a week, 11 h "
            "rest. The solver stops after a few seconds with the best roster found and its "
            "proven gap; an independent checker confirms every hard rule.",
        ),
        ("code", SETUP),
        (
            "code",
            """\
from planner.forecast import forecast_history
from planner.scheduling import build_roster, check_roster, parse_rules
from planner.staffing import StaffingTargets, required_agents

forecast = forecast_history(history, 7, method="mean-last-weeks").frame
billing = forecast[forecast["queue"] == "billing"].reset_index(drop=True)
requirements = required_agents(
    billing, StaffingTargets(service_level_target=0.8, answer_target_seconds=20),
    model="erlang-a", patience_seconds=180.0, shrinkage=0.25,
)
requirements["agents_to_schedule"].describe()""",
        ),
        (
            "code",
            """\
rules = parse_rules({
    "weekly": {"min_rest_hours": 11, "min_consecutive_days_off": 2},
    "shift_templates": [
        {"name": "day", "earliest_start": "08:00", "latest_start": "10:00",
         "start_step_minutes": 60, "lengths_minutes": [510],
         "breaks": [
             {"name": "break", "minutes": 15, "paid": True,
              "earliest_after_start_minutes": 90, "latest_after_start_minutes": 150},
             {"name": "lunch", "minutes": 30, "paid": False,
              "earliest_after_start_minutes": 210, "latest_after_start_minutes": 300},
         ]},
    ],
    "agent_defaults": {"min_days": 5, "max_days": 5, "min_hours": 40, "max_hours": 40},
    "agent_groups": [{"count": 14, "id_prefix": "B"}],
}, source="notebook rules")
result = build_roster(requirements, rules, time_limit_seconds=10, seed=0, num_workers=2)
result.summary""",
        ),
        (
            "code",
            """\
violations = check_roster(result.roster, result.activities, rules)
assert violations.empty, violations
result.roster.head(10)""",
        ),
        (
            "code",
            """\
cov = result.coverage
go.Figure([
    go.Scatter(x=cov["interval_start"].dt.tz_localize(None), y=cov["agents_to_schedule"],
               name="to schedule", line_shape="hv"),
    go.Scatter(x=cov["interval_start"].dt.tz_localize(None), y=cov["agents_scheduled"],
               name="on the phones", line_shape="hv"),
]).update_layout(title="billing: required against rostered heads", height=350)""",
        ),
    ],
    "04_evaluation_and_scenarios.ipynb": [
        (
            "md",
            "# Evaluation and what-if scenarios\n\nPredicted service level, ASA, abandonment "
            "and occupancy per interval for a staffing plan, aggregated by day weighted by "
            "calls, the intervals missing target, a call-by-call simulation as a check, and "
            "the everyday what-if questions side by side.",
        ),
        ("code", SETUP),
        (
            "code",
            """\
from planner.evaluate import evaluate_plan
from planner.forecast import forecast_history
from planner.scenarios import everyday_scenarios, run_scenarios
from planner.simulate import simulate_plan
from planner.staffing import StaffingTargets, required_agents

forecast = forecast_history(history, 7, method="mean-last-weeks").frame
support = forecast[forecast["queue"] == "support"].reset_index(drop=True)
plan = required_agents(support, StaffingTargets(service_level_target=0.8, answer_target_seconds=20),
                       model="erlang-a", patience_seconds=240.0, shrinkage=0.3)
evaluation = evaluate_plan(plan, "agents_to_schedule", shrinkage=0.3, model="erlang-a",
                           patience_seconds=240.0)
evaluation.daily[["day", "calls_forecast", "service_level", "asa_seconds", "abandon_rate",
                  "occupancy", "intervals_missing_target"]]""",
        ),
        (
            "md",
            "Staffed to the requirement, every interval meets 80/20 in the formulas (the "
            "ceiling of the grossed-up heads can only add agents):",
        ),
        (
            "code",
            """\
assert evaluation.missing_target.empty
evaluation.totals""",
        ),
        (
            "md",
            "## A simulation of the first day\n\nErlang A assumes steady state in every "
            "interval; the simulation carries the queue from one interval to the next.",
        ),
        (
            "code",
            """\
first_day = plan[plan["interval_start"] < plan["interval_start"].min() + pd.Timedelta(days=1)]
simulation = simulate_plan(first_day, "agents_to_schedule", shrinkage=0.3,
                           patience_seconds=240.0, replications=3, seed=1)
simulation.intervals[["interval_start", "service_level", "service_level_lower",
                      "service_level_upper", "abandon_rate"]].head(12)""",
        ),
        ("md", "## Everyday what-ifs"),
        (
            "code",
            """\
comparison = run_scenarios(
    support[["queue", "interval_start", "calls_forecast", "aht_seconds_forecast"]],
    everyday_scenarios(include_agents_lost=False),
    shrinkage=0.3, patience_seconds=240.0, model="erlang-a",
)
comparison.summary[["scenario", "calls_forecast", "required_hours", "scheduled_hours",
                    "service_level", "abandon_rate", "intervals_missing_target"]]""",
        ),
    ],
    "05_forecast_vs_actual.ipynb": [
        (
            "md",
            "# Forecast against actual\n\nThe last week of the sample is held out: forecast "
            "from the weeks before it, then compared with what happened (WAPE, bias, MASE at "
            "interval, day and week level).",
        ),
        ("code", SETUP),
        (
            "code",
            """\
from planner.accuracy import forecast_accuracy
from planner.forecast import forecast_history

tz = "Europe/London"
holdout = pd.Timestamp("2025-05-05", tz=tz)  # a Monday; the week after is the actuals
learn = history[history["interval_start"] < holdout]
week = history[(history["interval_start"] >= holdout)
               & (history["interval_start"] < holdout + pd.Timedelta(days=7))]
forecast = forecast_history(learn, 7, method="mean-last-weeks").frame
report = forecast_accuracy(forecast, pd.concat([learn, week]), source="sample")
report.scores""",
        ),
        (
            "code",
            """\
pooled = report.intervals.groupby("interval_start")[["calls_forecast", "calls_actual"]].sum()
x = pooled.index.tz_localize(None)
go.Figure([
    go.Scatter(x=x, y=pooled["calls_actual"], name="actual"),
    go.Scatter(x=x, y=pooled["calls_forecast"], name="forecast"),
]).update_layout(title="all queues: calls per 15 minutes", height=350)""",
        ),
        (
            "code",
            """\
report.daily""",
        ),
    ],
}


def build() -> list[Path]:
    """Write every notebook (no outputs, no execution counts); returns the paths."""
    written = []
    for name, cells in NOTEBOOKS.items():
        notebook = new_notebook(
            cells=[
                new_markdown_cell(src) if kind == "md" else new_code_cell(src)
                for kind, src in cells
            ],
            metadata={
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python"},
            },
        )
        nbformat.validate(notebook)
        path = HERE / name
        nbformat.write(notebook, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
