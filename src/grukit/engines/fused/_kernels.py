"""numba kernels of the fused engine: the forward recurrence and the single streaming step.

Layout conventions (all arrays C-contiguous, one float type throughout):

- time-major sequences: ``gi`` (T, B, 3H), ``out`` (T, B, H), so ``gi[t]`` is a contiguous
  (B, 3H) block;
- recurrent weights transposed, so the inner loop of ``h @ wt`` runs over contiguous output
  columns and vectorises (an "axpy" mat-vec: no horizontal reductions). reset_after:
  ``wt_a = W_hh.T`` (H, 3H) with ``b_a = [0, 0, b_hn]`` (one product per step); reset_before:
  ``wt_a = W_hh[:2H].T`` (H, 2H) with ``b_a = 0`` and ``wt_b = W_hh[2H:].T`` (H, H), applied to
  ``r * h`` (two products per step);
- the input projection ``gi = W_ih x + b_ih`` is precomputed outside (one GEMM) with the biases
  that are simply added folded in: ``b_hh[:2H]`` always and ``b_hn`` for ``reset_after=False``.
  With ``reset_after=True`` ``b_hn`` stays separate because ``r`` multiplies it.

Per step, for each row b whose step ``s < lengths[b]`` (time index ``t = s`` or, in reverse,
``t = lengths[b] - 1 - s``)::

    r = sigmoid(gi_r + W_hr h),  z = sigmoid(gi_z + W_hz h)
    reset_after=True : a = W_hn h + b_hn,  n = tanh(gi_n + r * a)
    reset_after=False: a = r * h,          n = tanh(gi_n + W_hn a)
    h <- n + z * (h - n)         # == (1 - z) * n + z * h, with no float literal

Rows past their length keep their state; their outputs are zero. The training forward also
stores, at each row's time index t, the previous state ``h_prev``, ``r``, ``z``, ``n`` and ``a``
for the backward pass (``_backward.py``); entries past a row's length are zero.
"""

from __future__ import annotations

from numba import njit

from grukit.engines.fused._activations import fast_sigmoid, fast_tanh

JIT_OPTIONS = {
    "fastmath": True,
    "boundscheck": False,
    "error_model": "numpy",  # no ZeroDivisionError branch: lets the gate loops vectorise
    "cache": True,
    "nogil": True,
}


@njit(**JIT_OPTIONS)
def _rows4(a, wt, out, b):
    """``out[b:b+4] += a[b:b+4] @ wt``, four rows and four inner indices per pass.

    Each pass over the contiguous output columns does 16 FMAs per load/store of the four
    output rows, so the loop is bound by arithmetic rather than by the stores (2.5-3x faster
    than one inner index per pass at B=32).
    """
    inner = a.shape[1]
    cols = wt.shape[1]
    k = 0
    while k + 4 <= inner:
        a00, a01, a02, a03 = a[b, k], a[b, k + 1], a[b, k + 2], a[b, k + 3]
        a10, a11, a12, a13 = a[b + 1, k], a[b + 1, k + 1], a[b + 1, k + 2], a[b + 1, k + 3]
        a20, a21, a22, a23 = a[b + 2, k], a[b + 2, k + 1], a[b + 2, k + 2], a[b + 2, k + 3]
        a30, a31, a32, a33 = a[b + 3, k], a[b + 3, k + 1], a[b + 3, k + 2], a[b + 3, k + 3]
        for j in range(cols):
            w0, w1, w2, w3 = wt[k, j], wt[k + 1, j], wt[k + 2, j], wt[k + 3, j]
            out[b, j] += a00 * w0 + a01 * w1 + a02 * w2 + a03 * w3
            out[b + 1, j] += a10 * w0 + a11 * w1 + a12 * w2 + a13 * w3
            out[b + 2, j] += a20 * w0 + a21 * w1 + a22 * w2 + a23 * w3
            out[b + 3, j] += a30 * w0 + a31 * w1 + a32 * w2 + a33 * w3
        k += 4
    while k < inner:
        a0, a1, a2, a3 = a[b, k], a[b + 1, k], a[b + 2, k], a[b + 3, k]
        for j in range(cols):
            w = wt[k, j]
            out[b, j] += a0 * w
            out[b + 1, j] += a1 * w
            out[b + 2, j] += a2 * w
            out[b + 3, j] += a3 * w
        k += 1


