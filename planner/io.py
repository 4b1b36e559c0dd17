"""Reading and writing the planner's long frames (CSV or Parquet).

The data layer turns planners' exports into the validated long frames of ``PRODUCT.md`` and writes
frames back out:

- :func:`load_history` / :func:`read_history` read interval history (CSV or Parquet), accept the
  common alternative column spellings of :data:`planner.schema.COLUMN_ALIASES`, localise naive
  clock times to a time zone (DST-aware), infer the interval length and report gaps.
- :func:`validate_history` does the same for a frame already in memory (the HTTP API's uploads,
  and every forecasting entry point of :mod:`planner.forecast`): the one definition of a valid
  history.
- :func:`read_forecast` and the general :func:`read_frame` read forecast / requirement files.
- :func:`write_frame` writes CSV (ISO 8601 date-times with UTC offset) or Parquet, atomically.

Every problem is an :class:`planner.errors.InputError` naming the file, row, column, value and what
was expected. Row numbers in CSV files are file lines (the header is line 1, so data row ``k`` is
line ``k + 1``); in Parquet files and in-memory frames they are 1-based data rows. (A CSV file with
blank lines or quoted line breaks shifts the line numbers that follow them.)

All validation is vectorised: a 1-million-row file loads in a few seconds
(``bench/bench_loader.py``).
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import tempfile
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.schema import (
    COLUMN_ALIASES,
    DEFAULT_QUEUE,
    FORECAST_ALIASES,
    FORECAST_REQUIRED_COLUMNS,
    HISTORY_OPTIONAL_COLUMNS,
    HISTORY_REQUIRED_COLUMNS,
    NUMERIC_COLUMNS,
    SUPPORTED_INTERVAL_MINUTES,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "HistoryLoad",
    "infer_interval_minutes",
    "load_history",
    "read_forecast",
    "read_frame",
    "read_history",
    "summarise_history",
    "validate_history",
    "write_frame",
]

_NS_PER_MINUTE = 60 * 1_000_000_000
_NS_PER_DAY = 24 * 60 * _NS_PER_MINUTE
_HEAD_BYTES = 64 * 1024
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_GAP_COLUMNS = ("queue", "gap_start", "gap_end", "missing_intervals", "kind")


@dataclass(frozen=True)
class HistoryLoad:
    """A validated interval history and what was learnt while loading it.

    Attributes
    ----------
    frame : pandas.DataFrame
        The long history frame: ``queue`` (str), ``interval_start`` (``datetime64[ns, tz]``),
        ``calls_offered`` (float64) and whichever of the optional history columns were present,
        sorted by (``queue``, ``interval_start``), with a ``RangeIndex``. Shape (rows, columns).
    interval_minutes : int
        Interval length inferred from the data (one of 5, 10, 15, 30, 60).
    gaps : pandas.DataFrame
        One row per gap: ``queue``, ``gap_start`` (first missing interval start), ``gap_end`` (end
        of the last missing interval), ``missing_intervals`` (int), ``kind`` (``'day'`` for a
        whole missing day on a weekday that normally has data, ``'intervals'`` for missing intervals
        inside a day's normal open span). Sorted by queue and ``gap_start``.
    notes : list of str
        What the loader inferred or assumed, for people: column renames, the interval length,
        time-zone handling.
    source : str
        The name used in messages (file name, or the ``source`` given to :func:`validate_history`).
    """

    frame: pd.DataFrame
    interval_minutes: int
    gaps: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    source: str = "history"


@dataclass(frozen=True)
class _Rows:
    """How to name row ``pos`` (0-based position in the data) in messages."""

    source: str
    kind: str  # "csv", "parquet" or "frame"

    def at(self, pos: int) -> str:
        if self.kind == "csv":
            return f"{self.source} line {pos + 2} (data row {pos + 1})"
        return f"{self.source} row {pos + 1}"


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def load_history(
    path: str | os.PathLike[str],
    *,
    tz: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> HistoryLoad:
    """Read an interval history file (CSV or Parquet) into a validated long frame.

    Parameters
    ----------
    path : str or path-like
        A CSV file (comma, semicolon, tab or pipe separated; UTF-8 or Windows-1252) or a Parquet
        file; the format is recognised from the content, not only the suffix.
    tz : str, optional
        IANA time zone of the centre, e.g. ``"Europe/London"``. Required when the timestamps have
        no UTC offset (naive local clock times); those are localised with DST handled (the
        repeated autumn hour is read in file order: first summer time, then standard time).
        Timestamps that carry an offset are converted to ``tz`` when given, kept as given otherwise.
    column_map : mapping of str to str, optional
        Explicit renames ``{column in the file: planner column}``, applied before the alias table
        of :data:`planner.schema.COLUMN_ALIASES`. Map a column to ``""`` to ignore it.

    Returns
    -------
    HistoryLoad
        The frame, the inferred interval length, the gap report and the notes.

    Raises
    ------
    planner.errors.InputError
        Missing file, empty file, not CSV/Parquet, missing or ambiguous columns, non-numeric,
        missing or negative values, inconsistent counts, unparseable or nonexistent timestamps,
        duplicate (queue, interval_start), mixed interval lengths.
    """
    raw, rows, notes = _read_table(
        Path(path), text_columns=_text_columns(COLUMN_ALIASES, column_map)
    )
    return _validate_history(raw, rows, notes, tz=tz, column_map=column_map)


def read_history(
    path: str | os.PathLike[str],
    *,
    tz: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read an interval history file into the validated long history frame.

    Same as ``load_history(path, tz=tz, column_map=column_map).frame``; see :func:`load_history`.

    Returns
    -------
    pandas.DataFrame
        Shape (rows, 3 + optional columns): ``queue``, ``interval_start`` (tz-aware),
        ``calls_offered`` and the optional history columns present in the file.
    """
    return load_history(path, tz=tz, column_map=column_map).frame


def validate_history(
    frame: pd.DataFrame,
    *,
    source: str = "history",
    tz: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> HistoryLoad:
    """Validate an in-memory history frame exactly as :func:`load_history` validates a file.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw history rows (any accepted column spelling); not modified.
    source : str
        Name used in error messages, e.g. ``"upload"``; rows are named by 1-based position.
    tz, column_map
        As for :func:`load_history`.

    Returns
    -------
    HistoryLoad
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise InputError(f"{source}: has no rows; expected interval history rows")
    rows = _Rows(source, "frame")
    return _validate_history(frame, rows, [], tz=tz, column_map=column_map)


def infer_interval_minutes(
    interval_start: pd.Series,
    *,
    source: str = "history",
    queue: pd.Series | None = None,
) -> int:
    """Infer the interval length of a series of interval starts.

    The step is the most common gap between consecutive distinct starts (per queue when ``queue``
    is given), measured in UTC so that DST changes are neither gaps nor odd lengths. Every step must
    be a whole multiple of it (larger multiples are gaps), and no day may be recorded at a coarser
    step than the rest.

    Parameters
    ----------
    interval_start : pandas.Series
        Interval starts, shape (n,); tz-aware (naive values are taken as they are).
    source : str
        Name used in error messages; rows are named by 1-based position.
    queue : pandas.Series, optional
        Queue of each row, shape (n,), when the series mixes several queues.

    Returns
    -------
    int
        Interval length in minutes, one of 5, 10, 15, 30, 60.

    Raises
    ------
    planner.errors.InputError
        Fewer than two distinct starts in every queue, an unsupported length, or mixed lengths.
    """
    starts = pd.Series(interval_start).reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(starts):
        raise InputError(f"{source}: interval_start must be date-times, got dtype {starts.dtype}")
    if starts.isna().any():
        pos = int(np.flatnonzero(starts.isna().to_numpy())[0])
        raise InputError(f"{source} row {pos + 1}: interval_start is missing; expected a date-time")
    utc_ns = _utc_ns(starts)
    wall_ns = _wall_ns(starts)
    if queue is None:
        codes = np.zeros(len(starts), dtype=np.int64)
        names = np.array([DEFAULT_QUEUE], dtype=object)
    else:
        codes, uniques = pd.factorize(pd.Series(queue).reset_index(drop=True), sort=True)
        names = np.asarray(uniques, dtype=object)
    order = np.lexsort((utc_ns, codes))
    utc_sorted, codes_sorted = utc_ns[order], codes[order]
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (utc_sorted[1:] != utc_sorted[:-1]) | (codes_sorted[1:] != codes_sorted[:-1])
    order = order[keep]
    rows = _Rows(source, "frame")
    return _infer_step_minutes(
        utc_ns[order], wall_ns[order], codes[order], order, names, rows, starts.dt.tz
    )


def summarise_history(load: HistoryLoad) -> pd.DataFrame:
    """One summary row per queue of a loaded history (what ``planner validate`` prints).

    Parameters
    ----------
    load : HistoryLoad

    Returns
    -------
    pandas.DataFrame
        One row per queue, sorted by queue, columns: ``queue``, ``first_interval``,
        ``last_interval`` (tz-aware interval starts), ``interval_minutes``, ``rows``, ``days``
        (local calendar days with data), ``missing_days``, ``missing_intervals`` (inside days with
        data), ``calls_offered_total``, ``aht_seconds_weighted`` (AHT weighted by calls offered over
        rows that have an AHT; NaN without an ``aht_seconds`` column or without calls).
    """
    frame = load.frame
    starts = frame["interval_start"]
    local_day = starts.dt.tz_localize(None).dt.normalize()
    has_aht = "aht_seconds" in frame.columns
    calls = frame["calls_offered"].to_numpy(dtype=np.float64)
    if has_aht:
        aht = frame["aht_seconds"].to_numpy(dtype=np.float64)
        with_aht = ~np.isnan(aht)
        weighted = np.where(with_aht, calls * np.nan_to_num(aht), 0.0)
        weight = np.where(with_aht, calls, 0.0)
    else:
        weighted = np.zeros(len(frame))
        weight = np.zeros(len(frame))
    work = pd.DataFrame(
        {
            "queue": frame["queue"],
            "interval_start": starts,
            "local_day": local_day,
            "calls": calls,
            "weighted": weighted,
            "weight": weight,
        }
    )
    grouped = work.groupby("queue", sort=True)
    summary = pd.DataFrame(
        {
            "first_interval": grouped["interval_start"].min(),
            "last_interval": grouped["interval_start"].max(),
            "rows": grouped.size(),
            "days": grouped["local_day"].nunique(),
            "calls_offered_total": grouped["calls"].sum(),
            "weighted": grouped["weighted"].sum(),
            "weight": grouped["weight"].sum(),
        }
    )
    gaps = load.gaps
    day_gaps = gaps[gaps["kind"] == "day"].groupby("queue").size()
    interval_gaps = gaps[gaps["kind"] == "intervals"].groupby("queue")["missing_intervals"].sum()
    summary["interval_minutes"] = load.interval_minutes
    summary["missing_days"] = day_gaps.reindex(summary.index, fill_value=0).astype(np.int64)
    summary["missing_intervals"] = interval_gaps.reindex(summary.index, fill_value=0).astype(
        np.int64
    )
    if has_aht:
        weight_total = summary["weight"].to_numpy()
        summary["aht_seconds_weighted"] = np.divide(
            summary["weighted"].to_numpy(),
            weight_total,
            out=np.full(len(summary), np.nan),
            where=weight_total > 0,
        )
    else:
        summary["aht_seconds_weighted"] = np.nan
    summary = summary.reset_index()
    return summary[
        [
            "queue",
            "first_interval",
            "last_interval",
            "interval_minutes",
            "rows",
            "days",
            "missing_days",
            "missing_intervals",
            "calls_offered_total",
            "aht_seconds_weighted",
        ]
    ]


def read_frame(
    path: str | os.PathLike[str],
    required: Sequence[str],
    *,
    source: str | None = None,
    tz: str | None = None,
    optional: Sequence[str] = (),
    column_map: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    unique_key: bool = True,
    fallback: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a CSV or Parquet file whose columns are planner columns, and validate it.

    ``queue`` defaults to ``"default"`` when it is required but absent; ``interval_start`` (when
    listed) is parsed and made tz-aware as in :func:`load_history`; columns of
    :data:`planner.schema.NUMERIC_COLUMNS` must be non-negative numbers (missing values are allowed
    only in ``optional`` columns); ``calls_lower`` may not exceed ``calls_upper``.

    Parameters
    ----------
    path : str or path-like
        CSV or Parquet file.
    required : sequence of str
        Planner columns that must be present (after renaming).
    source : str, optional
        Name used in messages; the file name by default.
    tz : str, optional
        Time zone for naive ``interval_start`` values.
    optional : sequence of str
        Planner columns kept when present.
    column_map : mapping of str to str, optional
        Explicit renames ``{file column: planner column}``.
    aliases : mapping of str to str, optional
        Normalised spelling -> planner column; :data:`planner.schema.COLUMN_ALIASES` by default.
        Each required or optional name is always accepted as itself.
    unique_key : bool
        Whether (``queue``, ``interval_start``) must be unique (when both are columns).
    fallback : mapping of str to str, optional
        Spellings used only for a column that no ``aliases`` spelling provides.

    Returns
    -------
    pandas.DataFrame
        Columns ``required`` then the ``optional`` ones present, in that order; sorted by
        (``queue``, ``interval_start``) when both are present; ``RangeIndex``.
    """
    table = dict(COLUMN_ALIASES if aliases is None else aliases)
    for name in (*required, *optional):
        table.setdefault(name, name)
    raw, rows, notes = _read_table(
        Path(path), source=source, text_columns=_text_columns(table, column_map)
    )
    columns, _ = _resolve_columns(
        raw, rows, table, required, optional, column_map, notes, fallback=fallback
    )
    frame, _, _ = _build_frame(
        raw, rows, columns, required, optional, tz=tz, notes=notes, unique_key=unique_key
    )
    return frame


def read_forecast(
    path: str | os.PathLike[str],
    *,
    tz: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a forecast file (or a history file, to staff it directly).

    Accepts the forecast spellings of :data:`planner.schema.FORECAST_ALIASES` (``yhat``,
    ``forecast``, ...) and the history spellings: ``calls_offered`` is read as ``calls_forecast``
    and ``aht_seconds`` as ``aht_seconds_forecast`` when the file has no forecast column of
    that kind (then the history column is ignored).

    Returns
    -------
    pandas.DataFrame
        ``queue``, ``interval_start`` (tz-aware), ``calls_forecast``, ``aht_seconds_forecast``
        (float64, >= 0), plus ``calls_lower``, ``calls_upper``, ``method`` when present; sorted by
        (``queue``, ``interval_start``).
    """
    # History spellings stand in only when the file has no forecast spelling of that column (a
    # forecast-vs-actual file with calls_forecast and calls_offered reads the forecast).
    history_names = ("calls_offered", "aht_seconds")
    primary = {
        a: t for a, t in FORECAST_ALIASES.items() if COLUMN_ALIASES.get(a) not in history_names
    }
    standby = {a: t for a, t in FORECAST_ALIASES.items() if COLUMN_ALIASES.get(a) in history_names}
    return read_frame(
        path,
        FORECAST_REQUIRED_COLUMNS,
        tz=tz,
        optional=("calls_lower", "calls_upper", "method"),
        column_map=column_map,
        aliases=primary,
        fallback=standby,
    )


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame to CSV or Parquet (by suffix), atomically.

    In CSV, tz-aware date-time columns are written as ISO 8601 with the UTC offset
    (``2024-03-31T09:15:00+01:00``); naive ones without an offset. Parent folders are created.
    The file is written to a temporary file beside the target and moved into place with
    :func:`os.replace`, so a failure never leaves a half-written file.

    Parameters
    ----------
    frame : pandas.DataFrame
        Not modified; its index is not written.
    path : str or path-like
        Target, ending in ``.csv``, ``.parquet`` or ``.pq``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", *_PARQUET_SUFFIXES):
        raise InputError(
            f"{target}: cannot write files ending in {suffix or '(no suffix)'!r}; "
            "expected .csv, .parquet or .pq"
        )
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{target}: expected a pandas DataFrame to write, got {type(frame).__name__}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if suffix == ".csv":
            _write_csv(frame, tmp)
        else:
            frame.reset_index(drop=True).to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


# --------------------------------------------------------------------------------------------------
# Reading the table
# --------------------------------------------------------------------------------------------------


def _text_columns(
    aliases: Mapping[str, str], column_map: Mapping[str, str] | None
) -> Callable[[list[str]], list[str]]:
    """Header -> the CSV columns to keep as text (timestamps and queue names are parsed by us)."""
    user = dict(column_map or {})

    def pick(header: list[str]) -> list[str]:
        keep = []
        for column in header:
            target = user[column] if column in user else aliases.get(_normalise(column))
            if target in ("interval_start", "queue"):
                keep.append(column)
        return keep

    return pick


def _read_table(
    path: Path,
    *,
    source: str | None = None,
    text_columns: Callable[[list[str]], list[str]] | None = None,
) -> tuple[pd.DataFrame, _Rows, list[str]]:
    """Read a CSV or Parquet file into a raw frame, recognising the format from its content.

    ``text_columns(header)`` names the CSV columns read as text rather than type-inferred.
    """
    name = source or str(path)
    if not path.exists():
        raise InputError(f"{name}: file not found; expected a CSV or Parquet file")
    if path.is_dir():
        raise InputError(f"{name}: is a folder; expected a CSV or Parquet file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{name}: file is empty (0 bytes); expected a CSV with a header row")
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    suffix = path.suffix.lower()
    notes: list[str] = []
    if head.startswith(b"PAR1"):
        return _read_parquet(path, name), _Rows(name, "parquet"), notes
    if suffix in _PARQUET_SUFFIXES:
        raise InputError(f"{name}: is not a Parquet file (no PAR1 header); expected Parquet or CSV")
    if head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        raise InputError(
            f"{name}: looks like an Excel workbook (.xlsx) or another ZIP archive, not CSV; "
            "expected a CSV or Parquet file (save the sheet as CSV)"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise InputError(
            f"{name}: looks like an old Excel workbook (.xls), not CSV; "
            "expected a CSV or Parquet file (save the sheet as CSV)"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"{name}: is UTF-16 text; expected a UTF-8 CSV file (save it as 'CSV UTF-8')"
        )
    if b"\x00" in head:
        raise InputError(
            f"{name}: contains binary data, not CSV text; expected a CSV or Parquet file"
        )
    encoding = _text_encoding(head, complete=size <= _HEAD_BYTES)
    if encoding != "utf-8":
        notes.append(f"{name} is not UTF-8; read as Windows-1252 text")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        raise InputError(f"{name}: file has no text; expected a CSV with a header row")
    delimiter = _sniff_delimiter(lines)
    if delimiter != ",":
        notes.append(f"{name}: columns separated by {delimiter!r}")
    header_raw = next(csv.reader([lines[0]], delimiter=delimiter))
    header = [c.strip() for c in header_raw]
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise InputError(
                f"{name} line 1: column {column!r} appears more than once in the header; "
                "expected unique column names"
            )
        seen.add(column)
    wanted = set(text_columns(header)) if text_columns is not None else set()
    as_text = [raw for raw, clean in zip(header_raw, header, strict=True) if clean in wanted]
    decimal = "," if delimiter != "," and _decimal_commas(lines[1:], delimiter) else "."
    if decimal == ",":
        notes.append(f"{name}: numbers written with a decimal comma (e.g. 3,5)")
    try:
        raw = _read_csv_arrow(path, delimiter, encoding, as_text, decimal)
    except Exception as error:  # pyarrow raises several types for malformed text
        message = " ".join(str(error).split())
        raise InputError(
            f"{name}: could not be read as CSV ({message}); expected a header row and one row per "
            "interval with the same number of fields"
        ) from error
    if len(raw) == 0:
        raise InputError(f"{name}: has a header but no data rows; expected one row per interval")
    raw.columns = [str(column).strip() for column in raw.columns]
    return raw, _Rows(name, "csv"), notes


def _decimal_commas(lines: list[str], delimiter: str) -> bool:
    """Whether data lines hold numbers like ``3,5`` (and none like ``3.5``) between delimiters."""
    comma = re.compile(rf"(?:^|{re.escape(delimiter)})\s*-?\d+,\d+\s*(?={re.escape(delimiter)}|$)")
    point = re.compile(rf"(?:^|{re.escape(delimiter)})\s*-?\d+\.\d+\s*(?={re.escape(delimiter)}|$)")
    return any(comma.search(line) for line in lines) and not any(
        point.search(line) for line in lines
    )


def _read_csv_arrow(
    path: Path, delimiter: str, encoding: str, as_text: list[str], decimal: str = "."
) -> pd.DataFrame:
    """Multi-threaded pyarrow CSV reader; ``as_text`` columns stay strings (we parse them)."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(encoding=encoding),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter),
        convert_options=pa_csv.ConvertOptions(
            column_types={column: pa.string() for column in as_text},
            strings_can_be_null=False,  # a queue called "NA" is a name, not a null
            decimal_point=decimal,
        ),
    )
    names = list(table.column_names)
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0].removeprefix("\ufeff")
        table = table.rename_columns(names)
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _read_parquet(path: Path, name: str) -> pd.DataFrame:
    try:
        raw = pd.read_parquet(path)
    except Exception as error:
        message = " ".join(str(error).split())
        raise InputError(f"{name}: could not be read as Parquet ({message})") from error
    if len(raw) == 0:
        raise InputError(f"{name}: Parquet file has no rows; expected one row per interval")
    if not isinstance(raw.index, pd.RangeIndex):
        raw = raw.reset_index()
    raw.columns = [str(column).strip() for column in raw.columns]
    return raw


def _text_encoding(head: bytes, *, complete: bool) -> str:
    """'utf-8' when the head decodes as UTF-8 (allowing a character cut at the end), else cp1252."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if complete or error.start < len(head) - 3:
            return "cp1252"
    return "utf-8"


def _sniff_delimiter(lines: list[str]) -> str:
    try:
        return csv.Sniffer().sniff("\n".join(lines[:10]), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] > 0 else ","


# --------------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------------


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-./]+", "_", str(name).strip().lower()).strip("_")


def _resolve_columns(
    raw: pd.DataFrame,
    rows: _Rows,
    aliases: Mapping[str, str],
    required: Sequence[str],
    optional: Sequence[str],
    column_map: Mapping[str, str] | None,
    notes: list[str],
    fallback: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Map planner column -> raw column name; return it and the ignored raw columns.

    Only the ``required`` and ``optional`` columns are looked for; other columns are ignored,
    even when their name is a known spelling of some other planner column. ``fallback`` spellings
    (normalised name -> column) are used only for columns no ``aliases`` spelling provides.
    """
    present = [str(column) for column in raw.columns]
    targets = set(required) | set(optional)
    user = dict(column_map or {})
    for old, new in user.items():
        if old not in present:
            raise InputError(
                f"{rows.source}: column_map names column {old!r}, which is not in the data; "
                f"found columns {present}"
            )
        if new != "" and new not in targets:
            raise InputError(
                f"{rows.source}: column_map maps {old!r} to {new!r}, "
                "which is not a column this file can have; "
                f"expected one of {sorted(targets)} (or '' to ignore the column)"
            )
    chosen: dict[str, list[str]] = {}
    spare: dict[str, list[str]] = {}
    ignored: list[str] = []
    renamed: list[str] = []
    for column in present:
        if column in user:
            target = user[column]
            if target == "":
                ignored.append(column)
                continue
            renamed.append(f"column {column!r} read as {target} (column_map)")
        else:
            found = aliases.get(_normalise(column))
            if found is None and fallback is not None:
                standby = fallback.get(_normalise(column))
                if standby is not None and standby in targets:
                    spare.setdefault(standby, []).append(column)
                    continue
            if found is None or found not in targets:
                ignored.append(column)
                continue
            target = found
            if column != target:
                renamed.append(f"column {column!r} read as {target}")
        chosen.setdefault(target, []).append(column)
    for target, columns in spare.items():
        if target in chosen:
            ignored.extend(columns)
        else:
            chosen[target] = columns
            renamed.extend(f"column {column!r} read as {target}" for column in columns)
    for target, columns in chosen.items():
        if len(columns) > 1:
            listed = " and ".join(repr(column) for column in columns)
            raise InputError(
                f"{rows.source}: ambiguous columns: {listed} would all be read as {target}; "
                f"expected one; drop one or choose with column_map / --map "
                f"(e.g. --map {columns[1]}= to ignore {columns[1]!r})"
            )
    for name in required:
        if name not in chosen and name != "queue":
            spellings = sorted(a for a, t in aliases.items() if t == name and a != name)
            hint = f" (or one of its spellings {spellings})" if spellings else ""
            raise InputError(
                f"{rows.source}: required column {name} is missing; found columns {present}; "
                f"expected a column named {name}{hint}, or pass column_map / --map COLUMN={name}"
            )
    notes.extend(renamed)
    if ignored:
        notes.append(f"ignored columns not used by the planner: {ignored}")
    return {target: columns[0] for target, columns in chosen.items()}, ignored


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------


def _build_frame(
    raw: pd.DataFrame,
    rows: _Rows,
    columns: Mapping[str, str],
    required: Sequence[str],
    optional: Sequence[str],
    *,
    tz: str | None,
    notes: list[str],
    unique_key: bool,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Validate the mapped columns and return (frame, order, queue codes of the sorted frame).

    ``order`` maps each row of the returned frame to its 0-based position in ``raw``.
    """
    n = len(raw)
    wanted = [name for name in (*required, *optional) if name in columns or name in required]
    out: dict[str, object] = {}
    codes: np.ndarray | None = None
    if "queue" in wanted:
        if "queue" in columns:
            queue = _parse_queue(raw[columns["queue"]], rows, columns["queue"])
        else:
            queue = pd.Series(np.full(n, DEFAULT_QUEUE, dtype=object), dtype="str")
            notes.append(f"no queue column; all rows belong to queue {DEFAULT_QUEUE!r}")
        out["queue"] = queue
        codes, _ = pd.factorize(queue, sort=True)
        codes = codes.astype(np.int64)
    if "interval_start" in wanted:
        queue_codes = codes if codes is not None else np.zeros(n, dtype=np.int64)
        out["interval_start"] = _parse_timestamps(
            raw[columns["interval_start"]],
            rows,
            columns["interval_start"],
            tz=tz,
            queue_codes=queue_codes,
            notes=notes,
        )
    for name in wanted:
        if name in out:
            continue
        column = raw[columns[name]]
        if name in NUMERIC_COLUMNS:
            out[name] = _parse_numbers(
                column, rows, name, columns[name], allow_missing=name not in required
            )
        else:
            out[name] = column.reset_index(drop=True)
    frame = pd.DataFrame(out)
    _check_consistency(frame, rows)
    if "queue" in frame.columns and "interval_start" in frame.columns:
        assert codes is not None
        utc_ns = _utc_ns(frame["interval_start"])
        order = np.lexsort((utc_ns, codes))
        if unique_key:
            _check_duplicates(frame, utc_ns[order], codes[order], order, rows)
        frame = frame.take(order).reset_index(drop=True)
        return frame, order, codes[order]
    order = np.arange(n)
    return frame, order, np.zeros(n, dtype=np.int64)


def _parse_queue(column: pd.Series, rows: _Rows, raw_name: str) -> pd.Series:
    values = column.reset_index(drop=True)
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if len(whole) and bool((whole == np.floor(whole)).all()):
            values = values.astype("Int64")
    text = values.astype("str")
    missing = values.isna().to_numpy() | (text.str.strip() == "").to_numpy()
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise InputError(
            f"{rows.at(pos)}: column {raw_name!r} (queue) is empty; expected a queue name"
        )
    return text.str.strip()


def _parse_numbers(
    column: pd.Series, rows: _Rows, name: str, raw_name: str, *, allow_missing: bool
) -> pd.Series:
    """Column -> float64 Series; errors name the row, column and value."""
    label = name if raw_name == name else f"{name} (column {raw_name!r})"
    values = column.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(values):
        raise InputError(f"{rows.source}: {label} holds true/false values; expected numbers")
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        blank = np.zeros(len(values), dtype=bool)
    else:
        coerced = pd.to_numeric(values, errors="coerce")
        numbers = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
        text = values.astype("str").str.strip()
        blank = values.isna().to_numpy() | (text == "").to_numpy()
        bad = np.isnan(numbers) & ~blank
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{rows.at(pos)}: {label} must be a number, got {_show(values.iloc[pos])}"
            )
    missing = np.isnan(numbers)
    if not allow_missing and missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise InputError(
            f"{rows.at(pos)}: {label} is missing (empty or NaN); expected a number >= 0"
        )
    infinite = np.isinf(numbers)
    if infinite.any():
        pos = int(np.flatnonzero(infinite)[0])
        raise InputError(f"{rows.at(pos)}: {label} must be finite, got {numbers[pos]}")
    negative = numbers < 0
    if negative.any():
        pos = int(np.flatnonzero(negative)[0])
        raise InputError(f"{rows.at(pos)}: {label} must be >= 0, got {_number(numbers[pos])}")
    return pd.Series(numbers, dtype=np.float64)


def _show(value: object) -> str:
    """repr of a cell value without numpy's type wrappers (``5``, not ``np.int64(5)``)."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _check_consistency(frame: pd.DataFrame, rows: _Rows) -> None:
    """Counts bounded by others (answered, abandoned <= offered; within target <= answered)."""
    pairs = [
        ("calls_answered", "calls_offered"),
        ("calls_abandoned", "calls_offered"),
        ("calls_lower", "calls_upper"),
    ]
    if "calls_answered" in frame.columns:
        pairs.append(("answered_within_target", "calls_answered"))
    else:
        pairs.append(("answered_within_target", "calls_offered"))
    for small, large in pairs:
        if small not in frame.columns or large not in frame.columns:
            continue
        a = frame[small].to_numpy(dtype=np.float64)
        b = frame[large].to_numpy(dtype=np.float64)
        bad = a > b  # NaN compares False: missing values are not inconsistencies
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{rows.at(pos)}: {small} must be <= {large}, got {small}={_number(a[pos])} "
                f"and {large}={_number(b[pos])}"
            )


def _check_tz(tz: str, source: str) -> None:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise InputError(
            f"{source}: unknown time zone {tz!r}; expected an IANA name such as "
            "'Europe/London' or 'America/New_York'"
        ) from error


_OFFSET_RE = r"(?:[zZ]|[+-]\d\d(?::?\d\d)?)$"


def _parse_timestamps(
    column: pd.Series,
    rows: _Rows,
    raw_name: str,
    *,
    tz: str | None,
    queue_codes: np.ndarray,
    notes: list[str],
) -> pd.Series:
    """Parse, localise (DST-aware) or convert interval starts; returns ``datetime64[ns, tz]``."""
    label = (
        "interval_start"
        if raw_name == "interval_start"
        else f"interval_start (column {raw_name!r})"
    )
    values = column.reset_index(drop=True)
    if tz is not None:
        _check_tz(tz, rows.source)
    already_dates = pd.api.types.is_datetime64_any_dtype(values)
    if already_dates:
        parsed = values
    elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise InputError(
            f"{rows.at(0)}: {label} must be a date-time such as 2024-01-31 08:15 (ISO 8601), "
            f"got the number {_show(values.iloc[0])}"
        )
    else:
        parsed = _parse_text_timestamps(values, rows, label, notes)
    missing = parsed.isna().to_numpy()
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise InputError(f"{rows.at(pos)}: {label} is missing; expected a date-time")
    _check_range(parsed, rows, label)
    if parsed.dt.tz is None:
        if tz is None:
            raise InputError(
                f"{rows.source}: {label} has no UTC offset (e.g. {str(parsed.iloc[0])!r}), so its "
                "time zone is unknown; expected the centre's time zone: pass --tz (or tz=), "
                "e.g. --tz Europe/London, or give zone-aware date-times "
                "(Series.dt.tz_localize('Europe/London'))"
            )
        parsed = _localise(parsed, tz, queue_codes, rows, label, notes)
    else:
        if tz is not None:
            parsed = parsed.dt.tz_convert(tz)
            notes.append(f"timestamps carry UTC offsets; converted to {tz}")
        elif already_dates:
            pass  # a zone-aware date-time column (Parquet, a frame): its zone is explicit
        elif not any(note.startswith("timestamps carry several") for note in notes):
            notes.append(
                f"timestamps carry UTC offsets; kept in {parsed.dt.tz} (pass --tz to convert)"
            )
    return parsed.dt.as_unit("ns")


_EARLIEST = pd.Timestamp("1900-01-01")
_LATEST = pd.Timestamp("2200-01-01")


def _check_range(parsed: pd.Series, rows: _Rows, label: str) -> None:
    """Interval starts must lie in 1900-2199 (and so fit nanosecond date-times)."""
    wall = parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
    outside = ((wall < _EARLIEST) | (wall >= _LATEST)).to_numpy()
    if outside.any():
        pos = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"{rows.at(pos)}: {label} {parsed.iloc[pos]} is out of range; expected a date "
            "between 1900 and 2199"
        )


