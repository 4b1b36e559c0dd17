"""Job functions: each loads its inputs from the store, calls one planner stage, stores outputs.

:func:`build_registry` returns the job kinds this server can run; a stage that is not in the
codebase yet has no job kind.
"""

from __future__ import annotations

import time
from typing import Any

from api.config import Settings
from api.jobs import JobContext, JobFunction

__all__ = ["build_registry", "wait_job"]


def wait_job(context: JobContext) -> dict[str, Any]:
    """Diagnostic job: wait ``params['seconds']``, reporting progress every 0.1 s."""
    seconds = float(context.params["seconds"])
    steps = max(int(round(seconds * 10)), 1)
    start = time.monotonic()
    for step in range(steps):
        context.progress("waiting", step, steps)
        time.sleep(max(start + (step + 1) * seconds / steps - time.monotonic(), 0.0))
    context.progress("waiting", steps, steps)
    return {"waited_seconds": round(time.monotonic() - start, 3)}


def build_registry(settings: Settings, stages: list[str]) -> dict[str, JobFunction]:
    """Job kinds available on this server, by name."""
    registry: dict[str, JobFunction] = {}
    if settings.enable_diagnostic_jobs:
        registry["wait"] = wait_job
    return registry
