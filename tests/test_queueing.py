"""Tests of the queueing kernels (planner/queueing.py): golden values, independent references,
a small discrete-event simulation and hypothesis properties."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from pyworkforce.queuing import ErlangC
from scipy.sparse.linalg import expm_multiply, spsolve

from planner.queueing import (
    ErlangAResult,
    erlang_a,
    erlang_b,
    erlang_c_asa_seconds,
    erlang_c_service_level,
    erlang_c_wait_probability,
    occupancy,
)

# ---------------------------------------------------------------------------------------------
# Independent references, written here in plain numpy/scipy
# ---------------------------------------------------------------------------------------------


def erlang_b_recursion(traffic: float, agents: int) -> float:
    """The textbook recursion B_k = A B_{k-1} / (k + A B_{k-1})."""
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return b


def erlang_a_chain(
    traffic: float, agents: int, aht: float, patience: float, target: float
) -> dict[str, float]:
    """Erlang A from the birth-death chain truncated far out, plus the tagged caller's chain.

    Stationary law of the number in system (log-space products of birth/death rates), truncated
    where the queue-length probabilities are below exp(-60) of their peak. The waiting caller's
    fate is a separate absorbing chain over "callers ahead of me": it moves down at rate
    n mu + k theta, is answered from 0 at rate n mu and abandons at rate theta. Service within
    ``target`` comes from the matrix exponential of that chain (expm_multiply), the answered
    probability and answered wait from linear solves. No closed forms, no incomplete gammas.
    """
    lam, mu, theta = traffic / aht, 1.0 / aht, 1.0 / patience
    x, y = traffic * patience / aht, agents * patience / aht
    queue_len = int(max(x - y, 0.0) + 14 * np.sqrt(x + y + 1) + 100)
    k = np.arange(agents + queue_len + 1)
    death = np.where(k <= agents, k * mu, agents * mu + (k - agents) * theta)
    log_p = np.zeros(k.size)
    log_p[1:] = np.cumsum(np.log(lam) - np.log(death[1:]))
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    queue_p = p[agents:]  # a waiting arrival meets j = 0, 1, ... callers ahead (PASTA)
    j = np.arange(queue_p.size)
    wait = queue_p.sum()
    abandon = theta * (j * queue_p).sum() / lam

    # Tagged caller: transient states j ahead; absorbing "answered" (index J) and "abandoned".
    size = queue_p.size
    down = agents * mu + j * theta  # rate j -> j-1, or j=0 -> answered
    out = down + theta
    q_t = sp.diags([-out, down[1:]], [0, -1], shape=(size, size), format="csc")
    # q_t[j, j-1] = down[j]; generator restricted to transient states (rows = from).
    to_answered = np.zeros(size)
    to_answered[0] = agents * mu
    answered_prob = spsolve(-q_t, to_answered)
    answered_time = spsolve(-q_t, answered_prob)  # E[W; answered | j]
    full = sp.bmat(
        [
            [q_t, sp.csc_matrix(to_answered[:, None])],
            [sp.csc_matrix((1, size)), sp.csc_matrix((1, 1))],
        ],
        format="csc",
    )
    indicator = np.zeros(size + 1)
    indicator[size] = 1.0
    answered_by_t = expm_multiply(full * target, indicator)[:size]
    service_level = (1 - wait) + (queue_p * answered_by_t).sum()
    answered = (1 - wait) + (queue_p * answered_prob).sum()
    asa = (queue_p * answered_time).sum() / answered
    return {
        "wait_probability": wait,
        "abandon_rate": abandon,
        "service_level": service_level,
        "service_level_of_answered": service_level / answered,
        "asa_seconds": asa,
        "mean_wait_seconds": abandon * patience,
        "occupancy": traffic * answered / agents,
    }


def simulate_erlang_a(
    traffic: float,
    agents: int,
    aht: float,
    patience: float,
    target: float,
    calls: int,
    seed: int,
    batches: int = 20,
) -> dict[str, tuple[float, float]]:
    """FCFS M/M/n+M by the offered-wait recursion; returns (mean, standard error) by batch means.

    Callers are assigned in arrival order to the agent that frees first; a caller whose offered
    wait exceeds their patience abandons and leaves that agent free for the next caller.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(aht / traffic, calls))
    services = rng.exponential(aht, calls)
    patiences = rng.exponential(patience, calls)
    free = [0.0] * agents
    waited = np.empty(calls)
    answered = np.empty(calls, dtype=bool)
    for i in range(calls):
        arrival = arrivals[i]
        start = free[0] if free[0] > arrival else arrival
        offered_wait = start - arrival
        if offered_wait > patiences[i]:
            answered[i] = False
            waited[i] = patiences[i]
        else:
            answered[i] = True
            waited[i] = offered_wait
            heapq.heapreplace(free, start + services[i])
    warm = calls // 20
    waited, answered = waited[warm:], answered[warm:]
    metrics = {
        "wait_probability": waited > 0,
        "abandon_rate": ~answered,
        "service_level": answered & (waited <= target),
    }
    out: dict[str, tuple[float, float]] = {}
    for name, values in metrics.items():
        means = np.array([b.mean() for b in np.array_split(values.astype(float), batches)])
        out[name] = (means.mean(), means.std(ddof=1) / np.sqrt(batches))
    per_batch = [
        (w[a].sum(), a.sum())
        for w, a in zip(
            np.array_split(waited, batches), np.array_split(answered, batches), strict=True
        )
    ]
    asa = np.array([s / c for s, c in per_batch])
    out["asa_seconds"] = (asa.mean(), asa.std(ddof=1) / np.sqrt(batches))
    return out