def _parse_text_timestamps(
    values: pd.Series, rows: _Rows, label: str, notes: list[str]
) -> pd.Series:
    if isinstance(values.dtype, pd.StringDtype):
        text = values
    else:
        text = values.astype("str").where(values.notna(), None)
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if (parsed.isna() & text.notna()).any():  # surrounding spaces: strip only when needed
            text = text.str.strip()
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:
        text = text.str.strip()
        # Several UTC offsets (a local export across a DST change): read as instants in UTC, but
        # never mix in values without an offset, which would silently be taken as UTC.
        has_offset = text.str.contains(_OFFSET_RE, regex=True).fillna(True).to_numpy(dtype=bool)
        if not has_offset.all():
            pos = int(np.flatnonzero(~has_offset)[0])
            raise InputError(
                f"{rows.at(pos)}: {label} {text.iloc[pos]!r} has no UTC offset while other rows "
                "have one; expected every timestamp with an offset, or none"
            ) from None
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        offset = _most_common_offset(text)
        parsed = parsed.dt.tz_convert(offset)
        notes.append(
            f"timestamps carry several UTC offsets (a DST change?); read as instants at the most "
            f"common offset {parsed.dt.tz}; pass --tz to get the centre's time zone with DST"
        )
    bad = (parsed.isna() & values.notna()).to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        if str(values.iloc[pos]).strip() == "":
            raise InputError(f"{rows.at(pos)}: {label} is missing; expected a date-time")
        raise InputError(
            f"{rows.at(pos)}: {label} could not be read as a date-time, "
            f"got {_show(values.iloc[pos])}; "
            "expected ISO 8601 such as 2024-01-31 08:15 or 2024-01-31T08:15:00+01:00"
        )
    return parsed


