"""Column vocabulary of the planner's long frames (see PRODUCT.md).

Every frame is long format: one row per (``queue``, ``interval_start``); ``interval_start`` is the
timezone-aware start of the interval. Units are in the names; rates are fractions in [0, 1].
"""

from __future__ import annotations

__all__ = [
    "COLUMN_ALIASES",
    "COUNT_COLUMNS",
    "DEFAULT_QUEUE",
    "FORECAST_ALIASES",
    "FORECAST_COLUMNS",
    "FORECAST_REQUIRED_COLUMNS",
    "NUMERIC_COLUMNS",
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


# --- Column aliases (issue 2: data layer) -------------------------------------------------------
# Planners' exports spell the same column many ways. Header names are normalised first
# (stripped, lower-cased, runs of spaces, hyphens, dots and slashes turned into one "_"), then
# looked up here. The table is explicit on purpose: a column is only ever renamed when its
# normalised name is listed, and every rename is reported in the load notes.

COLUMN_ALIASES: dict[str, str] = {
    # interval_start
    "interval_start": "interval_start",
    "timestamp": "interval_start",
    "ds": "interval_start",
    "datetime": "interval_start",
    "date_time": "interval_start",
    "interval": "interval_start",
    "interval_start_time": "interval_start",
    "interval_begin": "interval_start",
    "period_start": "interval_start",
    "start_time": "interval_start",
    # calls_offered
    "calls_offered": "calls_offered",
    "calls": "calls_offered",
    "volume": "calls_offered",
    "offered": "calls_offered",
    "offered_calls": "calls_offered",
    "call_volume": "calls_offered",
    "contacts": "calls_offered",
    "contacts_offered": "calls_offered",
    "y": "calls_offered",
    # aht_seconds
    "aht_seconds": "aht_seconds",
    "aht": "aht_seconds",
    "aht_s": "aht_seconds",
    "aht_sec": "aht_seconds",
    "handle_time": "aht_seconds",
    "avg_handle_time": "aht_seconds",
    "average_handle_time": "aht_seconds",
    # calls_answered
    "calls_answered": "calls_answered",
    "answered": "calls_answered",
    "answered_calls": "calls_answered",
    "calls_handled": "calls_answered",
    "handled": "calls_answered",
    # calls_abandoned
    "calls_abandoned": "calls_abandoned",
    "abandoned": "calls_abandoned",
    "abandoned_calls": "calls_abandoned",
    "abandons": "calls_abandoned",
    # answered_within_target
    "answered_within_target": "answered_within_target",
    "answered_within_sl": "answered_within_target",
    "answered_in_sl": "answered_within_target",
    "calls_within_sl": "answered_within_target",
    "within_sl": "answered_within_target",
    # agents_staffed
    "agents_staffed": "agents_staffed",
    "agents": "agents_staffed",
    "staffed": "agents_staffed",
    "agents_logged_in": "agents_staffed",
    # queue
    "queue": "queue",
    "queue_name": "queue",
    "queue_id": "queue",
    "skill": "queue",
    "skill_name": "queue",
    "split": "queue",
    "unique_id": "queue",
}
"""Normalised header name -> history column name."""

FORECAST_ALIASES: dict[str, str] = {
    **{
        alias: {"calls_offered": "calls_forecast", "aht_seconds": "aht_seconds_forecast"}.get(
            name, name
        )
        for alias, name in COLUMN_ALIASES.items()
    },
    "calls_forecast": "calls_forecast",
    "forecast": "calls_forecast",
    "yhat": "calls_forecast",
    "volume_forecast": "calls_forecast",
    "forecast_calls": "calls_forecast",
    "aht_seconds_forecast": "aht_seconds_forecast",
    "aht_forecast": "aht_seconds_forecast",
    "forecast_aht": "aht_seconds_forecast",
    "calls_lower": "calls_lower",
    "yhat_lower": "calls_lower",
    "calls_upper": "calls_upper",
    "yhat_upper": "calls_upper",
    "method": "method",
}
"""Normalised header name -> forecast column name. History spellings map onto the forecast columns
(``calls_offered`` -> ``calls_forecast``, ``aht_seconds`` -> ``aht_seconds_forecast``) so that a
history file can be staffed directly."""

FORECAST_REQUIRED_COLUMNS = ("queue", "interval_start", "calls_forecast", "aht_seconds_forecast")

COUNT_COLUMNS = ("calls_offered", "calls_answered", "calls_abandoned", "answered_within_target")
"""Call counts of a history frame (non-negative)."""

NUMERIC_COLUMNS = (
    "calls_offered",
    "aht_seconds",
    "calls_answered",
    "calls_abandoned",
    "answered_within_target",
    "agents_staffed",
    "calls_forecast",
    "calls_lower",
    "calls_upper",
    "aht_seconds_forecast",
    "traffic_erlangs",
    "agents_required",
    "agents_to_schedule",
    "agents_scheduled",
)
"""Columns that must be non-negative numbers wherever they appear in an input file."""
