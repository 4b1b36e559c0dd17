"""Plan routes: planner.pipeline.run_plan on a stored history as a job, and its stored report."""

from __future__ import annotations

import copy
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.jobs import JobContext
from api.main import create_app
from api.plans import REPORT_FRAMES, _budgeted, render_stored_plan, store_plan
from planner.config import parse_config
from planner.errors import InputError
from planner.pipeline import STAGES, run_plan
from planner.sample import SAMPLE_QUEUES, generate_sample_history
from planner.storage import Storage, open_storage
from tests.api_helpers import finish_job

START = "2025-03-31"
"""The plan week: four weeks of history before it, one week of actuals inside it."""

RULES = {
    "shift_templates": [
        {
            "name": "day",
            "earliest_start": "07:00",
            "latest_start": "14:00",
            "start_step_minutes": 60,
            "lengths_minutes": [480],
            "breaks": [
                {
                    "name": "break",
                    "minutes": 15,
                    "paid": True,
                    "earliest_after_start_minutes": 120,
                    "latest_after_start_minutes": 240,
                }
            ],
        }
    ],
    "agent_defaults": {"min_days": 5, "max_days": 5, "min_hours": 40, "max_hours": 40},
    "agent_groups": [{"count": 6, "id_prefix": "A"}],
}

CONFIG: dict = {
    "timezone": "Europe/London",
    "forecast": {"method": "mean-last-weeks"},
    "targets": {"service_level_target": 0.8, "answer_target_seconds": 20, "model": "erlang-a"},
    "staffing": {"shrinkage": {"absence": 0.1, "breaks": 0.2}, "patience_seconds": 180},
    "queues": [{"name": "sales", "patience_seconds": 60}],
    "schedule": {"rules": RULES, "time_limit_seconds": 5, "method": "single"},
    "scenarios": {"everyday": True},
    "simulation": {"replications": 3},
}

CHART_DIVS = (
    "chart-forecast",
    "chart-staffing",
    "chart-roster",
    "chart-heatmap",
    "chart-simulation",
    "chart-history-kpis",
    "chart-scenarios",
    "chart-accuracy",
)
"""Div ids planner.report gives its charts (planner/report.py, _Page.figure calls)."""


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    # One queue (sales), 3 March to mid April 2025: ~1,700 open 15-minute intervals.
    return generate_sample_history(seed=7, years=0.12, start="2025-03-03", queues=SAMPLE_QUEUES[:1])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("plans")
    settings = Settings(database_url=f"sqlite:///{folder / 'plans.sqlite3'}", max_solver_seconds=3)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def history_id(client: TestClient, history: pd.DataFrame) -> str:
    buffer = io.BytesIO()
    history.to_parquet(buffer, index=False)
    answer = client.post("/history/upload", files={"file": ("sales.parquet", buffer.getvalue())})
    assert answer.status_code == 201, answer.text
    return answer.json()["history"]["id"]


