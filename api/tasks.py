"""Job functions: each loads its inputs from the store, calls one planner stage, stores outputs.

:func:`build_registry` returns the job kinds this server can run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from api.jobs import JobContext, JobFunction
from api.plans import plan_job
from planner.errors import InputError

__all__ = [
    "build_registry",
    "forecast_job",
    "scenarios_job",
    "schedule_job",
    "time_limited",
]


def time_limited(
    context: JobContext, seconds: float, what: str, setting: str
) -> Callable[[str, int, int], None]:
    """The job's progress callback, failing the job once ``seconds`` of wall clock have passed.

    The check runs at each progress report of the stage, so a stage stops at its first report
    after the budget is spent.
    """
    deadline = time.monotonic() + seconds

    def progress(description: str, done: int, total: int) -> None:
        if time.monotonic() > deadline:
            raise InputError(
                f"time_limit_seconds: {what} ran over its budget of {seconds:g} s "
                f"(the request's time_limit_seconds, capped by {setting}); expected a shorter "
                "horizon, fewer methods or a larger limit"
            )
        context.progress(description, done, total)

    return progress


def _json_float(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def forecast_job(context: JobContext) -> dict[str, Any]:
    """Forecast a stored history queue by queue and store the forecast.

    Runs ``planner.parallel_forecast.forecast_per_queue`` (the backend of ``planner forecast
    --workers/--dask``) on the server's ``PLANNER_WORKERS`` / ``PLANNER_DASK_ADDRESS`` (see
    :mod:`api.config`). The time budget and cancel are checked at each progress report (after each
    queue in the job's thread, after each chunk of queues on a pool or cluster). A queue that fails
    is listed in the result's ``failed_queues`` (queue, error type, message) and the others'
    forecasts are stored; when every queue fails alike the job fails with that error, and when
    no queue succeeds it fails naming each queue.
    """
    from planner.forecast import AUTO_CANDIDATES
    from planner.parallel import default_workers, resolve_workers
    from planner.parallel_forecast import forecast_per_queue, forecast_queue_seconds

    params = context.params
    settings = context.settings
    try:
        history = context.storage.load_frame(params["history_id"])
    except KeyError:
        raise InputError(f"history_id: no history upload {params['history_id']!r}") from None
    progress = time_limited(
        context,
        float(params["time_limit_seconds_applied"]),
        "the forecast fit",
        "PLANNER_MAX_FIT_SECONDS",
    )
    candidates = tuple(params["candidates"] or AUTO_CANDIDATES)
    workers = None
    if settings.dask_address is None:
        workers = resolve_workers(
            settings.workers,
            int(history["queue"].nunique()),
            queue_seconds_estimate=forecast_queue_seconds(
                history, params["method"], candidates, int(params["auto_origins"])
            ),
            cores=max(1, default_workers() // settings.job_workers),
        )
    scaled = forecast_per_queue(
        history,
        int(params["horizon_days"]),
        method=params["method"],
        candidates=candidates,
        auto_origins=int(params["auto_origins"]),
        country_holidays=params["country_holidays"],
        seed=int(params["seed"]),
        workers=workers,
        dask_address=settings.dask_address,
        progress=progress,
    )
    if scaled.run.failures and len(scaled.run.failures) == len(scaled.run.queues):
        scaled.run.raise_for_failures()  # nothing to store: fail naming every queue
    run = scaled.forecast
    failed = [
        {"queue": f.queue, "error_type": f.error_type, "message": f.message}
        for f in scaled.run.failures
    ]
    choices = [
        {
            "queue": c.queue,
            "method": c.method,
            "reason": c.reason,
            "scores": {
                m: {h: _json_float(v) for h, v in by_h.items()} for m, by_h in c.scores.items()
            },
        }
        for c in run.choices
    ]
    history_record = context.storage.get_frame(params["history_id"])
    with context.storing():
        record = context.storage.save_frame(
            "forecast",
            run.frame,
            name=params["name"]
            or f"forecast of {history_record.name if history_record else params['history_id']}",
            parent_id=params["history_id"] if history_record else None,
            interval_minutes=history_record.interval_minutes if history_record else None,
            params={k: v for k, v in params.items() if k != "name"},
            meta={"choices": choices, "failed_queues": failed},
        )
    return {
        "forecast_id": record.id,
        "rows": record.n_rows,
        "queues": len(scaled.run.queues),
        "failed_queues": failed,
        "backend": scaled.run.backend,
        "workers": scaled.run.workers,
        "seconds": round(scaled.run.wall_seconds, 3),
    }


def schedule_job(context: JobContext) -> dict[str, Any]:
    """Solve a roster with ``planner.scheduling.build_roster`` and store roster and coverage."""
    import pandas as pd

    from planner.scheduling import build_roster, parse_rules

    params = context.params
    rules = parse_rules(params["rules"], source="rules")
    requirements = pd.DataFrame.from_records(params["requirements"])
    requirements["interval_start"] = pd.to_datetime(
        requirements["interval_start"], format="ISO8601", utc=True
    )
    # the centre's clock: its IANA zone when given, else the first row's UTC offset
    zone = (
        params.get("timezone")
        or datetime.fromisoformat(params["requirements"][0]["interval_start"]).tzinfo
    )
    requirements["interval_start"] = requirements["interval_start"].dt.tz_convert(zone)
    result = build_roster(
        requirements,
        rules,
        time_limit_seconds=float(params["time_limit_seconds_applied"]),
        seed=int(params["seed"]),
        method=params["method"],
        progress=context.progress,
    )
    storage = context.storage
    name = params["name"] or "roster"
    summary = result.summary.to_dict()
    # roster and coverage are stored together or not at all
    with context.storing():
        coverage = storage.save_frame(
            "coverage", result.coverage, name=f"{name} coverage", params={}, meta={}
        )
        roster = storage.save_frame(
            "roster",
            result.roster,
            name=name,
            params={k: v for k, v in params.items() if k not in ("requirements", "name")},
            meta={"summary": summary, "coverage_id": coverage.id},
        )
    return {"roster_id": roster.id, "coverage_id": coverage.id, "status": summary.get("status")}


def scenarios_job(context: JobContext) -> dict[str, Any]:
    """Run ``planner.scenarios.run_scenarios`` over a stored forecast; store the comparison."""
    from api.convert import frame_records
    from planner.scenarios import run_scenarios, scenario_from_mapping

    params = context.params
    storage = context.storage
    try:
        forecast = storage.load_frame(params["forecast_id"])
    except KeyError:
        raise InputError(f"forecast_id: no forecast {params['forecast_id']!r}") from None
    current = None
    if params["roster_id"]:
        roster = storage.get_frame(params["roster_id"], kind="roster")
        if roster is None or not roster.meta.get("coverage_id"):
            raise InputError(f"roster_id: no roster {params['roster_id']!r}")
        coverage = storage.load_frame(roster.meta["coverage_id"])
        current = coverage[["queue", "interval_start", "agents_scheduled"]]
    rules = None
    if params["rules"] is not None:
        from planner.scheduling import parse_rules

        rules = parse_rules(params["rules"], source="rules")
    scenarios = [
        scenario_from_mapping({k: v for k, v in s.items() if v is not None}, source="scenarios")
        for s in params["scenarios"]
    ]
    comparison = run_scenarios(
        forecast,
        scenarios,
        current_agents=current,
        shrinkage=params["shrinkage"],
        service_level_target=params["service_level_target"],
        answer_target_seconds=params["answer_target_seconds"],
        max_abandon_rate=params["max_abandon_rate"],
        patience_seconds=params["patience_seconds"],
        model=params["model"],
        cost_per_agent_hour=params["cost_per_agent_hour"],
        headcount=params["headcount"],
        rules=rules,
        schedule_time_limit_seconds=float(params["schedule_time_limit_seconds_applied"]),
        seed=int(params["seed"]),
        include_baseline=bool(params["include_baseline"]),
        interval_minutes=params["interval_minutes"],
        progress=context.progress,
    )

    def periods(frame: Any, key: str) -> list[dict[str, Any]]:
        rows = frame_records(frame, tuple(frame.columns))
        for row in rows:
            row[key] = str(row[key])
        return rows

    with context.storing():
        record = storage.save_frame(
            "scenario",
            comparison.summary,
            name=params["name"] or "scenarios",
            parent_id=params["forecast_id"],
            params={k: v for k, v in params.items() if k not in ("name", "rules")},
            meta={
                "daily": periods(comparison.daily, "day"),
                "weekly": periods(comparison.weekly, "week_start"),
                "notes": list(comparison.notes),
            },
        )
    return {"comparison_id": record.id, "scenarios": len(comparison.evaluations)}


def build_registry() -> dict[str, JobFunction]:
    """Job kinds available on this server, by name."""
    return {
        "forecast": forecast_job,
        "schedule": schedule_job,
        "scenarios": scenarios_job,
        "plan": plan_job,  # the whole pipeline (planner.pipeline.run_plan)
    }