@njit(**JIT_OPTIONS)
def _row1(a, wt, out, b):
    """``out[b] += a[b] @ wt``, four inner indices per pass (the B = 1 mat-vec)."""
    inner = a.shape[1]
    cols = wt.shape[1]
    k = 0
    while k + 4 <= inner:
        a0, a1, a2, a3 = a[b, k], a[b, k + 1], a[b, k + 2], a[b, k + 3]
        for j in range(cols):
            out[b, j] += a0 * wt[k, j] + a1 * wt[k + 1, j] + a2 * wt[k + 2, j] + a3 * wt[k + 3, j]
        k += 4
    while k < inner:
        ak = a[b, k]
        for j in range(cols):
            out[b, j] += ak * wt[k, j]
        k += 1


@njit(**JIT_OPTIONS)
def matmul_bias(a, wt, bias, out):
    """``out = a @ wt + bias``: a (B, K), wt (K, N), bias (N,), out (B, N); no BLAS call.

    "axpy" order (the inner loop runs over contiguous output columns and vectorises without
    horizontal reductions), blocked over four rows and four inner indices.
    """
    rows = a.shape[0]
    cols = wt.shape[1]
    for b in range(rows):
        for j in range(cols):
            out[b, j] = bias[j]
    b = 0
    while b + 4 <= rows:
        _rows4(a, wt, out, b)
        b += 4
    while b < rows:
        _row1(a, wt, out, b)
        b += 1


@njit(**JIT_OPTIONS)
def _rz_gates(g, gh_rz, r, z):
    """``r, z = sigmoid(g[:H] + gh_rz[:H]), sigmoid(g[H:2H] + gh_rz[H:])`` for one row."""
    hidden = r.shape[0]
    for j in range(hidden):
        r[j] = fast_sigmoid(g[j] + gh_rz[j])
        z[j] = fast_sigmoid(g[hidden + j] + gh_rz[hidden + j])


@njit(**JIT_OPTIONS)
def _candidate_after(g, gh, r, n, a):
    """reset_after: ``a = gh[2H:]`` (= W_hn h + b_hn), ``n = tanh(g[2H:] + r * a)``."""
    hidden = n.shape[0]
    for j in range(hidden):
        a[j] = gh[2 * hidden + j]
        n[j] = fast_tanh(g[2 * hidden + j] + r[j] * a[j])


@njit(**JIT_OPTIONS)
def _candidate_before(g, gh_n, n):
    """reset_before: ``n = tanh(g[2H:] + gh_n)`` (``gh_n = W_hn (r * h)``, ``b_hn`` in ``g``)."""
    hidden = n.shape[0]
    for j in range(hidden):
        n[j] = fast_tanh(g[2 * hidden + j] + gh_n[j])


@njit(**JIT_OPTIONS)
def _blend(h, z, n, out):
    """``out = n + z * (h - n)``; ``out`` may be ``h``."""
    for j in range(h.shape[0]):
        out[j] = n[j] + z[j] * (h[j] - n[j])


@njit(**JIT_OPTIONS)
def _cell_rows(g, h, out, wt_a, b_a, wt_b, zeros, reset_after, active, gh, gh_n, r, z, n, a):
    """One GRU step for the rows ``b`` with ``active[b]`` (``g[b]`` is their (3H,) projection).

    ``h`` (B, H) previous states, ``out`` (B, H) new states (may be ``h``), ``gh`` (B, 3H or
    2H) = ``h @ wt_a + b_a``, ``gh_n``/``r``/``z``/``n``/``a`` (B, H) receive the
    intermediates; ``zeros`` (H,). ``g`` is indexed ``g[b]`` so it may be a per-row gather.
    """
    rows = h.shape[0]
    matmul_bias(h, wt_a, b_a, gh)
    if reset_after:
        for b in range(rows):
            if active[b]:
                _rz_gates(g[b], gh[b], r[b], z[b])
                _candidate_after(g[b], gh[b], r[b], n[b], a[b])
    else:
        for b in range(rows):
            if active[b]:
                _rz_gates(g[b], gh[b], r[b], z[b])
                for j in range(h.shape[1]):
                    a[b, j] = r[b, j] * h[b, j]
            else:
                a[b, :] = 0
        matmul_bias(a, wt_b, zeros, gh_n)
        for b in range(rows):
            if active[b]:
                _candidate_before(g[b], gh_n[b], n[b])
    for b in range(rows):
        if active[b]:
            _blend(h[b], z[b], n[b], out[b])


