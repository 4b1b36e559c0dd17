"""Forecast against actual with ``planner.accuracy.forecast_accuracy`` (synchronous)."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Query

from api.convert import frame_info, frame_records
from api.deps import StorageDep
from api.errors import planner_errors_at
from api.schemas.accuracy import AccuracyOut, AccuracyRequest, PeriodAccuracyRow, ScoreRow
from api.schemas.common import ErrorMessage, FrameInfo
from planner.accuracy import DECOMPOSITION_COLUMNS, SCORE_COLUMNS, forecast_accuracy
from planner.storage import Storage

router = APIRouter(prefix="/accuracy", tags=["accuracy"])

AccuracyId = Annotated[str, Path(min_length=1, max_length=64, description="Accuracy report id.")]


def _load(storage: Storage, frame_id: str, kind: str, field: str) -> pd.DataFrame:
    if storage.get_frame(frame_id, kind=kind) is None:
        raise HTTPException(status_code=404, detail=f"{field}: no {kind} {frame_id!r}")
    return storage.load_frame(frame_id)


def _periods(frame: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    rows = frame_records(frame, tuple(frame.columns))
    for row in rows:
        row["period"] = str(row.pop(key))
    return rows


@router.post(
    "",
    response_model=AccuracyOut,
    status_code=201,
    responses={404: {"model": ErrorMessage}},
    summary="Forecast against actual (and planned against achieved with a roster)",
)
def accuracy(body: AccuracyRequest, storage: StorageDep) -> AccuracyOut:
    """WAPE, bias and MASE per interval, day and week; with a roster, each day's service-level
    miss split into volume, AHT and staffing effects."""
    forecast = _load(storage, body.forecast_id, "forecast", "forecast_id")
    actuals = _load(storage, body.history_id, "history", "history_id")
    agents = None
    if body.roster_id is not None:
        roster = storage.get_frame(body.roster_id, kind="roster")
        if roster is None or not roster.meta.get("coverage_id"):
            raise HTTPException(status_code=404, detail=f"roster_id: no roster {body.roster_id!r}")
        agents = storage.load_frame(roster.meta["coverage_id"])[
            ["queue", "interval_start", "agents_scheduled"]
        ]
    with planner_errors_at("body"):
        report = forecast_accuracy(
            forecast,
            actuals,
            agents=agents,
            shrinkage=body.shrinkage,
            model=body.model,
            patience_seconds=body.patience_seconds,
            answer_target_seconds=body.answer_target_seconds,
            interval_minutes=body.interval_minutes,
            source="history",
        )
    planned = report.planned_vs_achieved
    record = storage.save_frame(
        "accuracy",
        report.intervals,
        name=body.name or "accuracy",
        parent_id=body.forecast_id,
        interval_minutes=report.interval_minutes,
        params=body.model_dump(exclude={"name"}),
        meta={
            "scores": frame_records(report.scores, SCORE_COLUMNS),
            "daily": _periods(report.daily, "day"),
            "weekly": _periods(report.weekly, "week_start"),
            "planned_vs_achieved": (
                None
                if planned is None
                else [
                    {**r, "day": str(r["day"])}
                    for r in frame_records(planned, DECOMPOSITION_COLUMNS)
                ]
            ),
            "notes": list(report.notes),
        },
    )
    return _accuracy_out(record.id, storage)


def _accuracy_out(accuracy_id: str, storage: Storage) -> AccuracyOut:
    record = storage.get_frame(accuracy_id, kind="accuracy")
    if record is None:
        raise HTTPException(
            status_code=404, detail=f"accuracy_id: no accuracy report {accuracy_id!r}"
        )
    meta = record.meta
    return AccuracyOut(
        accuracy=frame_info(record),
        interval_minutes=record.interval_minutes or 0,
        scores=[ScoreRow(**r) for r in meta["scores"]],
        daily=[PeriodAccuracyRow(**r) for r in meta["daily"]],
        weekly=[PeriodAccuracyRow(**r) for r in meta["weekly"]],
        planned_vs_achieved=meta["planned_vs_achieved"],
        notes=meta["notes"],
    )


@router.get("", response_model=list[FrameInfo], summary="List accuracy reports, newest first")
def list_accuracy(
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FrameInfo]:
    """Metadata of stored accuracy reports."""
    return [frame_info(r) for r in storage.list_frames("accuracy", limit=limit, offset=offset)]


@router.get(
    "/{accuracy_id}",
    response_model=AccuracyOut,
    responses={404: {"model": ErrorMessage}},
    summary="A stored accuracy report",
)
def get_accuracy(accuracy_id: AccuracyId, storage: StorageDep) -> AccuracyOut:
    """Scores, daily and weekly accuracy, planned against achieved and notes."""
    return _accuracy_out(accuracy_id, storage)
