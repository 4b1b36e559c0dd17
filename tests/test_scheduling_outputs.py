"""Output frames of the scheduler: the split of pooled heads between queues."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.scheduling import split_coverage_by_queue
from planner.scheduling.penalties import floor_heads_by_row
from planner.staffing import StaffingTargets, kpis_for_agents, required_agents

TZ = "Europe/London"
START = pd.Timestamp("2026-11-23 09:00", tz=TZ)
FLOOR = 0.7


def frames(
    needs: list[list[int]], pooled: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Coverage (one row per interval) and requirements (one row per queue and interval).

    ``needs[t][q]`` is queue q's ``agents_to_schedule`` in interval t, ``pooled[t]`` the heads
    scheduled in interval t; also returns each requirements row's interval number.
    """
    starts = START + pd.to_timedelta(np.arange(len(needs)) * 15, unit="min")
    interval = np.array([t for t, row in enumerate(needs) for _ in row], dtype=np.int64)
    requirements = pd.DataFrame(
        {
            "queue": [f"q{q}" for row in needs for q in range(len(row))],
            "interval_start": starts[interval],
            "agents_to_schedule": [n for row in needs for n in row],
        }
    )
    coverage = pd.DataFrame({"interval_start": starts, "agents_scheduled": pooled})
    return coverage, requirements, interval


def largest_remainder(amount: int, weights: list[int]) -> list[int]:
    """Reference split in exact fractions: quotas' floors, then the units left to the largest
    remainders (ties to the earlier queue); equal quotas when every weight is 0."""
    if sum(weights) == 0:
        weights = [1] * len(weights)
    quotas = [Fraction(amount * w, sum(weights)) for w in weights]
    shares = [int(q) for q in quotas]  # floor: quotas are >= 0
    by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in by_remainder[: amount - sum(shares)]:
        shares[i] += 1
    return shares


@st.composite
def intervals(draw: st.DrawFn, *, with_floors: bool) -> tuple[list[list[int]], list[list[int]]]:
    """Needs per interval and queue, and floors (<= needs) when ``with_floors``."""
    n_intervals = draw(st.integers(1, 5))
    n_queues = draw(st.integers(1, 4))
    needs = [
        draw(st.lists(st.integers(0, 30), min_size=n_queues, max_size=n_queues))
        for _ in range(n_intervals)
    ]
    floors = [[draw(st.integers(0, n)) if with_floors else 0 for n in row] for row in needs]
    return needs, floors


# ------------------------------------------------------------------------------------------
# without floors: in proportion to agents_to_schedule


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_split_without_floors_is_the_proportional_largest_remainder(data: st.DataObject) -> None:
    needs, _ = data.draw(intervals(with_floors=False))
    pooled = [data.draw(st.integers(0, 2 * sum(row) + 3)) for row in needs]
    coverage, requirements, _ = frames(needs, pooled)
    got = split_coverage_by_queue(coverage, requirements)
    expected = [h for row, p in zip(needs, pooled, strict=True) for h in largest_remainder(p, row)]
    assert got["agents_scheduled"].tolist() == expected
    assert list(got.columns) == [
        "queue",
        "interval_start",
        "agents_to_schedule",
        "agents_scheduled",
    ]


@pytest.mark.parametrize(
    ("needs", "pooled", "expected"),
    [
        ([10, 2], 10, [8, 2]),  # quotas 8.33 and 1.67: the unit left goes to 0.67
        ([0, 0, 0], 4, [2, 1, 1]),  # nothing required: equal shares, ties to the earlier queue
        ([3, 1], 8, [6, 2]),  # surplus in proportion too
    ],
    ids=["remainder", "nothing-required", "surplus"],
)
def test_split_without_floors_by_hand(needs: list[int], pooled: int, expected: list[int]) -> None:
    coverage, requirements, _ = frames([needs], [pooled])
    got = split_coverage_by_queue(coverage, requirements)
    assert got["agents_scheduled"].tolist() == expected


def test_split_gives_nothing_to_an_interval_missing_from_the_coverage() -> None:
    coverage, requirements, _ = frames([[2, 1], [3, 3]], [3, 6])
    got = split_coverage_by_queue(coverage.iloc[:1], requirements)
    assert got["agents_scheduled"].tolist() == [2, 1, 0, 0]


