"""Helpers shared by the HTTP API tests (imported as ``tests.api_helpers``)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient


def finish_job(client: TestClient, job_id: str, timeout_s: float = 30.0) -> dict:
    """Poll ``GET /jobs/{job_id}`` until the job leaves queued/running; its final JSON.

    Raises AssertionError when it is still queued or running after ``timeout_s`` seconds.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] not in {"queued", "running"}:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout_s} s")
