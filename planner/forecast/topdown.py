"""Top-down forecast: a daily-total model times an intraday profile per day type.

This is the planners' usual way, and on the real bank series it beats the 4-week same-slot mean by
well over 10 % WAPE (see bench/RESULTS.md, issue 4), because each part is estimated from many
weeks: the mean of 4 weeks of one slot carries the Poisson noise of 4 observations, while the
profile averages ``profile_weeks`` days and the daily total pools every slot.

Daily totals, two models and their combination:
- ``daily_model="regression"``: least squares on log daily totals of the last ``total_weeks``
  weeks with a day-type effect (weekday, or open holiday), a day-after-closure effect (the day
  after a holiday or outage), a month-start effect (calendar days 1 .. ``month_start_days``, when
  bills and statements land) and a linear trend that is used only to de-trend; the level of the
  forecast is the exponentially weighted mean (half-life ``level_half_life_weeks``) of the
  de-seasonalised recent totals, held flat over the horizon;
- ``daily_model="prophet"``: Prophet on the daily totals of the same window (multiplicative
  weekly seasonality, the same effects as extra regressors, holidays);
- ``daily_model="ensemble"`` (the default): the geometric mean of the two. On the bank series it
  is the most robust of the three over 10 weekly origins (bench/RESULTS.md, issue 4).

Intraday profile: for each day type, the mean share of each slot in the day's total over the
last ``profile_weeks`` occurrences, blended with the pooled profile of all days when a day type has
fewer than 3 occurrences.

Prediction interval: log-normal uncertainty of the daily total (the regression's residual spread
inflated for the level estimate; Prophet's in-sample spread; the wider of the two for the
ensemble), plus Poisson noise per interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.errors import InputError
from planner.forecast.base import ForecastMethod, QueuePrediction
from planner.forecast.calendar import (
    HOLIDAY_DAY_TYPE,
    N_DAY_TYPES,
    FutureDays,
    QueueGrid,
    SpecialDays,
    _weekday,
    history_after_closure,
)

__all__ = ["TopDown", "daily_design", "fit_daily_totals"]

_OUTAGE_FRACTION = 0.2
"""Days with a total below this fraction of the median are treated as outages and left out."""


def daily_design(
    dates: np.ndarray,
    day_type: np.ndarray,
    after_closure: np.ndarray,
    types: list[int],
    month_start_days: int,
) -> np.ndarray:
    """Design matrix of the daily-total regression (without the trend column).

    Columns: intercept, one indicator per day type in ``types[1:]`` (``types[0]`` is the base),
    day after closure, month start. A day type not in ``types`` uses its weekday's indicator.

    Parameters
    ----------
    dates
        Days, shape (n,), ``datetime64[D]``.
    day_type
        Day types, shape (n,).
    after_closure
        0/1 per day, shape (n,).
    types
        Day types seen in the training window, base type first.
    month_start_days
        Calendar days 1 .. this count as month start (0 turns the effect off).

    Returns
    -------
    numpy.ndarray
        Shape (n, 3 + len(types) - 1).
    """
    n = dates.shape[0]
    weekday = _weekday(dates)
    effective = np.where(np.isin(day_type, types), day_type, weekday)
    cols = [np.ones(n)]
    cols += [(effective == t).astype(float) for t in types[1:]]
    cols.append(np.asarray(after_closure, dtype=float))
    day_of_month = (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(
        np.int64
    ) + 1
    cols.append((day_of_month <= month_start_days).astype(float))
    return np.column_stack(cols)


@dataclass
class DailyTotalsFit:
    """Fitted daily-total regression of one queue (log scale)."""

    types: list[int]
    coef: np.ndarray
    level: float
    rel_sd: float
    month_start_days: int


def fit_daily_totals(
    grid: QueueGrid, *, total_weeks: int, level_half_life_weeks: float, month_start_days: int
) -> DailyTotalsFit:
    """Fit the daily-total regression (see the module docstring) on one queue's grid."""
    totals = np.nansum(grid.calls, axis=1)
    after = history_after_closure(grid)
    use = grid.observed & (np.arange(grid.n_days) >= grid.n_days - 7 * total_weeks) & (totals > 0)
    median = np.median(totals[use]) if use.any() else 0.0
    use &= totals >= _OUTAGE_FRACTION * median
    if use.sum() < 7:
        raise InputError(
            f"history queue {grid.queue!r}: {int(use.sum())} usable days in the last "
            f"{total_weeks} weeks, the top-down model needs at least 7"
        )
    idx = np.flatnonzero(use)
    types_seen, counts = np.unique(grid.day_type[idx], return_counts=True)
    types = [int(t) for t in types_seen[np.argsort(-counts, kind="stable")]]
    x = daily_design(grid.dates[idx], grid.day_type[idx], after[idx], types, month_start_days)
    weeks_back = (idx - (grid.n_days - 1)) / 7.0
    design = np.column_stack([x, weeks_back])
    y = np.log(totals[idx])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = max(len(y) - design.shape[1], 1)
    sd = float(np.sqrt(np.sum(resid**2) / dof))
    # Level: exponentially weighted mean of the totals with every effect but the trend removed.
    deseason = y - x @ coef[:-1]
    weights = np.power(0.5, -weeks_back / level_half_life_weeks)
    level = float(np.sum(weights * deseason) / np.sum(weights))
    n_eff = np.sum(weights) ** 2 / np.sum(weights**2)
    rel_sd = sd * float(np.sqrt(1.0 + 1.0 / n_eff))
    return DailyTotalsFit(
        types=types, coef=coef[:-1], level=level, rel_sd=rel_sd, month_start_days=month_start_days
    )


