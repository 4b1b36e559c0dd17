"""Staffing: agents required per interval (``planner.staffing.required_agents``, synchronous)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from api.convert import frame_info, frame_records, model_response, rows_frame
from api.deps import SettingsDep, StorageDep, check_rows
from api.errors import planner_errors_at
from api.schemas.common import ErrorMessage, FrameInfo
from api.schemas.staffing import StaffingOut, StaffingRequest
from planner.schema import REQUIREMENT_COLUMNS
from planner.staffing import StaffingTargets, required_agents
from planner.storage import Storage

router = APIRouter(prefix="/staffing", tags=["staffing"])

RequirementsId = Annotated[
    str, Path(min_length=1, max_length=64, description="Requirement set id.")
]


@router.post(
    "",
    response_model=StaffingOut,
    status_code=201,
    responses={404: {"model": ErrorMessage}},
    summary="Agents required per interval (Erlang C / A), stored as a requirement set",
)
def staff(body: StaffingRequest, storage: StorageDep, settings: SettingsDep) -> Response:
    """The smallest productive staffing meeting every target in every interval, grossed up for
    shrinkage, with the KPIs at that staffing. Synchronous: a week of 15-minute intervals
    answers in milliseconds (see bench/bench_api_load.py)."""
    parent_id = None
    if body.rows is not None:
        check_rows(len(body.rows), "rows", settings)
        columns = ("queue", "interval_start", "calls_forecast", "aht_seconds_forecast")
        forecast = rows_frame(body.rows, columns, body.timezone)
        where = "rows"
    else:
        assert body.forecast_id is not None
        if storage.get_frame(body.forecast_id, kind="forecast") is None:
            raise HTTPException(
                status_code=404, detail=f"forecast_id: no forecast {body.forecast_id!r}"
            )
        forecast = storage.load_frame(body.forecast_id)
        if body.timezone is not None:
            forecast["interval_start"] = forecast["interval_start"].dt.tz_convert(body.timezone)
        parent_id, where = body.forecast_id, "forecast"
    with planner_errors_at("body", where):
        targets = StaffingTargets(
            service_level_target=body.service_level_target,
            answer_target_seconds=body.answer_target_seconds,
            max_asa_seconds=body.max_asa_seconds,
            max_abandon_rate=body.max_abandon_rate,
            max_occupancy=body.max_occupancy,
        )
        requirements = required_agents(
            forecast,
            targets,
            model=body.model,
            patience_seconds=body.patience_seconds,
            shrinkage=body.shrinkage,
            min_agents=body.min_agents,
            interval_minutes=body.interval_minutes,
        )
    record = storage.save_frame(
        "requirements",
        requirements,
        name=body.name or "requirements",
        parent_id=parent_id,
        interval_minutes=body.interval_minutes,
        params=body.model_dump(exclude={"rows", "name"}),
        meta={},
    )
    payload = {
        "requirements": frame_info(record),
        "rows": frame_records(requirements, REQUIREMENT_COLUMNS),
    }
    return model_response(StaffingOut, payload, 201)


def _record(requirements_id: str, storage: Storage) -> Any:
    record = storage.get_frame(requirements_id, kind="requirements")
    if record is None:
        raise HTTPException(
            status_code=404, detail=f"requirements_id: no requirement set {requirements_id!r}"
        )
    return record


@router.get("", response_model=list[FrameInfo], summary="List requirement sets, newest first")
def list_requirements(
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FrameInfo]:
    """Metadata of stored requirement sets."""
    return [frame_info(r) for r in storage.list_frames("requirements", limit=limit, offset=offset)]


@router.get(
    "/{requirements_id}",
    response_model=StaffingOut,
    responses={404: {"model": ErrorMessage}},
    summary="A stored requirement set with its rows",
)
def get_requirements(requirements_id: RequirementsId, storage: StorageDep) -> Response:
    """Metadata and every row of one requirement set."""
    record = _record(requirements_id, storage)
    frame = storage.load_frame(requirements_id)
    payload = {
        "requirements": frame_info(record),
        "rows": frame_records(frame, REQUIREMENT_COLUMNS),
    }
    return model_response(StaffingOut, payload)
