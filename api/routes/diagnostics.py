"""POST /diagnostics/wait: a job that only waits (mounted when PLANNER_ENABLE_DIAGNOSTIC_JOBS).

Used by the restart test and by smoke checks of a deployment's job machinery; it reports
progress every 0.1 s and honours cancel.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from api.convert import job_out
from api.deps import RunnerDep
from api.schemas.common import JobOut, StrictModel

router = APIRouter(prefix="/diagnostics", tags=["diagnostics"])


class WaitRequest(StrictModel):
    """How long the diagnostic job waits."""

    seconds: float = Field(ge=0, le=600, examples=[5.0], description="Seconds to wait.")


@router.post("/wait", response_model=JobOut, status_code=202, summary="Start a job that waits")
def start_wait(body: WaitRequest, runner: RunnerDep) -> JobOut:
    """202 with the job; poll ``GET /jobs/{id}``."""
    return job_out(runner.submit("wait", {"seconds": body.seconds}))
