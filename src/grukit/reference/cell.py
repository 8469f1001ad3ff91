r"""One GRU step, forward and hand-written backward, in NumPy (the executable specification).

Gate blocks follow PyTorch's order r, z, n along the 3H axis. For a batch of inputs
``x`` (B, I) and states ``h`` (B, H), with ``m`` the recurrent dropout mask (1 when absent),
``d`` the zoneout keep array (0 when absent) and ``LN`` the optional layer norm::

    gi = LN(W_ih x; g_ih) + b_ih                        # (B, 3H) blocks gi_r, gi_z, gi_n
    reset_after=True:
        gh = LN(W_hh (m * h); g_hh) + b_hh              # (B, 3H) blocks gh_r, gh_z, gh_n
        r  = sigmoid(gi_r + gh_r)
        z  = sigmoid(gi_z + gh_z)
        n  = tanh(gi_n + r * gh_n)
    reset_after=False:
        gh_rz = LN(W_h[rz] (m * h); g_hh[:2H]) + b_hh[:2H]      # (B, 2H)
        r, z  = sigmoid(gi_r + gh_r), sigmoid(gi_z + gh_z)
        n  = tanh(gi_n + LN(W_hn (r * m * h); g_hh[2H:]) + b_hn)
    h~  = (1 - z) * n + z * h                           # the carry uses the unmasked state
    h'  = d * h + (1 - d) * h~

``LN(v; g) = g * (v - mean(v)) / sqrt(var(v) + 1e-5)`` over the last axis (biased variance, no
shift; biases are added after the norm). Without layer norm ``LN(v; g) = v``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import (
    GRUParams,
    check_bool,
    float_array,
    input_array,
    validate_weights,
    validate_zoneout_keep,
)

LAYER_NORM_EPS = 1e-5
"""The epsilon added to the variance in the layer norm (as in Haste's LayerNormGRU)."""

#: What :func:`layer_norm_backward` needs: ``(normalized, inverse_std, gain)``.
LayerNormCache = tuple[np.ndarray, np.ndarray, np.ndarray]


def sigmoid(value: Any) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-v))``, evaluated without overflow for any finite ``v``.

    The dtype of a floating input is kept.
    """
    value = np.asarray(value)
    decay = np.exp(-np.abs(value))  # in (0, 1]: never overflows
    result: np.ndarray = np.where(value >= 0, 1 / (1 + decay), decay / (1 + decay))
    return result


def layer_norm_forward(
    value: np.ndarray, gain: np.ndarray, eps: float = LAYER_NORM_EPS
) -> tuple[np.ndarray, LayerNormCache]:
    """Layer norm over the last axis with a gain and no shift.

    Parameters
    ----------
    value : ndarray, shape (B, F)
    gain : ndarray, shape (F,)
    eps : float
        Added to the biased variance.

    Returns
    -------
    out : ndarray, shape (B, F)
        ``gain * (value - mean) / sqrt(var + eps)``.
    cache : tuple
        ``(normalized, inverse_std, gain)`` for :func:`layer_norm_backward`.
    """
    centered = value - value.mean(axis=-1, keepdims=True)
    inverse_std = 1 / np.sqrt(np.mean(centered * centered, axis=-1, keepdims=True) + eps)
    normalized = centered * inverse_std  # (B, F)
    return gain * normalized, (normalized, inverse_std, gain)


def layer_norm_backward(d_out: np.ndarray, cache: LayerNormCache) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`layer_norm_forward`.

    Returns
    -------
    d_value : ndarray, shape (B, F)
        ``s * (e - mean(e) - u * mean(e * u))`` with ``e = d_out * gain``, ``u`` the normalized
        value and ``s`` the inverse standard deviation, means over the feature axis.
    d_gain : ndarray, shape (F,)
        ``sum over the batch of d_out * u``.
    """
    normalized, inverse_std, gain = cache
    d_gain = np.sum(d_out * normalized, axis=0)
    d_normalized = d_out * gain
    d_value = inverse_std * (
        d_normalized
        - d_normalized.mean(axis=-1, keepdims=True)
        - normalized * np.mean(d_normalized * normalized, axis=-1, keepdims=True)
    )
    return d_value, d_gain


@dataclass(frozen=True)
class GRUCellCache:
    """What :func:`gru_cell_backward` needs from one forward step (arrays of B rows)."""

    params: GRUParams
    reset_after: bool
    x: np.ndarray  # (B, I)
    h_prev: np.ndarray  # (B, H) the state before the step
    h_rec: np.ndarray  # (B, H) m * h_prev, the state entering the recurrent products
    recurrent_mask: np.ndarray | None  # (B, H)
    zoneout_keep: np.ndarray | None  # (B, H)
    r: np.ndarray  # (B, H)
    z: np.ndarray  # (B, H)
    n: np.ndarray  # (B, H)
    gh_n: np.ndarray  # (B, H) recurrent candidate term (reset_after=True: the one r multiplies)
    reset_state: np.ndarray | None  # (B, H) r * h_rec, reset_after=False only
    norm_ih: LayerNormCache | None  # layer norm caches
    norm_hh: LayerNormCache | None  # over 3H (reset_after=True) or over the r, z part 2H
    norm_hn: LayerNormCache | None  # over the candidate part H, reset_after=False only


