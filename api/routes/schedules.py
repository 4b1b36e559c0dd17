"""Schedules: weekly rosters with ``planner.scheduling.build_roster`` (CP-SAT) as jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from api.convert import frame_info, frame_records, job_out
from api.deps import RunnerDep, SettingsDep, StorageDep, check_rows
from api.errors import planner_errors_at
from api.schemas.common import ErrorMessage, FrameInfo, JobOut
from api.schemas.schedules import (
    CoverageOut,
    RosterRow,
    ScheduleOut,
    ScheduleRequest,
    ScheduleRowsOut,
)
from planner.errors import ConfigError
from planner.scheduling import parse_rules
from planner.scheduling.outputs import COVERAGE_COLUMNS, ROSTER_COLUMNS
from planner.storage import Storage

router = APIRouter(prefix="/schedules", tags=["schedules"])

RosterId = Annotated[str, Path(min_length=1, max_length=64, description="Roster id (job result).")]

MAX_AGENTS = 10_000
"""Most agents one rules object may declare (agent_groups counts included)."""


def check_rules(rules: dict[str, Any]) -> None:
    """Validate the rules object with the planner's parser (ConfigError names the key)."""
    with planner_errors_at("body", "rules"):
        groups = rules.get("agent_groups")
        if isinstance(groups, list):
            counts = [g.get("count") for g in groups if isinstance(g, dict)]
            total = sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool))
            if total > MAX_AGENTS:
                raise ConfigError(
                    f"rules: agent_groups count must add up to at most {MAX_AGENTS} agents "
                    f"per request, got {total}"
                )
        parse_rules(rules, source="rules")


@router.post(
    "",
    response_model=JobOut,
    status_code=202,
    summary="Build a weekly roster (job)",
)
def start_schedule(body: ScheduleRequest, runner: RunnerDep, settings: SettingsDep) -> JobOut:
    """Validate the rules now (422 naming the key), then solve as a job.

    The solver time is ``min(time_limit_seconds, PLANNER_MAX_SOLVER_SECONDS)``. When the job
    succeeds, ``result.roster_id`` names the stored roster. Cancel takes effect at the end of
    the current solver phase (CP-SAT is not interrupted mid-solve).
    """
    check_rows(len(body.requirements), "requirements", settings)
    check_rules(body.rules)
    params = body.model_dump(mode="json")
    params["time_limit_seconds_applied"] = min(
        body.time_limit_seconds, float(settings.max_solver_seconds)
    )
    return job_out(runner.submit("schedule", params))


def _schedule_out(roster_id: str, storage: Storage) -> ScheduleOut:
    record = storage.get_frame(roster_id, kind="roster")
    if record is None:
        raise HTTPException(status_code=404, detail=f"roster_id: no roster {roster_id!r}")
    return ScheduleOut(
        roster=frame_info(record),
        coverage_id=record.meta.get("coverage_id"),
        summary=record.meta.get("summary", {}),
    )


@router.get("", response_model=list[FrameInfo], summary="List rosters, newest first")
def list_schedules(
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FrameInfo]:
    """Metadata of stored rosters."""
    return [frame_info(r) for r in storage.list_frames("roster", limit=limit, offset=offset)]


@router.get(
    "/{roster_id}",
    response_model=ScheduleOut,
    responses={404: {"model": ErrorMessage}},
    summary="A roster's metadata and solver summary",
)
def get_schedule(roster_id: RosterId, storage: StorageDep) -> ScheduleOut:
    """Metadata, solver summary (status, cost, proven gap) and the coverage frame's id."""
    return _schedule_out(roster_id, storage)


@router.get(
    "/{roster_id}/rows",
    response_model=ScheduleRowsOut,
    responses={404: {"model": ErrorMessage}},
    summary="A page of a roster and its coverage",
)
def get_schedule_rows(
    roster_id: RosterId,
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> ScheduleRowsOut:
    """Roster rows (one per agent per worked day) and coverage rows (one per interval)."""
    out = _schedule_out(roster_id, storage)
    roster = storage.load_frame(roster_id)
    coverage = storage.load_frame(out.coverage_id) if out.coverage_id else roster.iloc[0:0]
    roster_page = roster.iloc[offset : offset + limit]
    coverage_page = coverage.iloc[offset : offset + limit]
    return ScheduleRowsOut(
        roster_id=roster_id,
        roster_total=len(roster),
        roster=[RosterRow(**r) for r in frame_records(roster_page, ROSTER_COLUMNS)],
        coverage_total=len(coverage) if out.coverage_id else 0,
        coverage=(
            [CoverageOut(**r) for r in frame_records(coverage_page, COVERAGE_COLUMNS)]
            if out.coverage_id
            else []
        ),
    )
