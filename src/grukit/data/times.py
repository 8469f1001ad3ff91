"""Reading a time column: dates (naive, or converted to UTC), epoch numbers, or integer steps.

The rules (:func:`parse_times`):

- **Integers** are steps of an integer index (``0, 1, 2, ...`` or ``0, 10, 20, ...``), kept as
  ``int64``, unless `time_unit` says they are epoch times in that unit (``"s"`` for Unix
  seconds), which are then read as dates. Floats that are all whole numbers count as integers.
- **Dates given as text** are parsed by :func:`pandas.to_datetime`. Text that parses both
  day-first and month-first to different dates (``01/02/2020``: 1 February or 2 January) is
  refused unless `dayfirst` or `date_format` says which; ISO dates (``2020-01-02``) are never
  ambiguous.
- **Time-zone-aware times** (an offset like ``+01:00`` in the text, offsets that change across
  a daylight-saving change, a tz-aware column) are converted to UTC and stored without the zone:
  every later step (time steps, splits, forecast times) works in UTC.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from grukit.data._errors import GrukitDataError

__all__ = ["TIME_UNITS", "is_step_index", "parse_times", "to_time"]

#: units of epoch numbers accepted by ``time_unit``
TIME_UNITS = ("s", "ms", "us", "ns", "D", "h", "min")


def is_step_index(values: Any) -> bool:
    """True for a time column of integer steps (as :func:`parse_times` keeps integers)."""
    return pd.api.types.is_integer_dtype(getattr(values, "dtype", np.asarray(values).dtype))


def _whole_numbers(column: pd.Series) -> pd.Series | None:
    """The column as int64 when it holds numbers that are all whole (None otherwise)."""
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        return None
    if pd.api.types.is_integer_dtype(column):
        return column.astype(np.int64)
    values = column.to_numpy(dtype=np.float64)
    if (values == np.round(values)).all():
        return column.astype(np.int64)
    return None


def _utc(parsed: pd.Series) -> pd.Series:
    """Naive UTC times from tz-aware ones; naive times are returned as they are."""
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


_ISO_DATE = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}")


def _parse_text(column: pd.Series, options: dict[str, Any]) -> pd.Series:
    with warnings.catch_warnings():
        # pandas warns about the format it inferred; the readings are compared explicitly
        warnings.simplefilter("ignore", UserWarning)
        try:
            parsed = pd.to_datetime(column, **options)
        except ValueError as error:
            if "Mixed timezones" not in str(error):
                raise
            parsed = pd.to_datetime(column, utc=True, **options)  # offsets that change (DST)
    return _utc(parsed)


def _parse_either_way(column: pd.Series, name: str) -> pd.Series:
    """Month-first or day-first, whichever reads the text; refused when both do, differently."""
    readings, failures = [], []
    for dayfirst in (False, True):
        try:
            readings.append(_parse_text(column, {"dayfirst": dayfirst}))
        except (ValueError, TypeError) as error:
            failures.append(error)
    if not readings:
        raise failures[0]
    if len(readings) == 2:
        month_first, day_first = readings
        differs = (month_first != day_first).to_numpy()
        if differs.any():
            position = int(np.flatnonzero(differs)[0])
            raise GrukitDataError(
                f"time column {name!r} is ambiguous: {column.iloc[position]!r} (row {position}) "
                f"reads as {month_first.iloc[position].date()} month-first and as "
                f"{day_first.iloc[position].date()} day-first; say which with dayfirst=True or "
                "False or date_format (on the command line --dayfirst or --date-format, e.g. "
                "%m/%d/%Y)"
            )
    return readings[0]


def parse_times(
    column: pd.Series,
    name: str,
    *,
    time_unit: str | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
) -> pd.Series:
    """Read a time column by the rules in this module's docstring.

    Parameters
    ----------
    column : Series
    name : str
        The column's name, for the messages.
    time_unit : {"s", "ms", "us", "ns", "D", "h", "min"}, optional
        Numbers are epoch times in this unit (by default integers are steps).
    dayfirst : bool, optional
        Text dates put the day first (True) or the month first (False); by default text that
        reads both ways is refused.
    date_format : str, optional
        A :func:`~datetime.datetime.strptime` format of the text dates, e.g. ``"%d/%m/%Y"``.

    Returns
    -------
    Series
        ``datetime64`` (naive; UTC where the input had a zone) or ``int64`` steps.

    Raises
    ------
    GrukitDataError
        Unknown unit, unparsable or ambiguous dates, numbers that are not whole without a unit.
    """
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise GrukitDataError(
            f"`time_unit` must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}"
        )
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return _utc(column)
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    steps = _whole_numbers(column)
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        if column.isna().any():
            position = int(np.flatnonzero(column.isna().to_numpy())[0])
            raise GrukitDataError(f"time column {name!r} is missing in row {position}")
        if time_unit is not None:
            return pd.to_datetime(column, unit=time_unit)
        if steps is None:
            raise GrukitDataError(
                f"time column {name!r} holds numbers that are not whole: integer steps or epoch "
                "times with a time_unit (--time-unit) are expected"
            )
        return steps
    if time_unit is not None:
        raise GrukitDataError(
            f"`time_unit` applies to numbers, but time column {name!r} holds text "
            f"(e.g. {column.iloc[0]!r})"
        )
    if date_format is not None:
        return _parse_text(column, {"format": date_format})
    present = column.dropna()
    if not present.empty and _ISO_DATE.match(str(present.iloc[0])):
        return _parse_text(column, {"format": "ISO8601"})  # year first: never ambiguous
    if dayfirst is not None:
        return _parse_text(column, {"dayfirst": bool(dayfirst)})
    return _parse_either_way(column, name)


def to_time(value: Any, times: pd.Series, what: str) -> Any:
    """A split point for `times`: an integer step for a step index, else a naive UTC Timestamp.

    `what` names the value in the message (``"`test_from`"``).
    """
    if is_step_index(times):
        try:
            return int(str(value)) if not isinstance(value, int | np.integer) else int(value)
        except ValueError:
            raise GrukitDataError(
                f"{what} must be an integer step, as the time column holds, got {value!r}"
            ) from None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as error:
        raise GrukitDataError(f"could not read {what} {value!r} as a time: {error}") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp
