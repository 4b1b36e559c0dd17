"""Forecast routes: a job over planner.forecast.forecast_history, stored versions, limits."""

from __future__ import annotations

import io
import typing
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app
from api.schemas.forecasts import ForecastMethodName
from planner.errors import ConfigError
from planner.forecast import METHODS
from tests.api_helpers import finish_job


def _history(weeks: int = 8) -> pd.DataFrame:
    """Mon-Sat 08:00-18:00 at 30 minutes, a smooth daily shape; deterministic."""
    days = pd.date_range("2026-01-05", periods=7 * weeks, freq="D")
    days = days[days.day_of_week < 6]
    offsets = pd.to_timedelta(np.arange(8 * 60, 18 * 60, 30), unit="min")
    starts = (days.values[:, None] + offsets.values[None, :]).ravel()
    minute = np.tile(np.arange(20) * 30, len(days))
    calls = 20 + 10 * np.sin(minute / 600 * np.pi) + np.repeat(days.day_of_week, 20)
    return pd.DataFrame(
        {
            "queue": "billing",
            "interval_start": pd.DatetimeIndex(starts).tz_localize("Europe/Paris"),
            "calls_offered": calls,
            "aht_seconds": 300.0,
        }
    )


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}", max_fit_seconds=60)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _upload(client: TestClient, history: pd.DataFrame) -> str:
    buffer = io.BytesIO()
    history.to_parquet(buffer, index=False)
    answer = client.post("/history/upload", files={"file": ("h.parquet", buffer.getvalue())})
    assert answer.status_code == 201, answer.text
    return answer.json()["history"]["id"]


@pytest.mark.parametrize("method", ["auto", "mean-last-weeks"], ids=["auto", "named"])
def test_forecast_job_stores_a_forecast_version(client: TestClient, method: str) -> None:
    history_id = _upload(client, _history())
    accepted = client.post(
        "/forecasts", json={"history_id": history_id, "horizon_days": 7, "method": method}
    )
    assert accepted.status_code == 202 and accepted.json()["kind"] == "forecast"
    job = finish_job(client, accepted.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    forecast_id = job["result"]["forecast_id"]
    forecast = client.get(f"/forecasts/{forecast_id}").json()
    assert forecast["forecast"]["parent_id"] == history_id
    assert forecast["forecast"]["interval_minutes"] == 30
    assert [c["queue"] for c in forecast["choices"]] == ["billing"]
    if method == "auto":
        assert forecast["choices"][0]["scores"]  # the backtest behind the choice is kept
    else:
        assert forecast["choices"][0]["reason"] == "method given"
    rows = client.get(f"/forecasts/{forecast_id}/rows", params={"limit": 10_000}).json()
    assert rows["total"] == job["result"]["rows"] == forecast["forecast"]["n_rows"] > 0
    first = pd.Timestamp(rows["rows"][0]["interval_start"])
    assert first >= pd.Timestamp("2026-03-02T00:00:00+01:00")  # starts after the history ends
    assert all(r["calls_lower"] <= r["calls_forecast"] <= r["calls_upper"] for r in rows["rows"])
    assert [f["id"] for f in client.get("/forecasts").json()] == [forecast_id]


def test_fit_time_limit_is_capped_by_the_server(client: TestClient) -> None:
    history_id = _upload(client, _history())
    accepted = client.post(
        "/forecasts", json={"history_id": history_id, "horizon_days": 7, "time_limit_seconds": 3600}
    )
    assert accepted.json()["params"]["time_limit_seconds_applied"] == 60  # max_fit_seconds


def test_fit_over_its_time_budget_fails_naming_the_limit(client: TestClient) -> None:
    history_id = _upload(client, _history())
    accepted = client.post(
        "/forecasts", json={"history_id": history_id, "horizon_days": 7, "time_limit_seconds": 1e-6}
    )
    job = finish_job(client, accepted.json()["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("time_limit_seconds: the forecast fit ran over its budget")
    assert "PLANNER_MAX_FIT_SECONDS" in job["error"]


def test_planner_error_in_the_job_fails_it_with_the_planner_message(client: TestClient) -> None:
    short = _history(weeks=1).iloc[:20]  # one day: every method needs a week
    history_id = _upload(client, short)
    accepted = client.post(
        "/forecasts", json={"history_id": history_id, "horizon_days": 7, "method": "topdown"}
    )
    job = finish_job(client, accepted.json()["id"])
    assert job["status"] == "failed"
    assert job["error"] == "history queue 'billing': 1 open days, TopDown needs at least 7"


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"horizon_days": 0}, ["body", "horizon_days"]),
        ({"horizon_days": 400}, ["body", "horizon_days"]),
        ({"method": "crystal-ball"}, ["body", "method"]),
        ({"candidates": ["prophet", "tea-leaves"]}, ["body", "candidates", 1]),
        ({"country_holidays": "england"}, ["body", "country_holidays"]),
        ({"time_limit_seconds": 0}, ["body", "time_limit_seconds"]),
        ({"colour": "red"}, ["body", "colour"]),
    ],
    ids=["horizon-zero", "horizon-over", "method", "candidate", "country", "time-limit", "extra"],
)
def test_bad_fields_are_422_naming_the_field(client: TestClient, patch: dict, loc: list) -> None:
    answer = client.post("/forecasts", json={"history_id": "x", "horizon_days": 7, **patch})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][: len(loc)] == loc


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/forecasts"), ("get", "/forecasts/nope"), ("get", "/forecasts/nope/rows")],
    ids=["unknown-history", "unknown-forecast", "unknown-forecast-rows"],
)
def test_unknown_ids_are_404_naming_the_id(client: TestClient, method: str, path: str) -> None:
    if method == "post":
        answer = client.post(path, json={"history_id": "nope", "horizon_days": 7})
        assert answer.status_code == 404 and "history_id" in answer.json()["detail"]
    else:
        answer = client.get(path)
        assert answer.status_code == 404 and "forecast_id" in answer.json()["detail"]


