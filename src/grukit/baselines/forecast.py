"""Naive forecasts that every model must beat, on the same windows as the model.

They take the target history of each window, ``history`` of shape (N, L) or (N, L, C) (for
:class:`grukit.data.Windows`: ``windows.inputs[..., :C]``, in original units), and return
forecasts of shape (N, H) or (N, H, C).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grukit import checks

__all__ = ["persistence", "seasonal_naive"]


def _history(history: Any) -> np.ndarray:
    values = np.asarray(history, dtype=np.float64)
    if values.ndim not in (2, 3) or values.shape[1] == 0:
        raise ValueError(
            f"`history` must have shape (N, L) or (N, L, C) with L >= 1, got {values.shape}"
        )
    return values


def _horizon(horizon: Any) -> int:
    return checks.positive_int("horizon", horizon)


def persistence(history: Any, horizon: int) -> np.ndarray:
    """Repeat the last observed value: ``forecast[:, k] = history[:, L - 1]`` for every step k.

    Examples
    --------
    >>> persistence([[1.0, 2.0, 3.0]], 2)
    array([[3., 3.]])
    """
    values = _history(history)
    horizon = _horizon(horizon)
    last = values[:, -1:]  # (N, 1[, C])
    return np.repeat(last, horizon, axis=1)


def seasonal_naive(history: Any, horizon: int, period: int) -> np.ndarray:
    """The value one season before: ``forecast[:, k] = history[:, L - period + (k mod period)]``.

    For steps ``k = 0 .. H-1`` (0-based) this repeats the last full season, so a series with
    period `period` is forecast exactly. ``period = 1`` is :func:`persistence`.

    Raises
    ------
    ValueError
        ``lookback < period`` (the history holds no full season; use a longer lookback or
        :func:`persistence`).

    Examples
    --------
    >>> seasonal_naive([[1.0, 2.0, 3.0, 4.0]], 3, 2)
    array([[3., 4., 3.]])
    """
    values = _history(history)
    horizon = _horizon(horizon)
    period = checks.positive_int("period", period)
    lookback = values.shape[1]
    if lookback < period:
        raise ValueError(
            f"seasonal_naive needs lookback >= period = {period}, got lookback {lookback}"
        )
    steps = lookback - period + np.arange(horizon) % period
    return values[:, steps]
