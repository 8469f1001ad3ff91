"""The register-blocked panel products and FTZ/DAZ intrinsics against NumPy."""

from __future__ import annotations

import platform

import numpy as np
import pytest
from numba import njit

from grukit.engines.fused import _packing, _panels
from grukit.runtime import get_mxcsr

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


def product_case(dtype, rows, kc, n, seed):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(rows, kc + 3)).astype(dtype),  # a, read from column 3 (k0 = 3)
        rng.normal(size=(n, kc)).astype(dtype),  # W: M = W.T (a transposed view)
        rng.normal(size=n).astype(dtype),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    ("rows", "kc", "n"), [(1, 1, 1), (1, 9, 100), (2, 8, 16), (3, 5, 17), (5, 16, 200), (7, 3, 40)]
)
def test_fused_panels_products_match_numpy(dtype, rows, kc, n):
    a, w, bias = product_case(dtype, rows, kc, n, seed=rows * 100 + n)
    expected = a[:, 3:].astype(np.float64) @ w.T.astype(np.float64) + bias
    scale = np.abs(expected).max()
    width = _packing.padded(n, dtype)
    c = np.zeros(width + 5, dtype)
    c[5 : 5 + n] = bias
    for source in (w.T, np.ascontiguousarray(w.T)):  # transposing fill and row fill
        for nvmax in (4, 6):
            weights, (table,) = _packing.pack_tables([[(source, 3, 0)]], dtype, nvmax)
            out = np.full((rows, width + 2), np.nan, dtype)
            for flip in (False, True):
                _panels.run_panels(
                    a.ravel(), 0, kc + 3, rows, weights, table, 0, table.size // 5, c, 5, 0,
                    out.ravel(), 2, width + 2, flip,
                )  # fmt: skip
                np.testing.assert_allclose(
                    out[:, 2 : 2 + n], expected, rtol=0, atol=TOLERANCE[dtype] * scale
                )
                assert np.all(out[:, 2 + n :] == 0)  # padding columns: c's zeros


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(("rows", "kc"), [(1, 3), (6, 1), (9, 32)])
def test_fused_panels_gemm_rows_transposed_accumulates(dtype, rows, kc):
    """``out += a^T @ w`` with ``a`` read transposed (lda = 1, ldk = rows), as for dW^T."""
    rng = np.random.default_rng(rows + kc)
    cols = 3 * _packing.lanes(dtype)
    a = rng.normal(size=(kc, rows)).astype(dtype)  # element (r, k) at k * rows + r
    w = rng.normal(size=(kc, cols + 4)).astype(dtype)  # row stride cols + 4, from column 2
    out = rng.normal(size=(rows, cols)).astype(dtype)
    expected = out.astype(np.float64) + a.T.astype(np.float64) @ w[:, 2 : 2 + cols]
    _panels.gemm_rows(
        a.ravel(), 0, 1, rows, rows, w.ravel(), 2, cols + 4, kc, cols, out.ravel(), 0, cols,
        out.ravel(), 0, cols, 4,
    )  # fmt: skip
    np.testing.assert_allclose(out, expected, rtol=0, atol=TOLERANCE[dtype] * kc * 10)


def test_fused_panels_plan_is_cached_per_shape():
    w = np.ones((8, 20), np.float32)
    first = _packing.pack_tables([[(w, 0, 0)]], np.float32, 4)
    second = _packing.pack_tables([[(w * 2, 0, 0)]], np.float32, 4)
    assert first[1][0] is second[1][0]  # the same table object: planned once
    assert not np.shares_memory(first[0], second[0])  # the weights are fresh each time
    assert first[0].ctypes.data % 64 == 0 and second[0][0] == 2


@njit
def _half_of(values):
    previous = _panels.ftz_enter()
    result = values[0] * np.float32(0.5)
    _panels.ftz_leave(previous)
    return result


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"), reason="MXCSR exists on x86-64 only"
)
def test_fused_panels_ftz_flushes_inside_and_restores():
    control = ~0x3F  # MXCSR without the sticky exception flags (bits 0-5)
    tiny = np.array([1.5e-38], np.float32)  # half of it is subnormal
    before = get_mxcsr() & control
    assert _half_of(tiny) == 0.0
    assert get_mxcsr() & control == before
    assert tiny[0] * np.float32(0.5) != 0  # gradual underflow outside
