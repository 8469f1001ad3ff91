"""The fused engine's ``gru_layer``: numba forward and backward, a custom autograd Function.

Forward: ONE numba call (``_kernels.forward_sequence``) computes the input projection of all
steps and runs the recurrence, with the weights packed into register-blocked panels
(``_panels``, ``_packing``) at each call. When a gradient is needed it also keeps
``h_prev, r, z, n, a`` per step (5 T B H floats); the backward is ONE numba call
(``_backward.backward_sequence``) that produces ``d_x``, ``d_h0`` and every weight and bias
gradient. No BLAS or PyTorch GEMM runs inside. Both kernels set FTZ/DAZ on their own thread for
their duration (``_panels.ftz_enter``), so vanishing gradients never reach the slow subnormal
path; the floating-point environment is restored on return.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from grukit.engines.fused import (
    _backward,
    _kernels,
    _packing,
    _panels,
    _records,
    _scratch,
    _shards,
)
from grukit.runtime.threads import apply_env_threads

SUPPORTED_DTYPES = (torch.float32, torch.float64)


def unsupported_reason(
    *,
    layer_norm: bool = False,
    recurrent_dropout: float = 0.0,
    zoneout: float = 0.0,
    **_other_options: object,
) -> str | None:
    """Why the fused engine cannot run this configuration, or ``None`` if it can."""
    if layer_norm:
        return "layer_norm=True: the fused engine has no layer normalisation"
    if recurrent_dropout:
        return f"recurrent_dropout={recurrent_dropout}: the fused engine has no recurrent dropout"
    if zoneout:
        return f"zoneout={zoneout}: the fused engine has no zoneout"
    return None


def pack_forward(weight_ih, weight_hh, bias_ih, bias_hh, reset_after: bool, rows: int):
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


class _PackCache:
    """Packed forward operands of recent inference calls, reused only for bit-identical weights.

    Re-packing costs 16-37 us per call (H = 32-128), as much as the whole recurrence of a short
    sequence. A hit needs the same tensors (data pointers), shapes and options, and weights that
    are *bitwise equal* to the copy kept at packing time (one numba pass, ``same_bytes``: about
    1 us at H = 32, 4 us at H = 128): version counters alone would miss in-place edits through
    ``.data`` or a NumPy view.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.entries: dict[tuple, tuple[np.ndarray, tuple]] = {}

    def get(self, tensors, reset_after: bool, rows: int):
        arrays = [None if t is None else t.detach().numpy() for t in tensors]
        key = (
            tuple(None if t is None else (t.data_ptr(), tuple(t.shape)) for t in tensors),
            arrays[1].dtype,
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


_NO_BIAS = {np.dtype(np.float32): np.empty(0, np.float32), np.dtype(np.float64): np.empty(0)}


def _snapshot(arrays) -> np.ndarray:
    """The arrays' bytes, in order, as one uint32 array (absent biases skipped)."""
    words = [np.ascontiguousarray(a).reshape(-1).view(np.uint32) for a in arrays if a is not None]
    return np.concatenate(words)


def _unchanged(snapshot: np.ndarray, arrays) -> bool:
    """Whether ``arrays`` (weight_ih, weight_hh, bias_ih or None, bias_hh or None) are,
    bitwise, the ones ``snapshot`` was taken of."""
    empty = _NO_BIAS.get(arrays[1].dtype)
    if empty is not None and all(
        a is None or (a.flags.c_contiguous and a.dtype is empty.dtype) for a in arrays
    ):
        return _kernels.same_bytes(snapshot, *[empty if a is None else a for a in arrays])
    return np.array_equal(snapshot, _snapshot(arrays))


_PACKED = _PackCache()


def _gate_rows(weight: np.ndarray, gates: int, hv: int) -> np.ndarray:
    """``weight`` (gates * H, K) with each gate's rows padded to ``hv`` (zero rows)."""
    hidden = weight.shape[0] // gates
    if hv == hidden:
        return weight
    padded = np.zeros((gates, hv, weight.shape[1]), weight.dtype)
    padded[:, :hidden] = weight.reshape(gates, hidden, -1)
    return padded.reshape(gates * hv, -1)


def pack_backward(weight_ih: Tensor, weight_hh: Tensor, reset_after: bool, rows: int):
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


def run_forward(x, h0, packed, lengths, reverse, reset_after, out, h, store):
    """``_kernels.forward_sequence`` over NumPy arrays, the batch split into row shards that run
    on parallel threads (``_shards``). ``x`` (T, B, I), ``h0`` (B, H) in; ``out`` (T, B, H) and
    ``h`` (B, H) written. Returns ``(shards, saved)``: the row ranges and, per shard, its
    ``h_prev, r, z, n, a`` record (5, T, rows, H) (``store``) or (5, 0, rows, H)."""
    steps, batch, inputs = x.shape
    hidden = h.shape[1]
    dtype = out.dtype
    hv = packed[-1].shape[0] // 3
    record = 5 * steps * batch * hidden * dtype.itemsize if store else 0
    shards = _shards.row_shards(batch, steps * 3 * hidden * (hidden + inputs), record)

    # every array is prepared here, on the calling thread, and the large ones are reused
    # between calls (``_scratch``): fresh pages fault on first touch, slowly on a VM
    operands = []
    for index, (start, stop) in enumerate(shards):
        rows = stop - start
        whole = rows == batch
        q = _scratch.scratch("q", index, (rows, hidden), dtype)
        q.fill(0)
        operands.append(
            (
                x if whole else _scratch.copy_rows("x", index, x, start, stop),
                h0 if whole else _scratch.copy_rows("h0", index, h0, start, stop),
                lengths[start:stop].copy(),
                _scratch.scratch("gi", index, (steps, rows, 3, hv), dtype),
                out if whole else _scratch.scratch("out", index, (steps, rows, hidden), dtype),
                h if whole else _scratch.scratch("h", index, (rows, hidden), dtype),
                _scratch.scratch("gh", index, (rows, 3, hv), dtype),
                q,
                _records.lend((5, steps if store else 0, rows, hidden), dtype),  # for backward
            )
        )

    def work(index: int, start: int, stop: int) -> np.ndarray:
        x_s, h0_s, lengths_s, gi, out_s, h_s, gh, q, saved = operands[index]
        _kernels.forward_sequence(
            x_s, h0_s, *packed, lengths_s, reverse, reset_after, gi, out_s, h_s, gh, q, saved
        )
        if stop - start != batch:
            out[:, start:stop] = out_s
            h[start:stop] = h_s
        return saved

    return shards, _shards.run_shards(work, shards)


def _forward(
    x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh, lengths, reverse, reset_after, store
):
    """Run the forward pass on detached tensors; return ``(out, h_n, shards, saved)``.

    One numba call per row shard does everything, FTZ/DAZ included (``run_forward``).
    """
    steps, batch, _ = x_tm.shape
    hidden = weight_hh.shape[1]
    dtype = x_tm.dtype
    tensors = (weight_ih, weight_hh, bias_ih, bias_hh)
    if store:  # training: the weights change every step, packing is the cheaper path
        packed = pack_forward(*tensors, reset_after, batch)
    else:
        packed = _PACKED.get(tensors, reset_after, batch)
    out = torch.empty(steps, batch, hidden, dtype=dtype)
    h_n = torch.empty(batch, hidden, dtype=dtype)
    shards, saved = run_forward(
        x_tm.detach().contiguous().numpy(), h0.detach().contiguous().numpy(), packed, lengths,
        reverse, reset_after, out.numpy(), h_n.numpy(), store,
    )  # fmt: skip
    return out, h_n, shards, saved


class FusedGRUFunction(torch.autograd.Function):
    """One GRU layer-direction on time-major input, with a hand-written backward.

    ``forward(x_tm (T, B, I), h0 (B, H), weight_ih, weight_hh, bias_ih, bias_hh, lengths
    (np.int64 (B,)), reverse, reset_after) -> (out (T, B, H), h_n (B, H))``.
    """

    @staticmethod
    def forward(
        ctx, x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh, lengths, reverse, reset_after
    ):
        out, h_n, shards, saved = _forward(
            x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh, lengths, reverse, reset_after, True
        )
        # the per-shard records go through save_for_backward too, so that autograd frees them
        # after the backward pass (and refuses a second backward without retain_graph)
        ctx.save_for_backward(x_tm, weight_ih, weight_hh, *map(torch.from_numpy, saved))
        ctx.shards = shards
        ctx.lengths = lengths
        ctx.reverse = reverse
        ctx.reset_after = reset_after
        ctx.has_bias = (bias_ih is not None, bias_hh is not None)
        return out, h_n

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_h_n):
        x_tm, weight_ih, weight_hh, *records = ctx.saved_tensors
        saved = [record.numpy() for record in records]
        steps, batch, inputs = x_tm.shape
        hidden = weight_hh.shape[1]
        dtype = x_tm.dtype
        reset_after = ctx.reset_after
        if d_out is None:
            d_out = torch.zeros(steps, batch, hidden, dtype=dtype)
        dh = torch.zeros(batch, hidden, dtype=dtype)
        if d_h_n is not None:
            dh.copy_(d_h_n)
        weights, table, split, table_x, zeros = pack_backward(
            weight_ih, weight_hh, reset_after, batch
        )
        np_dtype = weights.dtype
        hv = _packing.padded(hidden, np_dtype)
        iv = _packing.padded(inputs, np_dtype)
        d_x = torch.empty(steps, batch, inputs, dtype=dtype)
        d_out_np, dh_np, d_x_np = d_out.contiguous().numpy(), dh.numpy(), d_x.numpy()
        x_np, lengths = x_tm.detach().contiguous().numpy(), ctx.lengths

        operands = []  # prepared on this thread, large arrays reused (see run_forward)
        rows_of, reuse = _scratch.copy_rows, _scratch.scratch
        for index, (start, stop) in enumerate(ctx.shards):
            rows = stop - start
            whole = rows == batch
            operands.append(
                (
                    d_out_np if whole else rows_of("d_out", index, d_out_np, start, stop),
                    dh_np if whole else rows_of("dh", index, dh_np, start, stop),
                    x_np if whole else rows_of("x", index, x_np, start, stop),
                    lengths[start:stop].copy(),
                    d_x_np if whole else reuse("d_x", index, (steps, rows, inputs), np_dtype),
                    (  # this shard's dwh, dwi, db_i, db_h
                        np.zeros((hidden, 3, hv), np_dtype), np.zeros((inputs, 3, hv), np_dtype),
                        np.zeros((3, hv), np_dtype), np.zeros((3, hv), np_dtype),
                    ),
                    (
                        np.zeros((rows, 3, hv), np_dtype), np.zeros((rows, 3, hv), np_dtype),
                        np.empty((rows, hidden), np_dtype), np.empty((rows, inputs), np_dtype),
                        np.zeros((rows, hidden), np_dtype), np.zeros((rows, hidden), np_dtype),
                        np.empty((rows, hv), np_dtype), np.empty((rows, iv), np_dtype),
                    ),
                )
            )  # fmt: skip

        def work(index: int, start: int, stop: int):
            d_out_s, dh_s, x_s, lengths_s, d_x_s, sums, scratch = operands[index]
            _backward.backward_sequence(
                d_out_s, dh_s, saved[index], x_s, weights, table, split, table_x, zeros,
                lengths_s, ctx.reverse, reset_after, d_x_s, sums[0], sums[1],
                sums[2].reshape(-1), sums[3].reshape(-1), scratch,
            )  # fmt: skip
            if stop - start != batch:
                d_x_np[:, start:stop] = d_x_s
                dh_np[start:stop] = dh_s
            return sums

        parts = _shards.run_shards(work, ctx.shards)
        dwh, dwi, db_i, db_h = [functools.reduce(np.add, sums) for sums in zip(*parts, strict=True)]
        needs = ctx.needs_input_grad

        def unpad(array):  # (K, 3, Hv) transposed gradient -> (3H, K)
            return torch.from_numpy(np.ascontiguousarray(array[:, :, :hidden].transpose(1, 2, 0)))

        d_w_ih = unpad(dwi).view(3 * hidden, inputs) if needs[2] else None
        d_w_hh = unpad(dwh).view(3 * hidden, hidden) if needs[3] else None
        d_b_ih = d_b_hh = None
        if ctx.has_bias[0] and needs[4]:
            d_b_ih = torch.from_numpy(np.ascontiguousarray(db_i[:, :hidden]).reshape(-1))
        if ctx.has_bias[1] and needs[5]:
            source = db_h if reset_after else db_i
            d_b_hh = torch.from_numpy(np.ascontiguousarray(source[:, :hidden]).reshape(-1))
        return (
            d_x if needs[0] else None, dh if needs[1] else None, d_w_ih, d_w_hh, d_b_ih, d_b_hh,
            None, None, None,
        )  # fmt: skip