@pytest.fixture(scope="module")
def plan_job(client: TestClient, history_id: str) -> dict:
    accepted = client.post(
        "/plans",
        json={
            "history_id": history_id,
            "config": CONFIG,
            "start": START,
            "weeks": 1,
            "solver_time_limit_seconds": 5,
            "name": "sales week",
        },
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["kind"] == "plan"
    return finish_job(client, accepted.json()["id"], timeout_s=60)


@pytest.mark.slow
def test_plan_job_stores_the_plan_with_stages_notes_and_frames(
    client: TestClient, history_id: str, plan_job: dict
) -> None:
    assert plan_job["status"] == "succeeded", plan_job["error"]
    # 5 s asked, the server caps at max_solver_seconds=3
    assert plan_job["params"]["solver_time_limit_seconds_applied"] == 3.0
    plan_id = plan_job["result"]["plan_id"]
    listed = client.get("/plans").json()
    assert [p["id"] for p in listed] == [plan_id]
    assert listed[0]["name"] == "sales week"
    assert listed[0]["parent_id"] == history_id

    plan = client.get(f"/plans/{plan_id}").json()
    assert plan["history_id"] == history_id
    assert plan["start"].startswith("2025-03-31 00:00:00")
    assert plan["end"].startswith("2025-04-07 00:00:00")
    assert plan["weeks"] == 1
    assert plan["interval_minutes"] == 15
    assert [s["stage"] for s in plan["stages"]] == list(STAGES)
    # every stage has what it needs: rules, actuals inside the window, scenarios, simulation
    assert {s["stage"]: s["state"] for s in plan["stages"]} == dict.fromkeys(STAGES, "ran")
    assert any(note.startswith("roster week of 2025-03-31") for note in plan["notes"])
    assert {"forecast", "requirements", "roster", "coverage", "evaluation", "kpis_total"} <= set(
        plan["frames"]
    )
    assert [row["queue"] for row in plan["summary"]] == ["sales"]
    assert 0 <= plan["summary"][0]["service_level"] <= 1


@pytest.mark.slow
def test_plan_frames_are_paged_and_match_the_stored_frame(
    client: TestClient, plan_job: dict
) -> None:
    plan_id = plan_job["result"]["plan_id"]
    plan = client.get(f"/plans/{plan_id}").json()
    storage = client.app.state.storage  # type: ignore[attr-defined]
    forecast = storage.load_frame(plan["frames"]["forecast"])
    page = client.get(f"/plans/{plan_id}/frames/forecast", params={"limit": 5, "offset": 3})
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == len(forecast) > 8
    assert body["offset"] == 3
    assert body["columns"] == list(forecast.columns)
    assert [r["calls_forecast"] for r in body["rows"]] == pytest.approx(
        forecast["calls_forecast"].iloc[3:8].tolist(), abs=1e-12
    )
    assert [pd.Timestamp(r["interval_start"]) for r in body["rows"]] == list(
        forecast["interval_start"].iloc[3:8]
    )
    roster = client.get(f"/plans/{plan_id}/frames/roster").json()
    assert roster["total"] == 6 * 5  # six agents, five days each (RULES' agent_defaults)
    assert {r["agent_id"] for r in roster["rows"]} == {f"A{i:03d}" for i in range(1, 7)}


@pytest.mark.slow
def test_plan_report_route_answers_the_self_contained_report(
    client: TestClient, plan_job: dict
) -> None:
    plan_id = plan_job["result"]["plan_id"]
    answer = client.get(f"/plans/{plan_id}/report")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    for div in CHART_DIVS:
        assert f'id="{div}"' in html, div
    assert "sales week" in html  # the plan's name is the report's title
    assert "<script src=" not in html  # plotly.js inlined: opens offline


@pytest.mark.slow
def test_stored_report_is_the_report_run_plan_writes(history: pd.DataFrame, tmp_path: Path) -> None:
    config = parse_config(CONFIG, source="config")
    result = run_plan(history, config, start=START, weeks=1, out_dir=tmp_path, title="T")
    summary = json.loads((tmp_path / "plan_summary.json").read_text(encoding="utf-8"))
    storage = open_storage(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        record = store_plan(
            storage,
            result,
            history_id=None,
            name="T",
            title="T",
            window={
                **{k: summary[k] for k in ("start", "end", "weeks", "interval_minutes")},
                "timezone": "Europe/London",
            },
            report_params={
                "model": config.targets.model,
                "service_level_target": config.targets.service_level_target,
                "max_abandon_rate": config.targets.max_abandon_rate,
            },
            params={},
        )
        assert set(REPORT_FRAMES.values()) <= set(record.meta["frames"])
        stored_history = storage.load_frame(record.meta["frames"]["history"])
        # only the 14 days the report draws are copied, not the whole history
        assert len(stored_history) < len(result.frames["history"])
        assert stored_history["interval_start"].min() >= pd.Timestamp(
            "2025-03-17", tz="Europe/London"
        )
        assert render_stored_plan(storage, record) == (tmp_path / "report.html").read_text(
            encoding="utf-8"
        )
    finally:
        storage.dispose()


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("/plans/nope", "plan_id: no plan 'nope'"),
        ("/plans/nope/report", "plan_id: no plan 'nope'"),
        ("/plans/nope/frames/roster", "plan_id: no plan 'nope'"),
    ],
    ids=["plan", "report", "frame"],
)
def test_unknown_plan_is_404(client: TestClient, path: str, match: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert match in answer.json()["detail"]


@pytest.mark.slow
def test_unknown_frame_name_is_404_listing_the_names(client: TestClient, plan_job: dict) -> None:
    plan_id = plan_job["result"]["plan_id"]
    answer = client.get(f"/plans/{plan_id}/frames/nothing")
    assert answer.status_code == 404
    assert "name: plan" in answer.json()["detail"]
    assert "'roster'" in answer.json()["detail"]


def test_unknown_history_is_404(client: TestClient) -> None:
    answer = client.post("/plans", json={"history_id": "nope", "config": CONFIG})
    assert answer.status_code == 404
    assert answer.json()["detail"] == "history_id: no history 'nope'"


def test_rules_file_is_refused_naming_the_field(
    client: TestClient, history_id: str, tmp_path: Path
) -> None:
    rules_path = tmp_path / "rules.json"
    rules_path.write_text(json.dumps(RULES), encoding="utf-8")  # a real server file: still refused
    config = copy.deepcopy(CONFIG)
    config["schedule"] = {"rules_file": str(rules_path)}
    jobs_before = len(client.get("/jobs").json())
    answer = client.post("/plans", json={"history_id": history_id, "config": config})
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "config", "schedule", "rules_file"]
    assert error["msg"].startswith("config.schedule.rules_file: reading shift rules")
    assert len(client.get("/jobs").json()) == jobs_before


