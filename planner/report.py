"""The plan's visual report: one self-contained HTML page that opens offline.

Charts are drawn by plotly; the plotly.js bundle is inlined once at the top of the page, so the
file needs no network. Sections, in order:

1. forecast against history with the prediction band (and the actuals where they exist);
2. required against scheduled agents per interval (the staffing curve);
3. the roster as a Gantt chart with breaks;
4. a day-by-interval heatmap of predicted service level and abandonment, the intervals missing
   target marked;
5. the plan's KPIs weighted by calls (table), with the count of intervals missing target;
6. the what-if scenarios side by side;
7. forecast against actual.

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
    ("scenarios", "What-if scenarios"),
    ("accuracy", "Forecast against actual"),
)
"""(id, title) of each section, in page order."""

_STAGE_OF = {
    "forecast": "forecast",
    "staffing": "staffing",
    "roster": "schedule",
    "heatmap": "evaluate",
    "kpis": "evaluate",
    "scenarios": "scenarios",
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
            ab_calls=("ab_calls", "sum"),
            missed=("missed", "any"),
        )
        .reset_index()
    )
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
            "abandonment (all queues, weighted by calls)",
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
            zmax=max(float(np.nanmax(ab.to_numpy(), initial=0.0)), max_abandon_rate or 0.05),
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
                    "abandon_rate": _pct,
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
                            "abandon_rate": _pct,
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
