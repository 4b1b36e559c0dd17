"""Tests of planner.parallel: local processes and a real Dask LocalCluster equal the local run."""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd
import pytest

from planner import parallel
from planner.errors import ConfigError, InputError, PlannerError
from planner.parallel import (
    DASK_ADDRESS_ENV,
    QueueFailure,
    dask_address_from_env,
    default_workers,
    run_per_queue,
)
from planner.parallel_forecast import (
    backtest_per_queue,
    forecast_on_best_backend,
    forecast_per_queue,
)
from tests import parallel_funcs

# Deliberately not alphabetical: results must follow the input's queue order, not a sort.
QUEUES = ("zeta", "alpha", "bad", "mid", "beta", "omega", "gamma")
INTERVALS = 48


def make_history(queues: tuple[str, ...] = QUEUES, *, seed: int = 11) -> pd.DataFrame:
    """Long history frame: INTERVALS half-hours per queue; queue 'bad' has one negative count."""
    rng = np.random.default_rng(seed)
    starts = pd.date_range("2026-03-02 08:00", periods=INTERVALS, freq="30min", tz="Europe/London")
    parts = []
    for queue in queues:
        calls = rng.poisson(40, INTERVALS).astype("int64")
        if queue == "bad":
            calls[5] = -3
        parts.append(
            pd.DataFrame({"queue": queue, "interval_start": starts, "calls_offered": calls})
        )
    return pd.concat(parts, ignore_index=True)