def _check_tensor(value, name: str, ndim: int, dtype: torch.dtype | None) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"`{name}` must be a torch.Tensor, got {type(value).__name__}")
    if value.device.type != "cpu":
        raise NotImplementedError(
            f"`{name}` on device {value.device}: the fused engine is CPU only"
        )
    if value.dim() != ndim:
        raise ValueError(f"`{name}` must have {ndim} dimensions, got shape {tuple(value.shape)}")
    if dtype is None:
        if value.dtype not in SUPPORTED_DTYPES:
            raise NotImplementedError(
                f"`{name}` of dtype {value.dtype}: the fused engine runs float32 and float64"
            )
    elif value.dtype != dtype:
        raise ValueError(f"`{name}` must have dtype {dtype} like `x`, got {value.dtype}")
    return value


def _check_shape(value: Tensor, name: str, shape: tuple[int, ...]) -> None:
    if tuple(value.shape) != shape:
        raise ValueError(f"`{name}` must have shape {shape}, got {tuple(value.shape)}")


def _lengths_array(lengths, batch: int, steps: int) -> np.ndarray:
    if lengths is None:
        return np.full(batch, steps, dtype=np.int64)
    if not isinstance(lengths, Tensor) or lengths.dtype not in (torch.int64, torch.int32):
        raise ValueError(
            f"`lengths` must be an integer torch.Tensor of shape ({batch},), got {lengths!r}"
        )
    array = lengths.detach().cpu().numpy().astype(np.int64)
    if array.shape != (batch,):
        raise ValueError(f"`lengths` must have shape ({batch},), got {array.shape}")
    if array.size and (array.min() < 0 or array.max() > steps):
        raise ValueError(f"`lengths` must lie in [0, {steps}], got {array.tolist()}")
    return np.ascontiguousarray(array)


