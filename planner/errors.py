"""The one exception tree of the planner.

Adapters catch :class:`PlannerError`: the CLI prints ``planner: error: <message>`` and exits 2,
the HTTP API answers 422 with the same message. Messages follow one shape: what is wrong, where,
the value, what is expected, e.g. ``history.csv row 412: calls_offered must be >= 0, got -3``.
"""

from __future__ import annotations

__all__ = ["ConfigError", "InfeasibleError", "InputError", "PlannerError"]


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""


class InputError(PlannerError, ValueError):
    """Bad input data or parameters.

    The message names the file, row, column and value, and what was expected.
    """


class ConfigError(PlannerError, ValueError):
    """A rules or configuration file that cannot be used as written."""


class InfeasibleError(PlannerError):
    """The hard rules cannot all be met; the message explains why in planner words."""