# ---------------------------------------------------------------------------------------------
# Golden values
# ---------------------------------------------------------------------------------------------


def test_callcentrehelper_worked_example() -> None:
    # Source: callcentrehelper.com, "Erlang C Formula - Made Simple With an Easy Worked Example"
    # (100 calls in 30 min, AHT 180 s, 80/20, 14 agents): traffic 10 Erlangs, SL 88.84 %,
    # ASA 7.84 s, occupancy 71.4 %. Published to 4 significant figures, compared at that precision.
    traffic = 100 * 180 / (30 * 60)
    assert traffic == pytest.approx(10.0, rel=1e-15)
    assert erlang_c_service_level(traffic, 14, 180, 20) == pytest.approx(0.8884, abs=5e-5)
    assert erlang_c_asa_seconds(traffic, 14, 180) == pytest.approx(7.84, abs=5e-3)
    assert occupancy(traffic, 14) == pytest.approx(0.714, abs=5e-4)


@pytest.mark.parametrize(
    ("agents", "wait", "service_level", "asa"),
    [
        # Source: CRAN package ErlangC 0.1.0, README, erlang_c(100, 30 min, 180 s, 20 s, 14):
        # wait_probability 0.1741319, service_level 0.88835, ASA "7.83593701177724s",
        # occupancy 0.7142857.
        (14, 0.1741319, 0.88835, 7.83593701177724),
        # Source: same README, calculate_agents(...) $process first row (11 agents):
        # wait_probability 0.6821182, service_level 0.3896138.
        (11, 0.6821182, 0.3896138, None),
    ],
    ids=["14-agents", "11-agents"],
)
def test_cran_erlangc_readme(agents: int, wait: float, service_level: float, asa: float) -> None:
    # R prints 7 significant digits; the ASA string carries 15, so it is checked to 1e-12.
    assert erlang_c_wait_probability(10.0, agents) == pytest.approx(wait, rel=1e-6)
    assert erlang_c_service_level(10.0, agents, 180, 20) == pytest.approx(service_level, rel=1e-6)
    if asa is not None:
        assert erlang_c_asa_seconds(10.0, agents, 180) == pytest.approx(asa, rel=1e-12)
        assert occupancy(10.0, agents) == pytest.approx(0.7142857, rel=1e-6)


def test_pyworkforce_own_test_values() -> None:
    # Source: pyworkforce 0.5.1, pyworkforce/queuing/tests/test_erlang.py
    # (100 transactions / 30 min, AHT 3 min, answer target 0.33 min): at 14 positions SL 0.888,
    # occupancy 0.714, waiting probability 0.174; at 15 positions SL 0.941, occupancy 0.667,
    # waiting probability 0.102 (rounded to 3 decimals there).
    assert erlang_c_service_level(10.0, 14, 180, 0.33 * 60) == pytest.approx(0.888, abs=5e-4)
    assert occupancy(10.0, 14) == pytest.approx(0.714, abs=5e-4)
    assert erlang_c_wait_probability(10.0, 14) == pytest.approx(0.174, abs=5e-4)
    assert erlang_c_service_level(10.0, 15, 180, 0.33 * 60) == pytest.approx(0.941, abs=5e-4)
    assert occupancy(10.0, 15) == pytest.approx(0.667, abs=5e-4)
    assert erlang_c_wait_probability(10.0, 15) == pytest.approx(0.102, abs=5e-4)


