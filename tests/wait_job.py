"""A test-only slow job: the ``wait`` job kind and ``POST /test/wait`` that starts it.

The product API has no job that only waits; the tests of the job machinery (progress, cancel,
request limits, API keys, restart after a kill) add this one to the app they build:

* in process: ``monkeypatch.setattr("api.main.build_registry", registry_with_wait_job)`` and
  ``with_wait_route(create_app(settings))``;
* as a real server: ``python -m tests.wait_job --port N --database-url URL`` runs that app under
  uvicorn on 127.0.0.1 (other settings from the ``PLANNER_*`` variables).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from pydantic import Field

from api.config import Settings
from api.convert import job_out
from api.deps import RunnerDep, require_api_key
from api.jobs import JobContext, JobFunction
from api.schemas.common import JobOut, StrictModel
from api.tasks import build_registry

__all__ = ["WaitRequest", "registry_with_wait_job", "router", "wait_job", "with_wait_route"]

router = APIRouter(prefix="/test", tags=["test"])


class WaitRequest(StrictModel):
    """How long the test job waits."""

    seconds: float = Field(ge=0, le=600, examples=[5.0], description="Seconds to wait.")


def wait_job(context: JobContext) -> dict[str, Any]:
    """Wait ``params['seconds']``, reporting progress every 0.1 s (so cancel stops it there)."""
    seconds = float(context.params["seconds"])
    steps = max(int(round(seconds * 10)), 1)
    start = time.monotonic()
    for step in range(steps):
        context.progress("waiting", step, steps)
        # sleep to the step's planned end, so the total stays ``seconds`` however slow a report
        time.sleep(max(start + (step + 1) * seconds / steps - time.monotonic(), 0.0))
    context.progress("waiting", steps, steps)
    return {"waited_seconds": round(time.monotonic() - start, 3)}


@router.post("/wait", response_model=JobOut, status_code=202, summary="Start a job that waits")
def start_wait(body: WaitRequest, runner: RunnerDep) -> JobOut:
    """202 with the job; poll ``GET /jobs/{id}``."""
    return job_out(runner.submit("wait", {"seconds": body.seconds}))


def registry_with_wait_job() -> dict[str, JobFunction]:
    """The server's job kinds (``api.tasks.build_registry``) plus ``wait``."""
    return {**build_registry(), "wait": wait_job}


def with_wait_route(app: FastAPI) -> FastAPI:
    """``app`` with ``POST /test/wait`` mounted behind the API key check like every route."""
    app.include_router(router, dependencies=[Depends(require_api_key)])
    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the API with the wait job on 127.0.0.1 (for the tests that kill a real server)."""
    import uvicorn

    import api.main

    parser = argparse.ArgumentParser(prog="python -m tests.wait_job")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)
    # this process only ever runs the test app: the registry is swapped before it starts
    api.main.build_registry = registry_with_wait_job  # type: ignore[assignment]
    settings = dataclasses.replace(Settings.from_env(), database_url=args.database_url)
    app = with_wait_route(api.main.create_app(settings))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
