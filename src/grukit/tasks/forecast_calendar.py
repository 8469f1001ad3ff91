"""The Forecaster's calendar: the seasonal period it learns, and the times of its forecasts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from grukit.data import GrukitDataError, detect_period, inspect_table, time_step

__all__ = ["choose_period", "forecast_times", "learned_step"]


def choose_period(
    frame: pd.DataFrame,
    *,
    period: int | None,
    horizon: int,
    target: str,
    time_column: str | None,
    id_column: str | None,
) -> int | None:
    """The season (rows) of the training part `frame` for the seasonal-naive baseline.

    The given `period`, else the one of the time step (hourly: 24), else the autocorrelation
    peak of `target` in the first series. A season must fit the training part: a window of the
    shortest series needs ``period + horizon`` rows. A given period that does not fit is
    refused; a detected one that does not fit is dropped with a warning (no seasonal baseline).
    """
    sizes = [len(frame)] if id_column is None else list(frame.groupby(id_column).size())
    longest = int(min(sizes)) - horizon  # the longest season a window can hold
    if period is not None:
        if period > longest:
            raise GrukitDataError(
                f"`period` = {period} is longer than the training part allows: the "
                f"seasonal-naive baseline needs period + horizon = {period + horizon} rows of "
                f"one series, the shortest series of the training part has {longest + horizon}; "
                "give a shorter period"
            )
        return period
    found = None
    if time_column is not None:
        found = inspect_table(frame, time_column=time_column, id_column=id_column).period
    if found is None or found > longest:
        first = frame if id_column is None else frame[frame[id_column] == frame[id_column].iloc[0]]
        found = detect_period(first[target].to_numpy(dtype=np.float64))
    if found is not None and found > longest:
        warnings.warn(
            f"the detected season of {found} rows does not fit the training part (at most "
            f"{longest} rows with horizon {horizon}); the seasonal-naive baseline is left out "
            "(give `period`)",
            stacklevel=5,
        )
        found = None
    return found


def learned_step(
    frame: pd.DataFrame, time_column: str | None, id_column: str | None
) -> str | int | None:
    """The regular time step of the training part, as saved: a Timedelta's text
    (``"0 days 01:00:00"``), an int for a time column of integer steps, or None."""
    if time_column is None:
        return None
    step = time_step(frame[time_column], None if id_column is None else frame[id_column])
    return step if step is None or isinstance(step, int) else str(step)


def forecast_times(
    prepared: pd.DataFrame,
    time_column: str,
    id_column: str | None,
    time_step: str | int | None,
    horizon: int,
) -> np.ndarray:
    """Times of the `horizon` steps after the end of each series, flattened (series, step).

    `time_step` is the learned step: a Timedelta's text, an int for a time column of integer
    steps, or None (every forecast then carries the last time).
    """
    ends = (
        prepared.groupby(id_column, sort=False)[time_column].last().to_numpy()
        if id_column is not None
        else prepared[time_column].to_numpy()[-1:]
    )
    if isinstance(time_step, int):
        offsets = np.arange(1, horizon + 1) * time_step
    else:
        delta = pd.Timedelta(time_step) if time_step else pd.Timedelta(0)
        offsets = np.arange(1, horizon + 1) * delta.to_timedelta64()
    return (ends[:, None] + offsets[None, :]).ravel()
