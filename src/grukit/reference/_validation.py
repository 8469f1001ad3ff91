"""Boundary checks for the reference engine and the validated parameter bundle.

Every public function of :mod:`grukit.reference` validates its arguments here, once, and works on
plain NumPy arrays of one floating dtype afterwards. Error messages name the argument, the
expected value and the given value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

WEIGHT_KEYS = (
    "weight_ih",
    "weight_hh",
    "bias_ih",
    "bias_hh",
    "norm_weight_ih",
    "norm_weight_hh",
)


@dataclass(frozen=True)
class GRUParams:
    """The validated weights of one GRU layer-direction (absent options are ``None``).

    Attributes
    ----------
    weight_ih : ndarray, shape (3H, I)
    weight_hh : ndarray, shape (3H, H)
    bias_ih, bias_hh : ndarray, shape (3H,), or None
    norm_weight_ih, norm_weight_hh : ndarray, shape (3H,), or None
        Layer norm gains (both or neither).
    keys : tuple of str
        The keys given with a value that is not ``None``, in :data:`WEIGHT_KEYS` order; the
        gradients returned by the backward functions carry exactly these keys.
    """

    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray | None
    bias_hh: np.ndarray | None
    norm_weight_ih: np.ndarray | None
    norm_weight_hh: np.ndarray | None
    keys: tuple[str, ...]

    @property
    def hidden_size(self) -> int:
        return int(self.weight_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.weight_ih.shape[1])

    @property
    def layer_norm(self) -> bool:
        return self.norm_weight_ih is not None


def input_array(value: Any, name: str, ndim: int) -> np.ndarray:
    """Return ``value`` as the array that fixes the compute dtype.

    Floating arrays keep their dtype; integer arrays (and nested lists of numbers) become
    float64. Anything else (bool, complex, object, strings) is rejected.
    """
    array = np.asarray(value)
    if array.dtype.kind in "iu":
        array = array.astype(np.float64)
    elif array.dtype.kind != "f":
        raise TypeError(f"`{name}` must be a real floating-point array, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(
            f"`{name}` must be a {ndim}-D array, got {array.ndim}-D with shape {array.shape}"
        )
    return array


def float_array(
    value: Any, name: str, dtype: np.dtype, shape: tuple[int, ...], what: str
) -> np.ndarray:
    """Return a copy of ``value`` in ``dtype``, checking that its shape is ``shape``.

    ``what`` spells the expected shape symbolically, e.g. ``"(batch, hidden_size)"``.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must be a real floating-point array, got dtype {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"`{name}` must have shape {what} = {shape}, got {array.shape}")
    return np.array(array, dtype=dtype, copy=True)


def check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool, got {value!r}")
    return bool(value)


def validate_weights(weights: Any, dtype: np.dtype, input_size: int) -> GRUParams:
    """Check the weights dict of one layer-direction and convert it to ``dtype``.

    The hidden size is read from ``weight_hh`` (3H, H); every other entry must agree with it and
    ``weight_ih`` must have ``input_size`` columns.
    """
    if not isinstance(weights, Mapping):
        raise TypeError(
            f"`weights` must be a dict of arrays with keys {list(WEIGHT_KEYS)}, "
            f"got {type(weights).__name__}"
        )
    unknown = sorted(str(key) for key in weights if key not in WEIGHT_KEYS)
    if unknown:
        raise ValueError(
            f"`weights` has unknown key(s) {unknown}; expected keys among {list(WEIGHT_KEYS)}"
        )
    for key in ("weight_ih", "weight_hh"):
        if weights.get(key) is None:
            raise ValueError(f"`weights` is missing the required key '{key}'")
    given_norms = [
        key for key in ("norm_weight_ih", "norm_weight_hh") if weights.get(key) is not None
    ]
    if len(given_norms) == 1:
        raise ValueError(
            "`weights` must hold both 'norm_weight_ih' and 'norm_weight_hh' (layer norm) or "
            f"neither, got only '{given_norms[0]}'"
        )

    weight_hh = np.asarray(weights["weight_hh"])
    if (
        weight_hh.ndim != 2
        or weight_hh.shape[1] < 1
        or weight_hh.shape[0] != 3 * weight_hh.shape[1]
    ):
        raise ValueError(
            "`weights['weight_hh']` must have shape (3 * hidden_size, hidden_size) with "
            f"hidden_size >= 1, got {weight_hh.shape}"
        )
    hidden_size = weight_hh.shape[1]
    gates = 3 * hidden_size
    expected = {
        "weight_ih": ((gates, input_size), "(3 * hidden_size, input_size)"),
        "weight_hh": ((gates, hidden_size), "(3 * hidden_size, hidden_size)"),
        "bias_ih": ((gates,), "(3 * hidden_size,)"),
        "bias_hh": ((gates,), "(3 * hidden_size,)"),
        "norm_weight_ih": ((gates,), "(3 * hidden_size,)"),
        "norm_weight_hh": ((gates,), "(3 * hidden_size,)"),
    }

    def convert(key: str) -> np.ndarray:
        shape, what = expected[key]
        return float_array(weights[key], f"weights['{key}']", dtype, shape, what)

    # in WEIGHT_KEYS order, so that the first bad key is the one reported
    weight_ih, weight_hh = convert("weight_ih"), convert("weight_hh")  # required: checked above
    optional = {key: None if weights.get(key) is None else convert(key) for key in WEIGHT_KEYS[2:]}
    return GRUParams(
        weight_ih=weight_ih,
        weight_hh=weight_hh,
        bias_ih=optional["bias_ih"],
        bias_hh=optional["bias_hh"],
        norm_weight_ih=optional["norm_weight_ih"],
        norm_weight_hh=optional["norm_weight_hh"],
        keys=tuple(key for key in WEIGHT_KEYS if weights.get(key) is not None),
    )


def validate_lengths(lengths: Any, batch: int, steps: int) -> np.ndarray:
    """Return ``lengths`` as an int64 array of shape (batch,), each value in [0, steps]."""
    array = np.asarray(lengths)
    if array.dtype.kind not in "iu":
        raise TypeError(f"`lengths` must be an array of integers, got dtype {array.dtype}")
    if array.shape != (batch,):
        raise ValueError(f"`lengths` must have shape (batch,) = ({batch},), got {array.shape}")
    bad = np.flatnonzero((array < 0) | (array > steps))
    if bad.size:
        index = int(bad[0])
        raise ValueError(
            f"`lengths` must lie in [0, {steps}] (the number of time steps), "
            f"got {int(array[index])} at index {index}"
        )
    return array.astype(np.int64)


def validate_zoneout_keep(
    value: Any, dtype: np.dtype, shape: tuple[int, ...], what: str
) -> np.ndarray:
    """Check a zoneout keep array: the given shape and every entry in [0, 1]."""
    keep = float_array(value, "zoneout_keep", dtype, shape, what)
    if not np.all((keep >= 0) & (keep <= 1)):
        bad = keep[~((keep >= 0) & (keep <= 1))].flat[0]
        raise ValueError(f"`zoneout_keep` entries must lie in [0, 1], got {bad}")
    return keep
