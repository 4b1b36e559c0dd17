"""AHT forecast per interval: a smoothed profile by day type and time of day, with a damped trend.

The profile is the calls-weighted mean AHT of each (day type, slot) over the last ``weeks`` weeks,
smoothed over neighbouring slots (weights 1-2-1, weighted by calls), falling back to the slot's
mean over all day types, then to the overall mean, where a cell has too few calls. The level is
mix-adjusted: the weekly calls-weighted mean of AHT / profile, anchored at its last two weeks, with
a linear trend over the last ``trend_weeks`` weeks damped by ``damping`` per week ahead.

Without AHT data in the history, the forecast is NaN: the staffing step must then be given an AHT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.forecast.calendar import N_DAY_TYPES, FutureDays, QueueGrid

__all__ = ["AhtProfile", "fit_aht", "predict_aht"]

_MIN_CALLS = 20.0
"""Calls needed behind a (day type, slot) cell before its own mean is trusted."""


@dataclass
class AhtProfile:
    """Fitted AHT state of one queue.

    Attributes
    ----------
    profile_seconds
        AHT per (day type, slot) over the profile window, shape (N_DAY_TYPES, n_slots), seconds.
    level_seconds
        Calls-weighted mean AHT of the profile window, seconds.
    anchor_ratio
        Weighted mean of AHT / profile over the last two weeks (1.0 = on profile).
    slope_ratio_per_week
        Trend of the weekly mean of AHT / profile, per week.
    damping
        Damping factor of the trend per week ahead, in [0, 1].
    last_date
        Last history day (``datetime64[D]``).
    """

    profile_seconds: np.ndarray
    level_seconds: float
    anchor_ratio: float
    slope_ratio_per_week: float
    damping: float
    last_date: np.datetime64


def _weighted_mean(
    values: np.ndarray, weights: np.ndarray, axis: int
) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(values) & (weights > 0)
    w = np.where(ok, weights, 0.0)
    total = w.sum(axis=axis)
    num = np.where(ok, values, 0.0) * w
    with np.errstate(invalid="ignore", divide="ignore"):
        return num.sum(axis=axis) / total, total


def fit_aht(
    grid: QueueGrid, *, weeks: int = 8, trend_weeks: int = 13, damping: float = 0.8
) -> AhtProfile | None:
    """Fit the AHT profile of one queue; None when the history has no AHT.

    Parameters
    ----------
    grid
        The queue's day x slot grid.
    weeks
        Weeks of history behind the profile.
    trend_weeks
        Weeks of weekly means behind the trend.
    damping
        Trend damping per week ahead, in [0, 1].
    """
    if grid.aht_seconds is None or grid.aht_weight is None:
        return None
    aht, weight = grid.aht_seconds, grid.aht_weight
    n_days = grid.n_days
    recent = np.arange(n_days) >= n_days - 7 * weeks
    level, level_w = _weighted_mean(aht[recent].ravel(), weight[recent].ravel(), axis=0)
    if not level_w > 0:
        return None
    slot_all, slot_all_w = _weighted_mean(aht[recent], weight[recent], axis=0)
    slot_all = np.where(slot_all_w >= _MIN_CALLS, slot_all, level)
    n_slots = grid.slot_minutes.shape[0]
    profile = np.tile(slot_all, (N_DAY_TYPES, 1))
    weights = np.zeros((N_DAY_TYPES, n_slots))
    for t in range(N_DAY_TYPES):
        rows = recent & (grid.day_type == t)
        if rows.any():
            mean_t, w_t = _weighted_mean(aht[rows], weight[rows], axis=0)
            use = w_t >= _MIN_CALLS
            profile[t, use] = mean_t[use]
            weights[t] = w_t
    raw_profile = profile.copy()
    # 1-2-1 smoothing over neighbouring slots, weighted by calls behind each cell.
    kernel_w = np.maximum(weights, _MIN_CALLS)
    padded_p = np.pad(profile, ((0, 0), (1, 1)), mode="edge")
    padded_w = np.pad(kernel_w, ((0, 0), (1, 1)), mode="constant")
    coef = np.array([1.0, 2.0, 1.0])
    num = sum(
        coef[k] * padded_p[:, k : k + n_slots] * padded_w[:, k : k + n_slots] for k in range(3)
    )
    den = sum(coef[k] * padded_w[:, k : k + n_slots] for k in range(3))
    profile = num / den

    # Trend on the mix-adjusted level: AHT relative to its (day type, slot) profile, so a week with
    # more evening calls does not look like a rise in handle time.
    relative = aht / raw_profile[grid.day_type]
    week_of_day = (n_days - 1 - np.arange(n_days)) // 7
    weekly, weekly_w = [], []
    for k in range(trend_weeks):
        rows = week_of_day == k
        m, w = _weighted_mean(relative[rows].ravel(), weight[rows].ravel(), axis=0)
        weekly.append(m)
        weekly_w.append(w)
    weekly_arr, weekly_warr = np.array(weekly), np.array(weekly_w)
    ok = np.isfinite(weekly_arr) & (weekly_warr > 0)
    slope = 0.0
    if ok.sum() >= 4:
        x = -np.arange(trend_weeks, dtype=float)[ok]
        slope = float(np.polyfit(x, weekly_arr[ok], 1)[0])
    anchor_rows = week_of_day < 2
    anchor, anchor_w = _weighted_mean(
        relative[anchor_rows].ravel(), weight[anchor_rows].ravel(), axis=0
    )
    anchor_ratio = float(anchor) if anchor_w > 0 else 1.0
    return AhtProfile(
        profile_seconds=profile,
        level_seconds=float(level),
        anchor_ratio=anchor_ratio,
        slope_ratio_per_week=slope,
        damping=float(damping),
        last_date=grid.dates[-1],
    )


def predict_aht(state: AhtProfile | None, grid: QueueGrid, fut: FutureDays) -> np.ndarray:
    """AHT forecast in seconds, shape (n_future_days, n_slots); NaN without AHT history."""
    shape = (fut.dates.shape[0], grid.slot_minutes.shape[0])
    if state is None:
        return np.full(shape, np.nan)
    weeks_ahead = (fut.dates - state.last_date).astype(np.int64) / 7.0
    phi = state.damping
    # Damped trend: slope * (phi + phi^2 + ... + phi^h) for h weeks ahead (continuous h).
    damped = phi * (1 - phi**weeks_ahead) / (1 - phi) if phi < 1 else weeks_ahead
    scale = np.maximum(state.anchor_ratio + state.slope_ratio_per_week * damped, 0.25)
    return state.profile_seconds[fut.day_type] * scale[:, None]