@pytest.mark.parametrize("transactions", [7.0, 100.0, 640.0, 2500.0], ids=lambda v: f"calls{v:g}")
@pytest.mark.parametrize("aht_minutes", [3.0, 7.5], ids=lambda v: f"aht{v:g}m")
@pytest.mark.parametrize("answer_minutes", [0.33, 1.0], ids=lambda v: f"t{v:g}m")
def test_cross_check_pyworkforce_grid(
    transactions: float, aht_minutes: float, answer_minutes: float
) -> None:
    erlang = ErlangC(
        transactions=transactions, aht=aht_minutes, asa=answer_minutes, interval=30, shrinkage=0
    )
    traffic = erlang.intensity
    positions = np.arange(int(np.floor(traffic)) + 1, int(np.floor(traffic)) + 25)
    expected_wait = [erlang.waiting_probability(int(p)) for p in positions]
    expected_sl = [erlang.service_level(int(p)) for p in positions]
    expected_occ = [erlang.achieved_occupancy(int(p)) for p in positions]
    wait = erlang_c_wait_probability(traffic, positions)
    sl = erlang_c_service_level(traffic, positions, aht_minutes * 60, answer_minutes * 60)
    np.testing.assert_allclose(wait, expected_wait, rtol=1e-9)
    np.testing.assert_allclose(sl, expected_sl, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(occupancy(traffic, positions), expected_occ, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Erlang B and C
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traffic", "agents"),
    [
        (0.5, 1),
        (10.0, 14),
        (10.0, 3),
        (90.0, 100),
        (500.0, 480),
        (500.0, 560),
        (4900.0, 5000),
        (5200.0, 5000),
        (1e4, 5000),  # gammaincc underflows: the direct finite sum
        (1.0, 200),  # B underflows towards 0
        (3000.0, 40),
    ],
    ids=lambda v: f"{v:g}",
)
def test_erlang_b_matches_recursion(traffic: float, agents: int) -> None:
    assert erlang_b(traffic, agents) == pytest.approx(
        erlang_b_recursion(traffic, agents), rel=1e-12
    )


def test_erlang_b_grid_matches_recursion_to_5000_agents() -> None:
    traffic = np.array([0.1, 2.0, 17.3, 150.0, 999.0, 4321.0, 6000.0])
    agents = np.array([1, 5, 20, 140, 1000, 4400, 5000])
    got = erlang_b(traffic[:, None], agents[None, :])
    assert got.shape == (7, 7)
    expected = np.array([[erlang_b_recursion(a, n) for n in agents] for a in traffic])
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-300)


def test_erlang_b_edge_cases() -> None:
    assert erlang_b(5.0, 0) == 1.0
    assert erlang_b(0.0, 3) == 0.0
    assert erlang_b(0.0, 0) == 1.0
    out = erlang_b([-1.0, 2.0, 2.0, np.nan], [3, 2.5, -1, 3])
    assert np.isnan(out).all()


def test_erlang_c_nan_where_unstable() -> None:
    traffic = np.array([10.0, 10.0, 10.0, 0.0, 0.0])
    agents = np.array([9, 10, 11, 0, 4])
    wait = erlang_c_wait_probability(traffic, agents)
    assert np.isnan(wait[:2]).all()
    assert 0 < wait[2] < 1
    np.testing.assert_array_equal(wait[3:], [0.0, 0.0])
    sl = erlang_c_service_level(traffic, agents, 180, 20)
    assert np.isnan(sl[:2]).all()
    np.testing.assert_array_equal(sl[3:], [1.0, 1.0])
    asa = erlang_c_asa_seconds(traffic, agents, 180)
    assert np.isnan(asa[:2]).all()
    np.testing.assert_array_equal(asa[3:], [0.0, 0.0])
    occ = occupancy(traffic, agents)
    assert np.isnan(occ[:2]).all()
    np.testing.assert_array_equal(occ[2:], [10 / 11, 0.0, 0.0])


