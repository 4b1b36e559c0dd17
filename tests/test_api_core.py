"""HTTP API infrastructure: health, jobs, cancel, API keys, size and row limits, settings.

Runs every route through FastAPI's TestClient, on SQLite and (when a server answers) PostgreSQL.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.jobs import JobContext, JobFunction
from api.main import create_app
from api.tasks import build_registry
from planner.errors import ConfigError
from planner.storage import hash_api_key
from tests.api_helpers import finish_job
from tests.wait_job import registry_with_wait_job, with_wait_route

KEY = "test-key-0123456789abcdef"

STAGES = (
    "history",
    "staffing",
    "forecasts",
    "evaluations",
    "schedules",
    "accuracy",
    "scenarios",
    "plans",
)
"""Every pipeline stage's route prefix, in the order GET /health lists them."""


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path) -> Settings:
    """Default settings on each database backend."""
    base = Settings(database_url=f"sqlite:///{tmp_path / 'api.sqlite3'}")
    if request.param == "postgresql":
        return replace(
            base,
            database_url=request.getfixturevalue("pg_url"),
            database_schema=request.getfixturevalue("pg_schema"),
        )
    return base


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The product app, as ``planner serve`` runs it."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _wait_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """A client of the app plus the test-only ``wait`` job and ``POST /test/wait``."""
    monkeypatch.setattr("api.main.build_registry", registry_with_wait_job)
    return TestClient(with_wait_route(create_app(settings)))


@pytest.fixture
def wait_client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with the test-only ``wait`` job (tests/wait_job.py), for the job machinery."""
    with _wait_app(settings, monkeypatch) as test_client:
        yield test_client


