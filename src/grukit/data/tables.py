"""Reading tables (CSV, Parquet, DataFrame, NumPy) and checking their columns.

Row numbers in error messages are 0-based positions in the table that :func:`read_table` returns
(after sorting by series and time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grukit.data._errors import GrukitDataError
from grukit.data.times import is_step_index, parse_times

__all__ = [
    "TableInfo",
    "encode_categoricals",
    "inspect_table",
    "read_table",
    "require_columns",
    "require_numeric",
]

_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def _preview(items: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(item) for item in items[:limit])
    return shown + (", ..." if len(items) > limit else "")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, role: str = "column") -> None:
    """Raise :class:`GrukitDataError` unless every name in `columns` is a column of `frame`.

    The message lists the available columns, e.g.
    ``unknown column 'pm25'; available columns: 'No', 'year', ...``.
    """
    available = [str(c) for c in frame.columns]
    for name in columns:
        if name not in frame.columns:
            raise GrukitDataError(
                f"unknown {role} {name!r}; available columns: "
                + ", ".join(repr(c) for c in available)
            )


def require_numeric(frame: pd.DataFrame, columns: Sequence[str], *, role: str = "column") -> None:
    """Raise :class:`GrukitDataError` unless every column in `columns` holds numbers.

    Missing values (NaN, ``None``) are allowed here; :func:`grukit.data.fill_missing` handles
    them. The message names the column, the first offending row and its value:
    ``column 'pm2.5' must be numeric, row 17 holds 'abc'``. `role` replaces the word "column"
    (``target column 'cbwd' must be numeric, ...``).
    """
    require_columns(frame, columns, role=role)
    for name in columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            continue
        converted = pd.to_numeric(column, errors="coerce")
        bad = converted.isna().to_numpy() & column.notna().to_numpy()
        if not bad.any():  # e.g. an object column holding only numbers and None
            continue
        position = int(np.flatnonzero(bad)[0])
        categorical = bad.sum() == column.notna().sum()  # no value parses: a category column
        hint = ""
        if categorical and "target" not in role:
            hint = " (a categorical column? one-hot encode it with encode_categoricals)"
        raise GrukitDataError(
            f"{role} {name!r} must be numeric, row {position} holds {column.iloc[position]!r}{hint}"
        )


def encode_categoricals(
    frame: pd.DataFrame, columns: Sequence[str], *, categories: dict[str, list[Any]] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """One-hot encode categorical columns.

    Each column ``c`` with categories ``a, b, ...`` is replaced, at its place, by float columns
    ``c=a``, ``c=b``, ... holding 0.0 or 1.0. Missing values give all zeros.

    Parameters
    ----------
    frame : DataFrame
    columns : sequence of str
        The columns to encode.
    categories : dict, optional
        ``{column: [category, ...]}`` fixed from the training data, so a later table (a test set
        that lacks a category) gets the same columns in the same order. By default the sorted
        distinct values of each column. A value outside the given categories is an error.

    Returns
    -------
    frame : DataFrame
        A new frame with the encoded columns.
    new_columns : list of str
        The names of the added columns, in order.
    """
    require_columns(frame, columns)
    result = frame.copy()
    new_columns: list[str] = []
    for name in columns:
        values = result[name]
        if categories is not None and name in categories:
            levels = list(categories[name])
            unknown = sorted(set(values.dropna().unique()) - set(levels), key=str)
            if unknown:
                raise GrukitDataError(
                    f"column {name!r} holds {unknown[0]!r}, which is not among the known "
                    f"categories {levels!r}"
                )
        else:
            levels = sorted(values.dropna().unique(), key=str)
        encoded = {f"{name}={level}": (values == level).astype(np.float64) for level in levels}
        position = list(result.columns).index(name)
        result = result.drop(columns=[name])
        for offset, (new_name, column) in enumerate(encoded.items()):
            if new_name in result.columns:
                raise GrukitDataError(f"one-hot column {new_name!r} already exists in the table")
            result.insert(position + offset, new_name, column)
            new_columns.append(new_name)
    return result, new_columns


def _read_file(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise GrukitDataError(f"file not found: {str(path)!r}")
    if not path.is_file():
        raise GrukitDataError(f"expected a file, got the directory {str(path)!r}")
    name = path.name.lower()
    if name.endswith(_CSV_SUFFIXES):
        try:
            header = pd.read_csv(path, header=None, nrows=1, dtype=str).iloc[0]
            frame = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise GrukitDataError(f"the file {str(path)!r} is empty") from None
        _refuse_duplicated_names(header.fillna("").tolist(), f"the header of {str(path)!r}")
        return frame
    if name.endswith(_PARQUET_SUFFIXES):
        if path.stat().st_size == 0:
            raise GrukitDataError(f"the file {str(path)!r} is empty")
        return pd.read_parquet(path)
    expected = ", ".join(_CSV_SUFFIXES + _PARQUET_SUFFIXES)
    raise GrukitDataError(f"unknown file type of {str(path)!r}; expected a suffix among {expected}")


def _refuse_duplicated_names(names: Sequence[Any], where: str) -> None:
    # pandas renames a repeated CSV header ("value", "value.1"): which one a name meant is lost
    seen: set[str] = set()
    for name in (str(n) for n in names):
        if name in seen:
            raise GrukitDataError(
                f"{where} names the column {name!r} twice; column names must be unique"
            )
        seen.add(name)


def _from_array(data: np.ndarray, columns: Sequence[str] | None) -> pd.DataFrame:
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise GrukitDataError(f"a NumPy array must be 1-D or 2-D, got shape {data.shape}")
    names = [str(i) for i in range(data.shape[1])] if columns is None else [str(c) for c in columns]
    if len(names) != data.shape[1]:
        raise GrukitDataError(
            f"`columns` must name all {data.shape[1]} columns of the array, got {len(names)} names"
        )
    return pd.DataFrame(data, columns=names)


def read_table(
    data: pd.DataFrame | str | Path | np.ndarray,
    *,
    time_column: str | None = None,
    id_column: str | None = None,
    columns: Sequence[str] | None = None,
    time_unit: str | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Read a table of one or several time series into a sorted DataFrame.

    Parameters
    ----------
    data : DataFrame, str, Path or ndarray
        A DataFrame (copied, never modified); a path to a CSV (``.csv``, ``.csv.gz``) or Parquet
        (``.parquet``, ``.pq``) file, chosen by suffix; or a NumPy array of shape (T,) or (T, F),
        whose columns are named ``"0", "1", ...`` unless `columns` names them.
    time_column : str, optional
        Read by :func:`grukit.data.times.parse_times`: text and datetimes as dates (time zones
        converted to UTC, text that reads both day-first and month-first refused), integers as
        steps of an integer index; the rows are then sorted by time.
    id_column : str, optional
        Column that tells several series in one table apart; rows are sorted by (id, time).
    columns : sequence of str, optional
        Keep only these columns (plus the time and id columns). For a NumPy array: the names of
        its columns instead.
    time_unit, dayfirst, date_format : optional
        How the time column is read (see :func:`grukit.data.times.parse_times`): numbers as
        epoch times in `time_unit` (``"s"``, ``"ms"``, ...), text day-first or by a format.

    Returns
    -------
    DataFrame
        Sorted (stably) by (id, time), with a fresh ``RangeIndex``.

    Raises
    ------
    GrukitDataError
        File not found or empty, unknown suffix, unknown or repeated column, unparsable or
        ambiguous time, duplicated time stamps within one series.

    Examples
    --------
    >>> import numpy as np
    >>> read_table(np.arange(6.0).reshape(3, 2), columns=["a", "b"]).columns.tolist()
    ['a', 'b']
    """
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    elif isinstance(data, str | Path):
        frame = _read_file(Path(data))
    elif isinstance(data, np.ndarray):
        frame = _from_array(data, columns)
        columns = None
    else:
        raise GrukitDataError(
            "`data` must be a DataFrame, a path to a CSV or Parquet file or a NumPy array, "
            f"got {type(data).__name__}"
        )
    _refuse_duplicated_names(list(frame.columns), "the table")
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise GrukitDataError("the table is empty: no data rows")
    special = [c for c in (id_column, time_column) if c is not None]
    require_columns(frame, special)
    if columns is not None:
        require_columns(frame, columns)
        keep = special + [c for c in columns if c not in special]
        frame = frame[keep]
    if time_column is not None:
        try:
            frame[time_column] = parse_times(
                frame[time_column],
                time_column,
                time_unit=time_unit,
                dayfirst=dayfirst,
                date_format=date_format,
            )
        except (ValueError, TypeError) as error:
            if isinstance(error, GrukitDataError):
                raise
            raise GrukitDataError(
                f"time column {time_column!r} could not be parsed as dates: {error}"
            ) from None
        if frame[time_column].isna().any():
            position = int(np.flatnonzero(frame[time_column].isna().to_numpy())[0])
            raise GrukitDataError(f"time column {time_column!r} is missing in row {position}")
    if special:
        frame = frame.sort_values(special, kind="stable")
    frame = frame.reset_index(drop=True)
    if time_column is not None:
        duplicated = frame.duplicated(subset=special, keep=False).to_numpy()
        if duplicated.any():
            position = int(np.flatnonzero(duplicated)[0])
            stamp = frame[time_column].iloc[position]
            where = f" in series {frame[id_column].iloc[position]!r}" if id_column else ""
            raise GrukitDataError(
                f"duplicated time stamp {str(stamp)!r}{where} (row {position}); each time "
                "may appear once per series"
            )
    return frame


@dataclass(frozen=True)
class TableInfo:
    """What :func:`inspect_table` found in a table.

    Attributes
    ----------
    time_column, id_column : str or None
    frequency : str or None
        Pandas frequency alias of the first series (``"h"``, ``"D"``, ``"15min"``), or None.
    step : Timedelta, int or None
        The most common time step over all series (the regular step even where rows are
        missing); an int for a time column of integer steps.
    period : int or None
        Seasonal period from :func:`grukit.data.detect_period`.
    lengths : dict
        Rows per series; the key is the id, or None for a single series.
    """

    time_column: str | None
    id_column: str | None
    frequency: str | None
    step: pd.Timedelta | int | None
    period: int | None
    lengths: dict[Any, int]

    @property
    def n_series(self) -> int:
        """Number of series in the table."""
        return len(self.lengths)


def _infer_frequency(index: pd.DatetimeIndex) -> str | None:
    # pandas 3 warns that infer_freq will return an offset; ask for the offset where the option
    # exists, and take its string either way.
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            found = pd.infer_freq(index)
    except (KeyError, pd.errors.OptionError):
        found = pd.infer_freq(index)
    if found is None:
        return None
    return found if isinstance(found, str) else found.freqstr


def inspect_table(
    frame: pd.DataFrame, *, time_column: str | None = None, id_column: str | None = None
) -> TableInfo:
    """Describe a table read by :func:`read_table`: frequency, seasonal period, series lengths."""
    from grukit.data.seasonality import detect_period, time_step

    require_columns(frame, [c for c in (time_column, id_column) if c is not None])
    if id_column is None:
        lengths: dict[Any, int] = {None: len(frame)}
    else:
        lengths = {key: int(n) for key, n in frame.groupby(id_column, sort=False).size().items()}
    frequency = step = period = None
    if time_column is not None:
        times = frame[time_column]
        first = times if id_column is None else times[frame[id_column] == next(iter(lengths))]
        step = time_step(frame[time_column], None if id_column is None else frame[id_column])
        if not is_step_index(times):  # integer steps carry no calendar, hence no period
            if len(first) >= 3:
                frequency = _infer_frequency(pd.DatetimeIndex(first))
            period = detect_period(first) if len(first) >= 2 else None
    return TableInfo(time_column, id_column, frequency, step, period, lengths)
