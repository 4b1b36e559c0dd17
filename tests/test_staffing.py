"""Tests of planner/staffing.py: golden staffing examples, pyworkforce agreement, exact shrinkage
ceilings, minimality of the search (hypothesis), KPIs for given agents, and every error path."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyworkforce.queuing import ErlangC

from planner.errors import InfeasibleError, InputError
from planner.queueing import (
    erlang_a,
    erlang_c_asa_seconds,
    erlang_c_service_level,
    occupancy,
)
from planner.schema import REQUIREMENT_COLUMNS
from planner.staffing import (
    KPI_COLUMNS,
    StaffingTargets,
    combine_shrinkage,
    kpis_for_agents,
    required_agents,
)


def frame(
    calls: list[float],
    aht: list[float] | float = 180.0,
    *,
    minutes: int = 30,
    queue: str | list[str] = "sales",
    history: bool = False,
) -> pd.DataFrame:
    starts = pd.date_range("2026-03-02 08:00", periods=len(calls), freq=f"{minutes}min", tz="UTC")
    ahts = [aht] * len(calls) if isinstance(aht, float | int) else aht
    names = (
        ("calls_offered", "aht_seconds") if history else ("calls_forecast", "aht_seconds_forecast")
    )
    return pd.DataFrame(
        {
            "queue": queue,
            "interval_start": starts,
            names[0]: np.asarray(calls, dtype=float),
            names[1]: np.asarray(ahts, dtype=float),
        }
    )


# ---------------------------------------------------------------------------------------------
# Golden examples
# ---------------------------------------------------------------------------------------------


def test_callcentrehelper_worked_example() -> None:
    # Source: callcentrehelper.com, "Erlang C Formula - Made Simple With an Easy Worked Example":
    # 100 calls / 30 min, AHT 180 s, 80/20 -> 14 agents, SL 88.84 %, ASA 7.84 s; with 30 %
    # shrinkage 14 / 0.7 = 20 agents to schedule.
    out = required_agents(
        frame([100.0]), StaffingTargets(0.8, 20.0), shrinkage=0.3, interval_minutes=30
    )
    row = out.iloc[0]
    assert row["traffic_erlangs"] == pytest.approx(10.0, rel=1e-15)
    assert row["agents_required"] == 14
    assert row["agents_to_schedule"] == 20
    assert row["service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert row["asa_seconds"] == pytest.approx(7.84, abs=5e-3)
    assert math.isnan(row["abandon_rate"])  # Erlang C does not model abandonment


def test_cran_erlangc_calculate_agents() -> None:
    # Source: CRAN ErlangC 0.1.0 README, calculate_agents(100 calls, 30 min, 180 s, 20 s,
    # require_service_level = 0.8, max_occupancy = 0.85, shrinkage = 0.3): $agents 14,
    # $service_level 0.88835, $wait_probability 0.1741319, $occupancy 0.7142857.
    targets = StaffingTargets(
        service_level_target=0.8, answer_target_seconds=20, max_occupancy=0.85
    )
    row = required_agents(frame([100.0]), targets, shrinkage=0.3, interval_minutes=30).iloc[0]
    assert row["agents_required"] == 14
    assert row["service_level"] == pytest.approx(0.88835, rel=1e-5)
    assert row["wait_probability"] == pytest.approx(0.1741319, rel=1e-6)
    assert row["occupancy"] == pytest.approx(0.7142857, rel=1e-6)


def test_pyworkforce_over_occupancy_example() -> None:
    # Source: pyworkforce 0.5.1 tests, test_over_occupancy_erlangc: 100 transactions / 30 min,
    # AHT 3 min, answer 0.33 min, SL 0.8, max occupancy 0.7, shrinkage 0.3 -> raw_positions 15,
    # positions 22, occupancy 0.667.
    targets = StaffingTargets(0.8, 0.33 * 60, max_occupancy=0.7)
    row = required_agents(frame([100.0]), targets, shrinkage=0.3, interval_minutes=30).iloc[0]
    assert row["agents_required"] == 15
    assert row["agents_to_schedule"] == 22
    assert row["occupancy"] == pytest.approx(0.667, abs=5e-4)


@pytest.mark.parametrize("aht_minutes", [2.0, 4.5, 9.0], ids=lambda v: f"aht{v:g}m")
@pytest.mark.parametrize("service_level", [0.7, 0.8, 0.95], ids=lambda v: f"sl{v:g}")
@pytest.mark.parametrize("answer_minutes", [0.33, 1.0], ids=lambda v: f"t{v:g}m")
def test_agents_match_pyworkforce_required_positions(
    aht_minutes: float, service_level: float, answer_minutes: float
) -> None:
    calls = [3.0, 17.0, 64.0, 150.0, 420.0, 999.0, 2400.0]
    out = required_agents(
        frame(calls, aht_minutes * 60, minutes=30),
        StaffingTargets(service_level, answer_minutes * 60),
    )
    expected = [
        ErlangC(
            transactions=c, aht=aht_minutes, asa=answer_minutes, interval=30
        ).required_positions(service_level)["raw_positions"]
        for c in calls
    ]
    assert out["agents_required"].tolist() == expected


# ---------------------------------------------------------------------------------------------
# Shrinkage
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agents", "shrinkage", "expected"),
    [
        (14, 0.3, 20),  # callcentrehelper
        (21, 0.3, 30),  # in floats 21 / (1 - 0.3) = 30.000000000000004 -> 31
        (9, 0.1, 10),  # 9 / (1 - 0.1) = 10.000000000000002 in floats
        (7, 0.0, 7),
        (1, 0.35, 2),
        (0, 0.5, 0),
    ],
    ids=["14@0.3", "21@0.3", "9@0.1", "7@0", "1@0.35", "0@0.5"],
)
def test_agents_to_schedule_is_an_exact_ceiling(
    agents: int, shrinkage: float, expected: int
) -> None:
    # A zero-call interval with a floor of `agents` isolates the gross-up.
    out = required_agents(frame([0.0]), min_agents=agents, shrinkage=shrinkage, interval_minutes=30)
    assert out["agents_required"].iloc[0] == agents
    assert out["agents_to_schedule"].iloc[0] == expected


def test_shrinkage_column_per_interval() -> None:
    forecast = frame([100.0, 100.0, 0.0]).assign(shrink=[0.3, 0.0, combine_shrinkage(0.1, 0.2)])
    out = required_agents(forecast, shrinkage="shrink", min_agents=3)
    assert out["agents_to_schedule"].tolist() == [20, 14, math.ceil(3 / 0.72)]


def test_combine_shrinkage_is_exact() -> None:
    assert combine_shrinkage(0.1, 0.2) == 0.28
    assert combine_shrinkage(0.3) == 0.3
    assert combine_shrinkage(0.1, 0.05, 0.05) == pytest.approx(1 - 0.9 * 0.95 * 0.95, abs=1e-15)
    arr = combine_shrinkage([0.1, 0.0, 0.2], 0.2)
    np.testing.assert_array_equal(arr, [0.28, 0.2, 0.36])


@pytest.mark.parametrize("bad", [1.0, -0.1, float("nan")], ids=["one", "negative", "nan"])
def test_combine_shrinkage_rejects_bad_components(bad: float) -> None:
    with pytest.raises(InputError, match="shrinkage component 2"):
        combine_shrinkage(0.1, bad)
    with pytest.raises(InputError, match="at least one"):
        combine_shrinkage()


# ---------------------------------------------------------------------------------------------
# Behaviour
# ---------------------------------------------------------------------------------------------


def test_output_schema_sorting_and_no_mutation() -> None:
    forecast = pd.concat(
        [frame([50.0, 0.0, 80.0], queue="support"), frame([120.0, 30.0, 5.0], queue="billing")]
    ).iloc[::-1]
    before = forecast.copy()
    out = required_agents(forecast)
    pd.testing.assert_frame_equal(forecast, before)
    assert tuple(out.columns) == REQUIREMENT_COLUMNS
    assert isinstance(out.index, pd.RangeIndex)
    assert out["queue"].tolist() == ["billing"] * 3 + ["support"] * 3
    assert out["interval_start"].is_monotonic_increasing is False  # two queues
    assert out.groupby("queue")["interval_start"].apply(lambda s: s.is_monotonic_increasing).all()
    assert out["agents_required"].dtype == np.int64
    assert out["agents_to_schedule"].dtype == np.int64


def test_zero_calls_need_zero_agents_unless_min_agents() -> None:
    forecast = frame([0.0, 100.0, 0.0], [float("nan"), 180.0, 200.0])
    out = required_agents(forecast)
    assert out["agents_required"].tolist() == [0, 14, 0]
    assert out["service_level"].iloc[0] == 1.0
    floor = required_agents(forecast, min_agents=15)
    assert floor["agents_required"].tolist() == [15, 15, 15]
    erlang_a_out = required_agents(forecast, model="erlang-a", patience_seconds=120)
    assert erlang_a_out["abandon_rate"].iloc[0] == 0.0


def test_history_spelling_and_interval_inference() -> None:
    hist = frame([100.0, 60.0, 80.0, 40.0], minutes=15, history=True)
    out = required_agents(hist)
    assert out["calls_forecast"].tolist() == [100.0, 60.0, 80.0, 40.0]
    assert out["traffic_erlangs"].iloc[0] == pytest.approx(100 * 180 / 900, rel=1e-15)
    explicit = required_agents(hist, interval_minutes=15)
    pd.testing.assert_frame_equal(out, explicit)


def test_erlang_a_with_every_target() -> None:
    targets = StaffingTargets(
        service_level_target=0.85,
        answer_target_seconds=30,
        max_asa_seconds=15,
        max_abandon_rate=0.02,
        max_occupancy=0.9,
    )
    forecast = frame([20.0, 150.0, 900.0, 3000.0], 240.0)
    out = required_agents(forecast, targets, model="erlang-a", patience_seconds=150)
    n = out["agents_required"].to_numpy()
    a = out["traffic_erlangs"].to_numpy()
    at = erlang_a(a, n, 240.0, 150.0, 30.0)
    before = erlang_a(a, n - 1, 240.0, 150.0, 30.0)
    assert np.all(at.service_level >= 0.85) and np.all(at.asa_seconds <= 15)
    assert np.all(at.abandon_rate <= 0.02) and np.all(at.occupancy <= 0.9)
    missed = (
        (before.service_level < 0.85)
        | (before.asa_seconds > 15)
        | (before.abandon_rate > 0.02)
        | (before.occupancy > 0.9)
    )
    assert missed.all()
    np.testing.assert_allclose(out["abandon_rate"], at.abandon_rate, rtol=1e-15)


def test_erlang_a_targets_met_by_no_agents() -> None:
    # Abandoning every call meets an abandonment ceiling of 100 %: no agents are needed.
    out = required_agents(
        frame([40.0, 0.0]),
        StaffingTargets(service_level_target=None, max_abandon_rate=1.0),
        model="erlang-a",
        patience_seconds=60,
    )
    assert out["agents_required"].tolist() == [0, 0]
    assert out["abandon_rate"].iloc[0] == 1.0


def test_kpis_for_agents_round_trip() -> None:
    forecast = frame([10.0, 100.0, 0.0, 700.0], 200.0)
    req = required_agents(forecast, model="erlang-a", patience_seconds=90)
    kpis = kpis_for_agents(
        forecast, req["agents_required"].to_numpy(), model="erlang-a", patience_seconds=90
    )
    assert tuple(kpis.columns) == KPI_COLUMNS
    for name in ("service_level", "asa_seconds", "occupancy", "wait_probability", "abandon_rate"):
        np.testing.assert_allclose(kpis[name], req[name], rtol=1e-15)


def test_kpis_for_agents_by_column_and_unstable_erlang_c() -> None:
    forecast = frame([100.0, 100.0, 0.0]).assign(agents_staffed=[14, 9, 0])
    kpis = kpis_for_agents(forecast, "agents_staffed")
    assert "agents_staffed" in kpis.columns and "agents_scheduled" not in kpis.columns
    assert kpis["service_level"].iloc[0] == pytest.approx(
        float(erlang_c_service_level(10.0, 14, 180.0, 20.0)), rel=1e-15
    )
    assert np.isnan(kpis["service_level"].iloc[1])  # 10 Erlangs on 9 agents: unstable
    assert kpis["service_level"].iloc[2] == 1.0


def test_infeasible_target_names_the_interval() -> None:
    with pytest.raises(InfeasibleError, match="forecast row 2 .*relax a target"):
        required_agents(frame([0.0, 100.0]), StaffingTargets(max_occupancy=1e-6))


# ---------------------------------------------------------------------------------------------
# Minimality (hypothesis)
# ---------------------------------------------------------------------------------------------


def meets_c(a: np.ndarray, n: np.ndarray, aht: np.ndarray, t: StaffingTargets) -> np.ndarray:
    ok = (n > a) | (a == 0)
    with np.errstate(invalid="ignore"):
        if t.service_level_target is not None:
            ok &= erlang_c_service_level(a, n, aht, t.answer_target_seconds) >= (
                t.service_level_target
            )
        if t.max_asa_seconds is not None:
            ok &= erlang_c_asa_seconds(a, n, aht) <= t.max_asa_seconds
        if t.max_occupancy is not None:
            ok &= occupancy(a, n) <= t.max_occupancy
    return ok


def meets_a(
    a: np.ndarray, n: np.ndarray, aht: np.ndarray, patience: float, t: StaffingTargets
) -> np.ndarray:
    r = erlang_a(a, n, aht, patience, t.answer_target_seconds)
    ok = np.ones(a.shape, dtype=bool)
    if t.service_level_target is not None:
        ok &= r.service_level >= t.service_level_target
    if t.max_asa_seconds is not None:
        ok &= r.asa_seconds <= t.max_asa_seconds
    if t.max_abandon_rate is not None:
        ok &= r.abandon_rate <= t.max_abandon_rate
    if t.max_occupancy is not None:
        ok &= r.occupancy <= t.max_occupancy
    return ok


@st.composite
def staffing_cases(draw: st.DrawFn) -> tuple[pd.DataFrame, StaffingTargets, str, float | None, int]:
    size = draw(st.integers(1, 6))
    calls = draw(st.lists(st.floats(0.0, 3000.0), min_size=size, max_size=size))
    aht = draw(st.lists(st.floats(15.0, 900.0), min_size=size, max_size=size))
    model = draw(st.sampled_from(["erlang-c", "erlang-a"]))
    patience = draw(st.floats(5.0, 1200.0)) if model == "erlang-a" else None
    sl = draw(st.none() | st.floats(0.3, 0.99))
    asa = draw(st.none() | st.floats(1.0, 120.0))
    abandon = (
        draw(st.none() | st.floats(0.005, 0.3) | st.just(1.0)) if model == "erlang-a" else None
    )
    occ = draw(st.none() | st.floats(0.5, 1.0))
    if sl is None and asa is None and abandon is None and occ is None:
        sl = 0.8
    targets = StaffingTargets(sl, draw(st.floats(0.0, 60.0)), asa, abandon, occ)
    min_agents = draw(st.sampled_from([0, 0, 0, 3]))
    return frame(calls, aht, minutes=15), targets, model, patience, min_agents


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=staffing_cases())
def test_required_agents_is_the_smallest_meeting_every_target(
    case: tuple[pd.DataFrame, StaffingTargets, str, float | None, int],
) -> None:
    forecast, targets, model, patience, min_agents = case
    out = required_agents(
        forecast,
        targets,
        model=model,  # type: ignore[arg-type]
        patience_seconds=patience,
        min_agents=min_agents,
        interval_minutes=15,
    )
    n = out["agents_required"].to_numpy()
    a = out["traffic_erlangs"].to_numpy()
    aht = np.where(a > 0, out["aht_seconds_forecast"].to_numpy(), 1.0)
    if model == "erlang-c":
        ok_n, ok_below = meets_c(a, n, aht, targets), meets_c(a, n - 1, aht, targets)
    else:
        assert patience is not None
        ok_n = meets_a(a, n, aht, patience, targets)
        ok_below = meets_a(a, np.maximum(n - 1, 0), aht, patience, targets)
    busy = a > 0
    assert np.all(ok_n[busy])
    assert np.all(n >= min_agents)
    # n - 1 fails, unless n is the floor (min_agents) or no calls (0 agents).
    free = busy & (n > min_agents)
    assert not np.any(ok_below[free])
    assert np.all(n[~busy] == min_agents)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"service_level_target": 80}, r"service_level_target must be in \(0, 1\], got 80"),
        ({"service_level_target": 0.0}, "service_level_target"),
        ({"service_level_target": "0.8"}, "service_level_target must be a number"),
        ({"answer_target_seconds": -1}, "answer_target_seconds must be a finite number >= 0"),
        ({"answer_target_seconds": None}, "answer_target_seconds must be a number"),
        ({"max_asa_seconds": 0}, "max_asa_seconds must be a finite number > 0, got 0"),
        ({"max_abandon_rate": 1.5}, r"max_abandon_rate must be in \(0, 1\], got 1.5"),
        ({"max_occupancy": float("nan")}, "max_occupancy must be a number, got nan"),
        ({"max_occupancy": True}, "max_occupancy must be a number, got True"),
        ({"service_level_target": None}, "at least one target"),
    ],
    ids=[
        "sl-percent",
        "sl-zero",
        "sl-text",
        "answer-negative",
        "answer-none",
        "asa-zero",
        "abandon-big",
        "occupancy-nan",
        "occupancy-bool",
        "no-target",
    ],
)
def test_targets_validation(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        StaffingTargets(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("forecast", "kwargs", "match"),
    [
        (frame([10.0, -3.0]), {}, r"forecast row 2 .*calls_forecast must be .*>= 0, got -3"),
        (frame([10.0, 5.0], [180.0, float("nan")]), {}, r"row 2 .*aht_seconds_forecast .* got nan"),
        (frame([10.0], 0.0), {"interval_minutes": 30}, "aht_seconds_forecast must be"),
        (frame([10.0, 5.0], history=True).assign(calls_offered=[1, -1]), {}, "calls_offered"),
        (frame([10.0, 5.0]).drop(columns="aht_seconds_forecast"), {}, "no AHT column"),
        (frame([10.0, 5.0]).drop(columns="calls_forecast"), {}, "no calls column"),
        (frame([10.0, 5.0]).drop(columns="interval_start"), {}, "no interval_start column"),
        (frame([10.0, 5.0]), {"model": "erlang-x"}, "model must be 'erlang-c' or 'erlang-a'"),
        (frame([10.0, 5.0]), {"model": "erlang-a"}, "patience_seconds is required"),
        (frame([10.0, 5.0]), {"model": "erlang-a", "patience_seconds": -5}, "patience_seconds"),
        (frame([10.0, 5.0]), {"patience_seconds": 60}, "patience_seconds is only used"),
        (
            frame([10.0, 5.0]),
            {"targets": StaffingTargets(max_abandon_rate=0.05)},
            "max_abandon_rate needs model='erlang-a'",
        ),
        (frame([10.0, 5.0]), {"shrinkage": 1.0}, r"shrinkage must be in \[0, 1\), got 1$"),
        (frame([10.0, 5.0]), {"shrinkage": "absent"}, "shrinkage column 'absent'"),
        (
            frame([10.0, 5.0]).assign(s=[0.1, 1.2]),
            {"shrinkage": "s"},
            r"row 2 .*s must be in \[0, 1\), got 1.2",
        ),
        (frame([10.0, 5.0]), {"min_agents": -1}, "min_agents must be a whole number >= 0"),
        (frame([10.0, 5.0]), {"interval_minutes": 0}, "interval_minutes must be a whole number"),
        (frame([10.0]), {}, "interval_minutes"),
        (frame([10.0, 5.0]), {"targets": {"service_level_target": 0.8}}, "targets must be a"),
    ],
    ids=[
        "negative-calls",
        "nan-aht",
        "zero-aht",
        "history-negative",
        "no-aht",
        "no-calls",
        "no-start",
        "model",
        "patience-missing",
        "patience-negative",
        "patience-with-c",
        "abandon-with-c",
        "shrinkage-scalar",
        "shrinkage-missing-column",
        "shrinkage-column-value",
        "min-agents",
        "interval-minutes",
        "single-row-inference",
        "targets-type",
    ],
)
def test_required_agents_validation(
    forecast: pd.DataFrame, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(InputError, match=match):
        required_agents(forecast, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("agents", "kwargs", "match"),
    [
        ([14, -1], {}, r"row 2 .*agents_scheduled must be a whole number >= 0, got -1"),
        ([14, 2.5], {}, "agents_scheduled must be a whole number"),
        ([14], {}, "one value per forecast row"),
        ("nope", {}, "agents column 'nope'"),
        ([14, 9], {"answer_target_seconds": -2}, "answer_target_seconds"),
        ([14, 9], {"model": "erlang-a"}, "patience_seconds is required"),
    ],
    ids=["negative", "fractional", "length", "missing-column", "answer", "patience"],
)
def test_kpis_for_agents_validation(agents: object, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        kpis_for_agents(frame([100.0, 50.0]), agents, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def test_cli_staff_writes_requirements(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from planner.cli import main

    source = tmp_path / "forecast.csv"
    starts = pd.date_range("2026-03-02 08:00", periods=4, freq="30min")
    pd.DataFrame(
        {
            "queue": "sales",
            "interval_start": starts.strftime("%Y-%m-%d %H:%M"),
            "calls_offered": [100, 0, 50, 80],  # history spelling is accepted
            "aht_seconds": [180, 180, 240, 200],
            "shrink": [0.3, 0.3, 0.1, 0.0],
        }
    ).to_csv(source, index=False)
    out = tmp_path / "req.csv"
    main(["staff", str(source), "-o", str(out), "--tz", "Europe/London", "--shrinkage", "0.3"])
    written = pd.read_csv(out)
    assert tuple(written.columns) == REQUIREMENT_COLUMNS
    assert written["agents_required"].iloc[0] == 14
    assert written["agents_to_schedule"].iloc[0] == 20
    assert "calls-weighted service level" in capsys.readouterr().err

    main(
        [
            "staff",
            str(source),
            "-o",
            str(out),
            "--tz",
            "Europe/London",
            "--model",
            "erlang-a",
            "--patience-seconds",
            "120",
            "--max-abandon-rate",
            "0.05",
            "--shrinkage",
            "shrink",
        ]
    )
    written = pd.read_csv(out)
    expected = required_agents(
        frame([100.0, 0.0, 50.0, 80.0], [180.0, 180.0, 240.0, 200.0]).assign(
            shrink=[0.3, 0.3, 0.1, 0.0]
        ),
        StaffingTargets(max_abandon_rate=0.05),
        model="erlang-a",
        patience_seconds=120,
        shrinkage="shrink",
    )
    assert written["agents_to_schedule"].tolist() == expected["agents_to_schedule"].tolist()
    assert (written["abandon_rate"] <= 0.05).all()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--service-level", "80"], "service_level_target must be in"),
        (["--model", "erlang-a"], "patience_seconds is required"),
        (["--shrinkage", "1.5"], "shrinkage must be in"),
        (["--max-abandon-rate", "0.1"], "max_abandon_rate needs model='erlang-a'"),
    ],
    ids=["percent", "no-patience", "shrinkage", "abandon-with-c"],
)
def test_cli_staff_errors_exit_2(tmp_path, capsys, args: list[str], match: str) -> None:  # type: ignore[no-untyped-def]
    from planner.cli import main

    source = tmp_path / "forecast.csv"
    frame([100.0, 40.0]).to_csv(source, index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["staff", str(source), "-o", str(tmp_path / "out.csv"), *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("planner: error:") and match in err


# ---------------------------------------------------------------------------------------------
# Patience per queue
# ---------------------------------------------------------------------------------------------


def two_queues() -> pd.DataFrame:
    """Sales (impatient, 60 s) and support (patient, 600 s) with the same calls, rows mixed."""
    calls = [40.0, 80.0, 120.0, 0.0, 60.0]
    both = pd.concat(
        [frame(calls, 240.0, queue="support"), frame(calls, 240.0, queue="sales")],
        ignore_index=True,
    )
    return both.iloc[[5, 0, 6, 1, 7, 2, 8, 3, 9, 4]].reset_index(drop=True)


PATIENCE = {"sales": 60.0, "support": 600.0, "unused": 1.0}


def test_required_agents_with_patience_per_queue_equals_one_call_per_queue() -> None:
    targets = StaffingTargets(service_level_target=0.8, max_abandon_rate=0.05)
    forecast = two_queues()
    got = required_agents(
        forecast, targets, model="erlang-a", patience_seconds=PATIENCE, shrinkage=0.3
    )
    expected = pd.concat(
        [
            required_agents(
                forecast.loc[forecast["queue"] == queue],
                targets,
                model="erlang-a",
                patience_seconds=PATIENCE[queue],
                shrinkage=0.3,
                interval_minutes=30,
            )
            for queue in ("sales", "support")
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    # the patience matters: the impatient queue is staffed differently somewhere
    by_queue = got.pivot(index="interval_start", columns="queue", values="abandon_rate")
    assert not np.allclose(by_queue["sales"], by_queue["support"], equal_nan=True)


def test_kpis_for_agents_with_patience_per_queue_equals_the_kernel() -> None:
    forecast = two_queues().assign(agents_scheduled=12)
    got = kpis_for_agents(forecast, "agents_scheduled", model="erlang-a", patience_seconds=PATIENCE)
    # Independent: the Erlang A kernel per row with that row's queue's patience.
    patience = got["queue"].map(PATIENCE).to_numpy()
    traffic = got["calls_forecast"].to_numpy() * 240.0 / 1800.0
    kernel = erlang_a(traffic, 12.0, 240.0, patience, 20.0)
    busy = traffic > 0
    np.testing.assert_allclose(got["service_level"][busy], kernel.service_level[busy], rtol=1e-12)
    np.testing.assert_allclose(got["abandon_rate"][busy], kernel.abandon_rate[busy], rtol=1e-12)


@pytest.mark.parametrize(
    ("patience", "match"),
    [
        ({"sales": 60.0}, r"patience_seconds has no value for queue 'support'"),
        ({"sales": 60.0, "support": -5}, r"patience_seconds\['support'\] must be .*-5"),
        ({}, r"patience_seconds must map every queue .*empty"),
        ("180", r"patience_seconds must be a number of seconds > 0 or a mapping .*'180'"),
    ],
    ids=["missing-queue", "negative-in-mapping", "empty-mapping", "text"],
)
def test_patience_per_queue_errors_name_the_queue(patience: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        required_agents(two_queues(), model="erlang-a", patience_seconds=patience)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=match):
        kpis_for_agents(
            two_queues().assign(n=5),
            "n",
            model="erlang-a",
            patience_seconds=patience,  # type: ignore[arg-type]
        )
