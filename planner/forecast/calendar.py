"""Calendar of one queue: local days, day types, open slots, closed days, holidays.

Forecasting works on a day x slot grid per queue, built from the long history frame:
rows are every local calendar day from the first to the last day of the history, columns are the
local clock times (minutes after local midnight) at which the centre was ever open. A day with no
history row at all is *unobserved* (closed: a holiday or an outage) and its row is NaN; on an
observed day a slot without a row is a closed slot and counts 0 calls. Weekly lookups ("the same
slot last week") walk this calendar, never row offsets, so a missing day can never shift a lookup
onto the wrong weekday.

Day types: Monday=0 .. Sunday=6, and :data:`HOLIDAY_DAY_TYPE` (7) for a public holiday or a special
day on which the centre is open. Which future days are open is inferred from the history:
a weekday type is open if it was open on most of its recent occurrences, with the clock times open
on most of them; a holiday is closed when the history shows that holiday (by name) closed, and, for
holidays not seen in the history, when most holidays seen were closed (closed when none was seen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pandas as pd

from planner.errors import InputError

__all__ = [
    "HOLIDAY_DAY_TYPE",
    "N_DAY_TYPES",
    "QueueGrid",
    "SpecialDays",
    "build_grid",
    "future_days",
    "holiday_names",
]

HOLIDAY_DAY_TYPE = 7
"""Day type of an open public holiday or special day (weekdays are 0 = Monday .. 6 = Sunday)."""

N_DAY_TYPES = 8

SpecialDays: TypeAlias = Iterable[dt.date | str | pd.Timestamp] | pd.DataFrame | None
"""User-supplied special days: dates (ISO strings, dates or timestamps), or a frame with a ``date``
column and optional ``name`` column. They are treated as holidays."""

_RECENT_OCCURRENCES = 4
"""How many recent occurrences of a day type decide whether it is open and at which clock times."""


@dataclass
class QueueGrid:
    """The day x slot grid of one queue's history.

    Attributes
    ----------
    queue
        Queue name.
    tz
        Time zone of ``interval_start``.
    interval_minutes
        Interval length in minutes.
    dates
        Local calendar days, shape (n_days,), ``datetime64[D]``, consecutive.
    slot_minutes
        Local clock time of each slot in minutes after midnight, shape (n_slots,), increasing.
    calls
        Calls offered, shape (n_days, n_slots); NaN on unobserved days, 0 in closed slots.
    observed
        Whether the day has any history row, shape (n_days,).
    slot_seen
        Whether the (day, slot) had a history row, shape (n_days, n_slots).
    aht_seconds
        AHT per (day, slot), shape (n_days, n_slots), NaN where unknown; None without AHT data.
    aht_weight
        Calls behind each AHT value (answered calls when known, else offered), same shape.
    day_type
        Day type per day, shape (n_days,): weekday 0-6 or :data:`HOLIDAY_DAY_TYPE`.
    holiday_name
        Holiday name per day ("" when none), shape (n_days,).
    last_start
        The last ``interval_start`` of the history (tz-aware).
    """

    queue: str
    tz: dt.tzinfo
    interval_minutes: int
    dates: np.ndarray
    slot_minutes: np.ndarray
    calls: np.ndarray
    observed: np.ndarray
    slot_seen: np.ndarray
    aht_seconds: np.ndarray | None
    aht_weight: np.ndarray | None
    day_type: np.ndarray
    holiday_name: np.ndarray
    last_start: pd.Timestamp
    holiday_lookup: dict[dt.date, str] = field(default_factory=dict)

    @property
    def n_days(self) -> int:
        return int(self.dates.shape[0])

    def open_slots(self, day_type: int) -> np.ndarray:
        """Mask (n_slots,) of the slots open on most recent observed days of ``day_type``."""
        rows = np.flatnonzero(self.observed & (self.day_type == day_type))[-_RECENT_OCCURRENCES:]
        if rows.size == 0:
            return np.zeros(self.slot_minutes.shape[0], dtype=bool)
        return self.slot_seen[rows].mean(axis=0) >= 0.5

    def type_is_open(self, day_type: int) -> bool:
        """Whether ``day_type`` (a weekday) was open on most of its recent occurrences."""
        idx = np.flatnonzero(self.day_type == day_type)
        if day_type != HOLIDAY_DAY_TYPE:
            # Judge a weekday by its recent occurrences that were not holidays.
            idx = idx[self.holiday_name[idx] == ""]
        idx = idx[-_RECENT_OCCURRENCES:]
        return bool(idx.size) and bool(self.observed[idx].mean() >= 0.5)

    def holiday_closed(self, name: str) -> bool:
        """Whether a holiday called ``name`` is closed, judged from the history (see module doc)."""
        is_hol = self.holiday_name != ""
        weekday_open = np.array([self.type_is_open(int(d)) for d in range(7)])
        # Only holidays falling on a normally open weekday say anything about holiday closures.
        relevant = is_hol & weekday_open[_weekday(self.dates)]
        same = relevant & (self.holiday_name == name)
        if same.any():
            return bool((~self.observed[same]).mean() >= 0.5)
        if relevant.any():
            return bool((~self.observed[relevant]).mean() >= 0.5)
        return True


def _weekday(dates: np.ndarray) -> np.ndarray:
    # 1970-01-01 was a Thursday (weekday 3).
    return ((dates.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int64)


def holiday_names(
    dates: np.ndarray, country: str | None, special_days: SpecialDays = None
) -> np.ndarray:
    """Holiday name per local day ("" when none), from ``holidays`` and the user's special days.

    Parameters
    ----------
    dates
        Days, shape (n,), ``datetime64[D]``.
    country
        ISO country code for the ``holidays`` package (e.g. "US", "GB"), or None for none.
    special_days
        Extra days treated as holidays (see :data:`SpecialDays`).

    Returns
    -------
    numpy.ndarray
        Object array of names, shape (n,).
    """
    lookup = holiday_lookup(dates, country, special_days)
    return np.array([lookup.get(d, "") for d in pd.DatetimeIndex(dates).date], dtype=object)


def holiday_lookup(
    dates: np.ndarray, country: str | None, special_days: SpecialDays = None
) -> dict[dt.date, str]:
    """Mapping date -> holiday name over the years spanned by ``dates`` (plus the next year)."""
    out: dict[dt.date, str] = {}
    if dates.size == 0:
        return out
    years = range(int(str(dates.min())[:4]), int(str(dates.max())[:4]) + 2)
    if country is not None:
        import holidays

        try:
            calendar = holidays.country_holidays(country, years=list(years))
        except NotImplementedError as error:
            raise InputError(
                f"country_holidays must be a country code known to the holidays package, "
                f"got {country!r}"
            ) from error
        for day, name in calendar.items():
            out[day] = str(name)
    for day, name in _special_days(special_days):
        out[day] = name
    return out


def _special_days(special_days: SpecialDays) -> list[tuple[dt.date, str]]:
    if special_days is None:
        return []
    if isinstance(special_days, pd.DataFrame):
        if "date" not in special_days.columns:
            raise InputError(
                "special_days frame must have a 'date' column, "
                f"got columns {list(special_days.columns)}"
            )
        names = (
            special_days["name"].astype(str).tolist()
            if "name" in special_days.columns
            else ["special day"] * len(special_days)
        )
        values = special_days["date"].tolist()
    else:
        values = list(special_days)
        names = ["special day"] * len(values)
    out = []
    for value, name in zip(values, names, strict=True):
        try:
            day = pd.Timestamp(value).date()
        except (TypeError, ValueError) as error:
            raise InputError(f"special_days: every entry must be a date, got {value!r}") from error
        out.append((day, name))
    return out


def build_grid(
    history: pd.DataFrame,
    queue: str,
    interval_minutes: int,
    *,
    country_holidays: str | None = None,
    special_days: SpecialDays = None,
) -> QueueGrid:
    """Build the day x slot grid of one queue (the rows of ``history`` for ``queue``).

    Parameters
    ----------
    history
        Validated long history frame (``queue``, tz-aware ``interval_start``, ``calls_offered``,
        optional ``aht_seconds``, ``calls_answered``).
    queue
        The queue to take.
    interval_minutes
        Interval length in minutes.
    country_holidays, special_days
        Holiday calendar (see :func:`holiday_names`).

    Returns
    -------
    QueueGrid
    """
    rows = history.loc[history["queue"] == queue]
    if rows.empty:
        raise InputError(f"history has no rows for queue {queue!r}")
    starts = rows["interval_start"]
    tz = starts.dt.tz
    local = starts.dt.tz_localize(None).to_numpy().astype("datetime64[m]")
    day = local.astype("datetime64[D]")
    minute = (local - day).astype(np.int64)
    first, last = day.min(), day.max()
    dates = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
    slot_minutes, slot_idx = np.unique(minute, return_inverse=True)
    day_idx = (day - first).astype(np.int64)
    n_days, n_slots = dates.shape[0], slot_minutes.shape[0]

    calls_values = rows["calls_offered"].to_numpy(dtype=float)
    calls = np.zeros((n_days, n_slots))
    np.add.at(calls, (day_idx, slot_idx), calls_values)
    slot_seen = np.zeros((n_days, n_slots), dtype=bool)
    slot_seen[day_idx, slot_idx] = True
    observed: np.ndarray = np.asarray(slot_seen.any(axis=1))
    calls[~observed] = np.nan

    aht = weight = None
    if "aht_seconds" in rows.columns and rows["aht_seconds"].notna().any():
        aht_values = rows["aht_seconds"].to_numpy(dtype=float)
        if "calls_answered" in rows.columns:
            weight_values = rows["calls_answered"].to_numpy(dtype=float)
        else:
            weight_values = calls_values
        weight_values = np.where(np.isfinite(aht_values), np.nan_to_num(weight_values), 0.0)
        aht = np.full((n_days, n_slots), np.nan)
        weight = np.zeros((n_days, n_slots))
        aht[day_idx, slot_idx] = aht_values
        weight[day_idx, slot_idx] = weight_values

    lookup = holiday_lookup(dates, country_holidays, special_days)
    names = np.array([lookup.get(d, "") for d in pd.DatetimeIndex(dates).date], dtype=object)
    day_type = _weekday(dates)
    day_type = np.where(names != "", HOLIDAY_DAY_TYPE, day_type)
    return QueueGrid(
        queue=str(queue),
        tz=tz,
        interval_minutes=int(interval_minutes),
        dates=dates,
        slot_minutes=slot_minutes.astype(np.int64),
        calls=calls,
        observed=observed,
        slot_seen=slot_seen,
        aht_seconds=aht,
        aht_weight=weight,
        day_type=day_type.astype(np.int64),
        holiday_name=names,
        last_start=starts.max(),
        holiday_lookup=lookup,
    )


@dataclass
class FutureDays:
    """The open days of a forecast horizon for one queue.

    Attributes
    ----------
    dates
        Open local days, shape (n_days,), ``datetime64[D]``.
    day_type
        Day type per day, shape (n_days,).
    open_mask
        Open slots per day, shape (n_days, n_slots) over the grid's ``slot_minutes``, already cut
        to the horizon window.
    after_closure
        1.0 when the previous normally open day was closed or a holiday, shape (n_days,).
    """

    dates: np.ndarray
    day_type: np.ndarray
    open_mask: np.ndarray
    after_closure: np.ndarray


def future_days(
    grid: QueueGrid, horizon_days: int, *, origin: pd.Timestamp | None = None
) -> FutureDays:
    """Open days and slots of the next ``horizon_days`` days after the grid's last interval.

    Parameters
    ----------
    grid
        The queue's grid.
    horizon_days
        Horizon length in days (>= 1).
    origin
        Start of the horizon (tz-aware); default the interval after ``grid.last_start``. The
        horizon runs ``horizon_days`` local clock days from there.

    Returns
    -------
    FutureDays
    """
    if origin is None:
        origin = grid.last_start + pd.Timedelta(minutes=grid.interval_minutes)
    # The window is counted in local clock days, so a DST change neither adds nor drops an hour.
    first_local = origin.tz_convert(grid.tz).tz_localize(None)
    end_local = first_local + pd.Timedelta(days=horizon_days)
    day0 = np.datetime64(first_local.normalize().date(), "D")
    day1 = np.datetime64(end_local.normalize().date(), "D")
    days = np.arange(day0, day1 + np.timedelta64(1, "D"), dtype="datetime64[D]")
    extra = {d: n for d, n in grid.holiday_lookup.items()}
    if days.size and (days.max() > grid.dates.max() + np.timedelta64(365, "D")):
        raise InputError(f"horizon_days must be at most 365, got {horizon_days}")
    names = np.array([extra.get(d, "") for d in pd.DatetimeIndex(days).date], dtype=object)
    weekday = _weekday(days)
    type_open = {d: grid.type_is_open(d) for d in range(7)}
    open_day = np.array([type_open[int(w)] for w in weekday], dtype=bool)
    is_hol = names != ""
    hol_closed = np.array([grid.holiday_closed(n) if n else False for n in names], dtype=bool)
    day_type = np.where(is_hol, HOLIDAY_DAY_TYPE, weekday).astype(np.int64)
    # An open holiday needs a holiday day type seen in the history; otherwise use its weekday.
    if not (grid.observed & (grid.day_type == HOLIDAY_DAY_TYPE)).any():
        day_type = weekday.astype(np.int64)
    is_open = open_day & ~(is_hol & hol_closed)

    # after_closure: the previous normally open day (in history or the horizon) was closed/holiday.
    after = np.zeros(days.shape[0])
    all_dates = np.concatenate([grid.dates, days[days > grid.dates.max()]])
    closed_or_hol = np.concatenate(
        [~grid.observed | (grid.holiday_name != ""), (~is_open | is_hol)[days > grid.dates.max()]]
    )
    normally_open = np.array([type_open[int(w)] for w in _weekday(all_dates)], dtype=bool)
    for i, d in enumerate(days):
        pos = int(np.searchsorted(all_dates, d)) - 1
        while pos >= 0 and not normally_open[pos]:
            pos -= 1
        after[i] = float(pos >= 0 and closed_or_hol[pos])

    slot_masks = {t: grid.open_slots(t) for t in range(N_DAY_TYPES)}
    keep = is_open & np.array([slot_masks[int(t)].any() for t in day_type], dtype=bool)
    days, day_type, after = days[keep], day_type[keep], after[keep]
    open_mask = np.array([slot_masks[int(t)] for t in day_type], dtype=bool).reshape(
        days.shape[0], grid.slot_minutes.shape[0]
    )
    # Cut to the window [first, end).
    stamps = days.astype("datetime64[m]")[:, None] + grid.slot_minutes[None, :].astype(
        "timedelta64[m]"
    )
    first_np = np.datetime64(first_local.to_datetime64(), "m")
    end_np = np.datetime64(end_local.to_datetime64(), "m")
    open_mask &= (stamps >= first_np) & (stamps < end_np)
    has = open_mask.any(axis=1)
    return FutureDays(
        dates=days[has], day_type=day_type[has], open_mask=open_mask[has], after_closure=after[has]
    )


def history_after_closure(grid: QueueGrid) -> np.ndarray:
    """1.0 for each history day whose previous normally open day was closed or a holiday."""
    type_open = np.array([grid.type_is_open(d) for d in range(7)])
    normally_open = type_open[_weekday(grid.dates)]
    closed_or_hol = ~grid.observed | (grid.holiday_name != "")
    out = np.zeros(grid.n_days)
    prev = -1
    for i in range(grid.n_days):
        out[i] = float(prev >= 0 and closed_or_hol[prev])
        if normally_open[i]:
            prev = i
    return out


def stamps_frame(grid: QueueGrid, fut: FutureDays) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Timestamps of the open future slots: (interval_start tz-aware, day index, slot index)."""
    day_i, slot_i = np.nonzero(fut.open_mask)
    local = fut.dates[day_i].astype("datetime64[m]") + grid.slot_minutes[slot_i].astype(
        "timedelta64[m]"
    )
    idx = pd.DatetimeIndex(local.astype("datetime64[ns]")).tz_localize(
        grid.tz, ambiguous=np.zeros(local.shape[0], dtype=bool), nonexistent="NaT"
    )
    keep = ~idx.isna()
    return pd.Series(idx[keep]), day_i[keep], slot_i[keep]
