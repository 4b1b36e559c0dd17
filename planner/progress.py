"""Progress reporting without printing from the core.

Long-running core functions take an optional ``progress`` callback and call it as
``progress(description, done, total)``; adapters (the CLI's rich bars, the API's job table) decide
how to show it. ``total`` may be 0 when the amount of work is unknown.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ProgressCallback", "report"]

ProgressCallback = Callable[[str, int, int], None]


def report(progress: ProgressCallback | None, description: str, done: int, total: int) -> None:
    """Call ``progress`` when one was given; a no-op otherwise."""
    if progress is not None:
        progress(description, done, total)
