"""Regular time steps and seasonal periods."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from grukit.data._errors import GrukitDataError
from grukit.data.times import is_step_index

__all__ = ["detect_period", "time_step"]

_DAY = pd.Timedelta(days=1)


def time_step(times: Any, ids: Any = None) -> pd.Timedelta | int | None:
    """The most common positive difference between consecutive time stamps of one series.

    Parameters
    ----------
    times : array-like of datetimes, or of integer steps
        Sorted within each series. Integers are steps of an integer index (see
        :func:`grukit.data.times.parse_times`); their step is an int.
    ids : array-like, optional
        Series ids, same length; differences across a change of id are not counted.

    Returns
    -------
    Timedelta, int or None
        None when fewer than two time stamps exist in any series.
    """
    steps = is_step_index(times)
    stamps = pd.Series(np.asarray(times))
    stamps = stamps.astype(np.int64) if steps else pd.to_datetime(stamps)
    diffs = stamps.diff()
    valid = diffs.notna() & (diffs > (0 if steps else pd.Timedelta(0)))
    if ids is not None:
        ids = pd.Series(np.asarray(ids))
        valid &= ids.eq(ids.shift()).to_numpy()
    diffs = diffs[valid]
    if diffs.empty:
        return None
    common = diffs.mode().iloc[0]
    return int(common) if steps else pd.Timedelta(common)


def _period_from_step(step: pd.Timedelta) -> int | None:
    if step <= pd.Timedelta(0):
        return None
    if step < _DAY:
        per_day = _DAY / step
        return int(round(per_day)) if abs(per_day - round(per_day)) < 1e-9 else None
    days = step / _DAY
    if days == 1:
        return 7  # a weekly cycle in daily data
    if days == 7:
        return 52  # weeks in a year
    if 28 <= days <= 31:
        return 12  # months in a year
    if 89 <= days <= 92:
        return 4  # quarters in a year
    return None


def _period_from_autocorrelation(values: np.ndarray, min_correlation: float) -> int | None:
    x = values[np.isfinite(values)] if np.isnan(values).any() else values
    n = x.size
    if n < 8 or np.ptp(x) == 0:
        return None
    x = x - x.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(x, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[:n]
    acf = acf / acf[0]
    max_lag = n // 2
    lags = np.arange(2, max_lag)
    if lags.size == 0:
        return None
    peaks = lags[(acf[lags] > acf[lags - 1]) & (acf[lags] >= acf[lags + 1])]
    peaks = peaks[acf[peaks] >= min_correlation]
    if peaks.size == 0:
        return None
    # Harmonics (2p, 3p, ...) correlate nearly as well as p itself; take the shortest lag whose
    # correlation is within 10% of the best peak.
    best = acf[peaks].max()
    return int(peaks[acf[peaks] >= 0.9 * best][0])


def detect_period(time_index_or_values: Any, *, min_correlation: float = 0.3) -> int | None:
    """The seasonal period of a series, in time steps, or None when none is found.

    Datetime input (a DatetimeIndex, a datetime Series or a ``datetime64`` array) gives the
    period from the regular step (see :func:`time_step`): a step that divides a day gives the
    steps per day (hourly 24, 30 min 48, 15 min 96, 1 min 1440), daily gives 7, weekly 52,
    monthly 12, quarterly 4; anything else None.

    Numeric input (1-D) gives the lag of the autocorrelation peak: among the local maxima of the
    sample autocorrelation at lags 2 .. T/2 with correlation >= `min_correlation`, the shortest
    lag whose correlation is at least 90% of the highest peak (so a harmonic 2p does not beat p).
    NaNs are removed first. Returns None for fewer than 8 values or a constant series.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> detect_period(pd.date_range("2024-01-01", periods=48, freq="h"))
    24
    >>> detect_period(np.sin(2 * np.pi * np.arange(200) / 12))
    12
    """
    values = time_index_or_values
    if isinstance(values, pd.DataFrame):
        raise GrukitDataError("`detect_period` takes one column (1-D), got a DataFrame")
    array = np.asarray(values)
    if isinstance(values, pd.DatetimeIndex) or np.issubdtype(array.dtype, np.datetime64):
        step = time_step(array)
        return None if step is None else _period_from_step(step)
    if array.ndim != 1:
        raise GrukitDataError(f"`detect_period` takes 1-D values, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number):
        raise GrukitDataError(
            f"`detect_period` takes datetimes or numbers, got values of type {array.dtype}"
        )
    return _period_from_autocorrelation(array.astype(np.float64), min_correlation)