def test_erlang_c_kernels_broadcast() -> None:
    traffic = np.array([5.0, 50.0, 400.0])[:, None]
    agents = np.array([[420, 430]])
    assert erlang_c_service_level(traffic, agents, 240.0, [[20.0], [30.0], [60.0]]).shape == (3, 2)
    assert erlang_c_asa_seconds(traffic, agents, 240.0).shape == (3, 2)
    assert np.shape(erlang_c_wait_probability(7.0, 9)) == ()


def test_erlang_c_invalid_inputs_are_nan() -> None:
    assert np.isnan(erlang_c_service_level(5.0, 8, 0.0, 20))
    assert np.isnan(erlang_c_service_level(5.0, 8, 180.0, -1))
    assert np.isnan(erlang_c_asa_seconds(5.0, 8.5, 180.0))
    assert np.isnan(occupancy(-1.0, 8))


# ---------------------------------------------------------------------------------------------
# Erlang A
# ---------------------------------------------------------------------------------------------

_CHAIN_CASES = [
    (10.0, 12, 180.0, 120.0, 20.0),
    (90.0, 100, 180.0, 600.0, 20.0),
    (50.0, 45, 240.0, 90.0, 30.0),  # overloaded
    (3.0, 1, 100.0, 10.0, 15.0),
    (200.0, 210, 300.0, 1800.0, 60.0),
    (12.0, 30, 200.0, 50.0, 0.0),  # answer target 0
    (4900.0, 5000, 300.0, 300.0, 20.0),
    (5600.0, 5000, 300.0, 150.0, 20.0),  # 5,000 agents, overloaded
]


@pytest.mark.parametrize(
    "case", _CHAIN_CASES, ids=[f"A{c[0]:g}-n{c[1]}-pat{c[3]:g}" for c in _CHAIN_CASES]
)
def test_erlang_a_matches_birth_death_chain(case: tuple[float, int, float, float, float]) -> None:
    traffic, agents, aht, patience, target = case
    got = erlang_a(traffic, agents, aht, patience, target)
    expected = erlang_a_chain(traffic, agents, aht, patience, target)
    for name, value in expected.items():
        assert float(getattr(got, name)) == pytest.approx(value, rel=1e-6, abs=1e-13), name


def test_erlang_a_matches_simulation() -> None:
    traffic, agents, aht, patience, target = 7.6, 8, 180.0, 150.0, 20.0
    sim = simulate_erlang_a(traffic, agents, aht, patience, target, calls=120_000, seed=20261122)
    got = erlang_a(traffic, agents, aht, patience, target)
    for name, (mean, stderr) in sim.items():
        exact = float(getattr(got, name))
        assert abs(mean - exact) < 4.5 * stderr + 1e-3 * exact, (name, mean, stderr, exact)


def test_erlang_a_result_is_frozen_and_broadcast() -> None:
    result = erlang_a(np.array([5.0, 50.0, 80.0]), np.array([[6], [60]]), 180.0, 120.0, 20.0)
    assert isinstance(result, ErlangAResult)
    assert result.service_level.shape == (2, 3)
    with pytest.raises(AttributeError):
        result.service_level = np.zeros(1)  # type: ignore[misc]


def test_erlang_a_defined_where_erlang_c_is_not() -> None:
    result = erlang_a(120.0, 100, 180.0, 120.0, 20.0)
    assert np.isnan(erlang_c_service_level(120.0, 100, 180.0, 20.0))
    for name in ("wait_probability", "abandon_rate", "service_level", "asa_seconds", "occupancy"):
        value = float(getattr(result, name))
        assert np.isfinite(value), name
    # In overload the agents carry at most their number of Erlangs.
    assert float(result.occupancy) <= 1.0
    assert float(result.abandon_rate) >= 1 - 100 / 120