def gru_layer(
    x: Tensor,
    h0: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    *,
    reset_after: bool,
    lengths: Tensor | None = None,
    reverse: bool = False,
    norm_weight_ih: Tensor | None = None,
    norm_weight_hh: Tensor | None = None,
    recurrent_mask: Tensor | None = None,
    zoneout_keep: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One GRU layer-direction with the fused CPU kernels (see ``docs/architecture.md``).

    Parameters
    ----------
    x : Tensor (B, T, I), float32 or float64, CPU.
    h0 : Tensor (B, H) or None (zeros).
    weight_ih, weight_hh : Tensor (3H, I), (3H, H); gate rows r, z, n.
    bias_ih, bias_hh : Tensor (3H,) or None.
    reset_after : bool
        ``n = tanh(gi_n + r * (W_hn h + b_hn))`` if True, else ``tanh(gi_n + W_hn (r * h) + b_hn)``.
    lengths : int64 Tensor (B,) in [0, T], optional
        Steps ``t >= lengths[b]`` keep the state and output zeros.
    reverse : bool
        Run each row's valid steps backwards from its own last valid step.
    norm_weight_ih, norm_weight_hh, recurrent_mask, zoneout_keep
        Not supported: any of them not ``None`` raises ``NotImplementedError`` naming it.

    Returns
    -------
    output : Tensor (B, T, H) (a transposed view of a time-major tensor).
    h_n : Tensor (B, H).

    Differentiable with respect to ``x``, ``h0`` and the weights through
    :class:`FusedGRUFunction`; without any gradient to track no per-step cache is stored.
    """
    for name, value in (
        ("norm_weight_ih", norm_weight_ih),
        ("norm_weight_hh", norm_weight_hh),
        ("recurrent_mask", recurrent_mask),
        ("zoneout_keep", zoneout_keep),
    ):
        if value is not None:
            raise NotImplementedError(f"`{name}`: the fused engine does not implement it")
    x = _check_tensor(x, "x", 3, None)
    batch, steps, input_size = x.shape
    weight_hh = _check_tensor(weight_hh, "weight_hh", 2, x.dtype)
    hidden = weight_hh.shape[1]
    _check_shape(weight_hh, "weight_hh", (3 * hidden, hidden))
    _check_shape(
        _check_tensor(weight_ih, "weight_ih", 2, x.dtype), "weight_ih", (3 * hidden, input_size)
    )
    for name, bias in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if bias is not None:
            _check_shape(_check_tensor(bias, name, 1, x.dtype), name, (3 * hidden,))
    if h0 is None:
        h0 = torch.zeros(batch, hidden, dtype=x.dtype)
    _check_shape(_check_tensor(h0, "h0", 2, x.dtype), "h0", (batch, hidden))
    lengths_np = _lengths_array(lengths, batch, steps)
    apply_env_threads()
    x_tm = x.transpose(0, 1).contiguous()  # (T, B, I)
    params = (x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    if torch.is_grad_enabled() and any(p is not None and p.requires_grad for p in params):
        out_tm, h_n = FusedGRUFunction.apply(*params, lengths_np, bool(reverse), bool(reset_after))
    else:
        out_tm, h_n, _, _ = _forward(
            *params, lengths_np, bool(reverse), bool(reset_after), store=False
        )
    return out_tm.transpose(0, 1), h_n
