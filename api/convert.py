"""Conversions between stored records / frames and the API's response models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from api.schemas.common import FrameInfo, JobOut, JobProgress
from planner.storage import FrameRecord, JobRecord

__all__ = ["frame_info", "frame_records", "job_out"]


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
            out[column] = [None if pd.isna(v) else v.to_pydatetime() for v in series.tolist()]
        elif pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            finite = np.isfinite(values)
            if np.issubdtype(series.dtype, np.integer):
                out[column] = series.tolist()
            else:
                out[column] = [v if ok else None for v, ok in zip(values.tolist(), finite.tolist(), strict=True)]
        elif pd.api.types.is_datetime64_dtype(series.dtype):
            out[column] = [None if pd.isna(v) else v.date().isoformat() for v in series.tolist()]
        else:
            out[column] = [None if pd.isna(v) else v for v in series.tolist()]
    return [dict(zip(columns, row, strict=True)) for row in zip(*out.values(), strict=True)]
