"""Windows for forecasting and sliding sequences for anomaly detection.

Shape glossary: ``N`` windows, ``L`` lookback (input steps), ``H`` horizon (forecast steps),
``F`` input features (targets first, then covariates), ``C`` targets, ``T`` time steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.data.seasonality import time_step
from grukit.data.tables import read_table, require_columns, require_numeric

__all__ = [
    "Windows",
    "last_windows",
    "make_sequences",
    "make_windows",
    "scores_to_timesteps",
    "segment_bounds",
    "sequence_starts",
]


@dataclass(frozen=True)
class Windows:
    """Input/target windows cut from one table by :func:`make_windows`.

    Attributes
    ----------
    inputs : ndarray, shape (N, L, F)
        Past values: the targets first (``inputs[..., :C]``), then the covariates.
    targets : ndarray, shape (N, H, C)
        The next `horizon` values of the targets.
    start_row : ndarray of int64, shape (N,)
        Position (0-based, ``frame.iloc``) of each window's first forecast step.
    start_time : ndarray of datetime64, shape (N,), or None
        Time of each window's first forecast step (None without a time column).
    series : ndarray, shape (N,), or None
        Series id of each window (None without an id column).
    input_names, target_names : tuple of str
    """

    inputs: np.ndarray
    targets: np.ndarray
    start_row: np.ndarray
    start_time: np.ndarray | None
    series: np.ndarray | None
    input_names: tuple[str, ...]
    target_names: tuple[str, ...]

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def subset(self, keep: np.ndarray) -> Windows:
        """The windows where the boolean array `keep` (N,) is True, in order."""
        keep = np.asarray(keep, dtype=bool)
        return Windows(
            inputs=self.inputs[keep],
            targets=self.targets[keep],
            start_row=self.start_row[keep],
            start_time=None if self.start_time is None else self.start_time[keep],
            series=None if self.series is None else self.series[keep],
            input_names=self.input_names,
            target_names=self.target_names,
        )


def _as_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, np.ndarray):
        return read_table(data)
    raise GrukitDataError(f"`data` must be a DataFrame or a NumPy array, got {type(data).__name__}")


def _positive(name: str, value: Any) -> int:
    return checks.positive_int(name, value, error=GrukitDataError)


def segment_bounds(
    frame: pd.DataFrame, *, time_column: str | None = None, id_column: str | None = None
) -> list[tuple[int, int, Any]]:
    """Contiguous stretches of rows: ``[(start, stop, series_id), ...]`` in positions.

    A segment ends where the series id changes, where an increasing integer index does not step
    by exactly 1 (rows removed by ``fill_missing(..., "drop")``; a permuted index is ignored),
    or, with a time column, where the time step differs from the table's regular step
    (:func:`grukit.data.time_step`, the most common one). Tables on an irregular calendar
    (business days) should be windowed without the time column.
    """
    n = len(frame)
    breaks = np.zeros(n, dtype=bool)
    if n:
        breaks[0] = True
    ids = None
    if id_column is not None:
        ids = frame[id_column].to_numpy()
        breaks[1:] |= ids[1:] != ids[:-1]
    if pd.api.types.is_integer_dtype(frame.index.dtype) and frame.index.is_monotonic_increasing:
        breaks[1:] |= np.diff(frame.index.to_numpy()) != 1
    if time_column is not None:
        step = time_step(frame[time_column], ids)
        if isinstance(step, int):  # a time column of integer steps
            breaks[1:] |= np.diff(frame[time_column].to_numpy(dtype=np.int64)) != step
        elif step is not None:
            times = pd.DatetimeIndex(frame[time_column]).to_numpy()
            breaks[1:] |= np.diff(times) != step.to_timedelta64()  # units converted by NumPy
    starts = np.flatnonzero(breaks)
    stops = np.append(starts[1:], n)
    pairs = zip(starts, stops, strict=True)
    return [(int(a), int(b), None if ids is None else ids[a]) for a, b in pairs]


def make_windows(
    data: pd.DataFrame | np.ndarray,
    lookback: int,
    horizon: int,
    *,
    targets: Sequence[str | int],
    covariates: Sequence[str | int] = (),
    time_column: str | None = None,
    id_column: str | None = None,
    stride: int = 1,
    allow_nan: bool = False,
) -> Windows:
    """Cut (input, target) windows for direct multi-step forecasting.

    Window ``i`` starting its forecast at row ``s`` (of one contiguous segment) holds
    ``inputs[i] = values[s - L : s, targets + covariates]`` and
    ``targets[i] = values[s : s + H, targets]``. Windows never cross a series or a gap (see
    :func:`segment_bounds`); consecutive windows of a segment are `stride` rows apart.

    Parameters
    ----------
    data : DataFrame or ndarray
        A table from :func:`grukit.data.read_table` (sorted by id and time), or an array (T,) or
        (T, F) whose columns are named ``"0", "1", ...``.
    lookback, horizon : int
        Input steps L and forecast steps H, both >= 1.
    targets : sequence of str (or int for an array)
        Columns to forecast; they are also the first input features.
    covariates : sequence of str (or int), optional
        Past covariates, added to the inputs after the targets.
    time_column, id_column : str, optional
    stride : int
        Rows between consecutive window starts.
    allow_nan : bool
        By default a missing value in a used column is an error (see
        :func:`grukit.data.fill_missing`); True lets NaN through, e.g. to score a baseline on
        raw data with metrics that skip missing truth. An infinite value is always an error
        (:func:`grukit.data.require_finite`).

    Returns
    -------
    Windows

    Raises
    ------
    GrukitDataError
        Unknown or non-numeric column, a target repeated as a covariate, missing or infinite
        values, a series shorter than ``lookback + horizon`` rows, or no contiguous segment long
        enough.

    Examples
    --------
    >>> import numpy as np
    >>> w = make_windows(np.arange(10.0), 3, 2, targets=[0])
    >>> w.inputs.shape, w.targets.shape, w.start_row[:2].tolist()
    ((6, 3, 1), (6, 2, 1), [3, 4])
    """
    frame = _as_frame(data)
    lookback = _positive("lookback", lookback)
    horizon = _positive("horizon", horizon)
    stride = _positive("stride", stride)
    target_names = [str(t) for t in targets]
    covariate_names = [str(c) for c in covariates]
    if not target_names:
        raise GrukitDataError("`targets` must name at least one column, got none")
    overlap = sorted(set(target_names) & set(covariate_names))
    if overlap:
        raise GrukitDataError(f"column {overlap[0]!r} is given both as a target and a covariate")
    require_columns(frame, target_names, role="target column")
    require_columns(frame, covariate_names, role="covariate column")
    require_numeric(frame, target_names, role="target column")
    require_numeric(frame, covariate_names, role="covariate column")
    names = target_names + covariate_names
    values = frame[names].to_numpy(dtype=np.float64)
    if np.isinf(values).any() or (not allow_nan and np.isnan(values).any()):
        from grukit.data.missing import fill_missing

        fill_missing(frame, names, time_column=time_column)  # raises the descriptive error
    need = lookback + horizon
    if id_column is not None:
        sizes = frame.groupby(id_column, sort=False).size()
        if (sizes < need).any():
            key = sizes.index[np.argmax((sizes < need).to_numpy())]
            raise GrukitDataError(
                f"need at least lookback + horizon = {need} rows per series, got {sizes[key]} "
                f"(series {key!r})"
            )
    elif len(frame) < need:
        raise GrukitDataError(
            f"need at least lookback + horizon = {need} rows per series, got {len(frame)}"
        )
    segments = segment_bounds(frame, time_column=time_column, id_column=id_column)
    n_targets = len(target_names)
    inputs, outputs, starts = [], [], []
    for begin, end, _ in segments:
        if end - begin < need:
            continue
        block = values[begin:end]
        view = sliding_window_view(block, need, axis=0)[::stride]  # (n, F, L + H)
        view = np.moveaxis(view, -1, 1)  # (n, L + H, F)
        inputs.append(view[:, :lookback])
        outputs.append(view[:, lookback:, :n_targets])
        first = begin + lookback + stride * np.arange(view.shape[0])
        starts.append(first)
    if not inputs:
        longest = max(end - begin for begin, end, _ in segments)
        raise GrukitDataError(
            f"no window fits: the longest contiguous segment has {longest} rows, need "
            f"lookback + horizon = {need}"
        )
    start_row = np.concatenate(starts).astype(np.int64)
    start_time = None
    if time_column is not None:
        start_time = frame[time_column].to_numpy()[start_row]
    return Windows(
        inputs=np.ascontiguousarray(np.concatenate(inputs)),
        targets=np.ascontiguousarray(np.concatenate(outputs)),
        start_row=start_row,
        start_time=start_time,
        series=None if id_column is None else frame[id_column].to_numpy()[start_row],
        input_names=tuple(names),
        target_names=tuple(target_names),
    )


def last_windows(
    data: pd.DataFrame | np.ndarray,
    lookback: int,
    *,
    targets: Sequence[str | int],
    covariates: Sequence[str | int] = (),
    id_column: str | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The last `lookback` rows of each series: inputs for forecasting beyond the data.

    Returns
    -------
    inputs : ndarray, shape (S, L, F)
        One window per series (targets first, then covariates), in order of appearance.
    series : ndarray, shape (S,), or None
        The series ids (None without an id column).
    """
    frame = _as_frame(data)
    lookback = _positive("lookback", lookback)
    names = [str(t) for t in targets] + [str(c) for c in covariates]
    require_columns(frame, names)
    require_numeric(frame, names)
    groups = [(None, frame)] if id_column is None else frame.groupby(id_column, sort=False)
    inputs, keys = [], []
    for key, group in groups:
        where = "" if key is None else f" (series {key!r})"
        if len(group) < lookback:
            raise GrukitDataError(
                f"need at least lookback = {lookback} rows per series, got {len(group)}{where}"
            )
        block = group[names].to_numpy(dtype=np.float64)[-lookback:]
        if np.isinf(block).any():
            from grukit.data.missing import require_finite

            require_finite(frame, names)  # names the first infinite value of the table
        if np.isnan(block).any():
            raise GrukitDataError(f"the last {lookback} rows hold missing values{where}")
        inputs.append(block)
        keys.append(key)
    return np.stack(inputs), None if id_column is None else np.asarray(keys, dtype=object)


