"""Whole-pipeline plans over HTTP: the ``plan`` job, storing its outputs, rendering its report.

:func:`plan_job` runs :func:`planner.pipeline.run_plan` on a stored history into a temporary
folder (removed afterwards) and hands the result to :func:`store_plan`, which keeps every output
frame in the database (Parquet, like every stored frame; no pickle) and one ``plan`` record whose
meta names them. :func:`render_stored_plan` renders the same self-contained ``report.html`` from
those stored frames with :func:`planner.report.render_report`.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from api.jobs import JobContext
from planner.errors import InputError
from planner.storage import FrameRecord, Storage

__all__ = [
    "REPORT_FRAMES",
    "plan_job",
    "refuse_server_paths",
    "render_stored_plan",
    "store_plan",
]

REPORT_FRAMES: dict[str, str] = {
    "history": "history",
    "forecast": "forecast",
    "requirements": "requirements",
    "coverage": "coverage",
    "roster": "roster",
    "activities": "activities",
    "evaluation": "evaluation",
    "kpis": "kpis_total",
    "kpis_daily": "kpis_daily",
    "simulation": "simulation_intervals",
    "simulation_daily": "simulation_daily",
    "history_kpis": "history_kpis_total",
    "history_kpis_weekly": "history_kpis_weekly",
    "scenarios": "scenarios",
    "accuracy": "accuracy_intervals",
    "accuracy_scores": "accuracy_scores",
}
"""``render_report`` parameter -> the label of the pipeline frame it is drawn from, as in
:func:`planner.pipeline.run_plan`."""


def _history_days_shown() -> int:
    from planner.report import render_report

    default = inspect.signature(render_report).parameters["history_days_shown"].default
    return int(default)


def refuse_server_paths(config: Any) -> None:
    """Raise InputError when a plan config names a server file (``schedule.rules_file``).

    Over HTTP a client must not make the server read its own files; rules go inline under
    ``schedule.rules``.
    """
    schedule = config.get("schedule") if isinstance(config, dict) else None
    if isinstance(schedule, dict) and "rules_file" in schedule:
        raise InputError(
            "config.schedule.rules_file: reading shift rules from a server file is not allowed "
            f"over HTTP, got {schedule['rules_file']!r}; expected the rules inline under "
            "config.schedule.rules"
        )


def _budgeted(context: JobContext, seconds: float) -> Callable[[str, int, int], None]:
    """The job's progress callback, failing the plan once ``seconds`` of wall clock have passed."""
    deadline = time.monotonic() + seconds

    def progress(description: str, done: int, total: int) -> None:
        if time.monotonic() > deadline:
            raise InputError(
                f"the plan ran over its budget of {seconds:g} s (PLANNER_MAX_FIT_SECONDS plus "
                "weeks x the applied solver_time_limit_seconds); expected fewer weeks, a faster "
                "forecast method or fewer simulation replications"
            )
        context.progress(description, done, total)

    return progress


def store_plan(
    storage: Storage,
    result: Any,
    *,
    history_id: str | None,
    name: str,
    title: str,
    window: dict[str, Any],
    report_params: dict[str, Any],
    params: dict[str, Any],
) -> FrameRecord:
    """Store a :class:`planner.pipeline.PipelineResult`'s frames and its ``plan`` record.

    Parameters
    ----------
    storage
        The store.
    result
        What ``run_plan`` returned.
    history_id
        The stored history the plan was made from (parent of every stored frame).
    name, title
        The plan's name in listings and the report's title.
    window
        ``start``, ``end`` (ISO text), ``weeks``, ``interval_minutes`` from the run's
        ``plan_summary.json``, and ``timezone`` (the plan's IANA zone, or None).
    report_params
        ``model``, ``service_level_target``, ``max_abandon_rate`` passed to the report.
    params
        The request's parameters, kept with the record.

    Returns
    -------
    FrameRecord
        The ``plan`` record; its ``meta["frames"]`` maps each output's label to its frame id.
        Every frame and the record are stored in one transaction (joining the caller's
        :meth:`Storage.transaction` when there is one): when storing fails, nothing of the plan
        is stored and the error propagates.

    Notes
    -----
    The history the forecast learnt from is not copied whole: the stored ``history`` frame holds
    the rows the report draws (the ``history_days_shown`` days before the forecast starts), the
    whole history stays with ``history_id``.
    """
    frames: dict[str, pd.DataFrame] = dict(result.frames)
    forecast = frames.get("forecast")
    history = frames.get("history")
    days_shown = _history_days_shown()
    if history is not None and forecast is not None and len(forecast):
        cut = forecast["interval_start"].min() - pd.Timedelta(days=days_shown)
        frames["history"] = history.loc[history["interval_start"] >= cut].reset_index(drop=True)
    interval_minutes = int(window["interval_minutes"])
    ids: dict[str, str] = {}
    seconds = {k: round(float(v), 3) for k, v in result.seconds.items() if math.isfinite(v)}
    # one transaction: a failure or a dead server part-way leaves no frame of this plan behind
    with storage.transaction():
        for label, frame in frames.items():
            record = storage.save_frame(
                "plan_frame",
                frame,
                name=f"{name}: {label}",
                parent_id=history_id,
                interval_minutes=interval_minutes,
                params={"label": label},
                meta=(
                    {"rows": f"the {days_shown} days of history before the plan (report)"}
                    if label == "history"
                    else {}
                ),
            )
            ids[label] = record.id
        return storage.save_frame(
            "plan",
            result.summary,
            name=name,
            parent_id=history_id,
            interval_minutes=interval_minutes,
            params=params,
            meta={
                **window,
                "title": title,
                "stages": dict(result.stages),
                "seconds": seconds,
                "notes": list(result.notes),
                "frames": ids,
                "report": {**report_params, "history_days_shown": days_shown},
            },
        )


