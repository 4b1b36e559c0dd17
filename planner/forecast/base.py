"""The interface every forecasting method follows, and the shared frame <-> grid plumbing.

A method is a small class in the scikit-learn / statsforecast style: ``__init__`` stores parameters
and does nothing else; :meth:`ForecastMethod.fit` takes the long history frame (all queues) and
returns ``self`` with fitted state in attributes ending in ``_``; :meth:`ForecastMethod.predict`
returns a frame with exactly :data:`planner.schema.FORECAST_COLUMNS`, one row per open future
interval of every queue (closed intervals and closed days get no row; see
:mod:`planner.forecast.calendar`). Forecasts are never negative, and every method gives a
prediction interval (``calls_lower``, ``calls_upper``) at ``interval_level`` (default 0.8).

Subclasses implement ``_fit_queue`` (grid -> state) and ``_predict_queue`` (state, grid, future days
-> :class:`QueuePrediction`), both on numpy arrays; this module does the frame work.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from planner.errors import InputError
from planner.forecast.aht import AhtProfile, fit_aht, predict_aht
from planner.forecast.calendar import (
    FutureDays,
    QueueGrid,
    SpecialDays,
    build_grid,
    future_days,
    stamps_frame,
)
from planner.io import validate_history
from planner.schema import FORECAST_COLUMNS

__all__ = [
    "ForecastMethod",
    "QueuePrediction",
    "count_interval",
]


@dataclass
class QueuePrediction:
    """A method's raw prediction for one queue on the future grid.

    ``mean`` has shape (n_days, n_slots) over the future days and the grid's slots. Either
    ``lower``/``upper`` (same shape) are given, or ``rel_sd`` (shape (n_days,) or
    (n_days, n_slots)),
    the relative standard deviation of the underlying rate, from which the base class builds a
    Poisson-aware interval (see :func:`count_interval`).
    """

    mean: np.ndarray
    rel_sd: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None


def count_interval(
    mean: np.ndarray, rel_sd: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Central prediction interval of a count whose rate is uncertain.

    The count is Poisson given the rate; the rate is ``mean`` times a log-normal factor with
    standard deviation ``rel_sd`` on the log scale. The mixture is matched by a negative binomial
    with mean ``mean`` and variance ``mean + mean**2 * (exp(rel_sd**2) - 1)``.

    Parameters
    ----------
    mean
        Expected calls per interval, any shape, >= 0.
    rel_sd
        Log-scale standard deviation of the rate, broadcastable to ``mean``, >= 0.
    level
        Coverage of the central interval, in (0, 1).

    Returns
    -------
    (lower, upper)
        Arrays shaped like ``mean`` (calls per interval).
    """
    mean = np.asarray(mean, dtype=float)
    extra = np.broadcast_to(np.expm1(np.square(np.asarray(rel_sd, dtype=float))), mean.shape)
    alpha = (1.0 - level) / 2.0
    lower = np.zeros_like(mean)
    upper = np.zeros_like(mean)
    pos = mean > 0
    over = pos & (extra > 1e-9)
    poi = pos & ~over
    if poi.any():
        lower[poi] = stats.poisson.ppf(alpha, mean[poi])
        upper[poi] = stats.poisson.ppf(1 - alpha, mean[poi])
    if over.any():
        size = 1.0 / extra[over]  # NB with mean m and variance m + m^2/size
        prob = size / (size + mean[over])
        lower[over] = stats.nbinom.ppf(alpha, size, prob)
        upper[over] = stats.nbinom.ppf(1 - alpha, size, prob)
    return lower, upper


