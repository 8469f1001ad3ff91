"""Turning what a user hands a task (DataFrame, CSV/Parquet path, NumPy array) into model columns.

Two steps shared by :class:`~grukit.tasks.Forecaster` and :class:`~grukit.tasks.AnomalyDetector`:

1. :func:`load_frame`: read and sort the table, find or build its time column
   (``time_column="auto"``).
2. :func:`prepare_columns`: check the used columns, fill missing values by the chosen policy and
   one-hot encode text covariates (categories fixed when fitting).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grukit.data import (
    GrukitDataError,
    encode_categoricals,
    fill_missing,
    read_table,
    require_columns,
    require_numeric,
)

__all__ = [
    "AUTO",
    "TIME_NAMES",
    "UCI_TIME_PARTS",
    "as_name_list",
    "check_time_column",
    "default_columns",
    "is_categorical",
    "load_frame",
    "prepare_columns",
]

AUTO = "auto"
#: Column names taken as the time column by ``time_column="auto"`` (case-insensitive).
TIME_NAMES = ("time", "timestamp", "datetime", "date", "ds")
#: Separate calendar columns (the UCI PM2.5 layout) combined into a ``time`` column by "auto".
UCI_TIME_PARTS = ("year", "month", "day", "hour")


def as_name_list(value: Any, argument: str) -> list[str] | None:
    """``None`` stays None; a string becomes ``[string]``; a sequence of names is listed."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str | int) for v in value):
        return [str(v) for v in value]
    raise ValueError(f"`{argument}` must be a column name or a list of names, got {value!r}")


