"""numba kernel of the fused engine's backward pass through time, weight gradients included.

Runs the steps in reverse processing order. With ``dh`` the gradient reaching ``h_t`` (from the
output at t plus the carry from step t+1), ``h = h_{t-1}`` and ``hm = h * m`` what the
recurrent products read (``m`` (B, H) the recurrent dropout mask; ``hm = h`` without one)::

    dn = dh * (1 - z)             dz = dh * (h - n)
    dn_pre = dn * (1 - n^2)       dz_pre = dz * z * (1 - z)
    reset_after=True  (n = tanh(gi_n + r * a),  a = W_hn hm + b_hn):
        da = dn_pre * r,          dr = dn_pre * a
        dh_prev = dh * z + ([dr_pre, dz_pre, da] @ W_hh) * m
    reset_after=False (n = tanh(gi_n + W_hn a + b_hn),  a = r * hm):
        dq = dn_pre @ W_hn,       dr = dq * hm
        dh_prev = dh * z + (dq * r + [dr_pre, dz_pre] @ W_h[rz]) * m
    dr_pre = dr * r * (1 - r)

The z-path ``dh * z`` comes from the update ``n + z * (h - n)``, which reads the unmasked ``h``.

``dG = [dr_pre, dz_pre, dn_pre]`` is the gradient of the input projection ``gi`` and
``dGH = [dr_pre, dz_pre, da]`` (reset_after) that of ``W_hh h + b_hh``. Every product runs at
each step on the B rows of that step, in registers (``_panels``), so no per-step gradient array
is ever stored::

    d_x[t]   = dG @ W_ih                                   (B, I)
    dW_ih^T += x_t^T @ dG                                  (I, 3H)
    dW_hh^T += hm^T @ dGH         (reset_before: [hm^T @ dG_rz | a^T @ dn_pre])
    db_ih   += sum_b dG,  db_hh += sum_b dGH (reset_before: dG)

The transposed gradients are accumulated in gate blocks padded to whole vectors ((I, 3Hv) and
(H, 3Hv)); ``layer.py`` turns them into (3H, I) and (3H, H). Rows past their length contribute
nothing (their ``dG`` rows are zero). FTZ/DAZ is set for the whole call.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from grukit.engines.fused._panels import JIT_OPTIONS, ftz_enter, ftz_leave, gemm_rows, run_panels


@njit(**JIT_OPTIONS)
def backward_sequence(
    d_out: np.ndarray, dh: np.ndarray, saved: np.ndarray, mask: np.ndarray, x: np.ndarray,
    weights: np.ndarray, table: np.ndarray, split: int, table_x: np.ndarray, zeros: np.ndarray,
    lengths: np.ndarray, reverse: bool, reset_after: bool, d_x: np.ndarray, dwh: np.ndarray,
    dwi: np.ndarray, db_i: np.ndarray, db_h: np.ndarray, scratch: tuple[np.ndarray, ...],
) -> None:  # fmt: skip
    """Backpropagate through the recurrence stored in ``saved`` (5, T, B, H).

    Parameters
    ----------
    d_out : (T, B, H) gradient of the outputs (time-major).
    dh : (B, H) on entry the gradient of ``h_n``; on exit the gradient of ``h0``.
    saved : ``h_prev, r, z, n, a`` per time index, from ``forward_sequence``.
    mask : (B, H) the forward pass's recurrent dropout mask, or (0, H) for none.
    x : (T, B, I) the layer input.
    weights, table, split, table_x : packed panels (``_panels``) with K in padded gate blocks
        (row ``g * Hv + j``). reset_after: panels ``0 .. split - 1`` hold ``W_hh`` (3Hv, H);
        reset_before: ``0 .. split - 1`` hold ``W_hn`` (H, H) and the rest ``W_h[rz]``
        (2Hv, H). ``table_x``: ``W_ih`` (3Hv, I). Outputs are ``Hv`` and ``Iv`` wide.
    zeros : (max(Hv, Iv),) zeros (the products' initial value).
    d_x : (T, B, I) output, the gradient of ``x``.
    dwh, dwi, db_i, db_h : accumulators (H, 3Hv), (I, 3Hv), (3Hv,), (3Hv,), zero on entry.
    scratch : ``(dg (B, 3, Hv), dgh (B, 3, Hv), hp (B, H), xp (B, I), ap (B, H), dq (B, H),
        back (B, Hv), dxo (B, Iv))``, ``dg``, ``dgh`` zero on entry (their padding stays 0).

    Whole indices only (no per-row views), so that the row loops vectorise.
    """
    previous_csr = ftz_enter()
    steps, rows, hidden = d_out.shape
    inputs = x.shape[2]
    dg, dgh, hp, xp, ap, dq, back, dxo = scratch
    hv = dg.shape[2]
    iv = dxo.shape[1]
    count = table.shape[0] // 5
    count_x = table_x.shape[0] // 5
    dg_flat = dg.reshape(rows * 3 * hv)
    dgh_flat = dgh.reshape(rows * 3 * hv)
    hp_flat = hp.reshape(rows * hidden)
    xp_flat = xp.reshape(rows * inputs)
    ap_flat = ap.reshape(rows * hidden)
    dq_flat = dq.reshape(rows * hidden)
    back_flat = back.reshape(rows * hv)
    dxo_flat = dxo.reshape(rows * iv)
    dwh_flat = dwh.reshape(hidden * 3 * hv)
    dwi_flat = dwi.reshape(inputs * 3 * hv)
    masked = mask.shape[0] > 0
    for b in range(rows):
        for t in range(lengths[b], steps):
            d_x[t, b, :] = 0
    for s in range(steps - 1, -1, -1):
        flip = s % 2 == 1
        for b in range(rows):
            if s >= lengths[b]:  # contributes nothing this step
                dg[b, :, :] = 0
                dgh[b, :, :] = 0
                hp[b, :] = 0
                xp[b, :] = 0
                ap[b, :] = 0
                dq[b, :] = 0
                continue
            t = lengths[b] - 1 - s if reverse else s
            if masked:  # what the recurrent products read: h_prev * m
                for j in range(hidden):
                    hp[b, j] = saved[0, t, b, j] * mask[b, j]
            else:
                for j in range(hidden):
                    hp[b, j] = saved[0, t, b, j]
            for k in range(inputs):
                xp[b, k] = x[t, b, k]
            if reset_after:
                for j in range(hidden):
                    grad = dh[b, j] + d_out[t, b, j]
                    dh[b, j] = grad
                    z = saved[2, t, b, j]
                    n = saved[3, t, b, j]
                    r = saved[1, t, b, j]
                    dn = grad - grad * z
                    dn_pre = dn - dn * n * n
                    dr_pre = dn_pre * saved[4, t, b, j] * (r - r * r)
                    dz_pre = grad * (saved[0, t, b, j] - n) * (z - z * z)
                    dg[b, 0, j] = dr_pre
                    dg[b, 1, j] = dz_pre
                    dg[b, 2, j] = dn_pre
                    dgh[b, 0, j] = dr_pre
                    dgh[b, 1, j] = dz_pre
                    dgh[b, 2, j] = dn_pre * r
            else:
                for j in range(hidden):
                    grad = dh[b, j] + d_out[t, b, j]
                    dh[b, j] = grad
                    z = saved[2, t, b, j]
                    n = saved[3, t, b, j]
                    dn = grad - grad * z
                    dn_pre = dn - dn * n * n
                    dg[b, 1, j] = grad * (saved[0, t, b, j] - n) * (z - z * z)
                    dg[b, 2, j] = dn_pre
                    dq[b, j] = dn_pre
                    ap[b, j] = saved[4, t, b, j]
        if reset_after:  # back = dGH @ W_hh, (B, 3Hv) @ (3Hv, H)
            run_panels(
                dgh_flat, 0, 3 * hv, rows, weights, table, 0, split, zeros, 0, 0, back_flat, 0,
                hv, flip,
            )  # fmt: skip
        else:
            run_panels(  # back = dn_pre @ W_hn: the gradient of a = r * h
                dq_flat, 0, hidden, rows, weights, table, 0, split, zeros, 0, 0, back_flat, 0,
                hv, flip,
            )  # fmt: skip
            for b in range(rows):
                if s >= lengths[b]:
                    continue
                t = lengths[b] - 1 - s if reverse else s
                for j in range(hidden):
                    r = saved[1, t, b, j]
                    dg[b, 0, j] = back[b, j] * hp[b, j] * (r - r * r)
                    dq[b, j] = back[b, j] * r  # the path through a = r * hm
            run_panels(  # back = [dr_pre, dz_pre] @ W_h[rz], (B, 2Hv) @ (2Hv, H)
                dg_flat, 0, 3 * hv, rows, weights, table, split, count, zeros, 0, 0, back_flat,
                0, hv, flip,
            )  # fmt: skip
        # weight gradients of this step (the same column chunks for every row block)
        if reset_after:
            gemm_rows(
                hp_flat, 0, 1, hidden, hidden, dgh_flat, 0, 3 * hv, rows, 3 * hv, dwh_flat, 0,
                3 * hv, dwh_flat, 0, 3 * hv, 4,
            )  # fmt: skip
        else:
            gemm_rows(
                hp_flat, 0, 1, hidden, hidden, dg_flat, 0, 3 * hv, rows, 2 * hv, dwh_flat, 0,
                3 * hv, dwh_flat, 0, 3 * hv, 4,
            )  # fmt: skip
            gemm_rows(
                ap_flat, 0, 1, hidden, hidden, dg_flat, 2 * hv, 3 * hv, rows, hv, dwh_flat,
                2 * hv, 3 * hv, dwh_flat, 2 * hv, 3 * hv, 4,
            )  # fmt: skip
        gemm_rows(
            xp_flat, 0, 1, inputs, inputs, dg_flat, 0, 3 * hv, rows, 3 * hv, dwi_flat, 0, 3 * hv,
            dwi_flat, 0, 3 * hv, 4,
        )  # fmt: skip
        run_panels(
            dg_flat, 0, 3 * hv, rows, weights, table_x, 0, count_x, zeros, 0, 0, dxo_flat, 0, iv,
            False,
        )  # fmt: skip
        for b in range(rows):
            if s >= lengths[b]:
                continue
            t = lengths[b] - 1 - s if reverse else s
            for k in range(inputs):
                d_x[t, b, k] = dxo[b, k]
            for g in range(3):
                for j in range(hidden):
                    db_i[g * hv + j] += dg[b, g, j]
            if reset_after:
                for g in range(3):
                    for j in range(hidden):
                        db_h[g * hv + j] += dgh[b, g, j]
            # the recurrent products' gradient reaches h_prev through hm = h_prev * m
            if reset_after and masked:
                for j in range(hidden):
                    dh[b, j] = dh[b, j] * saved[2, t, b, j] + back[b, j] * mask[b, j]
            elif reset_after:
                for j in range(hidden):
                    dh[b, j] = dh[b, j] * saved[2, t, b, j] + back[b, j]
            elif masked:
                for j in range(hidden):
                    dh[b, j] = dh[b, j] * saved[2, t, b, j] + (back[b, j] + dq[b, j]) * mask[b, j]
            else:
                for j in range(hidden):
                    dh[b, j] = dh[b, j] * saved[2, t, b, j] + back[b, j] + dq[b, j]
    ftz_leave(previous_csr)
