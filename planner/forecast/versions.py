"""Saved models and forecast versions under a models folder (default ``./models``); JSON only.

Models: ``<models_dir>/<method>/<queue>-<created>.json``, one file per (method, queue), holding the
metadata (queue, method, parameters, data span, interval length, backtest scores, created at) and
the fitted state: numpy arrays as lists, Prophet models as Prophet's own ``model_to_json`` text.
:func:`load_model` rebuilds a fitted method that predicts exactly as the saved one did. Decoding
only rebuilds the planner's own state classes listed here, so a model file cannot run code.

Forecast versions: ``<models_dir>/forecasts/<id>/forecast.parquet`` and ``manifest.json`` (id,
created at, queues, methods and why, first and last interval, rows, note), so a forecast can be
compared with the actuals later (``planner accuracy``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.forecast.aht import AhtProfile
from planner.forecast.backtest import METHODS
from planner.forecast.base import ForecastMethod
from planner.forecast.baselines import _LookupState
from planner.forecast.calendar import QueueGrid
from planner.forecast.prophet_model import _ProphetState
from planner.forecast.topdown import DailyTotalsFit, _TopDownState
from planner.schema import FORECAST_COLUMNS

__all__ = [
    "ForecastVersion",
    "list_forecast_versions",
    "load_forecast_version",
    "load_model",
    "save_forecast_version",
    "save_model",
]

FORMAT_VERSION = 1

_STATE_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (AhtProfile, _LookupState, _ProphetState, DailyTotalsFit, _TopDownState, QueueGrid)
}


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if name not in _STATE_CLASSES:
            raise InputError(f"cannot save state of type {name}")
        return {
            "__state__": name,
            "fields": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            return {"__ndarray__": value.astype(str).tolist(), "dtype": str(value.dtype)}
        if value.dtype == object:
            return {"__ndarray__": [str(v) for v in value.tolist()], "dtype": "object"}
        data = value.tolist()
        if value.dtype.kind == "f":
            data = [v if np.isfinite(v) else None for v in value.ravel().tolist()]
        return {"__ndarray__": data, "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, np.datetime64):
        return {"__datetime64__": str(value)}
    if isinstance(value, pd.Timestamp):
        return {"__timestamp__": value.isoformat(), "tz": str(value.tz) if value.tz else None}
    if isinstance(value, dt.tzinfo):
        return {"__tz__": str(value)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: _encode(v) for k, v in value.items()}}
        return {"__pairs__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, float) and not np.isfinite(value):
        return {"__float__": str(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__state__" in value:
        cls = _STATE_CLASSES.get(value["__state__"])
        if cls is None:
            raise InputError(f"model file: unknown state type {value['__state__']!r}")
        return cls(**{k: _decode(v) for k, v in value["fields"].items()})
    if "__ndarray__" in value:
        dtype = value["dtype"]
        if dtype == "object":
            return np.array(value["__ndarray__"], dtype=object)
        if dtype.startswith("datetime64"):
            return np.array(value["__ndarray__"], dtype=dtype)
        data = value["__ndarray__"]
        if np.dtype(dtype).kind == "f":
            arr = np.array(data, dtype=object)
            arr = np.where(arr == None, np.nan, arr)  # noqa: E711 - JSON null is NaN
            return arr.astype(dtype).reshape(value["shape"])
        return np.array(data, dtype=dtype).reshape(value["shape"])
    if "__datetime64__" in value:
        return np.datetime64(value["__datetime64__"])
    if "__timestamp__" in value:
        return (
            pd.Timestamp(value["__timestamp__"]).tz_convert(value["tz"])
            if value["tz"]
            else pd.Timestamp(value["__timestamp__"])
        )
    if "__tz__" in value:
        return pd.Timestamp("2000-01-01", tz=value["__tz__"]).tz
    if "__dict__" in value:
        return {k: _decode(v) for k, v in value["__dict__"].items()}
    if "__pairs__" in value:
        return {_hashable(_decode(k)): _decode(v) for k, v in value["__pairs__"]}
    if "__date__" in value:
        return dt.date.fromisoformat(value["__date__"])
    if "__float__" in value:
        return float(value["__float__"])
    return value


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "queue"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def save_model(
    model: ForecastMethod,
    queue: str,
    models_dir: str | Path = "models",
    *,
    scores: dict[str, Any] | None = None,
) -> Path:
    """Save one queue of a fitted method as JSON under ``models_dir/<method>/``.

    Parameters
    ----------
    model
        A fitted method.
    queue
        The queue to save.
    models_dir
        Models folder (created if absent).
    scores
        Backtest scores to record in the metadata (JSON-friendly).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    if not hasattr(model, "states_"):
        raise InputError(f"save_model: {type(model).__name__} is not fitted")
    chosen = getattr(model, "models_", None)
    if chosen is not None and queue in model.states_:
        # An automatic choice: save the method that was chosen for this queue.
        model = chosen[model.states_[queue]]
    if queue not in model.states_:
        raise InputError(
            f"save_model: queue {queue!r} not in the fitted model, got {sorted(model.states_)}"
        )
    grid = model.grids_[queue]
    params = model.get_params()
    # Special days act at fit time only; the saved grid keeps the holiday calendar they made.
    params["special_days"] = None
    created = _now()
    document = {
        "format_version": FORMAT_VERSION,
        "metadata": {
            "queue": queue,
            "method": model.name,
            "params": _encode(params),
            "interval_minutes": model.interval_minutes_,
            "data_first_day": str(grid.dates[0]),
            "data_last_day": str(grid.dates[-1]),
            "data_last_interval": grid.last_start.isoformat(),
            "open_days": int(grid.observed.sum()),
            "backtest_scores": scores or {},
            "created_at": created.isoformat(),
        },
        "grid": _encode(grid),
        "state": _encode(model.states_[queue]),
        "aht": _encode(model.aht_[queue]),
    }
    folder = Path(models_dir) / _safe(model.name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_safe(queue)}-{created.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document))
    return path


