"""Baselines every planner knows: the same slot last week, and the mean of the last N weeks.

Both walk the calendar (:mod:`planner.forecast.calendar`): "last week" is the most recent history
day of the same day type (the same weekday, or the last open holiday for an open holiday) that
the centre was open, so a missing day (holiday, outage) never shifts the lookup onto another
weekday; for days more than a week ahead the same latest occurrences are reused.

Prediction intervals: the rate's log-scale spread is the empirical spread of the method's own
daily-total errors over the last ``interval_weeks`` weeks of history (each day forecast from the
days before it), combined with Poisson noise per interval
(:func:`planner.forecast.base.count_interval`).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

import numpy as np

from planner.forecast.base import ForecastMethod, QueuePrediction
from planner.forecast.calendar import FutureDays, QueueGrid, SpecialDays

__all__ = ["MeanLastWeeks", "SameSlotLastWeek"]


@dataclass
class _LookupState:
    rows_by_type: dict[int, np.ndarray]
    rel_sd: float


def _lookup_rows(grid: QueueGrid, day_type: int, n: int, before: int) -> np.ndarray:
    """Indices of the last ``n`` observed days of ``day_type`` strictly before row ``before``."""
    rows = np.flatnonzero(grid.observed[:before] & (grid.day_type[:before] == day_type))
    return rows[-n:]


# Log-scale sd of a daily total when the history is too short to measure the lookup's own errors
# (fewer than 3 scorable days): 10 %, about what the 4-week mean shows on real centres' daily
# totals (the bank data's week-1 daily-total WAPE is 5-8 %), so the band is honest, not narrow.
_FALLBACK_DAILY_LOG_SD = 0.1
_MIN_SCORED_DAYS = 3


def _rel_sd_of_lookup(grid: QueueGrid, n: int, weeks: int) -> float:
    """Log-scale sd of daily-total errors of the n-occurrence mean over the last ``weeks`` weeks.

    Falls back to :data:`_FALLBACK_DAILY_LOG_SD` when fewer than ``_MIN_SCORED_DAYS`` days of the
    window can be scored (a short history).
    """
    totals = np.nansum(grid.calls, axis=1)
    errors = []
    for i in range(max(grid.n_days - 7 * weeks, 0), grid.n_days):
        if not grid.observed[i] or totals[i] <= 0:
            continue
        rows = _lookup_rows(grid, int(grid.day_type[i]), n, i)
        if rows.size == 0:
            continue
        forecast = totals[rows].mean()
        if forecast > 0:
            errors.append(np.log(totals[i] / forecast))
    if len(errors) < _MIN_SCORED_DAYS:
        return _FALLBACK_DAILY_LOG_SD
    return float(np.sqrt(np.mean(np.square(errors))))


class _LookupMethod(ForecastMethod):
    interval_weeks: int

    @abstractmethod
    def _weeks(self) -> int:
        """Past occurrences of the same day type behind each forecast day."""

    def _fit_queue(self, grid: QueueGrid) -> _LookupState:
        n = self._weeks()
        rows_by_type = {
            t: _lookup_rows(grid, t, n, grid.n_days) for t in np.unique(grid.day_type).tolist()
        }
        return _LookupState(
            rows_by_type=rows_by_type,
            rel_sd=_rel_sd_of_lookup(grid, n, self._check_int_parameter("interval_weeks", 1)),
        )

    def _predict_queue(
        self, state: _LookupState, grid: QueueGrid, fut: FutureDays
    ) -> QueuePrediction:
        n_slots = grid.slot_minutes.shape[0]
        mean = np.zeros((fut.dates.shape[0], n_slots))
        observed_rows = np.flatnonzero(grid.observed)
        for t in np.unique(fut.day_type).tolist():
            rows = state.rows_by_type.get(int(t), np.zeros(0, dtype=np.int64))
            if rows.size == 0:
                # A day type never seen open: fall back to the last n open days of any type.
                rows = observed_rows[-self._weeks() :]
            mean[fut.day_type == t] = grid.calls[rows].mean(axis=0)
        return QueuePrediction(mean=mean, rel_sd=np.full(fut.dates.shape[0], state.rel_sd))


class SameSlotLastWeek(_LookupMethod):
    """Forecast each interval by the same slot on the most recent open day of the same day type.

    Parameters
    ----------
    interval_weeks
        Weeks of history behind the prediction interval's spread.
    interval_level, country_holidays, special_days
        See :class:`planner.forecast.base.ForecastMethod`.
    """

    name = "same-slot-last-week"

    def __init__(
        self,
        *,
        interval_weeks: int = 8,
        interval_level: float = 0.8,
        country_holidays: str | None = None,
        special_days: SpecialDays = None,
    ) -> None:
        super().__init__(
            interval_level=interval_level,
            country_holidays=country_holidays,
            special_days=special_days,
        )
        self.interval_weeks = interval_weeks

    def _weeks(self) -> int:
        return 1


class MeanLastWeeks(_LookupMethod):
    """Forecast each interval by the mean of the same slot over the last ``n_weeks`` open days of
    the same day type (the same weekday in the last ``n_weeks`` weeks it was open).

    Parameters
    ----------
    n_weeks
        Number of past occurrences averaged (>= 1); default 4.
    interval_weeks
        Weeks of history behind the prediction interval's spread.
    interval_level, country_holidays, special_days
        See :class:`planner.forecast.base.ForecastMethod`.
    """

    name = "mean-last-weeks"

    def __init__(
        self,
        *,
        n_weeks: int = 4,
        interval_weeks: int = 8,
        interval_level: float = 0.8,
        country_holidays: str | None = None,
        special_days: SpecialDays = None,
    ) -> None:
        super().__init__(
            interval_level=interval_level,
            country_holidays=country_holidays,
            special_days=special_days,
        )
        self.n_weeks = n_weeks
        self.interval_weeks = interval_weeks

    def _weeks(self) -> int:
        return self._check_int_parameter("n_weeks", 1)
