"""The fused engine's ``gru_layer``: numba recurrence, PyTorch GEMMs, a custom autograd Function.

Forward: ``gi = x W_ih^T + b`` for all steps in ONE ``torch.addmm`` (MKL), then the recurrence in
one numba call (``_kernels.forward_sequence``). When a gradient is needed the forward also keeps
``h_prev, r, z, n, a`` per step (5 T B H floats) and the backward runs
``_backward.backward_sequence`` followed by one GEMM per weight (``dW_ih = dGI^T X``,
``dW_hh = dGH^T H_prev``, ``d_x = dGI W_ih``) and sums for the biases. Both passes run inside
:func:`grukit.runtime.flush_denormals` (the backward on every worker thread too), so vanishing
gradients never reach the slow subnormal path.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from grukit.engines.fused import _backward, _kernels
from grukit.runtime.denormals import flush_denormals
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


def pack_recurrent(weight_hh: Tensor, bias_hh: Tensor | None, reset_after: bool):
    """The kernels' recurrent operands ``(wt_a, b_a, wt_b)`` (see ``_kernels``), as arrays.

    reset_after: ``(W_hh^T (H, 3H), [0, 0, b_hn], empty (H, 0))``; reset_before:
    ``(W_hh[:2H]^T (H, 2H), zeros (2H,), W_hh[2H:]^T (H, H))``.
    """
    hidden = weight_hh.shape[1]
    w = weight_hh.detach()
    if reset_after:
        b_a = torch.zeros(3 * hidden, dtype=w.dtype)
        if bias_hh is not None:
            b_a[2 * hidden :] = bias_hh.detach()[2 * hidden :]
        return w.t().contiguous().numpy(), b_a.numpy(), np.empty((hidden, 0), w.numpy().dtype)
    return (
        w[: 2 * hidden].t().contiguous().numpy(),
        np.zeros(2 * hidden, w.numpy().dtype),
        w[2 * hidden :].t().contiguous().numpy(),
    )


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


def _forward(
    x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh, lengths, reverse, reset_after, store
):
    """Run the forward pass on detached tensors; return ``(out, h_n, saved or None)``."""
    steps, batch, input_size = x_tm.shape
    hidden = weight_hh.shape[1]
    dtype = x_tm.dtype
    bias = folded_input_bias(bias_ih, bias_hh, hidden, reset_after, x_tm)
    gi = torch.addmm(bias, x_tm.reshape(steps * batch, input_size), weight_ih.detach().t())
    wt_a, b_a, wt_b = pack_recurrent(weight_hh, bias_hh, reset_after)
    out = torch.empty(steps, batch, hidden, dtype=dtype)
    h_n = torch.empty(batch, hidden, dtype=dtype)
    saved = torch.empty(5, steps if store else 0, batch, hidden, dtype=dtype)
    np_dtype = out.numpy().dtype
    scratch = (
        np.empty((batch, 3 * hidden), np_dtype),
        np.empty((batch, wt_a.shape[1]), np_dtype),
        np.empty((batch, hidden), np_dtype),
        np.zeros(hidden, np_dtype),
        np.empty((4, batch, hidden), np_dtype),
    )
    with flush_denormals(workers=False):
        _kernels.forward_sequence(
            gi.view(steps, batch, 3 * hidden).numpy(),
            h0.detach().contiguous().numpy(),
            wt_a,
            b_a,
            wt_b,
            lengths,
            reverse,
            reset_after,
            out.numpy(),
            h_n.numpy(),
            scratch,
            saved.numpy(),
        )
    return out, h_n, (saved if store else None)


class FusedGRUFunction(torch.autograd.Function):
    """One GRU layer-direction on time-major input, with a hand-written backward.

    ``forward(x_tm (T, B, I), h0 (B, H), weight_ih, weight_hh, bias_ih, bias_hh, lengths
    (np.int64 (B,)), reverse, reset_after) -> (out (T, B, H), h_n (B, H))``.
    """

    @staticmethod
    def forward(
        ctx, x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh, lengths, reverse, reset_after
    ):
        out, h_n, saved = _forward(
            x_tm, h0, weight_ih, weight_hh, bias_ih, bias_hh, lengths, reverse, reset_after, True
        )
        ctx.save_for_backward(x_tm, weight_ih, weight_hh, saved)
        ctx.lengths = lengths
        ctx.reverse = reverse
        ctx.reset_after = reset_after
        ctx.has_bias = (bias_ih is not None, bias_hh is not None)
        return out, h_n

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_h_n):
        x_tm, weight_ih, weight_hh, saved = ctx.saved_tensors
        steps, batch, input_size = x_tm.shape
        hidden = weight_hh.shape[1]
        dtype = x_tm.dtype
        reset_after = ctx.reset_after
        d_out = torch.zeros(steps, batch, hidden, dtype=dtype) if d_out is None else d_out
        dh = torch.zeros(batch, hidden, dtype=dtype)
        if d_h_n is not None:
            dh.copy_(d_h_n)
        d_gi = torch.empty(steps, batch, 3 * hidden, dtype=dtype)
        d_gh = torch.empty(steps if reset_after else 0, batch, 3 * hidden, dtype=dtype)
        w_hh = weight_hh.detach().contiguous()
        np_dtype = dh.numpy().dtype
        scratch = (
            np.empty((batch, 3 * hidden), np_dtype),
            np.empty((batch, 2 * hidden), np_dtype),
            np.empty((batch, hidden), np_dtype),
            np.empty((batch, hidden), np_dtype),
            np.zeros(3 * hidden, np_dtype),
        )
        needs = ctx.needs_input_grad
        with flush_denormals():
            _backward.backward_sequence(
                d_out.contiguous().numpy(),
                dh.numpy(),
                saved.numpy(),
                w_hh.numpy(),
                w_hh[: 2 * hidden].numpy(),
                w_hh[2 * hidden :].numpy(),
                ctx.lengths,
                ctx.reverse,
                reset_after,
                d_gi.numpy(),
                d_gh.numpy(),
                scratch,
            )
            d_gi2 = d_gi.view(steps * batch, 3 * hidden)
            x2 = x_tm.detach().reshape(steps * batch, input_size)
            h_prev = saved[0].view(steps * batch, hidden)
            d_x = d_w_ih = d_w_hh = d_b_ih = d_b_hh = None
            if needs[0]:
                d_x = torch.mm(d_gi2, weight_ih.detach()).view(steps, batch, input_size)
            if needs[2]:
                d_w_ih = torch.mm(d_gi2.t(), x2)
            if needs[3]:
                if reset_after:
                    # dGH = [dr_pre, dz_pre, da]: one product for all three gate blocks.
                    d_w_hh = torch.mm(d_gh.view(steps * batch, 3 * hidden).t(), h_prev)
                else:
                    d_w_hh = torch.empty_like(weight_hh)
                    torch.mm(d_gi2[:, : 2 * hidden].t(), h_prev, out=d_w_hh[: 2 * hidden])
                    a_prev = saved[4].view(steps * batch, hidden)
                    torch.mm(d_gi2[:, 2 * hidden :].t(), a_prev, out=d_w_hh[2 * hidden :])
            if ctx.has_bias[0] and needs[4]:
                d_b_ih = d_gi2.sum(0)
            if ctx.has_bias[1] and needs[5]:
                d_b_hh = (d_gh if reset_after else d_gi).view(steps * batch, 3 * hidden).sum(0)
        d_h0 = dh if needs[1] else None
        return d_x, d_h0, d_w_ih, d_w_hh, d_b_ih, d_b_hh, None, None, None


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
        out_tm, h_n, _ = _forward(
            *params, lengths_np, bool(reverse), bool(reset_after), store=False
        )
    return out_tm.transpose(0, 1), h_n
