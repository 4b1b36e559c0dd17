"""The FastAPI application: ``create_app(settings)``; ``planner serve`` runs it under uvicorn.

Every router is mounted behind the optional API key check except ``/health``. Routers for
pipeline stages are mounted only when that stage exists in the installed planner (see
``app.state.stages`` and ``GET /health``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api.config import Settings
from api.deps import require_api_key
from api.errors import install_error_handlers
from api.jobs import JobRunner
from api.limits import BodySizeLimit
from api.routes import diagnostics, health, jobs
from api.schemas.common import ErrorMessage, ValidationErrorResponse
from api.tasks import build_registry
from planner import __version__
from planner.storage import hash_api_key, open_storage

__all__ = ["available_stages", "create_app"]

COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorMessage, "description": "Missing or invalid X-API-Key."},
    413: {"model": ErrorMessage, "description": "Request body or row count over the limit."},
    422: {"model": ValidationErrorResponse, "description": "A field or the data is not valid."},
}


def _has(module: str, *names: str) -> bool:
    """True when ``module`` is importable and defines every one of ``names``."""
    try:
        if importlib.util.find_spec(module) is None:
            return False
        loaded = importlib.import_module(module)
    except ImportError:
        return False
    return all(hasattr(loaded, name) for name in names)


def available_stages() -> list[str]:
    """Pipeline stages present in the installed planner that the API exposes."""
    stages = []
    if _has("planner.io", "validate_history", "read_history"):
        stages.append("history")
    if _has("planner.staffing", "required_agents", "StaffingTargets"):
        stages.append("staffing")
    if "history" in stages and _has("planner.forecast", "forecast_history"):
        stages.append("forecasts")
    if _has("planner.evaluate", "evaluate_plan", "EVALUATION_COLUMNS", "PERIOD_COLUMNS"):
        stages.append("evaluations")
    if _has("planner.scheduling", "build_roster", "parse_rules"):
        stages.append("schedules")
    if "history" in stages and _has("planner.accuracy", "forecast_accuracy", "SCORE_COLUMNS"):
        stages.append("accuracy")
    if "schedules" in stages and _has(
        "planner.scenarios", "run_scenarios", "scenario_from_mapping"
    ):
        stages.append("scenarios")
    if (
        "history" in stages
        and _has("planner.pipeline", "run_plan")
        and _has("planner.report", "render_report")
    ):
        stages.append("plans")
    return stages


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the store is opened and migrated when the app starts.

    Parameters
    ----------
    settings : Settings, optional
        Server settings; read from the environment (``Settings.from_env``) when omitted.
    """
    settings = Settings.from_env() if settings is None else settings
    stages = available_stages()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage = open_storage(settings.database_url, schema=settings.database_schema)
        for key in settings.api_keys:
            digest = key.removeprefix("sha256:") if key.startswith("sha256:") else hash_api_key(key)
            storage.add_api_key_hash(digest.lower(), label="PLANNER_API_KEYS")
        runner = JobRunner(storage, settings, build_registry(settings, stages))
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
    app.state.stages = stages
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    install_error_handlers(app)

    protected = {"dependencies": [Depends(require_api_key)], "responses": COMMON_RESPONSES}
    app.include_router(health.router)
    app.include_router(jobs.router, **protected)  # type: ignore[arg-type]
    if settings.enable_diagnostic_jobs:
        app.include_router(diagnostics.router, **protected)  # type: ignore[arg-type]
    for stage in stages:  # each stage's routes live in api/routes/<stage>.py
        routes = importlib.import_module(f"api.routes.{stage}")
        app.include_router(routes.router, **protected)  # type: ignore[arg-type]
    return app
