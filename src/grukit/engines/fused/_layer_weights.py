"""The layer's weights as the fused kernels read them, and the cache of inference packs.

:func:`pack_forward` and :func:`pack_backward` pack ``weight_ih``, ``weight_hh`` and the biases
into the register-blocked panels (``_packing``, ``_panels``) that ``_kernels.forward_sequence``
and ``_backward.backward_sequence`` multiply by; :data:`INFERENCE_PACKS` keeps the forward packs
of recent inference calls, reused only for bit-identical weights; :func:`folded_input_bias` is
the bias the streaming step adds to its input projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import torch
from torch import Tensor

from grukit.engines.fused import _kernels, _packing, _panels

#: ``(weights, table_i, table_a, table_b, bias_i, bias_a, zeros)``, see :func:`pack_forward`
ForwardPack: TypeAlias = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]
#: ``(weights, table, split, table_x, zeros)``, see :func:`pack_backward`
BackwardPack: TypeAlias = tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]
#: ``(weight_ih, weight_hh, bias_ih or None, bias_hh or None)`` of one layer-direction
LayerTensors: TypeAlias = tuple[Tensor, Tensor, Tensor | None, Tensor | None]


def pack_forward(
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    reset_after: bool,
    rows: int,
) -> ForwardPack:
    """The operands of ``_kernels.forward_sequence``, packed for ``rows`` rows per step.

    Returns ``(weights, table_i, table_a, table_b, bias_i, bias_a, zeros)``. Table ``i`` is
    ``W_ih^T`` (I, 3H) into the gate blocks r, z, n (``bias_i`` = ``b_ih`` + ``b_hh[:2H]``, and
    ``b_hn`` too for reset_before). reset_after: table ``a`` is ``W_hh^T`` (H, 3H) into r, z, n
    with ``bias_a = [0, 0, b_hn]``, table ``b`` empty; reset_before: ``a`` is ``W_h[rz]^T``
    into r, z (``bias_a = 0``) and ``b`` is ``W_hn^T`` into the n block. Arguments: tensors
    (biases may be None).
    """
    w_ih, w_hh = weight_ih.detach().numpy(), weight_hh.detach().numpy()
    hidden = w_hh.shape[1]
    dtype = w_hh.dtype
    hv = _packing.padded(hidden, dtype)
    groups = [_packing.gate_groups(w_ih.T, 3, 0, 0, hidden, dtype)]
    if reset_after:
        groups += [_packing.gate_groups(w_hh.T, 3, 0, 0, hidden, dtype), []]
    else:
        groups += [
            _packing.gate_groups(w_hh[: 2 * hidden].T, 2, 0, 0, hidden, dtype),
            [(w_hh[2 * hidden :].T, 0, 2 * hv)],
        ]
    nvmax = [4, _packing.nvmax_for(rows), _packing.nvmax_for(rows)]
    weights, (table_i, table_a, table_b) = _packing.pack_tables(groups, dtype, nvmax)
    bias_i, bias_a = np.zeros((3, hv), dtype), np.zeros((3, hv), dtype)
    if bias_ih is not None:
        bias_i[:, :hidden] = bias_ih.detach().numpy().reshape(3, hidden)
    if bias_hh is not None:
        b_hh = bias_hh.detach().numpy().reshape(3, hidden)
        bias_i[:2, :hidden] += b_hh[:2]
        if reset_after:
            bias_a[2, :hidden] = b_hh[2]
        else:
            bias_i[2, :hidden] += b_hh[2]
    zeros = np.zeros(3 * hv, dtype)
    return weights, table_i, table_a, table_b, bias_i.ravel(), bias_a.ravel(), zeros


class PackCache:
    """Packed forward operands of recent inference calls, reused only for bit-identical weights.

    Re-packing costs 16-37 us per call (H = 32-128), as much as the whole recurrence of a short
    sequence. A hit needs the same tensors (data pointers), shapes and options, and weights that
    are *bitwise equal* to the copy kept at packing time (one numba pass, ``same_bytes``: about
    1 us at H = 32, 4 us at H = 128): version counters alone would miss in-place edits through
    ``.data`` or a NumPy view.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.entries: dict[tuple[Any, ...], tuple[np.ndarray, ForwardPack]] = {}

    def get(self, tensors: LayerTensors, reset_after: bool, rows: int) -> ForwardPack:
        """The forward pack of ``tensors`` for ``rows`` rows, from the cache while the weights
        are bitwise those it was packed from."""
        arrays = [None if t is None else t.detach().numpy() for t in tensors]
        key = (
            tuple(None if t is None else (t.data_ptr(), tuple(t.shape)) for t in tensors),
            tensors[1].dtype,
            reset_after,
            _packing.nvmax_for(rows),
        )
        entry = self.entries.get(key)
        if entry is not None and _unchanged(entry[0], arrays):
            return entry[1]
        packed = pack_forward(*tensors, reset_after, rows)
        if len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = (_snapshot(arrays), packed)
        return packed


