"""History uploads: JSON rows or a CSV / Parquet file, validated by ``planner.io``, then stored."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, HTTPException, Path, Query, UploadFile

from api.convert import frame_info, frame_records
from api.deps import SettingsDep, StorageDep, check_rows
from api.errors import planner_errors_at
from api.schemas.common import ErrorMessage, FrameInfo
from api.schemas.history import Gap, HistoryOut, HistoryRowOut, HistoryRowsOut, HistoryUpload
from planner.errors import InputError
from planner.io import HistoryLoad, load_history, validate_history
from planner.schema import HISTORY_OPTIONAL_COLUMNS
from planner.storage import Storage

router = APIRouter(prefix="/history", tags=["history"])

MAX_GAPS_RETURNED = 1000
HistoryId = Annotated[str, Path(min_length=1, max_length=64, description="History upload id.")]


def _store(storage: Storage, load: HistoryLoad, *, name: str, params: dict[str, Any]) -> HistoryOut:
    shown = load.gaps.iloc[:MAX_GAPS_RETURNED]
    gaps = [
        {**gap, "gap_start": gap["gap_start"].isoformat(), "gap_end": gap["gap_end"].isoformat()}
        for gap in frame_records(shown, tuple(shown.columns))
    ]
    record = storage.save_frame(
        "history",
        load.frame,
        name=name,
        interval_minutes=load.interval_minutes,
        params=params,
        meta={"notes": list(load.notes), "gaps": gaps, "gaps_total": len(load.gaps)},
    )
    return _history_out(record.id, storage)


def _history_out(history_id: str, storage: Storage) -> HistoryOut:
    record = storage.get_frame(history_id, kind="history")
    if record is None:
        raise HTTPException(status_code=404, detail=f"history_id: no history upload {history_id!r}")
    return HistoryOut(
        history=frame_info(record),
        interval_minutes=record.interval_minutes or 0,
        notes=record.meta.get("notes", []),
        gaps=[Gap(**g) for g in record.meta.get("gaps", [])],
        gaps_total=int(record.meta.get("gaps_total", 0)),
    )


@router.post(
    "",
    response_model=HistoryOut,
    status_code=201,
    summary="Upload history as JSON rows",
)
def upload_history_rows(
    body: HistoryUpload, storage: StorageDep, settings: SettingsDep
) -> HistoryOut:
    """Validate the rows exactly as a history file is validated, store them, answer the upload.

    Row numbers in error messages are 1-based positions in ``rows``.
    """
    check_rows(len(body.rows), "rows", settings)
    records = [row.model_dump(exclude_none=True) for row in body.rows]
    frame = pd.DataFrame.from_records(records)
    # planner.io parses the timestamps exactly as it parses a file's (offsets, DST, naive + tz).
    frame["interval_start"] = [row.interval_start.isoformat() for row in body.rows]
    with planner_errors_at("body", "rows"):
        load = validate_history(frame, source="rows", tz=body.timezone)
    return _store(
        storage, load, name=body.name, params={"timezone": body.timezone, "format": "json"}
    )


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@router.post(
    "/upload",
    response_model=HistoryOut,
    status_code=201,
    summary="Upload a history file (CSV or Parquet)",
)
def upload_history_file(
    storage: StorageDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV or Parquet interval history.")],
    name: Annotated[str | None, Form(min_length=1, max_length=200)] = None,
    timezone: Annotated[str | None, Form(min_length=1, max_length=64)] = None,
) -> HistoryOut:
    """Validate the file with ``planner.io.load_history`` (aliases, time zones, gaps) and store it.

    Error messages name the uploaded file and its line numbers.
    """
    filename = (
        _SAFE_NAME.sub("_", FilePath(file.filename or "upload.csv").name)[:100] or "upload.csv"
    )
    with tempfile.TemporaryDirectory(prefix="planner-upload-") as folder:
        path = FilePath(folder) / filename
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        with planner_errors_at("body", "file", replace={str(path): filename}):
            try:
                load = load_history(path, tz=timezone)
            except (pd.errors.OutOfBoundsDatetime, OverflowError) as error:
                # the loader lets pandas' timestamp range errors through; still the file's fault
                raise InputError(
                    f"{filename}: interval_start has a date-time out of range ({error}); "
                    "expected dates between 1677 and 2262"
                ) from error
    check_rows(len(load.frame), "file", settings)
    return _store(
        storage,
        load,
        name=name or filename,
        params={"timezone": timezone, "format": "file", "filename": filename},
    )


@router.get("", response_model=list[FrameInfo], summary="List history uploads, newest first")
def list_history(
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FrameInfo]:
    """Metadata of stored history uploads."""
    return [frame_info(r) for r in storage.list_frames("history", limit=limit, offset=offset)]


@router.get(
    "/{history_id}",
    response_model=HistoryOut,
    responses={404: {"model": ErrorMessage}},
    summary="A history upload's metadata, gaps and notes",
)
def get_history(history_id: HistoryId, storage: StorageDep) -> HistoryOut:
    """Metadata, inferred interval length, gaps and loader notes of one upload."""
    return _history_out(history_id, storage)


@router.get(
    "/{history_id}/rows",
    response_model=HistoryRowsOut,
    responses={404: {"model": ErrorMessage}},
    summary="A page of a history upload's rows",
)
def get_history_rows(
    history_id: HistoryId,
    storage: StorageDep,
    queue: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> HistoryRowsOut:
    """Rows sorted by (queue, interval_start), optionally one queue only."""
    _history_out(history_id, storage)
    frame = storage.load_frame(history_id)
    if queue is not None:
        frame = frame[frame["queue"] == queue]
    page = frame.iloc[offset : offset + limit]
    columns = ("queue", "interval_start", "calls_offered") + tuple(
        c for c in HISTORY_OPTIONAL_COLUMNS if c in frame.columns
    )
    return HistoryRowsOut(
        history_id=history_id,
        total=len(frame),
        offset=offset,
        rows=[HistoryRowOut(**r) for r in frame_records(page, columns)],
    )
