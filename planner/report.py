"""The plan's visual report: one self-contained HTML page that opens offline.

Charts are drawn by plotly; the plotly.js bundle is inlined once at the top of the page, so the
file needs no network. Sections, in order:

1. forecast against history with the prediction band (and the actuals where they exist);
2. required against scheduled agents per interval (the staffing curve);
3. the roster as a Gantt chart with breaks;
4. a day-by-interval heatmap of predicted service level and abandonment, the intervals missing
   target marked;
5. the plan's KPIs weighted by calls (table), with the count of intervals missing target;
6. the Erlang prediction against the call-by-call simulation: service level per day with the
   simulation's confidence interval, and the backlog a busy interval leaves to the next;
7. the what-if scenarios side by side;
8. the KPIs the centre achieved in its history, with their spread across intervals;
9. forecast against actual.

Abandonment under Erlang C is not modelled: it shows as "n/a", never as 0.

A section whose frame is absent (the stage did not run) says so, with the reason from ``stages``.
:func:`render_report` returns the page as text (the API serves it); :func:`write_report` writes it.
Times are shown as local wall-clock times of the centre.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SECTIONS", "render_report", "write_report"]

SECTIONS = (
    ("forecast", "Forecast against history"),
    ("staffing", "Required and scheduled agents"),
    ("roster", "Roster"),
    ("heatmap", "Predicted service level and abandonment"),
    ("kpis", "KPIs of the plan, weighted by calls"),
    ("simulation", "Erlang prediction against simulation"),
    ("scenarios", "What-if scenarios"),
    ("history_kpis", "KPIs achieved in the history"),
    ("accuracy", "Forecast against actual"),
)
"""(id, title) of each section, in page order."""

_STAGE_OF = {
    "forecast": "forecast",
    "staffing": "staffing",
    "roster": "schedule",
    "heatmap": "evaluate",
    "kpis": "evaluate",
    "simulation": "simulate",
    "scenarios": "scenarios",
    "history_kpis": "history_kpis",
    "accuracy": "accuracy",
}

_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 1rem 2rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem;
       border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .6rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.absent { color: #8a4b00; background: #fff6e5; padding: .6rem .8rem;
          border-left: 4px solid #e69500; }
.notes li { font-size: .85rem; color: #444; } .meta { color: #555; font-size: .9rem; }
"""


def _local(stamps: pd.Series) -> pd.Series:
    """Tz-aware timestamps as naive local wall-clock times (for axes)."""
    if getattr(stamps.dt, "tz", None) is not None:
        return stamps.dt.tz_localize(None)
    return stamps


def _gapped(frame: pd.DataFrame, column: str = "interval_start") -> pd.DataFrame:
    """``frame`` sorted by ``column`` with an empty row in each gap longer than one interval.

    Lines then break over closed hours and days instead of joining the last interval of one day to
    the first of the next. The interval is the smallest step between consecutive rows.
    """
    ordered = frame.sort_values(column, kind="stable").reset_index(drop=True)
    if len(ordered) < 3:
        return ordered
    steps = ordered[column].diff().iloc[1:]
    step = steps[steps > pd.Timedelta(0)].min()
    after = np.flatnonzero((steps > step).to_numpy())  # rows after which a gap opens
    if len(after) == 0:
        return ordered
    blanks = pd.DataFrame({column: ordered[column].iloc[after].to_numpy() + step})
    joined = pd.concat([ordered, blanks], ignore_index=True)
    return joined.sort_values(column, kind="stable").reset_index(drop=True)


def _band_polygon(gapped: pd.DataFrame) -> tuple[list[object], list[float | None]]:
    """Closed polygons (upper edge forward, lower edge back) of each run of open intervals.

    ``gapped`` comes from :func:`_gapped`: runs are separated by empty rows; polygons are
    separated by None so plotly fills each on its own (``fill="toself"``).
    """
    xs: list[object] = []
    ys: list[float | None] = []
    local = _local(gapped["interval_start"]).tolist()
    upper = gapped["calls_upper"].to_numpy(dtype=float)
    lower = gapped["calls_lower"].to_numpy(dtype=float)
    run: list[int] = []
    for i in [*range(len(gapped)), -1]:
        if i >= 0 and not np.isnan(upper[i]):
            run.append(i)
            continue
        if run:
            xs += [local[j] for j in run] + [local[j] for j in reversed(run)] + [None]
            ys += [upper[j] for j in run] + [lower[j] for j in reversed(run)] + [None]
            run = []
    return xs, ys