def expected_frame(history: pd.DataFrame, skip: tuple[str, ...] = ("bad",)) -> pd.DataFrame:
    """The reference: running_load applied queue by queue in a plain loop, in input order."""
    parts = [
        parallel_funcs.running_load(group.reset_index(drop=True))
        for name, group in history.groupby("queue", sort=False)
        if name not in skip
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_history()


@pytest.fixture(scope="module")
def in_process_run(history: pd.DataFrame) -> parallel.PerQueueRun:
    return run_per_queue(parallel_funcs.running_load, history, workers=1)


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as cluster:
        yield cluster


def test_in_process_matches_plain_loop_in_input_order(history, in_process_run) -> None:
    run = in_process_run
    assert run.backend == "in-process"
    assert run.workers == 1
    assert run.queues == QUEUES
    pd.testing.assert_frame_equal(run.frame, expected_frame(history))
    assert list(pd.unique(run.frame["queue"])) == [q for q in QUEUES if q != "bad"]


def test_failing_queue_is_reported_and_others_kept(in_process_run) -> None:
    run = in_process_run
    assert not run.ok
    assert run.failures == (
        QueueFailure("bad", "InputError", "row 5: calls_offered must be >= 0, got -3"),
    )
    assert len(run.frame) == (len(QUEUES) - 1) * INTERVALS
    with pytest.raises(PlannerError, match=r"1 of 7 queues failed: queue 'bad': InputError: row 5"):
        run.raise_for_failures()


def test_two_local_workers_equal_in_process(history, in_process_run) -> None:
    run = run_per_queue(parallel_funcs.running_load, history, workers=2, chunk_queues=2)
    assert run.backend == "processes"
    assert run.workers == 2
    pd.testing.assert_frame_equal(run.frame, in_process_run.frame)
    assert run.failures == in_process_run.failures
    assert list(run.queue_seconds.index) == list(QUEUES)
    # Both pool processes sent back a peak resident size (Linux/macOS).
    assert len(run.worker_peak_memory_bytes) >= 1
    assert all(peak > 0 for peak in run.worker_peak_memory_bytes.values())


def test_dask_local_cluster_equals_local_run(history, in_process_run, dask_cluster) -> None:
    run = run_per_queue(
        parallel_funcs.running_load,
        history,
        dask_address=dask_cluster.scheduler_address,
        chunk_queues=2,
        max_chunks_ahead=2,
    )
    assert run.backend == "dask"
    assert run.workers == 2
    assert run.queues == QUEUES
    pd.testing.assert_frame_equal(run.frame, in_process_run.frame)
    assert run.failures == in_process_run.failures
    # Peaks come from the Dask worker processes (host:pid), never from this process.
    assert 1 <= len(run.worker_peak_memory_bytes) <= 2
    assert not any(w.endswith(f":{os.getpid()}") for w in run.worker_peak_memory_bytes)


def test_dask_tuple_results_and_bug_in_one_queue(dask_cluster) -> None:
    history = make_history(("c", "a", "b"))
    history.loc[history["queue"] == "a", "calls_offered"] = 0
    run = run_per_queue(
        parallel_funcs.crash_on_empty_calls, history, dask_address=dask_cluster.scheduler_address
    )
    assert run.failures == (QueueFailure("a", "ZeroDivisionError", "division by zero"),)
    assert list(run.frame["queue"]) == ["c", "b"]


@pytest.mark.parametrize("chunk_queues", [1, 3, 100], ids=["one-per-chunk", "three", "one-chunk"])
def test_chunk_size_does_not_change_result(history, in_process_run, chunk_queues) -> None:
    run = run_per_queue(
        parallel_funcs.running_load,
        history,
        workers=1,
        chunk_queues=chunk_queues,
        max_chunks_ahead=1,
    )
    pd.testing.assert_frame_equal(run.frame, in_process_run.frame)


def test_interleaved_queue_rows_give_the_same_result(history, in_process_run) -> None:
    # Rows of the queues interleaved (not contiguous): each queue still gets its rows in order.
    interleaved = history.sort_values("interval_start", kind="stable").reset_index(drop=True)
    run = run_per_queue(parallel_funcs.running_load, interleaved, workers=1, chunk_queues=2)
    assert run.queues == QUEUES
    pd.testing.assert_frame_equal(run.frame, in_process_run.frame)


def test_kwargs_and_partial_reach_the_function(history) -> None:
    by_kwargs = run_per_queue(
        parallel_funcs.running_load, history, workers=1, kwargs={"aht_seconds": 600.0}
    )
    by_partial = run_per_queue(
        functools.partial(parallel_funcs.running_load, aht_seconds=600.0), history, workers=2
    )
    pd.testing.assert_frame_equal(by_kwargs.frame, by_partial.frame)
    first = history.iloc[0]
    assert by_kwargs.frame["traffic_erlangs"].iloc[0] == pytest.approx(
        first["calls_offered"] * 600.0 / 1800.0, rel=1e-12
    )


def test_tuple_of_frames_are_concatenated_separately() -> None:
    history = make_history(("q2", "q1"))
    run = run_per_queue(parallel_funcs.load_and_summary, history, workers=1)
    assert len(run.frames) == 2
    load, summary = run.frames
    assert len(load) == 2 * INTERVALS
    assert list(summary["queue"]) == ["q2", "q1"]
    assert list(summary["calls_total"]) == [
        history.loc[history["queue"] == q, "calls_offered"].sum() for q in ("q2", "q1")
    ]


def test_inconsistent_number_of_frames_is_a_queue_failure() -> None:
    history = make_history(("one", "pair", "two"))
    run = run_per_queue(parallel_funcs.summary_or_pair, history, workers=1)
    assert [f.queue for f in run.failures] == ["pair"]
    assert run.failures[0].error_type == "TypeError"
    assert "returned 2 frames for queue 'pair'; expected 1" in run.failures[0].message
    assert list(pd.unique(run.frame["queue"])) == ["one", "two"]


def test_result_that_is_not_a_frame_is_a_queue_failure() -> None:
    run = run_per_queue(parallel_funcs.not_a_frame, make_history(("x",)), workers=1)
    assert run.failures == (
        QueueFailure(
            "x",
            "TypeError",
            "per-queue function returned list for queue 'x'; "
            "expected a pandas DataFrame or a tuple of DataFrames",
        ),
    )
    assert run.frame.empty


def test_unpicklable_function_fails_every_queue_by_name(history) -> None:
    # A lambda cannot be sent to a worker process: each queue is reported, nothing is raised.
    run = run_per_queue(lambda frame: frame, history, workers=2)
    assert [f.queue for f in run.failures] == list(QUEUES)
    assert all("pickle" in f.message.lower() or "Pickl" in f.error_type for f in run.failures)


def test_progress_counts_queues_to_total(history) -> None:
    calls: list[tuple[str, int, int]] = []
    run_per_queue(
        parallel_funcs.running_load,
        history,
        workers=2,
        chunk_queues=3,
        progress=lambda d, done, total: calls.append((d, done, total)),
        description="forecast",
    )
    assert calls[0] == ("forecast", 0, len(QUEUES))
    assert calls[-1] == ("forecast", len(QUEUES), len(QUEUES))
    done = [c[1] for c in calls]
    assert done == sorted(done)


def test_slowest_and_busy_fraction(in_process_run) -> None:
    run = in_process_run
    slowest = run.slowest(3)
    assert len(slowest) == 3
    assert list(slowest) == sorted(run.queue_seconds, reverse=True)[:3]
    assert (run.queue_seconds >= 0).all()
    assert 0.0 < run.busy_fraction <= 1.0


def test_caller_frame_not_mutated(history) -> None:
    before = history.copy(deep=True)
    run_per_queue(parallel_funcs.running_load, history, workers=1)
    pd.testing.assert_frame_equal(history, before)


def test_empty_frame_gives_empty_run() -> None:
    run = run_per_queue(parallel_funcs.running_load, make_history(("x",)).iloc[:0], workers=2)
    assert run.queues == ()
    assert run.frame.empty
    assert run.ok


def test_default_workers_is_positive() -> None:
    assert default_workers() >= 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({DASK_ADDRESS_ENV: "tcp://10.0.0.5:8786"}, "tcp://10.0.0.5:8786"),
        ({DASK_ADDRESS_ENV: "  "}, None),
        ({}, None),
    ],
    ids=["set", "blank", "unset"],
)
def test_dask_address_from_env(environ, expected) -> None:
    assert dask_address_from_env(environ) == expected


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"workers": 0}, "'workers' parameter of run_per_queue must be an int >= 1, got 0"),
        ({"workers": True}, "'workers' parameter .* got True"),
        ({"chunk_queues": 0}, "'chunk_queues' parameter .* got 0"),
        ({"max_chunks_ahead": -1}, "'max_chunks_ahead' parameter .* got -1"),
    ],
    ids=["workers-zero", "workers-bool", "chunk-zero", "ahead-negative"],
)
def test_bad_options(history, options, match) -> None:
    with pytest.raises(InputError, match=match):
        run_per_queue(parallel_funcs.running_load, history, **options)


