"""Plans: the whole pipeline (``planner plan``) on a stored history as a job, and its report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import HTMLResponse, Response

from api.convert import frame_info, frame_records, job_out
from api.deps import RunnerDep, SettingsDep, StorageDep
from api.errors import LocatedPlannerError, planner_errors_at
from api.plans import refuse_server_paths, render_stored_plan
from api.routes.schedules import MAX_AGENTS
from api.schemas.common import ErrorMessage, FrameInfo, JobOut
from api.schemas.plans import PlanFrameRowsOut, PlanOut, PlanRequest, PlanStage
from planner.errors import ConfigError, PlannerError
from planner.storage import FrameRecord, Storage

router = APIRouter(prefix="/plans", tags=["plans"])

PlanId = Annotated[str, Path(min_length=1, max_length=64, description="Plan id (job result).")]
FrameName = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="Output name as listed in the plan's frames, e.g. roster.",
        examples=["roster"],
    ),
]


MAX_DAYS_AHEAD = 56
"""Latest plan start a request may ask for, in days after the history's last day."""

CONFIG_LIMITS: dict[tuple[str, str], int] = {
    ("forecast", "auto_origins"): 52,
    ("forecast", "seed"): 2**31 - 1,
    ("staffing", "min_agents"): 100_000,
    ("schedule", "num_workers"): 64,
    ("schedule", "seed"): 2**31 - 1,
    ("simulation", "replications"): 1_000,
    ("simulation", "seed"): 2**31 - 1,
}
"""Upper bounds the server puts on the plan file's whole numbers that the file format leaves
open (the parser checks their lower bounds and types)."""


def _check_limits(config: dict[str, Any]) -> None:
    for (table, key), high in CONFIG_LIMITS.items():
        part = config.get(table)
        value = part.get(key) if isinstance(part, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and value > high:
            raise LocatedPlannerError(
                f"config.{table}.{key}: must be at most {high} in a request, got {value}",
                ("body", "config", table, key),
            )
    scenarios = config.get("scenarios")
    custom = scenarios.get("custom") if isinstance(scenarios, dict) else None
    if isinstance(custom, list) and len(custom) > 20:
        raise LocatedPlannerError(
            f"config.scenarios.custom: at most 20 scenarios in a request, got {len(custom)}",
            ("body", "config", "scenarios", "custom"),
        )


def _check_start(start: dt.date, history: pd.DataFrame, timezone: str | None) -> None:
    """422 naming ``start`` unless the plan starts after the history's first local day and at
    most :data:`MAX_DAYS_AHEAD` days after its last (the forecast horizon stays bounded)."""
    stamps = history["interval_start"]
    if timezone is not None:
        stamps = stamps.dt.tz_convert(timezone)
    first, last = stamps.min().date(), stamps.max().date()
    if start <= first:
        raise LocatedPlannerError(
            f"start: must be after the history's first day {first} (the forecast learns from the "
            f"days before the plan), got {start}",
            ("body", "start"),
        )
    if start > last + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise LocatedPlannerError(
            f"start: must be at most {MAX_DAYS_AHEAD} days after the history's last day {last}, "
            f"got {start}",
            ("body", "start"),
        )


def _check_config(config: dict[str, Any]) -> None:
    """422 naming the key unless ``config`` is a plan file the server may run."""
    try:
        refuse_server_paths(config)
    except PlannerError as error:
        raise LocatedPlannerError(
            str(error), ("body", "config", "schedule", "rules_file")
        ) from None
    _check_limits(config)
    from planner.config import parse_config

    with planner_errors_at("body", "config"):
        schedule = config.get("schedule")
        rules = schedule.get("rules") if isinstance(schedule, dict) else None
        groups = rules.get("agent_groups") if isinstance(rules, dict) else None
        if isinstance(groups, list):
            counts = [g.get("count") for g in groups if isinstance(g, dict)]
            total = sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool))
            if total > MAX_AGENTS:
                raise ConfigError(
                    "config.schedule.rules.agent_groups: count must add up to at most "
                    f"{MAX_AGENTS} agents per request, got {total}"
                )
        try:
            parse_config(config, source="config")
        except PlannerError:
            raise
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
            # the parser expects TOML-shaped values; JSON can send shapes it does not check
            raise ConfigError(
                f"config: not a valid plan file ({type(error).__name__}: {error}); expected the "
                "keys and value types of plan.toml (see `planner init`)"
            ) from None