def render_stored_plan(storage: Storage, plan: FrameRecord) -> str:
    """The plan's ``report.html`` rendered from its stored frames (see :func:`store_plan`)."""
    from planner.report import render_report

    meta = plan.meta
    ids: dict[str, str] = meta["frames"]
    parts: dict[str, Any] = {
        parameter: storage.load_frame(ids[label])
        for parameter, label in REPORT_FRAMES.items()
        if label in ids
    }
    zone = meta.get("timezone")
    begin, end = pd.Timestamp(meta["start"]), pd.Timestamp(meta["end"])
    if zone:
        begin, end = begin.tz_convert(zone), end.tz_convert(zone)
    report = meta["report"]
    return render_report(
        title=meta["title"],
        window=(begin, end),
        model=report["model"],
        service_level_target=report["service_level_target"],
        max_abandon_rate=report["max_abandon_rate"],
        stages=meta["stages"],
        notes=meta["notes"],
        history_days_shown=int(report["history_days_shown"]),
        **parts,
    )


def plan_job(context: JobContext) -> dict[str, Any]:
    """Run ``planner.pipeline.run_plan`` on a stored history and store the plan.

    The schedule's CP-SAT time per week is the applied limit (request or config, capped by
    ``PLANNER_MAX_SOLVER_SECONDS``) and its threads at most the machine's cores; the whole run
    fails once it passes ``PLANNER_MAX_FIT_SECONDS + weeks x`` that limit (checked at each
    progress report, where cancel is checked too).
    """
    from planner.config import parse_config
    from planner.pipeline import run_plan

    params = context.params
    storage = context.storage
    history_id = params["history_id"]
    record = storage.get_frame(history_id, kind="history")
    if record is None:
        raise InputError(f"history_id: no history upload {history_id!r}")
    history = storage.load_frame(history_id)
    refuse_server_paths(params["config"])
    config = parse_config(params["config"], source="config")
    solver_seconds = float(params["solver_time_limit_seconds_applied"])
    workers = config.schedule.num_workers
    if workers is not None:
        workers = min(int(workers), os.cpu_count() or 1)
    config = replace(
        config,
        schedule=replace(config.schedule, time_limit_seconds=solver_seconds, num_workers=workers),
    )
    weeks = int(params["weeks"])
    budget = float(context.settings.max_fit_seconds) + weeks * solver_seconds
    name = params.get("name") or f"plan of {record.name}"
    with tempfile.TemporaryDirectory(prefix="planner-plan-") as folder:
        result = run_plan(
            history,
            config,
            start=params.get("start"),
            weeks=weeks,
            out_dir=Path(folder),
            progress=_budgeted(context, budget),
            title=name,
        )
        summary = json.loads((Path(folder) / "plan_summary.json").read_text(encoding="utf-8"))
    forecast = result.frames.get("forecast")
    zone = str(forecast["interval_start"].dt.tz) if forecast is not None else None
    t = config.targets
    with context.storing():
        plan = store_plan(
            storage,
            result,
            history_id=history_id,
            name=name,
            title=name,
            window={
                "start": summary["start"],
                "end": summary["end"],
                "weeks": int(summary["weeks"]),
                "interval_minutes": int(summary["interval_minutes"]),
                "timezone": zone,
            },
            report_params={
                "model": t.model,
                "service_level_target": t.service_level_target,
                "max_abandon_rate": t.max_abandon_rate,
            },
            params={k: v for k, v in params.items() if k != "name"},
        )
    return {
        "plan_id": plan.id,
        "stages": dict(result.stages),
        "frames": len(plan.meta["frames"]),
        "seconds": round(sum(result.seconds.values()), 3),
    }
