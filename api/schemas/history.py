"""Request and response models of the history routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.common import FrameInfo, IntervalStart, QueueName, StrictModel

__all__ = ["Gap", "HistoryOut", "HistoryRow", "HistoryRowOut", "HistoryRowsOut", "HistoryUpload"]

MAX_COUNT = 10_000_000.0
"""Largest call count accepted in one interval (a bound for validation, far above any centre)."""
MAX_SECONDS = 86_400.0

_ROW_EXAMPLE: dict[str, Any] = {
    "queue": "billing",
    "interval_start": "2026-03-02T09:00:00+01:00",
    "calls_offered": 42,
    "aht_seconds": 310.5,
}


class HistoryRow(StrictModel):
    """One interval of history. ``interval_start`` may be naive when ``timezone`` is given."""

    queue: str = QueueName
    interval_start: IntervalStart
    calls_offered: float = Field(ge=0, le=MAX_COUNT, description="Arrivals in the interval.")
    aht_seconds: float | None = Field(default=None, ge=0, le=MAX_SECONDS)
    calls_answered: float | None = Field(default=None, ge=0, le=MAX_COUNT)
    calls_abandoned: float | None = Field(default=None, ge=0, le=MAX_COUNT)
    answered_within_target: float | None = Field(default=None, ge=0, le=MAX_COUNT)
    agents_staffed: float | None = Field(default=None, ge=0, le=1_000_000)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_ROW_EXAMPLE]})


class HistoryRowOut(StrictModel):
    """One stored interval of history."""

    queue: str
    interval_start: datetime
    calls_offered: float
    aht_seconds: float | None = None
    calls_answered: float | None = None
    calls_abandoned: float | None = None
    answered_within_target: float | None = None
    agents_staffed: float | None = None


class HistoryUpload(StrictModel):
    """A history upload as JSON rows (at most PLANNER_MAX_ROWS rows; 413 above)."""

    name: str = Field(min_length=1, max_length=200, examples=["billing 2025"])
    timezone: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="IANA time zone of the centre; needed when timestamps have no UTC offset.",
        examples=["Europe/Paris"],
    )
    rows: list[HistoryRow] = Field(min_length=1, max_length=10_000_000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "billing sample",
                    "timezone": "Europe/Paris",
                    "rows": [
                        _ROW_EXAMPLE,
                        {**_ROW_EXAMPLE, "interval_start": "2026-03-02T09:15:00+01:00"},
                        {**_ROW_EXAMPLE, "interval_start": "2026-03-02T09:30:00+01:00"},
                    ],
                }
            ]
        },
    )


class Gap(StrictModel):
    """A run of missing intervals in an uploaded history."""

    queue: str
    gap_start: datetime
    gap_end: datetime
    missing_intervals: int = Field(ge=0)
    kind: str = Field(description="'day' for a whole missing day, 'intervals' inside a day.")


class HistoryOut(StrictModel):
    """A stored history upload: its metadata, the inferred interval length, gaps and notes."""

    history: FrameInfo
    interval_minutes: int = Field(ge=1, le=1440)
    notes: list[str]
    gaps: list[Gap] = Field(description="The first 1000 gaps, oldest first per queue.")
    gaps_total: int = Field(ge=0)


class HistoryRowsOut(StrictModel):
    """A page of a stored history's rows."""

    history_id: str
    total: int = Field(ge=0, description="Rows matching the filter.")
    offset: int = Field(ge=0)
    rows: list[HistoryRowOut]