def _with(path: tuple, value: object) -> dict:
    data = copy.deepcopy(CONFIG)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("body", "loc", "match"),
    [
        (
            {"config": _with(("targets", "service_level_target"), 80)},
            ["body", "config"],
            r"targets\.service_level_target must be .*got 80",
        ),
        (
            {"config": _with(("forecast", "method"), "arima")},
            ["body", "config"],
            r"forecast\.method must be one of .*'arima'",
        ),
        (
            {"config": _with(("schedule", "rules"), {"shift_templates": []})},
            ["body", "config"],
            r"shift_templates",
        ),
        (
            {"config": {**CONFIG, "horizon": 3}},
            ["body", "config"],
            r"unknown key 'horizon'",
        ),
        (
            {"config": _with(("simulation", "replications"), 10**6)},
            ["body", "config", "simulation", "replications"],
            r"config\.simulation\.replications: must be at most 1000 .*1000000",
        ),
        (
            {"config": _with(("schedule", "rules", "agent_groups"), [{"count": 20_000}])},
            ["body", "config"],
            r"config\.schedule\.rules\.agent_groups: count .*20000",
        ),
        ({"config": CONFIG, "weeks": 0}, ["body", "weeks"], r"greater than or equal to 1"),
        ({"config": CONFIG, "weeks": 5}, ["body", "weeks"], r"less than or equal to 4"),
        (
            {"config": CONFIG, "solver_time_limit_seconds": 0},
            ["body", "solver_time_limit_seconds"],
            r"greater than 0",
        ),
        ({"config": CONFIG, "start": "31/03/2025"}, ["body", "start"], r"date"),
        (
            {"config": CONFIG, "start": "2025-03-03"},
            ["body", "start"],
            r"start: must be after the history's first day 2025-03-03 .*got 2025-03-03",
        ),
        (
            {"config": CONFIG, "start": "2199-01-01"},
            ["body", "start"],
            r"start: must be at most 56 days after the history's last day .*got 2199-01-01",
        ),
        ({"config": CONFIG, "colour": "red"}, ["body", "colour"], r"Extra inputs"),
        ({"config": "plan.toml"}, ["body", "config"], r"dict"),
    ],
    ids=[
        "sl-percent",
        "method",
        "no-templates",
        "unknown-key",
        "replications-cap",
        "agents-cap",
        "weeks-0",
        "weeks-5",
        "solver-0",
        "start-format",
        "start-first-day",
        "start-far-ahead",
        "extra-field",
        "config-not-object",
    ],
)
def test_bad_plan_request_is_422_naming_the_field(
    client: TestClient, history_id: str, body: dict, loc: list, match: str
) -> None:
    answer = client.post("/plans", json={"history_id": history_id, **body})
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["detail"]
    assert error["loc"] == loc
    assert re.search(match, error["msg"]), error["msg"]


