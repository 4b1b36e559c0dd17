"""Request and response models of the what-if scenario routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import FrameInfo, StrictModel

__all__ = ["ScenarioIn", "ScenarioOut", "ScenarioRequest", "ScenarioSummaryRow"]

ClockText = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]


class ScenarioIn(StrictModel):
    """One scenario: overrides of the forecast, the parameters and the workforce."""

    name: str = Field(min_length=1, max_length=100, examples=["volume +10 %"])
    volume_factor: float = Field(default=1.0, ge=0, le=100)
    volume_add_calls: float = Field(default=0.0, ge=-1_000_000, le=1_000_000)
    aht_factor: float = Field(default=1.0, ge=0, le=100)
    aht_add_seconds: float = Field(default=0.0, ge=-86_400, le=86_400)
    shrinkage: float | None = Field(default=None, ge=0, lt=1)
    service_level_target: float | None = Field(default=None, ge=0, le=1)
    answer_target_seconds: float | None = Field(default=None, gt=0, le=3600)
    max_abandon_rate: float | None = Field(default=None, ge=0, le=1)
    patience_seconds: float | None = Field(default=None, gt=0, le=86_400)
    headcount_cap: int | None = Field(default=None, ge=0, le=1_000_000)
    agents_lost: int = Field(default=0, ge=0, le=1_000_000)
    opening_hours: tuple[ClockText, ClockText] | None = Field(
        default=None, description='Local clock window ["08:00", "18:00"] in which calls are taken.'
    )
    keep_roster: bool = Field(default=False, description="Evaluate the current roster's agents.")


class ScenarioRequest(StrictModel):
    """Run scenarios over a stored forecast; runs as a job (202)."""

    forecast_id: str = Field(min_length=1, max_length=64)
    roster_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="The current roster (its coverage)."
    )
    scenarios: list[ScenarioIn] = Field(min_length=1, max_length=20)
    include_baseline: bool = True
    shrinkage: float = Field(default=0.0, ge=0, lt=1)
    service_level_target: float = Field(default=0.8, ge=0, le=1)
    answer_target_seconds: float = Field(default=20.0, gt=0, le=3600)
    max_abandon_rate: float | None = Field(default=None, ge=0, le=1)
    patience_seconds: float | None = Field(default=None, gt=0, le=86_400)
    model: Literal["erlang-c", "erlang-a"] | None = None
    cost_per_agent_hour: float | None = Field(default=None, gt=0, le=1_000_000)
    headcount: int | None = Field(default=None, ge=1, le=1_000_000)
    rules: dict[str, Any] | None = Field(
        default=None,
        description="Schedule rules (as for POST /schedules): re-staffed scenarios are rostered.",
    )
    schedule_time_limit_seconds: float = Field(
        default=20.0,
        gt=0,
        le=86_400,
        description="Per roster; capped by PLANNER_MAX_SOLVER_SECONDS.",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    interval_minutes: Literal[5, 10, 15, 30, 60] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "forecast_id": "4507b612a1a74c9395b89d50da41620c",
                    "scenarios": [
                        {"name": "volume +10 %", "volume_factor": 1.1},
                        {
                            "name": "AHT +20 s, current roster",
                            "aht_add_seconds": 20,
                            "keep_roster": True,
                        },
                    ],
                }
            ]
        },
    )


class ScenarioSummaryRow(StrictModel):
    """One scenario and queue side by side with the others."""

    scenario: str
    queue: str
    calls_forecast: float | None
    calls_outside_hours: float | None
    aht_seconds: float | None
    required_hours: float | None
    scheduled_hours: float | None
    cost: float | None
    roster_cost: float | None
    service_level: float | None
    asa_seconds: float | None
    abandon_rate: float | None
    occupancy: float | None
    intervals: int
    intervals_missing_target: int
    worst_day_service_level: float | None


class ScenarioOut(StrictModel):
    """A stored scenario comparison."""

    comparison: FrameInfo
    summary: list[ScenarioSummaryRow]
    daily: list[dict[str, Any]] = Field(
        description="Each scenario's daily KPIs (scenario, queue, day, ...)."
    )
    weekly: list[dict[str, Any]]
    notes: list[str]