@njit(**JIT_OPTIONS)
def forward_sequence(
    gi, h0, wt_a, b_a, wt_b, lengths, reverse, reset_after, out, h, scratch, saved
):
    """Run the recurrence over ``gi`` (T, B, 3H) from ``h0`` (B, H).

    ``out`` (T, B, H) receives the outputs (zeros past each length), ``h`` (B, H) the final
    state. ``wt_a``, ``b_a``, ``wt_b``: see the module docstring. ``scratch`` is
    ``(gather (B, 3H), gh (B, wt_a.shape[1]), gh_n (B, H), zeros (H,), gates (4, B, H))``.
    ``saved`` is (5, T, B, H) to store ``h_prev, r, z, n, a`` at each row's time index (for
    the backward pass; zeros past each length), or (5, 0, B, H) not to store.
    """
    steps, rows, _ = gi.shape
    hidden = h0.shape[1]
    store = saved.shape[1] > 0
    gather, gh, gh_n, zeros, gates = scratch
    r, z, n, a = gates[0], gates[1], gates[2], gates[3]
    active = lengths > -1  # (B,) booleans, rewritten every step
    for b in range(rows):
        for j in range(hidden):
            h[b, j] = h0[b, j]
        for t in range(lengths[b], steps):
            for j in range(hidden):
                out[t, b, j] = 0
            if store:
                for k in range(5):
                    for j in range(hidden):
                        saved[k, t, b, j] = 0
    for s in range(steps):
        any_active = False
        for b in range(rows):
            active[b] = s < lengths[b]
            if active[b]:
                any_active = True
                t = lengths[b] - 1 - s if reverse else s
                for j in range(3 * hidden):
                    gather[b, j] = gi[t, b, j]
                if store:
                    for j in range(hidden):
                        saved[0, t, b, j] = h[b, j]
        if not any_active:
            break
        _cell_rows(gather, h, h, wt_a, b_a, wt_b, zeros, reset_after, active, gh, gh_n, r, z, n, a)
        for b in range(rows):
            if active[b]:
                t = lengths[b] - 1 - s if reverse else s
                for j in range(hidden):
                    out[t, b, j] = h[b, j]
                if store:
                    for j in range(hidden):
                        saved[1, t, b, j] = r[b, j]
                        saved[2, t, b, j] = z[b, j]
                        saved[3, t, b, j] = n[b, j]
                        saved[4, t, b, j] = a[b, j]


@njit(**JIT_OPTIONS)
def step(x, h, out, wt_ih, b_gi, wt_a, b_a, wt_b, reset_after, scratch, gates, active):
    """One streaming step for all rows: ``x`` (B, I), ``h`` (B, H) -> ``out`` (B, H).

    ``out`` may be ``h``. ``scratch`` is ``(gi (B, 3H), gh (B, wt_a.shape[1]), gh_n (B, H),
    zeros (H,))``, ``gates`` (4, B, H) receives r, z, n, a; ``active`` (B,) is all true.
    ``b_gi`` (3H,) is ``b_ih`` plus the foldable part of ``b_hh``.
    """
    gi, gh, gh_n, zeros = scratch
    matmul_bias(x, wt_ih, b_gi, gi)
    _cell_rows(
        gi, h, out, wt_a, b_a, wt_b, zeros, reset_after, active, gh, gh_n,
        gates[0], gates[1], gates[2], gates[3],
    )  # fmt: skip