def test_frame_without_queue_column(history) -> None:
    with pytest.raises(InputError, match="no 'queue' column"):
        run_per_queue(parallel_funcs.running_load, history.drop(columns="queue"), workers=1)


def test_missing_queue_names(history) -> None:
    broken = history.astype({"queue": object})
    broken.loc[3, "queue"] = None
    with pytest.raises(InputError, match=r"column 'queue' is missing in 1 rows \(first at row 3\)"):
        run_per_queue(parallel_funcs.running_load, broken, workers=1)


def test_frame_must_be_a_dataframe() -> None:
    with pytest.raises(InputError, match="'frame' parameter of run_per_queue must be a pandas"):
        run_per_queue(parallel_funcs.running_load, [1, 2], workers=1)  # type: ignore[arg-type]


def test_workers_and_dask_together_is_a_config_error(history) -> None:
    with pytest.raises(ConfigError, match="both workers=2 and dask_address='tcp://h:8786'"):
        run_per_queue(parallel_funcs.running_load, history, workers=2, dask_address="tcp://h:8786")


def test_blank_dask_address_is_a_config_error(history) -> None:
    with pytest.raises(ConfigError, match="'dask_address' parameter of run_per_queue is blank"):
        run_per_queue(parallel_funcs.running_load, history, dask_address=" ")


