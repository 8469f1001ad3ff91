"""Backtest windows cut batch by batch, so evaluating a long table never holds all its windows.

:func:`window_batches` gives the positions of every rolling window of a prepared table (stride
1, never across a series or a gap, in the order of :func:`grukit.data.make_windows`) in batches
of at most `batch` windows; :func:`gather` cuts one batch's rows out of a (T, F) array. Memory
is then bounded by ``batch x (history + horizon) x F``, not by the number of windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from grukit.baselines import persistence, seasonal_naive
from grukit.data import GrukitDataError, segment_bounds
from grukit.tasks.evaluation import backtest_frame

__all__ = ["BACKTEST_BATCH", "backtest_parts", "gather", "nonempty", "window_batches"]

#: Windows cut, forecast and scored at once by a backtest or an evaluation.
BACKTEST_BATCH = 4096


def window_batches(
    frame: pd.DataFrame,
    history: int,
    horizon: int,
    *,
    batch: int,
    time_column: str | None,
    id_column: str | None,
) -> Iterator[np.ndarray]:
    """Positions (in `frame`) of each window's first forecast step, `batch` at a time.

    The window with first forecast step ``s`` reads rows ``s - history .. s - 1`` and forecasts
    rows ``s .. s + horizon - 1``, all inside one contiguous segment (:func:`segment_bounds`).
    """
    segments = segment_bounds(frame, time_column=time_column, id_column=id_column)
    pending: list[np.ndarray] = []
    size = 0
    for begin, end, _ in segments:
        first, last = begin + history, end - horizon  # inclusive
        for start in range(first, last + 1, batch):
            pending.append(np.arange(start, min(start + batch, last + 1), dtype=np.int64))
            size += pending[-1].size
            while size >= batch:
                joined = np.concatenate(pending)
                yield joined[:batch]
                pending, size = [joined[batch:]], joined.size - batch
    if size:
        yield np.concatenate(pending)


def gather(values: np.ndarray, starts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``values[starts[:, None] + offsets]``: rows (n, len(offsets), F) of a (T, F) array."""
    return values[starts[:, None] + offsets[None, :]]


def nonempty(batches: Iterator[np.ndarray], message: str) -> Iterator[np.ndarray]:
    """The non-empty batches of window starts; :class:`GrukitDataError` (`message`) if none."""
    found = False
    for part in batches:
        if part.size:
            found = True
            yield part
    if not found:
        raise GrukitDataError(message)


def backtest_parts(
    model: Any,
    forecast: Callable[[np.ndarray], np.ndarray],
    prepared: pd.DataFrame,
    missing: pd.DataFrame,
    history: int,
    batches: Iterator[np.ndarray],
) -> Iterator[pd.DataFrame]:
    """A fitted forecaster's backtest table, one batch of window starts at a time.

    `forecast` maps scaled inputs (n, lookback, F) to scaled forecasts; `prepared` is the
    prepared table, `missing` the mask of target values that were filled, `history` the rows
    each window keeps (the baselines read them; the network its last `lookback`).
    """
    names, targets, n_targets = model.input_columns_, model.targets_, len(model.targets_)
    raw = prepared[names].to_numpy(dtype=np.float64)
    scaled = model.scaler_.transform(prepared)[names].to_numpy(dtype=np.float64)
    observed = prepared[targets].mask(missing.to_numpy()).to_numpy(dtype=np.float64)
    id_column, time_column = model.id_column, model.time_column_
    ids = None if id_column is None else prepared[id_column].to_numpy()
    times = None if time_column is None else prepared[time_column].to_numpy()
    period, horizon = model.period_, model.horizon
    seasonal = period is not None and history >= period
    steps, first_window = np.arange(horizon), 0
    for starts in batches:
        past = gather(raw, starts, np.arange(-history, 0))[..., :n_targets]
        inputs = gather(scaled, starts, np.arange(-model.lookback, 0))
        network = model.scaler_.inverse_transform(forecast(inputs), columns=targets)
        forecasts = {"gru": network, "persistence": persistence(past, horizon)}
        forecasts["seasonal_naive"] = (
            seasonal_naive(past, horizon, period) if seasonal else network * np.nan
        )
        positions = starts[:, None] + steps  # (n, H)
        yield backtest_frame(
            observed[positions],
            forecasts,
            positions,
            targets,
            series=None if ids is None else {id_column: ids[starts]},
            times=times,
            time_column=time_column,
            first_window=first_window,
        )
        first_window += starts.size