# ------------------------------------------------------------------------------------------
# with each queue's own floor


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_split_with_floors_gives_every_queue_its_floor_when_the_pool_covers_them(
    data: st.DataObject,
) -> None:
    needs, floors = data.draw(intervals(with_floors=True))
    pooled = [
        data.draw(st.integers(sum(f), sum(f) + 2 * sum(n) + 3))
        for n, f in zip(needs, floors, strict=True)
    ]
    coverage, requirements, interval = frames(needs, pooled)
    floor = np.array([f for row in floors for f in row])
    got = split_coverage_by_queue(coverage, requirements, floor_heads_per_row=floor)
    heads = got["agents_scheduled"].to_numpy()
    assert (heads >= floor).all()
    np.testing.assert_array_equal(np.bincount(interval, weights=heads), pooled)
    need = requirements["agents_to_schedule"].to_numpy()
    covered = np.bincount(interval, weights=need) <= np.array(pooled)
    # where the pool covers every requirement, every queue gets its whole requirement too
    assert (heads >= need)[covered[interval]].all()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_split_with_floors_shares_a_short_pool_in_proportion_to_the_floors(
    data: st.DataObject,
) -> None:
    needs, floors = data.draw(intervals(with_floors=True))
    pooled = [data.draw(st.integers(0, max(sum(f) - 1, 0))) for f in floors]
    coverage, requirements, _ = frames(needs, pooled)
    floor = np.array([f for row in floors for f in row])
    got = split_coverage_by_queue(coverage, requirements, floor_heads_per_row=floor)
    expected = [
        h
        for row_floors, p, row_needs in zip(floors, pooled, needs, strict=True)
        # a pool of 0 with all floors 0 falls through to the (empty) surplus by requirement
        for h in largest_remainder(p, row_floors if sum(row_floors) else row_needs)
    ]
    assert got["agents_scheduled"].tolist() == expected


@pytest.mark.parametrize(
    ("needs", "floors", "pooled", "expected"),
    [
        # proportional would give [8, 2]: q0 one under its floor of 9
        ([10, 2], [9, 1], 10, [9, 1]),
        # floors [9, 1], then the 2 left by what is still needed (1 and 1), no surplus
        ([10, 2], [9, 1], 12, [10, 2]),
        # floors, still needed (1, 1), then the surplus of 2 by requirement (10:2 -> 2, 0)
        ([10, 2], [9, 1], 14, [12, 2]),
        # short: the 6 in proportion to the floors 9:1 (5.4 and 0.6 -> 5, 1)
        ([10, 2], [9, 1], 6, [5, 1]),
    ],
    ids=["floor-first", "then-needs", "then-surplus", "short-pool"],
)
def test_split_with_floors_by_hand(
    needs: list[int], floors: list[int], pooled: int, expected: list[int]
) -> None:
    coverage, requirements, _ = frames([needs], [pooled])
    got = split_coverage_by_queue(coverage, requirements, floor_heads_per_row=np.array(floors))
    assert got["agents_scheduled"].tolist() == expected


def test_split_keeps_each_queues_erlang_c_floor_where_the_proportional_split_did_not() -> None:
    # the end-to-end benchmark's miss in small: 40 calls of 240 s and 20 calls of 300 s in an hour
    # need 5 and 4 heads at 80/20 and 5 and 3 at the 70 % floor; a roster meeting the pooled hard
    # floor (8 heads) split 5:4 by requirement gives 4 and 4, leaving the first queue below 70 %
    forecast = pd.DataFrame(
        {
            "queue": ["a", "b"],
            "interval_start": [START, START],
            "calls_forecast": [40.0, 20.0],
            "aht_seconds_forecast": [240.0, 300.0],
        }
    )
    requirements = required_agents(
        forecast, StaffingTargets(0.8, 20.0), model="erlang-c", interval_minutes=60
    )
    floor = floor_heads_by_row(requirements, 20.0, FLOOR)
    coverage = pd.DataFrame({"interval_start": [START], "agents_scheduled": [int(floor.sum())]})

    def service_levels(split: pd.DataFrame) -> np.ndarray:
        kpis = kpis_for_agents(
            forecast, split["agents_scheduled"].to_numpy(), model="erlang-c", interval_minutes=60
        )
        return kpis["service_level"].to_numpy()

    proportional = split_coverage_by_queue(coverage, requirements)
    assert service_levels(proportional).min() < FLOOR  # the miss this split is for
    got = split_coverage_by_queue(coverage, requirements, floor_heads_per_row=floor)
    assert got["agents_scheduled"].sum() == floor.sum()
    assert service_levels(got).min() >= FLOOR


@pytest.mark.parametrize(
    ("floor", "match"),
    [
        (np.array([1, 1, 1]), r"floor_heads_per_row must have shape \(2,\).*got \(3,\)"),
        (np.array([1, -2]), r"floor_heads_per_row row 1 must be a whole number >= 0, got -2"),
        (np.array([1.5, 0.0]), r"floor_heads_per_row row 0 must be a whole number >= 0, got 1.5"),
        (np.array([np.nan, 0.0]), r"floor_heads_per_row row 0 .* got nan"),
        (np.array(["1", "2"]), r"floor_heads_per_row must hold whole numbers .* got dtype <U1"),
    ],
    ids=["shape", "negative", "fraction", "nan", "text"],
)
def test_split_rejects_bad_floor_heads(floor: np.ndarray, match: str) -> None:
    coverage, requirements, _ = frames([[3, 2]], [5])
    with pytest.raises(InputError, match=match):
        split_coverage_by_queue(coverage, requirements, floor_heads_per_row=floor)
