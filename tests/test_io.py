"""Tests of the data layer (planner/io.py): reading, validating and writing long frames."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.io import (
    HistoryLoad,
    infer_interval_minutes,
    load_history,
    read_forecast,
    read_frame,
    read_history,
    summarise_history,
    validate_history,
    write_frame,
)

BANK_5MIN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "us_bank_2003_5min.csv"


def write_text(
    tmp_path: Path, text: str, name: str = "history.csv", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def weekday_centre(
    start: str = "2024-01-01",
    days: int = 21,
    open_time: str = "08:00",
    close_time: str = "18:00",
    minutes: int = 15,
    queues: tuple[str, ...] = ("sales",),
) -> pd.DataFrame:
    """Naive local history of a centre open Monday to Friday, ``open_time`` to ``close_time``."""
    frames = []
    for date in pd.date_range(start, periods=days, freq="D"):
        if date.day_of_week >= 5:
            continue
        stamps = pd.date_range(
            f"{date:%Y-%m-%d} {open_time}",
            f"{date:%Y-%m-%d} {close_time}",
            freq=f"{minutes}min",
            inclusive="left",
        )
        for queue in queues:
            frames.append(pd.DataFrame({"queue": queue, "interval_start": stamps}))
    frame = pd.concat(frames, ignore_index=True)
    frame["calls_offered"] = np.arange(len(frame)) % 7 + 1.0
    return frame


def to_csv(frame: pd.DataFrame, tmp_path: Path, name: str = "history.csv") -> Path:
    path = tmp_path / name
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    out.to_csv(path, index=False)
    return path


# ------------------------------------------------------------------------------------------------
# Column names
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_name", "calls_name", "aht_name"),
    [
        ("interval_start", "calls_offered", "aht_seconds"),
        ("timestamp", "calls", "aht"),
        ("ds", "y", "handle_time"),
        ("DateTime", "Volume", "AHT"),
        ("Date Time", "Offered", "aht_seconds"),
        ("interval", "contacts", "aht"),
        ("period_start", "calls", "aht"),
    ],
    ids=[
        "canonical",
        "timestamp-calls-aht",
        "prophet",
        "capitalised",
        "spaces",
        "interval",
        "period",
    ],
)
def test_alias_spellings_are_read_and_reported(tmp_path, time_name, calls_name, aht_name):
    path = write_text(
        tmp_path,
        f"{time_name},{calls_name},{aht_name}\n"
        "2024-01-01 08:00,10,300\n2024-01-01 08:15,12,310\n2024-01-01 08:30,9,290\n",
    )
    load = load_history(path, tz="Europe/London")
    assert list(load.frame.columns) == ["queue", "interval_start", "calls_offered", "aht_seconds"]
    assert load.frame["calls_offered"].tolist() == [10.0, 12.0, 9.0]
    assert load.frame["queue"].tolist() == ["default"] * 3
    if time_name != "interval_start":
        assert f"column {time_name!r} read as interval_start" in load.notes
    if calls_name != "calls_offered":
        assert f"column {calls_name!r} read as calls_offered" in load.notes
    assert "interval length inferred as 15 minutes" in load.notes


@pytest.mark.parametrize(
    "queue_name", ["queue", "skill", "split", "queue_name", "Skill Name"], ids=str
)
def test_queue_aliases_and_sorting(tmp_path, queue_name):
    path = write_text(
        tmp_path,
        f"{queue_name},timestamp,calls\n"
        "support,2024-01-01 08:15,3\nsales,2024-01-01 08:15,2\nsupport,2024-01-01 08:00,1\n"
        "sales,2024-01-01 08:00,4\n",
    )
    frame = read_history(path, tz="UTC")
    assert frame["queue"].tolist() == ["sales", "sales", "support", "support"]
    assert frame["calls_offered"].tolist() == [4.0, 2.0, 1.0, 3.0]
    assert isinstance(frame.index, pd.RangeIndex)


def test_numeric_queue_ids_keep_leading_zeros(tmp_path):
    path = write_text(
        tmp_path,
        "queue_id,ds,y\n007,2024-01-01 08:00,1\n007,2024-01-01 08:30,2\n010,2024-01-01 08:00,3\n",
    )
    frame = read_history(path, tz="UTC")
    assert sorted(frame["queue"].unique()) == ["007", "010"]


def test_column_map_renames_and_ignores(tmp_path):
    path = write_text(
        tmp_path,
        "when,n,timestamp\n2024-01-01 08:00,5,x\n2024-01-01 08:30,6,y\n",
    )
    load = load_history(
        path, tz="UTC", column_map={"when": "interval_start", "n": "calls_offered", "timestamp": ""}
    )
    assert load.frame["calls_offered"].tolist() == [5.0, 6.0]
    assert load.interval_minutes == 30
    assert "column 'when' read as interval_start (column_map)" in load.notes


def test_column_map_unknown_source_column(tmp_path):
    path = write_text(tmp_path, "ds,y\n2024-01-01 08:00,5\n2024-01-01 08:30,6\n")
    with pytest.raises(
        InputError, match=r"column_map names column 'when'.*found columns \['ds', 'y'\]"
    ):
        read_history(path, tz="UTC", column_map={"when": "interval_start"})


def test_column_map_unknown_target(tmp_path):
    path = write_text(tmp_path, "ds,y\n2024-01-01 08:00,5\n2024-01-01 08:30,6\n")
    with pytest.raises(
        InputError, match=r"maps 'y' to 'volume_count', which is not a column this file can have"
    ):
        read_history(path, tz="UTC", column_map={"y": "volume_count"})


def test_ambiguous_columns_are_an_error(tmp_path):
    path = write_text(tmp_path, "timestamp,ds,calls\n2024-01-01 08:00,2024-01-01 08:00,5\n")
    with pytest.raises(
        InputError, match=r"ambiguous columns: 'timestamp' and 'ds'.*interval_start"
    ):
        read_history(path, tz="UTC")


def test_ambiguous_resolved_by_ignoring_one(tmp_path):
    path = write_text(tmp_path, "timestamp,ds,calls\n2024-01-01 08:00,x,5\n2024-01-01 08:15,y,6\n")
    frame = read_history(path, tz="UTC", column_map={"ds": ""})
    assert len(frame) == 2


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("calls,queue\n5,a\n", "interval_start"),
        ("timestamp,queue\n2024-01-01 08:00,a\n", "calls_offered"),
    ],
    ids=["no-time", "no-volume"],
)
def test_missing_required_column_lists_what_was_found(tmp_path, header, missing):
    path = write_text(tmp_path, header)
    with pytest.raises(
        InputError, match=rf"required column {missing} is missing; found columns \["
    ):
        read_history(path, tz="UTC")


def test_unknown_columns_are_ignored_with_a_note(tmp_path):
    path = write_text(tmp_path, "ds,y,comment\n2024-01-01 08:00,5,a\n2024-01-01 08:15,6,b\n")
    load = load_history(path, tz="UTC")
    assert "ignored columns not used by the planner: ['comment']" in load.notes
    assert "comment" not in load.frame.columns


def test_duplicate_header_names(tmp_path):
    path = write_text(tmp_path, "ds,y,y\n2024-01-01 08:00,5,6\n")
    with pytest.raises(InputError, match=r"line 1: column 'y' appears more than once"):
        read_history(path, tz="UTC")


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------


def test_non_numeric_volume_names_file_line_column_value(tmp_path):
    path = write_text(
        tmp_path,
        "timestamp,calls\n2024-01-01 08:00,5\n2024-01-01 08:15,7\n2024-01-01 08:30,lots\n",
    )
    # header is line 1, so the third data row is line 4
    with pytest.raises(
        InputError,
        match=r"history\.csv line 4 \(data row 3\): calls_offered \(column 'calls'\) must be a number, got 'lots'",  # noqa: E501
    ):
        read_history(path, tz="UTC")


def test_negative_volume(tmp_path):
    path = write_text(
        tmp_path, "interval_start,calls_offered\n2024-01-01 08:00,5\n2024-01-01 08:15,-3\n"
    )
    with pytest.raises(
        InputError, match=r"line 3 \(data row 2\): calls_offered must be >= 0, got -3"
    ):
        read_history(path, tz="UTC")


@pytest.mark.parametrize("blank", ["", "NaN", "nan"], ids=["empty", "NaN", "nan"])
def test_missing_volume(tmp_path, blank):
    path = write_text(
        tmp_path, f"interval_start,calls_offered\n2024-01-01 08:00,5\n2024-01-01 08:15,{blank}\n"
    )
    with pytest.raises(InputError, match=r"line 3 \(data row 2\): calls_offered is missing"):
        read_history(path, tz="UTC")


def test_infinite_aht(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,calls_offered,aht_seconds\n2024-01-01 08:00,5,inf\n2024-01-01 08:15,5,300\n",  # noqa: E501
    )
    with pytest.raises(InputError, match=r"line 2 \(data row 1\): aht_seconds must be finite"):
        read_history(path, tz="UTC")


def test_optional_columns_may_be_blank_but_not_negative(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,calls_offered,aht_seconds,agents_staffed\n"
        "2024-01-01 08:00,0,,3\n2024-01-01 08:15,5,300,-1\n",
    )
    with pytest.raises(
        InputError, match=r"line 3 \(data row 2\): agents_staffed must be >= 0, got -1"
    ):
        read_history(path, tz="UTC")
    path = write_text(
        tmp_path,
        "interval_start,calls_offered,aht_seconds,agents_staffed\n"
        "2024-01-01 08:00,0,,3\n2024-01-01 08:15,5,300,4\n",
    )
    frame = read_history(path, tz="UTC")
    assert np.isnan(frame["aht_seconds"].iloc[0])
    assert frame["aht_seconds"].dtype == np.float64


@pytest.mark.parametrize(
    ("columns", "values", "match"),
    [
        (
            "calls_offered,calls_answered",
            "5,6",
            r"calls_answered must be <= calls_offered, got calls_answered=6 and calls_offered=5",
        ),
        ("calls_offered,calls_abandoned", "5,7", r"calls_abandoned must be <= calls_offered"),
        (
            "calls_offered,calls_answered,answered_within_target",
            "5,4,5",
            r"answered_within_target must be <= calls_answered",
        ),
        (
            "calls_offered,answered_within_target",
            "5,6",
            r"answered_within_target must be <= calls_offered",
        ),
    ],
    ids=["answered", "abandoned", "within-target-vs-answered", "within-target-vs-offered"],
)
def test_inconsistent_counts(tmp_path, columns, values, match):
    ok = ",".join(["1"] * len(columns.split(",")))
    path = write_text(
        tmp_path,
        f"interval_start,{columns}\n2024-01-01 08:00,{ok}\n2024-01-01 08:15,{values}\n",
    )
    with pytest.raises(InputError, match=r"line 3 \(data row 2\): " + match):
        read_history(path, tz="UTC")


def test_duplicate_queue_interval_names_both_rows(tmp_path):
    path = write_text(
        tmp_path,
        "queue,interval_start,calls_offered\n"
        "a,2024-01-01 08:00,1\nb,2024-01-01 08:00,1\na,2024-01-01 08:15,1\na,2024-01-01 08:00,2\n",
    )
    with pytest.raises(
        InputError,
        match=r"line 5 \(data row 4\): duplicate \(queue, interval_start\) \('a', 2024-01-01T08:00:00\+00:00\), "  # noqa: E501
        r"already on line 2 \(data row 1\)",
    ):
        read_history(path, tz="UTC")


def test_unparseable_timestamp(tmp_path):
    path = write_text(
        tmp_path, "interval_start,calls_offered\n2024-01-01 08:00,1\n2024-13-45 08:15,1\n"
    )
    with pytest.raises(
        InputError,
        match=r"line 3 \(data row 2\): interval_start could not be read as a date-time, got '2024-13-45 08:15'",  # noqa: E501
    ):
        read_history(path, tz="UTC")


def test_day_first_dates_are_not_guessed(tmp_path):
    path = write_text(
        tmp_path, "interval_start,calls_offered\n03/04/2024 08:00,1\n03/04/2024 08:15,1\n"
    )
    with pytest.raises(
        InputError,
        match=r"interval_start could not be read as a date-time, got '03/04/2024 08:00'.*ISO 8601",
    ):
        read_history(path, tz="UTC")


def test_numeric_timestamps_rejected(tmp_path):
    path = write_text(tmp_path, "interval_start,calls_offered\n1704096000,1\n1704096900,1\n")
    with pytest.raises(
        InputError,
        match=r"line 2 \(data row 1\): interval_start could not be read as a date-time, got '1704096000'",  # noqa: E501
    ):
        read_history(path, tz="UTC")
    raw = pd.DataFrame({"interval_start": [1704096000, 1704096900], "calls_offered": [1, 1]})
    with pytest.raises(
        InputError,
        match=r"upload row 1: interval_start must be a date-time.*got the number 1704096000",
    ):
        validate_history(raw, source="upload", tz="UTC")


def test_missing_timestamp(tmp_path):
    path = write_text(tmp_path, "interval_start,calls_offered\n2024-01-01 08:00,1\n,1\n")
    with pytest.raises(InputError, match=r"line 3 \(data row 2\): interval_start is missing"):
        read_history(path, tz="UTC")


# ------------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = write_text(tmp_path, "")
    with pytest.raises(InputError, match=r"history\.csv: file is empty \(0 bytes\)"):
        read_history(path, tz="UTC")


def test_header_only(tmp_path):
    path = write_text(tmp_path, "interval_start,calls_offered\n")
    with pytest.raises(InputError, match=r"has a header but no data rows"):
        read_history(path, tz="UTC")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nowhere\.csv: file not found"):
        read_history(tmp_path / "nowhere.csv", tz="UTC")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(InputError, match=r"is a folder"):
        read_history(tmp_path, tz="UTC")


def test_binary_junk_is_not_csv(tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(InputError, match=r"history\.csv: contains binary data, not CSV text"):
        read_history(path, tz="UTC")


def test_excel_workbook_is_not_csv(tmp_path):
    path = tmp_path / "history.csv"  # misnamed on purpose: the content decides
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(
        InputError, match=r"looks like an Excel workbook \(\.xlsx\).*save the sheet as CSV"
    ):
        read_history(path, tz="UTC")


def test_fake_parquet(tmp_path):
    path = write_text(tmp_path, "interval_start,calls_offered\n", name="history.parquet")
    with pytest.raises(InputError, match=r"history\.parquet: is not a Parquet file"):
        read_history(path, tz="UTC")


def test_ragged_csv(tmp_path):
    path = write_text(
        tmp_path, "interval_start,calls_offered\n2024-01-01 08:00,1\n2024-01-01 08:15,1,9,9\n"
    )
    with pytest.raises(InputError, match=r"could not be read as CSV"):
        read_history(path, tz="UTC")


def test_semicolon_separated_windows_1252(tmp_path):
    path = write_text(
        tmp_path,
        "Skill;Datum Zeit;Anrufe\nKundendienst Ü;2024-01-01 08:00;4\nKundendienst Ü;2024-01-01 08:15;6\n",  # noqa: E501
        encoding="cp1252",
        name="export.csv",
    )
    load = load_history(
        path,
        tz="Europe/Berlin",
        column_map={"Datum Zeit": "interval_start", "Anrufe": "calls_offered"},
    )
    assert load.frame["queue"].tolist() == ["Kundendienst Ü"] * 2
    assert any("';'" in note for note in load.notes)
    assert any("Windows-1252" in note for note in load.notes)


def test_parquet_input_naive_needs_tz(tmp_path):
    frame = weekday_centre(days=3)
    path = tmp_path / "history.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError, match=r"interval_start has no UTC offset.*--tz"):
        read_history(path)
    loaded = read_history(path, tz="Europe/London")
    assert len(loaded) == len(frame)
    assert str(loaded["interval_start"].dt.tz) == "Europe/London"


def test_parquet_row_numbers_are_data_rows(tmp_path):
    frame = weekday_centre(days=1)
    frame.loc[3, "calls_offered"] = -1.0
    path = tmp_path / "history.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError, match=r"history\.parquet row 4: calls_offered must be >= 0"):
        read_history(path, tz="UTC")


# ------------------------------------------------------------------------------------------------
# Time zones and DST
# ------------------------------------------------------------------------------------------------


def test_naive_without_tz_explains_tz(tmp_path):
    path = write_text(
        tmp_path, "interval_start,calls_offered\n2024-01-01 08:00,1\n2024-01-01 08:15,1\n"
    )
    with pytest.raises(InputError, match=r"interval_start has no UTC offset .* pass --tz"):
        read_history(path)


def test_unknown_time_zone(tmp_path):
    path = write_text(
        tmp_path, "interval_start,calls_offered\n2024-01-01 08:00,1\n2024-01-01 08:15,1\n"
    )
    with pytest.raises(InputError, match=r"unknown time zone 'Mars/Olympus'"):
        read_history(path, tz="Mars/Olympus")


def london_24h(start: str, end: str) -> list[str]:
    """Every local 15-minute clock time of a 24/7 queue in London, in the order the wall clock
    shows them (the repeated autumn hour twice, the skipped spring hour absent)."""
    utc = pd.date_range(start, end, freq="15min", tz="UTC", inclusive="left")
    return utc.tz_convert("Europe/London").strftime("%Y-%m-%d %H:%M").tolist()


def test_autumn_repeated_hour_read_in_order(tmp_path):
    # 2024-10-27: London clocks go back at 02:00 BST to 01:00 GMT, so 01:00-01:45 appear twice.
    stamps = london_24h("2024-10-26 12:00", "2024-10-27 12:00")
    assert stamps.count("2024-10-27 01:15") == 2
    body = "".join(f"{s},{i}\n" for i, s in enumerate(stamps))
    load = load_history(
        write_text(tmp_path, "interval_start,calls_offered\n" + body), tz="Europe/London"
    )
    starts = load.frame["interval_start"]
    steps = starts.dt.tz_convert("UTC").diff().dropna().unique()
    assert list(steps) == [pd.Timedelta(minutes=15)]
    assert load.frame["calls_offered"].tolist() == [float(i) for i in range(len(stamps))]
    assert load.interval_minutes == 15
    assert len(load.gaps) == 0
    first, second = np.flatnonzero(starts.dt.strftime("%Y-%m-%d %H:%M") == "2024-10-27 01:15")
    assert starts.iloc[first].utcoffset() == pd.Timedelta(hours=1)  # BST first
    assert starts.iloc[second].utcoffset() == pd.Timedelta(0)  # then GMT
    assert any("autumn DST hour" in note for note in load.notes)


def test_autumn_hour_resolved_per_queue(tmp_path):
    stamps = london_24h("2024-10-27 00:00", "2024-10-27 03:00")
    body = "".join(f"{q},{s},1\n" for q in ("a", "b") for s in stamps)
    frame = read_history(
        write_text(tmp_path, "queue,interval_start,calls_offered\n" + body), tz="Europe/London"
    )
    assert (frame.groupby("queue").size() == len(stamps)).all()


def test_spring_skipped_hour_is_not_a_gap(tmp_path):
    # 2024-03-31: London clocks jump from 01:00 GMT to 02:00 BST.
    stamps = london_24h("2024-03-30 12:00", "2024-03-31 12:00")
    assert "2024-03-31 01:30" not in stamps
    body = "".join(f"{s},1\n" for s in stamps)
    load = load_history(
        write_text(tmp_path, "interval_start,calls_offered\n" + body), tz="Europe/London"
    )
    assert load.interval_minutes == 15
    assert len(load.gaps) == 0


def test_nonexistent_local_time_names_row(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,calls_offered\n2024-03-31 00:45,1\n2024-03-31 01:00,1\n2024-03-31 01:15,1\n",  # noqa: E501
    )
    with pytest.raises(
        InputError,
        match=r"line 3 \(data row 2\): interval_start 2024-03-31 01:00:00 does not exist in Europe/London",  # noqa: E501
    ):
        read_history(path, tz="Europe/London")


def test_offsets_kept_or_converted(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,calls_offered\n2024-06-03T08:00:00+02:00,1\n2024-06-03T08:15:00+02:00,1\n",
    )
    kept = read_history(path)
    assert kept["interval_start"].iloc[0] == pd.Timestamp("2024-06-03 06:00", tz="UTC")
    assert kept["interval_start"].iloc[0].utcoffset() == pd.Timedelta(hours=2)
    converted = read_history(path, tz="Europe/London")
    assert str(converted["interval_start"].dt.tz) == "Europe/London"
    assert converted["interval_start"].iloc[0].hour == 7


def test_mixed_offsets_without_tz_use_most_common_offset(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,calls_offered\n2024-10-27T00:45:00+01:00,1\n2024-10-27T01:00:00+01:00,1\n"
        "2024-10-27T01:00:00+00:00,1\n2024-10-27T01:15:00+00:00,1\n2024-10-27T01:30:00+00:00,1\n",
    )
    load = load_history(path)
    assert load.frame["interval_start"].iloc[0].utcoffset() == pd.Timedelta(0)
    assert load.interval_minutes == 15
    assert any("several UTC offsets" in note for note in load.notes)


def test_naive_mixed_with_offsets_is_an_error(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,calls_offered\n2024-10-27T00:45:00+01:00,1\n2024-10-27T01:00:00+00:00,1\n2024-10-27 01:15,1\n",  # noqa: E501
    )
    with pytest.raises(
        InputError,
        match=r"line 4 \(data row 3\): interval_start '2024-10-27 01:15' has no UTC offset while other rows",  # noqa: E501
    ):
        read_history(path)


# ------------------------------------------------------------------------------------------------
# Interval length
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [5, 10, 15, 30, 60], ids=lambda m: f"{m}min")
def test_infer_interval_minutes(minutes):
    starts = pd.Series(
        pd.date_range("2024-01-01 08:00", periods=40, freq=f"{minutes}min", tz="UTC")
    )
    assert infer_interval_minutes(starts) == minutes
    # a gap is a multiple of the step, not a new length
    assert infer_interval_minutes(starts.drop(index=[5, 6, 7])) == minutes


def test_infer_interval_across_dst_in_utc():
    starts = pd.Series(
        pd.date_range("2024-10-26 20:00", periods=40, freq="30min", tz="Europe/London")
    )
    assert infer_interval_minutes(starts) == 30


def test_infer_interval_unsupported_length():
    starts = pd.Series(pd.date_range("2024-01-01", periods=10, freq="20min", tz="UTC"))
    with pytest.raises(
        InputError,
        match=r"interval length 20 minutes .* is not supported; expected one of \[5, 10, 15, 30, 60\]",  # noqa: E501
    ):
        infer_interval_minutes(starts)


def test_infer_interval_single_interval():
    with pytest.raises(InputError, match=r"cannot infer the interval length from one interval"):
        infer_interval_minutes(pd.Series(pd.DatetimeIndex(["2024-01-01 08:00"], tz="UTC")))


def test_infer_interval_per_queue():
    starts = pd.Series(
        pd.DatetimeIndex(
            ["2024-01-01 08:00", "2024-01-01 08:05", "2024-01-01 08:00", "2024-01-01 08:30"],
            tz="UTC",
        )
    )
    queue = pd.Series(["a", "a", "b", "b"])
    # per queue the steps are 5 and 30 minutes: 30 is a multiple of 5 (a gap in b)
    assert infer_interval_minutes(starts, queue=queue) == 5


def test_mixed_interval_lengths_off_grid(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,calls_offered\n"
        + "".join(f"2024-01-01 {h:02d}:{m:02d},1\n" for h in (8, 9) for m in (0, 15, 30, 45))
        + "2024-01-01 10:10,1\n",
    )
    with pytest.raises(
        InputError,
        match=r"mixed interval lengths: line 9 \(data row 8\) and line 10 \(data row 9\) \(queue 'default'\) are 25 minutes apart, but most rows are 15",  # noqa: E501
    ):
        read_history(path, tz="UTC")


def test_mixed_interval_lengths_coarse_day(tmp_path):
    fine = weekday_centre(days=3, minutes=15)
    coarse = weekday_centre(start="2024-01-04", days=1, minutes=30)
    path = to_csv(pd.concat([fine, coarse], ignore_index=True), tmp_path)
    with pytest.raises(
        InputError,
        match=r"mixed interval lengths: queue 'sales' on 2024-01-04 is recorded every 30 minutes",
    ):
        read_history(path, tz="Europe/London")


# ------------------------------------------------------------------------------------------------
# Gaps and summary
# ------------------------------------------------------------------------------------------------


def test_gap_report_days_and_intervals(tmp_path):
    frame = weekday_centre(start="2024-01-01", days=21)  # Mon 1 Jan to Sun 21 Jan, 08:00-18:00
    starts = frame["interval_start"]
    drop = (
        (starts.dt.date == pd.Timestamp("2024-01-10").date())  # a whole Wednesday
        | starts.isin(pd.date_range("2024-01-03 12:00", periods=3, freq="15min"))  # 3 mid-day slots
        | (starts >= pd.Timestamp("2024-01-12 17:00"))
        & (starts.dt.date == pd.Timestamp("2024-01-12").date())
    )
    load = load_history(to_csv(frame[~drop], tmp_path), tz="Europe/London")
    gaps = load.gaps
    assert list(gaps.columns) == ["queue", "gap_start", "gap_end", "missing_intervals", "kind"]
    got = [
        (
            g.kind,
            g.gap_start.strftime("%Y-%m-%d %H:%M"),
            g.gap_end.strftime("%Y-%m-%d %H:%M"),
            g.missing_intervals,
        )
        for g in gaps.itertuples()
    ]
    assert got == [
        ("intervals", "2024-01-03 12:00", "2024-01-03 12:45", 3),
        ("day", "2024-01-10 08:00", "2024-01-10 18:00", 40),
        ("intervals", "2024-01-12 17:00", "2024-01-12 18:00", 4),
    ]
    # weekends are closed every week: not gaps
    summary = summarise_history(load)
    assert summary.loc[0, "missing_days"] == 1
    assert summary.loc[0, "missing_intervals"] == 7
    assert summary.loc[0, "days"] == 14


def test_gap_across_dst_day_counts_real_intervals(tmp_path):
    # 24/7 queue with the autumn 01:00-02:00 hour (both copies) missing: 8 real intervals.
    stamps = london_24h("2024-10-26 00:00", "2024-10-29 00:00")
    keep = [s for s in stamps if not s.startswith("2024-10-27 01:")]
    body = "".join(f"{s},1\n" for s in keep)
    load = load_history(
        write_text(tmp_path, "interval_start,calls_offered\n" + body), tz="Europe/London"
    )
    assert load.gaps["missing_intervals"].tolist() == [8]
    assert load.gaps["kind"].tolist() == ["intervals"]


@pytest.mark.skipif(not BANK_5MIN.exists(), reason="real data ../shared/data absent (fresh clone)")
def test_real_bank_data_six_missing_weekdays():
    # ../shared/data/README.md: six weekdays are missing entirely.
    load = load_history(BANK_5MIN, tz="America/New_York")
    days = load.gaps[load.gaps["kind"] == "day"]["gap_start"].dt.strftime("%Y-%m-%d").tolist()
    assert days == [
        "2003-04-04",
        "2003-04-07",
        "2003-05-26",
        "2003-07-04",
        "2003-09-01",
        "2003-10-14",
    ]
    assert load.interval_minutes == 5
    assert (load.gaps["kind"] == "day").all()
    summary = summarise_history(load)
    assert summary.loc[0, "days"] == 164  # README: 164 days
    assert summary.loc[0, "rows"] == 164 * 169  # README: 169 slots a day


def test_summary_weighted_aht(tmp_path):
    path = write_text(
        tmp_path,
        "queue,interval_start,calls_offered,aht_seconds\n"
        "a,2024-01-01 08:00,10,100\na,2024-01-01 08:15,30,200\na,2024-01-01 08:30,0,\n"
        "b,2024-01-01 08:00,5,300\nb,2024-01-01 08:15,5,\n",
    )
    summary = summarise_history(load_history(path, tz="UTC"))
    # a: (10*100 + 30*200) / 40 = 175; b: only the row with an AHT counts: 300
    assert summary["aht_seconds_weighted"].tolist() == pytest.approx([175.0, 300.0], abs=1e-9)
    assert summary["calls_offered_total"].tolist() == pytest.approx([40.0, 10.0], abs=1e-9)
    assert summary["rows"].tolist() == [3, 2]


# ------------------------------------------------------------------------------------------------
# In-memory frames
# ------------------------------------------------------------------------------------------------


def test_validate_history_in_memory_does_not_mutate():
    raw = pd.DataFrame(
        {
            "ds": pd.date_range("2024-01-01 08:00", periods=4, freq="30min").astype(str)[::-1],
            "y": [1, 2, 3, 4],
        }
    )
    before = raw.copy()
    load = validate_history(raw, source="upload", tz="Europe/Paris")
    pd.testing.assert_frame_equal(raw, before)
    assert isinstance(load, HistoryLoad)
    assert load.frame["calls_offered"].tolist() == [4.0, 3.0, 2.0, 1.0]
    assert load.interval_minutes == 30


def test_validate_history_row_names():
    raw = pd.DataFrame(
        {
            "interval_start": pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC"),
            "calls_offered": [1, -2, 3],
        }
    )
    with pytest.raises(InputError, match=r"upload row 2: calls_offered must be >= 0, got -2"):
        validate_history(raw, source="upload")


def test_validate_history_empty():
    with pytest.raises(InputError, match=r"upload: has no rows"):
        validate_history(pd.DataFrame({"interval_start": [], "calls_offered": []}), source="upload")


# ------------------------------------------------------------------------------------------------
# Forecast and generic frames
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calls", "aht"),
    [
        ("calls_forecast", "aht_seconds_forecast"),
        ("yhat", "aht_forecast"),
        ("calls_offered", "aht_seconds"),
    ],
    ids=["forecast", "prophet", "history-spelling"],
)
def test_read_forecast_spellings(tmp_path, calls, aht):
    path = write_text(
        tmp_path,
        f"interval_start,{calls},{aht}\n2024-01-01T08:00:00+00:00,10.5,300\n2024-01-01T08:15:00+00:00,11,310\n",
        name="forecast.csv",
    )
    frame = read_forecast(path)
    assert list(frame.columns) == [
        "queue",
        "interval_start",
        "calls_forecast",
        "aht_seconds_forecast",
    ]
    assert frame["calls_forecast"].tolist() == [10.5, 11.0]


def test_read_forecast_optional_columns_and_bounds(tmp_path):
    path = write_text(
        tmp_path,
        "queue,interval_start,calls_forecast,calls_lower,calls_upper,aht_seconds_forecast,method\n"
        "a,2024-01-01T08:00:00Z,10,8,12,300,seasonal\na,2024-01-01T08:15:00Z,10,13,12,300,seasonal\n",
        name="forecast.csv",
    )
    with pytest.raises(
        InputError, match=r"forecast\.csv line 3 \(data row 2\): calls_lower must be <= calls_upper"
    ):
        read_forecast(path)


def test_read_forecast_missing_aht(tmp_path):
    path = write_text(
        tmp_path, "interval_start,yhat\n2024-01-01T08:00:00Z,10\n", name="forecast.csv"
    )
    with pytest.raises(InputError, match=r"required column aht_seconds_forecast is missing"):
        read_forecast(path)


def test_read_frame_generic(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,agents_required,note\n2024-01-01T08:00:00Z,3,x\n2024-01-01T08:15:00Z,4,y\n",
        name="requirements.csv",
    )
    frame = read_frame(path, ["queue", "interval_start", "agents_required"], source="reqs")
    assert list(frame.columns) == ["queue", "interval_start", "agents_required"]
    assert frame["agents_required"].tolist() == [3.0, 4.0]
    with pytest.raises(InputError, match=r"reqs: required column agents_to_schedule is missing"):
        read_frame(path, ["interval_start", "agents_to_schedule"], source="reqs")


# ------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------


def test_write_csv_iso_with_offset_and_parents(tmp_path):
    frame = pd.DataFrame(
        {
            "queue": ["a", "a"],
            "interval_start": pd.DatetimeIndex(
                ["2024-03-31 00:45", "2024-03-31 02:00"]
            ).tz_localize("Europe/London"),
            "calls_offered": [1.0, 2.5],
        }
    )
    target = tmp_path / "deep" / "er" / "out.csv"
    assert write_frame(frame, target) == target
    lines = target.read_text().splitlines()
    assert lines == [
        "queue,interval_start,calls_offered",
        "a,2024-03-31T00:45:00+00:00,1",
        "a,2024-03-31T02:00:00+01:00,2.5",
    ]
    assert [p.name for p in target.parent.iterdir()] == ["out.csv"]  # no temp file left


@pytest.mark.parametrize("suffix", [".csv", ".parquet"], ids=["csv", "parquet"])
def test_write_read_round_trip(tmp_path, suffix):
    frame = validate_history(
        weekday_centre(days=7, queues=("sales", "support")), tz="America/New_York"
    ).frame
    path = write_frame(frame, tmp_path / f"history{suffix}")
    back = read_history(path, tz="America/New_York")
    pd.testing.assert_frame_equal(back, frame)


def test_write_is_atomic_on_failure(tmp_path):
    target = tmp_path / "out.parquet"
    target.write_bytes(b"old content")
    bad = pd.DataFrame({"mixed": [1, "two", 3.0]})  # pyarrow cannot store this column
    with pytest.raises(Exception):  # noqa: B017 - whatever pyarrow raises
        write_frame(bad, target)
    assert target.read_bytes() == b"old content"
    assert sorted(os.listdir(tmp_path)) == ["out.parquet"]


def test_write_bad_suffix(tmp_path):
    with pytest.raises(
        InputError, match=r"cannot write files ending in '\.xlsx'; expected \.csv, \.parquet"
    ):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "out.xlsx")


def test_write_does_not_mutate(tmp_path):
    frame = pd.DataFrame(
        {"interval_start": pd.date_range("2024-01-01", periods=2, freq="h", tz="UTC"), "x": [1, 2]}
    )
    before = frame.copy()
    write_frame(frame, tmp_path / "a.csv")
    pd.testing.assert_frame_equal(frame, before)


@settings(max_examples=25, deadline=None)
@given(
    calls=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=2, max_size=30),
    minutes=st.sampled_from([5, 10, 15, 30, 60]),
    tz=st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Sydney"]),
)
def test_round_trip_property(tmp_path_factory, calls, minutes, tz):
    """Any valid history written to CSV reads back identical (values, instants, zone)."""
    starts = pd.date_range("2024-03-30 22:00", periods=len(calls), freq=f"{minutes}min", tz=tz)
    frame = validate_history(pd.DataFrame({"interval_start": starts, "calls_offered": calls})).frame
    path = write_frame(frame, tmp_path_factory.mktemp("rt") / "h.csv")
    back = read_history(path, tz=tz)
    pd.testing.assert_frame_equal(back, frame, check_exact=False, rtol=1e-15)


def test_write_csv_quotes_only_when_needed(tmp_path):
    frame = pd.DataFrame(
        {"queue": ["sales, north", 'say "hi"'], "method": ["a", "b"], "x": [1.5, 2.0]}
    )
    path = write_frame(frame, tmp_path / "q.csv")
    back = pd.read_csv(path)
    assert back["queue"].tolist() == ["sales, north", 'say "hi"']
    assert path.read_text().splitlines()[0] == "queue,method,x"


@pytest.mark.parametrize(
    ("column", "values"),
    [(pd.Categorical(["a", "b"]), ["a", "b"]), (pd.Series([1, "two"], dtype=object), ["1", "two"])],
    ids=["categorical", "mixed-object"],
)
def test_write_csv_columns_arrow_cannot_write(tmp_path, column, values):
    starts = pd.date_range("2024-01-01", periods=2, freq="h", tz="UTC")
    path = write_frame(pd.DataFrame({"interval_start": starts, "c": column}), tmp_path / "c.csv")
    assert path.read_text().splitlines() == [
        "interval_start,c",
        f"2024-01-01T00:00:00+00:00,{values[0]}",
        f"2024-01-01T01:00:00+00:00,{values[1]}",
    ]


def test_first_and_last_day_cut_short_are_not_gaps(tmp_path):
    frame = weekday_centre(start="2024-01-01", days=5)
    starts = frame["interval_start"]
    cut = (starts < pd.Timestamp("2024-01-01 11:00")) | (starts >= pd.Timestamp("2024-01-05 12:00"))
    load = load_history(to_csv(frame[~cut], tmp_path), tz="Europe/London")
    assert len(load.gaps) == 0


def test_spaces_around_values_are_tolerated(tmp_path):
    path = write_text(
        tmp_path, "queue , timestamp ,calls\n a , 2024-01-01 08:00 , 3 \na,2024-01-01 08:15,4\n"
    )
    frame = read_history(path, tz="UTC")
    assert frame["queue"].tolist() == ["a", "a"]
    assert frame["calls_offered"].tolist() == [3.0, 4.0]


def test_autumn_hour_in_reverse_time_order(tmp_path):
    # newest first: the first 01:15 met in the file is the later one (GMT)
    stamps = london_24h("2024-10-27 00:00", "2024-10-27 03:00")[::-1]
    body = "".join(f"{s},{i}\n" for i, s in enumerate(stamps))
    frame = read_history(
        write_text(tmp_path, "interval_start,calls_offered\n" + body), tz="Europe/London"
    )
    # sorted ascending, calls were numbered newest first: strictly decreasing without a swap
    assert frame["calls_offered"].tolist() == [float(i) for i in range(len(stamps))][::-1]
    assert frame["interval_start"].is_monotonic_increasing


def test_semicolon_file_with_decimal_commas(tmp_path):
    path = write_text(
        tmp_path, "timestamp;calls;aht\n2024-01-01 08:00;3;301,5\n2024-01-01 08:15;4;299,25\n"
    )
    load = load_history(path, tz="Europe/Paris")
    assert load.frame["aht_seconds"].tolist() == pytest.approx([301.5, 299.25], abs=1e-12)
    assert any("decimal comma" in note for note in load.notes)


@pytest.mark.parametrize(
    ("first", "stamp"),
    [("2024-01-01 08:00", "9999-01-01 08:15"), ("2024-01-01T08:00Z", "1500-01-01T08:15:00+00:00")],
    ids=["far-future", "far-past"],
)
def test_timestamp_out_of_range(tmp_path, first, stamp):
    path = write_text(tmp_path, f"timestamp,calls\n{first},1\n{stamp},2\n")
    with pytest.raises(
        InputError, match=r"line 3 \(data row 2\): interval_start .* is out of range"
    ):
        read_history(path, tz="UTC")


def test_bom_spaces_and_queue_called_na(tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(
        "\ufeff queue , timestamp ,calls\n 007 ,2024-01-01 08:00,1\n 007 ,2024-01-01 08:15,2\n"
        "NA,2024-01-01 08:00,3\nNA,2024-01-01 08:15,4\n".encode()
    )
    frame = read_history(path, tz="UTC")
    assert frame["queue"].tolist() == ["007", "007", "NA", "NA"]


def test_sparse_day_is_gaps_not_mixed_lengths(tmp_path):
    # An export that omits empty intervals: a quiet day with irregular steps is gaps.
    frame = weekday_centre(days=17, minutes=5)  # three Tuesdays: the normal span is 08:00-18:00
    quiet_day = frame["interval_start"].dt.date == pd.Timestamp("2024-01-02").date()
    minute = frame["interval_start"].dt.minute
    keep = ~quiet_day | minute.isin([0, 10, 35, 50])
    load = load_history(to_csv(frame[keep], tmp_path), tz="Europe/London")
    assert load.interval_minutes == 5
    assert (load.gaps["kind"] == "intervals").all()
    assert load.gaps["missing_intervals"].sum() == 10 * 12 - 10 * 4


def test_weekend_gaps_depend_on_each_queues_calendar(tmp_path):
    weekdays = weekday_centre(start="2024-01-01", days=21, queues=("office",))
    every_day = pd.concat(
        [
            pd.DataFrame(
                {
                    "queue": "hotline",
                    "interval_start": pd.date_range(f"{d:%Y-%m-%d} 08:00", periods=4, freq="15min"),
                }
            )
            for d in pd.date_range("2024-01-01", periods=21, freq="D")
            if d != pd.Timestamp("2024-01-13")  # a Saturday missing
        ],
        ignore_index=True,
    ).assign(calls_offered=1.0)
    load = load_history(to_csv(pd.concat([weekdays, every_day]), tmp_path), tz="Europe/London")
    days = load.gaps[load.gaps["kind"] == "day"]
    assert days["queue"].tolist() == ["hotline"]
    assert days["gap_start"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2024-01-13 08:00"]
    assert days["missing_intervals"].tolist() == [4]


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    tz=st.sampled_from(["Europe/London", "America/New_York", "UTC"]),
    minutes=st.sampled_from([15, 30, 60]),
)
def test_gap_count_equals_rows_removed(data, tz, minutes):
    """Rows removed from inside days are reported as exactly that many missing intervals, also
    on the days the clocks change (London 27 Oct, New York 3 Nov 2024)."""
    utc = pd.date_range(
        "2024-10-25", "2024-11-06", freq=f"{minutes}min", tz="UTC", inclusive="left"
    )
    local = pd.Series(utc.tz_convert(tz))
    day = local.dt.strftime("%Y-%m-%d")
    inner = np.flatnonzero((day.duplicated(keep="first") & day.duplicated(keep="last")).to_numpy())
    drop = data.draw(st.lists(st.sampled_from(inner.tolist()), max_size=30, unique=True))
    frame = pd.DataFrame({"interval_start": local.dt.strftime("%Y-%m-%d %H:%M"), "calls": 1.0})
    load = validate_history(frame.drop(index=drop), tz=tz)
    assert load.interval_minutes == minutes
    assert int(load.gaps["missing_intervals"].sum()) == len(drop)
    assert (load.gaps["kind"] == "intervals").all()


def test_changed_opening_hours_are_not_gaps(tmp_path):
    # Open 08:00-20:00 for eight weeks, then 08:00-18:00 for four: the shorter days are not
    # missing 8 intervals each (the most common span over the whole history would say so).
    early = weekday_centre(start="2024-01-01", days=56, close_time="20:00")
    late = weekday_centre(start="2024-02-26", days=28, close_time="18:00")
    load = load_history(to_csv(pd.concat([early, late]), tmp_path), tz="Europe/London")
    assert len(load.gaps) == 0


def test_infer_interval_rejects_non_datetimes_and_missing():
    with pytest.raises(InputError, match=r"forecast: interval_start must be date-times, got dtype"):
        infer_interval_minutes(pd.Series(["2024-01-01 08:00"]), source="forecast")
    starts = pd.Series(pd.DatetimeIndex(["2024-01-01 08:00", None], tz="UTC"))
    with pytest.raises(InputError, match=r"forecast row 2: interval_start is missing"):
        infer_interval_minutes(starts, source="forecast")


def test_read_frame_ignores_spellings_of_unwanted_columns(tmp_path):
    # "calls" and "calls_offered" would be ambiguous for a history, not for a requirements file
    path = write_text(
        tmp_path,
        "interval_start,agents_to_schedule,calls,calls_offered\n2024-01-01T08:00Z,3,1,1\n",
        name="requirements.csv",
    )
    frame = read_frame(path, ["queue", "interval_start", "agents_to_schedule"])
    assert list(frame.columns) == ["queue", "interval_start", "agents_to_schedule"]


def test_column_map_target_must_be_a_column_of_this_file(tmp_path):
    path = write_text(tmp_path, "ds,y\n2024-01-01 08:00,5\n2024-01-01 08:30,6\n")
    with pytest.raises(
        InputError, match=r"maps 'y' to 'calls_forecast', which is not a column this"
    ):
        read_history(path, tz="UTC", column_map={"y": "calls_forecast"})


def test_read_forecast_prefers_forecast_columns_over_actuals(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,calls_forecast,calls_offered,aht_seconds_forecast,aht_seconds\n"
        "2024-01-01T08:00Z,10,12,300,310\n",
        name="forecast_vs_actual.csv",
    )
    frame = read_forecast(path)
    assert frame["calls_forecast"].tolist() == [10.0]
    assert frame["aht_seconds_forecast"].tolist() == [300.0]


def test_read_forecast_two_forecast_spellings_are_ambiguous(tmp_path):
    path = write_text(
        tmp_path,
        "interval_start,yhat,calls_forecast,aht_forecast\n2024-01-01T08:00Z,10,11,300\n",
        name="forecast.csv",
    )
    with pytest.raises(InputError, match=r"ambiguous columns: 'yhat' and 'calls_forecast'"):
        read_forecast(path)


def test_write_frame_writes_an_empty_frame_with_a_tz_aware_column(tmp_path) -> None:
    empty = pd.DataFrame(
        {
            "queue": pd.Series([], dtype=str),
            "interval_start": pd.DatetimeIndex([], tz="Europe/London"),
            "calls_offered": pd.Series([], dtype=float),
        }
    )
    path = write_frame(empty, tmp_path / "empty.csv")
    assert path.read_text().splitlines() == ["queue,interval_start,calls_offered"]


def test_a_zone_aware_frame_gets_no_advice_to_pass_tz() -> None:
    frame = pd.DataFrame(
        {
            "queue": "q",
            "interval_start": pd.date_range(
                "2024-03-04 08:00", periods=8, freq="15min", tz="Europe/London"
            ),
            "calls_offered": 5.0,
        }
    )
    load = validate_history(frame, source="frame")
    assert not any("--tz" in note for note in load.notes)
    assert str(load.frame["interval_start"].dt.tz) == "Europe/London"


def test_naive_frame_without_tz_says_how_to_localise():
    frame = pd.DataFrame(
        {
            "queue": ["q", "q"],
            "interval_start": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 08:15"]),
            "calls_offered": [1, 2],
        }
    )
    with pytest.raises(InputError, match=r"no UTC offset .*tz_localize"):
        validate_history(frame)
