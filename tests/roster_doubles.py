"""A stand-in for :func:`planner.scheduling.build_roster` that staffs exactly the hard floor.

The callers that split pooled heads between queues (the pipeline, scenarios) are tested against
the tightest roster a hard service-level floor allows: in every interval, pooled heads equal to
the sum of each queue's own floor heads. A real CP-SAT roster usually has a few heads more, so it
would show a split below a queue's floor only by chance; this one shows it whenever the split
loses a head.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.scheduling.outputs import ACTIVITY_COLUMNS, ROSTER_COLUMNS, ScheduleSummary
from planner.scheduling.penalties import floor_heads_by_row


def roster_at_the_hard_floor(requirements: pd.DataFrame, rules: Any, **_: object) -> Any:
    """A roster result whose coverage has, per interval, the sum of the queues' floor heads.

    Same call shape as ``build_roster(requirements, rules, **limits)``; no agents, shifts or
    activities (empty frames with the declared columns).
    """
    from planner.scheduling.roster import RosterResult

    floor = floor_heads_by_row(
        requirements, rules.answer_target_seconds, rules.min_interval_service_level
    )
    pooled = pd.Series(floor).groupby(requirements["interval_start"].to_numpy()).sum()
    coverage = pd.DataFrame(
        {
            "queue": "+".join(sorted(requirements["queue"].astype(str).unique())),
            "interval_start": pooled.index,
            "agents_to_schedule": requirements.groupby("interval_start")["agents_to_schedule"]
            .sum()
            .to_numpy(),
            "agents_scheduled": pooled.to_numpy(),
        }
    )
    summary = ScheduleSummary(
        status="OPTIMAL",
        method="test double",
        paid_hours=0.0,
        required_agent_hours=0.0,
        scheduled_agent_hours=0.0,
        under_agent_hours=0.0,
        over_agent_hours=0.0,
        cost=0.0,
        objective=0.0,
        best_bound=0.0,
        gap=0.0,
        solve_seconds=0.0,
        shifts=0,
        agents=len(rules.agents),
        agents_working=0,
    )
    return RosterResult(
        roster=pd.DataFrame(columns=list(ROSTER_COLUMNS)),
        activities=pd.DataFrame(columns=list(ACTIVITY_COLUMNS)),
        coverage=coverage,
        summary=summary,
        design=None,
        stats=(),
    )
