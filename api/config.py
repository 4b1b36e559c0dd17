"""Server settings, read from the environment once at startup.

| variable | default | meaning |
|---|---|---|
| ``PLANNER_DATABASE_URL`` | ``sqlite:///planner-data/planner.sqlite3`` | any SQLAlchemy URL |
| ``PLANNER_DATABASE_SCHEMA`` | none | PostgreSQL schema to use (search_path) |
| ``PLANNER_API_KEYS`` | empty (auth off) | comma-separated keys or ``sha256:<hex>`` digests |
| ``PLANNER_REQUIRE_API_KEY`` | ``false`` | require a key even when none is configured here |
| ``PLANNER_MAX_REQUEST_BYTES`` | 16 MiB | larger bodies get 413 |
| ``PLANNER_MAX_ROWS`` | 250000 | more rows in one request get 413 |
| ``PLANNER_MAX_SOLVER_SECONDS`` | 120 | cap on any schedule solver time limit |
| ``PLANNER_MAX_FIT_SECONDS`` | 600 | cap on any forecast fit's time budget |
| ``PLANNER_JOB_WORKERS`` | 1 | worker threads running jobs |
| ``PLANNER_WORKERS`` | ``auto`` | local processes per job: ``auto``, 0 (the cores) or N |
| ``PLANNER_DASK_ADDRESS`` | none | run a job's queues on this Dask scheduler instead |

A forecast job forecasts its history queue by queue through ``planner.parallel`` (the backend of
``planner forecast --workers/--dask``). ``PLANNER_WORKERS=auto`` (the default) applies
``planner.parallel.resolve_workers`` to the job's queues with this server's share of the cores
(the cores divided by ``PLANNER_JOB_WORKERS``, so concurrent jobs do not oversubscribe them): a
process pool when the queues are many enough for its start-up (several seconds) to pay off, else
the job's own thread, which is what a small history (a handful of queues) gets. ``1`` always
forecasts in the job's thread; ``0`` uses that share of the cores for every job; ``N`` uses ``N``
processes. ``PLANNER_DASK_ADDRESS`` (e.g. ``tcp://scheduler:8786``) sends the queues to a running
Dask cluster instead and cannot be combined with ``PLANNER_WORKERS``. Whatever the backend, the
stored forecast is the same, and a queue that fails is listed by name in the job's result while
the other queues' forecasts are stored.

Keys given in ``PLANNER_API_KEYS`` are hashed (SHA-256) before they are stored in the database;
the stored digests are what requests are checked against.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from planner.errors import ConfigError
from planner.parallel import DASK_ADDRESS_ENV, dask_address_from_env

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

DEFAULT_DATABASE_URL = "sqlite:///planner-data/planner.sqlite3"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer in [{low}, {high}], got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be an integer in [{low}, {high}], got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its environment; see the module docstring."""

    database_url: str = DEFAULT_DATABASE_URL
    database_schema: str | None = None
    api_keys: tuple[str, ...] = ()
    require_api_key: bool = False
    max_request_bytes: int = 16 * 1024 * 1024
    max_rows: int = 250_000
    max_solver_seconds: int = 120
    max_fit_seconds: int = 600
    job_workers: int = 1
    workers: int | None = None
    dask_address: str | None = None

    @property
    def auth_enabled(self) -> bool:
        """True when requests other than health must carry an API key."""
        return self.require_api_key or bool(self.api_keys)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default ``os.environ``); bad values raise ConfigError."""
        env = os.environ if env is None else env
        keys = tuple(k.strip() for k in env.get("PLANNER_API_KEYS", "").split(",") if k.strip())
        for key in keys:
            if key.startswith("sha256:") and len(key) != 7 + 64:
                raise ConfigError(
                    f"PLANNER_API_KEYS: a digest must be sha256: and 64 hex digits, got {key!r}"
                )
            if not key.startswith("sha256:") and len(key) < 16:
                raise ConfigError("PLANNER_API_KEYS: every key must be at least 16 characters long")
        raw_workers = env.get("PLANNER_WORKERS", "").strip().lower()
        workers: int | None = None
        if raw_workers not in ("", "auto"):
            try:
                workers = _int(env, "PLANNER_WORKERS", 0, 0, 1024)
            except ConfigError:
                raise ConfigError(
                    "PLANNER_WORKERS must be auto, 0 (the cores) or a number of processes in "
                    f"[1, 1024], got {env['PLANNER_WORKERS']!r}"
                ) from None
        dask_address = dask_address_from_env(env)
        if dask_address is not None and workers is not None:
            raise ConfigError(
                f"PLANNER_WORKERS={raw_workers} and {DASK_ADDRESS_ENV}={dask_address!r} are both "
                "set; expected one backend: local worker processes or a Dask cluster"
            )
        return cls(
            database_url=env.get("PLANNER_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            database_schema=env.get("PLANNER_DATABASE_SCHEMA", "").strip() or None,
            api_keys=keys,
            require_api_key=_bool(env, "PLANNER_REQUIRE_API_KEY"),
            max_request_bytes=_int(
                env, "PLANNER_MAX_REQUEST_BYTES", cls.max_request_bytes, 1024, 2**31
            ),
            max_rows=_int(env, "PLANNER_MAX_ROWS", cls.max_rows, 1, 10_000_000),
            max_solver_seconds=_int(
                env, "PLANNER_MAX_SOLVER_SECONDS", cls.max_solver_seconds, 1, 86_400
            ),
            max_fit_seconds=_int(env, "PLANNER_MAX_FIT_SECONDS", cls.max_fit_seconds, 1, 86_400),
            job_workers=_int(env, "PLANNER_JOB_WORKERS", cls.job_workers, 1, 64),
            workers=workers,
            dask_address=dask_address,
        )
