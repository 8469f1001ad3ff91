"""numba kernel of the fused engine's backward pass through time.

Runs the steps in reverse processing order and produces, at each row's time index t, the
gradients of the pre-activations; every weight gradient is then ONE matrix product over all
steps, done by PyTorch outside (``layer.py``). With ``dh`` the gradient reaching ``h_t`` (from
the output at t plus the carry from step t+1) and ``h = h_{t-1}``::

    dn = dh * (1 - z)             dz = dh * (h - n)
    dn_pre = dn * (1 - n^2)       dz_pre = dz * z * (1 - z)
    reset_after=True  (n = tanh(gi_n + r * a),  a = W_hn h + b_hn):
        da = dn_pre * r,          dr = dn_pre * a
        dh_prev = dh * z + [dr_pre, dz_pre, da] @ W_hh
    reset_after=False (n = tanh(gi_n + W_hn a + b_hn),  a = r * h):
        dq = dn_pre @ W_hn,       dr = dq * h
        dh_prev = dh * z + dq * r + [dr_pre, dz_pre] @ W_h[rz]
    dr_pre = dr * r * (1 - r)

Outputs: ``d_gi`` (T, B, 3H) = [dr_pre, dz_pre, dn_pre] (the gradient of the input projection
``gi``) and, for reset_after, ``d_gh`` (T, B, 3H) = [dr_pre, dz_pre, da] (the gradient of
``W_hh h + b_hh``); both zero past each row's length. ``dh`` ends as the gradient of ``h0``.
"""

from __future__ import annotations

from numba import njit

from grukit.engines.fused._kernels import JIT_OPTIONS, matmul_bias


@njit(**JIT_OPTIONS)
def _row_after(g, dh, d_out, h, r, z, n, a, d_gi, d_gh):
    """reset_after, one row: ``dh += d_out``; write [dr_pre, dz_pre, dn_pre] and [.., .., da]."""
    hidden = dh.shape[0]
    for j in range(hidden):
        grad = dh[j] + d_out[j]
        dh[j] = grad
        dn = grad - grad * z[j]
        dn_pre = dn - dn * n[j] * n[j]
        dz_pre = grad * (h[j] - n[j]) * (z[j] - z[j] * z[j])
        dr_pre = dn_pre * a[j] * (r[j] - r[j] * r[j])
        d_gi[j] = dr_pre
        d_gi[hidden + j] = dz_pre
        d_gi[2 * hidden + j] = dn_pre
        d_gh[j] = dr_pre
        d_gh[hidden + j] = dz_pre
        d_gh[2 * hidden + j] = dn_pre * r[j]
        g[j] = dr_pre
        g[hidden + j] = dz_pre
        g[2 * hidden + j] = dn_pre * r[j]


@njit(**JIT_OPTIONS)
def _row_before(dh, d_out, h, z, n, d_gi, dg_rz, dq):
    """reset_before, one row, first half: ``dh += d_out``; dz_pre, dn_pre (dr_pre needs dq)."""
    hidden = dh.shape[0]
    for j in range(hidden):
        grad = dh[j] + d_out[j]
        dh[j] = grad
        dn = grad - grad * z[j]
        dn_pre = dn - dn * n[j] * n[j]
        dz_pre = grad * (h[j] - n[j]) * (z[j] - z[j] * z[j])
        d_gi[hidden + j] = dz_pre
        d_gi[2 * hidden + j] = dn_pre
        dg_rz[hidden + j] = dz_pre
        dq[j] = dn_pre


@njit(**JIT_OPTIONS)
def _row_before_reset(back, h, r, d_gi, dg_rz, dq):
    """reset_before, second half: with ``back = dn_pre @ W_hn`` (the gradient of ``r * h``)."""
    for j in range(back.shape[0]):
        dr_pre = back[j] * h[j] * (r[j] - r[j] * r[j])
        d_gi[j] = dr_pre
        dg_rz[j] = dr_pre
        dq[j] = back[j] * r[j]  # the path through a = r * h


@njit(**JIT_OPTIONS)
def _carry(dh, z, back, extra, use_extra):
    """``dh = dh * z + back (+ extra)``: the gradient reaching the previous state."""
    for j in range(dh.shape[0]):
        dh[j] = dh[j] * z[j] + back[j]
    if use_extra:
        for j in range(dh.shape[0]):
            dh[j] += extra[j]


@njit(**JIT_OPTIONS)
def backward_sequence(
    d_out, dh, saved, w_hh, w_rz, w_n, lengths, reverse, reset_after, d_gi, d_gh, scratch
):
    """Backpropagate through the recurrence stored in ``saved`` (5, T, B, H).

    Parameters
    ----------
    d_out : (T, B, H) gradient of the outputs (time-major).
    dh : (B, H) on entry the gradient of ``h_n``; on exit the gradient of ``h0``.
    saved : ``h_prev, r, z, n, a`` per time index, from ``forward_sequence``.
    w_hh : (3H, H) ``W_hh``; ``w_rz`` (2H, H) and ``w_n`` (H, H) its row blocks (contiguous).
    d_gi, d_gh : outputs, see the module docstring (``d_gh`` is unused for reset_before).
    scratch : ``(dg (B, 3H), dg_rz (B, 2H), dq (B, H), back (B, H), zeros (3H,))``.
    """
    steps, rows, hidden = d_out.shape
    dg, dg_rz, dq, back, zeros = scratch
    for b in range(rows):
        for t in range(lengths[b], steps):
            d_gi[t, b, :] = 0
            if reset_after:
                d_gh[t, b, :] = 0
    for s in range(steps - 1, -1, -1):
        for b in range(rows):
            if s >= lengths[b]:
                dg[b, :] = 0
                dg_rz[b, :] = 0
                dq[b, :] = 0
                continue
            t = lengths[b] - 1 - s if reverse else s
            if reset_after:
                _row_after(
                    dg[b], dh[b], d_out[t, b], saved[0, t, b], saved[1, t, b], saved[2, t, b],
                    saved[3, t, b], saved[4, t, b], d_gi[t, b], d_gh[t, b],
                )  # fmt: skip
            else:
                _row_before(
                    dh[b], d_out[t, b], saved[0, t, b], saved[2, t, b], saved[3, t, b],
                    d_gi[t, b], dg_rz[b], dq[b],
                )  # fmt: skip
        if reset_after:
            matmul_bias(dg, w_hh, zeros[:hidden], back)  # (B, 3H) @ (3H, H)
        else:
            matmul_bias(dq, w_n, zeros[:hidden], back)  # dn_pre @ W_hn
            for b in range(rows):
                if s < lengths[b]:
                    t = lengths[b] - 1 - s if reverse else s
                    _row_before_reset(
                        back[b], saved[0, t, b], saved[1, t, b], d_gi[t, b], dg_rz[b], dq[b]
                    )
            matmul_bias(dg_rz, w_rz, zeros[:hidden], back)  # (B, 2H) @ (2H, H)
        for b in range(rows):
            if s < lengths[b]:
                t = lengths[b] - 1 - s if reverse else s
                _carry(dh[b], saved[2, t, b], back[b], dq[b], not reset_after)
