"""The built-in sample centre: a deterministic, realistic synthetic contact-centre history.

Three queues (``sales``, ``support``, ``billing``) in Europe/London at 15-minute intervals, with
opening hours per weekday, weekday and weekend intraday shapes, yearly seasonality, trend, English
public holidays (closed, or weekend hours), a bump on the day after a holiday, billing's
month-start peak, AHT varying by time of day, Poisson arrivals, and outcomes (answered, abandoned,
answered within 20 s) drawn from Erlang A at a plausible, imperfect staffing level.

Only open intervals are emitted, as an ACD export would; closed days are absent rows. Everything
is drawn from one ``numpy.random.Generator`` seeded by ``seed``: the same seed, the same centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import holidays
import numpy as np
import pandas as pd

from planner.errors import InputError

__all__ = ["SAMPLE_QUEUES", "QueueProfile", "generate_sample_history"]

SAMPLE_TIMEZONE = "Europe/London"
SAMPLE_ANSWER_TARGET_SECONDS = 20.0
SAMPLE_SERVICE_LEVEL_TARGET = 0.8

OpeningHours = tuple[float, float] | None
"""(open hour, close hour) in local clock hours, e.g. (8.0, 20.0); None when closed all day."""


@dataclass(frozen=True)
class QueueProfile:
    """How one sample queue behaves. Hours are local clock hours; rates are fractions.

    ``weekday_factors`` and ``opening_hours`` are indexed Monday=0 .. Sunday=6.
    ``weekday_peaks`` / ``weekend_peaks`` are (centre hour, width in hours, weight) Gaussian bumps
    whose mixture is the intraday arrival shape.
    """

    name: str
    calls_per_weekday: float
    weekday_factors: tuple[float, float, float, float, float, float, float]
    opening_hours: tuple[OpeningHours, ...]
    weekday_peaks: tuple[tuple[float, float, float], ...]
    weekend_peaks: tuple[tuple[float, float, float], ...]
    annual_growth: float
    yearly_amplitude: float
    yearly_peak_day_of_year: int
    month_start_uplift: float
    aht_seconds: float
    aht_evening_uplift: float
    patience_seconds: float
    open_on_public_holidays: bool


SAMPLE_QUEUES: tuple[QueueProfile, ...] = (
    QueueProfile(
        name="sales",
        calls_per_weekday=1_800.0,
        weekday_factors=(1.10, 1.02, 1.00, 0.98, 0.92, 0.55, 0.0),
        opening_hours=((8, 20), (8, 20), (8, 20), (8, 20), (8, 20), (9, 17), None),
        weekday_peaks=((10.5, 1.4, 1.0), (14.0, 1.6, 0.85), (18.5, 1.0, 0.35)),
        weekend_peaks=((11.5, 2.0, 1.0), (14.5, 1.5, 0.6)),
        annual_growth=0.08,
        yearly_amplitude=0.12,
        yearly_peak_day_of_year=10,  # January sales
        month_start_uplift=0.0,
        aht_seconds=360.0,
        aht_evening_uplift=0.10,
        patience_seconds=150.0,
        open_on_public_holidays=False,
    ),
    QueueProfile(
        name="support",
        calls_per_weekday=3_200.0,
        weekday_factors=(1.18, 1.05, 1.00, 0.98, 0.92, 0.45, 0.35),
        opening_hours=((7, 22), (7, 22), (7, 22), (7, 22), (7, 22), (9, 18), (9, 18)),
        weekday_peaks=((9.75, 1.2, 1.0), (13.5, 1.8, 0.8), (19.5, 1.4, 0.45)),
        weekend_peaks=((11.0, 2.0, 1.0), (15.0, 2.0, 0.7)),
        annual_growth=-0.03,
        yearly_amplitude=0.08,
        yearly_peak_day_of_year=20,  # winter faults
        month_start_uplift=0.0,
        aht_seconds=420.0,
        aht_evening_uplift=0.18,
        patience_seconds=240.0,
        open_on_public_holidays=True,
    ),
    QueueProfile(
        name="billing",
        calls_per_weekday=900.0,
        weekday_factors=(1.12, 1.03, 1.00, 0.97, 0.90, 0.0, 0.0),
        opening_hours=((8, 18), (8, 18), (8, 18), (8, 18), (8, 18), None, None),
        weekday_peaks=((10.0, 1.3, 1.0), (14.5, 1.5, 0.75)),
        weekend_peaks=((11.0, 2.0, 1.0),),
        annual_growth=0.02,
        yearly_amplitude=0.05,
        yearly_peak_day_of_year=100,
        month_start_uplift=0.45,  # bills land on the 1st: the first working days are busy
        aht_seconds=300.0,
        aht_evening_uplift=0.0,
        patience_seconds=180.0,
        open_on_public_holidays=False,
    ),
)

# Days every queue is shut, whatever its holiday policy.
_ALWAYS_CLOSED_HOLIDAYS = ("Christmas Day", "Boxing Day", "New Year's Day")
_DAY_AFTER_HOLIDAY_UPLIFT = 0.15
_HOLIDAY_VOLUME_FACTOR = 0.6  # support on an open bank holiday: weekend hours, fewer calls
_DAILY_NOISE_SIGMA = 0.05  # day-to-day over-dispersion beyond Poisson (weather, campaigns)
_PLANNING_DAY_SIGMA = 0.05  # how far the historic plan missed the true rate, per day
_PLANNING_INTERVAL_SIGMA = 0.06  # and per interval


def generate_sample_history(
    *,
    seed: int = 7,
    years: float = 2.0,
    start: str = "2024-01-01",
    interval_minutes: int = 15,
    queues: tuple[QueueProfile, ...] = SAMPLE_QUEUES,
) -> pd.DataFrame:
    """Generate the sample centre's interval history.

    Parameters
    ----------
    seed
        Seed of the one random generator; the same seed gives the same frame.
    years
        Length of the history in years (365.25 days each), from ``start``.
    start
        First local date of the history (ISO date).
    interval_minutes
        Interval length in minutes; must divide 60.
    queues
        The queue profiles to generate.

    Returns
    -------
    pandas.DataFrame
        Long history frame, one row per open (queue, interval), sorted by queue then time:
        ``queue``, ``interval_start`` (tz-aware, Europe/London), ``calls_offered`` (int),
        ``aht_seconds`` (float, NaN when nothing was answered), ``calls_answered``,
        ``calls_abandoned``, ``answered_within_target`` (within 20 s), ``agents_staffed`` (ints).
    """
    if not 0 < years <= 10:
        raise InputError(f"years must be in (0, 10], got {years}")
    if interval_minutes <= 0 or 60 % interval_minutes:
        raise InputError(f"interval_minutes must divide 60, got {interval_minutes}")
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=int(round(years * 365.25)), freq="D")
    frames = [_generate_queue(profile, dates, interval_minutes, rng) for profile in queues]
    return pd.concat(frames, ignore_index=True)


def _generate_queue(
    profile: QueueProfile, dates: pd.DatetimeIndex, interval_minutes: int, rng: np.random.Generator
) -> pd.DataFrame:
    calendar = _day_calendar(profile, dates, rng)
    open_days = calendar[calendar["open_hour"].notna()].reset_index(drop=True)

    # One row per open slot: repeat each day by its number of slots, then number the slots.
    slots_per_hour = 60 // interval_minutes
    slots_per_day = ((open_days["close_hour"] - open_days["open_hour"]) * slots_per_hour).to_numpy(
        int
    )
    day_of_slot = np.repeat(np.arange(len(open_days)), slots_per_day)
    first_slot_of_day = np.repeat(np.cumsum(slots_per_day) - slots_per_day, slots_per_day)
    slot_in_day = np.arange(len(day_of_slot)) - first_slot_of_day
    slot_start_hour = open_days["open_hour"].to_numpy()[day_of_slot] + slot_in_day / slots_per_hour
    slot_mid_hour = slot_start_hour + 0.5 / slots_per_hour

    # Intraday shape: a mixture of bumps, normalised to a share of the day's calls.
    weekend_shape = open_days["weekend_shape"].to_numpy()[day_of_slot]
    shape = np.where(
        weekend_shape,
        _bump_mixture(slot_mid_hour, profile.weekend_peaks),
        _bump_mixture(slot_mid_hour, profile.weekday_peaks),
    )
    share = shape / np.bincount(day_of_slot, weights=shape)[day_of_slot]
    arrival_rate = open_days["expected_calls"].to_numpy()[day_of_slot] * share
    calls_offered = rng.poisson(arrival_rate)

    # AHT: longer in the evening (more complex calls, newer agents), a slow drift over the years.
    evening = 1.0 / (1.0 + np.exp(-(slot_mid_hour - 17.5) * 1.5))
    years_elapsed = open_days["years_elapsed"].to_numpy()[day_of_slot]
    expected_aht_seconds = (
        profile.aht_seconds
        * (1 + profile.aht_evening_uplift * evening)
        * (1 - 0.02 * years_elapsed)
    )

    local_start = (
        open_days["date"].to_numpy()[day_of_slot]
        + pd.to_timedelta(slot_start_hour * 3600, unit="s").to_numpy()
    )
    interval_start = pd.DatetimeIndex(local_start).tz_localize(SAMPLE_TIMEZONE)
    history = pd.DataFrame(
        {"queue": profile.name, "interval_start": interval_start, "calls_offered": calls_offered}
    )
    outcomes = _draw_outcomes(
        history,
        arrival_rate,
        expected_aht_seconds,
        interval_minutes,
        profile.patience_seconds,
        day_of_slot,
        rng,
    )
    return history.assign(**outcomes)


def _draw_outcomes(
    history: pd.DataFrame,
    arrival_rate: np.ndarray,
    expected_aht_seconds: np.ndarray,
    interval_minutes: int,
    patience_seconds: float,
    day_of_slot: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Staffing the centre had, and the answered / abandoned / within-target counts it got.

    The historic plan is Erlang A for 80/20 at the true arrival rate, missed by a day-level and
    an interval-level planning error, so some intervals are short-staffed, as in real centres.
    Outcomes are binomial draws from the Erlang A probabilities at the staffing actually present.
    """
    from planner.queueing import erlang_a
    from planner.staffing import StaffingTargets, required_agents

    plan = required_agents(
        history.assign(calls_forecast=arrival_rate, aht_seconds_forecast=expected_aht_seconds),
        StaffingTargets(
            service_level_target=SAMPLE_SERVICE_LEVEL_TARGET,
            answer_target_seconds=SAMPLE_ANSWER_TARGET_SECONDS,
        ),
        model="erlang-a",
        patience_seconds=patience_seconds,
        interval_minutes=interval_minutes,
    )
    days = int(day_of_slot.max()) + 1
    planning_error = rng.lognormal(0.0, _PLANNING_DAY_SIGMA, days)[day_of_slot] * rng.lognormal(
        0.0, _PLANNING_INTERVAL_SIGMA, len(day_of_slot)
    )
    agents_staffed = np.maximum(1, np.rint(plan["agents_required"].to_numpy() * planning_error))
    agents_staffed = agents_staffed.astype(np.int64)

    traffic_erlangs = arrival_rate * expected_aht_seconds / (interval_minutes * 60)
    kpis = erlang_a(
        traffic_erlangs,
        agents_staffed,
        expected_aht_seconds,
        patience_seconds,
        SAMPLE_ANSWER_TARGET_SECONDS,
    )
    calls_offered = history["calls_offered"].to_numpy()
    calls_abandoned = rng.binomial(calls_offered, np.clip(kpis.abandon_rate, 0.0, 1.0))
    calls_answered = calls_offered - calls_abandoned
    answered_within_target = rng.binomial(
        calls_answered, np.clip(np.nan_to_num(kpis.service_level_of_answered, nan=1.0), 0.0, 1.0)
    )
    # The mean of n exponential handle times is Gamma(n, mean / n); no calls, no AHT.
    handled = np.maximum(calls_answered, 1)
    aht_seconds = rng.gamma(handled, expected_aht_seconds / handled)
    aht_seconds = np.where(calls_answered > 0, np.round(aht_seconds, 1), np.nan)
    return {
        "aht_seconds": aht_seconds,
        "calls_answered": calls_answered,
        "calls_abandoned": calls_abandoned,
        "answered_within_target": answered_within_target,
        "agents_staffed": agents_staffed,
    }


