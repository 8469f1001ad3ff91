"""Chronological splits: never shuffled across time, per series when there are several."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.data.tables import require_columns
from grukit.data.times import is_step_index, to_time

__all__ = ["Split", "split_by_date", "split_by_fraction"]


class Split(NamedTuple):
    """Train, validation and test parts of one table (each a DataFrame, original index kept)."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def _series(frame: pd.DataFrame, id_column: str | None) -> list[tuple[Any, np.ndarray]]:
    if id_column is None:
        return [(None, np.arange(len(frame)))]
    require_columns(frame, [id_column])
    codes = frame[id_column].to_numpy()
    keys = pd.unique(codes)
    return [(key, np.flatnonzero(codes == key)) for key in keys]


def _assemble(frame: pd.DataFrame, parts: list[list[np.ndarray]]) -> Split:
    return Split(
        *(frame.iloc[np.concatenate(p) if p else np.array([], dtype=np.int64)] for p in parts)
    )


def _check_context(context: int) -> int:
    if not checks.is_integer(context) or context < 0:
        raise GrukitDataError(f"`context` must be a non-negative integer, got {context!r}")
    return int(context)


def _cut(
    rows: np.ndarray, n_train: int, n_val: int, context: int, parts: list[list[np.ndarray]]
) -> None:
    val_begin, test_begin = n_train, n_train + n_val
    parts[0].append(rows[:val_begin])
    if n_val:
        parts[1].append(rows[max(val_begin - context, 0) : test_begin])
    parts[2].append(rows[max(test_begin - context, 0) :])


def _where(key: Any) -> str:
    return "" if key is None else f" of series {key!r}"


def split_by_fraction(
    frame: pd.DataFrame,
    validation: float = 0.1,
    test: float = 0.2,
    *,
    id_column: str | None = None,
    context: int = 0,
) -> Split:
    """Split each series into consecutive train, validation and test parts by fractions.

    A series of ``n`` rows gives ``n_test = round(test * n)`` last rows to test,
    ``n_val = round(validation * n)`` rows before them to validation, and the rest to train.

    Parameters
    ----------
    frame : DataFrame
        Sorted by (id, time) (as :func:`grukit.data.read_table` returns it).
    validation, test : float
        Fractions in [0, 1); ``validation=0`` gives an empty validation part.
    id_column : str, optional
        Split every series separately.
    context : int
        Rows before the start of the validation and test parts also included in them (usually
        the lookback), so their first window forecasts the part's first row. Context rows are
        inputs only; no forecast target is shared between parts.

    Raises
    ------
    GrukitDataError
        A fraction outside [0, 1), or a part that would be empty.
    """
    for name, value in (("validation", validation), ("test", test)):
        if not checks.is_number(value) or not 0 <= value < 1:
            raise GrukitDataError(f"`{name}` must be a fraction in [0, 1), got {value!r}")
    if validation + test >= 1:
        raise GrukitDataError(
            f"`validation` + `test` must be below 1 to leave rows to train, got {validation + test}"
        )
    context = _check_context(context)
    parts: list[list[np.ndarray]] = [[], [], []]
    for key, rows in _series(frame, id_column):
        n = rows.size
        n_test, n_val = round(test * n), round(validation * n)
        n_train = n - n_test - n_val
        for name, size, wanted in (("test", n_test, test), ("validation", n_val, validation)):
            if wanted > 0 and size == 0:
                raise GrukitDataError(
                    f"the {name} part{_where(key)} would be empty: {name}={wanted} of {n} rows"
                )
        if n_train <= 0:
            raise GrukitDataError(f"the train part{_where(key)} would be empty ({n} rows)")
        _cut(rows, n_train, n_val, context, parts)
    return _assemble(frame, parts)


def split_by_date(
    frame: pd.DataFrame,
    *,
    test_from: Any,
    validation_from: Any = None,
    time_column: str = "time",
    id_column: str | None = None,
    context: int = 0,
) -> Split:
    """Split each series at dates: train < `validation_from` <= validation < `test_from` <= test.

    Parameters
    ----------
    frame : DataFrame
        Sorted by (id, time).
    test_from : str, datetime or int
        First time stamp of the test part (anything :func:`pandas.Timestamp` accepts; a time
        with a zone is converted to UTC, as :func:`grukit.data.read_table` converts the times),
        or the first step when the time column holds integer steps.
    validation_from : str or datetime, optional
        First time stamp of the validation part; None gives an empty validation part.
    time_column, id_column : str
    context : int
        As in :func:`split_by_fraction`.

    Raises
    ------
    GrukitDataError
        `validation_from` not before `test_from`, or a part that would be empty.
    """
    require_columns(frame, [time_column])
    context = _check_context(context)
    column = frame[time_column]
    test_start = to_time(test_from, column, "`test_from`")
    val_start = (
        None if validation_from is None else to_time(validation_from, column, "`validation_from`")
    )
    if val_start is not None and not val_start < test_start:
        raise GrukitDataError(
            f"`validation_from` must come before `test_from`, got {val_start} and {test_start}"
        )
    times = column.to_numpy() if is_step_index(column) else pd.DatetimeIndex(column)
    parts: list[list[np.ndarray]] = [[], [], []]
    for key, rows in _series(frame, id_column):
        stamps = times[rows]
        n_before_test = int((stamps < test_start).sum())
        n_train = n_before_test if val_start is None else int((stamps < val_start).sum())
        n_val = n_before_test - n_train
        part_sizes = [("train", n_train), ("test", rows.size - n_before_test)]
        if val_start is not None:
            part_sizes.append(("validation", n_val))
        for name, size in part_sizes:
            if size == 0:
                raise GrukitDataError(
                    f"the {name} part{_where(key)} would be empty (times {stamps[0]} to "
                    f"{stamps[-1]}, validation_from={validation_from!r}, test_from={test_from!r})"
                )
        _cut(rows, n_train, n_val, context, parts)
    return _assemble(frame, parts)
