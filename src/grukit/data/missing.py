"""Missing values: a clear error by default, or an explicit fill policy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from grukit.data._errors import GrukitDataError
from grukit.data.tables import require_columns, require_numeric

__all__ = ["FILL_POLICIES", "fill_missing", "require_finite"]

FILL_POLICIES = ("ffill", "interpolate", "drop")


def _groups(frame: pd.DataFrame, id_column: str | None) -> list[pd.DataFrame]:
    if id_column is None:
        return [frame]
    return [group for _, group in frame.groupby(id_column, sort=False)]


def require_finite(
    frame: pd.DataFrame, columns: Sequence[str], *, time_column: str | None = None
) -> None:
    """Raise unless the numeric `columns` hold no +inf or -inf (NaN is missing, not infinite).

    An infinite value is never valid data (no fill policy applies to it): the error names the
    column, how many infinite values it holds and the first row (position in `frame`; and its
    time, with a time column in `frame`).
    """
    for name in columns:
        values = frame[name].to_numpy(dtype=np.float64)
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            row = int(infinite[0])
            when = ""
            if time_column is not None and time_column in frame.columns:
                when = f" (time {frame[time_column].iloc[row]})"
            raise GrukitDataError(
                f"column {name!r} holds {infinite.size} infinite value(s), the first "
                f"({values[row]:+}) at row {row}{when}; infinite values are never valid data "
                "(only NaN counts as missing): replace them in the file"
            )


def fill_missing(
    frame: pd.DataFrame,
    columns: Sequence[str],
    policy: str | None = None,
    *,
    time_column: str | None = None,
    id_column: str | None = None,
) -> pd.DataFrame:
    """Check or fill the missing values (NaN) of numeric columns, series by series.

    Parameters
    ----------
    frame : DataFrame
        Sorted by (id, time), as :func:`grukit.data.read_table` returns it.
    columns : sequence of str
        The columns that will be used (targets and covariates); others are left alone.
    policy : {None, "ffill", "interpolate", "drop"}
        - None: raise :class:`GrukitDataError` if any value is missing, naming the column, the
          count and the first rows affected.
        - ``"ffill"``: carry the last observed value forward; a leading gap (before the first
          observation of a series) is back-filled with the first observation.
        - ``"interpolate"``: linear in time (in row position without a time column); leading and
          trailing gaps take the nearest observed value.
        - ``"drop"``: drop the rows with a missing value in `columns`. The index keeps the
          original row positions, so :func:`grukit.data.make_windows` sees the gap (a jump in
          the integer index, or in the time column) and never builds a window across it. Do not
          ``reset_index`` the result before windowing without a time column.
    time_column, id_column : str, optional

    Returns
    -------
    DataFrame
        A new frame; the input is not modified.

    Raises
    ------
    GrukitDataError
        An infinite value in `columns` (:func:`require_finite`: never filled); missing values
        with ``policy=None``; a series whose column is entirely missing with
        ``"ffill"`` or ``"interpolate"`` (nothing to fill from); an unknown policy.
    """
    if policy is not None and policy not in FILL_POLICIES:
        raise GrukitDataError(
            f"`fill` must be None, 'ffill', 'interpolate' or 'drop', got {policy!r}"
        )
    columns = list(columns)
    require_numeric(frame, columns)
    require_finite(frame, columns, time_column=time_column)
    missing = frame[columns].isna()
    if not missing.to_numpy().any():
        return frame.copy()
    if policy is None:
        for name in columns:
            rows = np.flatnonzero(missing[name].to_numpy())
            if rows.size:
                shown = ", ".join(str(r) for r in rows[:3]) + (", ..." if rows.size > 3 else "")
                raise GrukitDataError(
                    f"column {name!r} has {rows.size} missing values (rows {shown}); "
                    "choose fill='ffill', 'interpolate' or 'drop'"
                )
    if policy == "drop":
        return frame.loc[~missing.any(axis=1).to_numpy()].copy()
    if time_column is not None:
        require_columns(frame, [time_column])
    result = frame.copy()
    result[columns] = result[columns].astype(np.float64)
    for group in _groups(result, id_column):
        block = group[columns]
        empty = block.columns[block.isna().all().to_numpy()]
        if len(empty):
            where = "" if id_column is None else f" in series {group[id_column].iloc[0]!r}"
            raise GrukitDataError(
                f"column {empty[0]!r} has no observed value{where}; nothing to fill from"
            )
        if policy == "ffill":
            filled = block.ffill().bfill()
        else:
            if time_column is not None:
                block = block.set_axis(pd.DatetimeIndex(group[time_column]), axis=0)
                method = "time"
            else:
                block = block.set_axis(np.arange(len(block), dtype=np.float64), axis=0)
                method = "index"
            filled = block.interpolate(method=method, limit_direction="both")
            filled = filled.set_axis(group.index, axis=0)
        result.loc[group.index, columns] = filled.to_numpy()
    return result