def _wait_for(client: TestClient, job_id: str, statuses: set[str], timeout_s: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {statuses}; last {job}")


def test_health_reports_database_and_stages(client: TestClient, settings: Settings) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["database_ok"] is True
    assert body["database"] == ("postgresql" if "postgresql" in settings.database_url else "sqlite")
    assert body["routes"] == list(STAGES)
    assert body["job_kinds"] == ["forecast", "plan", "scenarios", "schedule"]


def test_every_stage_is_mounted(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for stage in STAGES:
        assert any(path.startswith(f"/{stage}") for path in paths), stage


def test_job_runs_reports_progress_and_result(wait_client: TestClient) -> None:
    accepted = wait_client.post("/test/wait", json={"seconds": 0.6})
    assert accepted.status_code == 202
    job_id = accepted.json()["id"]
    assert accepted.json()["status"] in {"queued", "running"}
    running = _wait_for(wait_client, job_id, {"running"})
    assert running["started_at"] is not None
    done = _wait_for(wait_client, job_id, {"succeeded"})
    assert done["progress"] == {"description": "waiting", "done": 6, "total": 6}
    assert done["result"]["waited_seconds"] == pytest.approx(0.6, abs=0.5)
    listed = wait_client.get("/jobs", params={"status": "succeeded"}).json()
    assert [job["id"] for job in listed] == [job_id]


def test_cancel_running_and_queued_jobs(wait_client: TestClient) -> None:
    first = wait_client.post("/test/wait", json={"seconds": 30}).json()["id"]
    second = wait_client.post("/test/wait", json={"seconds": 30}).json()["id"]  # queued: 1 worker
    _wait_for(wait_client, first, {"running"})
    queued = wait_client.post(f"/jobs/{second}/cancel")
    assert queued.status_code == 200 and queued.json()["status"] == "cancelled"
    assert wait_client.post(f"/jobs/{first}/cancel").json()["cancel_requested"] is True
    cancelled = _wait_for(wait_client, first, {"cancelled"}, timeout_s=5)
    assert cancelled["error"] == "cancelled by request"
    assert wait_client.post(f"/jobs/{first}/cancel").json()["status"] == "cancelled"


def _app_with_job(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, kind: str, function: JobFunction
) -> TestClient:
    """A client of the app whose runner also knows job ``kind`` (submitted through the runner)."""
    monkeypatch.setattr("api.main.build_registry", lambda: {**build_registry(), kind: function})
    return TestClient(create_app(settings))


def _store_one_frame(context: JobContext) -> str:
    """Store a one-row frame the way every job stores (``context.storing``); the frame's id."""
    with context.storing():
        record = context.storage.save_frame(
            "plan", pd.DataFrame({"queue": ["q"], "value": [1.0]}), name="cancel test"
        )
    return record.id


def test_cancel_after_the_job_committed_leaves_it_succeeded(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the cancel arrives after the job stored its frame and before its function returns: the
    # frame stays stored, so the job must read succeeded with its result, not cancelled
    committed, cancel_sent = threading.Event(), threading.Event()

    def store_then_wait(context: JobContext) -> dict[str, Any]:
        frame_id = _store_one_frame(context)
        committed.set()
        if not cancel_sent.wait(timeout=10):
            raise RuntimeError("the test never sent its cancel")
        return {"frame_id": frame_id}

    with _app_with_job(settings, monkeypatch, "store_then_wait", store_then_wait) as client:
        job = client.app.state.runner.submit("store_then_wait", {})
        assert committed.wait(timeout=10), "the job never committed"
        answer = client.post(f"/jobs/{job.id}/cancel").json()
        assert answer["status"] == "running" and answer["cancel_requested"] is True
        cancel_sent.set()
        done = finish_job(client, job.id, timeout_s=10)
        assert done["status"] == "succeeded", done
        assert done["error"] is None
        assert done["cancel_requested"] is True  # asked for, too late to undo anything
        assert client.app.state.storage.get_frame(done["result"]["frame_id"]) is not None


def test_cancel_before_the_job_committed_cancels_it_and_stores_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, cancel_sent = threading.Event(), threading.Event()

    def wait_then_store(context: JobContext) -> dict[str, Any]:
        started.set()
        if not cancel_sent.wait(timeout=10):
            raise RuntimeError("the test never sent its cancel")
        return {"frame_id": _store_one_frame(context)}

    with _app_with_job(settings, monkeypatch, "wait_then_store", wait_then_store) as client:
        job = client.app.state.runner.submit("wait_then_store", {})
        assert started.wait(timeout=10), "the job never started"
        client.post(f"/jobs/{job.id}/cancel")
        cancel_sent.set()
        done = finish_job(client, job.id, timeout_s=10)
        assert done["status"] == "cancelled", done
        assert done["error"] == "cancelled by request" and done["result"] is None
        assert client.app.state.storage.list_frames("plan") == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/jobs/0123"), ("post", "/jobs/0123/cancel")],
    ids=["get", "cancel"],
)
def test_unknown_job_is_404_naming_job_id(client: TestClient, method: str, path: str) -> None:
    answer = getattr(client, method)(path)
    assert answer.status_code == 404 and "job_id" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seconds": -1}, "seconds"),
        ({"seconds": 601}, "seconds"),
        ({"seconds": 1, "extra": 2}, "extra"),
        ({}, "seconds"),
    ],
    ids=["negative", "over-bound", "unknown-field", "missing"],
)
def test_bad_request_fields_are_422_naming_the_field(
    wait_client: TestClient, body: dict, field: str
) -> None:
    answer = wait_client.post("/test/wait", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == field


def test_bad_query_parameter_is_422(client: TestClient) -> None:
    answer = client.get("/jobs", params={"limit": 0})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "limit"]


def test_malformed_json_is_422(wait_client: TestClient) -> None:
    answer = wait_client.post(
        "/test/wait", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][0] == "body"


@pytest.mark.parametrize("auth_setting", ["plain", "digest"], ids=["plain-key", "sha256-digest"])
def test_api_keys_guard_every_route_but_health(tmp_path, auth_setting: str) -> None:
    configured = KEY if auth_setting == "plain" else f"sha256:{hash_api_key(KEY)}"
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'auth.sqlite3'}", api_keys=(configured,)
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        missing = client.get("/jobs")
        assert missing.status_code == 401 and "X-API-Key" in missing.json()["detail"]
        wrong = client.get("/jobs", headers={"X-API-Key": "wrong-key-0123456789"})
        assert wrong.status_code == 401 and "not a valid API key" in wrong.json()["detail"]
        assert client.get("/jobs", headers={"X-API-Key": KEY}).status_code == 200
        # the key is checked before the body or the ids are: every other operation answers 401
        operations = [
            (method, re.sub(r"\{[^}]+\}", "x", path))
            for path, methods in client.get("/openapi.json").json()["paths"].items()
            for method in methods
            if path != "/health"
        ]
        assert len(operations) > 20
        refused = {(m, path): client.request(m, path).status_code for m, path in operations}
        assert refused == {operation: 401 for operation in operations}
        guarded = client.post("/staffing", json={}, headers={"X-API-Key": KEY})
        assert guarded.status_code == 422  # past the key check, the body is validated
        stored = client.app.state.storage.api_key_hashes()
    assert stored == frozenset({hash_api_key(KEY)})  # the digest is stored, never the key