def intraday_profiles(grid: QueueGrid, profile_weeks: int) -> np.ndarray:
    """Share of the day's calls per slot, per day type: shape (N_DAY_TYPES, n_slots).

    Each row sums to 1 over the day type's open slots (rows of day types never seen are pooled).
    """
    totals = np.nansum(grid.calls, axis=1)
    ok = grid.observed & (totals > 0)
    n_slots = grid.slot_minutes.shape[0]
    shares = np.zeros_like(grid.calls)
    shares[ok] = grid.calls[ok] / totals[ok, None]
    pooled_rows = np.flatnonzero(ok)[-7 * profile_weeks :]
    pooled = shares[pooled_rows].mean(axis=0) if pooled_rows.size else np.full(n_slots, 1 / n_slots)
    out = np.zeros((N_DAY_TYPES, n_slots))
    for t in range(N_DAY_TYPES):
        rows = np.flatnonzero(ok & (grid.day_type == t))[-profile_weeks:]
        weight = min(rows.size / 3.0, 1.0)
        own = shares[rows].mean(axis=0) if rows.size else pooled
        prof = weight * own + (1 - weight) * pooled
        mask = grid.open_slots(t)
        if mask.any():
            prof = np.where(mask, prof, 0.0)
        total = prof.sum()
        out[t] = prof / total if total > 0 else np.where(mask, 1.0 / max(mask.sum(), 1), 0.0)
    return out


@dataclass
class _TopDownState:
    daily: DailyTotalsFit | None
    prophet_json: str | None
    profiles: np.ndarray
    prophet_rel_sd: float = 0.0


