"""FastAPI dependencies: settings, storage, job runner, API key check, row limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from api.config import Settings
from api.jobs import JobRunner
from planner.storage import Storage, hash_api_key

__all__ = [
    "RunnerDep",
    "SettingsDep",
    "StorageDep",
    "check_rows",
    "get_runner",
    "get_settings",
    "get_storage",
    "require_api_key",
]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="API key; required on every route but /health when the server enables keys.",
)


def get_settings(request: Request) -> Settings:
    """The server's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_storage(request: Request) -> Storage:
    """The server's store."""
    storage: Storage = request.app.state.storage
    return storage


def get_runner(request: Request) -> JobRunner:
    """The server's job runner."""
    runner: JobRunner = request.app.state.runner
    return runner


SettingsDep = Annotated[Settings, Depends(get_settings)]
StorageDep = Annotated[Storage, Depends(get_storage)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]


def require_api_key(
    request: Request, api_key: Annotated[str | None, Security(api_key_header)] = None
) -> None:
    """401 unless keys are disabled or ``X-API-Key`` hashes to a stored key digest."""
    settings: Settings = request.app.state.settings
    if not settings.auth_enabled:
        return
    if not api_key:
        raise HTTPException(
            status_code=401,
            detail="X-API-Key header: missing; this server requires an API key",
            headers={"WWW-Authenticate": "APIKey"},
        )
    if hash_api_key(api_key) not in request.app.state.api_key_hashes:
        raise HTTPException(
            status_code=401,
            detail="X-API-Key header: not a valid API key",
            headers={"WWW-Authenticate": "APIKey"},
        )


def check_rows(n_rows: int, field: str, settings: Settings) -> None:
    """413 when a request carries more than ``settings.max_rows`` rows in ``field``."""
    if n_rows > settings.max_rows:
        raise HTTPException(
            status_code=413,
            detail=(
                f"{field}: must hold at most {settings.max_rows} rows per request "
                f"(PLANNER_MAX_ROWS), got {n_rows}"
            ),
        )
