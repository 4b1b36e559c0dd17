"""Exception handlers: a PlannerError becomes 422 with the planner's message; never a 500."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from planner.errors import PlannerError

__all__ = [
    "LocatedPlannerError",
    "install_error_handlers",
    "planner_errors_at",
    "planner_error_response",
]

logger = logging.getLogger("planner.api")


def planner_error_response(
    error: PlannerError, loc: tuple[str | int, ...] = ("body",)
) -> JSONResponse:
    """422 in FastAPI's validation shape carrying the planner's message (which names the field)."""
    return JSONResponse(
        status_code=422,
        content={"detail": [{"loc": list(loc), "msg": str(error), "type": "planner_error"}]},
    )


class LocatedPlannerError(PlannerError):
    """A planner error with the request location it is about (e.g. ``("body", "rows")``)."""

    def __init__(self, message: str, loc: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.loc = loc


@contextmanager
def planner_errors_at(*loc: str | int, replace: dict[str, str] | None = None) -> Iterator[None]:
    """Tag planner errors raised inside the block with the request location ``loc``.

    ``replace`` rewrites parts of the message (e.g. a temporary file's path by the uploaded name).
    """
    try:
        yield
    except LocatedPlannerError:
        raise
    except PlannerError as error:
        message = str(error)
        for old, new in (replace or {}).items():
            message = message.replace(old, new)
        raise LocatedPlannerError(message, loc) from error


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(PlannerError)
    async def _planner_error(_request: Request, error: PlannerError) -> JSONResponse:
        return planner_error_response(error, getattr(error, "loc", ("body",)))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=error)
        return JSONResponse(
            status_code=500,
            content={"detail": f"internal error: {type(error).__name__}; see the server log"},
        )