def test_unreachable_scheduler_is_a_config_error(history, monkeypatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(parallel, "DASK_CONNECT_TIMEOUT_SECONDS", 1.0)
    with pytest.raises(
        ConfigError, match="cannot connect to the Dask scheduler at 'tcp://127.0.0.1:9'"
    ):
        run_per_queue(parallel_funcs.running_load, history, dask_address="tcp://127.0.0.1:9")


# --- planner.parallel_forecast: forecasts and backtests queue by queue --------------------------


@pytest.fixture(scope="module")
def centre() -> pd.DataFrame:
    return parallel_funcs.small_centre()


def test_forecast_per_queue_equals_forecast_history(centre, tmp_path) -> None:
    from planner.forecast import forecast_history, load_model

    reference = forecast_history(centre, 7, method="mean-last-weeks")
    scaled = forecast_per_queue(centre, 7, method="mean-last-weeks", workers=1, models_dir=tmp_path)
    # 'sales' is closed on Sundays and its history ends a day early: same common origin anyway.
    pd.testing.assert_frame_equal(scaled.forecast.frame, reference.frame)
    assert [c.queue for c in scaled.forecast.choices] == ["billing", "sales", "support"]
    assert {c.method for c in scaled.forecast.choices} == {"mean-last-weeks"}
    assert sorted(scaled.model_paths) == ["billing", "sales", "support"]
    loaded = load_model(scaled.model_paths["sales"])
    assert list(loaded.states_) == ["sales"]


def test_best_backend_stays_in_process_for_few_fast_queues(centre) -> None:
    from planner.forecast import forecast_history

    reference = forecast_history(centre, 7, method="auto", auto_origins=1)
    run, scaled = forecast_on_best_backend(centre, 7, method="auto", auto_origins=1)
    assert scaled is None, "three fast queues: a pool's start-up would not pay off"
    pd.testing.assert_frame_equal(run.frame, reference.frame)
    assert [c.method for c in run.choices] == [c.method for c in reference.choices]


def test_best_backend_goes_per_queue_when_workers_are_asked_for(centre) -> None:
    from planner.forecast import forecast_history

    reference = forecast_history(centre, 7, method="mean-last-weeks")
    run, scaled = forecast_on_best_backend(centre, 7, method="mean-last-weeks", workers=1)
    assert scaled is not None and scaled.run.queues == ("billing", "sales", "support")
    pd.testing.assert_frame_equal(run.frame, reference.frame)


def test_forecast_per_queue_on_dask_equals_local(centre, dask_cluster) -> None:
    options = {
        "method": "auto",
        "candidates": ("mean-last-weeks", "same-slot-last-week"),
        "auto_origins": 1,
    }
    local = forecast_per_queue(centre, 7, workers=1, **options)
    remote = forecast_per_queue(centre, 7, dask_address=dask_cluster.scheduler_address, **options)
    assert remote.run.backend == "dask"
    pd.testing.assert_frame_equal(remote.forecast.frame, local.forecast.frame)
    assert remote.forecast.choices == local.forecast.choices
    assert all(c.scores for c in remote.forecast.choices)  # the auto choice's backtest WAPEs


def test_forecast_per_queue_keeps_other_queues_when_one_fails(centre) -> None:
    # billing keeps only 3 days of history: too short for a forecast, the others go on.
    short = centre.loc[
        (centre["queue"] != "billing")
        | (
            centre["interval_start"]
            >= centre["interval_start"].max().normalize() - pd.Timedelta(days=2)
        )
    ].reset_index(drop=True)
    scaled = forecast_per_queue(short, 7, method="mean-last-weeks", workers=1)
    assert [f.queue for f in scaled.run.failures] == ["billing"]
    assert scaled.run.failures[0].error_type == "InputError"
    assert "billing" in scaled.run.failures[0].message
    assert list(pd.unique(scaled.forecast.frame["queue"])) == ["sales", "support"]
    with pytest.raises(PlannerError, match="1 of 3 queues failed: queue 'billing': InputError"):
        scaled.run.raise_for_failures()


def test_forecast_per_queue_input_error_of_every_queue_is_raised_once(centre) -> None:
    with pytest.raises(InputError, match="horizon_days must be in 1 .. 365, got 0"):
        forecast_per_queue(centre, 0, method="mean-last-weeks", workers=1)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"method": "crystal-ball"}, "method must be 'auto' or one of .* got 'crystal-ball'"),
        ({"candidates": ("topdown", "guess")}, "candidates must name methods in .* got 'guess'"),
    ],
    ids=["method", "candidates"],
)
def test_forecast_per_queue_bad_method(centre, options, match) -> None:
    with pytest.raises(InputError, match=match):
        forecast_per_queue(centre, 7, workers=1, **options)