@router.post(
    "",
    response_model=JobOut,
    status_code=202,
    responses={404: {"model": ErrorMessage}},
    summary="Run the whole pipeline on a stored history (job)",
)
def start_plan(
    body: PlanRequest, storage: StorageDep, runner: RunnerDep, settings: SettingsDep
) -> JobOut:
    """Forecast, staff, roster, evaluate, simulate, compare scenarios and check accuracy, as
    ``planner plan`` does; 202 with a job whose ``result.plan_id`` names the stored plan.

    The config is checked now (422 naming the key; ``schedule.rules_file`` is refused: rules go
    inline), and ``start`` must fall after the history's first day and at most 56 days after
    its last. The solver time per rostered week is ``min(solver_time_limit_seconds or
    config.schedule.time_limit_seconds, PLANNER_MAX_SOLVER_SECONDS)``.
    """
    if storage.get_frame(body.history_id, kind="history") is None:
        raise HTTPException(status_code=404, detail=f"history_id: no history {body.history_id!r}")
    _check_config(body.config)
    from planner.config import parse_config

    config = parse_config(body.config, source="config")
    if body.start is not None:
        _check_start(body.start, storage.load_frame(body.history_id), config.timezone)
    asked = body.solver_time_limit_seconds or float(config.schedule.time_limit_seconds)
    params = body.model_dump(mode="json")
    params["solver_time_limit_seconds_applied"] = min(asked, float(settings.max_solver_seconds))
    return job_out(runner.submit("plan", params))


def _plan(plan_id: str, storage: Storage) -> FrameRecord:
    record = storage.get_frame(plan_id, kind="plan")
    if record is None:
        raise HTTPException(status_code=404, detail=f"plan_id: no plan {plan_id!r}")
    return record


@router.get("", response_model=list[FrameInfo], summary="List plans, newest first")
def list_plans(
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FrameInfo]:
    """Metadata of stored plans."""
    return [frame_info(r) for r in storage.list_frames("plan", limit=limit, offset=offset)]


@router.get(
    "/{plan_id}",
    response_model=PlanOut,
    responses={404: {"model": ErrorMessage}},
    summary="A stored plan: summary, stages, notes and its frames",
)
def get_plan(plan_id: PlanId, storage: StorageDep) -> PlanOut:
    """The window's KPIs weighted by calls, each stage's state, the notes and the output ids."""
    record = _plan(plan_id, storage)
    meta = record.meta
    summary = storage.load_frame(plan_id)
    seconds = meta.get("seconds", {})
    return PlanOut(
        plan=frame_info(record),
        history_id=record.parent_id,
        start=meta["start"],
        end=meta["end"],
        weeks=meta["weeks"],
        interval_minutes=meta["interval_minutes"],
        summary=frame_records(summary, tuple(summary.columns)),
        stages=[
            PlanStage(stage=stage, state=state, seconds=seconds.get(stage))
            for stage, state in meta["stages"].items()
        ],
        notes=meta["notes"],
        frames=meta["frames"],
    )


@router.get(
    "/{plan_id}/frames/{name}",
    response_model=PlanFrameRowsOut,
    responses={404: {"model": ErrorMessage}},
    summary="A page of one of a plan's output frames",
)
def get_plan_frame(
    plan_id: PlanId,
    name: FrameName,
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> PlanFrameRowsOut:
    """Rows ``offset .. offset + limit`` of the output ``name`` (e.g. forecast, roster)."""
    record = _plan(plan_id, storage)
    frames: dict[str, str] = record.meta["frames"]
    if name not in frames:
        raise HTTPException(
            status_code=404,
            detail=f"name: plan {plan_id!r} has no frame {name!r}; it has {sorted(frames)}",
        )
    frame = storage.load_frame(frames[name])
    page = frame.iloc[offset : offset + limit]
    columns = tuple(str(c) for c in frame.columns)
    return PlanFrameRowsOut(
        plan_id=plan_id,
        name=name,
        frame_id=frames[name],
        columns=list(columns),
        total=len(frame),
        offset=offset,
        rows=frame_records(page, columns),
    )


@router.get(
    "/{plan_id}/report",
    response_class=Response,  # no media type of its own: 200 is text/html, errors JSON
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "The self-contained report.html.",
        },
        404: {"model": ErrorMessage},
    },
    summary="The plan's report.html",
)
def get_plan_report(plan_id: PlanId, storage: StorageDep) -> HTMLResponse:
    """The same self-contained report ``planner plan`` writes (plotly.js inlined; opens
    offline), rendered from the stored frames."""
    record = _plan(plan_id, storage)
    return HTMLResponse(render_stored_plan(storage, record))