class TopDown(ForecastMethod):
    """Daily totals x intraday profile per day type (see the module docstring).

    Parameters
    ----------
    total_weeks
        Weeks of daily totals behind the day-type, holiday, month-start and trend effects.
    level_half_life_weeks
        Half-life of the exponentially weighted level, in weeks.
    month_start_days
        Calendar days 1 .. this at the start of each month get their own effect (0: none).
    profile_weeks
        Occurrences of each day type behind its intraday profile.
    daily_model
        "ensemble" (default: geometric mean of both), "regression" or "prophet".
    interval_level, country_holidays, special_days
        See :class:`planner.forecast.base.ForecastMethod`.
    """

    name = "topdown"

    def __init__(
        self,
        *,
        total_weeks: int = 26,
        level_half_life_weeks: float = 1.0,
        month_start_days: int = 5,
        profile_weeks: int = 26,
        daily_model: str = "ensemble",
        interval_level: float = 0.8,
        country_holidays: str | None = None,
        special_days: SpecialDays = None,
    ) -> None:
        super().__init__(
            interval_level=interval_level,
            country_holidays=country_holidays,
            special_days=special_days,
        )
        self.total_weeks = total_weeks
        self.level_half_life_weeks = level_half_life_weeks
        self.month_start_days = month_start_days
        self.profile_weeks = profile_weeks
        self.daily_model = daily_model

    def _check(self) -> None:
        for name in ("total_weeks", "profile_weeks"):
            self._check_int_parameter(name, 1)
        if not self.level_half_life_weeks > 0:
            raise InputError(
                "The 'level_half_life_weeks' parameter of TopDown must be > 0, "
                f"got {self.level_half_life_weeks!r}"
            )
        if not isinstance(self.month_start_days, int) or not 0 <= self.month_start_days <= 28:
            raise InputError(
                "The 'month_start_days' parameter of TopDown must be an integer in 0 .. 28, "
                f"got {self.month_start_days!r}"
            )
        if self.daily_model not in ("regression", "prophet", "ensemble"):
            raise InputError(
                "The 'daily_model' parameter of TopDown must be 'regression', 'prophet' or "
                "'ensemble', "
                f"got {self.daily_model!r}"
            )

    def _fit_queue(self, grid: QueueGrid) -> _TopDownState:
        self._check()
        profiles = intraday_profiles(grid, self.profile_weeks)
        state = _TopDownState(daily=None, prophet_json=None, profiles=profiles)
        if self.daily_model in ("prophet", "ensemble"):
            from planner.forecast.prophet_model import fit_daily_prophet

            state.prophet_json, state.prophet_rel_sd = fit_daily_prophet(
                grid, self.total_weeks, self.month_start_days
            )
        if self.daily_model in ("regression", "ensemble"):
            state.daily = fit_daily_totals(
                grid,
                total_weeks=self.total_weeks,
                level_half_life_weeks=float(self.level_half_life_weeks),
                month_start_days=self.month_start_days,
            )
        return state

    def daily_totals(
        self, state: _TopDownState, grid: QueueGrid, fut: FutureDays
    ) -> tuple[np.ndarray, np.ndarray]:
        """Daily totals and their log-scale sd for the future days, shape (n_days,) each."""
        parts = []
        if state.prophet_json is not None:
            from planner.forecast.prophet_model import predict_daily_prophet

            parts.append(
                predict_daily_prophet(
                    state.prophet_json, state.prophet_rel_sd, fut, self.month_start_days
                )
            )
        if state.daily is not None:
            d = state.daily
            x = daily_design(
                fut.dates, fut.day_type, fut.after_closure, d.types, d.month_start_days
            )
            parts.append((np.exp(x @ d.coef + d.level), np.full(fut.dates.shape[0], d.rel_sd)))
        if len(parts) == 1:
            return parts[0]
        # Ensemble: geometric mean of the two daily models; the wider of their spreads.
        totals = np.sqrt(np.clip(parts[0][0], 0.0, None) * np.clip(parts[1][0], 0.0, None))
        return totals, np.maximum(parts[0][1], parts[1][1])

    def _predict_queue(
        self, state: _TopDownState, grid: QueueGrid, fut: FutureDays
    ) -> QueuePrediction:
        totals, rel_sd = self.daily_totals(state, grid, fut)
        types = np.where(
            np.isin(fut.day_type, np.arange(N_DAY_TYPES)), fut.day_type, HOLIDAY_DAY_TYPE
        )
        mean = totals[:, None] * state.profiles[types]
        return QueuePrediction(mean=mean, rel_sd=rel_sd)
