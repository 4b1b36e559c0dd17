"""Schedule routes: rules validated at submit, CP-SAT roster as a job, capped solver time."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app
from api.schemas.schedules import EXAMPLE_RULES
from tests.api_helpers import finish_job


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.sqlite3'}", max_solver_seconds=5)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _requirements(heads: int = 3) -> list[dict]:
    starts = pd.date_range("2026-03-02 08:00", "2026-03-06 17:30", freq="30min", tz="Europe/Paris")
    starts = starts[(starts.hour >= 8) & (starts.hour < 18)]
    return [
        {"queue": "billing", "interval_start": t.isoformat(), "agents_to_schedule": heads}
        for t in starts
    ]


@pytest.mark.slow
def test_roster_job_stores_roster_and_coverage(client: TestClient) -> None:
    accepted = client.post(
        "/schedules",
        json={
            "requirements": _requirements(),
            "rules": EXAMPLE_RULES,
            "time_limit_seconds": 600,
            "timezone": "Europe/Paris",
        },
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["params"]["time_limit_seconds_applied"] == 5  # capped by the server
    job = finish_job(client, accepted.json()["id"], timeout_s=60)
    assert job["status"] == "succeeded", job["error"]
    roster_id = job["result"]["roster_id"]
    schedule = client.get(f"/schedules/{roster_id}").json()
    assert schedule["summary"]["status"] in {"OPTIMAL", "FEASIBLE"}
    assert schedule["coverage_id"] == job["result"]["coverage_id"]
    rows = client.get(f"/schedules/{roster_id}/rows", params={"limit": 10_000}).json()
    assert rows["roster_total"] == schedule["roster"]["n_rows"] > 0
    # 3 heads in every open interval, 6 agents on 8-hour shifts with an unpaid lunch: check the
    # coverage the API returns against the roster it returns, interval by interval
    coverage = {r["interval_start"]: r for r in rows["coverage"]}
    for row in rows["coverage"]:
        assert row["under"] == max(row["agents_to_schedule"] - row["agents_scheduled"], 0)
    assert sum(r["agents_to_schedule"] for r in coverage.values()) == 3 * len(_requirements())
    first = rows["roster"][0]
    assert first["shift_start"].endswith("+01:00") and first["paid_minutes"] == 450
    assert [r["id"] for r in client.get("/schedules").json()] == [roster_id]


@pytest.mark.parametrize(
    ("rules_patch", "match"),
    [
        ({"shift_templates": 5}, "rules: shift_templates must be a list, got 5"),
        ({"agent_groups": [{"id_prefix": "A", "count": 10**9}]}, "at most 10000 agents"),
        ({"colour": "red"}, "colour is not a known key"),
    ],
    ids=["templates-not-list", "too-many-agents", "unknown-key"],
)
def test_bad_rules_are_422_at_submit_naming_the_key(
    client: TestClient, rules_patch: dict, match: str
) -> None:
    rules = {**copy.deepcopy(EXAMPLE_RULES), **rules_patch}
    answer = client.post("/schedules", json={"requirements": _requirements(), "rules": rules})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["body", "rules"] and match in detail["msg"]
    assert client.get("/jobs").json() == []  # nothing was queued


def test_bad_clock_in_template_names_it(client: TestClient) -> None:
    rules = copy.deepcopy(EXAMPLE_RULES)
    rules["shift_templates"][0]["earliest_start"] = "25:99"
    detail = client.post(
        "/schedules", json={"requirements": _requirements(), "rules": rules}
    ).json()["detail"][0]
    assert (
        detail["msg"]
        == "rules: shift_templates[0].earliest_start must be a clock time \"HH:MM\", got '25:99'"
    )


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"time_limit_seconds": 0}, ["body", "time_limit_seconds"]),
        ({"method": "magic"}, ["body", "method"]),
        ({"timezone": "Nowhere/City"}, ["body", "timezone"]),
        ({"requirements": []}, ["body", "requirements"]),
        ({"seed": -1}, ["body", "seed"]),
    ],
    ids=["time-limit", "method", "timezone", "no-requirements", "seed"],
)
def test_bad_fields_are_422_naming_the_field(client: TestClient, patch: dict, loc: list) -> None:
    body = {"requirements": _requirements(), "rules": EXAMPLE_RULES, **patch}
    answer = client.post("/schedules", json=body)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == loc


def test_fractional_or_negative_heads_are_422(client: TestClient) -> None:
    rows = _requirements()
    rows[4]["agents_to_schedule"] = -2
    answer = client.post("/schedules", json={"requirements": rows, "rules": EXAMPLE_RULES})
    assert answer.json()["detail"][0]["loc"] == ["body", "requirements", 4, "agents_to_schedule"]


@pytest.mark.slow
def test_planner_error_in_the_job_fails_it_with_the_message(client: TestClient) -> None:
    rows = _requirements() + [
        {"queue": "billing", "interval_start": "2026-03-20T09:00:00+01:00", "agents_to_schedule": 1}
    ]  # 19 days: the scheduler plans at most a week
    accepted = client.post(
        "/schedules", json={"requirements": rows, "rules": EXAMPLE_RULES, "time_limit_seconds": 2}
    )
    job = finish_job(client, accepted.json()["id"], timeout_s=60)
    assert job["status"] == "failed" and "requirements" in job["error"]


@pytest.mark.parametrize("path", ["/schedules/nope", "/schedules/nope/rows"], ids=["meta", "rows"])
def test_unknown_roster_is_404(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404 and "roster_id" in answer.json()["detail"]


@pytest.mark.slow
def test_cancelled_schedule_job_stores_neither_roster_nor_coverage(client: TestClient) -> None:
    # the cancel came while the roster was being solved (no progress report after it): the job
    # must raise JobCancelled at its store and leave neither of its two frames behind
    from api.jobs import JobCancelled, JobContext
    from api.schemas.schedules import ScheduleRequest
    from api.tasks import schedule_job

    storage = client.app.state.storage
    params = ScheduleRequest(requirements=_requirements(), rules=EXAMPLE_RULES).model_dump(
        mode="json"
    )
    params["time_limit_seconds_applied"] = 5.0
    job = storage.create_job("schedule", params)
    assert storage.start_job(job.id)
    storage.cancel_job(job.id)
    context = JobContext(
        job_id=job.id,
        params=params,
        storage=storage,
        settings=Settings(),
        progress=lambda description, done, total: None,
    )
    with pytest.raises(JobCancelled):
        schedule_job(context)
    assert storage.list_frames("roster") == []
    assert storage.list_frames("coverage") == []
