"""Models shared by several routes: errors, stored-frame metadata, jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "AwareIntervalStart",
    "IntervalStart",
    "known_timezone",
    "ErrorMessage",
    "FieldError",
    "FrameInfo",
    "JobOut",
    "JobProgress",
    "QueueName",
    "StrictModel",
    "TimeZoneName",
    "ValidationErrorResponse",
]


class StrictModel(BaseModel):
    """Base of every request and response model: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


QueueName = Field(
    default="default",
    min_length=1,
    max_length=100,
    description="Queue the row belongs to; 'default' when the data has a single queue.",
    examples=["billing"],
)


MIN_YEAR, MAX_YEAR = 1900, 2199


def _plausible_year(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(
            f"interval_start must be in the years {MIN_YEAR} to {MAX_YEAR}, got {value.isoformat()}"
        )
    return value


IntervalStart = Annotated[
    datetime,
    AfterValidator(_plausible_year),
    Field(
        description=(
            "Start of the interval, ISO 8601 (with a UTC offset unless a timezone is given), "
            f"in the years {MIN_YEAR} to {MAX_YEAR}."
        ),
        examples=["2026-03-02T09:00:00+01:00"],
    ),
]


AwareIntervalStart = Annotated[
    AwareDatetime,
    AfterValidator(_plausible_year),
    Field(
        description=(
            "Start of the interval, ISO 8601 with a UTC offset, "
            f"in the years {MIN_YEAR} to {MAX_YEAR}."
        ),
        examples=["2026-03-02T09:00:00+01:00"],
    ),
]


def known_timezone(value: str | None) -> str | None:
    """``value`` when it names an IANA time zone (or is None); a ValueError naming it otherwise."""
    if value is None:
        return None
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone must be an IANA time zone such as 'Europe/London', got {value!r}"
        ) from None
    return value


TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(known_timezone)]
"""A request field naming an IANA time zone (1 to 64 characters); a 422 names the bad value."""


class ErrorMessage(StrictModel):
    """An error that is not about one request field (401, 404, 409, 413)."""

    detail: str = Field(description="What is wrong, where, the value, what is expected.")


class FieldError(BaseModel):
    """One bad field: where it is (``loc``), what is wrong (``msg``) and the kind (``type``)."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None
    url: str | None = None


class ValidationErrorResponse(BaseModel):
    """422: request fields that failed validation, or the planner's own message about the data."""

    detail: list[FieldError]


class FrameInfo(StrictModel):
    """Metadata of a stored frame (history upload, forecast version, requirement set, ...)."""

    id: str = Field(description="Identifier to refer to this frame in later requests.")
    kind: str = Field(description="history, forecast, requirements, roster, ...")
    name: str
    parent_id: str | None = Field(description="The frame this one was computed from, if any.")
    created_at: datetime
    n_rows: int = Field(ge=0)
    queues: list[str]
    interval_minutes: int | None = Field(ge=1, le=1440)
    params: dict[str, Any] = Field(description="Parameters the frame was computed with.")
    meta: dict[str, Any] = Field(description="Notes and diagnostics from the stage.")


class JobProgress(StrictModel):
    """Last progress a running job reported; ``total`` is 0 when the amount of work is unknown."""

    description: str
    done: int = Field(ge=0)
    total: int = Field(ge=0)


class JobOut(StrictModel):
    """A job's state; ``result`` holds ids of the stored outputs once it succeeded."""

    id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: JobProgress
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "5f0c0d1e9a8b4c7d8e9f0a1b2c3d4e5f",
                    "kind": "forecast",
                    "status": "running",
                    "progress": {"description": "forecast billing", "done": 1, "total": 3},
                    "params": {"history_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "horizon_days": 7},
                    "result": None,
                    "error": None,
                    "cancel_requested": False,
                    "created_at": "2026-11-22T09:00:00Z",
                    "started_at": "2026-11-22T09:00:01Z",
                    "finished_at": None,
                }
            ]
        },
    )
