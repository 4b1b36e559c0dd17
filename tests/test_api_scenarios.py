"""Scenario routes: planner.scenarios.run_scenarios as a job over a stored forecast."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app
from planner.scenarios import Scenario, run_scenarios
from tests.api_helpers import finish_job

STARTS = pd.date_range("2026-03-02 08:00", periods=8, freq="30min", tz="Europe/Paris")
FORECAST = pd.DataFrame(
    {
        "queue": "billing",
        "interval_start": STARTS,
        "calls_forecast": [50.0, 60, 70, 0, 80, 90, 10, 5],
        "calls_lower": 0.0,
        "calls_upper": 0.0,
        "aht_seconds_forecast": 300.0,
        "method": "test",
    }
)


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'sc.sqlite3'}"))) as c:
        yield c


def _forecast_id(client: TestClient) -> str:
    return client.app.state.storage.save_frame(
        "forecast", FORECAST, name="f", interval_minutes=30
    ).id


def test_scenarios_job_matches_the_library_and_is_stored(client: TestClient) -> None:
    forecast_id = _forecast_id(client)
    scenarios = [
        {"name": "volume +10 %", "volume_factor": 1.1},
        {"name": "AHT +20 s", "aht_add_seconds": 20, "keep_roster": True},
    ]
    accepted = client.post("/scenarios", json={"forecast_id": forecast_id, "scenarios": scenarios})
    assert accepted.status_code == 202, accepted.text
    job = finish_job(client, accepted.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    comparison = client.get(f"/scenarios/{job['result']['comparison_id']}").json()
    expected = run_scenarios(
        FORECAST,
        [
            Scenario("volume +10 %", volume_factor=1.1),
            Scenario("AHT +20 s", aht_add_seconds=20, keep_roster=True),
        ],
    )
    assert [r["scenario"] for r in comparison["summary"]] == [
        "baseline",
        "volume +10 %",
        "AHT +20 s",
    ]
    assert [r["service_level"] for r in comparison["summary"]] == pytest.approx(
        expected.summary["service_level"].tolist(), abs=1e-12
    )
    assert comparison["notes"] == list(expected.notes)
    assert comparison["daily"][0]["day"] == "2026-03-02"
    assert comparison["comparison"]["parent_id"] == forecast_id
    assert len(client.get("/scenarios").json()) == 1


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"scenarios": []}, ["body", "scenarios"]),
        (
            {"scenarios": [{"name": "x", "volume_factor": -1}]},
            ["body", "scenarios", 0, "volume_factor"],
        ),
        (
            {"scenarios": [{"name": "x", "opening_hours": ["25:00", "18:00"]}]},
            ["body", "scenarios", 0, "opening_hours", 0],
        ),
        ({"scenarios": [{"name": "x", "colour": "red"}]}, ["body", "scenarios", 0, "colour"]),
        ({"scenarios": [{"name": "baseline"}]}, ["body", "scenarios"]),
        ({"schedule_time_limit_seconds": 0}, ["body", "schedule_time_limit_seconds"]),
    ],
    ids=["none", "negative-factor", "bad-clock", "unknown-field", "baseline-twice", "time-limit"],
)
def test_bad_fields_are_422_naming_the_field(client: TestClient, patch: dict, loc: list) -> None:
    body = {"forecast_id": _forecast_id(client), "scenarios": [{"name": "a"}], **patch}
    answer = client.post("/scenarios", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == loc


def test_planner_error_fails_the_job_with_its_message(client: TestClient) -> None:
    body = {
        "forecast_id": _forecast_id(client),
        "scenarios": [{"name": "no AHT", "aht_factor": 0}],
    }
    job = finish_job(client, client.post("/scenarios", json=body).json()["id"])
    assert job["status"] == "failed"
    assert (
        job["error"]
        == "scenario 'no AHT': AHT becomes 0.0 s at 2026-03-02 08:00:00+01:00; expected > 0"
    )


def test_bad_rules_are_422_at_submit(client: TestClient) -> None:
    body = {
        "forecast_id": _forecast_id(client),
        "scenarios": [{"name": "a"}],
        "rules": {"shift_templates": 5},
    }
    detail = client.post("/scenarios", json=body).json()["detail"][0]
    assert detail["loc"] == ["body", "rules"] and "shift_templates" in detail["msg"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"forecast_id": "nope"}, "forecast_id"), ({"roster_id": "nope"}, "roster_id")],
    ids=["forecast", "roster"],
)
def test_unknown_ids_are_404(client: TestClient, body: dict, field: str) -> None:
    payload = {"forecast_id": _forecast_id(client), "scenarios": [{"name": "a"}], **body}
    answer = client.post("/scenarios", json=payload)
    assert answer.status_code == 404 and answer.json()["detail"].startswith(field)
    assert client.get("/scenarios/nope").status_code == 404
