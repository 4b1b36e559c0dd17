"""Accuracy route: stored forecast against a stored history upload, via planner.accuracy."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app

STARTS = pd.date_range("2026-03-02 08:00", periods=20, freq="30min", tz="Europe/Paris")
ACTUAL = np.arange(20, dtype=float) + 10.0
FORECAST = ACTUAL * 1.1  # 10 % over-forecast in every interval


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}"))) as c:
        yield c


def _ids(client: TestClient) -> tuple[str, str]:
    history = pd.DataFrame(
        {
            "queue": "billing",
            "interval_start": STARTS,
            "calls_offered": ACTUAL,
            "aht_seconds": 300.0,
        }
    )
    buffer = io.BytesIO()
    history.to_parquet(buffer, index=False)
    history_id = client.post(
        "/history/upload", files={"file": ("h.parquet", buffer.getvalue())}
    ).json()["history"]["id"]
    forecast = pd.DataFrame(
        {
            "queue": "billing",
            "interval_start": STARTS,
            "calls_forecast": FORECAST,
            "calls_lower": FORECAST,
            "calls_upper": FORECAST,
            "aht_seconds_forecast": 300.0,
            "method": "test",
        }
    )
    forecast_id = client.app.state.storage.save_frame(
        "forecast", forecast, name="f", interval_minutes=30
    ).id
    return forecast_id, history_id


def test_accuracy_scores_a_stored_forecast(client: TestClient) -> None:
    forecast_id, history_id = _ids(client)
    answer = client.post("/accuracy", json={"forecast_id": forecast_id, "history_id": history_id})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    interval = next(
        s for s in body["scores"] if s["level"] == "interval" and s["queue"] == "billing"
    )
    # every interval is 10 % over: WAPE = sum|f - a| / sum a = 0.1 and bias = +0.1 by definition
    assert interval["wape"] == pytest.approx(0.1, abs=1e-9)
    assert interval["bias"] == pytest.approx(0.1, abs=1e-9)
    assert body["daily"][0]["period"] == "2026-03-02"
    assert body["planned_vs_achieved"] is None and body["notes"]
    assert body["accuracy"]["parent_id"] == forecast_id
    assert client.get(f"/accuracy/{body['accuracy']['id']}").json() == body
    assert len(client.get("/accuracy").json()) == 1


def test_actuals_of_another_queue_are_422_with_the_planner_message(client: TestClient) -> None:
    forecast_id, _ = _ids(client)
    later = pd.DataFrame(
        {"interval_start": STARTS + pd.Timedelta(days=30), "calls_offered": ACTUAL}
    )
    buffer = io.BytesIO()
    later.to_parquet(buffer, index=False)
    other = client.post("/history/upload", files={"file": ("l.parquet", buffer.getvalue())}).json()[
        "history"
    ]["id"]
    answer = client.post("/accuracy", json={"forecast_id": forecast_id, "history_id": other})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"].startswith("forecast and history share no queue")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"forecast_id": "nope", "history_id": "x"}, "forecast_id"),
        ({"history_id": "nope"}, "history_id"),
        ({"history_id": None, "roster_id": "nope"}, "roster_id"),
    ],
    ids=["forecast", "history", "roster"],
)
def test_unknown_ids_are_404_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    forecast_id, history_id = _ids(client)
    payload = {"forecast_id": forecast_id, "history_id": history_id, **body}
    if payload["history_id"] is None:
        payload["history_id"] = history_id
    answer = client.post("/accuracy", json=payload)
    assert answer.status_code == 404 and answer.json()["detail"].startswith(field)


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"shrinkage": 1}, ["body", "shrinkage"]),
        ({"model": "x"}, ["body", "model"]),
        ({"extra": 1}, ["body", "extra"]),
    ],
    ids=["shrinkage", "model", "extra"],
)
def test_bad_fields_are_422(client: TestClient, patch: dict, loc: list) -> None:
    answer = client.post("/accuracy", json={"forecast_id": "a", "history_id": "b", **patch})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == loc