def sequence_starts(n_timesteps: int, window: int, *, stride: int = 1) -> np.ndarray:
    """Start positions of sliding windows that cover every time step.

    ``0, stride, 2 * stride, ...`` up to ``T - window``, plus ``T - window`` itself when the
    stride does not land on it, so the last time steps are always covered (and, with
    ``stride <= window``, every time step).
    """
    n_timesteps = checks.non_negative_int("n_timesteps", n_timesteps, error=GrukitDataError)
    window = _positive("window", window)
    stride = _positive("stride", stride)
    if n_timesteps < window:
        raise GrukitDataError(f"need at least window = {window} time steps, got {n_timesteps}")
    starts = np.arange(0, n_timesteps - window + 1, stride, dtype=np.int64)
    if starts[-1] != n_timesteps - window:
        starts = np.append(starts, n_timesteps - window)
    return starts


def make_sequences(values: np.ndarray, window: int, *, stride: int = 1) -> np.ndarray:
    """Sliding windows over a series for reconstruction-based anomaly detection.

    Parameters
    ----------
    values : ndarray, shape (T,) or (T, F)
    window, stride : int
        Window length and the step between starts (see :func:`sequence_starts`).

    Returns
    -------
    ndarray, shape (N, window, F)
        A copy; a 1-D input gives F = 1.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise GrukitDataError(f"`values` must be 1-D or 2-D, got shape {values.shape}")
    starts = sequence_starts(values.shape[0], window, stride=stride)
    view = np.moveaxis(sliding_window_view(values, window, axis=0), -1, 1)  # (T-w+1, w, F)
    return np.ascontiguousarray(view[starts])


def scores_to_timesteps(
    scores: np.ndarray, n_timesteps: int, window: int, *, stride: int = 1, reduce: str = "mean"
) -> np.ndarray:
    """Map scores of the windows from :func:`make_sequences` back to each time step.

    Parameters
    ----------
    scores : ndarray, shape (N,) or (N, window)
        One score per window (spread over its steps), or one score per step of each window
        (e.g. the reconstruction error of each step).
    n_timesteps, window, stride : int
        As given to :func:`make_sequences`; ``stride <= window``.
    reduce : {"mean", "max"}
        How the scores of the windows covering a time step combine.

    Returns
    -------
    ndarray, shape (T,)
    """
    if reduce not in ("mean", "max"):
        raise GrukitDataError(f"`reduce` must be 'mean' or 'max', got {reduce!r}")
    starts = sequence_starts(n_timesteps, window, stride=stride)
    if stride > window:
        raise GrukitDataError(
            f"`stride` must be at most `window` = {window} so every time step gets a score, "
            f"got {stride}"
        )
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:
        scores = np.repeat(scores[:, None], window, axis=1)
    if scores.shape != (starts.size, window):
        raise GrukitDataError(
            f"`scores` must have shape ({starts.size},) or ({starts.size}, {window}) for "
            f"{n_timesteps} time steps, window {window} and stride {stride}, got {scores.shape}"
        )
    positions = (starts[:, None] + np.arange(window)).ravel()
    flat = scores.ravel()
    if reduce == "mean":
        total = np.bincount(positions, weights=flat, minlength=n_timesteps)
        count = np.bincount(positions, minlength=n_timesteps)
        return total / count
    result = np.full(n_timesteps, -np.inf)
    np.maximum.at(result, positions, flat)
    return result
