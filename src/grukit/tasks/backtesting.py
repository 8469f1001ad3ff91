"""Backtest windows cut batch by batch, so evaluating a long table never holds all its windows.

:func:`window_batches` gives the positions of every rolling window of a prepared table (stride
1, never across a series or a gap, in the order of :func:`grukit.data.make_windows`) in batches
of at most `batch` windows; :func:`gather` cuts one batch's rows out of a (T, F) array. Memory
is then bounded by ``batch x (history + horizon) x F``, not by the number of windows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from grukit.data import segment_bounds

__all__ = ["BACKTEST_BATCH", "gather", "window_batches"]

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
