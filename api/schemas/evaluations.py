"""Request and response models of the evaluation routes (Erlang KPIs of a plan)."""

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

__all__ = [
    "CoverageRow",
    "EvaluationOut",
    "EvaluationRequest",
    "EvaluationRow",
    "PeriodRow",
    "PlanRow",
]

MAX_CALLS = 10_000_000.0
MAX_AGENTS = 1_000_000


class PlanRow(StrictModel):
    """One interval of a plan: forecast calls and AHT, and the heads scheduled."""

    queue: str = QueueName
    interval_start: AwareIntervalStart
    calls_forecast: float = Field(ge=0, le=MAX_CALLS, examples=[42.0])
    aht_seconds_forecast: float = Field(gt=0, le=86_400, examples=[300.0])
    agents_scheduled: int = Field(ge=0, le=MAX_AGENTS, examples=[9])


class CoverageRow(StrictModel):
    """Heads a roster puts in one interval."""

    queue: str = QueueName
    interval_start: AwareIntervalStart
    agents_scheduled: int = Field(ge=0, le=MAX_AGENTS)


class EvaluationRequest(StrictModel):
    """Evaluate a plan: either ``rows`` (forecast + heads per interval), or a stored
    ``forecast_id`` with ``coverage`` (heads per interval; intervals not listed get 0 heads)."""

    rows: list[PlanRow] | None = Field(default=None, min_length=1, max_length=10_000_000)
    forecast_id: str | None = Field(default=None, min_length=1, max_length=64)
    coverage: list[CoverageRow] | None = Field(default=None, min_length=1, max_length=10_000_000)
    model: Literal["erlang-c", "erlang-a"] | None = Field(
        default=None, description="Default: Erlang A when patience_seconds is given, else Erlang C."
    )
    patience_seconds: float | None = Field(default=None, gt=0, le=86_400, description="Erlang A.")
    answer_target_seconds: float = Field(
        default=20.0, gt=0, le=3600, description="The 20 in 80/20."
    )
    service_level_target: float = Field(default=0.8, ge=0, le=1, description="The 0.8 in 80/20.")
    max_abandon_rate: float | None = Field(default=None, ge=0, le=1)
    shrinkage: float = Field(
        default=0.0, ge=0, lt=1, description="Fraction of heads off the phones."
    )
    interval_minutes: Literal[5, 10, 15, 30, 60] | None = Field(
        default=None, description="Inferred from interval_start when omitted."
    )
    timezone: TimeZoneName | None = Field(
        default=None,
        examples=["Europe/Paris"],
        description="IANA zone the days and weeks of the aggregates are counted in (default UTC).",
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
                            "agents_scheduled": 9,
                        },
                        {
                            "queue": "billing",
                            "interval_start": "2026-03-02T09:30:00+01:00",
                            "calls_forecast": 50.0,
                            "aht_seconds_forecast": 300.0,
                            "agents_scheduled": 10,
                        },
                    ],
                    "answer_target_seconds": 20,
                    "service_level_target": 0.8,
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _one_source(self) -> EvaluationRequest:
        if self.rows is not None and (self.forecast_id is not None or self.coverage is not None):
            raise ValueError(
                "give either rows, or forecast_id with coverage; got rows and forecast_id/coverage"
            )
        if self.rows is None and (self.forecast_id is None or self.coverage is None):
            raise ValueError("give either rows, or forecast_id with coverage; got neither complete")
        return self


class EvaluationRow(StrictModel):
    """Predicted KPIs of one interval (null where undefined: ASA of an overloaded queue)."""

    queue: str
    interval_start: datetime
    calls_forecast: float | None
    aht_seconds_forecast: float | None
    agents_scheduled: int
    agents_productive: int
    traffic_erlangs: float | None
    service_level: float | None
    asa_seconds: float | None = Field(description="null when unbounded (traffic >= agents).")
    abandon_rate: float | None
    occupancy: float | None
    wait_probability: float | None
    meets_target: bool


class PeriodRow(StrictModel):
    """KPIs over a day, a week or the whole horizon, weighted by calls (never a plain mean)."""

    queue: str
    period: str | None = Field(description="ISO date of the day or week start; null for totals.")
    calls_forecast: float | None
    calls_answered: float | None
    scheduled_hours: float | None
    productive_hours: float | None
    service_level: float | None
    asa_seconds: float | None
    abandon_rate: float | None
    occupancy: float | None
    wait_probability: float | None
    intervals: int
    intervals_missing_target: int
    calls_in_intervals_missing_target: float | None


class EvaluationOut(StrictModel):
    """A stored evaluation: per-interval KPIs, aggregates and the intervals that miss target."""

    evaluation: FrameInfo
    model: str
    interval_minutes: int
    totals: list[PeriodRow]
    weekly: list[PeriodRow]
    daily: list[PeriodRow]
    intervals_missing_target: int = Field(ge=0)
    intervals: list[EvaluationRow]