@pytest.mark.slow
def test_cancel_stops_a_running_plan_and_stores_nothing(
    client: TestClient, history_id: str, plan_job: dict
) -> None:
    plans_before = client.get("/plans").json()
    accepted = client.post(
        "/plans", json={"history_id": history_id, "config": CONFIG, "start": START}
    )
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["id"]
    deadline = time.monotonic() + 30
    while client.get(f"/jobs/{job_id}").json()["status"] == "queued":
        assert time.monotonic() < deadline, "the plan job never started"
        time.sleep(0.02)
    cancelled = client.post(f"/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200
    job = finish_job(client, job_id, timeout_s=60)
    assert job["status"] == "cancelled"
    assert job["result"] is None
    assert client.get("/plans").json() == plans_before


def test_plan_budget_fails_the_job_with_a_message() -> None:
    calls: list[tuple[str, int, int]] = []
    context = JobContext(
        job_id="j",
        params={},
        storage=None,  # type: ignore[arg-type]
        settings=Settings(),
        progress=lambda d, done, total: calls.append((d, done, total)),
    )
    _budgeted(context, 3600)("plan", 1, 10)
    assert calls == [("plan", 1, 10)]
    spent = _budgeted(context, 0)
    time.sleep(0.01)
    with pytest.raises(InputError, match=r"the plan ran over its budget of 0 s"):
        spent("plan", 2, 10)
    assert calls == [("plan", 1, 10)]


def test_plan_routes_need_the_api_key(tmp_path: Path) -> None:
    key = "k" * 32
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'k.sqlite3'}", api_keys=(key,))
    with TestClient(create_app(settings)) as keyed:
        assert keyed.get("/plans").status_code == 401
        assert keyed.post("/plans", json={"history_id": "x", "config": {}}).status_code == 401
        assert keyed.get("/plans/x/report").status_code == 401
        assert keyed.get("/plans", headers={"X-API-Key": key}).json() == []


def test_openapi_examples_are_valid_requests() -> None:
    from api.schemas.plans import PLAN_CONFIG_EXAMPLE, PlanRequest

    example = PlanRequest.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    request = PlanRequest.model_validate(example)
    config = parse_config(request.config, source="config")
    assert config.schedule.rules is not None
    assert len(config.schedule.rules.agents) == 20  # PLAN_CONFIG_EXAMPLE's agent_groups count
    assert request.config == PLAN_CONFIG_EXAMPLE


def test_a_plan_that_fails_to_store_leaves_no_frames(tmp_path: Path) -> None:
    from types import SimpleNamespace

    storage = open_storage(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        good = pd.DataFrame({"queue": ["sales"], "calls_forecast": [1.0]})
        bad = pd.DataFrame({"queue": ["sales", "sales"], "mixed": [1, "a"]})  # not Parquet-able
        result = SimpleNamespace(
            frames={"kpis_total": good, "broken": bad},
            summary=good,
            stages={},
            notes=[],
            seconds={},
        )
        with pytest.raises(Exception, match="mixed"):
            store_plan(
                storage,
                result,
                history_id=None,
                name="p",
                title="p",
                window={"start": "s", "end": "e", "weeks": 1, "interval_minutes": 15},
                report_params={},
                params={},
            )
        assert storage.list_frames("plan_frame") == []
        assert storage.list_frames("plan") == []
    finally:
        storage.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """A migrated store on each backend (PostgreSQL skips when no server answers)."""
    if request.param == "sqlite":
        storage = open_storage(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    else:
        storage = open_storage(
            request.getfixturevalue("pg_url"), schema=request.getfixturevalue("pg_schema")
        )
    try:
        yield storage
    finally:
        storage.dispose()


def test_a_store_that_fails_part_way_leaves_nothing_of_the_plan(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    frame = pd.DataFrame({"queue": ["sales"], "calls_forecast": [1.0]})
    labels = ["forecast", "requirements", "roster", "coverage"]
    result = SimpleNamespace(
        frames={label: frame for label in labels},
        summary=frame,
        stages={},
        notes=[],
        seconds={},
    )
    observer = Storage(store.engine)  # another connection: what a client or a restart would see
    write_frame = store.save_frame
    seen_when_failing: list[str] = []

    def failing_writer(kind: str, data: pd.DataFrame, **kwargs: object) -> object:
        if kwargs["name"] == "p: requirements":  # the second of four frames
            seen_when_failing.extend(r.name for r in observer.list_frames("plan_frame"))
            raise OSError("disk full while writing p: requirements")
        return write_frame(kind, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "save_frame", failing_writer)
    with pytest.raises(OSError, match="p: requirements"):
        store_plan(
            store,
            result,
            history_id=None,
            name="p",
            title="p",
            window={"start": "s", "end": "e", "weeks": 1, "interval_minutes": 15},
            report_params={},
            params={},
        )
    # had the server died at that moment, these are the frames it would have left behind
    assert seen_when_failing == []
    assert observer.list_frames("plan_frame") == [] and observer.list_frames("plan") == []
    monkeypatch.undo()
    stored = store_plan(
        store,
        result,
        history_id=None,
        name="p",
        title="p",
        window={"start": "s", "end": "e", "weeks": 1, "interval_minutes": 15},
        report_params={},
        params={},
    )
    assert sorted(stored.meta["frames"]) == sorted(labels)
    assert len(observer.list_frames("plan_frame")) == len(labels)