def test_backtest_per_queue_scores_equal_backtest(centre) -> None:
    from planner.forecast import backtest

    methods = ["mean-last-weeks", "same-slot-last-week"]
    reference = backtest(centre, methods, n_origins=2)
    scaled = backtest_per_queue(centre, methods, n_origins=2, workers=1)
    pd.testing.assert_frame_equal(scaled.result.scores, reference.scores)
    assert scaled.result.origins == reference.origins
    assert scaled.run.ok


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"methods": ()}, "methods must name at least one method"),
        ({"methods": ("guess",)}, r"methods must name methods in .* got \['guess'\]"),
        ({"horizons": ("month",)}, r"horizons must be a non-empty subset of .* got \['month'\]"),
    ],
    ids=["no-methods", "unknown-method", "unknown-horizon"],
)
def test_backtest_per_queue_bad_options(centre, options, match) -> None:
    with pytest.raises(InputError, match=match):
        backtest_per_queue(centre, workers=1, **options)


def test_forecast_per_queue_history_checks() -> None:
    with pytest.raises(InputError, match="column 'interval_start' is missing"):
        forecast_per_queue(pd.DataFrame({"queue": ["a"]}), 7, workers=1)


# --- the CLI's --workers / --dask ----------------------------------------------------------------


def _run_cli(argv: list[str]) -> int:
    from planner.cli import main

    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_cli_forecast_workers_writes_the_serial_forecast(centre, tmp_path) -> None:
    history = tmp_path / "history.csv"
    centre.to_csv(history, index=False)
    common = ["forecast", str(history), "--horizon-days", "7", "--method", "mean-last-weeks"]
    assert _run_cli([*common, "--no-save", "-o", str(tmp_path / "serial.csv")]) == 0
    assert (
        _run_cli(
            [
                *common,
                "--workers",
                "1",
                "--models-dir",
                str(tmp_path / "m"),
                "-o",
                str(tmp_path / "par.csv"),
            ]
        )
        == 0
    )
    assert (tmp_path / "serial.csv").read_bytes() == (tmp_path / "par.csv").read_bytes()
    assert len(list((tmp_path / "m" / "mean-last-weeks").glob("*.json"))) == 3


def test_cli_forecast_failed_queue_exits_2_naming_it(centre, tmp_path, capsys) -> None:
    keep = (centre["queue"] != "billing") | (
        centre["interval_start"] >= pd.Timestamp("2026-03-13", tz="Europe/London")
    )
    history = tmp_path / "history.csv"
    centre.loc[keep].to_csv(history, index=False)
    out = tmp_path / "forecast.csv"
    argv = [
        "forecast",
        str(history),
        "--horizon-days",
        "7",
        "--method",
        "mean-last-weeks",
        "--no-save",
    ]
    assert _run_cli([*argv, "--workers", "1", "-o", str(out)]) == 2
    assert (
        "planner: error: 1 of 3 queues failed: queue 'billing': InputError"
        in capsys.readouterr().err
    )
    written = pd.read_csv(out)
    assert sorted(written["queue"].unique()) == ["sales", "support"]  # the others were kept


