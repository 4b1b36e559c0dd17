"""GET /health: liveness and database check (no API key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from api.schemas.common import StrictModel

router = APIRouter(tags=["health"])


class Health(StrictModel):
    """Server status."""

    status: str = Field(
        examples=["ok"], description="'ok', or 'degraded' when the database is down."
    )
    database: str = Field(examples=["sqlite"], description="Database dialect in use.")
    database_ok: bool
    version: str = Field(examples=["0.1.0"])
    routes: list[str] = Field(description="Pipeline stages this server exposes.")
    job_kinds: list[str] = Field(description="Job kinds this server runs.")


@router.get("/health", response_model=Health, summary="Liveness and database check")
def health(request: Request) -> Health:
    """Answer ``ok`` when the database answers a trivial query."""
    from planner import __version__

    storage = request.app.state.storage
    try:
        database_ok = bool(storage.ping())
    except Exception:
        database_ok = False
    return Health(
        status="ok" if database_ok else "degraded",
        database=storage.engine.dialect.name,
        database_ok=database_ok,
        version=__version__,
        routes=list(request.app.state.stages),
        job_kinds=sorted(request.app.state.runner.registry),
    )
