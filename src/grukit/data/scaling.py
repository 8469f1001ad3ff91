"""Per-column scalers fitted on the training part, with a JSON round trip for checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from grukit.data._errors import GrukitDataError
from grukit.data.missing import require_finite
from grukit.data.tables import require_columns, require_numeric

__all__ = [
    "IdentityScaler",
    "MinMaxScaler",
    "Scaler",
    "StandardScaler",
    "make_scaler",
    "scaler_from_dict",
]

ArrayOrFrame = np.ndarray | pd.DataFrame


class Scaler:
    """Affine per-column scaling ``z = (x - offset_) / scale_``; the base of every scaler.

    ``fit`` learns ``columns_``, ``offset_`` and ``scale_`` (NaNs ignored; an infinite value is
    refused, naming its column and row) and returns self.
    ``transform`` and ``inverse_transform`` take

    - a DataFrame: the fitted columns it holds are scaled, the others are left alone;
    - an array (..., K): the last axis holds the fitted columns in order, or, with `columns`,
      just those columns (e.g. ``columns=["pm2.5"]`` for forecasts of the target only).

    A constant column gets ``scale_ = 1``, so it never divides by zero.
    """

    kind = "base"

    def __init__(self) -> None:
        self.columns_: list[str] | None = None
        self.offset_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    # -- fitting -------------------------------------------------------------------------------
    def _statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def fit(self, data: ArrayOrFrame, columns: Sequence[str] | None = None) -> Scaler:
        """Learn the statistics of each column (of `columns` for a DataFrame; all by default).

        An array (T, K) gets the column names ``"0" .. "K-1"`` unless `columns` names them.
        """
        if isinstance(data, pd.DataFrame):
            names = [str(c) for c in (data.columns if columns is None else columns)]
            require_numeric(data, names)
            values = data[names].to_numpy(dtype=np.float64)
        else:
            values = np.asarray(data, dtype=np.float64)
            if values.ndim == 1:
                values = values[:, None]
            values = values.reshape(-1, values.shape[-1])
            names = [str(i) for i in range(values.shape[1])] if columns is None else list(columns)
            if len(names) != values.shape[1]:
                raise GrukitDataError(
                    f"`columns` must name all {values.shape[1]} columns, got {len(names)} names"
                )
        if values.shape[0] == 0:
            raise GrukitDataError("cannot fit a scaler on zero rows")
        if np.isinf(values).any():  # statistics of an infinite value are NaN
            require_finite(pd.DataFrame(values, columns=names), names)
        empty = np.isnan(values).all(axis=0)
        if empty.any():
            raise GrukitDataError(
                f"cannot fit a scaler: column {names[int(np.argmax(empty))]!r} has no values"
            )
        offset, scale = self._statistics(values)
        scale = np.where(scale > 0, scale, 1.0)
        self.columns_, self.offset_, self.scale_ = names, offset, scale
        return self

    # -- applying ------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self.columns_ is None:
            raise GrukitDataError(f"this {type(self).__name__} is not fitted; call fit first")

    def _positions(self, columns: Sequence[str] | None) -> np.ndarray:
        assert self.columns_ is not None
        if columns is None:
            return np.arange(len(self.columns_))
        unknown = [c for c in columns if c not in self.columns_]
        if unknown:
            raise GrukitDataError(
                f"column {unknown[0]!r} was not fitted; fitted columns: "
                + ", ".join(repr(c) for c in self.columns_)
            )
        return np.array([self.columns_.index(c) for c in columns], dtype=np.int64)

    def _apply(self, data: ArrayOrFrame, columns: Sequence[str] | None, inverse: bool) -> Any:
        self._check_fitted()
        assert self.columns_ is not None and self.offset_ is not None and self.scale_ is not None
        if isinstance(data, pd.DataFrame):
            names = [c for c in (self.columns_ if columns is None else columns) if c in data]
            if columns is not None:
                require_columns(data, columns)
            positions = self._positions(names)
            result = data.copy()
            values = result[names].to_numpy(dtype=np.float64)
        else:
            positions = self._positions(columns)
            values = np.asarray(data, dtype=np.float64)
            if values.ndim == 0 or values.shape[-1] != positions.size:
                raise GrukitDataError(
                    f"expected an array whose last axis holds {positions.size} columns, "
                    f"got shape {values.shape}"
                )
        offset, scale = self.offset_[positions], self.scale_[positions]
        scaled = values * scale + offset if inverse else (values - offset) / scale
        if isinstance(data, pd.DataFrame):
            result[names] = scaled
            return result
        return scaled

    def transform(self, data: ArrayOrFrame, columns: Sequence[str] | None = None) -> Any:
        """``(x - offset_) / scale_``; returns a new DataFrame or array."""
        return self._apply(data, columns, inverse=False)

    def inverse_transform(self, data: ArrayOrFrame, columns: Sequence[str] | None = None) -> Any:
        """``z * scale_ + offset_``; returns a new DataFrame or array."""
        return self._apply(data, columns, inverse=True)

    def fit_transform(self, data: ArrayOrFrame, columns: Sequence[str] | None = None) -> Any:
        """``fit(data, columns)`` then ``transform``."""
        return self.fit(data, columns).transform(data)

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description: ``{"kind", "columns", "offset", "scale", ...}``."""
        state: dict[str, Any] = {"kind": self.kind, **self._params()}
        if self.columns_ is not None:
            assert self.offset_ is not None and self.scale_ is not None
            state["columns"] = list(self.columns_)
            state["offset"] = [float(v) for v in self.offset_]
            state["scale"] = [float(v) for v in self.scale_]
        return state

    @staticmethod
    def from_dict(state: dict[str, Any]) -> Scaler:
        """Rebuild a scaler of any kind from :meth:`to_dict` (see :func:`scaler_from_dict`)."""
        return scaler_from_dict(state)

    def _params(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        fitted = "unfitted" if self.columns_ is None else f"columns={self.columns_!r}"
        return f"{type(self).__name__}({fitted})"


class StandardScaler(Scaler):
    """``z = (x - mean) / std`` per column (population std, ``ddof=0``)."""

    kind = "standard"

    def _statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.nanmean(values, axis=0), np.nanstd(values, axis=0)


class MinMaxScaler(Scaler):
    """``z = low + (x - min) / (max - min) * (high - low)`` per column.

    Parameters
    ----------
    feature_range : (float, float)
        ``(low, high)``, default (0, 1). A constant column maps to ``low``.
    """

    kind = "minmax"

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        low, high = (float(v) for v in feature_range)
        if not high > low:
            raise GrukitDataError(f"`feature_range` must have low < high, got {feature_range!r}")
        self.feature_range = (low, high)

    def _statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low, high = self.feature_range
        minimum, maximum = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        width = maximum - minimum
        scale = np.where(width > 0, width / (high - low), 1.0)
        return minimum - low * scale, scale

    def _params(self) -> dict[str, Any]:
        return {"feature_range": list(self.feature_range)}


class IdentityScaler(Scaler):
    """No scaling (``offset_ = 0``, ``scale_ = 1``); what ``scaler=None`` means."""

    kind = "none"

    def _statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        width = values.shape[1]
        return np.zeros(width), np.ones(width)


_KINDS: dict[str, type[Scaler]] = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
    "none": IdentityScaler,
}