def _auto_time_column(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    lowered = {str(c).lower(): str(c) for c in frame.columns}
    for name in TIME_NAMES:
        if name in lowered:
            return frame, lowered[name]
    parts = [lowered.get(p) for p in UCI_TIME_PARTS]
    if all(parts[:3]):  # year, month, day (and hour when present)
        present = [p for p in parts if p is not None]
        keys = dict(zip(UCI_TIME_PARTS, present, strict=False))
        if "time" in frame.columns:  # pragma: no cover - caught by the name search above
            return frame, "time"
        try:
            stamps = pd.to_datetime(frame[present].rename(columns={v: k for k, v in keys.items()}))
        except (ValueError, TypeError) as error:
            raise GrukitDataError(
                f"could not build a time column from {', '.join(present)}: {error}"
            ) from None
        frame = frame.drop(columns=present)
        frame.insert(0, "time", stamps)
        return frame, "time"
    return frame, None


def load_frame(
    data: Any,
    *,
    time_column: str | None = AUTO,
    id_column: str | None = None,
    **time_options: Any,
) -> tuple[pd.DataFrame, str | None]:
    """Read `data` into a DataFrame sorted by (id, time) and resolve the time column.

    Parameters
    ----------
    data : DataFrame, str, Path or ndarray
        See :func:`grukit.data.read_table`.
    time_column : str, "auto" or None
        A column name; ``"auto"`` picks a column named ``time``, ``timestamp``, ``datetime``,
        ``date`` or ``ds`` (any case), or builds ``time`` from separate ``year, month, day[,
        hour]`` columns (which are then dropped), or uses none; None uses none.
    id_column : str, optional
        Tells several series in one table apart.
    **time_options
        ``time_unit``, ``dayfirst``, ``date_format``: how the time column is read (see
        :func:`grukit.data.read_table`).

    Returns
    -------
    frame : DataFrame
    time_column : str or None
        The resolved name.
    """
    if isinstance(data, str | Path | pd.DataFrame | np.ndarray):
        frame = read_table(data, id_column=id_column)
    else:
        raise GrukitDataError(
            "`data` must be a DataFrame, a path to a CSV or Parquet file or a NumPy array, "
            f"got {type(data).__name__}"
        )
    if time_column == AUTO:
        frame, time_column = _auto_time_column(frame)
    if time_column is not None:
        frame = read_table(frame, time_column=time_column, id_column=id_column, **time_options)
    return frame, time_column


def check_time_column(fitted: str | None, found: str | None) -> None:
    """Raise unless new data has the time column a model was fitted with (if it had one)."""
    if fitted is not None and found != fitted:
        given = "none" if found is None else repr(found)
        raise GrukitDataError(
            f"the model was fitted with time column {fitted!r}; the data has {given}"
        )


def is_categorical(column: pd.Series) -> bool:
    """True for a text/category column none of whose values parses as a number."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    present = column.dropna()
    if present.empty:
        return False
    return bool(pd.to_numeric(present, errors="coerce").isna().all())


def default_columns(frame: pd.DataFrame, exclude: Sequence[str | None]) -> list[str]:
    """The numeric columns of `frame` that are not in `exclude` (time, id, label, covariates)."""
    skip = {c for c in exclude if c is not None}
    names = [
        str(c) for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])
    ]
    if not names:
        raise GrukitDataError(
            "found no numeric column to use; name the columns explicitly (available columns: "
            + ", ".join(repr(str(c)) for c in frame.columns)
            + ")"
        )
    return names


def prepare_columns(
    frame: pd.DataFrame,
    targets: Sequence[str],
    covariates: Sequence[str] = (),
    *,
    fill: str | None = None,
    time_column: str | None = None,
    id_column: str | None = None,
    categories: dict[str, list[Any]] | None = None,
    target_role: str = "target column",
) -> tuple[pd.DataFrame, list[str], dict[str, list[Any]]]:
    """Validate, fill and encode the used columns of a table from :func:`load_frame`.

    Parameters
    ----------
    frame : DataFrame
    targets : sequence of str
        Must be numeric (text in them is an error naming the row).
    covariates : sequence of str
        Numeric columns are used as they are; a text column none of whose values is a number is
        one-hot encoded (``cbwd`` becomes ``cbwd=NE``, ``cbwd=NW``, ...).
    fill : {None, "ffill", "interpolate", "drop"}
        Missing-value policy for the numeric columns (see :func:`grukit.data.fill_missing`); a
        missing category becomes all zeros.
    categories : dict, optional
        ``{column: [category, ...]}`` learned when fitting. When given, exactly these columns are
        encoded, with these categories.

    Returns
    -------
    frame : DataFrame
        The prepared table.
    inputs : list of str
        The covariate columns the network sees, after encoding, in order.
    categories : dict
        The categories of each encoded column.
    """
    require_columns(frame, targets, role=target_role)
    require_columns(frame, covariates, role="covariate column")
    require_numeric(frame, targets, role=target_role)
    if categories is None:
        categorical = [c for c in covariates if is_categorical(frame[c])]
    else:
        categorical = [c for c in covariates if c in categories]
    numeric = [c for c in covariates if c not in categorical]
    require_numeric(frame, numeric, role="covariate column")
    used = list(targets) + numeric
    frame = fill_missing(frame, used, fill, time_column=time_column, id_column=id_column)
    if len(frame) == 0:
        raise GrukitDataError("no rows left after dropping the rows with missing values")
    learned: dict[str, list[Any]] = {}
    inputs = list(numeric)
    if categorical:
        if categories is None:
            learned = {
                c: [str(v) for v in sorted(frame[c].dropna().unique(), key=str)]
                for c in categorical
            }
        else:
            learned = {c: [str(v) for v in categories[c]] for c in categorical}
        index = frame.index  # keep the positions fill="drop" left, so windows see the gaps
        text = frame.copy()
        for name in categorical:
            text[name] = text[name].map(lambda v: v if pd.isna(v) else str(v))
        frame, _ = encode_categoricals(text, categorical, categories=learned)
        frame.index = index
        inputs = []
        for name in covariates:
            inputs += [f"{name}={v}" for v in learned[name]] if name in learned else [name]
    return frame, inputs, learned
