"""grukit's own PyTorch engine: one GRU layer-direction as a Python loop over time steps.

Serves every option of ``docs/architecture.md`` (both formulations, layer norm, recurrent dropout,
zoneout, lengths, reverse) and is differentiable by autograd.

Cost model. The input projection ``W_ih x_t`` of all steps is one matrix product before the loop;
each step then does the recurrent product(s) and the gate arithmetic. The precomputed projection
is split with ``unbind(1)``, never indexed as ``xw[:, t]``: each ``SelectBackward`` of an indexed
step would materialise a full (B, T, 3H) zero gradient, making the backward pass O(T^2). With
``unbind`` the backward of the split is one ``stack`` of the T step gradients, so training costs
O(T), like ``torch.nn.GRU``'s.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

LAYER_NORM_EPS = 1e-5

StepFunction = Callable[[Tensor, Tensor, Tensor | None], Tensor]


def layer_norm(v: Tensor, gain: Tensor) -> Tensor:
    """``gain * (v - mean(v)) / sqrt(var(v) + eps)`` over the last axis (biased variance)."""
    return F.layer_norm(v, (v.shape[-1],), gain, None, LAYER_NORM_EPS)


def input_projection(
    x: Tensor, weight_ih: Tensor, bias_ih: Tensor | None, norm_weight_ih: Tensor | None = None
) -> Tensor:
    """``gi = W_ih x + b_ih`` (or ``LN(W_ih x; g_ih) + b_ih``) for every leading index of ``x``.

    ``x`` (..., I) -> (..., 3H).
    """
    if norm_weight_ih is None:
        return F.linear(x, weight_ih, bias_ih)
    gi = layer_norm(F.linear(x, weight_ih), norm_weight_ih)
    return gi if bias_ih is None else gi + bias_ih


def make_step(
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    *,
    reset_after: bool,
    norm_weight_hh: Tensor | None = None,
) -> StepFunction:
    """Build ``step(gi, h, recurrent_mask) -> h~``: one GRU update given the input projection.

    ``gi`` (B, 3H) is the output of :func:`input_projection`, ``h`` (B, H) the previous state and
    ``recurrent_mask`` (B, H) or ``None`` the variational dropout mask applied to ``h`` wherever it
    enters a recurrent product. Returns the new state ``h~ = (1 - z) * n + z * h`` (before
    zoneout). The weight blocks are sliced once here, not at every step.
    """
    hidden_size = weight_hh.shape[1]

    if reset_after:

        def step_after(gi: Tensor, h: Tensor, mask: Tensor | None) -> Tensor:
            hm = h if mask is None else h * mask
            if norm_weight_hh is None:
                gh = F.linear(hm, weight_hh, bias_hh)  # (B, 3H)
            else:
                gh = layer_norm(F.linear(hm, weight_hh), norm_weight_hh)
                if bias_hh is not None:
                    gh = gh + bias_hh
            i_r, i_z, i_n = gi.chunk(3, 1)
            h_r, h_z, h_n = gh.chunk(3, 1)
            r = torch.sigmoid(i_r + h_r)
            z = torch.sigmoid(i_z + h_z)
            n = torch.tanh(i_n + r * h_n)
            return n + z * (h - n)

        return step_after

    split = 2 * hidden_size
    w_rz, w_n = weight_hh[:split], weight_hh[split:]  # (2H, H), (H, H)
    b_rz, b_n = (None, None) if bias_hh is None else (bias_hh[:split], bias_hh[split:])
    g_rz, g_n = (
        (None, None) if norm_weight_hh is None else (norm_weight_hh[:split], norm_weight_hh[split:])
    )

    def recurrent(v: Tensor, w: Tensor, b: Tensor | None, g: Tensor | None) -> Tensor:
        if g is None:
            return F.linear(v, w, b)
        out = layer_norm(F.linear(v, w), g)
        return out if b is None else out + b

    def step_before(gi: Tensor, h: Tensor, mask: Tensor | None) -> Tensor:
        hm = h if mask is None else h * mask
        gh = recurrent(hm, w_rz, b_rz, g_rz)  # (B, 2H)
        i_r, i_z, i_n = gi.chunk(3, 1)
        h_r, h_z = gh.chunk(2, 1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + recurrent(r * hm, w_n, b_n, g_n))
        return n + z * (h - n)

    return step_before


def valid_steps(lengths: Tensor, steps: int, device: torch.device) -> Tensor:
    """(B, T) boolean mask, True where ``t < lengths[b]``."""
    return torch.arange(steps, device=device) < lengths.to(device).unsqueeze(1)


def reverse_padded(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each row's first ``lengths[b]`` steps along axis 1; padded steps stay in place.

    ``x`` (B, T, ...). Without ``lengths`` this is ``x.flip(1)``. Applying it twice is the
    identity, so the same call maps a reversed run's outputs back to the original positions.
    """
    if lengths is None:
        return x.flip(1)
    batch, steps = x.shape[:2]
    t = torch.arange(steps, device=x.device).expand(batch, steps)
    row_lengths = lengths.to(x.device).unsqueeze(1)
    index = torch.where(t < row_lengths, row_lengths - 1 - t, t)  # (B, T)
    index = index.reshape(batch, steps, *([1] * (x.dim() - 2))).expand_as(x)
    return torch.gather(x, 1, index)


