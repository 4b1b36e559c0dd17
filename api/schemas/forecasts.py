"""Request and response models of the forecast routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.common import FrameInfo, StrictModel

__all__ = [
    "ForecastMethodName",
    "ForecastOut",
    "ForecastRequest",
    "ForecastRow",
    "ForecastRowsOut",
    "MethodChoiceOut",
]

ForecastMethodName = Literal["same-slot-last-week", "mean-last-weeks", "topdown", "prophet"]
"""The names of ``planner.forecast.METHODS`` (a test keeps the two in step)."""


class ForecastRequest(StrictModel):
    """Forecast a stored history upload; runs as a job (202)."""

    history_id: str = Field(
        min_length=1, max_length=64, description="Id of a stored history upload."
    )
    horizon_days: int = Field(ge=1, le=366, examples=[14], description="Days to forecast.")
    method: Literal["auto"] | ForecastMethodName = Field(
        default="auto", description="'auto' backtests the candidates and picks per queue."
    )
    candidates: list[ForecastMethodName] | None = Field(
        default=None,
        min_length=1,
        max_length=4,
        description="Methods 'auto' compares; default: the planner's fast methods.",
    )
    auto_origins: int = Field(
        default=3, ge=1, le=12, description="Weekly backtest origins of 'auto'."
    )
    country_holidays: str | None = Field(
        default=None, pattern=r"^[A-Z]{2,3}$", examples=["GB"], description="ISO country code."
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Seed of Prophet's draws.")
    time_limit_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86_400,
        description="Wall-clock budget of the fit; capped by the server's PLANNER_MAX_FIT_SECONDS.",
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "history_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                    "horizon_days": 14,
                    "method": "auto",
                }
            ]
        },
    )


class MethodChoiceOut(StrictModel):
    """Which method forecast a queue, why, and the backtest WAPE (fraction) behind the choice."""

    queue: str
    method: str
    reason: str
    scores: dict[str, dict[str, float | None]]


class ForecastOut(StrictModel):
    """A stored forecast version and the method chosen per queue."""

    forecast: FrameInfo
    choices: list[MethodChoiceOut]


class ForecastRow(StrictModel):
    """One forecast interval."""

    queue: str
    interval_start: datetime
    calls_forecast: float | None
    calls_lower: float | None
    calls_upper: float | None
    aht_seconds_forecast: float | None = Field(
        description="NaN (null) when the history had no AHT."
    )
    method: str


class ForecastRowsOut(StrictModel):
    """A page of a forecast's rows."""

    forecast_id: str
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    rows: list[ForecastRow]
