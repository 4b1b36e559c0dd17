"""Workforce planner for contact centres.

The public surface is listed in ``__all__``; modules import their heavy dependencies (Prophet,
OR-Tools, FastAPI) only where used.
"""

from planner.errors import ConfigError, InfeasibleError, InputError, PlannerError

__all__ = ["ConfigError", "InfeasibleError", "InputError", "PlannerError", "__version__"]

__version__ = "0.1.0"
