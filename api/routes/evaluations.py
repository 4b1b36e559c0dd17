"""Evaluations: predicted KPIs of a plan with ``planner.evaluate.evaluate_plan`` (synchronous)."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from api.convert import frame_info, frame_records, model_response, rows_frame
from api.deps import SettingsDep, StorageDep, check_rows
from api.errors import planner_errors_at
from api.schemas.common import ErrorMessage, FrameInfo
from api.schemas.evaluations import EvaluationOut, EvaluationRequest
from planner.evaluate import EVALUATION_COLUMNS, PERIOD_COLUMNS, evaluate_plan
from planner.storage import Storage

router = APIRouter(prefix="/evaluations", tags=["evaluations"])

EvaluationId = Annotated[str, Path(min_length=1, max_length=64, description="Evaluation id.")]


def _periods(frame: pd.DataFrame, key: str | None) -> list[dict[str, Any]]:
    columns = ("queue",) + ((key,) if key else ()) + PERIOD_COLUMNS
    rows = frame_records(frame, columns)
    for row in rows:
        row["period"] = str(row.pop(key)) if key else None
    return rows


@router.post(
    "",
    response_model=EvaluationOut,
    status_code=201,
    responses={404: {"model": ErrorMessage}},
    summary="Predict the KPIs of a plan (Erlang C / A)",
)
def evaluate(body: EvaluationRequest, storage: StorageDep, settings: SettingsDep) -> Response:
    """Service level, ASA, abandonment, occupancy per interval, day, week and in total.

    Days and weeks of the aggregates are counted in ``timezone`` (UTC when omitted); a stored
    forecast keeps its own time zone.
    """
    parent_id = None
    if body.rows is not None:
        check_rows(len(body.rows), "rows", settings)
        columns = (
            "queue",
            "interval_start",
            "calls_forecast",
            "aht_seconds_forecast",
            "agents_scheduled",
        )
        forecast, agents, where = (
            rows_frame(body.rows, columns, body.timezone),
            "agents_scheduled",
            "rows",
        )
    else:
        assert body.forecast_id is not None and body.coverage is not None
        check_rows(len(body.coverage), "coverage", settings)
        if storage.get_frame(body.forecast_id, kind="forecast") is None:
            raise HTTPException(
                status_code=404, detail=f"forecast_id: no forecast {body.forecast_id!r}"
            )
        forecast = storage.load_frame(body.forecast_id)
        coverage = rows_frame(
            body.coverage,
            ("queue", "interval_start", "agents_scheduled"),
            str(forecast["interval_start"].dt.tz),
        )
        agents, where, parent_id = coverage, "forecast", body.forecast_id
    with planner_errors_at("body"):
        result = evaluate_plan(
            forecast,
            agents,
            shrinkage=body.shrinkage,
            model=body.model,
            patience_seconds=body.patience_seconds,
            answer_target_seconds=body.answer_target_seconds,
            service_level_target=body.service_level_target,
            max_abandon_rate=body.max_abandon_rate,
            interval_minutes=body.interval_minutes,
            name=where,
        )
    params = body.model_dump(exclude={"rows", "coverage", "name"})
    params["model"] = result.model
    record = storage.save_frame(
        "evaluation",
        result.intervals,
        name=body.name or "evaluation",
        parent_id=parent_id,
        interval_minutes=result.interval_minutes,
        params=params,
        meta={
            "model": result.model,
            "totals": _periods(result.totals, None),
            "weekly": _periods(result.weekly, "week_start"),
            "daily": _periods(result.daily, "day"),
            "intervals_missing_target": len(result.missing_target),
        },
    )
    return model_response(
        EvaluationOut, _evaluation_payload(record.id, storage, result.intervals), 201
    )


def _evaluation_payload(
    evaluation_id: str, storage: Storage, intervals: pd.DataFrame | None = None
) -> dict[str, Any]:
    record = storage.get_frame(evaluation_id, kind="evaluation")
    if record is None:
        raise HTTPException(
            status_code=404, detail=f"evaluation_id: no evaluation {evaluation_id!r}"
        )
    if intervals is None:
        intervals = storage.load_frame(evaluation_id)
    return {
        "evaluation": frame_info(record),
        "model": record.meta["model"],
        "interval_minutes": record.interval_minutes or 0,
        "totals": record.meta["totals"],
        "weekly": record.meta["weekly"],
        "daily": record.meta["daily"],
        "intervals_missing_target": record.meta["intervals_missing_target"],
        "intervals": frame_records(intervals, EVALUATION_COLUMNS),
    }


@router.get("", response_model=list[FrameInfo], summary="List evaluations, newest first")
def list_evaluations(
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FrameInfo]:
    """Metadata of stored evaluations."""
    return [frame_info(r) for r in storage.list_frames("evaluation", limit=limit, offset=offset)]


@router.get(
    "/{evaluation_id}",
    response_model=EvaluationOut,
    responses={404: {"model": ErrorMessage}},
    summary="A stored evaluation",
)
def get_evaluation(evaluation_id: EvaluationId, storage: StorageDep) -> Response:
    """The stored evaluation with its per-interval KPIs and aggregates."""
    return model_response(EvaluationOut, _evaluation_payload(evaluation_id, storage))