def test_erlang_a_infinite_patience_is_erlang_c_exactly() -> None:
    traffic, agents = np.array([10.0, 50.0, 60.0]), np.array([14, 55, 60])
    result = erlang_a(traffic, agents, 180.0, np.inf, 20.0)
    np.testing.assert_allclose(
        result.service_level, erlang_c_service_level(traffic, agents, 180.0, 20.0), rtol=1e-15
    )
    np.testing.assert_allclose(
        result.asa_seconds, erlang_c_asa_seconds(traffic, agents, 180.0), rtol=1e-15
    )
    np.testing.assert_array_equal(result.abandon_rate[:2], [0.0, 0.0])
    assert np.isnan(result.service_level[2])  # traffic == agents: unstable without abandonment


def test_erlang_a_zero_patience_is_erlang_b_loss() -> None:
    result = erlang_a(10.0, 12, 180.0, 0.0, 20.0)
    b = erlang_b(10.0, 12)
    assert float(result.abandon_rate) == pytest.approx(b, rel=1e-15)
    assert float(result.service_level) == pytest.approx(1 - b, rel=1e-15)
    assert float(result.asa_seconds) == 0.0


def test_erlang_a_edge_cases() -> None:
    none = erlang_a(0.0, 0, 180.0, 60.0, 20.0)
    assert float(none.service_level) == 1.0 and float(none.abandon_rate) == 0.0
    assert float(none.occupancy) == 0.0
    nobody = erlang_a(4.0, 0, 180.0, 60.0, 20.0)
    assert float(nobody.abandon_rate) == 1.0 and float(nobody.service_level) == 0.0
    assert float(nobody.mean_wait_seconds) == 60.0
    assert np.isnan(nobody.asa_seconds) and np.isnan(nobody.occupancy)
    invalid = erlang_a([4.0, 4.0, 4.0, -1.0], [3, 3.5, 3, 3], [180.0, 180.0, -5.0, 180.0], 60, 20)
    assert not np.isnan(invalid.service_level[0])
    assert np.isnan(invalid.service_level[1:]).all()