def load_model(path: str | Path) -> ForecastMethod:
    """Load a model saved by :func:`save_model`: a fitted method for that one queue."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: cannot read a saved model ({error})") from error
    if document.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"{path}: format_version must be {FORMAT_VERSION}, "
            f"got {document.get('format_version')!r}"
        )
    meta = document["metadata"]
    if meta["method"] not in METHODS:
        raise InputError(f"{path}: method must be one of {sorted(METHODS)}, got {meta['method']!r}")
    params = _decode(meta["params"])
    model = METHODS[meta["method"]](**params)
    queue = meta["queue"]
    model.interval_minutes_ = int(meta["interval_minutes"])
    grid = _decode(document["grid"])
    model.grids_ = {queue: grid}
    model.states_ = {queue: _decode(document["state"])}
    model.aht_ = {queue: _decode(document["aht"])}
    model.last_start_ = grid.last_start
    return model


@dataclass
class ForecastVersion:
    """A saved forecast: its frame (``FORECAST_COLUMNS``) and its manifest."""

    id: str
    frame: pd.DataFrame
    manifest: dict[str, Any]


def save_forecast_version(
    frame: pd.DataFrame,
    models_dir: str | Path = "models",
    *,
    choices: list[Any] | None = None,
    note: str = "",
) -> str:
    """Save a forecast frame as a new version; returns its id.

    Parameters
    ----------
    frame
        A forecast frame with ``FORECAST_COLUMNS``.
    models_dir
        Models folder; the version goes to ``models_dir/forecasts/<id>/``.
    choices
        The run's :class:`planner.forecast.select.MethodChoice` list, recorded in the manifest.
    note
        Free text for people.
    """
    missing = [c for c in FORECAST_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"forecast frame: columns {missing} are missing, expected {list(FORECAST_COLUMNS)}"
        )
    created = _now()
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(frame.loc[:, list(FORECAST_COLUMNS)], index=False)
        .to_numpy()
        .tobytes()
    ).hexdigest()[:8]
    version_id = f"{created.strftime('%Y%m%dT%H%M%SZ')}-{digest}"
    folder = Path(models_dir) / "forecasts" / version_id
    folder.mkdir(parents=True, exist_ok=True)
    frame.loc[:, list(FORECAST_COLUMNS)].to_parquet(folder / "forecast.parquet", index=False)
    manifest = {
        "id": version_id,
        "created_at": created.isoformat(),
        "queues": sorted(str(q) for q in frame["queue"].unique()),
        "methods": sorted(str(m) for m in frame["method"].unique()),
        "first_interval": frame["interval_start"].min().isoformat() if len(frame) else None,
        "last_interval": frame["interval_start"].max().isoformat() if len(frame) else None,
        "rows": len(frame),
        "choices": [dataclasses.asdict(c) for c in choices] if choices else [],
        "note": note,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return version_id


def load_forecast_version(version_id: str, models_dir: str | Path = "models") -> ForecastVersion:
    """Load a forecast version saved by :func:`save_forecast_version`."""
    folder = Path(models_dir) / "forecasts" / _safe(version_id)
    if not (folder / "manifest.json").is_file():
        raise InputError(
            f"forecast version {version_id!r} not found under {Path(models_dir) / 'forecasts'}"
        )
    manifest = json.loads((folder / "manifest.json").read_text())
    frame = pd.read_parquet(folder / "forecast.parquet")
    return ForecastVersion(id=version_id, frame=frame, manifest=manifest)


def list_forecast_versions(models_dir: str | Path = "models") -> pd.DataFrame:
    """One row per saved forecast version, oldest first: id, created_at, queues, methods, rows."""
    root = Path(models_dir) / "forecasts"
    rows = []
    if root.is_dir():
        for manifest_path in sorted(root.glob("*/manifest.json")):
            m = json.loads(manifest_path.read_text())
            rows.append(
                {
                    "id": m["id"],
                    "created_at": m["created_at"],
                    "queues": ",".join(m["queues"]),
                    "methods": ",".join(m["methods"]),
                    "first_interval": m["first_interval"],
                    "last_interval": m["last_interval"],
                    "rows": m["rows"],
                }
            )
    columns = ["id", "created_at", "queues", "methods", "first_interval", "last_interval", "rows"]
    return (
        pd.DataFrame(rows, columns=columns)
        .sort_values("created_at", kind="stable")
        .reset_index(drop=True)
    )