def make_scaler(name: str | None) -> Scaler:
    """A new unfitted scaler: ``"standard"``, ``"minmax"``, or ``None`` / ``"none"``."""
    key = "none" if name is None else name
    if key not in _KINDS:
        raise GrukitDataError(f"`scaler` must be 'standard', 'minmax' or None, got {name!r}")
    return _KINDS[key]()


def scaler_from_dict(state: dict[str, Any]) -> Scaler:
    """Rebuild a scaler from :meth:`Scaler.to_dict` (the inverse of ``to_dict``)."""
    kind = state.get("kind")
    if kind not in _KINDS:
        raise GrukitDataError(f"unknown scaler kind {kind!r}; expected one of {sorted(_KINDS)}")
    scaler: Scaler
    if kind == "minmax":
        scaler = MinMaxScaler(tuple(state.get("feature_range", (0.0, 1.0))))
    else:
        scaler = _KINDS[kind]()
    if "columns" in state:
        columns = [str(c) for c in state["columns"]]
        offset = np.asarray(state["offset"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
        if not (len(columns) == offset.size == scale.size):
            raise GrukitDataError(
                f"scaler state has {len(columns)} columns but {offset.size} offsets and "
                f"{scale.size} scales"
            )
        scaler.columns_, scaler.offset_, scaler.scale_ = columns, offset, scale
    return scaler
