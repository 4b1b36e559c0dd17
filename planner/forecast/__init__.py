"""Forecasting per interval: methods, backtests, the automatic choice, saved versions.

Entry points:
- :func:`forecast_history` (``method="auto"`` or a name) -> :class:`ForecastRun`;
- :func:`backtest` -> :class:`BacktestResult` (rolling weekly origins, WAPE / bias / MASE);
- the methods: :class:`SameSlotLastWeek`, :class:`MeanLastWeeks`, :class:`TopDown`,
  :class:`ProphetForecaster` (``fit(history) -> self``, ``predict(horizon_days) -> frame``);
- saved models and forecast versions: :func:`save_model`, :func:`load_model`,
  :func:`save_forecast_version`, :func:`load_forecast_version`, :func:`list_forecast_versions`.

Forecast frames have exactly :data:`planner.schema.FORECAST_COLUMNS`, one row per open future
interval (closed hours and days have no row).
"""

from planner.forecast.backtest import METHODS, BacktestResult, backtest, make_method
from planner.forecast.base import ForecastMethod, count_interval
from planner.forecast.baselines import MeanLastWeeks, SameSlotLastWeek
from planner.forecast.prophet_model import ProphetForecaster
from planner.forecast.select import (
    AUTO_CANDIDATES,
    AutoForecaster,
    ForecastRun,
    MethodChoice,
    forecast_history,
)
from planner.forecast.topdown import TopDown
from planner.forecast.versions import (
    ForecastVersion,
    list_forecast_versions,
    load_forecast_version,
    load_model,
    save_forecast_version,
    save_model,
)

__all__ = [
    "AUTO_CANDIDATES",
    "AutoForecaster",
    "METHODS",
    "BacktestResult",
    "ForecastMethod",
    "ForecastRun",
    "ForecastVersion",
    "MeanLastWeeks",
    "MethodChoice",
    "ProphetForecaster",
    "SameSlotLastWeek",
    "TopDown",
    "backtest",
    "count_interval",
    "forecast_history",
    "list_forecast_versions",
    "load_forecast_version",
    "load_model",
    "make_method",
    "save_forecast_version",
    "save_model",
]