def test_erlang_a_5000_agents_is_stable_and_exact() -> None:
    agents = np.array([4000, 4900, 5000, 5100, 6000])
    result = erlang_a(4950.0, agents, 240.0, 200.0, 20.0)
    for name in ("wait_probability", "abandon_rate", "service_level", "asa_seconds"):
        values = getattr(result, name)
        assert np.isfinite(values).all(), name
    assert np.all(np.diff(result.service_level) >= 0)
    assert np.all(np.diff(result.abandon_rate) <= 0)
    expected = erlang_a_chain(4950.0, 5000, 240.0, 200.0, 20.0)
    assert float(result.service_level[2]) == pytest.approx(expected["service_level"], rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

traffic_st = st.floats(min_value=0.01, max_value=800.0, allow_nan=False)
aht_st = st.floats(min_value=20.0, max_value=1200.0)
target_st = st.floats(min_value=0.0, max_value=120.0)
patience_st = st.floats(min_value=1.0, max_value=3600.0)


@settings(max_examples=60, deadline=None)
@given(traffic=traffic_st, aht=aht_st, target=target_st, extra=st.integers(0, 40))
def test_erlang_c_service_level_bounded_and_monotone(
    traffic: float, aht: float, target: float, extra: int
) -> None:
    agents = np.arange(int(np.floor(traffic)) + 1, int(np.floor(traffic)) + 2 + extra)
    sl = erlang_c_service_level(traffic, agents, aht, target)
    assert np.all((sl >= 0) & (sl <= 1))
    assert np.all(np.diff(sl) >= -1e-12)
    asa = erlang_c_asa_seconds(traffic, agents, aht)
    assert np.all(np.diff(asa) <= 1e-9 * asa[:-1])


@settings(max_examples=40, deadline=None)
@given(traffic=traffic_st, aht=aht_st, target=target_st, patience=patience_st)
def test_erlang_a_service_level_bounded_and_monotone(
    traffic: float, aht: float, target: float, patience: float
) -> None:
    agents = np.arange(0, int(traffic * 1.3) + 12)
    result = erlang_a(traffic, agents, aht, patience, target)
    sl, abandon = result.service_level, result.abandon_rate
    assert np.all((sl >= 0) & (sl <= 1))
    assert np.all((abandon >= 0) & (abandon <= 1))
    assert np.all(np.diff(sl) >= -1e-12)
    assert np.all(np.diff(abandon) <= 1e-12)
    assert np.all(np.diff(result.wait_probability) <= 1e-12)
    asa = result.asa_seconds[1:]
    assert np.all(np.diff(asa) <= 1e-9 * asa[:-1] + 1e-12)


@settings(max_examples=30, deadline=None)
@given(
    traffic=st.floats(min_value=0.05, max_value=300.0),
    margin=st.integers(0, 30),
    aht=aht_st,
    target=target_st,
)
def test_erlang_a_tends_to_erlang_c_as_patience_grows(
    traffic: float, margin: int, aht: float, target: float
) -> None:
    agents = int(np.ceil(traffic + 0.5)) + margin  # at least half an Erlang of slack
    c_sl = float(erlang_c_service_level(traffic, agents, aht, target))
    c_wait = float(erlang_c_wait_probability(traffic, agents))
    c_asa = float(erlang_c_asa_seconds(traffic, agents, aht))
    # Abandonment perturbs Erlang C by about (queue length / spare agents) * aht / patience;
    # measure patience in units of that scale so that the limit is approached uniformly.
    scale = aht * (1.0 + traffic / (agents - traffic) ** 2)
    errors = []
    for patience in scale * np.array([1e1, 1e3, 1e5]):
        a = erlang_a(traffic, agents, aht, patience, target)
        errors.append(
            max(
                abs(float(a.service_level) - c_sl),
                abs(float(a.wait_probability) - c_wait),
                abs(float(a.asa_seconds) - c_asa) / max(c_asa, 1e-300),
            )
        )
    assert errors[-1] < 1e-4
    assert errors[2] <= errors[1] <= errors[0]


@settings(max_examples=40, deadline=None)
@given(traffic=st.floats(min_value=0.05, max_value=600.0), agents=st.integers(1, 700), aht=aht_st)
def test_erlang_a_tends_to_erlang_b_as_patience_shrinks(
    traffic: float, agents: int, aht: float
) -> None:
    b = float(erlang_b(traffic, agents))
    errors = []
    # The queue holds about traffic * patience / aht callers: scale patience by that.
    for patience in aht / (1.0 + traffic) * np.array([1e-2, 1e-4, 1e-6]):
        a = erlang_a(traffic, agents, aht, patience, 20.0)
        errors.append(max(abs(float(a.abandon_rate) - b), abs(float(a.wait_probability) - b)))
    assert errors[-1] < 1e-4
    assert errors[-1] <= errors[0] + 1e-12


def test_erlang_a_where_traffic_times_patience_over_aht_underflows() -> None:
    # 5e-324 * 10 / 300 is 0 in floats: the queue an arrival meets is empty (the no-traffic
    # limit), not an IndexError from an empty window of queue lengths.
    result = erlang_a(5e-324, np.array([1, 3]), 300.0, 10.0, 20.0)
    for name in ("wait_probability", "abandon_rate", "asa_seconds", "mean_wait_seconds"):
        values = getattr(result, name)
        assert np.all(np.isfinite(values) & (values >= 0) & (values <= 1e-17)), name
    np.testing.assert_allclose(result.service_level, 1.0, atol=1e-19)


@pytest.mark.parametrize("traffic", [5e-324, 1e-310, 1e-300, 1e-20], ids=lambda v: f"{v:g}")
def test_tiny_traffic_is_finite_and_tends_to_no_waiting(traffic: float) -> None:
    # Subnormal traffic (a forecast of 1e-310 calls) must not produce NaN anywhere.
    agents = np.array([1, 3])
    assert np.all(np.isfinite(erlang_b(traffic, agents)))
    wait = erlang_c_wait_probability(traffic, agents)
    assert np.all((wait >= 0) & (wait <= 1e-19))
    sl = erlang_c_service_level(traffic, agents, 180.0, 20.0)
    np.testing.assert_allclose(sl, 1.0, atol=1e-19)
    result = erlang_a(traffic, agents, 180.0, 120.0, 20.0)
    for name in ("wait_probability", "abandon_rate", "asa_seconds", "mean_wait_seconds"):
        values = getattr(result, name)
        assert np.all(np.isfinite(values) & (values >= 0) & (values <= 1e-17)), name
    np.testing.assert_allclose(result.service_level, 1.0, atol=1e-19)
