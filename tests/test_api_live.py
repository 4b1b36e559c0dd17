"""The real server process: restart after a kill mid-job, and schemathesis over its live schema.

Each test starts a server (uvicorn) in a subprocess on a free loopback port and talks HTTP to it;
nothing leaves 127.0.0.1. The schema test runs ``planner serve``; the restart test runs the same
app plus the test-only ``wait`` job (``python -m tests.wait_job``, see tests/wait_job.py). Both
are marked slow (a few server start-ups, ~30 s on a busy 2-core machine) and run in CI with
everything else.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

REPO = Path(__file__).resolve().parents[1]
LIVE_KEY = "live-test-key-0123456789"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A ``planner serve`` subprocess on 127.0.0.1, or with ``wait_job`` the test app."""

    def __init__(
        self,
        database_url: str,
        port: int,
        env: dict[str, str],
        log: Path,
        *,
        wait_job: bool = False,
    ) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = log
        program = ["tests.wait_job"] if wait_job else ["planner.cli", "serve"]
        command = [
            sys.executable,
            "-m",
            *program,
            "--port",
            str(port),
            "--database-url",
            database_url,
        ]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server did not answer /health within 60 s:\n{log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run, as when the machine dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def _wait_for(client: httpx.Client, job_id: str, statuses: set[str], timeout_s: float = 20) -> dict:
    deadline = time.monotonic() + timeout_s
    job: dict = {}
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {statuses}; last {job}")


@pytest.mark.slow
def test_kill_mid_job_then_restart_keeps_finished_work_and_fails_the_running_job(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    env = {"PLANNER_JOB_WORKERS": "1"}
    port = _free_port()
    server = Server(database_url, port, env, tmp_path / "server.log", wait_job=True)
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            finished = client.post("/test/wait", json={"seconds": 0.2}).json()["id"]
            assert _wait_for(client, finished, {"succeeded"})["result"]["waited_seconds"] > 0
            starts = pd.date_range("2026-03-02 08:00", periods=16, freq="30min", tz="UTC")
            rows = [{"interval_start": t.isoformat(), "calls_offered": 5} for t in starts]
            history = client.post("/history", json={"name": "kept", "rows": rows})
            assert history.status_code == 201
            history_id = history.json()["history"]["id"]
            long_job = client.post("/test/wait", json={"seconds": 120}).json()["id"]
            queued_job = client.post("/test/wait", json={"seconds": 0.2}).json()["id"]
            running = _wait_for(client, long_job, {"running"})
            deadline = time.monotonic() + 10
            while running["progress"]["done"] < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
                running = client.get(f"/jobs/{long_job}").json()
            assert running["progress"]["done"] >= 2  # it really was mid-job
            assert client.get(f"/jobs/{queued_job}").json()["status"] == "queued"
        server.kill()

        server = Server(database_url, port, env, tmp_path / "server.log", wait_job=True)
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            dead = client.get(f"/jobs/{long_job}").json()
            assert dead["status"] == "failed"
            assert "server stopped while this job was running" in dead["error"]
            assert dead["finished_at"] is not None
            kept = client.get(f"/jobs/{finished}").json()
            assert kept["status"] == "succeeded" and kept["result"]["waited_seconds"] > 0
            assert client.get(f"/history/{history_id}").json()["history"]["n_rows"] == 16
            # the job that was still queued is submitted again and runs to the end
            assert _wait_for(client, queued_job, {"succeeded"})["result"]["waited_seconds"] > 0
            assert client.get("/jobs", params={"status": "running"}).json() == []
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("schemathesis")
    server = Server(
        f"sqlite:///{folder / 'st.sqlite3'}",
        _free_port(),
        {
            "PLANNER_MAX_ROWS": "2000",
            "PLANNER_MAX_REQUEST_BYTES": str(1 << 20),
            "PLANNER_API_KEYS": LIVE_KEY,
        },
        folder / "server.log",
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_live_schema_no_server_errors_no_schema_violations(live_server: Server) -> None:
    """Every operation of the served OpenAPI schema, a few generated examples each (bounded).

    All of schemathesis's default checks run (no 5xx, status codes, content types, response
    schemas, headers, auth, negative data rejected) except ``positive_data_acceptance``: a
    schema-valid body can still be bad data for the planner (a single interval, a duplicate
    interval, an unknown id), and then the right answer is the 4xx naming the field.
    """
    schema = schemathesis.openapi.from_url(f"{live_server.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures: dict[str, str] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case) -> None:
            case.call_and_validate(
                base_url=live_server.base_url,
                headers={"X-API-Key": LIVE_KEY},
                excluded_checks=[positive_data_acceptance],
                timeout=30,
            )

        try:
            exercise()
        except Exception as error:  # collect every operation's failure, then report them all
            failures[operation.label] = f"{type(error).__name__}: {error}"[:2000]
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
