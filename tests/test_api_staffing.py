"""Staffing route: planner.staffing.required_agents behind POST /staffing, stored results."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app
from planner.staffing import StaffingTargets, required_agents

STARTS = pd.date_range("2026-03-02 08:00", periods=8, freq="15min", tz="Europe/Paris")
CALLS = [0.0, 10.0, 40.0, 80.0, 120.0, 90.0, 30.0, 5.0]


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'st.sqlite3'}", max_rows=100)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _rows() -> list[dict]:
    return [
        {
            "queue": "billing",
            "interval_start": t.isoformat(),
            "calls_forecast": c,
            "aht_seconds_forecast": 240.0,
        }
        for t, c in zip(STARTS, CALLS, strict=True)
    ]


def test_erlang_c_requirements_match_the_library_and_are_stored(client: TestClient) -> None:
    answer = client.post(
        "/staffing",
        json={"rows": _rows(), "shrinkage": 0.3, "timezone": "Europe/Paris", "name": "mon"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    frame = pd.DataFrame(
        {
            "queue": "billing",
            "interval_start": STARTS,
            "calls_forecast": CALLS,
            "aht_seconds_forecast": 240.0,
        }
    )
    expected = required_agents(frame, StaffingTargets(), shrinkage=0.3)  # the API adds no maths
    assert [r["agents_required"] for r in body["rows"]] == expected["agents_required"].tolist()
    assert [r["agents_to_schedule"] for r in body["rows"]] == expected[
        "agents_to_schedule"
    ].tolist()
    assert all(r["abandon_rate"] is None for r in body["rows"])  # Erlang C models no abandonment
    assert body["rows"][0]["interval_start"] == "2026-03-02T08:00:00+01:00"
    assert body["requirements"]["n_rows"] == 8 and body["requirements"]["name"] == "mon"
    requirements_id = body["requirements"]["id"]
    assert client.get(f"/staffing/{requirements_id}").json() == body
    assert [r["id"] for r in client.get("/staffing").json()] == [requirements_id]


def test_erlang_a_with_abandon_target(client: TestClient) -> None:
    answer = client.post(
        "/staffing",
        json={
            "rows": _rows(),
            "model": "erlang-a",
            "patience_seconds": 90,
            "max_abandon_rate": 0.05,
        },
    )
    assert answer.status_code == 201, answer.text
    rows = answer.json()["rows"]
    busy = [r for r in rows if r["calls_forecast"] > 0]
    assert all(r["abandon_rate"] <= 0.05 for r in busy)
    assert all(r["service_level"] >= 0.8 for r in busy)


def test_staffing_a_stored_forecast(client: TestClient) -> None:
    forecast = pd.DataFrame(
        {
            "queue": "billing",
            "interval_start": STARTS,
            "calls_forecast": CALLS,
            "calls_lower": CALLS,
            "calls_upper": CALLS,
            "aht_seconds_forecast": 240.0,
            "method": "test",
        }
    )
    record = client.app.state.storage.save_frame(
        "forecast", forecast, name="f", interval_minutes=15
    )
    answer = client.post("/staffing", json={"forecast_id": record.id})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["requirements"]["parent_id"] == record.id
    assert body["rows"][0]["interval_start"] == "2026-03-02T08:00:00+01:00"  # the forecast's zone


@pytest.mark.parametrize(
    ("patch", "loc", "match"),
    [
        ({"service_level_target": 80}, ["body", "service_level_target"], "less than or equal to 1"),
        ({"shrinkage": 1.0}, ["body", "shrinkage"], "less than 1"),
        ({"model": "erlang-b"}, ["body", "model"], "erlang-c"),
        ({"min_agents": -1}, ["body", "min_agents"], "greater than or equal to 0"),
        ({"interval_minutes": 20}, ["body", "interval_minutes"], "5"),
        ({"forecast_id": "x"}, ["body"], "exactly one of rows or forecast_id"),
        ({"timezone": "Europe/Atlantis"}, ["body", "timezone"], "IANA time zone"),
        ({"colour": "red"}, ["body", "colour"], "Extra inputs"),
    ],
    ids=[
        "sl-percent",
        "shrinkage",
        "model",
        "min-agents",
        "interval",
        "two-sources",
        "timezone",
        "extra",
    ],
)
def test_bad_fields_are_422_naming_the_field(
    client: TestClient, patch: dict, loc: list, match: str
) -> None:
    answer = client.post("/staffing", json={"rows": _rows(), **patch})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == loc and match in detail["msg"]


@pytest.mark.parametrize(
    ("patch", "match"),
    [
        ({"model": "erlang-a"}, "patience_seconds"),
        ({"max_abandon_rate": 0.05}, "max_abandon_rate needs model='erlang-a'"),
        ({"service_level_target": None}, "target"),
    ],
    ids=["erlang-a-without-patience", "abandon-with-erlang-c", "no-target"],
)
def test_planner_errors_are_422_with_the_planner_message(
    client: TestClient, patch: dict, match: str
) -> None:
    answer = client.post("/staffing", json={"rows": _rows(), **patch})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert (
        detail["type"] == "planner_error"
        and detail["loc"] == ["body", "rows"]
        and match in detail["msg"]
    )


def test_row_errors_name_row_and_field(client: TestClient) -> None:
    rows = _rows()
    rows[3]["calls_forecast"] = -5
    rows[5]["interval_start"] = "2026-03-02T09:15:00"
    detail = client.post("/staffing", json={"rows": rows}).json()["detail"]
    assert [d["loc"] for d in detail] == [
        ["body", "rows", 3, "calls_forecast"],
        ["body", "rows", 5, "interval_start"],
    ]


def test_too_many_rows_is_413(client: TestClient) -> None:
    rows = [
        {"interval_start": t.isoformat(), "calls_forecast": 1.0, "aht_seconds_forecast": 200.0}
        for t in pd.date_range("2026-03-02", periods=101, freq="15min", tz="UTC")
    ]
    answer = client.post("/staffing", json={"rows": rows})
    assert answer.status_code == 413
    assert (
        answer.json()["detail"]
        == "rows: must hold at most 100 rows per request (PLANNER_MAX_ROWS), got 101"
    )


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert "forecast_id" in client.post("/staffing", json={"forecast_id": "nope"}).json()["detail"]
    assert "requirements_id" in client.get("/staffing/nope").json()["detail"]
