"""Tests of planner.simulate: the event loop on hand-worked cases, the frame layer, and the
simulation against the Erlang formulas (stationary cases agree within the confidence interval;
a peak's backlog makes them disagree in the expected direction)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.errors import InputError
from planner.simulate import SIMULATION_METRICS, simulate_plan, simulate_queue

INF = np.inf


def run(arrivals, handles, patiences, changes, agents, closing=None, seed=0):
    changes = np.asarray(changes, dtype=float)
    return simulate_queue(
        np.asarray(arrivals, dtype=float),
        np.asarray(handles, dtype=float),
        np.asarray(patiences, dtype=float),
        changes,
        np.asarray(agents, dtype=np.int64),
        np.zeros(changes.size, dtype=bool) if closing is None else np.asarray(closing, dtype=bool),
        np.random.default_rng(seed),
    )


# ---------------------------------------------------------------------------------------------
# Kernel: cases worked by hand
# ---------------------------------------------------------------------------------------------


def test_two_agents_fcfs_by_hand():
    # Hand-worked: agents free at 0,0; calls at 0 and 1 start at once and end at 10 and 11;
    # call at 2 waits for the agent free at 10 (wait 8), call at 3 for the one free at 11 (wait 8);
    # call at 100 finds both free.
    out = run([0, 1, 2, 3, 100], [10, 10, 10, 10, 10], [INF] * 5, [0], [2])
    assert out.wait_seconds == pytest.approx([0, 0, 8, 8, 0], abs=1e-12)
    assert out.answered.all()
    assert not out.abandoned.any()


def test_abandonment_does_not_take_an_agent_by_hand():
    # One agent busy 0..100. Caller at 1 with patience 50 hangs up at 51 (wait 50, abandoned);
    # caller at 2 waits forever and is answered at 100 (wait 98); caller at 3 with patience 10
    # hangs up (wait 10); the abandoned calls never occupied the agent.
    out = run([0, 1, 2, 3], [100, 5, 5, 5], [INF, 50, INF, 10], [0], [1])
    assert out.wait_seconds == pytest.approx([0, 50, 98, 10], abs=1e-12)
    assert out.answered.tolist() == [True, False, True, False]
    assert out.abandoned.tolist() == [False, True, False, True]


def test_agents_arriving_at_a_boundary_take_the_queue():
    # One agent from 0 (busy 0..100), a second from 10: the call waiting since 5 starts at 10.
    out = run([0, 5], [100, 5], [INF, INF], [0, 10], [1, 2])
    assert out.wait_seconds == pytest.approx([0, 5], abs=1e-12)


def test_an_agent_leaving_finishes_the_call_in_progress():
    # The only agent leaves at 10 while busy until 30: the call finishes (overrun 10..30); the
    # call arriving at 15 waits for the next agent, who comes at 50.
    out = run([0, 15], [30, 5], [INF, INF], [0, 10, 50], [1, 0, 1])
    assert out.wait_seconds == pytest.approx([0, 35], abs=1e-12)
    assert out.overrun_start_seconds.tolist() == [10.0]
    assert out.overrun_end_seconds.tolist() == [30.0]


def test_caller_gives_up_before_a_later_boundary():
    # No agent until 100; patience 60 at arrival 10: abandons at 70 without waiting for 100.
    out = run([10], [5], [60], [0, 100], [0, 1])
    assert out.abandoned.tolist() == [True]
    assert out.wait_seconds == pytest.approx([60], abs=1e-12)


def test_agents_stay_at_closing_to_clear_the_queue():
    # Open 0..10 with one agent, closed until 100. Call at 5 (handle 20) and call at 6 (handle 5):
    # the agent stays after closing and answers the second at 25 (wait 19); the call at 101 is
    # answered by the agent of the next opening. The stay is recorded as overrun 10..30.
    out = run(
        [5, 6, 101], [20, 5, 5], [INF] * 3, [0, 10, 100], [1, 0, 1], closing=[False, True, False]
    )
    assert out.wait_seconds == pytest.approx([0, 19, 0], abs=1e-12)
    assert out.overrun_start_seconds.tolist() == [10.0]
    assert out.overrun_end_seconds.tolist() == [30.0]


def test_call_that_can_never_be_answered():
    # No agent ever and callers never abandon: neither answered nor abandoned, wait infinite.
    out = run([1, 2], [5, 5], [INF, INF], [0], [0])
    assert not out.answered.any()
    assert not out.abandoned.any()
    assert np.isinf(out.wait_seconds).all()


# ---------------------------------------------------------------------------------------------
# Frame layer
# ---------------------------------------------------------------------------------------------


def plan_frame(
    calls, agents, *, aht=300.0, start="2024-03-04 08:00", tz="Europe/London", queue="q"
):
    calls = np.asarray(calls, dtype=float)
    return pd.DataFrame(
        {
            "queue": queue,
            "interval_start": pd.date_range(start, periods=calls.size, freq="15min", tz=tz),
            "calls_forecast": calls,
            "aht_seconds_forecast": aht,
            "agents_scheduled": np.broadcast_to(np.asarray(agents), calls.shape).astype(np.int64),
        }
    )


def test_counts_are_conserved_and_periods_add_up():
    frame = plan_frame([30, 60, 90, 40], [6, 9, 10, 6])
    result = simulate_plan(frame, "agents_scheduled", patience_seconds=120, replications=4, seed=3)
    intervals = result.intervals
    parts = intervals[["calls_answered", "calls_abandoned", "calls_unanswered"]].sum(axis=1)
    assert parts.to_numpy() == pytest.approx(intervals["calls_offered"].to_numpy(), abs=1e-9)
    for period in (result.daily, result.weekly, result.totals):
        assert period["calls_offered"].sum() == pytest.approx(
            intervals["calls_offered"].sum(), abs=1e-9
        )
    for metric in SIMULATION_METRICS:
        values = intervals[metric].dropna()
        lower = intervals[f"{metric}_lower"].dropna()
        assert (intervals[f"{metric}_lower"] <= intervals[metric] + 1e-12).all()
        assert (intervals[metric] <= intervals[f"{metric}_upper"] + 1e-12).all()
        if metric != "asa_seconds":
            assert ((values >= 0) & (values <= 1)).all(), metric
        assert len(lower) == len(values)
    assert (result.totals["occupancy_upper"] <= 1.0 + 1e-9).all() or result.replications < 2


def test_same_seed_same_result_other_seed_differs():
    frame = plan_frame([50, 70, 60], 8)
    first = simulate_plan(frame, "agents_scheduled", replications=3, seed=11)
    again = simulate_plan(frame, "agents_scheduled", replications=3, seed=11)
    other = simulate_plan(frame, "agents_scheduled", replications=3, seed=12)
    pd.testing.assert_frame_equal(first.intervals, again.intervals)
    assert not np.allclose(first.intervals["calls_offered"], other.intervals["calls_offered"])


def two_queue_plan():
    sales = plan_frame([40, 80, 60, 30], [7, 9, 8, 6], queue="sales")
    support = plan_frame([20, 50, 50, 20], [4, 6, 6, 4], aht=420.0, queue="support")
    return pd.concat([sales, support], ignore_index=True)


@pytest.mark.parametrize("patience", ["exponential", "fixed"], ids=["exponential", "fixed"])
def test_patience_per_queue_gives_the_rows_of_one_call_per_queue(patience):
    # Each queue's streams come from the seed and its name only, and its calls draw patience
    # from its own mean: one call with the mapping is exactly one call per queue with its number.
    frame = two_queue_plan()
    mapping = {"support": 240.0, "sales": 45.0, "unused": 10.0}  # extra queues are allowed
    together = simulate_plan(
        frame,
        "agents_scheduled",
        patience=patience,
        patience_seconds=mapping,
        replications=3,
        seed=21,
    )
    alone = {
        queue: simulate_plan(
            frame.loc[frame["queue"] == queue],
            "agents_scheduled",
            patience=patience,
            patience_seconds=mapping[queue],
            replications=3,
            seed=21,
        )
        for queue in ("sales", "support")
    }
    for label in ("intervals", "daily", "weekly", "totals"):
        expected = pd.concat(
            [getattr(alone[q], label) for q in ("sales", "support")], ignore_index=True
        )
        pd.testing.assert_frame_equal(getattr(together, label), expected, check_exact=True)
    assert together.settings["patience_seconds"] == mapping
    # The per-queue mean is used: one number for both queues changes support's rows only.
    same = simulate_plan(
        frame,
        "agents_scheduled",
        patience=patience,
        patience_seconds=45.0,
        replications=3,
        seed=21,
    )
    is_sales = together.intervals["queue"] == "sales"
    pd.testing.assert_frame_equal(
        together.intervals.loc[is_sales], same.intervals.loc[is_sales], check_exact=True
    )
    assert not np.array_equal(
        together.intervals.loc[~is_sales, "abandon_rate"].to_numpy(),
        same.intervals.loc[~is_sales, "abandon_rate"].to_numpy(),
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"patience_seconds": {"sales": 60.0}},
            r"patience_seconds has no value for queue 'support'",
        ),
        (
            {"patience_seconds": {"sales": 60.0, "support": -1.0}},
            r"patience_seconds\['support'\] must be a finite number > 0, got -1",
        ),
        ({"patience_seconds": {}}, r"patience_seconds must map every queue"),
        (
            {"patience": None, "patience_seconds": {"sales": 60.0, "support": 90.0}},
            r"patience_seconds=.* given with patience=None",
        ),
    ],
    ids=["missing-queue", "negative-value", "empty-mapping", "mapping-without-distribution"],
)
def test_patience_mapping_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        simulate_plan(two_queue_plan(), "agents_scheduled", replications=1, **kwargs)


def test_cli_evaluate_simulates_with_patience_per_queue(tmp_path):
    # planner evaluate --simulate --patience-seconds sales=45,support=240: the same rows as
    # simulate_plan with the mapping (both the Erlang A evaluation and the simulation get it).
    from planner.cli import main
    from planner.io import read_forecast, write_frame

    frame = two_queue_plan()
    write_frame(frame.drop(columns="agents_scheduled"), tmp_path / "forecast.csv")
    write_frame(frame[["queue", "interval_start", "agents_scheduled"]], tmp_path / "coverage.csv")
    main(
        [
            "evaluate",
            str(tmp_path / "coverage.csv"),
            str(tmp_path / "forecast.csv"),
            "--patience-seconds",
            "sales=45,support=240",
            "--simulate",
            "--replications",
            "2",
            "--seed",
            "8",
            "-o",
            str(tmp_path / "ev"),
        ]
    )
    got = pd.read_csv(tmp_path / "ev" / "simulation_intervals.csv")
    expected = simulate_plan(
        read_forecast(tmp_path / "forecast.csv"),
        frame[["queue", "interval_start", "agents_scheduled"]],
        patience_seconds={"sales": 45.0, "support": 240.0},
        replications=2,
        seed=8,
    ).intervals
    for column in ("calls_offered", "abandon_rate", "service_level"):
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-12, err_msg=column)
    evaluation = pd.read_csv(tmp_path / "ev" / "evaluation_intervals.csv")
    assert evaluation["abandon_rate"].notna().all()  # Erlang A, chosen by the patience given


def test_does_not_mutate_input_and_coverage_frame_matches_column():
    frame = plan_frame([40, 40, 40], [7, 8, 7])
    before = frame.copy()
    by_column = simulate_plan(frame, "agents_scheduled", replications=2, seed=5)
    coverage = frame[["queue", "interval_start", "agents_scheduled"]]
    by_coverage = simulate_plan(
        frame.drop(columns="agents_scheduled"), coverage, replications=2, seed=5
    )
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(by_column.intervals, by_coverage.intervals)


def test_shrinkage_removes_productive_agents():
    # 10 heads at 30 % shrinkage are exactly 7 on the phones (exact floor, not 6).
    frame = plan_frame([40, 40], 10)
    result = simulate_plan(frame, "agents_scheduled", shrinkage=0.3, replications=2, seed=1)
    assert result.intervals["agents_productive"].tolist() == [7, 7]


def test_overnight_gap_is_a_closing_not_a_queue():
    # Two days open 08:00-09:00 (AHT 120 s, 6 agents) with a peak in day 1's last interval
    # (120 calls = 16 erlangs): the queue left at 09:00 is answered by the agents who stay, so
    # nobody is left unanswered, and day 2's first interval starts empty instead of inheriting it.
    day1 = plan_frame([20, 20, 20, 120], 6, aht=120.0, start="2024-03-04 08:00")
    day2 = plan_frame([20, 20, 20, 20], 6, aht=120.0, start="2024-03-05 08:00")
    frame = pd.concat([day1, day2], ignore_index=True)
    result = simulate_plan(frame, "agents_scheduled", replications=3, seed=2)
    intervals = result.intervals
    assert intervals["calls_unanswered"].sum() == 0
    assert intervals["asa_seconds"].iloc[3] > 300  # the peak's callers wait minutes
    assert intervals["asa_seconds"].iloc[4] < 30  # next morning: no inherited queue
    assert intervals["queue_at_end"].iloc[3] > 20
    assert len(result.daily) == 2


def test_lognormal_handle_time_with_low_variability_waits_less():
    # M/G/c: less variable handle times mean shorter waits (Kingman / Lee-Longton: wait scales
    # roughly with (1 + cv^2) / 2). Same load and seed; CV 0.3 against exponential (CV 1).
    frame = plan_frame(np.full(192, 80.0), 31)
    exponential = simulate_plan(frame, "agents_scheduled", replications=10, seed=9)
    lognormal = simulate_plan(
        frame, "agents_scheduled", handle_time="lognormal", aht_cv=0.3, replications=10, seed=9
    )
    assert (
        lognormal.totals["asa_seconds_upper"].iloc[0]
        < exponential.totals["asa_seconds_lower"].iloc[0]
    )
    # The mean handle time is kept: busy time over answered calls is the AHT (300 s) within 3 %.
    occupancy = lognormal.totals["occupancy"].iloc[0]
    answered = lognormal.totals["calls_answered"].iloc[0]
    staffed = 31 * 900.0 * 192
    assert occupancy * staffed / answered == pytest.approx(300.0, rel=0.03)


def test_fixed_patience_abandons_exactly_at_patience():
    frame = plan_frame(np.full(8, 200.0), 5)  # badly understaffed: many abandon
    result = simulate_plan(
        frame, "agents_scheduled", patience="fixed", patience_seconds=45, replications=2, seed=4
    )
    totals = result.totals.iloc[0]
    assert totals["abandon_rate"] > 0.5
    # Nobody answered waited longer than their (fixed) patience.
    assert result.intervals["asa_seconds"].max() <= 45.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"handle_time": "gamma"}, "handle_time"),
        ({"aht_cv": 0.5}, "aht_cv"),
        ({"handle_time": "lognormal", "aht_cv": -1.0}, "aht_cv"),
        ({"patience": "weibull", "patience_seconds": 60}, "patience"),
        ({"patience": None, "patience_seconds": 60}, "patience_seconds"),
        ({"patience_seconds": 0}, "patience_seconds"),
        ({"answer_target_seconds": -5}, "answer_target_seconds"),
        ({"replications": 0}, "replications"),
        ({"seed": -1}, "seed"),
        ({"confidence": 1.5}, "confidence"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"interval_minutes": 7}, "interval_minutes"),
    ],
    ids=[
        "handle-time",
        "cv-with-exponential",
        "cv-negative",
        "patience-distribution",
        "patience-seconds-without-distribution",
        "patience-zero",
        "answer-target",
        "replications",
        "seed",
        "confidence",
        "shrinkage",
        "interval-minutes",
    ],
)
def test_parameter_errors(kwargs, match):
    frame = plan_frame([10, 10], 3)
    with pytest.raises(InputError, match=match):
        simulate_plan(frame, "agents_scheduled", **kwargs)


@pytest.mark.parametrize(
    ("change", "agents", "match"),
    [
        (lambda f: f.drop(columns="calls_forecast"), "agents_scheduled", "calls_forecast"),
        (lambda f: f.assign(calls_forecast=[-1.0, 3.0]), "agents_scheduled", "calls_forecast"),
        (
            lambda f: f.assign(aht_seconds_forecast=[0.0, 300.0]),
            "agents_scheduled",
            "aht_seconds_forecast",
        ),
        (lambda f: f.assign(agents_scheduled=[2.5, 3]), "agents_scheduled", "agents"),
        (lambda f: f, "agents_required", "agents_required"),
        (
            lambda f: f.assign(interval_start=f["interval_start"].dt.tz_localize(None)),
            "agents_scheduled",
            "interval_start",
        ),
        (
            lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True),
            "agents_scheduled",
            "interval_start",
        ),
    ],
    ids=[
        "no-calls",
        "negative-calls",
        "zero-aht",
        "fractional-agents",
        "no-agents-column",
        "naive-time",
        "duplicate",
    ],
)
def test_frame_errors(change, agents, match):
    frame = change(plan_frame([10, 10], 3))
    with pytest.raises(InputError, match=match):
        simulate_plan(frame, agents)


def test_coverage_that_matches_nothing_is_an_error():
    frame = plan_frame([10, 10], 3)
    coverage = frame[["queue", "interval_start", "agents_scheduled"]].assign(queue="other")
    with pytest.raises(InputError, match="coverage"):
        simulate_plan(frame.drop(columns="agents_scheduled"), coverage)


# ---------------------------------------------------------------------------------------------
# Against the Erlang formulas (planner.queueing)
# ---------------------------------------------------------------------------------------------

STATIONARY_CASES = [
    # calls per 15 min, AHT s, agents, patience s (inf = Erlang C)
    (120.0, 300.0, 42, 180.0),
    (60.0, 300.0, 23, np.inf),
    (120.0, 300.0, 36, 120.0),
    (40.0, 240.0, 12, 300.0),
]


@pytest.mark.parametrize(
    ("calls", "aht", "agents", "patience"),
    STATIONARY_CASES,
    ids=[
        "erlang-a-40erl-42ag",
        "erlang-c-20erl-23ag",
        "erlang-a-overloaded-36ag",
        "erlang-a-small",
    ],
)
def test_stationary_simulation_agrees_with_erlang(calls, aht, agents, patience):
    # Constant rate and staffing for two days: the steady state the formulas describe. Every
    # KPI of the Erlang A (Erlang C when patience is infinite) kernel must lie inside the
    # simulation's 99 % confidence interval over 10 replications.
    from planner.queueing import erlang_a

    starts = pd.date_range("2024-01-01", periods=192, freq="15min", tz="UTC")
    frame = pd.DataFrame(
        {
            "interval_start": starts,
            "calls_forecast": calls,
            "aht_seconds_forecast": aht,
            "agents_scheduled": agents,
        }
    )
    result = simulate_plan(
        frame,
        "agents_scheduled",
        patience_seconds=None if np.isinf(patience) else patience,
        answer_target_seconds=20.0,
        replications=10,
        seed=1,
        confidence=0.99,
    )
    formulas = erlang_a(calls * aht / 900.0, agents, aht, patience, 20.0)
    totals = result.totals.iloc[0]
    for metric in ("service_level", "asa_seconds", "abandon_rate", "wait_probability", "occupancy"):
        expected = float(getattr(formulas, metric))
        assert totals[f"{metric}_lower"] <= expected <= totals[f"{metric}_upper"], (
            metric,
            expected,
            totals[f"{metric}_lower"],
            totals[f"{metric}_upper"],
        )


def test_backlog_from_a_peak_carries_into_the_next_interval():
    # 20 erlangs on 24 agents, except one 15-minute peak of 50 erlangs (patience 10 min). The
    # formulas evaluate each interval on its own, in steady state: they call the peak hopeless
    # and the interval after it fine. The simulation disagrees in both directions: the peak
    # starts with an empty queue (better than its steady state), and the calls still queued at
    # its end are answered in the next interval, which therefore misses what the formulas promise.
    from planner.queueing import erlang_a

    calls = np.array([60, 60, 60, 60, 150, 60, 60, 60], dtype=float)
    frame = plan_frame(calls, 24, aht=300.0)
    result = simulate_plan(frame, "agents_scheduled", patience_seconds=600, replications=10, seed=5)
    formulas = erlang_a(calls * 300.0 / 900.0, 24, 300.0, 600.0, 20.0)
    peak, after = result.intervals.iloc[4], result.intervals.iloc[5]
    assert peak["queue_at_end_lower"] > 10  # a backlog is left at the peak's end
    assert after["service_level_upper"] < formulas.service_level[5]
    assert after["asa_seconds_lower"] > formulas.asa_seconds[5]
    assert peak["service_level_lower"] > formulas.service_level[4]
    assert peak["asa_seconds_upper"] < formulas.asa_seconds[4]