def test_method_names_match_the_planner() -> None:
    assert set(typing.get_args(ForecastMethodName)) == set(METHODS)


# --- the scale-out backend (planner.parallel): PLANNER_WORKERS / PLANNER_DASK_ADDRESS -----------


def _centre() -> pd.DataFrame:
    """Queues 'billing' and 'sales' (8 weeks) and 'short' (one day: every method needs a week)."""
    base = _history()
    return pd.concat(
        [
            base,
            base.assign(queue="sales", calls_offered=2 * base["calls_offered"] + 1),
            base.iloc[:20].assign(queue="short"),
        ],
        ignore_index=True,
    )


def _stored_rows(client: TestClient, forecast_id: str) -> pd.DataFrame:
    rows = client.get(f"/forecasts/{forecast_id}/rows", params={"limit": 10_000}).json()
    assert rows["total"] == len(rows["rows"])
    return pd.DataFrame(rows["rows"])


@pytest.mark.slow  # starts a 2-process spawn pool (several seconds on a loaded machine)
def test_one_and_two_workers_store_the_same_forecast_and_name_the_failed_queue(tmp_path) -> None:
    from planner.forecast import forecast_history

    centre = _centre()
    stored = {}
    for workers, backend in ((1, "in-process"), (2, "processes")):
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / f'w{workers}.sqlite3'}",
            max_fit_seconds=300,
            workers=workers,
        )
        with TestClient(create_app(settings)) as client:
            history_id = _upload(client, centre)
            accepted = client.post(
                "/forecasts",
                json={"history_id": history_id, "horizon_days": 7, "method": "mean-last-weeks"},
            )
            job = finish_job(client, accepted.json()["id"], timeout_s=180)
            assert job["status"] == "succeeded", job["error"]
            result = job["result"]
            assert (result["backend"], result["workers"], result["queues"]) == (backend, workers, 3)
            [failed] = result["failed_queues"]
            assert (failed["queue"], failed["error_type"]) == ("short", "InputError")
            assert "short" in failed["message"]
            forecast = client.get(f"/forecasts/{result['forecast_id']}").json()
            assert [c["queue"] for c in forecast["choices"]] == ["billing", "sales"]
            stored[workers] = _stored_rows(client, result["forecast_id"])
    pd.testing.assert_frame_equal(stored[1], stored[2])
    # the other queues' forecasts are kept, and are what the one-process planner gives them
    reference = forecast_history(
        centre[centre["queue"] != "short"], 7, method="mean-last-weeks"
    ).frame
    assert stored[1]["queue"].tolist() == reference["queue"].tolist()
    np.testing.assert_allclose(
        stored[1]["calls_forecast"], reference["calls_forecast"], rtol=1e-12, atol=1e-9
    )


def test_every_queue_failing_fails_the_job_naming_each_queue(client: TestClient) -> None:
    centre = _centre()
    two_short = pd.concat(
        [centre[centre["queue"] == "short"], centre.iloc[:40].assign(queue="tiny")],
        ignore_index=True,
    )
    history_id = _upload(client, two_short)
    accepted = client.post(
        "/forecasts",
        json={"history_id": history_id, "horizon_days": 7, "method": "mean-last-weeks"},
    )
    job = finish_job(client, accepted.json()["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("2 of 2 queues failed: queue 'short': InputError: ")
    assert "queue 'tiny': InputError: " in job["error"]


def test_unreachable_dask_scheduler_fails_the_job_naming_it(tmp_path, monkeypatch) -> None:
    pytest.importorskip("distributed")
    from planner import parallel

    monkeypatch.setattr(parallel, "DASK_CONNECT_TIMEOUT_SECONDS", 1.0)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'd.sqlite3'}", dask_address="tcp://127.0.0.1:9"
    )
    with TestClient(create_app(settings)) as client:
        history_id = _upload(client, _history())
        accepted = client.post("/forecasts", json={"history_id": history_id, "horizon_days": 7})
        job = finish_job(client, accepted.json()["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("cannot connect to the Dask scheduler at 'tcp://127.0.0.1:9'")


@pytest.mark.parametrize(
    ("environ", "workers", "dask_address"),
    [
        ({}, None, None),
        ({"PLANNER_WORKERS": "auto"}, None, None),
        ({"PLANNER_WORKERS": "0"}, 0, None),
        ({"PLANNER_WORKERS": "3"}, 3, None),
        ({"PLANNER_DASK_ADDRESS": " tcp://10.0.0.5:8786 "}, None, "tcp://10.0.0.5:8786"),
    ],
    ids=["unset", "auto", "cores", "three", "dask"],
)
def test_scale_out_settings(environ, workers, dask_address) -> None:
    settings = Settings.from_env(environ)
    assert (settings.workers, settings.dask_address) == (workers, dask_address)


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        ({"PLANNER_WORKERS": "-1"}, "PLANNER_WORKERS must be auto, 0 .* got '-1'"),
        ({"PLANNER_WORKERS": "many"}, "PLANNER_WORKERS must be auto, 0 .* got 'many'"),
        (
            {"PLANNER_WORKERS": "2", "PLANNER_DASK_ADDRESS": "tcp://h:8786"},
            "PLANNER_WORKERS=2 and PLANNER_DASK_ADDRESS='tcp://h:8786' are both set",
        ),
    ],
    ids=["negative", "not-a-number", "both-backends"],
)
def test_bad_scale_out_settings(environ, match) -> None:
    with pytest.raises(ConfigError, match=match):
        Settings.from_env(environ)
