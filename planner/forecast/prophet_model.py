"""Prophet configured for intraday call data, and Prophet on daily totals for the top-down method.

Interval model (:class:`ProphetForecaster`): Prophet on the open intervals only (closed hours and
days are absent, so the daily seasonality describes the open hours), with
- multiplicative seasonality (volume scales the whole day's shape);
- the daily shape conditional on the day type: one daily seasonality per week part present in the
  history (Monday-Friday, Saturday, Sunday, open holidays), Fourier order ``daily_fourier_order``;
- weekly seasonality, yearly seasonality when the history spans at least a year;
- country holidays (``holidays`` package) and the user's special days as Prophet holidays, plus
  day-after-closure and month-start regressors (multiplicative);
- a MAP fit (no MCMC) and ``uncertainty_samples`` draws for the interval, seeded by ``seed``;
- forecasts clipped at 0 (Prophet itself can go negative at quiet hours).

Prophet needs naive timestamps: it is fed local clock time, and the forecast is converted back.
Fitted models are kept as Prophet's own JSON (``model_to_json``), never pickled.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.forecast.base import ForecastMethod, QueuePrediction
from planner.forecast.calendar import (
    HOLIDAY_DAY_TYPE,
    FutureDays,
    QueueGrid,
    SpecialDays,
    _weekday,
    history_after_closure,
)

__all__ = ["ProphetForecaster", "fit_daily_prophet", "predict_daily_prophet"]

_WEEK_PARTS = {
    "weekday": (0, 1, 2, 3, 4),
    "saturday": (5,),
    "sunday": (6,),
    "holiday": (HOLIDAY_DAY_TYPE,),
}


def _quiet() -> None:
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Prophet samples with numpy's global generator: seed it and restore the state afterwards."""
    state = np.random.get_state()  # noqa: NPY002 - Prophet draws from the legacy global generator
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _month_start(dates: np.ndarray, days: int) -> np.ndarray:
    dom = (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return (dom <= days).astype(float)


def _holidays_frame(grid: QueueGrid) -> pd.DataFrame | None:
    if not grid.holiday_lookup:
        return None
    days = sorted(grid.holiday_lookup)
    return pd.DataFrame(
        {"holiday": [grid.holiday_lookup[d] for d in days], "ds": pd.to_datetime(days)}
    )


@dataclass
class _ProphetState:
    model_json: str
    parts: list[str]


class ProphetForecaster(ForecastMethod):
    """Prophet on the interval series, configured for call data (see the module docstring).

    Parameters
    ----------
    daily_fourier_order
        Fourier order of each day type's daily shape.
    weekly_fourier_order
        Fourier order of the weekly seasonality.
    month_start_days
        Calendar days 1 .. this get a month-start regressor (0: none).
    changepoint_prior_scale
        Prophet's trend flexibility.
    uncertainty_samples
        Draws for the prediction interval (Prophet's default is 1000; fewer is faster).
    seed
        Seed of the uncertainty draws.
    interval_level, country_holidays, special_days
        See :class:`planner.forecast.base.ForecastMethod`.
    """

    name = "prophet"

    def __init__(
        self,
        *,
        daily_fourier_order: int = 12,
        weekly_fourier_order: int = 3,
        month_start_days: int = 5,
        changepoint_prior_scale: float = 0.05,
        uncertainty_samples: int = 100,
        seed: int = 0,
        interval_level: float = 0.8,
        country_holidays: str | None = None,
        special_days: SpecialDays = None,
    ) -> None:
        super().__init__(
            interval_level=interval_level,
            country_holidays=country_holidays,
            special_days=special_days,
        )
        self.daily_fourier_order = daily_fourier_order
        self.weekly_fourier_order = weekly_fourier_order
        self.month_start_days = month_start_days
        self.changepoint_prior_scale = changepoint_prior_scale
        self.uncertainty_samples = uncertainty_samples
        self.seed = seed

    def _frame(
        self,
        grid: QueueGrid,
        dates: np.ndarray,
        day_type: np.ndarray,
        after: np.ndarray,
        mask: np.ndarray,
    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        day_i, slot_i = np.nonzero(mask)
        ds = dates[day_i].astype("datetime64[m]") + grid.slot_minutes[slot_i].astype(
            "timedelta64[m]"
        )
        frame = pd.DataFrame({"ds": pd.DatetimeIndex(ds.astype("datetime64[ns]"))})
        types = day_type[day_i]
        for part, members in _WEEK_PARTS.items():
            frame[f"is_{part}"] = np.isin(types, members)
        frame["after_closure"] = after[day_i]
        frame["month_start"] = _month_start(dates[day_i], self.month_start_days)
        return frame, day_i, slot_i

    def _check(self) -> None:
        for name, low in (
            ("daily_fourier_order", 1),
            ("weekly_fourier_order", 0),
            ("uncertainty_samples", 0),
            ("month_start_days", 0),
        ):
            self._check_int_parameter(name, low)
        if not self.changepoint_prior_scale > 0:
            raise InputError(
                "The 'changepoint_prior_scale' parameter of ProphetForecaster must be > 0, "
                f"got {self.changepoint_prior_scale!r}"
            )

    def _fit_queue(self, grid: QueueGrid) -> _ProphetState:
        from prophet import Prophet
        from prophet.serialize import model_to_json

        self._check()

        _quiet()
        after = history_after_closure(grid)
        frame, day_i, slot_i = self._frame(
            grid, grid.dates, grid.day_type, after, grid.slot_seen & grid.observed[:, None]
        )
        frame["y"] = grid.calls[day_i, slot_i]
        span_days = int((grid.dates[-1] - grid.dates[0]).astype(np.int64))
        model = Prophet(
            growth="linear",
            seasonality_mode="multiplicative",
            daily_seasonality=False,
            weekly_seasonality=self.weekly_fourier_order,
            yearly_seasonality=6 if span_days >= 365 else False,
            holidays=_holidays_frame(grid),
            changepoint_prior_scale=self.changepoint_prior_scale,
            uncertainty_samples=int(self.uncertainty_samples),
            interval_width=float(self.interval_level),
        )
        parts = [p for p in _WEEK_PARTS if frame[f"is_{p}"].any()]
        for part in parts:
            model.add_seasonality(
                name=f"daily_{part}",
                period=1,
                fourier_order=self.daily_fourier_order,
                condition_name=f"is_{part}",
            )
        if frame["after_closure"].any():
            model.add_regressor("after_closure", mode="multiplicative")
        if self.month_start_days > 0 and frame["month_start"].nunique() > 1:
            model.add_regressor("month_start", mode="multiplicative")
        model.fit(frame)
        return _ProphetState(model_json=model_to_json(model), parts=parts)

    def _predict_queue(
        self, state: _ProphetState, grid: QueueGrid, fut: FutureDays
    ) -> QueuePrediction:
        from prophet.serialize import model_from_json

        _quiet()
        model = model_from_json(state.model_json)
        day_type = fut.day_type.copy()
        # A day type whose daily shape was never fitted borrows the weekday shape.
        fitted = set().union(*(set(_WEEK_PARTS[p]) for p in state.parts)) if state.parts else set()
        missing = ~np.isin(day_type, list(fitted))
        day_type[missing] = _weekday(fut.dates[missing])
        if "weekday" in state.parts:
            still = ~np.isin(day_type, list(fitted))
            day_type[still] = 0
        frame, day_i, slot_i = self._frame(
            grid, fut.dates, day_type, fut.after_closure, fut.open_mask
        )
        with _seeded(int(self.seed)):
            out = model.predict(frame)
        shape = fut.open_mask.shape
        mean = np.zeros(shape)
        mean[day_i, slot_i] = np.clip(out["yhat"].to_numpy(), 0.0, None)
        if "yhat_lower" not in out.columns:
            # uncertainty_samples=0: no Prophet interval, Poisson noise around the forecast only.
            return QueuePrediction(mean=mean, rel_sd=np.zeros(shape[0]))
        lower = np.zeros(shape)
        upper = np.zeros(shape)
        lower[day_i, slot_i] = np.clip(out["yhat_lower"].to_numpy(), 0.0, None)
        upper[day_i, slot_i] = np.clip(out["yhat_upper"].to_numpy(), 0.0, None)
        return QueuePrediction(mean=mean, lower=lower, upper=upper)


def _daily_frame(dates: np.ndarray, after: np.ndarray, month_start_days: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ds": pd.DatetimeIndex(dates.astype("datetime64[ns]")),
            "after_closure": after,
            "month_start": _month_start(dates, month_start_days),
        }
    )


def fit_daily_prophet(
    grid: QueueGrid, total_weeks: int, month_start_days: int
) -> tuple[str, float]:
    """Fit Prophet to one queue's daily totals of the last ``total_weeks`` weeks.

    Returns
    -------
    (model_json, rel_sd)
        The fitted model as Prophet JSON, and the in-sample log-scale residual sd.
    """
    from prophet import Prophet
    from prophet.serialize import model_to_json

    _quiet()
    totals = np.nansum(grid.calls, axis=1)
    after = history_after_closure(grid)
    use = grid.observed & (totals > 0) & (np.arange(grid.n_days) >= grid.n_days - 7 * total_weeks)
    if use.sum() < 7:
        raise InputError(
            f"history queue {grid.queue!r}: {int(use.sum())} usable days, daily Prophet needs >= 7"
        )
    use &= totals >= 0.2 * np.median(totals[use])
    frame = _daily_frame(grid.dates[use], after[use], month_start_days)
    frame["y"] = totals[use]
    model = Prophet(
        seasonality_mode="multiplicative",
        daily_seasonality=False,
        weekly_seasonality=True,
        # Yearly seasonality only when the training window itself covers two years.
        yearly_seasonality=bool(
            (frame["ds"].iloc[-1] - frame["ds"].iloc[0]) >= pd.Timedelta(days=730)
        ),
        holidays=_holidays_frame(grid),
        uncertainty_samples=0,
    )
    if frame["after_closure"].any():
        model.add_regressor("after_closure", mode="multiplicative")
    if month_start_days > 0 and frame["month_start"].nunique() > 1:
        model.add_regressor("month_start", mode="multiplicative")
    model.fit(frame)
    fitted = model.predict(frame.drop(columns="y"))["yhat"].to_numpy()
    resid = np.log(frame["y"].to_numpy()) - np.log(np.clip(fitted, 1e-9, None))
    return model_to_json(model), float(np.sqrt(np.mean(resid**2)))


def predict_daily_prophet(
    model_json: str | None, rel_sd: float, fut: FutureDays, month_start_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Daily totals (calls per day) and their log-scale sd from a fitted daily Prophet model."""
    from prophet.serialize import model_from_json

    if model_json is None:
        raise InputError("daily Prophet model missing: fit before predict")
    _quiet()
    model = model_from_json(model_json)
    frame = _daily_frame(fut.dates, fut.after_closure, month_start_days)
    yhat = np.clip(model.predict(frame)["yhat"].to_numpy(), 0.0, None)
    return yhat, np.full(fut.dates.shape[0], rel_sd)
