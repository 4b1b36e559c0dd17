"""The time grid of a scheduling horizon and the shift types (template x day x start x length).

Every shift type starts on a local day of the horizon at a local clock time on the interval grid;
its slots are counted from the horizon's first local midnight in absolute time, so days with a
daylight-saving change (23 or 25 hours) are handled. Break placements are offsets in slots from
the shift start, one tuple of allowed offsets per break rule of the template.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import ConfigError, InputError
from planner.scheduling.rules import AgentRules, ScheduleRules, ShiftTemplate

__all__ = ["Grid", "ShiftType", "agent_can_work", "enumerate_shift_types", "make_grid"]


@dataclass(frozen=True)
class Grid:
    """The horizon: ``n_slots`` intervals of ``interval_minutes`` from ``start`` (local midnight).

    ``dates`` are the local dates of the horizon (one per day); ``slot_starts`` the tz-aware
    start of each slot, shape (n_slots,); ``day_start_slot`` the slot of each day's local midnight,
    shape (n_days + 1,) (the last entry is the end of the horizon).
    """

    start: pd.Timestamp
    interval_minutes: int
    dates: tuple[dt.date, ...]
    slot_starts: pd.DatetimeIndex
    day_start_slot: np.ndarray

    @property
    def n_slots(self) -> int:
        return len(self.slot_starts)

    @property
    def n_days(self) -> int:
        return len(self.dates)

    @property
    def tz(self) -> object:
        return self.start.tz

    def slot_of(self, timestamp: pd.Timestamp) -> int:
        """Slot index of a tz-aware timestamp (floor; may be outside 0..n_slots-1)."""
        delta = timestamp - self.start
        return int(delta // pd.Timedelta(minutes=self.interval_minutes))

    def local_time(self, date: dt.date, clock_minutes: int) -> pd.Timestamp:
        """The tz-aware instant of ``clock_minutes`` after local midnight of ``date``.

        Clock times past 24:00 fall on the next day; a clock time skipped by a DST change moves
        forward to the first existing instant.
        """
        naive = pd.Timestamp(date) + pd.Timedelta(minutes=clock_minutes)
        return naive.tz_localize(self.tz, nonexistent="shift_forward", ambiguous=False)


def make_grid(interval_starts: pd.Series, interval_minutes: int) -> Grid:
    """The grid of whole local days covering ``interval_starts`` (tz-aware).

    Raises
    ------
    InputError
        When the timestamps are naive or the interval does not divide a day.
    """
    if interval_starts.dt.tz is None:
        raise InputError(
            "requirements: interval_start must be timezone-aware, got naive timestamps"
        )
    if 1440 % interval_minutes:
        raise InputError(
            f"requirements: interval length must divide a day, got {interval_minutes} minutes"
        )
    tz = interval_starts.dt.tz
    local_dates = sorted(set(interval_starts.dt.tz_convert(tz).dt.date))
    dates = tuple(pd.date_range(local_dates[0], local_dates[-1], freq="D").date)
    midnights = [
        pd.Timestamp(d).tz_localize(tz, nonexistent="shift_forward", ambiguous=False)
        for d in (*dates, dates[-1] + dt.timedelta(days=1))
    ]
    step = pd.Timedelta(minutes=interval_minutes)
    day_start_slot = np.array([(m - midnights[0]) // step for m in midnights], dtype=np.int64)
    slot_starts = pd.date_range(midnights[0], midnights[-1], freq=step, inclusive="left")
    return Grid(midnights[0], interval_minutes, dates, slot_starts, day_start_slot)


@dataclass(frozen=True)
class ShiftType:
    """One shift a person can work: a template started on ``day`` at ``start_clock_minutes``.

    Slots are grid slots; ``break_offsets[k]`` lists the allowed start offsets (slots after the
    shift start) of the template's k-th break, ``break_slots[k]`` its duration in slots.
    """

    index: int
    template: str
    day: int
    start_clock_minutes: int
    length_minutes: int
    paid_minutes: int
    start: pd.Timestamp
    end: pd.Timestamp
    start_slot: int
    end_slot: int
    break_offsets: tuple[tuple[int, ...], ...]
    break_slots: tuple[int, ...]
    break_gap_slots: tuple[int, ...]

    @property
    def name(self) -> str:
        h, m = divmod(self.start_clock_minutes, 60)
        return f"{self.template}@d{self.day}_{h:02d}{m:02d}_{self.length_minutes}m"


def _check_multiple(value: int, interval_minutes: int, what: str) -> None:
    if value % interval_minutes:
        raise ConfigError(
            f"rules: {what} must be a multiple of the {interval_minutes}-minute interval, "
            f"got {value}"
        )


def _template_offsets(
    template: ShiftTemplate, interval_minutes: int, where: str
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...], tuple[int, ...]]:
    offsets, durations, gaps = [], [], []
    for b in template.breaks:
        _check_multiple(b.minutes, interval_minutes, f"{where}.breaks {b.name!r} minutes")
        _check_multiple(
            b.min_gap_minutes, interval_minutes, f"{where}.breaks {b.name!r} min_gap_minutes"
        )
        first = -(-b.earliest_after_start_minutes // interval_minutes)
        last = b.latest_after_start_minutes // interval_minutes
        if last < first:
            raise ConfigError(
                f"rules: {where}.breaks {b.name!r} window {b.earliest_after_start_minutes}-"
                f"{b.latest_after_start_minutes} min holds no {interval_minutes}-minute grid start"
            )
        offsets.append(tuple(range(first, last + 1)))
        durations.append(b.minutes // interval_minutes)
        gaps.append(b.min_gap_minutes // interval_minutes)
    # Breaks are taken in order: the earliest placement of break k must fit after break k-1.
    for k in range(1, len(offsets)):
        earliest = offsets[k - 1][0] + durations[k - 1] + gaps[k]
        if offsets[k][-1] < earliest:
            raise ConfigError(
                f"rules: {where}.breaks {template.breaks[k].name!r} cannot start "
                f"{template.breaks[k].min_gap_minutes} min after {template.breaks[k - 1].name!r} "
                "ends within its window"
            )
    return tuple(offsets), tuple(durations), tuple(gaps)


def enumerate_shift_types(grid: Grid, rules: ScheduleRules) -> list[ShiftType]:
    """Every shift type of the horizon allowed by the templates and opening hours.

    A shift type must start on a weekday listed by its template, lie within that weekday's
    opening hours when the rules give them, and start inside the horizon.

    Returns
    -------
    list of ShiftType
        Indexed 0..n-1 in order of (day, template, start, length).
    """
    step = grid.interval_minutes
    types: list[ShiftType] = []
    for i, template in enumerate(rules.shift_templates):
        where = f"shift_templates[{i}] ({template.name})"
        _check_multiple(template.start_step_minutes, step, f"{where}.start_step_minutes")
        _check_multiple(template.earliest_start_minutes, step, f"{where}.earliest_start")
        for length in template.lengths_minutes:
            _check_multiple(length, step, f"{where}.lengths_minutes")
    for day, date in enumerate(grid.dates):
        weekday = date.weekday()
        window = None if rules.opening_hours is None else rules.opening_hours.get(weekday)
        if rules.opening_hours is not None and window is None:
            continue
        for i, template in enumerate(rules.shift_templates):
            if weekday not in template.weekdays:
                continue
            offsets, durations, gaps = _template_offsets(template, step, f"shift_templates[{i}]")
            clocks = range(
                template.earliest_start_minutes,
                template.latest_start_minutes + 1,
                template.start_step_minutes,
            )
            for clock in clocks:
                for length in template.lengths_minutes:
                    if window is not None and not (
                        window[0] <= clock and clock + length <= window[1]
                    ):
                        continue
                    start = grid.local_time(date, clock)
                    end = start + pd.Timedelta(minutes=length)
                    start_slot = grid.slot_of(start)
                    types.append(
                        ShiftType(
                            index=len(types),
                            template=template.name,
                            day=day,
                            start_clock_minutes=clock,
                            length_minutes=length,
                            paid_minutes=length - template.unpaid_minutes(),
                            start=start,
                            end=end,
                            start_slot=start_slot,
                            end_slot=start_slot + length // step,
                            break_offsets=offsets,
                            break_slots=durations,
                            break_gap_slots=gaps,
                        )
                    )
    return types


def agent_can_work(agent: AgentRules, shift: ShiftType, grid: Grid) -> bool:
    """Whether ``agent`` may work ``shift``: template allowed, available, not a day off."""
    if agent.templates and shift.template not in agent.templates:
        return False
    date = grid.dates[shift.day]
    window = agent.availability.get(date.weekday())
    if window is None:
        return False
    if not (
        window[0] <= shift.start_clock_minutes
        and shift.start_clock_minutes + shift.length_minutes <= window[1]
    ):
        return False
    return pd.Timestamp(date) not in agent.days_off
