"""Conversions between stored records / frames and the API's response models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fastapi.responses import Response
from pydantic import BaseModel

from api.schemas.common import FrameInfo, JobOut, JobProgress
from planner.storage import FrameRecord, JobRecord

__all__ = ["frame_info", "frame_records", "job_out", "model_response", "rows_frame"]


def frame_info(record: FrameRecord) -> FrameInfo:
    """The response model of a stored frame's metadata."""
    return FrameInfo(
        id=record.id,
        kind=record.kind,
        name=record.name,
        parent_id=record.parent_id,
        created_at=record.created_at,
        n_rows=record.n_rows,
        queues=record.queues,
        interval_minutes=record.interval_minutes,
        params=record.params,
        meta=record.meta,
    )


def job_out(job: JobRecord) -> JobOut:
    """The response model of a stored job."""
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,  # type: ignore[arg-type]
        progress=JobProgress(
            description=job.progress_description,
            done=max(job.progress_done, 0),
            total=max(job.progress_total, 0),
        ),
        params=job.params,
        result=job.result,
        error=job.error,
        cancel_requested=job.cancel_requested,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def frame_records(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows of ``frame[columns]`` as dicts for JSON answers.

    NaN and infinities become None (JSON has neither; an infinite ASA means unbounded), numpy
    scalars become Python ones, naive date-times (local calendar days) become ISO dates.
    """
    out: dict[str, list[Any]] = {}
    for column in columns:
        series = frame[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            if series.notna().all():
                out[column] = series.dt.to_pydatetime().tolist()
            else:
                out[column] = [None if pd.isna(v) else v.to_pydatetime() for v in series.tolist()]
        elif pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
            if np.issubdtype(series.dtype, np.integer):
                out[column] = series.tolist()
            else:
                values = series.to_numpy(dtype=np.float64, na_value=np.nan)
                finite = np.isfinite(values)
                if finite.all():
                    out[column] = values.tolist()
                else:
                    out[column] = [
                        v if ok else None
                        for v, ok in zip(values.tolist(), finite.tolist(), strict=True)
                    ]
        elif pd.api.types.is_datetime64_dtype(series.dtype):
            out[column] = [None if pd.isna(v) else v.date().isoformat() for v in series.tolist()]
        else:
            out[column] = [None if pd.isna(v) else v for v in series.tolist()]
    return [dict(zip(columns, row, strict=True)) for row in zip(*out.values(), strict=True)]


def rows_frame(
    rows: list[Any], columns: tuple[str, ...], timezone: str | None = None
) -> pd.DataFrame:
    """Validated request rows (pydantic models) as a frame, built column by column.

    ``interval_start`` (timezone-aware datetimes) becomes instants in ``timezone`` (UTC when
    None).
    """
    data: dict[str, Any] = {column: [getattr(row, column) for row in rows] for column in columns}
    if "interval_start" in data:
        starts = pd.to_datetime(data["interval_start"], utc=True)
        data["interval_start"] = starts.tz_convert(timezone or "UTC")
    return pd.DataFrame(data)


def model_response(
    model: type[BaseModel], payload: dict[str, Any], status_code: int = 200
) -> Response:
    """Validate ``payload`` against ``model`` once and answer its JSON.

    Large answers (a week of rows) skip FastAPI's second validation of a returned model; the
    route still declares ``response_model`` for the OpenAPI schema.
    """
    body = model.model_validate(payload).model_dump_json()
    return Response(content=body, media_type="application/json", status_code=status_code)
