"""Parameters shared by the staffing, evaluation and scenario entry points.

Caller patience differs per queue (a sales line's callers hang up sooner than a support line's),
so every entry point that takes ``patience_seconds`` accepts one number for every queue or a
mapping ``queue -> seconds``. :func:`patience_by_row` is the one place that validates it and turns
it into a per-row array the Erlang A kernels broadcast over.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from planner.errors import InputError

__all__ = ["PatienceSeconds", "check_patience", "patience_by_row", "show_value"]

PatienceSeconds: TypeAlias = float | Mapping[str, float] | None
"""Mean caller patience in seconds: one number for every queue, a mapping queue -> seconds, or
None (unknown: Erlang C)."""


def show_value(value: object) -> str:
    """A value as people read it in messages: -3 not np.float64(-3.0), 'abc' quoted."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _seconds(value: object, name: str) -> float:
    """One patience value: a finite number of seconds > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{name} must be a number of seconds > 0, got {show_value(value)}")
    number = float(value)
    if not 0 < number < math.inf:  # also refuses NaN
        raise InputError(f"{name} must be a finite number > 0, got {show_value(value)}")
    return number


def check_patience(
    patience_seconds: object, *, name: str = "patience_seconds"
) -> float | dict[str, float] | None:
    """Validate a patience parameter without the queues it will be applied to.

    Parameters
    ----------
    patience_seconds
        None, a number of seconds > 0, or a non-empty mapping of queue name -> seconds > 0.
    name
        How the parameter is called in error messages (e.g. ``scenario 'x': patience_seconds``).

    Returns
    -------
    float or dict of str to float or None
        The value as a float, a plain ``dict`` (keys as strings), or None.

    Raises
    ------
    planner.errors.InputError
        Not a number or mapping, a value <= 0, infinite or NaN (naming the queue), an empty
        mapping.
    """
    if patience_seconds is None:
        return None
    if isinstance(patience_seconds, Mapping):
        if not patience_seconds:
            raise InputError(f"{name} must map every queue to seconds > 0, got an empty mapping")
        return {
            str(queue): _seconds(value, f"{name}[{str(queue)!r}]")
            for queue, value in patience_seconds.items()
        }
    if isinstance(patience_seconds, str):
        raise InputError(
            f"{name} must be a number of seconds > 0 or a mapping queue -> seconds, "
            f"got {patience_seconds!r}"
        )
    return _seconds(patience_seconds, name)


def patience_by_row(
    patience_seconds: object, queue: ArrayLike, *, name: str = "patience_seconds"
) -> NDArray[np.float64] | None:
    """Mean patience of each row's queue, validated: the array the Erlang A kernels take.

    Parameters
    ----------
    patience_seconds
        None, one number of seconds > 0 for every queue, or a mapping queue -> seconds > 0 that
        names every queue in ``queue`` (extra queues are allowed and unused).
    queue
        Queue name of each row, shape (n,).
    name
        How the parameter is called in error messages.

    Returns
    -------
    numpy.ndarray of float64, shape (n,), or None
        Seconds per row; None when ``patience_seconds`` is None.

    Raises
    ------
    planner.errors.InputError
        A bad value (see :func:`check_patience`), or a mapping without some queue of the rows:
        ``patience_seconds has no value for queue 'billing'; ...``.
    """
    checked = check_patience(patience_seconds, name=name)
    if checked is None:
        return None
    queues = pd.Series(np.asarray(queue, dtype=object).ravel()).astype(str)
    if not isinstance(checked, dict):
        return np.full(len(queues), checked, dtype=np.float64)
    values = queues.map(checked).to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    if missing.any():
        absent = sorted(set(queues[missing]))
        listed = ", ".join(repr(q) for q in absent)
        raise InputError(
            f"{name} has no value for queue {listed}; got values for {sorted(checked)}, "
            "expected seconds > 0 for every queue of the forecast"
        )
    return values