def _normalize(
    value: np.ndarray, gain: np.ndarray | None, bias: np.ndarray | None
) -> tuple[np.ndarray, LayerNormCache | None]:
    """``LN(value; gain) + bias`` with either part optional; returns (out, layer norm cache)."""
    cache: LayerNormCache | None = None
    if gain is not None:
        value, cache = layer_norm_forward(value, gain)
    if bias is not None:
        value = value + bias
    return value, cache


def _normalize_backward(
    d_out: np.ndarray,
    cache: LayerNormCache | None,
    grads: dict[str, np.ndarray],
    slot: slice,
    key_gain: str,
    key_bias: str,
) -> np.ndarray:
    """Backward of :func:`_normalize`: accumulate bias and gain gradients into ``grads``."""
    if key_bias in grads:
        grads[key_bias][slot] += d_out.sum(axis=0)
    if cache is None:
        return d_out
    d_value, d_gain = layer_norm_backward(d_out, cache)
    grads[key_gain][slot] += d_gain
    return d_value


def _cell_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    params: GRUParams,
    reset_after: bool,
    recurrent_mask: np.ndarray | None,
    zoneout_keep: np.ndarray | None,
) -> tuple[np.ndarray, GRUCellCache]:
    """One step on validated arrays; see the module docstring for the equations."""
    H = params.hidden_size
    w_hh, b_hh, g_hh = params.weight_hh, params.bias_hh, params.norm_weight_hh
    h_rec = h_prev if recurrent_mask is None else recurrent_mask * h_prev
    gi, norm_ih = _normalize(x @ params.weight_ih.T, params.norm_weight_ih, params.bias_ih)
    reset_state = norm_hn = None
    if reset_after:
        gh, norm_hh = _normalize(h_rec @ w_hh.T, g_hh, b_hh)  # (B, 3H)
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        gh_n = gh[:, 2 * H :]
        n = np.tanh(gi[:, 2 * H :] + r * gh_n)
    else:
        gh_rz, norm_hh = _normalize(
            h_rec @ w_hh[: 2 * H].T,
            None if g_hh is None else g_hh[: 2 * H],
            None if b_hh is None else b_hh[: 2 * H],
        )  # (B, 2H)
        r = sigmoid(gi[:, :H] + gh_rz[:, :H])
        z = sigmoid(gi[:, H : 2 * H] + gh_rz[:, H:])
        reset_state = r * h_rec
        gh_n, norm_hn = _normalize(
            reset_state @ w_hh[2 * H :].T,
            None if g_hh is None else g_hh[2 * H :],
            None if b_hh is None else b_hh[2 * H :],
        )  # (B, H)
        n = np.tanh(gi[:, 2 * H :] + gh_n)
    h_candidate = (1 - z) * n + z * h_prev
    if zoneout_keep is None:
        h_new = h_candidate
    else:
        h_new = zoneout_keep * h_prev + (1 - zoneout_keep) * h_candidate
    cache = GRUCellCache(
        params, reset_after, x, h_prev, h_rec, recurrent_mask, zoneout_keep,
        r, z, n, gh_n, reset_state, norm_ih, norm_hh, norm_hn,
    )  # fmt: skip
    return h_new, cache


