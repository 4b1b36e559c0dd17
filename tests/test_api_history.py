"""History routes: JSON rows and file uploads validated by planner.io, stored, read back."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", max_rows=500)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _rows(n: int = 40, *, naive: bool = False, queue: str = "billing") -> list[dict]:
    starts = pd.date_range("2026-03-02 08:00", periods=n, freq="15min", tz="Europe/Paris")
    return [
        {
            "queue": queue,
            "interval_start": (t.tz_localize(None) if naive else t).isoformat(),
            "calls_offered": float(10 + i % 7),
            "aht_seconds": 300.0,
        }
        for i, t in enumerate(starts)
    ]


def test_json_rows_are_validated_stored_and_read_back(client: TestClient) -> None:
    rows = _rows(40) + _rows(40, queue="sales")
    answer = client.post("/history", json={"name": "march", "rows": rows})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["interval_minutes"] == 15 and body["gaps_total"] == 0
    assert body["history"]["n_rows"] == 80 and body["history"]["queues"] == ["billing", "sales"]
    assert any("15 minutes" in note for note in body["notes"])
    history_id = body["history"]["id"]
    assert client.get(f"/history/{history_id}").json() == body
    assert [h["id"] for h in client.get("/history").json()] == [history_id]
    page = client.get(
        f"/history/{history_id}/rows", params={"queue": "sales", "limit": 2, "offset": 1}
    ).json()
    assert page["total"] == 40 and page["offset"] == 1
    assert [r["calls_offered"] for r in page["rows"]] == [11.0, 12.0]
    assert page["rows"][0]["interval_start"] == "2026-03-02T08:15:00+01:00"
    assert page["rows"][0]["calls_answered"] is None


def test_naive_rows_with_timezone_are_localised(client: TestClient) -> None:
    answer = client.post(
        "/history", json={"name": "naive", "timezone": "Europe/Paris", "rows": _rows(8, naive=True)}
    )
    assert answer.status_code == 201, answer.text
    history_id = answer.json()["history"]["id"]
    first = client.get(f"/history/{history_id}/rows", params={"limit": 1}).json()["rows"][0]
    assert first["interval_start"] == "2026-03-02T08:00:00+01:00"


def test_gaps_are_reported(client: TestClient) -> None:
    rows = _rows(40)
    del rows[10:13]
    body = client.post("/history", json={"name": "gappy", "rows": rows}).json()
    assert body["gaps_total"] == 1
    assert body["gaps"][0]["missing_intervals"] == 3 and body["gaps"][0]["queue"] == "billing"


@pytest.mark.parametrize(
    ("mutate", "loc", "match"),
    [
        (
            lambda b: b["rows"][3].update(calls_offered=-1),
            ["body", "rows", 3, "calls_offered"],
            "greater than or equal",
        ),
        (
            lambda b: b["rows"][0].update(colour="red"),
            ["body", "rows", 0, "colour"],
            "Extra inputs",
        ),
        (
            lambda b: b["rows"][1].update(interval_start="yesterday"),
            ["body", "rows", 1, "interval_start"],
            "datetime",
        ),
        (lambda b: b.update(rows=[]), ["body", "rows"], "at least 1"),
        (lambda b: b.pop("name"), ["body", "name"], "required"),
        (
            lambda b: b["rows"][2].update(aht_seconds=1e9),
            ["body", "rows", 2, "aht_seconds"],
            "less than or equal",
        ),
        (
            lambda b: b["rows"][4].update(interval_start="0093-08-28T07:49:13Z"),
            ["body", "rows", 4, "interval_start"],
            "years 1900 to 2199",
        ),
    ],
    ids=[
        "negative-calls",
        "unknown-column",
        "bad-timestamp",
        "no-rows",
        "no-name",
        "aht-over-bound",
        "year-0093",
    ],
)
def test_bad_fields_are_422_naming_the_field(
    client: TestClient, mutate, loc: list, match: str
) -> None:
    body = {"name": "bad", "rows": _rows(8)}
    mutate(body)
    answer = client.post("/history", json=body)
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == loc and match in detail["msg"]


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"name": "x", "rows": _rows(8, naive=True)}, "interval_start has no UTC offset"),
        (
            {"name": "x", "timezone": "Mars/Olympus", "rows": _rows(8, naive=True)},
            "unknown time zone 'Mars/Olympus'",
        ),
        ({"name": "x", "rows": _rows(8) + _rows(1)}, "duplicate \\(queue, interval_start\\)"),
    ],
    ids=["naive-without-timezone", "unknown-timezone", "duplicate-interval"],
)
def test_planner_errors_are_422_with_the_planner_message(
    client: TestClient, body: dict, match: str
) -> None:
    answer = client.post("/history", json=body)
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["type"] == "planner_error" and detail["loc"] == ["body", "rows"]
    assert re.search(match, detail["msg"]), detail["msg"]


def test_too_many_rows_is_413_naming_rows(client: TestClient) -> None:
    answer = client.post("/history", json={"name": "big", "rows": _rows(501)})
    assert answer.status_code == 413
    assert (
        answer.json()["detail"]
        == "rows: must hold at most 500 rows per request (PLANNER_MAX_ROWS), got 501"
    )


def _csv(n: int = 48) -> bytes:
    starts = pd.date_range("2026-03-02 08:00", periods=n, freq="30min", tz="UTC")
    return (
        "timestamp;calls_offered\n"
        + "".join(f"{t.isoformat()};{i % 5}\n" for i, t in enumerate(starts))
    ).encode()


def test_csv_file_upload_uses_the_loader(client: TestClient) -> None:
    answer = client.post(
        "/history/upload",
        files={"file": ("week 1.csv", _csv(), "text/csv")},
        data={"name": "week one", "timezone": "Europe/London"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["interval_minutes"] == 30 and body["history"]["name"] == "week one"
    assert body["history"]["queues"] == ["default"]
    assert body["history"]["params"]["filename"] == "week_1.csv"
    assert any("timestamp" in note for note in body["notes"])  # alias renamed by planner.io


def test_parquet_file_upload(client: TestClient) -> None:
    frame = pd.DataFrame(
        {
            "queue": "chat",
            "interval_start": pd.date_range("2026-03-02", periods=24, freq="h", tz="UTC"),
            "calls_offered": 3.0,
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    answer = client.post("/history/upload", files={"file": ("h.parquet", buffer.getvalue())})
    assert answer.status_code == 201, answer.text
    assert (
        answer.json()["interval_minutes"] == 60 and answer.json()["history"]["name"] == "h.parquet"
    )


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"foo,bar\n1,2\n", "bad.csv: required column interval_start is missing"),
        (b"", "bad.csv"),
        (b"\x00\x01\x02garbage\xff" * 10, "bad.csv"),
        (
            b"interval_start,calls_offered\n0093-08-28T07:00:00Z,1\n0093-08-28T07:30:00Z,1\n",
            "bad.csv",
        ),
    ],
    ids=["missing-column", "empty-file", "binary-junk", "year-0093"],
)
def test_bad_files_are_422_naming_the_upload_not_a_temp_path(
    client: TestClient, content: bytes, match: str
) -> None:
    answer = client.post("/history/upload", files={"file": ("bad.csv", content)})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["body", "file"] and detail["msg"].startswith(match)
    assert "/tmp" not in detail["msg"] and "planner-upload" not in detail["msg"]


def test_file_with_too_many_rows_is_413(client: TestClient) -> None:
    answer = client.post("/history/upload", files={"file": ("big.csv", _csv(501))})
    assert answer.status_code == 413 and answer.json()["detail"].startswith(
        "file: must hold at most 500 rows"
    )


def test_missing_file_is_422(client: TestClient) -> None:
    answer = client.post("/history/upload", data={"name": "x"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "file"]


@pytest.mark.parametrize("path", ["/history/nope", "/history/nope/rows"], ids=["meta", "rows"])
def test_unknown_history_is_404_naming_history_id(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404 and "history_id" in answer.json()["detail"]