def _day_calendar(
    profile: QueueProfile, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> pd.DataFrame:
    """Per local date: opening hours, day type and expected calls of one queue."""
    years = sorted({d.year for d in dates})
    public_holidays = holidays.country_holidays("GB", subdiv="ENG", years=years)
    holiday_names = pd.Series([public_holidays.get(d.date(), "") for d in dates], index=dates)
    is_holiday = holiday_names.ne("").to_numpy()
    always_closed = holiday_names.isin(_ALWAYS_CLOSED_HOLIDAYS).to_numpy()
    weekday = dates.day_of_week.to_numpy()

    open_hour = np.array([(h[0] if h else np.nan) for h in profile.opening_hours], dtype=float)
    close_hour = np.array([(h[1] if h else np.nan) for h in profile.opening_hours], dtype=float)
    day_open = open_hour[weekday]
    day_close = close_hour[weekday]
    day_factor = np.asarray(profile.weekday_factors)[weekday]
    weekend_shape = weekday >= 5

    # Bank holidays: closed, or (where the queue opens) Sunday hours and reduced volume.
    holiday_open = is_holiday & ~always_closed & profile.open_on_public_holidays
    day_open = np.where(holiday_open, open_hour[6], day_open)
    day_close = np.where(holiday_open, close_hour[6], day_close)
    day_factor = np.where(
        holiday_open, _HOLIDAY_VOLUME_FACTOR * profile.weekday_factors[6], day_factor
    )
    weekend_shape = weekend_shape | holiday_open
    closed = (is_holiday & ~holiday_open) | np.isnan(day_open) | (day_factor <= 0)
    day_open = np.where(closed, np.nan, day_open)

    # Callers who could not ring on a closed holiday ring on the next open day.
    after_holiday = np.roll(is_holiday, 1) & ~closed
    after_holiday[0] = False

    years_elapsed = ((dates - dates[0]).days / 365.25).to_numpy()
    day_of_year = dates.day_of_year.to_numpy()
    yearly = 1 + profile.yearly_amplitude * np.cos(
        2 * np.pi * (day_of_year - profile.yearly_peak_day_of_year) / 365.25
    )
    # Billing: the first four days of the month are busy, fading day by day.
    month_start = profile.month_start_uplift * np.clip(1 - (dates.day.to_numpy() - 1) / 4, 0, 1)
    expected_calls = (
        profile.calls_per_weekday
        * day_factor
        * yearly
        * (1 + profile.annual_growth) ** years_elapsed
        * (1 + month_start)
        * (1 + _DAY_AFTER_HOLIDAY_UPLIFT * after_holiday)
        * rng.lognormal(0.0, _DAILY_NOISE_SIGMA, size=len(dates))
    )
    return pd.DataFrame(
        {
            "date": dates,
            "open_hour": day_open,
            "close_hour": day_close,
            "weekend_shape": weekend_shape,
            "expected_calls": expected_calls,
            "years_elapsed": years_elapsed,
        }
    )


def _bump_mixture(hour: np.ndarray, peaks: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """Sum of Gaussian bumps (centre hour, width hours, weight) at ``hour``, plus a small floor."""
    total = np.full_like(hour, 0.08)
    for centre_hour, width_hours, weight in peaks:
        total += weight * np.exp(-0.5 * ((hour - centre_hour) / width_hours) ** 2)
    return total
