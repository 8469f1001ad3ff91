"""The fused engine's ``gru_layer``: numba forward and backward, a custom autograd Function.

Forward: ONE numba call (``_kernels.forward_sequence``) computes the input projection of all
steps and runs the recurrence, with the weights packed into register-blocked panels
(``_layer_weights``) at each call (inference: reused while they are bitwise unchanged). When a
gradient is needed it also keeps ``h_prev, r, z, n, a`` per step (5 T B H floats, from the pool
of ``_saved_activations``); the backward is ONE numba call
(``_backward.backward_sequence``) that produces ``d_x``, ``d_h0`` and every weight and bias
gradient. A recurrent dropout mask (B, H) goes to both kernels, split by rows like ``h0``. No
BLAS or PyTorch GEMM runs inside. Both kernels set FTZ/DAZ on their own thread for their
duration (``_panels.ftz_enter``), so vanishing gradients never reach the slow subnormal path;
the floating-point environment is restored on return.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from grukit.engines.fused import (
    _backward,
    _kernels,
    _layer_weights,
    _packing,
    _row_parallel,
    _saved_activations,
    _workspace,
)
from grukit.engines.fused._layer_weights import ForwardPack, LayerTensors
from grukit.engines.fused._row_parallel import Shards
from grukit.runtime.threads import apply_env_threads

SUPPORTED_DTYPES = (torch.float32, torch.float64)


def unsupported_reason(
    *,
    layer_norm: bool = False,
    zoneout: float = 0.0,
    **_other_options: object,
) -> str | None:
    """Why the fused engine cannot run this configuration, or ``None`` if it can (both
    formulations, lengths, reverse and recurrent dropout run here)."""
    if layer_norm:
        return "layer_norm=True: the fused engine has no layer normalisation"
    if zoneout:
        return f"zoneout={zoneout}: the fused engine has no zoneout"
    return None


def run_forward(
    x: np.ndarray,
    h0: np.ndarray,
    packed: ForwardPack,
    lengths: np.ndarray,
    reverse: bool,
    reset_after: bool,
    out: np.ndarray,
    h: np.ndarray,
    store: bool,
    mask: np.ndarray | None = None,
) -> tuple[Shards, list[np.ndarray]]:
    """``_kernels.forward_sequence`` over NumPy arrays, the batch split into row shards that run
    on parallel threads (``_row_parallel``). ``x`` (T, B, I), ``h0`` (B, H) and the recurrent
    dropout ``mask`` (B, H) or None in; ``out`` (T, B, H) and ``h`` (B, H) written. Returns
    ``(shards, saved)``: the row ranges and, per shard, its ``h_prev, r, z, n, a`` record
    (5, T, rows, H) (``store``) or (5, 0, rows, H)."""
    steps, batch, inputs = x.shape
    hidden = h.shape[1]
    dtype = out.dtype
    hv = packed[-1].shape[0] // 3
    record = 5 * steps * batch * hidden * dtype.itemsize if store else 0
    shards = _row_parallel.row_shards(batch, steps * 3 * hidden * (hidden + inputs), record)

    # every array is prepared here, on the calling thread, and the large ones are reused
    # between calls (``_workspace``): fresh pages fault on first touch, slowly on a VM
    operands = []
    for index, (start, stop) in enumerate(shards):
        rows = stop - start
        whole = rows == batch
        q = _workspace.array("q", index, (rows, hidden), dtype)
        q.fill(0)
        operands.append(
            (
                x if whole else _workspace.copy_rows("x", index, x, start, stop),
                h0 if whole else _workspace.copy_rows("h0", index, h0, start, stop),
                _mask_rows(mask, hidden, dtype, index, start, stop, whole),
                lengths[start:stop].copy(),
                _workspace.array("gi", index, (steps, rows, 3, hv), dtype),
                out if whole else _workspace.array("out", index, (steps, rows, hidden), dtype),
                h if whole else _workspace.array("h", index, (rows, hidden), dtype),
                _workspace.array("gh", index, (rows, 3, hv), dtype),
                q,
                # what the backward pass reads
                _saved_activations.lend((5, steps if store else 0, rows, hidden), dtype),
            )
        )

    def work(index: int, start: int, stop: int) -> np.ndarray:
        x_s, h0_s, mask_s, lengths_s, gi, out_s, h_s, gh, q, saved = operands[index]
        _kernels.forward_sequence(
            x_s, h0_s, mask_s, *packed, lengths_s, reverse, reset_after, gi, out_s, h_s, gh, q,
            saved,
        )  # fmt: skip
        if stop - start != batch:
            out[:, start:stop] = out_s
            h[start:stop] = h_s
        return saved

    return shards, _row_parallel.run_shards(work, shards)


def _mask_rows(
    mask: np.ndarray | None,
    hidden: int,
    dtype: np.dtype[Any],
    index: int,
    start: int,
    stop: int,
    whole: bool,
) -> np.ndarray:
    """Shard ``index``'s rows of the recurrent dropout mask, or an empty (0, H) array for none
    (which the kernels read as "no mask")."""
    if mask is None:
        return _workspace.array("no_mask", 0, (0, hidden), dtype)
    return mask if whole else _workspace.copy_rows("mask", index, mask, start, stop)


def _forward(
    x_tm: Tensor,
    h0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    mask: Tensor | None,
    lengths: np.ndarray,
    reverse: bool,
    reset_after: bool,
    store: bool,
) -> tuple[Tensor, Tensor, Shards, list[np.ndarray]]:
    """Run the forward pass on detached tensors; return ``(out, h_n, shards, saved)``.

    One numba call per row shard does everything, FTZ/DAZ included (``run_forward``).
    """
    steps, batch, _ = x_tm.shape
    hidden = weight_hh.shape[1]
    dtype = x_tm.dtype
    tensors: LayerTensors = (weight_ih, weight_hh, bias_ih, bias_hh)
    if store:  # training: the weights change every step, packing is the cheaper path
        packed = _layer_weights.pack_forward(*tensors, reset_after, batch)
    else:
        packed = _layer_weights.INFERENCE_PACKS.get(tensors, reset_after, batch)
    out = torch.empty(steps, batch, hidden, dtype=dtype)
    h_n = torch.empty(batch, hidden, dtype=dtype)
    shards, saved = run_forward(
        x_tm.detach().contiguous().numpy(), h0.detach().contiguous().numpy(), packed, lengths,
        reverse, reset_after, out.numpy(), h_n.numpy(), store,
        None if mask is None else mask.detach().contiguous().numpy(),
    )  # fmt: skip
    return out, h_n, shards, saved


class FusedGRUFunction(torch.autograd.Function):
    """One GRU layer-direction on time-major input, with a hand-written backward.

    ``forward(x_tm (T, B, I), h0 (B, H), weight_ih, weight_hh, bias_ih, bias_hh,
    recurrent_mask (B, H) or None, lengths (np.int64 (B,)), reverse, reset_after) ->
    (out (T, B, H), h_n (B, H))``. The mask is a constant: no gradient flows to it.
    """

    @staticmethod
    def forward(
        ctx: Any,
        x_tm: Tensor,
        h0: Tensor,
        weight_ih: Tensor,
        weight_hh: Tensor,
        bias_ih: Tensor | None,
        bias_hh: Tensor | None,
        recurrent_mask: Tensor | None,
        lengths: np.ndarray,
        reverse: bool,
        reset_after: bool,
    ) -> tuple[Tensor, Tensor]:
        mask = None if recurrent_mask is None else recurrent_mask.detach().contiguous()
        out, h_n, shards, saved = _forward(
            x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh, mask, lengths, reverse,
            reset_after, True,
        )  # fmt: skip
        # the per-shard records go through save_for_backward too, so that autograd frees them
        # after the backward pass (and refuses a second backward without retain_graph)
        records = map(torch.from_numpy, saved)
        ctx.save_for_backward(x_tm, weight_ih, weight_hh, mask, *records)
        ctx.shards = shards
        ctx.lengths = lengths
        ctx.reverse = reverse
        ctx.reset_after = reset_after
        ctx.has_bias = (bias_ih is not None, bias_hh is not None)
        return out, h_n

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, d_out: Tensor | None, d_h_n: Tensor | None) -> tuple[Tensor | None, ...]:
        x_tm, weight_ih, weight_hh, mask, *records = ctx.saved_tensors
        saved = [record.numpy() for record in records]
        mask_np = None if mask is None else mask.numpy()
        steps, batch, inputs = x_tm.shape
        hidden = weight_hh.shape[1]
        dtype = x_tm.dtype
        reset_after = ctx.reset_after
        if d_out is None:
            d_out = torch.zeros(steps, batch, hidden, dtype=dtype)
        dh = torch.zeros(batch, hidden, dtype=dtype)
        if d_h_n is not None:
            dh.copy_(d_h_n)
        weights, table, split, table_x, zeros = _layer_weights.pack_backward(
            weight_ih, weight_hh, reset_after, batch
        )
        np_dtype = weights.dtype
        d_x = torch.empty(steps, batch, inputs, dtype=dtype)
        d_out_np, dh_np, d_x_np = d_out.contiguous().numpy(), dh.numpy(), d_x.numpy()
        x_np, lengths = x_tm.detach().contiguous().numpy(), ctx.lengths

        operands = []  # prepared on this thread, large arrays reused (see run_forward)
        rows_of, reuse = _workspace.copy_rows, _workspace.array
        for index, (start, stop) in enumerate(ctx.shards):
            rows = stop - start
            whole = rows == batch
            operands.append(
                (
                    d_out_np if whole else rows_of("d_out", index, d_out_np, start, stop),
                    dh_np if whole else rows_of("dh", index, dh_np, start, stop),
                    _mask_rows(mask_np, hidden, np_dtype, index, start, stop, whole),
                    x_np if whole else rows_of("x", index, x_np, start, stop),
                    lengths[start:stop].copy(),
                    d_x_np if whole else reuse("d_x", index, (steps, rows, inputs), np_dtype),
                    *_backward_scratch(rows, hidden, inputs, np_dtype),
                )
            )  # fmt: skip

        def work(index: int, start: int, stop: int) -> tuple[np.ndarray, ...]:
            d_out_s, dh_s, mask_s, x_s, lengths_s, d_x_s, sums, scratch = operands[index]
            _backward.backward_sequence(
                d_out_s, dh_s, saved[index], mask_s, x_s, weights, table, split, table_x, zeros,
                lengths_s, ctx.reverse, reset_after, d_x_s, sums[0], sums[1],
                sums[2].reshape(-1), sums[3].reshape(-1), scratch,
            )  # fmt: skip
            if stop - start != batch:
                d_x_np[:, start:stop] = d_x_s
                dh_np[start:stop] = dh_s
            return sums

        parts = _row_parallel.run_shards(work, ctx.shards)
        dwh, dwi, db_i, db_h = [functools.reduce(np.add, sums) for sums in zip(*parts, strict=True)]
        needs = ctx.needs_input_grad

        def unpad(array: np.ndarray) -> Tensor:  # (K, 3, Hv) transposed gradient -> (3H, K)
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
            None, None, None, None,
        )  # fmt: skip


def _backward_scratch(
    rows: int, hidden: int, inputs: int, np_dtype: np.dtype[Any]
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """A shard's ``(sums, scratch)`` for ``_backward.backward_sequence``: the accumulators
    ``dwh, dwi, db_i, db_h`` (zeros) and its scratch tuple."""
    hv = _packing.padded(hidden, np_dtype)
    iv = _packing.padded(inputs, np_dtype)
    sums = (
        np.zeros((hidden, 3, hv), np_dtype), np.zeros((inputs, 3, hv), np_dtype),
        np.zeros((3, hv), np_dtype), np.zeros((3, hv), np_dtype),
    )  # fmt: skip
    scratch = (
        np.zeros((rows, 3, hv), np_dtype), np.zeros((rows, 3, hv), np_dtype),
        np.empty((rows, hidden), np_dtype), np.empty((rows, inputs), np_dtype),
        np.zeros((rows, hidden), np_dtype), np.zeros((rows, hidden), np_dtype),
        np.empty((rows, hv), np_dtype), np.empty((rows, iv), np_dtype),
    )  # fmt: skip
    return sums, scratch


#: ``FusedGRUFunction.apply`` with its result typed (PyTorch leaves ``apply`` unannotated)
_apply_function: Callable[..., tuple[Tensor, Tensor]] = FusedGRUFunction.apply


def _check_tensor(value: Any, name: str, ndim: int, dtype: torch.dtype | None) -> Tensor:
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


def _lengths_array(lengths: Any, batch: int, steps: int) -> np.ndarray:
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
    recurrent_mask : Tensor (B, H) or None
        Variational recurrent dropout mask (entries 0 or 1/(1-p), fixed over time): the
        recurrent products read ``h * mask`` instead of ``h``, the update
        ``n + z * (h - n)`` the unmasked ``h``. A constant: no gradient flows to it.
    norm_weight_ih, norm_weight_hh, zoneout_keep
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
    if recurrent_mask is not None:
        mask = _check_tensor(recurrent_mask, "recurrent_mask", 2, x.dtype)
        _check_shape(mask, "recurrent_mask", (batch, hidden))
    lengths_np = _lengths_array(lengths, batch, steps)
    apply_env_threads()
    x_tm = x.transpose(0, 1).contiguous()  # (T, B, I)
    params = (x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    options = (lengths_np, bool(reverse), bool(reset_after))
    if torch.is_grad_enabled() and any(p is not None and p.requires_grad for p in params):
        out_tm, h_n = _apply_function(*params, recurrent_mask, *options)
    else:
        mask_t = None if recurrent_mask is None else recurrent_mask.detach().contiguous()
        out_tm, h_n, _, _ = _forward(*params, mask_t, *options, store=False)
    return out_tm.transpose(0, 1), h_n
