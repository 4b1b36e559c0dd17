"""The FastAPI application: ``create_app(settings)``; ``planner serve`` runs it under uvicorn.

Every router is mounted behind the optional API key check except ``/health``; ``GET /health``
lists the pipeline stages (:data:`STAGE_ROUTERS`) and the job kinds this server runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from api.config import Settings
from api.deps import require_api_key
from api.errors import install_error_handlers
from api.jobs import JobRunner
from api.limits import BodySizeLimit
from api.routes import (
    accuracy,
    evaluations,
    forecasts,
    health,
    history,
    jobs,
    plans,
    scenarios,
    schedules,
    staffing,
)
from api.schemas.common import ErrorMessage, ValidationErrorResponse
from api.tasks import build_registry
from planner import __version__
from planner.storage import hash_api_key, open_storage

__all__ = ["STAGE_ROUTERS", "create_app"]

COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorMessage, "description": "Missing or invalid X-API-Key."},
    413: {"model": ErrorMessage, "description": "Request body or row count over the limit."},
    422: {"model": ValidationErrorResponse, "description": "A field or the data is not valid."},
}

STAGE_ROUTERS: dict[str, APIRouter] = {
    "history": history.router,
    "staffing": staffing.router,
    "forecasts": forecasts.router,
    "evaluations": evaluations.router,
    "schedules": schedules.router,
    "accuracy": accuracy.router,
    "scenarios": scenarios.router,
    "plans": plans.router,
}
"""Pipeline stage -> its routes (``api/routes/<stage>.py``); all mounted, named by GET /health."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the store is opened and migrated when the app starts.

    Parameters
    ----------
    settings : Settings, optional
        Server settings; read from the environment (``Settings.from_env``) when omitted.
    """
    settings = Settings.from_env() if settings is None else settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage = open_storage(settings.database_url, schema=settings.database_schema)
        for key in settings.api_keys:
            digest = key.removeprefix("sha256:") if key.startswith("sha256:") else hash_api_key(key)
            storage.add_api_key_hash(digest.lower(), label="PLANNER_API_KEYS")
        runner = JobRunner(storage, settings, build_registry())
        app.state.storage = storage
        app.state.runner = runner
        app.state.api_key_hashes = storage.api_key_hashes()
        runner.start()
        try:
            yield
        finally:
            runner.shutdown()
            storage.dispose()

    app = FastAPI(
        title="Workforce planner API",
        version=__version__,
        summary="Forecast, staff, schedule and evaluate contact-centre work over HTTP.",
        description=(
            "Quick work answers synchronously (Erlang staffing); long work (forecast fits, "
            "schedule solves) answers 202 with a job id: poll `GET /jobs/{id}`. Every bad input "
            "is a 4xx naming the field. Send `X-API-Key` when the server enables keys."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.stages = tuple(STAGE_ROUTERS)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    install_error_handlers(app)

    protected = {"dependencies": [Depends(require_api_key)], "responses": COMMON_RESPONSES}
    app.include_router(health.router)
    app.include_router(jobs.router, **protected)  # type: ignore[arg-type]
    for router in STAGE_ROUTERS.values():
        app.include_router(router, **protected)  # type: ignore[arg-type]
    return app
