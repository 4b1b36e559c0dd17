"""Request and response models of the staffing routes (Erlang C / A requirements)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from api.schemas.common import (
    AwareIntervalStart,
    FrameInfo,
    QueueName,
    StrictModel,
    TimeZoneName,
)

__all__ = ["ForecastInRow", "RequirementRow", "StaffingOut", "StaffingRequest"]


class ForecastInRow(StrictModel):
    """One forecast interval: calls and AHT."""

    queue: str = QueueName
    interval_start: AwareIntervalStart
    calls_forecast: float = Field(ge=0, le=10_000_000, examples=[42.0])
    aht_seconds_forecast: float | None = Field(
        default=None, gt=0, le=86_400, examples=[300.0], description="May be null where no calls."
    )


class StaffingRequest(StrictModel):
    """Agents required per interval: give ``rows`` of a forecast, or a stored ``forecast_id``."""

    rows: list[ForecastInRow] | None = Field(default=None, min_length=1, max_length=10_000_000)
    forecast_id: str | None = Field(default=None, min_length=1, max_length=64)
    service_level_target: float | None = Field(
        default=0.8, gt=0, le=1, description="The 0.8 of 80/20; null for no service-level target."
    )
    answer_target_seconds: float = Field(
        default=20.0, ge=0, le=3600, description="The 20 of 80/20."
    )
    max_asa_seconds: float | None = Field(default=None, gt=0, le=86_400)
    max_abandon_rate: float | None = Field(default=None, gt=0, le=1, description="Erlang A only.")
    max_occupancy: float | None = Field(default=None, gt=0, le=1)
    model: Literal["erlang-c", "erlang-a"] = "erlang-c"
    patience_seconds: float | None = Field(default=None, gt=0, le=86_400, description="Erlang A.")
    shrinkage: float = Field(
        default=0.0, ge=0, lt=1, description="Fraction of paid time off the phones."
    )
    min_agents: int = Field(default=0, ge=0, le=100_000)
    interval_minutes: Literal[5, 10, 15, 30, 60] | None = Field(
        default=None, description="Inferred from interval_start when omitted."
    )
    timezone: TimeZoneName | None = Field(
        default=None,
        examples=["Europe/Paris"],
        description="IANA zone the answer's interval_start is given in (default UTC).",
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {
                            "queue": "billing",
                            "interval_start": "2026-03-02T09:00:00+01:00",
                            "calls_forecast": 42.0,
                            "aht_seconds_forecast": 300.0,
                        },
                        {
                            "queue": "billing",
                            "interval_start": "2026-03-02T09:15:00+01:00",
                            "calls_forecast": 55.0,
                            "aht_seconds_forecast": 290.0,
                        },
                    ],
                    "service_level_target": 0.8,
                    "answer_target_seconds": 20,
                    "shrinkage": 0.3,
                    "timezone": "Europe/Paris",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _one_source(self) -> StaffingRequest:
        if (self.rows is None) == (self.forecast_id is None):
            raise ValueError("give exactly one of rows or forecast_id")
        return self


class RequirementRow(StrictModel):
    """Agents required in one interval and the KPIs at that staffing."""

    queue: str
    interval_start: datetime
    calls_forecast: float | None
    aht_seconds_forecast: float | None
    traffic_erlangs: float | None
    agents_required: int = Field(
        description="Productive agents on the phones meeting every target."
    )
    agents_to_schedule: int = Field(
        description="agents_required grossed up for shrinkage (exact ceiling)."
    )
    service_level: float | None
    asa_seconds: float | None
    occupancy: float | None
    wait_probability: float | None
    abandon_rate: float | None = Field(description="null under Erlang C (no abandonment modelled).")


class StaffingOut(StrictModel):
    """A stored requirement set and its rows."""

    requirements: FrameInfo
    rows: list[RequirementRow]