def _pct(value: float) -> str:
    return "" if pd.isna(value) else f"{100 * value:.1f} %"


def _abandon(value: float) -> str:
    """Abandonment as a percentage; "n/a" where it is not modelled (Erlang C gives NaN)."""
    return "n/a" if pd.isna(value) else f"{100 * value:.1f} %"


def _day(value: object) -> str:
    return pd.Timestamp(value).strftime("%a %d %b")  # type: ignore[arg-type]


def _num(value: float, digits: int = 1) -> str:
    if pd.isna(value):
        return ""
    if np.isinf(value):
        return "inf"
    return f"{value:,.{digits}f}"


def _table(frame: pd.DataFrame, formats: Mapping[str, object]) -> str:
    """An HTML table of ``frame``'s columns in ``formats`` (column -> formatter)."""
    shown = pd.DataFrame(
        {
            column: [formatter(v) for v in frame[column]]  # type: ignore[operator]
            for column, formatter in formats.items()
            if column in frame.columns
        }
    )
    return shown.to_html(index=False, escape=True, border=0)


class _Page:
    """Collects sections; the first figure carries the inlined plotly.js bundle."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.figures = 0

    def figure(self, fig: object, div_id: str) -> None:
        import plotly.io as pio

        self.parts.append(
            pio.to_html(
                fig,
                full_html=False,
                include_plotlyjs=self.figures == 0,
                div_id=div_id,
                config={"displaylogo": False, "responsive": True},
            )
        )
        self.figures += 1

    def text(self, markup: str) -> None:
        self.parts.append(markup)


def _forecast_figure(
    history: pd.DataFrame, forecast: pd.DataFrame, actuals: pd.DataFrame | None, days_shown: int
) -> object:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    queues = sorted(forecast["queue"].unique())
    fig = make_subplots(
        rows=len(queues), cols=1, shared_xaxes=True, subplot_titles=queues, vertical_spacing=0.06
    )
    cut = forecast["interval_start"].min() - pd.Timedelta(days=days_shown)
    for row, queue in enumerate(queues, start=1):
        past = _gapped(
            history.loc[(history["queue"] == queue) & (history["interval_start"] >= cut)]
        )
        fut = _gapped(forecast.loc[forecast["queue"] == queue])
        first = row == 1
        common = {"row": row, "col": 1}
        fig.add_trace(
            go.Scatter(
                x=_local(past["interval_start"]),
                y=past["calls_offered"],
                mode="lines",
                name="history",
                line={"color": "#555", "width": 1},
                legendgroup="h",
                showlegend=first,
            ),
            **common,
        )
        band_x, band_y = _band_polygon(fut)
        fig.add_trace(
            go.Scatter(
                x=band_x,
                y=band_y,
                mode="lines",
                line={"width": 0},
                fill="toself",
                fillcolor="rgba(31,119,180,0.2)",
                hoverinfo="skip",
                name="prediction band",
                legendgroup="band",
                showlegend=first,
            ),
            **common,
        )
        fig.add_trace(
            go.Scatter(
                x=_local(fut["interval_start"]),
                y=fut["calls_forecast"],
                mode="lines",
                name="forecast",
                line={"color": "#1f77b4", "width": 1.5},
                legendgroup="f",
                showlegend=first,
            ),
            **common,
        )
        if actuals is not None and len(actuals):
            act = _gapped(actuals.loc[actuals["queue"] == queue])
            fig.add_trace(
                go.Scatter(
                    x=_local(act["interval_start"]),
                    y=act["calls_actual"],
                    mode="lines",
                    name="actual",
                    line={"color": "#d62728", "width": 1},
                    legendgroup="a",
                    showlegend=first,
                ),
                **common,
            )
        fig.update_yaxes(title_text="calls / interval", row=row, col=1)
    fig.update_layout(height=260 * len(queues) + 80, margin={"t": 40, "b": 30})
    return fig


def _staffing_figure(requirements: pd.DataFrame, coverage: pd.DataFrame | None) -> object:
    import plotly.graph_objects as go

    need = _gapped(
        requirements.groupby("interval_start", sort=True)[["agents_required", "agents_to_schedule"]]
        .sum()
        .reset_index()
    )
    fig = go.Figure()
    x = _local(need["interval_start"])
    fig.add_trace(
        go.Scatter(
            x=x,
            y=need["agents_required"],
            mode="lines",
            line_shape="hv",
            name="required on the phones",
            line={"color": "#999"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=need["agents_to_schedule"],
            mode="lines",
            line_shape="hv",
            name="to schedule (with shrinkage)",
            line={"color": "#1f77b4"},
        )
    )
    if coverage is not None:
        heads = _gapped(
            coverage.groupby("interval_start", sort=True)["agents_scheduled"].sum().reset_index()
        )
        fig.add_trace(
            go.Scatter(
                x=_local(heads["interval_start"]),
                y=heads["agents_scheduled"],
                mode="lines",
                line_shape="hv",
                name="scheduled (on the phones, not on a break)",
                line={"color": "#2ca02c"},
            )
        )
    fig.update_layout(
        height=380,
        yaxis_title="agents (all queues)",
        margin={"t": 30, "b": 30},
        legend={"orientation": "h", "y": 1.1},
    )
    return fig


def _gantt_figure(roster: pd.DataFrame, activities: pd.DataFrame | None) -> object:
    import plotly.express as px

    shifts = pd.DataFrame(
        {
            "agent": roster["agent_id"].astype(str),
            "start": _local(pd.to_datetime(roster["shift_start"])),
            "end": _local(pd.to_datetime(roster["shift_end"])),
            "activity": "shift (" + roster["template"].astype(str) + ")",
        }
    )
    parts = [shifts]
    if activities is not None and len(activities):
        parts.append(
            pd.DataFrame(
                {
                    "agent": activities["agent_id"].astype(str),
                    "start": _local(pd.to_datetime(activities["start"])),
                    "end": _local(pd.to_datetime(activities["end"])),
                    "activity": activities["activity"].astype(str),
                }
            )
        )
    bars = pd.concat(parts, ignore_index=True)
    agents = sorted(shifts["agent"].unique())
    fig = px.timeline(
        bars,
        x_start="start",
        x_end="end",
        y="agent",
        color="activity",
        category_orders={"agent": agents},
    )
    fig.update_yaxes(autorange="reversed", title_text="agent")
    fig.update_layout(
        height=max(400, 14 * len(agents) + 120),
        margin={"t": 30, "b": 30},
        legend={"orientation": "h", "y": 1.02},
    )
    return fig


def _heatmap_figure(
    evaluation: pd.DataFrame, service_level_target: float | None, max_abandon_rate: float | None
) -> object:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    local = _local(evaluation["interval_start"])
    calls = evaluation["calls_forecast"].to_numpy(dtype=float)
    keys = pd.DataFrame(
        {
            "day": local.dt.strftime("%a %d %b").to_numpy(),
            "date": local.dt.normalize().to_numpy(),
            "time": local.dt.strftime("%H:%M").to_numpy(),
            "calls": calls,
            "sl_calls": np.where(
                calls > 0, evaluation["service_level"].to_numpy(float) * calls, 0.0
            ),
            # NaN abandonment (Erlang C: not modelled) stays NaN: summed with min_count=1 below.
            "ab_calls": np.where(
                calls > 0, evaluation["abandon_rate"].to_numpy(float) * calls, 0.0
            ),
            "missed": ~evaluation["meets_target"].to_numpy(dtype=bool),
        }
    )
    cells = (
        keys.groupby(["date", "day", "time"], sort=True)
        .agg(
            calls=("calls", "sum"),
            sl_calls=("sl_calls", "sum"),
            ab_calls=("ab_calls", lambda v: v.sum(min_count=1)),
            missed=("missed", "any"),
        )
        .reset_index()
    )
    modelled = bool(np.isfinite(evaluation["abandon_rate"].to_numpy(float)[calls > 0]).any())
    with np.errstate(invalid="ignore", divide="ignore"):
        cells["sl"] = np.where(cells["calls"] > 0, cells["sl_calls"] / cells["calls"], np.nan)
        cells["ab"] = np.where(cells["calls"] > 0, cells["ab_calls"] / cells["calls"], np.nan)
    days = list(dict.fromkeys(cells.sort_values("date")["day"]))
    times = sorted(cells["time"].unique())
    sl = cells.pivot(index="day", columns="time", values="sl").reindex(index=days, columns=times)
    ab = cells.pivot(index="day", columns="time", values="ab").reindex(index=days, columns=times)
    missed = cells.loc[cells["missed"]]
    fig = make_subplots(
        rows=2,
        cols=1,
        vertical_spacing=0.12,
        subplot_titles=(
            "service level (all queues, weighted by calls); x = an interval missing target",
            "abandonment (all queues, weighted by calls)"
            if modelled
            else "abandonment: not modelled (Erlang C assumes nobody hangs up)",
        ),
    )
    fig.add_trace(
        go.Heatmap(
            z=sl.to_numpy(),
            x=times,
            y=days,
            zmin=0,
            zmax=1,
            colorscale="RdYlGn",
            colorbar={"title": "SL", "y": 0.78, "len": 0.42},
            hoverongaps=False,
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Heatmap(
            z=ab.to_numpy(),
            x=times,
            y=days,
            zmin=0,
            zmax=max(
                float(np.nanmax(ab.to_numpy(), initial=0.0)) if modelled else 0.0,
                max_abandon_rate or 0.05,
            ),
            colorscale="Reds",
            colorbar={"title": "abandon", "y": 0.22, "len": 0.42},
            hoverongaps=False,
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=missed["time"],
            y=missed["day"],
            mode="markers",
            name="misses target",
            marker={"symbol": "x", "color": "black", "size": 7},
        ),
        row=1,
        col=1,
    )
    fig.update_layout(height=720, margin={"t": 50, "b": 30}, showlegend=False)
    return fig


def _scenario_figure(scenarios: pd.DataFrame) -> object:
    import plotly.express as px

    fig = px.bar(
        scenarios,
        x="scenario",
        y="service_level",
        color="queue",
        barmode="group",
        labels={"service_level": "service level (weighted by calls)"},
    )
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    fig.update_layout(height=380, margin={"t": 30, "b": 30})
    return fig


def _simulation_days(
    kpis_daily: pd.DataFrame | None, simulation_daily: pd.DataFrame
) -> pd.DataFrame:
    """Per (queue, day): the Erlang prediction next to the simulation's mean and interval."""
    sim = simulation_daily.loc[
        :,
        [
            "queue",
            "day",
            "calls_offered",
            "service_level",
            "service_level_lower",
            "service_level_upper",
            "abandon_rate",
        ],
    ].rename(
        columns={
            "calls_offered": "calls_simulated",
            "service_level": "service_level_simulated",
            "service_level_lower": "service_level_simulated_lower",
            "service_level_upper": "service_level_simulated_upper",
            "abandon_rate": "abandon_rate_simulated",
        }
    )
    if kpis_daily is None or kpis_daily.empty:
        return sim.assign(service_level_erlang=np.nan, abandon_rate_erlang=np.nan)
    erlang = kpis_daily.loc[:, ["queue", "day", "service_level", "abandon_rate"]].rename(
        columns={"service_level": "service_level_erlang", "abandon_rate": "abandon_rate_erlang"}
    )
    return sim.merge(erlang, on=["queue", "day"], how="left")