def gru_layer(
    x: Tensor,
    h0: Tensor,
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
    """Run one GRU layer in one direction over a batch of sequences.

    Parameters
    ----------
    x : Tensor, shape (B, T, I)
        Batch-first inputs.
    h0 : Tensor, shape (B, H)
        Initial state.
    weight_ih, weight_hh : Tensor, shapes (3H, I) and (3H, H)
        Gate blocks in PyTorch order r, z, n.
    bias_ih, bias_hh : Tensor of shape (3H,) or None
    reset_after : bool
        ``True``: ``n = tanh(gi_n + r * gh_n)`` (PyTorch, cuDNN); ``False``:
        ``n = tanh(gi_n + W_hn (r * h) + b_hn)`` (Cho et al. 2014).
    lengths : Tensor of shape (B,) or None
        Valid steps per row, in [0, T]; steps ``t >= lengths[b]`` keep the state and output zeros.
    reverse : bool
        Run each row's valid steps backwards from its own last valid step (as packed sequences).
    norm_weight_ih, norm_weight_hh : Tensor of shape (3H,) or None
        Layer norm gains (both or neither).
    recurrent_mask : Tensor of shape (B, H) or None
        Variational recurrent dropout mask (entries 0 or 1/(1-p)), fixed over time.
    zoneout_keep : Tensor of shape (B, T, H) or None
        Zoneout keep values ``d``: ``h_t = d_t * h_{t-1} + (1 - d_t) * h~_t``, indexed by the
        original time position also when ``reverse=True``.

    Returns
    -------
    output : Tensor, shape (B, T, H)
        The state after each step, at the position of the input it consumed (zeros at padding).
    h_n : Tensor, shape (B, H)
        The state after each row's last valid step.
    """
    if x.dim() != 3:
        raise ValueError(f"`x` must have shape (B, T, I), got {tuple(x.shape)}")
    if reverse:
        x = reverse_padded(x, lengths)
        if zoneout_keep is not None:
            zoneout_keep = reverse_padded(zoneout_keep, lengths)
    steps = x.shape[1]
    valid: tuple[Tensor, ...] | None = None
    if lengths is not None:
        valid_mask = valid_steps(lengths, steps, x.device).unsqueeze(2)  # (B, T, 1)
        # Padded inputs are never meant to be read: zero them so that NaN or inf there cannot
        # leak into gradients through the discarded branch of torch.where.
        x = x.masked_fill(~valid_mask, 0.0)
        valid = valid_mask.unbind(1)  # T x (B, 1)
    gi_steps = input_projection(x, weight_ih, bias_ih, norm_weight_ih).unbind(1)  # T x (B, 3H)
    keep_steps = None if zoneout_keep is None else zoneout_keep.unbind(1)  # T x (B, H)
    step = make_step(weight_hh, bias_hh, reset_after=reset_after, norm_weight_hh=norm_weight_hh)

    h = h0
    outputs = []
    for t, gi in enumerate(gi_steps):
        h_new = step(gi, h, recurrent_mask)
        if keep_steps is not None:
            # d * h + (1 - d) * h~; lerp is exact at d = 0 and d = 1 (a kept unit is bitwise h)
            h_new = torch.lerp(h_new, h, keep_steps[t])
        if valid is None:
            outputs.append(h_new)
        else:
            h_new = torch.where(valid[t], h_new, h)
            outputs.append(torch.where(valid[t], h_new, 0.0))
        h = h_new
    if not outputs:  # T == 0
        output = x.new_zeros(x.shape[0], 0, weight_hh.shape[1])
    else:
        output = torch.stack(outputs, 1)  # (B, T, H)
    if reverse:
        output = reverse_padded(output, lengths)
    return output, h