def _cell_backward(
    d_h_new: np.ndarray, cache: GRUCellCache, grads: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Backward of one step; adds the weight gradients into ``grads`` and returns (d_x, d_h)."""
    c, p = cache, cache.params
    H = p.hidden_size
    if c.zoneout_keep is None:
        d_candidate, d_h_prev = d_h_new, 0
    else:
        d_candidate, d_h_prev = (1 - c.zoneout_keep) * d_h_new, c.zoneout_keep * d_h_new
    d_z = d_candidate * (c.h_prev - c.n)
    d_h_prev = d_h_prev + d_candidate * c.z
    d_n_pre = d_candidate * (1 - c.z) * (1 - c.n * c.n)  # through tanh
    rz, cand = slice(0, 2 * H), slice(2 * H, 3 * H)
    if c.reset_after:
        d_r = d_n_pre * c.gh_n
        d_gh_n = d_n_pre * c.r
        d_h_rec = 0
    else:
        d_pre = _normalize_backward(d_n_pre, c.norm_hn, grads, cand, "norm_weight_hh", "bias_hh")
        grads["weight_hh"][cand] += d_pre.T @ c.reset_state
        d_reset_state = d_pre @ p.weight_hh[cand]  # (B, H)
        d_r = d_reset_state * c.h_rec
        d_h_rec = d_reset_state * c.r
    d_r_pre = d_r * c.r * (1 - c.r)
    d_z_pre = d_z * c.z * (1 - c.z)

    d_gi = np.concatenate([d_r_pre, d_z_pre, d_n_pre], axis=1)  # (B, 3H)
    all_gates = slice(0, 3 * H)
    d_pre = _normalize_backward(d_gi, c.norm_ih, grads, all_gates, "norm_weight_ih", "bias_ih")
    grads["weight_ih"] += d_pre.T @ c.x
    d_x = d_pre @ p.weight_ih

    if c.reset_after:
        d_gh = np.concatenate([d_r_pre, d_z_pre, d_gh_n], axis=1)  # (B, 3H)
        gates = all_gates
    else:
        d_gh = np.concatenate([d_r_pre, d_z_pre], axis=1)  # (B, 2H)
        gates = rz
    d_pre = _normalize_backward(d_gh, c.norm_hh, grads, gates, "norm_weight_hh", "bias_hh")
    grads["weight_hh"][gates] += d_pre.T @ c.h_rec
    d_h_rec = d_h_rec + d_pre @ p.weight_hh[gates]
    if c.recurrent_mask is not None:
        d_h_rec = c.recurrent_mask * d_h_rec
    return d_x, d_h_prev + d_h_rec


def zero_grads(params: GRUParams) -> dict[str, np.ndarray]:
    """Zero gradient accumulators with the keys and shapes of the given weights."""
    return {key: np.zeros_like(getattr(params, key)) for key in params.keys}


def gru_cell_forward(
    x: Any,
    h: Any,
    weights: Mapping[str, Any],
    *,
    reset_after: bool = True,
    recurrent_mask: Any = None,
    zoneout_keep: Any = None,
) -> tuple[np.ndarray, GRUCellCache]:
    """One GRU step for a batch (equations in the module docstring of ``grukit.reference.cell``).

    Computations run in the dtype of ``x`` (integer input becomes float64); the other arrays
    are converted to it.

    Parameters
    ----------
    x : array_like, shape (B, I)
        Inputs of this step.
    h : array_like, shape (B, H)
        The previous state h_{t-1}.
    weights : dict
        ``weight_ih`` (3H, I), ``weight_hh`` (3H, H); optional ``bias_ih``, ``bias_hh`` (3H,)
        (absent or None: no bias) and layer norm gains ``norm_weight_ih``, ``norm_weight_hh``
        (3H,) (both or neither). Gate blocks in the order r, z, n.
    reset_after : bool
        True: PyTorch / cuDNN formulation; False: reset before the recurrent product (Cho et al.).
    recurrent_mask : array_like, shape (B, H), optional
        Recurrent dropout mask multiplying h wherever it enters a recurrent product.
    zoneout_keep : array_like, shape (B, H), optional
        Zoneout keep array d in [0, 1]: ``h' = d * h + (1 - d) * h~``.

    Returns
    -------
    h_new : ndarray, shape (B, H)
    cache : GRUCellCache
        Input of :func:`gru_cell_backward`.
    """
    x = input_array(x, "x", 2)
    dtype = x.dtype
    batch, input_size = x.shape
    params = validate_weights(weights, dtype, input_size)
    H = params.hidden_size
    h = float_array(h, "h", dtype, (batch, H), "(batch, hidden_size)")
    reset_after = check_bool(reset_after, "reset_after")
    if recurrent_mask is not None:
        recurrent_mask = float_array(
            recurrent_mask, "recurrent_mask", dtype, (batch, H), "(batch, hidden_size)"
        )
    if zoneout_keep is not None:
        zoneout_keep = validate_zoneout_keep(
            zoneout_keep, dtype, (batch, H), "(batch, hidden_size)"
        )
    return _cell_forward(x, h, params, reset_after, recurrent_mask, zoneout_keep)


def gru_cell_backward(
    d_h_new: Any, cache: GRUCellCache
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Hand-written backward of :func:`gru_cell_forward`.

    Parameters
    ----------
    d_h_new : array_like, shape (B, H)
        Gradient of the loss with respect to the new state.
    cache : GRUCellCache
        As returned by :func:`gru_cell_forward`.

    Returns
    -------
    d_x : ndarray, shape (B, I)
    d_h : ndarray, shape (B, H)
        Gradient with respect to the previous state (through every path, mask included).
    d_weights : dict
        Same keys as the weights given (keys given as None are absent), same shapes.
    """
    if not isinstance(cache, GRUCellCache):
        raise TypeError(
            "`cache` must be the GRUCellCache returned by gru_cell_forward, "
            f"got {type(cache).__name__}"
        )
    shape = cache.h_prev.shape
    d_h_new = float_array(d_h_new, "d_h_new", cache.x.dtype, shape, "(batch, hidden_size)")
    grads = zero_grads(cache.params)
    d_x, d_h = _cell_backward(d_h_new, cache, grads)
    return d_x, d_h, grads
