"""Jobs: list, status with progress and result, cancel."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from api.convert import job_out
from api.deps import StorageDep
from api.schemas.common import ErrorMessage, JobOut

router = APIRouter(prefix="/jobs", tags=["jobs"])

JobId = Annotated[str, Path(min_length=1, max_length=64, description="Job id from the 202 answer.")]


def _not_found(job_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"job_id: no job {job_id!r}")


@router.get("", response_model=list[JobOut], summary="List jobs, newest first")
def list_jobs(
    storage: StorageDep,
    status: Annotated[
        Literal["queued", "running", "succeeded", "failed", "cancelled"] | None,
        Query(description="Only jobs with this status."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[JobOut]:
    """Jobs newest first, optionally filtered by status."""
    return [job_out(job) for job in storage.list_jobs(status=status, limit=limit, offset=offset)]


@router.get(
    "/{job_id}",
    response_model=JobOut,
    responses={404: {"model": ErrorMessage}},
    summary="A job's status, progress and result",
)
def get_job(job_id: JobId, storage: StorageDep) -> JobOut:
    """Status, last progress, and once succeeded the ids of the stored outputs."""
    job = storage.get_job(job_id)
    if job is None:
        raise _not_found(job_id)
    return job_out(job)


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    responses={404: {"model": ErrorMessage}},
    summary="Cancel a job",
)
def cancel_job(job_id: JobId, storage: StorageDep) -> JobOut:
    """A queued job is cancelled at once; a running one stops at its next progress report.

    A running job whose results are already stored finishes succeeded (``cancel_requested``
    stays true). Cancelling a finished job changes nothing and answers its final state.
    """
    job = storage.cancel_job(job_id)
    if job is None:
        raise _not_found(job_id)
    return job_out(job)