def _simulation_figure(days: pd.DataFrame) -> object:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    queues = sorted(days["queue"].unique())
    fig = make_subplots(rows=1, cols=len(queues), shared_yaxes=True, subplot_titles=queues)
    for col, queue in enumerate(queues, start=1):
        part = days.loc[days["queue"] == queue].sort_values("day")
        x = [_day(v) for v in part["day"]]
        mean = part["service_level_simulated"].to_numpy(dtype=float)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=mean,
                mode="markers",
                name="simulated (95 % interval)",
                marker={"color": "#2ca02c", "size": 8},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": part["service_level_simulated_upper"].to_numpy(dtype=float) - mean,
                    "arrayminus": mean - part["service_level_simulated_lower"].to_numpy(float),
                },
                legendgroup="sim",
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=part["service_level_erlang"],
                mode="markers",
                name="Erlang prediction",
                marker={"color": "#1f77b4", "symbol": "diamond-open", "size": 10},
                legendgroup="erlang",
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
    fig.update_yaxes(tickformat=".0%", row=1, col=1, title_text="service level per day")
    fig.update_layout(height=380, margin={"t": 50, "b": 30}, legend={"orientation": "h", "y": -0.2})
    return fig


def _history_kpis_figure(weekly: pd.DataFrame) -> object:
    import plotly.graph_objects as go

    fig = go.Figure()
    colours = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
    for i, queue in enumerate(sorted(weekly["queue"].unique())):
        part = weekly.loc[weekly["queue"] == queue].sort_values("week_start")
        x = list(pd.to_datetime(part["week_start"]))
        colour = colours[i % len(colours)]
        upper = part["service_level_p90"].to_numpy(dtype=float)
        lower = part["service_level_p10"].to_numpy(dtype=float)
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=list(upper) + list(lower[::-1]),
                fill="toself",
                mode="lines",
                line={"width": 0},
                fillcolor=colour,
                opacity=0.15,
                hoverinfo="skip",
                name=f"{queue}: 10th-90th percentile of intervals",
                legendgroup=str(queue),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=part["service_level"],
                mode="lines+markers",
                name=f"{queue}: week (weighted by calls)",
                line={"color": colour},
                legendgroup=str(queue),
            )
        )
    fig.update_yaxes(tickformat=".0%", title_text="service level achieved")
    fig.update_layout(height=400, margin={"t": 30, "b": 30})
    return fig


