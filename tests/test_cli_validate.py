"""Tests of ``planner validate HISTORY`` (planner/cli.py over planner/io.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the console entry point; return (exit status, stdout, stderr)."""
    try:
        main(argv)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_history(tmp_path: Path, drop_day: str | None = "2024-01-10") -> Path:
    """Two queues, weekdays 08:00-10:00 every 30 min, 3 weeks; optionally one weekday missing."""
    days = [d for d in pd.date_range("2024-01-01", "2024-01-19", freq="D") if d.day_of_week < 5]
    rows = []
    for queue, aht in (("sales", 200), ("support", 400)):
        for day in days:
            if drop_day is not None and day == pd.Timestamp(drop_day):
                continue
            for slot in pd.date_range(day + pd.Timedelta(hours=8), periods=4, freq="30min"):
                rows.append(f"{queue},{slot:%Y-%m-%d %H:%M},10,{aht}")
    path = tmp_path / "history.csv"
    path.write_text("skill,timestamp,volume,aht\n" + "\n".join(rows) + "\n")
    return path


def test_validate_prints_summary_gaps_and_notes(tmp_path, capsys):
    path = write_history(tmp_path)
    status, out, err = run(["validate", str(path), "--tz", "Europe/London"], capsys)
    assert status == 0, err
    assert "30-minute intervals" in out
    assert "sales" in out and "support" in out
    # 14 days with data per queue, 56 rows each, one missing day each
    assert "gaps: 2 missing days, 0 runs of missing intervals (0 intervals)" in out
    assert "2024-01-10 08:00" in out
    assert "note: column 'skill' read as queue" in out
    assert "note: interval length inferred as 30 minutes" in out
    assert "200.0" in out and "400.0" in out  # calls-weighted AHT per queue


def test_validate_map_option(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text("when,n\n2024-01-01 08:00,1\n2024-01-01 08:15,2\n")
    status, out, err = run(
        [
            "validate",
            str(path),
            "--tz",
            "UTC",
            "--map",
            "when=interval_start",
            "--map",
            "n=calls_offered",
        ],
        capsys,
    )
    assert status == 0, err
    assert "column 'when' read as interval_start (column_map)" in out


@pytest.mark.parametrize(
    ("content", "args", "match"),
    [
        ("timestamp,calls\n2024-01-01 08:00,1\n", [], "has no UTC offset"),
        (
            "timestamp,calls\n2024-01-01 08:00,-4\n",
            ["--tz", "UTC"],
            "calls_offered (column 'calls') must be >= 0, got -4",
        ),
        (
            "timestamp,queue\n2024-01-01 08:00,a\n",
            ["--tz", "UTC"],
            "required column calls_offered is missing",
        ),
        ("", ["--tz", "UTC"], "file is empty"),
        (
            "timestamp,calls\n2024-01-01 08:00,1\n",
            ["--tz", "UTC", "--map", "calls"],
            "--map must be COLUMN=PLANNER_COLUMN",
        ),
    ],
    ids=["no-tz", "negative", "missing-column", "empty", "bad-map"],
)
def test_validate_bad_input_exits_2(tmp_path, capsys, content, args, match):
    path = tmp_path / "history.csv"
    path.write_text(content)
    status, out, err = run(["validate", str(path), *args], capsys)
    assert status == 2
    assert err.startswith("planner: error: ")
    assert match in err
    assert "Traceback" not in err


def test_validate_missing_file_exits_2(tmp_path, capsys):
    status, _, err = run(["validate", str(tmp_path / "nope.csv"), "--tz", "UTC"], capsys)
    assert status == 2
    assert "nope.csv: file not found" in err
