"""What-if scenarios with ``planner.scenarios.run_scenarios``, as jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from api.convert import frame_info, job_out
from api.deps import RunnerDep, SettingsDep, StorageDep
from api.routes.schedules import check_rules
from api.schemas.common import ErrorMessage, FrameInfo, JobOut
from api.schemas.scenarios import ScenarioOut, ScenarioRequest, ScenarioSummaryRow

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

ComparisonId = Annotated[str, Path(min_length=1, max_length=64, description="Comparison id.")]


@router.post(
    "",
    response_model=JobOut,
    status_code=202,
    responses={404: {"model": ErrorMessage}},
    summary="Run what-if scenarios over a stored forecast (job)",
)
def start_scenarios(
    body: ScenarioRequest, storage: StorageDep, runner: RunnerDep, settings: SettingsDep
) -> JobOut:
    """202 with a job; ``result.comparison_id`` names the stored comparison. With ``rules`` each
    re-staffed scenario is rostered (CP-SAT, ``min(schedule_time_limit_seconds,
    PLANNER_MAX_SOLVER_SECONDS)`` each)."""
    if storage.get_frame(body.forecast_id, kind="forecast") is None:
        raise HTTPException(
            status_code=404, detail=f"forecast_id: no forecast {body.forecast_id!r}"
        )
    if body.roster_id is not None:
        roster = storage.get_frame(body.roster_id, kind="roster")
        if roster is None or not roster.meta.get("coverage_id"):
            raise HTTPException(status_code=404, detail=f"roster_id: no roster {body.roster_id!r}")
    names = [s.name for s in body.scenarios] + (["baseline"] if body.include_baseline else [])
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise HTTPException(
            status_code=422,
            detail=[
                {
                    "loc": ["body", "scenarios"],
                    "msg": (
                        "scenarios: names must be unique (baseline included), "
                        f"got {duplicated} twice"
                    ),
                    "type": "value_error",
                }
            ],
        )
    if body.rules is not None:
        check_rules(body.rules)
    params = body.model_dump(mode="json")
    params["schedule_time_limit_seconds_applied"] = min(
        body.schedule_time_limit_seconds, float(settings.max_solver_seconds)
    )
    return job_out(runner.submit("scenarios", params))


@router.get("", response_model=list[FrameInfo], summary="List scenario comparisons, newest first")
def list_scenarios(
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FrameInfo]:
    """Metadata of stored comparisons."""
    return [frame_info(r) for r in storage.list_frames("scenario", limit=limit, offset=offset)]


@router.get(
    "/{comparison_id}",
    response_model=ScenarioOut,
    responses={404: {"model": ErrorMessage}},
    summary="A stored scenario comparison",
)
def get_scenarios(comparison_id: ComparisonId, storage: StorageDep) -> ScenarioOut:
    """Summary per scenario and queue, daily and weekly KPIs, and notes."""
    record = storage.get_frame(comparison_id, kind="scenario")
    if record is None:
        raise HTTPException(
            status_code=404, detail=f"comparison_id: no comparison {comparison_id!r}"
        )
    from api.convert import frame_records
    from planner.scenarios import SUMMARY_COLUMNS

    summary = storage.load_frame(comparison_id)
    return ScenarioOut(
        comparison=frame_info(record),
        summary=[ScenarioSummaryRow(**r) for r in frame_records(summary, SUMMARY_COLUMNS)],
        daily=record.meta["daily"],
        weekly=record.meta["weekly"],
        notes=record.meta["notes"],
    )
