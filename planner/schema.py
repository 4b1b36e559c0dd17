"""Column vocabulary of the planner's long frames (see PRODUCT.md).

Every frame is long format: one row per (``queue``, ``interval_start``); ``interval_start`` is the
timezone-aware start of the interval. Units are in the names; rates are fractions in [0, 1].
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_QUEUE",
    "FORECAST_COLUMNS",
    "HISTORY_OPTIONAL_COLUMNS",
    "HISTORY_REQUIRED_COLUMNS",
    "KEY_COLUMNS",
    "REQUIREMENT_COLUMNS",
    "SUPPORTED_INTERVAL_MINUTES",
]

DEFAULT_QUEUE = "default"
"""Queue name given to a file that has no ``queue`` column."""

KEY_COLUMNS = ("queue", "interval_start")

HISTORY_REQUIRED_COLUMNS = ("queue", "interval_start", "calls_offered")
HISTORY_OPTIONAL_COLUMNS = (
    "aht_seconds",
    "calls_answered",
    "calls_abandoned",
    "answered_within_target",
    "agents_staffed",
)

FORECAST_COLUMNS = (
    "queue",
    "interval_start",
    "calls_forecast",
    "calls_lower",
    "calls_upper",
    "aht_seconds_forecast",
    "method",
)

REQUIREMENT_COLUMNS = (
    "queue",
    "interval_start",
    "calls_forecast",
    "aht_seconds_forecast",
    "traffic_erlangs",
    "agents_required",
    "agents_to_schedule",
    "service_level",
    "asa_seconds",
    "occupancy",
    "wait_probability",
    "abandon_rate",
)

SUPPORTED_INTERVAL_MINUTES = (5, 10, 15, 30, 60)
