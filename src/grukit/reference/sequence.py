r"""The GRU time loop (one layer, one direction), forward and backpropagation through time.

Shapes: ``B`` batch, ``T`` time steps, ``I`` input size, ``H`` hidden size; arrays are
batch-first. Each step applies :func:`grukit.reference.cell.gru_cell_forward` (equations there)
to the rows still inside their sequence:

* ``lengths`` (B,) in [0, T]: row b runs the steps t < lengths[b]. At the steps t >= lengths[b]
  the state stays unchanged and the output is exactly zero; a length of 0 gives h_n = h0. Padded
  inputs are never read, so they may hold anything (even NaN).
* ``reverse=True`` runs each row's valid steps backwards, from its own last valid step
  ``lengths[b] - 1`` down to 0 (as packed sequences in PyTorch); outputs are written at the
  original positions.
* ``recurrent_mask`` (B, H) is one recurrent dropout mask per sequence, fixed over time;
  ``zoneout_keep`` (B, T, H) is indexed by the original time position of the step.
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
    validate_lengths,
    validate_weights,
    validate_zoneout_keep,
)
from .cell import GRUCellCache, _cell_backward, _cell_forward, zero_grads


@dataclass(frozen=True)
class GRUStepRecord:
    """The rows that ran step k, the time positions they read and wrote, and the cell cache."""

    rows: np.ndarray  # (n,) int64, rows with lengths > k
    positions: np.ndarray  # (n,) int64, time index of each row's step k
    cell: GRUCellCache


@dataclass(frozen=True)
class GRUForwardCache:
    """What :func:`gru_backward` needs from :func:`gru_forward`."""

    params: GRUParams
    input_shape: tuple[int, int, int]  # (B, T, I)
    dtype: np.dtype
    steps: tuple[GRUStepRecord, ...]  # step k = 0, 1, ... while any row is still running


def gru_forward(
    x: Any,
    weights: Mapping[str, Any],
    *,
    h0: Any = None,
    lengths: Any = None,
    reset_after: bool = True,
    reverse: bool = False,
    recurrent_mask: Any = None,
    zoneout_keep: Any = None,
) -> tuple[np.ndarray, np.ndarray, GRUForwardCache]:
    """Run a GRU layer (one direction) over a batch of sequences.

    For each step (equations in ``grukit.reference.cell``)::

        gi = LN(W_ih x_t; g_ih) + b_ih
        r, z = sigmoid(gi_r + gh_r), sigmoid(gi_z + gh_z)
        n = tanh(gi_n + r * gh_n)                      # reset_after=True,  gh = LN(W_hh m h) + b_hh
        n = tanh(gi_n + LN(W_hn (r m h)) + b_hn)       # reset_after=False
        h_t = d_t * h_{t-1} + (1 - d_t) * ((1 - z) * n + z * h_{t-1})

    Computations run in the dtype of ``x`` (float64 recommended: this is the specification;
    integer input becomes float64); every other array is converted to that dtype.

    Parameters
    ----------
    x : array_like, shape (B, T, I)
        Input sequences, batch-first.
    weights : dict
        ``weight_ih`` (3H, I) and ``weight_hh`` (3H, H), gate blocks in the order r, z, n;
        optional ``bias_ih``, ``bias_hh`` (3H,) (absent or None: no bias); optional layer norm
        gains ``norm_weight_ih``, ``norm_weight_hh`` (3H,), both or neither.
    h0 : array_like, shape (B, H), optional
        Initial state; zeros when omitted.
    lengths : array_like of int, shape (B,), optional
        Valid steps per row, each in [0, T]; all T when omitted.
    reset_after : bool
        True: reset gate applied after the recurrent product (PyTorch, cuDNN, Keras default);
        False: before it (Cho et al. 2014, Keras ``reset_after=False``).
    reverse : bool
        Run each row's valid steps from its last valid step back to step 0.
    recurrent_mask : array_like, shape (B, H), optional
        Recurrent dropout mask (entries 0 or 1/(1-p)), the same for all steps; multiplies the
        state entering the recurrent products, not the carry ``z * h_{t-1}``.
    zoneout_keep : array_like, shape (B, T, H), optional
        Zoneout keep array with entries in [0, 1] (0: plain GRU, 1: keep the old state).

    Returns
    -------
    output : ndarray, shape (B, T, H)
        h_t at each valid position, zero at padded positions.
    h_n : ndarray, shape (B, H)
        The state after each row's last valid step (``h0`` for a length of 0).
    cache : GRUForwardCache
        Input of :func:`gru_backward`.

    Examples
    --------
    >>> import numpy as np
    >>> from grukit.reference import gru_forward, gru_backward
    >>> rng = np.random.default_rng(0)
    >>> B, T, I, H = 2, 5, 3, 4
    >>> weights = {"weight_ih": rng.normal(size=(3 * H, I)),
    ...            "weight_hh": rng.normal(size=(3 * H, H)),
    ...            "bias_ih": np.zeros(3 * H), "bias_hh": np.zeros(3 * H)}
    >>> x = rng.normal(size=(B, T, I))
    >>> output, h_n, cache = gru_forward(x, weights, lengths=[5, 2])
    >>> output.shape, h_n.shape
    ((2, 5, 4), (2, 4))
    >>> bool(np.all(output[1, 2:] == 0)), bool(np.array_equal(h_n[1], output[1, 1]))
    (True, True)
    >>> d_x, d_h0, d_weights = gru_backward(np.ones_like(output), None, cache)
    >>> d_x.shape, sorted(d_weights)
    ((2, 5, 3), ['bias_hh', 'bias_ih', 'weight_hh', 'weight_ih'])
    """
    x = input_array(x, "x", 3)
    dtype = x.dtype
    batch, steps, input_size = x.shape
    params = validate_weights(weights, dtype, input_size)
    H = params.hidden_size
    if h0 is None:
        h = np.zeros((batch, H), dtype=dtype)
    else:
        h = float_array(h0, "h0", dtype, (batch, H), "(batch, hidden_size)")
    if lengths is None:
        lengths = np.full(batch, steps, dtype=np.int64)
    else:
        lengths = validate_lengths(lengths, batch, steps)
    reset_after = check_bool(reset_after, "reset_after")
    reverse = check_bool(reverse, "reverse")
    if recurrent_mask is not None:
        recurrent_mask = float_array(
            recurrent_mask, "recurrent_mask", dtype, (batch, H), "(batch, hidden_size)"
        )
    if zoneout_keep is not None:
        zoneout_keep = validate_zoneout_keep(
            zoneout_keep, dtype, (batch, steps, H), "(batch, time, hidden_size)"
        )

    output = np.zeros((batch, steps, H), dtype=dtype)
    records = []
    for k in range(steps):
        rows = np.flatnonzero(lengths > k)
        if rows.size == 0:
            break  # lengths only shrink the set of running rows
        positions = lengths[rows] - 1 - k if reverse else np.full(rows.size, k)
        h_new, cell = _cell_forward(
            x[rows, positions],
            h[rows],
            params,
            reset_after,
            None if recurrent_mask is None else recurrent_mask[rows],
            None if zoneout_keep is None else zoneout_keep[rows, positions],
        )
        h[rows] = h_new
        output[rows, positions] = h_new
        records.append(GRUStepRecord(rows, positions, cell))
    cache = GRUForwardCache(params, (batch, steps, input_size), dtype, tuple(records))
    return output, h, cache


def gru_backward(
    d_output: Any, d_h_n: Any, cache: GRUForwardCache
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Backpropagation through time for :func:`gru_forward` (hand-written, no autograd).

    Parameters
    ----------
    d_output : array_like, shape (B, T, H), or None
        Gradient of the loss with respect to ``output`` (None: zeros). Entries at padded
        positions are ignored, since those outputs are constants.
    d_h_n : array_like, shape (B, H), or None
        Gradient of the loss with respect to ``h_n`` (None: zeros).
    cache : GRUForwardCache
        As returned by :func:`gru_forward`.

    Returns
    -------
    d_x : ndarray, shape (B, T, I)
        Zero at padded positions.
    d_h0 : ndarray, shape (B, H)
        Gradient with respect to the initial state (also when ``h0`` was omitted).
    d_weights : dict
        The keys of the weights given to :func:`gru_forward` whose value was not None, with
        gradients of the same shapes, in the compute dtype.
    """
    if not isinstance(cache, GRUForwardCache):
        raise TypeError(
            "`cache` must be the GRUForwardCache returned by gru_forward, "
            f"got {type(cache).__name__}"
        )
    batch, steps, input_size = cache.input_shape
    H = cache.params.hidden_size
    if d_output is not None:
        d_output = float_array(
            d_output, "d_output", cache.dtype, (batch, steps, H), "(batch, time, hidden_size)"
        )
    if d_h_n is None:
        d_h = np.zeros((batch, H), dtype=cache.dtype)
    else:
        d_h = float_array(d_h_n, "d_h_n", cache.dtype, (batch, H), "(batch, hidden_size)")

    d_x = np.zeros(cache.input_shape, dtype=cache.dtype)
    grads = zero_grads(cache.params)
    for record in reversed(cache.steps):
        rows, positions = record.rows, record.positions
        d_h_rows = d_h[rows]
        if d_output is not None:
            d_h_rows = d_h_rows + d_output[rows, positions]
        d_x_step, d_h_prev = _cell_backward(d_h_rows, record.cell, grads)
        d_x[rows, positions] = d_x_step
        d_h[rows] = d_h_prev  # rows that did not run this step pass their gradient through
    return d_x, d_h, grads
