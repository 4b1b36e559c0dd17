"""Load benchmark of the HTTP API: requests per second and latency with 8 concurrent clients.

Starts the real server (``planner serve``, uvicorn) on a free loopback port with a fresh SQLite
store in a temporary folder, then runs 8 concurrent httpx clients against one synchronous route
for a bounded number of requests (and a bounded time), after a short warm-up; each route is
also run with a single sequential client (a quarter of the requests) for the latency of one
request on an otherwise idle server:

- ``staffing``: ``POST /staffing``, Erlang C for one queue over one week of 15-minute intervals
  (672 rows), each request stored as a requirement set (the issue's target);
- ``evaluation``: ``POST /evaluations``, Erlang C KPIs of the same week with given heads.

Loopback only; nothing leaves 127.0.0.1. Usage::

    .venv/bin/python bench/bench_api_load.py [--requests 400] [--clients 8] [--max-seconds 120]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def week_rows() -> list[dict]:
    """One week at 15 minutes, 07:00-22:00 open (0 calls at night), a smooth daily curve."""
    starts = pd.date_range("2026-03-02", periods=7 * 96, freq="15min", tz="Europe/Paris")
    hour = starts.hour + starts.minute / 60
    open_ = (hour >= 7) & (hour < 22)
    calls = np.where(open_, 40 + 60 * np.sin(np.clip((hour - 7) / 15, 0, 1) * np.pi), 0.0)
    return [
        {
            "queue": "billing",
            "interval_start": t.isoformat(),
            "calls_forecast": round(float(c), 3),
            "aht_seconds_forecast": 280.0,
        }
        for t, c in zip(starts, calls, strict=True)
    ]


def bodies(routes: list[str]) -> dict[str, tuple[str, dict]]:
    rows = week_rows()
    out = {}
    if "staffing" in routes:
        out["staffing"] = (
            "/staffing",
            {
                "rows": rows,
                "service_level_target": 0.8,
                "answer_target_seconds": 20,
                "shrinkage": 0.3,
            },
        )
    if "evaluations" in routes:
        plan = [
            {**r, "agents_scheduled": int(np.ceil(r["calls_forecast"] * 280 / 900)) + 2}
            for r in rows
        ]
        out["evaluation"] = ("/evaluations", {"rows": plan, "answer_target_seconds": 20})
    return out


async def run_load(
    base_url: str, path: str, body: dict, clients: int, total: int, max_seconds: float
) -> dict:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    deadline = time.perf_counter() + max_seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for _ in counter:
            if time.perf_counter() > deadline:
                return
            start = time.perf_counter()
            answer = await client.post(path, json=body)
            latencies.append(time.perf_counter() - start)
            if answer.status_code >= 300:
                errors += 1

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as warm:
        for _ in range(5):
            (await warm.post(path, json=body)).raise_for_status()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[max(int(np.ceil(0.95 * len(ordered))) - 1, 0)],
        "max_ms": 1000 * ordered[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per route (bounded)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=120, help="time bound per route")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="planner-bench-") as folder:
        port = free_port()
        log = Path(folder) / "server.log"
        command = [
            sys.executable,
            "-m",
            "planner.cli",
            "serve",
            "--port",
            str(port),
            "--database-url",
            f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
        ]
        with log.open("wb") as out:
            server = subprocess.Popen(
                command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy()
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    health = httpx.get(f"{base_url}/health", timeout=1)
                    if health.status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit(f"server did not start:\n{log.read_text()}")
            routes = health.json()["routes"]
            todo = bodies(routes)
            if "staffing" not in todo:
                print(
                    "staffing route absent on this server (planner.staffing not installed): "
                    "measuring the other synchronous routes only"
                )
            print(
                f"{args.clients} concurrent clients, up to {args.requests} requests or "
                f"{args.max_seconds:g} s per route, one week of 15-minute intervals (672 rows)"
            )
            print(
                f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
                "uvicorn single process\n"
            )
            print(
                f"{'route':<12} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} "
                f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
            )
            runs = [(label, clients) for label in todo for clients in (1, args.clients)]
            for label, clients in runs:
                path, body = todo[label]
                requests = args.requests if clients > 1 else max(args.requests // 4, 10)
                result = asyncio.run(
                    run_load(base_url, path, body, clients, requests, args.max_seconds)
                )
                print(
                    f"{label:<12} {clients:>7} {result['requests']:>8} {result['errors']:>6} "
                    f"{result['rps']:>8.1f} "
                    f"{result['p50_ms']:>8.1f} {result['p95_ms']:>8.1f} {result['max_ms']:>8.1f}"
                )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
