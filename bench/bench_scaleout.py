"""Scale-out benchmark (issue 9): many synthetic queues forecast through planner.parallel.

    .venv/bin/python bench/bench_scaleout.py                  # 1,000 queues x 1 year, 30-min
    .venv/bin/python bench/bench_scaleout.py --queues 100     # quicker
    .venv/bin/python bench/bench_scaleout.py --prophet-queues 0   # skip the Prophet subset

Each configuration runs in a fresh child process (so its peak memory is its own):
``in-process`` (workers=1, no pool), ``processes-2`` (workers=2, local spawn pool) and ``dask-2``
(a ``dask.distributed.LocalCluster`` with 2 single-threaded worker processes on loopback, reached
through its address exactly like a remote cluster).

The per-queue work is the real forecast, run the way ``planner forecast --workers/--dask`` runs
it: ``planner.parallel_forecast.forecast_per_queue`` (``forecast_history`` on each queue:
validation, fit, predict) with ``mean-last-weeks`` (the 4-week same-slot mean) on every queue,
and Prophet on the first ``--prophet-queues`` queues.

Reported per configuration: queues per minute, wall seconds, overhead (the fraction of the
workers' time, wall x workers, spent outside the per-queue fit and predict: pool start-up,
transfers, splitting, concatenating, idle; a LocalCluster's own start-up is printed apart), the
input frame's size, peak resident memory of the parent process (which holds the input) and of the
largest worker, the cores the run kept busy on average (CPU seconds of the process and its
worker processes during the run over wall seconds), and a digest of the result frame, which must be
the same for every configuration.

The synthetic centre: queues with a lognormal size (1 .. ~300 calls per half-hour at the peak),
open 07:00-21:00 Europe/London (28 half-hours), some closed on Sundays, weekday factors, a yearly
wave and Poisson counts; only open intervals are rows, as an ACD export would give. Seeded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from planner.parallel_forecast import forecast_per_queue  # noqa: E402

CONFIGS = ("in-process", "processes-2", "dask-2")
SLOTS_PER_DAY = 28  # 07:00 .. 21:00 in half-hours
FIRST_SLOT_HOUR = 7
WEEKDAY_FACTORS = np.array([1.15, 1.05, 1.0, 0.98, 0.92, 0.5, 0.3])  # Monday .. Sunday


def synthetic_history(n_queues: int, days: int, *, seed: int) -> pd.DataFrame:
    """Long history frame: n_queues x (open days x 28 half-hours) rows, seeded."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-06", periods=days, freq="D")  # a Monday
    weekday = dates.day_of_week.to_numpy()
    slot_hours = FIRST_SLOT_HOUR + 0.5 * np.arange(SLOTS_PER_DAY)
    shape = np.exp(-0.5 * ((slot_hours - 10.5) / 1.6) ** 2) + 0.8 * np.exp(
        -0.5 * ((slot_hours - 14.5) / 2.0) ** 2
    )
    shape = 0.15 + shape / shape.max()
    local = (
        np.asarray(dates, dtype="datetime64[ns]")[:, None]
        + (slot_hours * 3600e9).astype("int64").astype("timedelta64[ns]")[None, :]
    )
    starts_all = pd.DatetimeIndex(local.ravel()).tz_localize("Europe/London")
    parts = []
    for q in range(n_queues):
        peak = float(np.clip(rng.lognormal(np.log(25.0), 1.0), 1.0, 300.0))
        weekday_factor = WEEKDAY_FACTORS * rng.uniform(0.9, 1.1, 7)
        closed_sunday = rng.random() < 0.4
        phase = rng.uniform(0, 2 * np.pi)
        yearly = 1.0 + 0.15 * np.sin(2 * np.pi * np.arange(days) / 365.25 + phase)
        rate = peak * (weekday_factor[weekday] * yearly)[:, None] * shape[None, :]
        calls = rng.poisson(rate)
        aht = rng.normal(300.0 + 60 * rng.random(), 25.0, size=calls.shape).clip(60.0)
        open_day = ~(closed_sunday & (weekday == 6))
        keep = np.repeat(open_day, SLOTS_PER_DAY)
        parts.append(
            pd.DataFrame(
                {
                    "queue": f"q{q:04d}",
                    "interval_start": starts_all[keep],
                    "calls_offered": calls.ravel()[keep].astype("int64"),
                    "aht_seconds": aht.ravel()[keep],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def peak_rss_bytes() -> int:
    """Peak resident memory of this process: VmHWM on Linux (ru_maxrss would include the peak of
    the process that spawned it), ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended: the local
    pool's workers count once the pool has shut down (Dask workers are asked directly)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def own_cpu_seconds() -> float:
    """CPU seconds of the calling process and its ended children (run on each Dask worker;
    Prophet's Stan fits run as child processes)."""
    return cpu_seconds()


def dask_workers_cpu_seconds(cluster: object) -> float:
    """CPU seconds used so far by the LocalCluster's worker processes (0 without a cluster)."""
    if cluster is None:
        return 0.0
    from distributed import Client

    with Client(cluster.scheduler_address) as client:  # type: ignore[attr-defined]
        return float(sum(client.run(own_cpu_seconds).values()))


def run_one(config: str, args: argparse.Namespace, method: str, n_queues: int) -> dict:
    """One configuration in this (child) process; returns the figures as a dict."""
    # The generator draws queue after queue from one seeded stream: the first n queues of the
    # 1,000-queue centre are the same whether 20 or 1,000 are generated.
    history = synthetic_history(n_queues, args.days, seed=args.seed)
    data_bytes = int(history.memory_usage(deep=True).sum())
    cluster = None
    cluster_start_s = 0.0
    options: dict = {}
    if config == "in-process":
        options["workers"] = 1
    elif config == "processes-2":
        options["workers"] = 2
    elif config == "dask-2":
        from distributed import LocalCluster

        cluster_started = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
            silence_logs=40,
        )
        cluster_start_s = time.perf_counter() - cluster_started
        options["dask_address"] = cluster.scheduler_address
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds() + dask_workers_cpu_seconds(cluster)
    try:
        scaled = forecast_per_queue(
            history, args.horizon_days, method=method, seed=0, models_dir=None, **options
        )
    finally:
        cpu_after = cpu_seconds() + dask_workers_cpu_seconds(cluster)
        if cluster is not None:
            cluster.close()
    cpu_s = cpu_after - cpu_before
    run = scaled.run
    digest = int(pd.util.hash_pandas_object(run.frame, index=False).sum() % (2**61 - 1))
    worker_peaks = list(run.worker_peak_memory_bytes.values())
    return {
        "config": config,
        "method": method,
        "queues": n_queues,
        "rows": len(history),
        "data_mib": data_bytes / 2**20,
        "workers": run.workers,
        "wall_s": run.wall_seconds,
        "fit_s": float(run.queue_seconds.sum()),
        "queues_per_min": n_queues / run.wall_seconds * 60.0,
        "overhead": 1.0 - run.busy_fraction,
        "parent_peak_mib": peak_rss_bytes() / 2**20,
        "worker_peak_mib": (max(worker_peaks) / 2**20) if worker_peaks else float("nan"),
        "failures": len(run.failures),
        "slowest": [[q, s] for q, s in run.slowest(3).items()],
        "digest": digest,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "forecast_rows": len(run.frame),
        "cluster_start_s": cluster_start_s,
        "cpu_s": cpu_s,
        "cores_used": cpu_s / run.wall_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--horizon-days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--method", default="mean-last-weeks")
    parser.add_argument("--prophet-queues", type=int, default=20, help="0 skips the Prophet subset")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument(
        "--child", nargs=3, metavar=("CONFIG", "METHOD", "N_QUEUES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    if args.child:
        config, method, n_queues = args.child
        print(json.dumps(run_one(config, args, method, int(n_queues))))
        return

    configs = [c for c in args.configs.split(",") if c]
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        parser.error(f"--configs: unknown {unknown}, expected some of {list(CONFIGS)}")
    plans = [(args.method, args.queues)]
    if args.prophet_queues > 0:
        plans.append(("prophet", min(args.prophet_queues, args.queues)))
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f}; {args.queues} queues x {args.days} days, "
        f"30-min, horizon {args.horizon_days} days",
        flush=True,
    )
    header = (
        f"{'method':<16}{'config':<13}{'queues':>7}{'workers':>8}{'wall s':>9}{'q/min':>9}"
        f"{'overhead':>9}{'cores':>6}{'data MiB':>9}{'parent MiB':>11}{'worker MiB':>11}{'fail':>5}"
        f"{'load':>6}  digest"
    )
    print(header)
    results = []
    for method, n_queues in plans:
        digests = set()
        for config in configs:
            command = [sys.executable, __file__, "--child", config, method, str(n_queues)]
            command += ["--queues", str(args.queues), "--days", str(args.days)]
            command += ["--horizon-days", str(args.horizon_days), "--seed", str(args.seed)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{method:<16}{config:<13} failed:\n{done.stderr[-2000:]}", flush=True)
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(r)
            digests.add(r["digest"])
            print(
                f"{method:<16}{config:<13}{r['queues']:>7}{r['workers']:>8}{r['wall_s']:>9.1f}"
                f"{r['queues_per_min']:>9.1f}{r['overhead']:>9.1%}{r['cores_used']:>6.2f}"
                f"{r['data_mib']:>9.0f}"
                f"{r['parent_peak_mib']:>11.0f}"
                f"{r['worker_peak_mib']:>11.0f}{r['failures']:>5}{r['load_after']:>6.1f}"
                f"  {r['digest']:x}",
                flush=True,
            )
        same = "identical" if len(digests) == 1 else f"DIFFERENT ({len(digests)} digests)"
        print(f"{method}: results across configurations: {same}", flush=True)
    for r in results:
        slow = ", ".join(f"{q} {s:.2f}s" for q, s in r["slowest"])
        print(f"slowest queues {r['method']} {r['config']}: {slow}")
    for r in results:
        if r["config"] == "dask-2":
            start = r["cluster_start_s"]
            print(f"LocalCluster start-up ({r['method']}, not in wall s): {start:.1f} s")


if __name__ == "__main__":
    main()
