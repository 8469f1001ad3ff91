"""`SeriesTask`: a :class:`~grukit.tasks.base.Task` on tables of one or several time series.

It adds what the table tasks share: the ``time_column``, ``id_column``, ``time_unit``,
``dayfirst``, ``date_format``, ``fill`` and ``scaler`` parameters, reading a table (the time
column found when fitting must be found again), the validation part as the last fraction of each
series, and checking a whole table before it is split (so that errors name rows of the file, not
of a part).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from grukit import checks
from grukit.data import FILL_POLICIES, GrukitDataError, split_by_date, split_by_fraction
from grukit.data.times import TIME_UNITS
from grukit.tasks.base import Task
from grukit.tasks.tables import check_time_column, load_frame

__all__ = ["SCALERS", "SeriesTask", "column_name"]

SCALERS = ("standard", "minmax", None)


def _text_or_none(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"`{name}` must be a string or None, got {value!r}")
    return value


def column_name(name: str, value: Any) -> str | None:
    """A column-name parameter: a string or None."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"`{name}` must be a column name or None, got {value!r}")
    return value


class SeriesTask(Task):
    """A task whose data is a table of series: ``time_column``, ``id_column``, ``fill``,
    ``scaler``.

    A subclass declares ``_check_own_params`` (its other parameters), ``_minimum_rows`` and
    ``_check_columns`` (for :meth:`read_table`), and may change :meth:`test_context` and
    ``_validation_context``, besides what :class:`~grukit.tasks.base.Task` asks for.
    """

    time_column: str | None
    id_column: str | None
    time_unit: str | None
    dayfirst: bool | None
    date_format: str | None
    fill: str | None
    scaler: str | None
    time_column_: str | None

    def _check_params(self, given: dict[str, Any]) -> dict[str, Any]:
        checked = self._check_own_params(given)
        checked["time_column"] = column_name("time_column", given["time_column"])
        checked["id_column"] = column_name("id_column", given["id_column"])
        unit = given["time_unit"]
        checked["time_unit"] = (
            None if unit is None else checks.choice("time_unit", unit, TIME_UNITS)
        )
        dayfirst = given["dayfirst"]
        checked["dayfirst"] = None if dayfirst is None else checks.flag("dayfirst", dayfirst)
        checked["date_format"] = _text_or_none("date_format", given["date_format"])
        checked["fill"] = checks.choice("fill", given["fill"], (None, *FILL_POLICIES))
        scaler = given["scaler"]
        checked["scaler"] = None if scaler == "none" else checks.choice("scaler", scaler, SCALERS)
        return checked

    def _check_own_params(self, given: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
        """The subclass's parameters but the table ones, checked and normalised."""
        raise NotImplementedError

    def _minimum_rows(self) -> tuple[int, str]:  # pragma: no cover - abstract
        """(rows per series that training needs, how they are named: "window + 1")."""
        raise NotImplementedError

    def _check_columns(self, frame: pd.DataFrame, time_column: str | None) -> None:
        """Check the used columns of a whole table as fitting would (errors name its rows)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def test_context(self) -> int:
        """Rows of history a test part needs before its first scored row (fitted tasks)."""
        return 0

    def _validation_context(self) -> int:
        """Rows of context the validation part keeps before its first window."""
        return 0

    # -- reading ---------------------------------------------------------------------------------
    def _load(self, data: Any) -> tuple[pd.DataFrame, str | None]:
        return load_frame(
            data,
            time_column=self.time_column,
            id_column=self.id_column,
            time_unit=self.time_unit,
            dayfirst=self.dayfirst,
            date_format=self.date_format,
        )

    def _read(self, data: Any, *, training: bool = False) -> pd.DataFrame:
        frame, time_column = self._load(data)
        if training:
            self.time_column_ = time_column
        else:
            check_time_column(self.time_column_, time_column)
        return frame

    def read_table(self, data: Any, *, check: bool = True) -> tuple[pd.DataFrame, str | None]:
        """Read `data` as fitting would; returns the table and its time column.

        With `check`, also check the whole table before any split: the errors fitting would
        raise for the used columns (naming rows of the whole table), and
        :class:`grukit.data.GrukitDataError` when a series is too short to train on.
        """
        frame, time_column = self._load(data)
        if check:
            self._check_columns(frame, time_column)
            need, what = self._minimum_rows()
            groups = (
                [len(frame)] if self.id_column is None else frame.groupby(self.id_column).size()
            )
            shortest = min(list(groups))
            if shortest < need:
                raise GrukitDataError(
                    f"need at least {what} = {need} rows per series, got {shortest}"
                )
        return frame, time_column

    def _test_rows(
        self, frame: pd.DataFrame, test_from: Any, test_fraction: float | None
    ) -> tuple[pd.DataFrame, np.ndarray | None]:
        """(rows of `frame` to forecast over, which of them are test rows (None: all)).

        With `test_from` (a time, or a step for a time column of integer steps) or
        `test_fraction` (the last fraction of each series), the rows kept are the test part
        and the :meth:`test_context` rows before it in each series; the mask marks the test
        part itself: only windows whose forecast starts there may be scored.
        """
        if test_from is None and test_fraction is None:
            return frame, None
        if test_from is not None and test_fraction is not None:
            raise ValueError(
                f"give `test_from` or `test_fraction`, not both (got {test_from!r} and "
                f"{test_fraction!r})"
            )
        if test_from is not None and self.time_column_ is None:
            raise ValueError("`test_from` needs a time column (see `time_column`)")

        def test_part(context: int) -> pd.DataFrame:
            if test_from is not None:
                assert self.time_column_ is not None
                return split_by_date(
                    frame,
                    test_from=test_from,
                    time_column=self.time_column_,
                    id_column=self.id_column,
                    context=context,
                ).test
            return split_by_fraction(
                frame, 0.0, test_fraction, id_column=self.id_column, context=context
            ).test

        scored = test_part(0).index
        part = test_part(self.test_context())
        return part.reset_index(drop=True), part.index.isin(scored)

    def _split_validation(
        self, data: pd.DataFrame, fraction: float
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        parts = split_by_fraction(
            data, fraction, 0.0, id_column=self.id_column, context=self._validation_context()
        )
        return parts.train, parts.validation