def test_cli_dask_option_reads_the_environment(centre, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(DASK_ADDRESS_ENV, "tcp://127.0.0.1:9")
    monkeypatch.setattr(parallel, "DASK_CONNECT_TIMEOUT_SECONDS", 1.0)
    history = tmp_path / "history.csv"
    centre.to_csv(history, index=False)
    argv = ["backtest", str(history), "--methods", "mean-last-weeks", "-o", str(tmp_path / "b.csv")]
    assert _run_cli(argv) == 2
    assert "cannot connect to the Dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err


# --- a real per-queue stage: Erlang staffing --------------------------------------------------


def test_required_agents_per_queue_equals_whole_frame(centre, dask_cluster) -> None:
    staffing = pytest.importorskip("planner.staffing")
    forecast = centre.rename(
        columns={"calls_offered": "calls_forecast", "aht_seconds": "aht_seconds_forecast"}
    )
    whole = staffing.required_agents(forecast, shrinkage=0.3)
    options = {"kwargs": {"shrinkage": 0.3}, "chunk_queues": 1}
    local = run_per_queue(staffing.required_agents, forecast, workers=1, **options)
    remote = run_per_queue(
        staffing.required_agents, forecast, dask_address=dask_cluster.scheduler_address, **options
    )
    pd.testing.assert_frame_equal(local.frame, whole)
    pd.testing.assert_frame_equal(remote.frame, whole)
    assert local.ok and remote.ok


class _StopAfter:
    """A progress callback that raises once ``limit`` queues are done (a cancelled API job)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.last_done = 0

    def __call__(self, description: str, done: int, total: int) -> None:
        self.last_done = done
        if done >= self.limit:
            raise KeyboardInterrupt(f"cancelled at {done} of {total}")


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "processes"])
def test_progress_callback_raising_stops_the_run(history, workers) -> None:
    stop = _StopAfter(2)
    with pytest.raises(KeyboardInterrupt, match="cancelled at"):
        run_per_queue(
            parallel_funcs.running_load,
            history,
            workers=workers,
            chunk_queues=1,
            max_chunks_ahead=1,
            progress=stop,
        )
    assert stop.last_done < len(QUEUES)


def test_per_queue_kwargs_override_kwargs_for_their_queue(history) -> None:
    run = run_per_queue(
        parallel_funcs.running_load,
        history,
        workers=1,
        kwargs={"aht_seconds": 300.0},
        per_queue_kwargs={"alpha": {"aht_seconds": 900.0}},
    )
    by_queue = {q: part.reset_index(drop=True) for q, part in run.frame.groupby("queue")}
    alpha_calls = history.loc[history["queue"] == "alpha", "calls_offered"].to_numpy()
    zeta_calls = history.loc[history["queue"] == "zeta", "calls_offered"].to_numpy()
    np.testing.assert_allclose(by_queue["alpha"]["traffic_erlangs"], alpha_calls * 900.0 / 1800.0)
    np.testing.assert_allclose(by_queue["zeta"]["traffic_erlangs"], zeta_calls * 300.0 / 1800.0)


def test_per_queue_kwargs_for_unknown_queue(history) -> None:
    with pytest.raises(InputError, match=r"'per_queue_kwargs' .* names queues \['nope'\]"):
        run_per_queue(
            parallel_funcs.running_load, history, workers=1, per_queue_kwargs={"nope": {}}
        )


def test_erlang_a_patience_per_queue_like_the_pipeline(centre) -> None:
    # planner.pipeline staffs each queue with its own caller patience: per_queue_kwargs does that.
    staffing = pytest.importorskip("planner.staffing")
    forecast = centre.rename(
        columns={"calls_offered": "calls_forecast", "aht_seconds": "aht_seconds_forecast"}
    )
    patience = {"billing": 240.0, "sales": 120.0, "support": 180.0}
    expected = pd.concat(
        [
            staffing.required_agents(part, model="erlang-a", patience_seconds=patience[str(q)])
            for q, part in forecast.groupby("queue", sort=False)
        ],
        ignore_index=True,
    )
    run = run_per_queue(
        staffing.required_agents,
        forecast,
        workers=1,
        kwargs={"model": "erlang-a"},
        per_queue_kwargs={q: {"patience_seconds": p} for q, p in patience.items()},
    )
    pd.testing.assert_frame_equal(run.frame, expected)


# --- the default of workers: planner.parallel.resolve_workers -----------------------------------


@pytest.mark.parametrize(
    ("requested", "n_queues", "seconds", "cores", "expected"),
    [
        (3, 1, 0.0, 2, 3),  # a count is taken as given
        (1, 1000, 100.0, 8, 1),
        (0, 3, 0.0, 4, 4),  # 0: every core
        (None, 3, 2.0, 2, 1),  # the 3-queue sample: 3 x 2 s x 1/2 = 3 s < start-up
        (None, 9, 2.0, 2, 2),  # 9 x 2 s x 1/2 = 9 s > 8 s start-up
        (None, 8, 2.0, 2, 1),  # 8 s: not more than the start-up
        (None, 1000, 0.03, 2, 2),  # 15 s saved
        (None, 100, 0.03, 2, 1),  # 1.5 s saved
        (None, 2, 30.0, 8, 2),  # Prophet-sized queues: as many processes as queues
        (None, 1, 1e6, 8, 1),  # one queue: nothing to share
        (None, 5000, 1.0, 1, 1),  # one core
        (None, 0, 1.0, 4, 1),
    ],
    ids=[
        "count",
        "one",
        "zero-all-cores",
        "sample",
        "pays",
        "break-even",
        "many-cheap",
        "few-cheap",
        "prophet",
        "one-queue",
        "one-core",
        "no-queues",
    ],
)
def test_resolve_workers_rule(requested, n_queues, seconds, cores, expected) -> None:
    # The rule: a pool of n = min(cores, queues) when queues x seconds x (1 - 1/n) > start-up.
    assert parallel.POOL_STARTUP_SECONDS == 8.0  # the figures above assume it
    got = parallel.resolve_workers(requested, n_queues, queue_seconds_estimate=seconds, cores=cores)
    assert got == expected


def test_resolve_workers_defaults_to_the_cores(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "default_workers", lambda: 6)
    assert parallel.resolve_workers(0, 10) == 6
    assert parallel.resolve_workers(None, 1000, queue_seconds_estimate=1.0) == 6


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-1, 3), "'requested' parameter of resolve_workers .* got -1"),
        ((2.5, 3), "'requested' parameter of resolve_workers .* got 2.5"),
        ((None, -2), "'n_queues' parameter of resolve_workers .* got -2"),
        ((None, 3, float("nan")), "'queue_seconds_estimate' parameter .* got nan"),
        ((None, 3, -1.0), "'queue_seconds_estimate' parameter .* got -1.0"),
    ],
    ids=["negative", "float", "negative-queues", "nan-seconds", "negative-seconds"],
)
def test_resolve_workers_bad_arguments(args, match) -> None:
    requested, n_queues, *rest = args
    options = {"queue_seconds_estimate": rest[0]} if rest else {}
    with pytest.raises(InputError, match=match):
        parallel.resolve_workers(requested, n_queues, **options)


def test_run_per_queue_default_stays_in_process_for_cheap_work(history) -> None:
    # 7 tiny queues: no pool whatever the cores (7 x 0.001 s cannot pay for a start-up).
    run = run_per_queue(parallel_funcs.running_load, history, queue_seconds_estimate=0.001)
    assert (run.backend, run.workers) == ("in-process", 1)


def test_run_per_queue_default_uses_the_pool_when_it_pays(history, monkeypatch) -> None:
    monkeypatch.setattr(parallel, "default_workers", lambda: 2)
    run = run_per_queue(parallel_funcs.running_load, history, queue_seconds_estimate=100.0)
    assert (run.backend, run.workers) == ("processes", 2)
    pd.testing.assert_frame_equal(run.frame, expected_frame(history))


def test_estimated_queue_seconds_scales_with_rows_and_fits(centre) -> None:
    from planner import parallel_forecast as pf

    rows_per_queue = len(centre) / centre["queue"].nunique()
    share = rows_per_queue / pf.YEAR_ROWS_PER_QUEUE
    one = pf.estimated_queue_seconds(centre, ("mean-last-weeks",))
    assert one == pytest.approx(pf.FIT_SECONDS_PER_YEAR["mean-last-weeks"] * share, rel=1e-12)
    both = pf.estimated_queue_seconds(centre, ("mean-last-weeks", "prophet"), fits_per_method=5)
    expected = 5 * share * (pf.FIT_SECONDS_PER_YEAR["mean-last-weeks"] + 16.5)
    assert both == pytest.approx(expected, rel=1e-12)
    # auto's figure covers the default candidates; Prophet as a candidate is fitted at each of
    # the auto_origins origins and once more
    auto = pf.forecast_queue_seconds(centre, "auto")
    assert auto == pytest.approx(pf.FIT_SECONDS_PER_YEAR["auto"] * share, rel=1e-12)
    with_prophet = pf.forecast_queue_seconds(
        centre, "auto", (*pf.AUTO_CANDIDATES, "prophet"), auto_origins=3
    )
    assert with_prophet == pytest.approx(auto + 4 * 16.5 * share, rel=1e-12)
    assert pf.estimated_queue_seconds(centre.iloc[:0], ("auto",)) == 0.0


@pytest.mark.slow  # starts a 2-process spawn pool
def test_cli_forecast_default_uses_the_cores_only_when_a_pool_pays(
    centre, tmp_path, monkeypatch, capsys
) -> None:
    history = tmp_path / "history.csv"
    centre.to_csv(history, index=False)
    common = ["forecast", str(history), "--horizon-days", "7", "--method", "mean-last-weeks"]
    # 3 small queues: no pool (the one-process path reports no scale-out line)
    assert _run_cli([*common, "--no-save", "-o", str(tmp_path / "small.csv")]) == 0
    assert "queues on" not in capsys.readouterr().err
    # the same input when a pool costs nothing to start: the default takes the cores
    monkeypatch.setattr(parallel, "POOL_STARTUP_SECONDS", 0.0)
    monkeypatch.setattr(parallel, "default_workers", lambda: 2)
    assert _run_cli([*common, "--no-save", "-o", str(tmp_path / "pool.csv")]) == 0
    assert "3 queues on 2 processes workers" in capsys.readouterr().err
    assert (tmp_path / "small.csv").read_bytes() == (tmp_path / "pool.csv").read_bytes()


def test_cli_staff_workers_and_dask_write_the_whole_frame_requirements(
    centre, tmp_path, dask_cluster, capsys
) -> None:
    forecast = tmp_path / "forecast.csv"
    centre.rename(
        columns={"calls_offered": "calls_forecast", "aht_seconds": "aht_seconds_forecast"}
    ).to_csv(forecast, index=False)
    common = ["staff", str(forecast), "--model", "erlang-a", "--patience-seconds", "120"]
    outputs = {}
    for name, extra in (
        ("default", []),
        ("one", ["--workers", "1"]),
        ("dask", ["--dask", dask_cluster.scheduler_address]),
    ):
        outputs[name] = tmp_path / f"{name}.csv"
        assert _run_cli([*common, *extra, "-o", str(outputs[name])]) == 0
        err = capsys.readouterr().err
        # the default stays in this process, one vectorised call (no scale-out line)
        assert ("queues on" in err) == (name != "default"), err
    # the per-queue backends agree to the byte
    assert outputs["one"].read_bytes() == outputs["dask"].read_bytes()
    # and with the whole-frame call: the same agents; Erlang A's KPIs (computed in batches over
    # the rows given) may differ in the last bit (2 of 4,000 rows here, 1e-16 relative)
    whole, per_queue = pd.read_csv(outputs["default"]), pd.read_csv(outputs["one"])
    exact = ["queue", "interval_start", "agents_required", "agents_to_schedule"]
    pd.testing.assert_frame_equal(whole[exact], per_queue[exact])
    pd.testing.assert_frame_equal(whole, per_queue, check_exact=False, rtol=1e-12, atol=0.0)
