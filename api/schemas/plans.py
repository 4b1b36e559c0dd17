"""Request and response models of the whole-pipeline plan routes (``/plans``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.common import FrameInfo, StrictModel

__all__ = ["PlanFrameRowsOut", "PlanOut", "PlanRequest", "PlanStage", "PLAN_CONFIG_EXAMPLE"]

MAX_PLAN_WEEKS = 4
"""Longest plan window one request may ask for, in weeks."""

PLAN_CONFIG_EXAMPLE: dict[str, Any] = {
    "timezone": "Europe/London",
    "forecast": {"method": "mean-last-weeks"},
    "targets": {"service_level_target": 0.8, "answer_target_seconds": 20, "model": "erlang-a"},
    "staffing": {"shrinkage": {"absence": 0.1, "breaks": 0.2}, "patience_seconds": 180},
    "schedule": {
        "time_limit_seconds": 20,
        "method": "single",
        "rules": {
            "shift_templates": [
                {
                    "name": "day",
                    "earliest_start": "07:00",
                    "latest_start": "14:00",
                    "start_step_minutes": 60,
                    "lengths_minutes": [480],
                }
            ],
            "agent_defaults": {"min_days": 5, "max_days": 5, "min_hours": 40, "max_hours": 40},
            "agent_groups": [{"count": 20, "id_prefix": "A"}],
        },
    },
    "scenarios": {"everyday": True},
    "simulation": {"replications": 5},
}


class PlanRequest(StrictModel):
    """Run the whole pipeline (``planner plan``) on a stored history; runs as a job (202)."""

    history_id: str = Field(
        min_length=1, max_length=64, description="A stored history upload (POST /history)."
    )
    config: dict[str, Any] = Field(
        description=(
            "The plan file as JSON: the same keys as plan.toml (see `planner init`). Shift rules "
            "only inline under schedule.rules; schedule.rules_file (a server path) is refused."
        ),
        examples=[PLAN_CONFIG_EXAMPLE],
    )
    start: dt.date | None = Field(
        default=None,
        description=(
            "First local day of the plan; history from this day on is kept as the actuals. "
            "Default: the day after the history ends."
        ),
        examples=["2025-04-07"],
    )
    weeks: int = Field(default=1, ge=1, le=MAX_PLAN_WEEKS, description="Plan window in weeks.")
    solver_time_limit_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86_400,
        description=(
            "CP-SAT seconds per rostered week; default config.schedule.time_limit_seconds. "
            "Capped by PLANNER_MAX_SOLVER_SECONDS."
        ),
        examples=[20],
    )
    name: str | None = Field(default=None, min_length=1, max_length=200, examples=["April week 2"])

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "history_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                    "config": PLAN_CONFIG_EXAMPLE,
                    "start": "2025-04-07",
                    "weeks": 1,
                    "solver_time_limit_seconds": 20,
                }
            ]
        },
    )


class PlanStage(StrictModel):
    """One pipeline stage and whether it ran."""

    stage: str = Field(examples=["schedule"])
    state: str = Field(
        description='"ran" or "not run: <reason>".',
        examples=["ran", "not run: the plan file gives no shift rules"],
    )
    seconds: float | None = Field(ge=0, description="Wall-clock seconds the stage took.")


class PlanOut(StrictModel):
    """A stored plan: its window, the KPI summary, the stages, notes and its stored frames."""

    plan: FrameInfo
    history_id: str | None = Field(description="The history the plan was made from.")
    start: str = Field(description="Start of the plan window (local midnight, ISO 8601).")
    end: str = Field(description="End of the plan window (exclusive).")
    weeks: int = Field(ge=1, le=MAX_PLAN_WEEKS)
    interval_minutes: int = Field(ge=1, le=1440)
    summary: list[dict[str, Any]] = Field(
        description="The window's KPIs per queue and for all queues, weighted by calls."
    )
    stages: list[PlanStage]
    notes: list[str]
    frames: dict[str, str] = Field(
        description="Stored output frames by name -> frame id; rows at /plans/{id}/frames/{name}."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "plan": {
                        "id": "5f0c0d1e9a8b4c7d8e9f0a1b2c3d4e5f",
                        "kind": "plan",
                        "name": "April week 2",
                        "parent_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                        "created_at": "2026-11-22T09:00:00Z",
                        "n_rows": 2,
                        "queues": ["all queues", "sales"],
                        "interval_minutes": 15,
                        "params": {"weeks": 1},
                        "meta": {},
                    },
                    "history_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                    "start": "2025-04-07 00:00:00+01:00",
                    "end": "2025-04-14 00:00:00+01:00",
                    "weeks": 1,
                    "interval_minutes": 15,
                    "summary": [{"queue": "sales", "service_level": 0.83}],
                    "stages": [{"stage": "forecast", "state": "ran", "seconds": 0.4}],
                    "notes": ["roster week of 2025-04-07: FEASIBLE (single), ..."],
                    "frames": {"forecast": "9a8b7c6d5e4f30211203f4e5d6c7b8a9"},
                }
            ]
        },
    )


class PlanFrameRowsOut(StrictModel):
    """A page of one stored output frame of a plan."""

    plan_id: str
    name: str = Field(examples=["roster"])
    frame_id: str
    columns: list[str]
    total: int = Field(ge=0, description="Rows in the whole frame.")
    offset: int = Field(ge=0)
    rows: list[dict[str, Any]] = Field(
        description="Rows offset .. offset + limit; NaN and infinities as null."
    )
