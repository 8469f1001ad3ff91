"""Irregularly sampled multivariate series on a regular grid: the inputs of GRU-D.

Observations come in long format, one row per measurement: ``record, hours, variable, value``
(what :func:`grukit.data.load_physionet2012` returns). :func:`to_grid` bins them into
``values`` (NaN where unobserved), ``mask`` and ``delta`` (hours since each variable was last
observed), :class:`GridFiller` fills the gaps with the last observed value or the training mean,
and :func:`summary_features` gives the per-record table of a non-recurrent baseline.

References
----------
Che, Z., Purushotham, S., Cho, K., Sontag, D., Liu, Y. (2018), "Recurrent Neural Networks for
Multivariate Time Series with Missing Values", Scientific Reports 8: 6085.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.data.tables import require_columns

__all__ = [
    "AGGREGATES",
    "FILLS",
    "Grid",
    "GridFiller",
    "forward_fill",
    "gru_d_delta",
    "summary_features",
    "to_grid",
]

AGGREGATES = ("last", "mean")
FILLS = ("forward", "mean")
SUMMARIES = ("last", "mean", "min", "max", "count")
_COLUMNS = ["record", "hours", "variable", "value"]


@dataclass(frozen=True)
class Grid:
    """Observations on a grid of ``T`` steps of ``step_hours``; unpacks as
    ``values, mask, delta, lengths = grid``.

    Attributes
    ----------
    values : ndarray (N, T, V) float32
        The observed value in each step (NaN where unobserved).
    mask : ndarray (N, T, V) float32
        1 where observed, else 0.
    delta : ndarray (N, T, V) float32
        Hours since the variable was last observed before step t (GRU-D): ``delta[:, 0] = 0``,
        ``delta[:, t] = step + delta[:, t-1]`` if unobserved at t-1, else ``step``.
    lengths : ndarray (N,) int64
        Steps up to and including the last observed step of each record (0 when none).
    records : Index
        The record of each row.
    variables : list of str
        The variable of each column.
    step_hours : float
    """

    values: np.ndarray
    mask: np.ndarray
    delta: np.ndarray
    lengths: np.ndarray
    records: pd.Index
    variables: list[str]
    step_hours: float

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.values, self.mask, self.delta, self.lengths))


def to_grid(
    observations: pd.DataFrame,
    *,
    step_hours: float = 1.0,
    horizon_hours: float = 48.0,
    variables: Sequence[str] | None = None,
    records: Sequence[Any] | None = None,
    aggregate: str = "last",
) -> Grid:
    """Bin long-format observations into arrays (N, T, V) with a mask and GRU-D's time gaps.

    Step ``t`` covers ``[t * step_hours, (t + 1) * step_hours)``; ``T = ceil(horizon_hours /
    step_hours)``, and a measurement at exactly ``horizon_hours`` falls in the last step (the
    challenge's ``48:00``); later ones are left out. NaN values count as unobserved.

    Parameters
    ----------
    observations : DataFrame
        Columns ``record, hours, variable, value``, in time order within each record for
        ``aggregate="last"`` (measurements at the same time: the later row wins).
    step_hours, horizon_hours : float
        The step and the covered span, both > 0.
    variables : sequence of str, optional
        The columns, in order; by default the categories of a categorical ``variable`` column,
        else its sorted distinct values. Measurements of other variables are left out. With a
        categorical column each name must be a category; with a plain one a name that never
        occurs is a column with nothing observed (a rare variable absent from one subset).
    records : sequence, optional
        The rows, in order (pass ``stays.records`` so that records without any measurement get
        a row); by default the sorted distinct records of ``observations``.
    aggregate : {"last", "mean"}
        How several measurements of one variable in one step combine.

    Returns
    -------
    Grid

    Examples
    --------
    >>> frame = pd.DataFrame({"record": [7, 7, 7], "hours": [0.2, 0.5, 2.1],
    ...                       "variable": ["HR", "HR", "HR"], "value": [70.0, 72.0, 80.0]})
    >>> values, mask, delta, lengths = to_grid(frame, horizon_hours=4)
    >>> values[0, :, 0].tolist(), delta[0, :, 0].tolist(), lengths.tolist()
    ([72.0, nan, 80.0, nan], [0.0, 1.0, 2.0, 1.0], [3])
    """
    step = checks.number("step_hours", step_hours, low=0, low_open=True, error=GrukitDataError)
    horizon = checks.number(
        "horizon_hours", horizon_hours, low=0, low_open=True, error=GrukitDataError
    )
    checks.choice("aggregate", aggregate, AGGREGATES, error=GrukitDataError)
    require_columns(observations, _COLUMNS)
    steps = max(1, math.ceil(horizon / step - 1e-9))
    names = _variables(observations, variables)
    rows = _records(observations, records)
    hours = observations["hours"].to_numpy(dtype=np.float64)
    value = observations["value"].to_numpy(dtype=np.float64)
    if len(hours) and not (np.nanmin(hours) >= 0 and np.isfinite(hours).all()):
        raise GrukitDataError("`observations` column 'hours' must hold finite numbers >= 0")
    row = rows.get_indexer(observations["record"])
    if (row < 0).any():
        missing = observations["record"].to_numpy()[row < 0][0].item()
        raise GrukitDataError(f"`records` does not list record {missing!r} of `observations`")
    column = pd.Index(names).get_indexer(observations["variable"].astype(object))
    bins = np.minimum(np.floor(hours / step), steps - 1).astype(np.int64)
    keep = (column >= 0) & (hours <= horizon) & ~np.isnan(value)
    key = (row[keep] * steps + bins[keep]) * len(names) + column[keep]
    size = len(rows) * steps * len(names)
    flat = _aggregate(key, value[keep], size, aggregate)
    shape = (len(rows), steps, len(names))
    values = flat.reshape(shape).astype(np.float32)
    mask = (~np.isnan(values)).astype(np.float32)
    delta = gru_d_delta(mask, step)
    seen = mask.any(axis=2)
    lengths = np.where(seen.any(axis=1), steps - np.argmax(seen[:, ::-1], axis=1), 0)
    return Grid(values, mask, delta, lengths.astype(np.int64), rows, names, step)


def _variables(observations: pd.DataFrame, variables: Sequence[str] | None) -> list[str]:
    column = observations["variable"]
    categorical = isinstance(column.dtype, pd.CategoricalDtype)
    if categorical:
        known = [str(v) for v in column.cat.categories]
    else:
        known = sorted(str(v) for v in column.unique())
    if variables is None:
        return known
    names = [str(v) for v in variables]
    # a plain column may lack a rare variable in one subset; categories name all of them
    unknown = [v for v in names if v not in known] if categorical else []
    if unknown or not names or len(set(names)) != len(names):
        raise GrukitDataError(
            f"`variables` must be distinct names of `observations`; unknown: {unknown[:5]}, "
            f"known: {known}"
        )
    return names


def _records(observations: pd.DataFrame, records: Sequence[Any] | None) -> pd.Index:
    if records is None:
        return pd.Index(np.sort(observations["record"].unique()), name="record")
    index = pd.Index(records, name="record")
    if not index.is_unique:
        raise GrukitDataError("`records` must not repeat a record")
    return index


def _aggregate(key: np.ndarray, value: np.ndarray, size: int, aggregate: str) -> np.ndarray:
    flat = np.full(size, np.nan)
    if aggregate == "mean":
        count = np.bincount(key, minlength=size)
        total = np.bincount(key, weights=value, minlength=size)
        seen = count > 0
        flat[seen] = total[seen] / count[seen]
        return flat
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    last = np.r_[ordered[1:] != ordered[:-1], True] if len(ordered) else ordered.astype(bool)
    flat[ordered[last]] = value[order][last]
    return flat


def gru_d_delta(mask: np.ndarray, step_hours: float) -> np.ndarray:
    """GRU-D's time gaps on a regular grid from a mask (N, T, V): float32 hours.

    ``delta[:, 0] = 0``; ``delta[:, t] = step + delta[:, t-1]`` where ``mask[:, t-1] == 0``, else
    ``step`` (Che et al. 2018, eq. 2, with ``s_t - s_{t-1} = step``).

    >>> gru_d_delta(np.array([[[1.0], [0.0], [0.0], [1.0]]]), 0.5)[0, :, 0].tolist()
    [0.0, 0.5, 1.0, 1.5]
    """
    mask = np.asarray(mask)
    delta = np.zeros(mask.shape, dtype=np.float32)
    for t in range(1, mask.shape[1]):
        delta[:, t] = step_hours + np.where(mask[:, t - 1] > 0, 0.0, delta[:, t - 1])
    return delta


class GridFiller:
    """Fills the unobserved entries of a grid, with statistics fitted on training records only.

    ``fit`` learns the mean and standard deviation of each variable over the observed entries of
    the grid it is given (pass the training rows only). ``transform`` standardises (``(x -
    mean) / std``, unless ``standardize=False``) and fills each unobserved entry with the last
    observed value of its record (``"forward"``; the mean before the first observation: GRU-D's
    ``x_last`` and GRU-forward's input) or with the mean (``"mean"``: GRU-mean; 0 once
    standardised). A variable observed once or constant gets ``std = 1``.

    >>> values = np.array([[[1.0], [np.nan], [3.0]], [[np.nan], [5.0], [np.nan]]], np.float32)
    >>> filler = GridFiller(standardize=False).fit(values)
    >>> filler.mean_.tolist(), filler.transform(values)[:, :, 0].tolist()
    ([3.0], [[1.0, 1.0, 3.0], [3.0, 5.0, 5.0]])
    """

    def __init__(self, fill: str = "forward", *, standardize: bool = True) -> None:
        self.fill = checks.choice("fill", fill, FILLS, error=GrukitDataError)
        self.standardize = checks.flag("standardize", standardize, error=GrukitDataError)
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def fit(self, values: np.ndarray | Grid, variables: Sequence[str] | None = None) -> GridFiller:
        """Learn per-variable statistics from ``values`` (N, T, V), NaN where unobserved."""
        if isinstance(values, Grid):
            variables = values.variables if variables is None else variables
            values = values.values
        flat = _as_grid(values).reshape(-1, values.shape[-1]).astype(np.float64)
        count = (~np.isnan(flat)).sum(axis=0)
        if (count == 0).any():
            names = list(variables) if variables is not None else list(range(flat.shape[1]))
            empty = [names[i] for i in np.flatnonzero(count == 0)]
            raise GrukitDataError(
                f"cannot fit: variables {empty} are never observed in the training records; "
                "leave them out with `variables=`"
            )
        self.mean_ = np.nanmean(flat, axis=0)
        std = np.nanstd(flat, axis=0)
        self.std_ = np.where((count > 1) & (std > 0), std, 1.0)
        return self

    def transform(self, values: np.ndarray | Grid) -> np.ndarray:
        """``values`` (N, T, V) standardised and filled: float32 without NaN."""
        if self.mean_ is None or self.std_ is None:
            raise GrukitDataError("GridFiller is not fitted: call fit() on the training grid")
        values = _as_grid(values.values if isinstance(values, Grid) else values)
        if values.shape[-1] != len(self.mean_):
            raise GrukitDataError(
                f"`values` must have {len(self.mean_)} variables, got {values.shape[-1]}"
            )
        x = values.astype(np.float64)
        if self.standardize:
            x = (x - self.mean_) / self.std_
        mean = np.zeros_like(self.mean_) if self.standardize else self.mean_
        if self.fill == "forward":
            x = forward_fill(x, mean)
        return np.where(np.isnan(x), mean, x).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """The settings and statistics as plain JSON types."""
        if self.mean_ is None or self.std_ is None:
            raise GrukitDataError("GridFiller is not fitted: nothing to save")
        return {
            "fill": self.fill,
            "standardize": self.standardize,
            "mean": self.mean_.tolist(),
            "std": self.std_.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GridFiller:
        """The inverse of :meth:`to_dict`."""
        checks.config_keys(data, ("fill", "standardize", "mean", "std"), "GridFiller")
        filler = cls(data["fill"], standardize=data["standardize"])
        filler.mean_ = np.asarray(data["mean"], dtype=np.float64)
        filler.std_ = np.asarray(data["std"], dtype=np.float64)
        if filler.mean_.shape != filler.std_.shape or filler.mean_.ndim != 1:
            raise GrukitDataError("GridFiller dict: `mean` and `std` must be lists of one length")
        return filler


def _as_grid(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 3 or not np.issubdtype(values.dtype, np.floating):
        raise GrukitDataError(f"`values` must be a float array (N, T, V), got {values.shape}")
    if np.isinf(values).any():
        raise GrukitDataError("`values` must not hold infinite values (NaN marks unobserved)")
    return values


def forward_fill(values: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """Each NaN of ``values`` (N, T, V) replaced by the last earlier value of its row and
    column, or by ``initial`` (V,) before the first one."""
    filled = np.array(values, dtype=np.float64)
    last = np.broadcast_to(np.asarray(initial, dtype=np.float64), filled[:, 0].shape).copy()
    for t in range(filled.shape[1]):
        now = filled[:, t]
        seen = ~np.isnan(now)
        last[seen] = now[seen]
        filled[:, t] = last
    return filled


def summary_features(
    observations: pd.DataFrame,
    static: pd.DataFrame | None = None,
    variables: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per record and variable the last, mean, min, max and count of its measurements, then the
    static descriptors: the inputs of a logistic-regression baseline.

    Columns ``<variable>_last, <variable>_mean, <variable>_min, <variable>_max,
    <variable>_count`` for each variable in order (NaN, count 0, when a record has none), then
    the columns of ``static``. "Last" is the last row of the record (rows in time order).

    Parameters
    ----------
    observations : DataFrame
        Columns ``record, hours, variable, value``.
    static : DataFrame, optional
        Indexed by record: its index gives the rows (records without measurements included);
        by default the sorted records of ``observations``.
    variables : sequence of str, optional
        As in :func:`to_grid`.

    Examples
    --------
    >>> frame = pd.DataFrame({"record": [1, 1, 2], "hours": [0.5, 3.0, 1.0],
    ...                       "variable": ["HR", "HR", "HR"], "value": [70.0, 90.0, 60.0]})
    >>> summary_features(frame).loc[1].tolist()
    [90.0, 80.0, 70.0, 90.0, 2.0]
    """
    require_columns(observations, _COLUMNS)
    names = _variables(observations, variables)
    rows = _records(observations, None if static is None else static.index)
    row = rows.get_indexer(observations["record"])
    if (row < 0).any():
        missing = observations["record"].to_numpy()[row < 0][0].item()
        raise GrukitDataError(f"`static` has no row for record {missing!r} of `observations`")
    column = pd.Index(names).get_indexer(observations["variable"].astype(object))
    value = observations["value"].to_numpy(dtype=np.float64)
    keep = (column >= 0) & ~np.isnan(value)
    frame = pd.DataFrame({"row": row[keep], "column": column[keep], "value": value[keep]})
    grouped = frame.groupby(["row", "column"], sort=True)["value"]
    stats = grouped.agg(["last", "mean", "min", "max", "count"])
    table = stats.unstack("column").reindex(index=range(len(rows)))
    order = [(s, c) for c in range(len(names)) for s in SUMMARIES]
    table = table.reindex(columns=pd.MultiIndex.from_tuples(order))
    table.columns = [f"{names[c]}_{s}" for s, c in order]
    counts = [f"{name}_count" for name in names]
    table[counts] = table[counts].fillna(0.0)
    table.index = rows
    if static is not None:
        table = table.join(static.astype(np.float64))
    return table.astype(np.float64)
