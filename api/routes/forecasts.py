"""Forecasts: fit on a stored history as a job (202), then read the stored forecast version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from api.convert import frame_info, frame_records, job_out
from api.deps import RunnerDep, SettingsDep, StorageDep
from api.schemas.common import ErrorMessage, FrameInfo, JobOut
from api.schemas.forecasts import (
    ForecastOut,
    ForecastRequest,
    ForecastRow,
    ForecastRowsOut,
    MethodChoiceOut,
)
from planner.schema import FORECAST_COLUMNS
from planner.storage import Storage

router = APIRouter(prefix="/forecasts", tags=["forecasts"])

ForecastId = Annotated[str, Path(min_length=1, max_length=64, description="Forecast id.")]


@router.post(
    "",
    response_model=JobOut,
    status_code=202,
    responses={404: {"model": ErrorMessage}},
    summary="Forecast a stored history (job)",
)
def start_forecast(
    body: ForecastRequest, storage: StorageDep, runner: RunnerDep, settings: SettingsDep
) -> JobOut:
    """202 with a job; when it succeeds its ``result.forecast_id`` names the stored forecast.

    The history is forecast queue by queue on the server's ``PLANNER_WORKERS`` /
    ``PLANNER_DASK_ADDRESS`` (see :mod:`api.config`). ``result.failed_queues`` lists the queues
    whose forecast failed (queue, error type, message); the other queues' forecasts are stored.

    The fit's wall-clock budget is ``min(time_limit_seconds, PLANNER_MAX_FIT_SECONDS)``; the job
    fails with a message naming the limit when the fit runs over it.
    """
    if storage.get_frame(body.history_id, kind="history") is None:
        raise HTTPException(
            status_code=404, detail=f"history_id: no history upload {body.history_id!r}"
        )
    requested = body.time_limit_seconds or float(settings.max_fit_seconds)
    params = body.model_dump()
    params["time_limit_seconds_applied"] = min(requested, float(settings.max_fit_seconds))
    return job_out(runner.submit("forecast", params))


def _forecast_out(forecast_id: str, storage: Storage) -> ForecastOut:
    record = storage.get_frame(forecast_id, kind="forecast")
    if record is None:
        raise HTTPException(status_code=404, detail=f"forecast_id: no forecast {forecast_id!r}")
    return ForecastOut(
        forecast=frame_info(record),
        choices=[MethodChoiceOut(**c) for c in record.meta.get("choices", [])],
    )


@router.get("", response_model=list[FrameInfo], summary="List forecasts, newest first")
def list_forecasts(
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FrameInfo]:
    """Metadata of stored forecast versions."""
    return [frame_info(r) for r in storage.list_frames("forecast", limit=limit, offset=offset)]


@router.get(
    "/{forecast_id}",
    response_model=ForecastOut,
    responses={404: {"model": ErrorMessage}},
    summary="A forecast's metadata and method choices",
)
def get_forecast(forecast_id: ForecastId, storage: StorageDep) -> ForecastOut:
    """Metadata of one forecast version and the method chosen per queue."""
    return _forecast_out(forecast_id, storage)


@router.get(
    "/{forecast_id}/rows",
    response_model=ForecastRowsOut,
    responses={404: {"model": ErrorMessage}},
    summary="A page of a forecast's rows",
)
def get_forecast_rows(
    forecast_id: ForecastId,
    storage: StorageDep,
    queue: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> ForecastRowsOut:
    """Rows sorted by (queue, interval_start), optionally one queue only."""
    _forecast_out(forecast_id, storage)
    frame = storage.load_frame(forecast_id)
    if queue is not None:
        frame = frame[frame["queue"] == queue]
    page = frame.iloc[offset : offset + limit]
    return ForecastRowsOut(
        forecast_id=forecast_id,
        total=len(frame),
        offset=offset,
        rows=[ForecastRow(**r) for r in frame_records(page, FORECAST_COLUMNS)],
    )
