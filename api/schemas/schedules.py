"""Request and response models of the schedule routes (CP-SAT rosters, run as jobs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import (
    AwareIntervalStart,
    FrameInfo,
    QueueName,
    StrictModel,
    TimeZoneName,
)

__all__ = [
    "CoverageOut",
    "RequirementInRow",
    "RosterRow",
    "ScheduleOut",
    "ScheduleRequest",
    "ScheduleRowsOut",
]

EXAMPLE_RULES: dict[str, Any] = {
    "shift_templates": [
        {
            "name": "day",
            "earliest_start": "08:00",
            "latest_start": "10:00",
            "start_step_minutes": 30,
            "lengths_minutes": [480],
            "breaks": [
                {
                    "name": "lunch",
                    "minutes": 30,
                    "paid": False,
                    "earliest_after_start_minutes": 180,
                    "latest_after_start_minutes": 300,
                }
            ],
        }
    ],
    "costs": {"under_coverage_hour": 10.0},
    "agent_defaults": {"min_hours": 0, "max_hours": 40, "min_days": 0, "max_days": 5},
    "agent_groups": [{"id_prefix": "A", "count": 6}],
}


class RequirementInRow(StrictModel):
    """Heads to schedule in one interval (staffing's ``agents_to_schedule``)."""

    queue: str = QueueName
    interval_start: AwareIntervalStart
    agents_to_schedule: int = Field(ge=0, le=100_000, examples=[3])


class ScheduleRequest(StrictModel):
    """Build a week's roster (at most 7 days of requirements); runs as a job (202)."""

    requirements: list[RequirementInRow] = Field(min_length=1, max_length=10_000_000)
    rules: dict[str, Any] = Field(
        description=(
            "The rules file as a JSON object (same keys as planner/data/rules.example.toml: "
            "shift_templates, costs, weekly, opening_hours, agent_defaults, agents, agent_groups); "
            "validated by planner.scheduling.parse_rules, errors name the key."
        ),
        examples=[EXAMPLE_RULES],
    )
    timezone: TimeZoneName | None = Field(
        default=None,
        examples=["Europe/Paris"],
        description="IANA zone of the centre's clock; needed when the week crosses a DST change "
        "(default: the first row's UTC offset).",
    )
    method: Literal["two_phase", "single"] = Field(default="two_phase")
    time_limit_seconds: float = Field(
        default=30.0,
        gt=0,
        le=86_400,
        description="Solver time; capped by PLANNER_MAX_SOLVER_SECONDS.",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    name: str | None = Field(default=None, min_length=1, max_length=200)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "requirements": [
                        {
                            "queue": "billing",
                            "interval_start": "2026-03-02T09:00:00+01:00",
                            "agents_to_schedule": 3,
                        },
                        {
                            "queue": "billing",
                            "interval_start": "2026-03-02T09:30:00+01:00",
                            "agents_to_schedule": 4,
                        },
                    ],
                    "rules": EXAMPLE_RULES,
                    "time_limit_seconds": 10,
                }
            ]
        },
    )


class ScheduleOut(StrictModel):
    """A stored roster: its metadata, the solver summary and the id of its coverage frame."""

    roster: FrameInfo
    coverage_id: str | None
    summary: dict[str, Any] = Field(
        description="status, paid_hours, under/over agent hours, cost, objective, bound, gap, ..."
    )


class RosterRow(StrictModel):
    """One agent's shift on one day, with its breaks (null where the shift has none)."""

    agent_id: str
    date: date
    template: str
    shift_start: datetime
    shift_end: datetime
    paid_minutes: int
    break_start: datetime | None
    break_end: datetime | None
    lunch_start: datetime | None
    lunch_end: datetime | None
    second_break_start: datetime | None
    second_break_end: datetime | None


class CoverageOut(StrictModel):
    """Heads required and scheduled in one interval."""

    queue: str
    interval_start: datetime
    agents_to_schedule: int
    agents_scheduled: int
    under: int
    over: int


class ScheduleRowsOut(StrictModel):
    """A page of a roster (``roster``) and of its coverage (``coverage``)."""

    roster_id: str
    roster_total: int = Field(ge=0)
    roster: list[RosterRow]
    coverage_total: int = Field(ge=0)
    coverage: list[CoverageOut]