class ForecastMethod(ABC):
    """Base class of the forecasting methods (see the module docstring).

    Parameters
    ----------
    interval_level
        Coverage of the prediction interval, in (0, 1); default 0.8.
    country_holidays
        Country code for the ``holidays`` package (e.g. "US", "GB"), or None.
    special_days
        Extra holidays / special days (see :data:`planner.forecast.calendar.SpecialDays`).

    Notes
    -----
    ``aht_seconds_forecast`` comes from :mod:`planner.forecast.aht` for every method. When the
    history has no ``aht_seconds``, it is NaN, and the staffing step must be given an AHT.
    """

    name: ClassVar[str] = ""

    def __init__(
        self,
        *,
        interval_level: float = 0.8,
        country_holidays: str | None = None,
        special_days: SpecialDays = None,
    ) -> None:
        self.interval_level = interval_level
        self.country_holidays = country_holidays
        self.special_days = special_days

    # ------------------------------------------------------------------ public
    def fit(self, history: pd.DataFrame) -> ForecastMethod:
        """Fit one model per queue of ``history`` (long frame, see PRODUCT.md); returns ``self``.

        ``history`` is checked by :func:`planner.io.validate_history` (columns, values, duplicate
        rows, one interval length); each queue then needs at least 7 open days.
        """
        if not 0.0 < float(self.interval_level) < 1.0:
            raise InputError(
                f"The 'interval_level' parameter of {type(self).__name__} must be in (0, 1), "
                f"got {self.interval_level!r}"
            )
        # The one definition of a valid history (planner.io); its inferred interval length is the
        # grid step of every queue.
        load = validate_history(history, source="history")
        frame = load.frame
        self.interval_minutes_ = load.interval_minutes
        self.grids_: dict[str, QueueGrid] = {}
        self.states_: dict[str, Any] = {}
        self.aht_: dict[str, AhtProfile | None] = {}
        for queue in pd.unique(frame["queue"]):
            grid = build_grid(
                frame,
                str(queue),
                self.interval_minutes_,
                country_holidays=self.country_holidays,
                special_days=self.special_days,
            )
            if int(grid.observed.sum()) < 7:
                raise InputError(
                    f"history queue {queue!r}: {int(grid.observed.sum())} open days, "
                    f"{type(self).__name__} needs at least 7"
                )
            self.grids_[str(queue)] = grid
            self.states_[str(queue)] = self._fit_queue(grid)
            self.aht_[str(queue)] = fit_aht(grid)
        self.last_start_ = max(g.last_start for g in self.grids_.values())
        return self

    def predict(self, horizon_days: int, *, origin: pd.Timestamp | None = None) -> pd.DataFrame:
        """Forecast the next ``horizon_days`` days for every fitted queue.

        Parameters
        ----------
        horizon_days
            Length of the horizon in days (1 .. 365).
        origin
            Start of the horizon (tz-aware). Default: the interval after the last history interval
            (over all queues).

        Returns
        -------
        pandas.DataFrame
            Exactly ``FORECAST_COLUMNS``, sorted by (queue, interval_start); calls per interval.
        """
        if not hasattr(self, "states_"):
            raise InputError(f"{type(self).__name__}.predict called before fit")
        if isinstance(horizon_days, bool) or not isinstance(horizon_days, int | np.integer):
            raise InputError(
                f"horizon_days must be an integer number of days, got {horizon_days!r}"
            )
        if not 1 <= int(horizon_days) <= 365:
            raise InputError(f"horizon_days must be in 1 .. 365, got {horizon_days}")
        if origin is None:
            origin = self.last_start_ + pd.Timedelta(minutes=self.interval_minutes_)
        frames = []
        for queue, grid in self.grids_.items():
            fut = future_days(grid, int(horizon_days), origin=origin)
            frames.append(self._queue_frame(queue, grid, fut))
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return out.loc[:, list(FORECAST_COLUMNS)]

    # --------------------------------------------------------------- internals
    def _queue_frame(self, queue: str, grid: QueueGrid, fut: FutureDays) -> pd.DataFrame:
        stamps, day_i, slot_i = stamps_frame(grid, fut)
        if fut.dates.size:
            pred = self._predict_queue(self.states_[queue], grid, fut)
            mean = np.clip(np.nan_to_num(pred.mean[day_i, slot_i]), 0.0, None)
            if pred.lower is not None and pred.upper is not None:
                lower = pred.lower[day_i, slot_i]
                upper = pred.upper[day_i, slot_i]
            else:
                rel_sd = pred.rel_sd if pred.rel_sd is not None else np.zeros(pred.mean.shape[0])
                rel = np.broadcast_to(
                    rel_sd if rel_sd.ndim == 2 else rel_sd[:, None], pred.mean.shape
                )[day_i, slot_i]
                lower, upper = count_interval(mean, rel, float(self.interval_level))
            lower = np.clip(np.minimum(np.nan_to_num(lower), mean), 0.0, None)
            upper = np.maximum(np.nan_to_num(upper), mean)
            aht = predict_aht(self.aht_[queue], grid, fut)[day_i, slot_i]
        else:
            mean = lower = upper = aht = np.zeros(0)
        return pd.DataFrame(
            {
                "queue": pd.Series([queue] * len(stamps), dtype=str),
                "interval_start": stamps.reset_index(drop=True),
                "calls_forecast": mean,
                "calls_lower": lower,
                "calls_upper": upper,
                "aht_seconds_forecast": aht,
                "method": pd.Series([self.name] * len(stamps), dtype=str),
            }
        )

    @abstractmethod
    def _fit_queue(self, grid: QueueGrid) -> Any:
        """Fit one queue's grid; return the fitted state."""

    @abstractmethod
    def _predict_queue(self, state: Any, grid: QueueGrid, fut: FutureDays) -> QueuePrediction:
        """Predict one queue's future days."""

    def _check_int_parameter(self, name: str, low: int) -> int:
        """The constructor parameter ``name`` when it is an integer >= ``low`` (a bool is not).

        Raises
        ------
        InputError
            "The 'name' parameter of Class must be an integer >= low, got value".
        """
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(
                f"The '{name}' parameter of {type(self).__name__} must be an integer >= {low}, "
                f"got {value!r}"
            )
        return value

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (JSON-friendly where possible)."""
        import inspect

        names = [
            p
            for p in inspect.signature(type(self).__init__).parameters
            if p not in ("self", "args", "kwargs")
        ]
        out = {}
        for name in names:
            value = getattr(self, name)
            if isinstance(value, float) and math.isnan(value):
                value = None
            out[name] = value
        return out