def _accuracy_figure(accuracy: pd.DataFrame) -> object:
    import plotly.graph_objects as go

    pooled = _gapped(
        accuracy.groupby("interval_start", sort=True)[["calls_forecast", "calls_actual"]]
        .sum()
        .reset_index()
    )
    x = _local(pooled["interval_start"])
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=x, y=pooled["calls_actual"], name="actual", line={"color": "#d62728"})
    )
    fig.add_trace(
        go.Scatter(x=x, y=pooled["calls_forecast"], name="forecast", line={"color": "#1f77b4"})
    )
    fig.update_layout(
        height=360, yaxis_title="calls / interval (all queues)", margin={"t": 30, "b": 30}
    )
    return fig


def _simulation_section(
    page: _Page,
    kpis_daily: pd.DataFrame | None,
    simulation_daily: pd.DataFrame,
    simulation: pd.DataFrame | None,
    model: str | None,
) -> None:
    """Erlang's daily SL against the simulation's (with its interval); the backlog carried."""
    name = {"erlang-a": "Erlang A", "erlang-c": "Erlang C"}.get(str(model), "Erlang")
    days = _simulation_days(kpis_daily, simulation_daily)
    page.text(
        f'<p class="meta">Service level per day: the {html.escape(name)} prediction (each '
        "interval in steady state, starting empty) against the call-by-call simulation of the "
        "same roster (mean over replications and its 95 % confidence interval; queues carry "
        "over interval boundaries). A prediction outside the interval is a difference the "
        "formulas cannot see.</p>"
    )
    page.figure(_simulation_figure(days), "chart-simulation")
    page.text(
        _table(
            days.sort_values(["queue", "day"]),
            {
                "queue": str,
                "day": _day,
                "calls_simulated": lambda v: _num(v, 0),
                "service_level_erlang": _pct,
                "service_level_simulated": _pct,
                "service_level_simulated_lower": _pct,
                "service_level_simulated_upper": _pct,
                "abandon_rate_erlang": _abandon,
                "abandon_rate_simulated": _pct,
            },
        )
    )
    if simulation is None or "queue_at_end" not in simulation.columns:
        return
    carried = simulation.loc[simulation["queue_at_end"] > 0].sort_values(
        ["queue_at_end", "queue", "interval_start"], ascending=[False, True, True], kind="stable"
    )
    if carried.empty:
        page.text(
            '<p class="meta">No interval ends with calls still waiting in any replication: '
            "no backlog is carried over.</p>"
        )
        return
    shown = carried.head(15).assign(
        interval=_local(carried.head(15)["interval_start"]).dt.strftime("%a %d %b %H:%M")
    )
    page.text(
        f'<h3>Backlog carried over</h3><p class="meta">{len(carried)} of {len(simulation)} '
        "queue-intervals end with calls still waiting (mean over replications), which the next "
        "interval inherits; the largest:</p>"
    )
    page.text(
        _table(
            shown,
            {
                "queue": str,
                "interval": str,
                "calls_offered": lambda v: _num(v, 1),
                "agents_productive": lambda v: _num(v, 0),
                "queue_at_end": lambda v: _num(v, 1),
                "queue_at_end_lower": lambda v: _num(v, 1),
                "queue_at_end_upper": lambda v: _num(v, 1),
                "service_level": _pct,
            },
        )
    )


