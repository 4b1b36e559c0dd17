"""Request and response models of the forecast-against-actual routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import FrameInfo, StrictModel

__all__ = ["AccuracyOut", "AccuracyRequest", "PeriodAccuracyRow", "ScoreRow"]


class AccuracyRequest(StrictModel):
    """Compare a stored forecast with a stored history upload of what happened."""

    forecast_id: str = Field(min_length=1, max_length=64)
    history_id: str = Field(
        min_length=1, max_length=64, description="The actuals (a history upload)."
    )
    roster_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="A stored roster whose coverage is the plan; enables planned against achieved.",
    )
    shrinkage: float = Field(default=0.0, ge=0, lt=1)
    model: Literal["erlang-c", "erlang-a"] | None = None
    patience_seconds: float | None = Field(default=None, gt=0, le=86_400)
    answer_target_seconds: float = Field(default=20.0, gt=0, le=3600)
    interval_minutes: Literal[5, 10, 15, 30, 60] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "forecast_id": "4507b612a1a74c9395b89d50da41620c",
                    "history_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                }
            ]
        },
    )


class ScoreRow(StrictModel):
    """Accuracy of one queue (or ``all queues``) at one level (interval, day, week)."""

    queue: str
    level: str
    periods: int
    calls_forecast: float | None
    calls_actual: float | None
    wape: float | None = Field(
        description="sum|f - a| / sum a (fraction); null without actual calls."
    )
    bias: float | None = Field(description="sum(f - a) / sum a; positive means over-forecast.")
    mase: float | None
    naive_scale: float | None
    aht_wape: float | None
    aht_bias: float | None


class PeriodAccuracyRow(StrictModel):
    """Forecast against actual over one day or week of one queue."""

    queue: str
    period: str = Field(description="ISO date of the day or week start.")
    calls_forecast: float | None
    calls_actual: float | None
    calls_error: float | None
    wape: float | None
    bias: float | None
    aht_seconds_forecast: float | None = None
    aht_seconds_actual: float | None = None


class AccuracyOut(StrictModel):
    """A stored forecast-against-actual report (its interval rows are the stored frame)."""

    accuracy: FrameInfo
    interval_minutes: int
    scores: list[ScoreRow]
    daily: list[PeriodAccuracyRow]
    weekly: list[PeriodAccuracyRow]
    planned_vs_achieved: list[dict[str, Any]] | None = Field(
        description="Per queue and day: planned and achieved service level and the miss split into "
        "volume, AHT, staffing effects and residual (null without a roster)."
    )
    notes: list[str]