def _most_common_offset(text: pd.Series) -> datetime.timezone:
    """The most common trailing UTC offset of ISO 8601 strings, as a fixed-offset time zone."""
    tails = text.str.extract(r"([zZ]|[+-]\d\d(?::?\d\d)?)$", expand=False).value_counts()
    if len(tails) == 0:
        return datetime.UTC
    tail = str(tails.index[0])
    if tail in ("Z", "z"):
        return datetime.UTC
    digits = tail[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0)
    sign = -1 if tail[0] == "-" else 1
    return datetime.timezone(datetime.timedelta(minutes=sign * minutes))


def _localise(
    parsed: pd.Series,
    tz: str,
    queue_codes: np.ndarray,
    rows: _Rows,
    label: str,
    notes: list[str],
) -> pd.Series:
    """Naive clock times -> tz-aware; the repeated autumn hour is resolved by order per queue."""
    naive_ns = parsed.dt.as_unit("ns").to_numpy().view(np.int64)
    repeat = pd.DataFrame({"q": queue_codes, "t": naive_ns}).duplicated(keep="first").to_numpy()
    # In a file in time order the first occurrence of a clock time in its queue is summer time
    # (DST) and the repeat is standard time; in a file in reverse time order it is the other way.
    descending = _descending_queues(naive_ns, queue_codes)
    first_is_dst = ~descending[queue_codes]
    localised = parsed.dt.tz_localize(
        tz, ambiguous=np.where(repeat, ~first_is_dst, first_is_dst), nonexistent="NaT"
    )
    nonexistent = localised.isna().to_numpy()
    if nonexistent.any():
        pos = int(np.flatnonzero(nonexistent)[0])
        raise InputError(
            f"{rows.at(pos)}: {label} {parsed.iloc[pos]} does not exist in {tz} (the clocks skip "
            "that hour when summer time starts); expected local clock times that exist"
        )
    notes.append(f"naive timestamps read as local time in {tz}")
    repeats = int(repeat.sum())
    if repeats:
        notes.append(
            f"{repeats} rows repeat a local clock time of their queue (the autumn DST hour): "
            "read in file order (in time order: summer time first, then standard time)"
        )
    return localised