def _history_kpis_section(page: _Page, totals: pd.DataFrame, weekly: pd.DataFrame | None) -> None:
    """What the history achieved, weighted by calls, with the spread across its intervals."""
    page.text(
        '<p class="meta">Achieved in the history before the plan: rates weighted by calls, '
        "with the 10th / 50th / 90th percentiles across intervals and the intervals below "
        "target, never the average alone.</p>"
    )
    if weekly is not None and not weekly.empty:
        page.figure(_history_kpis_figure(weekly), "chart-history-kpis")
    page.text(
        _table(
            totals,
            {
                "queue": str,
                "calls_offered": lambda v: _num(v, 0),
                "service_level": _pct,
                "service_level_p10": _pct,
                "service_level_p50": _pct,
                "service_level_p90": _pct,
                "abandon_rate": _abandon,
                "abandon_rate_p90": _abandon,
                "asa_seconds": lambda v: _num(v, 1),
                "aht_seconds": lambda v: _num(v, 1),
                "occupancy": _pct,
                "intervals": lambda v: _num(v, 0),
                "intervals_below_target": lambda v: _num(v, 0),
                "calls_share_below_target": _pct,
            },
        )
    )


def render_report(
    *,
    title: str = "Workforce plan",
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    history: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    requirements: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    roster: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    evaluation: pd.DataFrame | None = None,
    kpis: pd.DataFrame | None = None,
    kpis_daily: pd.DataFrame | None = None,
    model: str | None = None,
    simulation: pd.DataFrame | None = None,
    simulation_daily: pd.DataFrame | None = None,
    history_kpis: pd.DataFrame | None = None,
    history_kpis_weekly: pd.DataFrame | None = None,
    scenarios: pd.DataFrame | None = None,
    accuracy: pd.DataFrame | None = None,
    accuracy_scores: pd.DataFrame | None = None,
    service_level_target: float | None = None,
    max_abandon_rate: float | None = None,
    stages: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    history_days_shown: int = 14,
) -> str:
    """The plan's report as one self-contained HTML page (plotly.js inlined; works offline).

    Every frame is optional; a section whose frame is missing says the stage did not run (with
    the reason from ``stages``) instead of drawing anything.

    Parameters
    ----------
    title
        Page title.
    window
        (start, end) of the plan, shown in the header.
    history
        History the forecast learnt from (``queue``, ``interval_start``, ``calls_offered``).
    forecast
        :data:`planner.schema.FORECAST_COLUMNS` for the plan window.
    requirements
        Staffing's frame (``queue``, ``interval_start``, ``agents_required``,
        ``agents_to_schedule``).
    coverage
        Heads the roster puts on the phones (``queue``, ``interval_start``, ``agents_scheduled``).
    roster, activities
        The roster (one row per agent and worked day, ``shift_start``/``shift_end``) and its
        breaks (``agent_id``, ``activity``, ``start``, ``end``).
    evaluation
        Per-interval KPIs (:data:`planner.evaluate.EVALUATION_COLUMNS`).
    kpis, kpis_daily
        Totals per queue (and ``all queues``) and per (queue, day), weighted by calls.
    model
        Queueing model of the prediction (``"erlang-a"`` / ``"erlang-c"``), shown in headings.
    simulation, simulation_daily
        :attr:`planner.simulate.SimulationResult.intervals` (for ``queue_at_end``, the backlog
        carried into the next interval) and ``.daily`` (service level with its confidence bounds).
    history_kpis, history_kpis_weekly
        :func:`planner.kpi.kpi_report`'s ``totals`` and ``weekly`` of the history before the plan.
    scenarios
        :data:`planner.scenarios.SUMMARY_COLUMNS` rows.
    accuracy, accuracy_scores
        :data:`planner.accuracy.ACCURACY_INTERVAL_COLUMNS` rows and the scores table.
    service_level_target, max_abandon_rate
        Targets, shown in the header.
    stages
        Stage name -> "ran" or "not run: reason" (see :data:`planner.pipeline.STAGES`).
    notes
        Sentences for people, listed at the end.
    history_days_shown
        Days of history drawn before the forecast.

    Returns
    -------
    str
        The HTML page.
    """
    stages = dict(stages or {})
    page = _Page()

    def absent(section: str, what: str) -> None:
        reason = stages.get(_STAGE_OF[section], "not run")
        page.text(
            f'<p class="absent" id="absent-{section}">Not shown: {html.escape(what)} '
            f"({html.escape(reason)}).</p>"
        )

    for section, heading in SECTIONS:
        page.text(f'<h2 id="{section}">{html.escape(heading)}</h2>')
        if section == "forecast":
            if forecast is None or history is None or forecast.empty:
                absent(section, "no forecast")
            else:
                page.text(
                    '<p class="meta">Calls per interval: the last '
                    f"{history_days_shown} days of history, the forecast with its prediction "
                    "band, and the actual calls where the history covers the plan window.</p>"
                )
                page.figure(
                    _forecast_figure(history, forecast, accuracy, history_days_shown),
                    "chart-forecast",
                )
        elif section == "staffing":
            if requirements is None or requirements.empty:
                absent(section, "no staffing requirement")
            else:
                if coverage is None:
                    page.text(
                        '<p class="absent">No roster: only the requirement is drawn '
                        f"({html.escape(stages.get('schedule', 'not run'))}).</p>"
                    )
                page.figure(_staffing_figure(requirements, coverage), "chart-staffing")
        elif section == "roster":
            if roster is None or roster.empty:
                absent(section, "no roster")
            else:
                page.text(
                    f'<p class="meta">{roster["agent_id"].nunique()} agents, {len(roster)} '
                    "shifts; breaks and lunches drawn over the shifts.</p>"
                )
                page.figure(_gantt_figure(roster, activities), "chart-roster")
        elif section == "heatmap":
            if evaluation is None or evaluation.empty:
                absent(section, "no evaluation")
            else:
                missed = int((~evaluation["meets_target"].astype(bool)).sum())
                page.text(
                    f'<p class="meta">{missed} of {len(evaluation)} queue-intervals miss target'
                    + (
                        f" (service level below {_pct(service_level_target)}"
                        if service_level_target
                        else " ("
                    )
                    + (
                        f", abandonment above {_pct(max_abandon_rate)}"
                        if max_abandon_rate is not None
                        else ""
                    )
                    + ").</p>"
                )
                page.figure(
                    _heatmap_figure(evaluation, service_level_target, max_abandon_rate),
                    "chart-heatmap",
                )
        elif section == "kpis":
            if kpis is None or kpis.empty:
                absent(section, "no evaluation")
            else:
                formats = {
                    "queue": str,
                    "calls_forecast": lambda v: _num(v, 0),
                    "scheduled_hours": lambda v: _num(v, 1),
                    "service_level": _pct,
                    "asa_seconds": lambda v: _num(v, 1),
                    "abandon_rate": _abandon,
                    "occupancy": _pct,
                    "intervals": lambda v: _num(v, 0),
                    "intervals_missing_target": lambda v: _num(v, 0),
                    "calls_in_intervals_missing_target": lambda v: _num(v, 0),
                }
                page.text(_table(kpis, formats))
                if kpis_daily is not None and not kpis_daily.empty:
                    page.text("<h3>By day</h3>")
                    page.text(
                        _table(
                            kpis_daily, {"day": lambda v: str(pd.Timestamp(v).date()), **formats}
                        )
                    )
        elif section == "simulation":
            if simulation_daily is None or simulation_daily.empty:
                absent(section, "no simulation")
            else:
                _simulation_section(page, kpis_daily, simulation_daily, simulation, model)
        elif section == "history_kpis":
            if history_kpis is None or history_kpis.empty:
                absent(section, "no KPIs of the history")
            else:
                _history_kpis_section(page, history_kpis, history_kpis_weekly)
        elif section == "scenarios":
            if scenarios is None or scenarios.empty:
                absent(section, "no scenarios")
            else:
                page.figure(_scenario_figure(scenarios), "chart-scenarios")
                page.text(
                    _table(
                        scenarios,
                        {
                            "scenario": str,
                            "queue": str,
                            "calls_forecast": lambda v: _num(v, 0),
                            "required_hours": lambda v: _num(v, 1),
                            "scheduled_hours": lambda v: _num(v, 1),
                            "service_level": _pct,
                            "asa_seconds": lambda v: _num(v, 1),
                            "abandon_rate": _abandon,
                            "occupancy": _pct,
                            "intervals_missing_target": lambda v: _num(v, 0),
                            "worst_day_service_level": _pct,
                        },
                    )
                )
        elif section == "accuracy":
            if accuracy is None or accuracy.empty:
                absent(section, "no actuals to compare with")
            else:
                page.figure(_accuracy_figure(accuracy), "chart-accuracy")
                if accuracy_scores is not None and not accuracy_scores.empty:
                    page.text(
                        _table(
                            accuracy_scores,
                            {
                                "queue": str,
                                "level": str,
                                "periods": lambda v: _num(v, 0),
                                "calls_forecast": lambda v: _num(v, 0),
                                "calls_actual": lambda v: _num(v, 0),
                                "wape": _pct,
                                "bias": _pct,
                                "mase": lambda v: _num(v, 2),
                            },
                        )
                    )

    header = [f"<h1>{html.escape(title)}</h1>"]
    if window is not None:
        header.append(
            f'<p class="meta">Plan window {html.escape(str(window[0]))} to '
            f"{html.escape(str(window[1]))}.</p>"
        )
    if stages:
        header.append(
            '<p class="meta">Stages: '
            + "; ".join(f"{html.escape(k)}: {html.escape(v)}" for k, v in stages.items())
            + "</p>"
        )
    footer = ""
    if notes:
        footer = (
            '<h2 id="notes">Notes</h2><ul class="notes">'
            + "".join(f"<li>{html.escape(note)}</li>" for note in notes)
            + "</ul>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(header)
        + "\n"
        + "\n".join(page.parts)
        + footer
        + "\n</body></html>\n"
    )


def write_report(path: str | os.PathLike[str], **parts: object) -> Path:
    """Render :func:`render_report` with ``parts`` and write it atomically to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(**parts)  # type: ignore[arg-type]
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)
    return target
