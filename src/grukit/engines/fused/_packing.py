"""Packing weight matrices into the panels of ``_panels`` (layout in that module's docstring).

The layout (panel table, offsets, which panel comes from which columns) depends only on the
shapes, so it is planned once per shape and cached; each call then only allocates the buffer
and fills it, with one numba call per source matrix. The matrices themselves are never cached:
a tensor can change in place without PyTorch noticing (through ``.data`` or a NumPy view), so
the weights are re-read at every call.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from numba import njit

from grukit.engines.fused._panels import JIT_OPTIONS, VECTOR_BYTES, VECTOR_SIZES

ALIGN = 64  # bytes; every panel starts on a cache line when the buffer does

#: ``(M (kc, n), k0, col)``: output columns ``col .. col + n`` of ``a[:, k0:k0 + kc] @ M``
Group: TypeAlias = tuple[np.ndarray, int, int]
#: per product, per group ``(kc, n, k0, col)``: what a packing's layout depends on
_Shapes: TypeAlias = tuple[tuple[tuple[int, int, int, int], ...], ...]


def lanes(dtype: npt.DTypeLike) -> int:
    """Elements per SIMD vector for a NumPy float dtype."""
    return VECTOR_BYTES // np.dtype(dtype).itemsize


def padded(n: int, dtype: npt.DTypeLike) -> int:
    """``n`` rounded up to whole vectors."""
    width = lanes(dtype)
    return -(-n // width) * width


def nvmax_for(rows: int) -> int:
    """Panel width (vectors) for products with this many rows: 6 for mat-vecs, else 4 (16
    accumulators in a 4 x 4 block)."""
    return VECTOR_SIZES[-1] if rows == 1 else 4


def fit(count: int, limit: int, sizes: Sequence[int]) -> int:
    """The largest of ``sizes`` not above ``count`` or ``limit`` (``sizes`` start at 1)."""
    best = 1
    for size in sizes:
        if size <= count and size <= limit:
            best = size
    return best


def aligned_empty(count: int, dtype: npt.DTypeLike, *, zero: bool = False) -> np.ndarray:
    """A 1-D array of ``count`` elements whose data starts on a 64-byte boundary."""
    dtype = np.dtype(dtype)
    raw = (np.zeros if zero else np.empty)(count * dtype.itemsize + ALIGN, np.uint8)
    start = -raw.ctypes.data % ALIGN
    return raw[start : start + count * dtype.itemsize].view(dtype)


@njit(**JIT_OPTIONS)
def _fill(matrix: np.ndarray, dst: np.ndarray, fills: np.ndarray) -> None:
    """For each ``(w_off, first, width)`` row of ``fills``: ``dst[w_off + k * width + jj] =
    matrix[k, first + jj]`` (0 past its last column)."""
    kc, n = matrix.shape
    for f in range(fills.shape[0]):
        w_off, first, width = fills[f, 0], fills[f, 1], fills[f, 2]
        stop = min(width, n - first)
        for k in range(kc):
            row = dst[w_off + k * width : w_off + (k + 1) * width]
            row[:stop] = matrix[k, first : first + stop]
            row[stop:] = 0


@njit(**JIT_OPTIONS)
def _fill_transposed(source: np.ndarray, dst: np.ndarray, fills: np.ndarray) -> None:
    """As :func:`_fill` for ``matrix = source.T``: ``dst[...] = source[first + jj, k]``."""
    n, kc = source.shape
    for f in range(fills.shape[0]):
        w_off, first, width = fills[f, 0], fills[f, 1], fills[f, 2]
        for jj in range(width):
            j = first + jj
            if j < n:
                row = source[j]
                for k in range(kc):
                    dst[w_off + k * width + jj] = row[k]
            else:
                for k in range(kc):
                    dst[w_off + k * width + jj] = 0


@functools.lru_cache(maxsize=256)
def _plan(
    shapes: _Shapes, width: int, nvmaxes: tuple[int, ...]
) -> tuple[list[np.ndarray], list[list[np.ndarray]], int]:
    """Tables and fill lists for ``shapes`` (per product, per group ``(kc, n, k0, col)``)."""
    tables: list[np.ndarray] = []
    fills: list[list[np.ndarray]] = []
    offset = 0
    for groups, nvmax in zip(shapes, nvmaxes, strict=True):
        table: list[int] = []
        group_fills: list[np.ndarray] = []
        for kc, n, k0, col in groups:
            vectors, start = -(-n // width), 0
            rows: list[tuple[int, int, int]] = []
            while start < vectors:
                nv = fit(vectors - start, nvmax, VECTOR_SIZES)
                table += [offset, k0, kc, col + start * width, nv]
                rows.append((offset, start * width, nv * width))
                offset += kc * nv * width
                start += nv
            group_fills.append(np.array(rows, dtype=np.int64).reshape(-1, 3))
        tables.append(np.array(table, dtype=np.int64))
        fills.append(group_fills)
    return tables, fills, offset


def pack_tables(
    group_lists: Sequence[Sequence[Group]], dtype: npt.DTypeLike, nvmax: int | Sequence[int]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Pack several products into one aligned weight buffer: ``(weights, [table, ...])``.

    Each entry of ``group_lists`` is a list of groups ``(M (kc, n), k0, col)``: ``M`` holds the
    output columns ``col .. col + n`` of the product ``a[:, k0:k0 + kc] @ M``, padded with zero
    columns to whole vectors and split into panels of at most ``nvmax`` vectors (one width for
    all products, or a list). ``M`` may be a transposed view (``W.T``): its panels are then
    filled by a transposing copy. The tables are cached per shape: do not modify them.
    """
    dtype = np.dtype(dtype)
    nvmaxes = [nvmax] * len(group_lists) if isinstance(nvmax, int) else nvmax
    shapes = tuple(
        tuple((m.shape[0], m.shape[1], int(k0), int(col)) for m, k0, col in groups)
        for groups in group_lists
    )
    tables, fills, total = _plan(shapes, lanes(dtype), tuple(nvmaxes))
    weights = aligned_empty(max(total, 1), dtype)
    for groups, group_fills in zip(group_lists, fills, strict=True):
        for (matrix, _, _), rows in zip(groups, group_fills, strict=True):
            if matrix.flags.f_contiguous and not matrix.flags.c_contiguous:
                _fill_transposed(matrix.T.astype(dtype, copy=False), weights, rows)
            else:
                _fill(np.ascontiguousarray(matrix, dtype=dtype), weights, rows)
    return weights, tables


def gate_groups(
    matrix: np.ndarray, gates: int, k0: int, col0: int, hidden: int, dtype: npt.DTypeLike
) -> list[Group]:
    """Groups for ``gates`` consecutive gate blocks of ``matrix`` (kc, gates * H) whose outputs
    start every ``Hv`` columns from ``col0``: one group when ``H`` fills whole vectors (no
    padding between blocks; ``matrix`` is then used as given, e.g. a transposed view)."""
    hv = padded(hidden, dtype)
    if hv == hidden:
        return [(matrix, k0, col0)]
    blocks = [matrix[:, g * hidden : (g + 1) * hidden] for g in range(gates)]
    return [(block, k0, col0 + g * hv) for g, block in enumerate(blocks)]