def _descending_queues(naive_ns: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per queue code: whether its rows are mostly in reverse time order in the file."""
    n_queues = int(codes.max()) + 1 if len(codes) else 0
    same = codes[1:] == codes[:-1]
    step = np.diff(naive_ns)[same]
    owner = codes[1:][same]
    down = np.bincount(owner, weights=(step < 0).astype(np.float64), minlength=n_queues)
    up = np.bincount(owner, weights=(step > 0).astype(np.float64), minlength=n_queues)
    return down > up


def _check_duplicates(
    frame: pd.DataFrame,
    utc_sorted: np.ndarray,
    codes_sorted: np.ndarray,
    order: np.ndarray,
    rows: _Rows,
) -> None:
    same = (utc_sorted[1:] == utc_sorted[:-1]) & (codes_sorted[1:] == codes_sorted[:-1])
    if same.any():
        j = int(np.flatnonzero(same)[0])
        first, second = sorted((int(order[j]), int(order[j + 1])))
        queue = frame["queue"].iloc[first]
        start = frame["interval_start"].iloc[first]
        raise InputError(
            f"{rows.at(second)}: duplicate (queue, interval_start) "
            f"({queue!r}, {start.isoformat()}), "
            f"already on {rows.at(first).removeprefix(rows.source + ' ')}; expected one row per "
            "queue and interval"
        )


# --------------------------------------------------------------------------------------------------
# Interval length and gaps
# --------------------------------------------------------------------------------------------------


def _utc_ns(starts: pd.Series) -> np.ndarray:
    """Interval starts as int64 nanoseconds since the epoch in UTC (naive values as they are)."""
    values = starts.dt.as_unit("ns")
    if values.dt.tz is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.to_numpy().view(np.int64)


def _wall_ns(starts: pd.Series) -> np.ndarray:
    """Local wall-clock times as int64 nanoseconds (a naive series is its own wall clock)."""
    values = starts.dt.as_unit("ns")
    if values.dt.tz is not None:
        values = values.dt.tz_localize(None)
    return values.to_numpy().view(np.int64)


def _infer_step_minutes(
    utc_ns: np.ndarray,
    wall_ns: np.ndarray,
    codes: np.ndarray,
    order: np.ndarray,
    names: np.ndarray,
    rows: _Rows,
    tz: object,
) -> int:
    """Kernel of :func:`infer_interval_minutes` on arrays sorted by (queue, utc), unique."""
    same_queue = codes[1:] == codes[:-1]
    steps = (utc_ns[1:] - utc_ns[:-1])[same_queue]
    if len(steps) == 0:
        raise InputError(
            f"{rows.source}: cannot infer the interval length from one interval per queue; "
            "expected at least two intervals in a queue"
        )
    values, counts = np.unique(steps, return_counts=True)
    step = int(values[np.argmax(counts)])
    minutes = step / _NS_PER_MINUTE
    if minutes not in SUPPORTED_INTERVAL_MINUTES:
        raise InputError(
            f"{rows.source}: interval length {minutes:g} minutes (the most common step between "
            f"rows) is not supported; expected one of {list(SUPPORTED_INTERVAL_MINUTES)} minutes"
        )
    all_steps = np.diff(utc_ns)
    off_grid = (all_steps % step != 0) & same_queue
    if off_grid.any():
        j = int(np.flatnonzero(off_grid)[0])
        first, second = sorted((int(order[j]), int(order[j + 1])))
        gap_minutes = all_steps[j] / _NS_PER_MINUTE
        raise InputError(
            f"{rows.source}: mixed interval lengths: "
            f"{rows.at(first).removeprefix(rows.source + ' ')} "
            f"and {rows.at(second).removeprefix(rows.source + ' ')} (queue {names[codes[j]]!r}) "
            f"are {gap_minutes:g} minutes apart, but most rows are {minutes:g} minutes apart; "
            f"expected every interval_start on one {minutes:g}-minute grid"
        )
    # A whole day recorded at a coarser step (e.g. 30-minute rows in a 15-minute file) is a second
    # interval length, not a day with every other interval missing.
    day = wall_ns // _NS_PER_DAY
    same_day = same_queue & (day[1:] == day[:-1])
    if same_day.any():
        idx = np.flatnonzero(same_day)
        key = codes[idx] * (day.max() - day.min() + 1) + (day[idx] - day.min())
        day_steps = pd.Series(all_steps[idx]).groupby(key).agg(["min", "max", "size"])
        # Every step of the day the same coarser length: a different grid, not scattered gaps
        # (an export that omits empty intervals leaves irregular steps on quiet days).
        coarse = day_steps[
            (day_steps["min"] > step)
            & (day_steps["min"] == day_steps["max"])
            & (day_steps["size"] >= 3)
        ]
        if len(coarse):
            k = int(coarse.index[0])
            j = int(idx[np.flatnonzero(key == k)[0]])
            first, second = sorted((int(order[j]), int(order[j + 1])))
            local = pd.Timestamp(int(wall_ns[j])).date()
            coarse_minutes = coarse["min"].iloc[0] / _NS_PER_MINUTE
            raise InputError(
                f"{rows.source}: mixed interval lengths: queue {names[codes[j]]!r} on {local} is "
                f"recorded every {coarse_minutes:g} minutes (from "
                f"{rows.at(first).removeprefix(rows.source + ' ')}), but most rows are "
                f"{minutes:g} minutes apart; expected one interval length"
            )
    return int(minutes)


def _validate_history(
    raw: pd.DataFrame,
    rows: _Rows,
    notes: list[str],
    *,
    tz: str | None,
    column_map: Mapping[str, str] | None,
) -> HistoryLoad:
    columns, _ = _resolve_columns(
        raw,
        rows,
        COLUMN_ALIASES,
        HISTORY_REQUIRED_COLUMNS,
        HISTORY_OPTIONAL_COLUMNS,
        column_map,
        notes,
    )
    frame, order, codes = _build_frame(
        raw,
        rows,
        columns,
        HISTORY_REQUIRED_COLUMNS,
        HISTORY_OPTIONAL_COLUMNS,
        tz=tz,
        notes=notes,
        unique_key=True,
    )
    starts = frame["interval_start"]
    utc_ns = _utc_ns(starts)
    wall_ns = _wall_ns(starts)
    names = np.asarray(pd.unique(frame["queue"]), dtype=object)
    minutes = _infer_step_minutes(utc_ns, wall_ns, codes, order, names, rows, starts.dt.tz)
    notes.append(f"interval length inferred as {minutes} minutes")
    gaps = _find_gaps(utc_ns, wall_ns, codes, names, minutes, starts.dt.tz)
    if len(gaps):
        days = int((gaps["kind"] == "day").sum())
        intervals = int(gaps.loc[gaps["kind"] == "intervals", "missing_intervals"].sum())
        notes.append(
            f"gaps: {days} missing days and {intervals} missing intervals inside days with data"
        )
    return HistoryLoad(
        frame=frame, interval_minutes=minutes, gaps=gaps, notes=notes, source=rows.source
    )


def _localise_wall(wall_ns: np.ndarray, tz: object) -> np.ndarray:
    """Local wall-clock int64 ns -> UTC int64 ns (ambiguous: summer time; skipped: shifted on)."""
    naive = pd.Series(wall_ns.astype("datetime64[ns]"))
    aware = naive.dt.tz_localize(
        tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    )
    return _utc_ns(aware)


def _find_gaps(
    utc_ns: np.ndarray,
    wall_ns: np.ndarray,
    codes: np.ndarray,
    names: np.ndarray,
    interval_minutes: int,
    tz: object,
) -> pd.DataFrame:
    """Missing intervals inside each day's normal open span, and missing weekdays.

    Arrays are sorted by (queue code, utc) and unique. The normal open span of a day is the median
    first and last local clock time of the nine nearest dates with data on the same weekday (so
    it follows a change of opening hours); a missing day's span is the most common one of its
    weekday. A weekday normally has data when at least half of its dates in the queue's span have
    data (a centre closed at weekends has no weekend gaps).
    """
    step = interval_minutes * _NS_PER_MINUTE
    day = wall_ns // _NS_PER_DAY
    tod = wall_ns - day * _NS_PER_DAY
    n = len(utc_ns)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (codes[1:] != codes[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], n) - 1
    days = pd.DataFrame(
        {
            "code": codes[starts],
            "day": day[starts],
            "weekday": (day[starts] + 3) % 7,  # 1970-01-01 was a Thursday; Monday = 0
            "first_tod": tod[starts],
            "last_tod": tod[ends],
            "first_utc": utc_ns[starts],
            "last_utc": utc_ns[ends],
        }
    )
    first_mode = _mode_by(days, "first_tod")
    last_mode = _mode_by(days, "last_tod")
    runs: list[pd.DataFrame] = []

    # 1. Missing intervals between two rows of the same day.
    step_after = np.diff(utc_ns)
    inside = (~new_group[1:]) & (step_after > step)
    idx = np.flatnonzero(inside)
    if len(idx):
        runs.append(
            pd.DataFrame(
                {
                    "code": codes[idx],
                    "start": utc_ns[idx] + step,
                    "end": utc_ns[idx + 1],
                    "kind": "intervals",
                }
            )
        )

    # 2. Missing intervals at the start or end of a day, against its weekday's normal span.
    # The normal span of a day is the median over the same weekday's nine nearest dates, so that
    # a permanent change of opening hours moves the normal span with it.
    normal_first = _rolling_median_by(days, "first_tod", window=9)
    normal_last = _rolling_median_by(days, "last_tod", window=9)
    day_ns = days["day"].to_numpy() * _NS_PER_DAY
    expected_first = _localise_wall(day_ns + normal_first, tz)
    expected_last = _localise_wall(day_ns + normal_last, tz)
    first_utc = days["first_utc"].to_numpy()
    last_utc = days["last_utc"].to_numpy()
    # The data's own first and last day may be cut short by the extract: not gaps.
    day_codes = days["code"].to_numpy()
    first_of_queue = np.ones(len(days), dtype=bool)
    first_of_queue[1:] = day_codes[1:] != day_codes[:-1]
    last_of_queue = np.ones(len(days), dtype=bool)
    last_of_queue[:-1] = day_codes[:-1] != day_codes[1:]
    late = ((first_utc - expected_first) >= step) & ~first_of_queue
    if late.any():
        runs.append(
            pd.DataFrame(
                {
                    "code": days["code"].to_numpy()[late],
                    "start": expected_first[late],
                    "end": first_utc[late],
                    "kind": "intervals",
                }
            )
        )
    early = ((expected_last - last_utc) >= step) & ~last_of_queue
    if early.any():
        runs.append(
            pd.DataFrame(
                {
                    "code": days["code"].to_numpy()[early],
                    "start": last_utc[early] + step,
                    "end": expected_last[early] + step,
                    "kind": "intervals",
                }
            )
        )

    # 3. Whole missing days on weekdays that normally have data (loop over queues: the small axis).
    for code in np.unique(codes):
        mine = days[days["code"] == code]
        present = mine["day"].to_numpy()
        calendar = np.arange(present.min(), present.max() + 1)
        weekday = (calendar + 3) % 7
        has_data = np.isin(calendar, present)
        occurrences = np.bincount(weekday, minlength=7)
        with_data = np.bincount(weekday[has_data], minlength=7)
        normal = with_data * 2 >= occurrences
        missing = calendar[~has_data & normal[weekday]]
        if len(missing) == 0:
            continue
        missing_weekday = (missing + 3) % 7
        wk = pd.MultiIndex.from_arrays([np.full(len(missing), code), missing_weekday])
        first = first_mode.reindex(wk).to_numpy(dtype=np.int64)
        last = last_mode.reindex(wk).to_numpy(dtype=np.int64)
        start = _localise_wall(missing * _NS_PER_DAY + first, tz)
        end = _localise_wall(missing * _NS_PER_DAY + last, tz) + step
        runs.append(pd.DataFrame({"code": code, "start": start, "end": end, "kind": "day"}))

    if not runs:
        return _empty_gaps(tz)
    found = pd.concat(runs, ignore_index=True)
    found = found[found["end"] > found["start"]]
    found = found.sort_values(["code", "start"], kind="stable").reset_index(drop=True)
    to_time = lambda ns: (  # noqa: E731
        pd.Series(ns.astype("datetime64[ns]")).dt.tz_localize("UTC").dt.tz_convert(tz)
    )
    return pd.DataFrame(
        {
            "queue": pd.Series(names[found["code"].to_numpy()], dtype="str"),
            "gap_start": to_time(found["start"].to_numpy()),
            "gap_end": to_time(found["end"].to_numpy()),
            "missing_intervals": ((found["end"] - found["start"]) // step).to_numpy(dtype=np.int64),
            "kind": pd.Series(found["kind"].to_numpy(), dtype="str"),
        }
    )


def _rolling_median_by(days: pd.DataFrame, column: str, *, window: int) -> np.ndarray:
    """Per (code, weekday), centred rolling median (lower) of ``column``; aligned with ``days``."""
    rolled = (
        days.groupby(["code", "weekday"], sort=False)[column]
        .rolling(window, center=True, min_periods=1)
        .quantile(0.5, interpolation="lower")
    )
    aligned = rolled.droplevel([0, 1]).sort_index()
    return aligned.to_numpy(dtype=np.int64)


def _mode_by(days: pd.DataFrame, column: str) -> pd.Series:
    """Most common value of ``column`` per (code, weekday); ties go to the earliest value."""
    counts = days.groupby(["code", "weekday", column]).size().rename("n").reset_index()
    counts = counts.sort_values(
        ["code", "weekday", "n", column], ascending=[True, True, False, True]
    )
    best = counts.drop_duplicates(["code", "weekday"])
    return best.set_index(["code", "weekday"])[column]


def _empty_gaps(tz: object) -> pd.DataFrame:
    empty_times = pd.Series(pd.DatetimeIndex([], tz=tz or "UTC").as_unit("ns"))
    return pd.DataFrame(
        {
            "queue": pd.Series([], dtype="str"),
            "gap_start": empty_times,
            "gap_end": empty_times.copy(),
            "missing_intervals": pd.Series([], dtype=np.int64),
            "kind": pd.Series([], dtype="str"),
        }
    )


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV through pyarrow's writer (fast); pandas' writer for columns arrow cannot write."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pa_csv

    arrow_errors = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
    columns = {}
    for name in frame.columns:
        column = frame[name].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(column):
            columns[str(name)] = _iso_text(column)
            continue
        try:
            columns[str(name)] = pa.Array.from_pandas(column)
        except arrow_errors:
            _write_csv_pandas(frame, path)  # e.g. an object column of mixed types
            return
    # Quote strings only when some value needs it (a comma, quote or line break): arrow's
    # "needed" style quotes every string, which makes plain files noisy.
    text_columns = [
        array
        for array in columns.values()
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    ]
    needs_quotes = any(
        pc.any(pc.match_substring_regex(array, r'[,"\r\n]')).as_py() for array in text_columns
    )
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(list(columns))
    options = pa_csv.WriteOptions(
        include_header=False, quoting_style="needed" if needs_quotes else "none"
    )
    try:
        with path.open("wb") as handle:
            handle.write(header.getvalue().encode("utf-8"))
            pa_csv.write_csv(pa.table(columns), handle, write_options=options)
    except arrow_errors:
        _write_csv_pandas(frame, path)  # e.g. categorical or nested columns


def _write_csv_pandas(frame: pd.DataFrame, path: Path) -> None:
    out = {}
    for name in frame.columns:
        column = frame[name].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(column):
            out[name] = _iso_text(column).to_pandas()
        else:
            out[name] = column
    pd.DataFrame(out, columns=frame.columns).to_csv(path, index=False)


def _iso_text(column: pd.Series) -> pa.Array:
    """Date-times -> ISO 8601 text, ``2024-03-31T02:00:00+01:00`` (tz-aware) or without offset
    (naive); whole seconds unless some value has a fraction; nulls stay null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.empty:  # arrow's string join has no kernel for an empty (null-typed) offset list
        return pa.array([], type=pa.string())
    aware = isinstance(column.dtype, pd.DatetimeTZDtype)
    wall = (column.dt.tz_localize(None) if aware else column).dt.as_unit("ns")
    wall_ns = wall.to_numpy().view(np.int64)
    invalid = wall.isna().to_numpy()
    whole = not (wall_ns[~invalid] % 1_000_000_000 != 0).any()
    unit = "s" if whole else "ns"
    stamps = pa.array(wall.dt.as_unit(unit).to_numpy(), mask=invalid, type=pa.timestamp(unit))
    text = pc.utf8_replace_slice(stamps.cast(pa.string()), start=10, stop=11, replacement="T")
    if not aware:
        return text
    utc_ns = column.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("ns").to_numpy()
    offset_minutes = np.where(
        invalid, 0, (wall_ns - utc_ns.view(np.int64)) // _NS_PER_MINUTE
    ).astype(np.int64)
    unique, inverse = np.unique(offset_minutes, return_inverse=True)
    labels = pa.array(
        [f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in unique.tolist()]
    )
    return pc.binary_join_element_wise(text, labels.take(pa.array(inverse)), "")