def test_require_api_key_without_keys_refuses_everything(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}", require_api_key=True)
    with TestClient(create_app(settings)) as client:
        assert client.get("/jobs", headers={"X-API-Key": KEY}).status_code == 401


def test_request_body_over_the_limit_is_413(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'l.sqlite3'}", max_request_bytes=2048)
    with _wait_app(settings, monkeypatch) as client:
        body = b'{"seconds": 1, "pad": "' + b"x" * 4096 + b'"}'
        by_header = client.post(
            "/test/wait", content=body, headers={"content-type": "application/json"}
        )
        assert by_header.status_code == 413
        assert "PLANNER_MAX_REQUEST_BYTES" in by_header.json()["detail"]
        streamed = client.post(
            "/test/wait",
            content=iter([body[:1500], body[1500:]]),  # chunked: no content-length header
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413
        assert client.post("/test/wait", json={"seconds": 0}).status_code == 202


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"PLANNER_MAX_ROWS": "lots"}, "PLANNER_MAX_ROWS"),
        ({"PLANNER_MAX_ROWS": "0"}, "PLANNER_MAX_ROWS"),
        ({"PLANNER_REQUIRE_API_KEY": "perhaps"}, "PLANNER_REQUIRE_API_KEY"),
        ({"PLANNER_API_KEYS": "short"}, "PLANNER_API_KEYS"),
        ({"PLANNER_API_KEYS": "sha256:abc"}, "PLANNER_API_KEYS"),
        ({"PLANNER_MAX_SOLVER_SECONDS": "-5"}, "PLANNER_MAX_SOLVER_SECONDS"),
    ],
    ids=[
        "rows-not-int",
        "rows-zero",
        "bool-unknown",
        "key-short",
        "digest-short",
        "solver-negative",
    ],
)
def test_bad_settings_raise_config_error_naming_the_variable(env: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Settings.from_env(env)


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "PLANNER_DATABASE_URL": "sqlite:///x.sqlite3",
            "PLANNER_API_KEYS": f"{KEY}, sha256:{'a' * 64}",
            "PLANNER_MAX_ROWS": "100",
            "PLANNER_MAX_FIT_SECONDS": "30",
            "PLANNER_REQUIRE_API_KEY": "yes",
        }
    )
    assert settings.database_url == "sqlite:///x.sqlite3"
    assert settings.api_keys == (KEY, "sha256:" + "a" * 64) and settings.auth_enabled
    assert (settings.max_rows, settings.max_fit_seconds, settings.require_api_key) == (
        100,
        30,
        True,
    )
    assert Settings.from_env({}).auth_enabled is False


def test_openapi_schema_has_examples_and_forbids_extra_fields(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    staffing = schema["components"]["schemas"]["StaffingRequest"]
    assert staffing["additionalProperties"] is False
    assert staffing["properties"]["answer_target_seconds"]["maximum"] == 3600
    assert schema["components"]["schemas"]["JobOut"]["examples"]


@pytest.mark.parametrize(
    ("args", "env", "match"),
    [
        (["--database-url", "nosuchdb://x/y"], {}, "database URL: no driver for 'nosuchdb'"),
        (["--database-url", "not a url"], {}, "database URL: cannot parse"),
        ([], {"PLANNER_MAX_ROWS": "many"}, "PLANNER_MAX_ROWS must be an integer"),
    ],
    ids=["unknown-driver", "unparseable-url", "bad-setting"],
)
def test_serve_with_bad_settings_exits_2_with_one_line(
    args: list[str], env: dict, match: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from planner.cli import main

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--port", "1", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("planner: error: ") and match in err and "Traceback" not in err