_NO_BIAS: dict[np.dtype, np.ndarray] = {
    np.dtype(np.float32): np.empty(0, np.float32),
    np.dtype(np.float64): np.empty(0),
}


def _snapshot(arrays: Sequence[np.ndarray | None]) -> np.ndarray:
    """The arrays' bytes, in order, as one uint32 array (absent biases skipped)."""
    words = [np.ascontiguousarray(a).reshape(-1).view(np.uint32) for a in arrays if a is not None]
    return np.concatenate(words)


def _unchanged(snapshot: np.ndarray, arrays: Sequence[np.ndarray | None]) -> bool:
    """Whether ``arrays`` (weight_ih, weight_hh, bias_ih or None, bias_hh or None) are,
    bitwise, the ones ``snapshot`` was taken of."""
    weight_ih, weight_hh = arrays[0], arrays[1]
    assert weight_ih is not None and weight_hh is not None  # only the biases may be absent
    empty = _NO_BIAS.get(weight_hh.dtype)
    if empty is not None and all(
        a is None or (a.flags.c_contiguous and a.dtype is empty.dtype) for a in arrays
    ):
        bias_ih, bias_hh = [empty if a is None else a for a in arrays[2:]]
        return _kernels.same_bytes(snapshot, weight_ih, weight_hh, bias_ih, bias_hh)
    return np.array_equal(snapshot, _snapshot(arrays))


#: the packs of recent inference calls (``layer`` and ``inference`` read through it)
INFERENCE_PACKS = PackCache()


def _gate_rows(weight: np.ndarray, gates: int, hv: int) -> np.ndarray:
    """``weight`` (gates * H, K) with each gate's rows padded to ``hv`` (zero rows)."""
    hidden = weight.shape[0] // gates
    if hv == hidden:
        return weight
    padded = np.zeros((gates, hv, weight.shape[1]), weight.dtype)
    padded[:, :hidden] = weight.reshape(gates, hidden, -1)
    return padded.reshape(gates * hv, -1)


def pack_backward(
    weight_ih: Tensor, weight_hh: Tensor, reset_after: bool, rows: int
) -> BackwardPack:
    """The operands of ``_backward.backward_sequence``: ``(weights, table, split, table_x,
    zeros)`` (products with K in padded gate blocks, see there)."""
    w_ih, w_hh = weight_ih.detach().numpy(), weight_hh.detach().numpy()
    hidden = w_hh.shape[1]
    dtype = w_hh.dtype
    hv = _packing.padded(hidden, dtype)
    if reset_after:
        groups = [[(_gate_rows(w_hh, 3, hv), 0, 0)], []]
    else:
        groups = [[(w_hh[2 * hidden :], 0, 0)], [(_gate_rows(w_hh[: 2 * hidden], 2, hv), 0, 0)]]
    groups.append([(_gate_rows(w_ih, 3, hv), 0, 0)])
    weights, tables = _packing.pack_tables(groups, dtype, _packing.nvmax_for(rows))
    split = tables[0].size // _panels.TABLE_WIDTH
    width = max(hv, _packing.padded(w_ih.shape[1], dtype))
    return weights, np.concatenate(tables[:2]), split, tables[2], np.zeros(width, dtype)


def folded_input_bias(
    bias_ih: Tensor | None, bias_hh: Tensor | None, hidden: int, reset_after: bool, like: Tensor
) -> Tensor:
    """The bias added to ``x W_ih^T``: ``b_ih + [b_hr, b_hz, 0 or b_hn]`` (3H,), detached."""
    bias = torch.zeros(3 * hidden, dtype=like.dtype)
    if bias_ih is not None:
        bias += bias_ih.detach()
    if bias_hh is not None:
        folded = bias_hh.detach() if not reset_after else bias_hh.detach()[: 2 * hidden]
        bias[: folded.shape[0]] += folded
    return bias
