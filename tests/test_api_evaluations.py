"""Evaluation route: planner.evaluate.evaluate_plan behind POST /evaluations, stored, read back."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app
from planner.evaluate import evaluate_plan


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'e.sqlite3'}", max_rows=100)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


STARTS = pd.date_range("2026-03-02 08:00", periods=4, freq="30min", tz="Europe/Paris")
CALLS = [50.0, 60.0, 70.0, 0.0]
AGENTS = [10, 12, 5, 0]


def _rows() -> list[dict]:
    return [
        {
            "queue": "billing",
            "interval_start": t.isoformat(),
            "calls_forecast": c,
            "aht_seconds_forecast": 300.0,
            "agents_scheduled": a,
        }
        for t, c, a in zip(STARTS, CALLS, AGENTS, strict=True)
    ]


def test_rows_are_evaluated_like_the_library_and_stored(client: TestClient) -> None:
    answer = client.post(
        "/evaluations", json={"rows": _rows(), "timezone": "Europe/Paris", "name": "mon"}
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    frame = pd.DataFrame(
        {
            "queue": "billing",
            "interval_start": STARTS,
            "calls_forecast": CALLS,
            "aht_seconds_forecast": 300.0,
            "agents_scheduled": AGENTS,
        }
    )
    expected = evaluate_plan(frame, "agents_scheduled")  # the API must add no maths of its own
    got = [row["service_level"] for row in body["intervals"]]
    assert got == pytest.approx(expected.intervals["service_level"].tolist(), abs=1e-12)
    assert body["intervals"][2]["asa_seconds"] is None  # 70 calls on 5 agents: unbounded wait
    assert body["intervals_missing_target"] == len(expected.missing_target)
    assert body["totals"][0]["service_level"] == pytest.approx(
        float(expected.totals["service_level"].iloc[0]), abs=1e-12
    )
    assert body["daily"][0]["period"] == "2026-03-02" and body["model"] == "erlang_c"
    assert body["intervals"][0]["interval_start"] == "2026-03-02T08:00:00+01:00"
    evaluation_id = body["evaluation"]["id"]
    assert client.get(f"/evaluations/{evaluation_id}").json() == body
    assert [e["id"] for e in client.get("/evaluations").json()] == [evaluation_id]


def test_erlang_a_with_patience(client: TestClient) -> None:
    answer = client.post(
        "/evaluations", json={"rows": _rows(), "model": "erlang-a", "patience_seconds": 120}
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["model"] == "erlang_a"
    assert all(0 <= row["abandon_rate"] <= 1 for row in body["intervals"])


@pytest.mark.parametrize(
    ("patch", "loc", "match"),
    [
        ({"shrinkage": 1.0}, ["body", "shrinkage"], "less than 1"),
        (
            {"service_level_target": 1.5},
            ["body", "service_level_target"],
            "less than or equal to 1",
        ),
        ({"answer_target_seconds": 0}, ["body", "answer_target_seconds"], "greater than 0"),
        ({"model": "erlang-z"}, ["body", "model"], "erlang-c"),
        ({"timezone": "Mars/Olympus"}, ["body", "timezone"], "IANA time zone"),
        ({"interval_minutes": 7}, ["body", "interval_minutes"], "5"),
        ({"forecast_id": "abc"}, ["body"], "either rows, or forecast_id"),
    ],
    ids=["shrinkage", "sl-target", "answer-target", "model", "timezone", "interval", "two-sources"],
)
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, patch: dict, loc: list, match: str
) -> None:
    answer = client.post("/evaluations", json={"rows": _rows(), **patch})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == loc and match in detail["msg"]


@pytest.mark.parametrize(
    ("row", "loc"),
    [
        ({"interval_start": "2026-03-02T08:00:00"}, ["body", "rows", 0, "interval_start"]),
        ({"agents_scheduled": -1}, ["body", "rows", 0, "agents_scheduled"]),
        ({"aht_seconds_forecast": 0}, ["body", "rows", 0, "aht_seconds_forecast"]),
        ({"agents_scheduled": 2.5}, ["body", "rows", 0, "agents_scheduled"]),
    ],
    ids=["naive-time", "negative-agents", "zero-aht", "fractional-agents"],
)
def test_bad_rows_are_422_naming_row_and_field(client: TestClient, row: dict, loc: list) -> None:
    rows = _rows()
    rows[0].update(row)
    answer = client.post("/evaluations", json={"rows": rows})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == loc


def test_planner_error_is_422_with_its_message(client: TestClient) -> None:
    answer = client.post("/evaluations", json={"rows": _rows(), "model": "erlang-a"})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["type"] == "planner_error" and detail["msg"].startswith(
        "patience_seconds is required"
    )


def test_too_many_rows_is_413(client: TestClient) -> None:
    rows = [
        {**_rows()[0], "interval_start": t.isoformat()}
        for t in pd.date_range("2026-03-02", periods=101, freq="30min", tz="UTC")
    ]
    answer = client.post("/evaluations", json={"rows": rows})
    assert answer.status_code == 413 and answer.json()["detail"].startswith(
        "rows: must hold at most 100 rows"
    )


def test_unknown_forecast_and_evaluation_are_404(client: TestClient) -> None:
    coverage = [{"interval_start": STARTS[0].isoformat(), "agents_scheduled": 3}]
    answer = client.post("/evaluations", json={"forecast_id": "nope", "coverage": coverage})
    assert answer.status_code == 404 and "forecast_id" in answer.json()["detail"]
    assert "evaluation_id" in client.get("/evaluations/nope").json()["detail"]


def test_stored_forecast_with_coverage(client: TestClient) -> None:
    storage = client.app.state.storage
    forecast = pd.DataFrame(
        {
            "queue": "billing",
            "interval_start": STARTS,
            "calls_forecast": CALLS,
            "calls_lower": CALLS,
            "calls_upper": CALLS,
            "aht_seconds_forecast": 300.0,
            "method": "test",
        }
    )
    record = storage.save_frame("forecast", forecast, name="f", interval_minutes=30)
    coverage = [
        {"queue": "billing", "interval_start": t.isoformat(), "agents_scheduled": a}
        for t, a in zip(STARTS[:3], AGENTS[:3], strict=True)
    ]
    answer = client.post("/evaluations", json={"forecast_id": record.id, "coverage": coverage})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["evaluation"]["parent_id"] == record.id
    assert [r["agents_scheduled"] for r in body["intervals"]] == AGENTS  # unlisted interval: 0
