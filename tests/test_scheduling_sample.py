"""The sample centre's rules: workforce sizing from the hours or from an unconstrained design."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from planner.errors import InputError
from planner.scheduling.sample_rules import sample_centre_rules
from planner.scheduling.sizing import headcounts_from_design

MONDAY = pd.Timestamp("2024-03-04")


def _design(rows: list[tuple[int, str, int, int]]) -> SimpleNamespace:
    """A design stand-in: (day offset, template, paid minutes, count) per shift type."""
    frame = pd.DataFrame(
        [((MONDAY + pd.Timedelta(days=d)).date(), t, m, c) for d, t, m, c in rows],
        columns=["date", "template", "paid_minutes", "count"],
    )
    return SimpleNamespace(shifts=frame)


CASES = {
    # 3 full-time 8 h shifts a weekday = 120 h = 3 full-timers; 10 part-time shifts a weekday and
    # 2 on Saturday = 52 shifts, at 5 a week 11 part-timers (more than the busiest day's 10)
    "weekly_shifts_bind": (
        [(d, "full", 480, 3) for d in range(5)]
        + [(d, "part", 300, 10) for d in range(5)]
        + [(5, "part", 300, 2)],
        (3, 11),
    ),
    # 12 part-time shifts on Monday only: the busiest day needs 12 people; 70 full-time hours
    # make 1 full-timer (rounded down, so nobody is forced into surplus hours)
    "busiest_day_binds": (
        [(0, "part", 240, 12), (0, "full", 480, 5), (1, "full", 600, 3)],
        (1, 12),
    ),
}


@pytest.mark.parametrize("rows, expected", list(CASES.values()), ids=list(CASES))
def test_headcounts_from_design(rows: list, expected: tuple[int, int]) -> None:
    assert headcounts_from_design(_design(rows)) == expected


def test_headcounts_from_an_empty_design_is_an_input_error() -> None:
    with pytest.raises(InputError, match="headcounts_from_design"):
        headcounts_from_design(_design([]))


def test_sample_rules_take_explicit_headcounts() -> None:
    rules = sample_centre_rules(1000.0, MONDAY, headcounts=(3, 4))
    ids = [a.agent_id for a in rules.agents]
    assert len(ids) == 7
    assert sum(i.startswith("F") for i in ids) == 3
    # by default sized from the hours: half of 1,060 paid hours at 40 h and half at 25 h
    default = sample_centre_rules(1000.0, MONDAY)
    assert len(default.agents) == 14 + 22


@pytest.mark.parametrize("headcounts", [(-1, 4), (0, 0)], ids=["negative", "none"])
def test_sample_rules_reject_bad_headcounts(headcounts: tuple[int, int]) -> None:
    with pytest.raises(InputError, match="headcounts"):
        sample_centre_rules(1000.0, MONDAY, headcounts=headcounts)
