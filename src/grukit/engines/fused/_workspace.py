"""The fused engine's workspace: work arrays kept between calls, one set per calling thread.

Allocating the large per-call work arrays afresh (the input projections of a whole sequence,
the per-shard copies of a split batch: tens of MB at B = 128, H = 256) costs a page fault per
4 KiB on first touch. On the virtual machines this targets those faults are slow and erratic,
and they were the difference between a sharded call taking 15 ms and 40 ms. The arrays here
are kept between calls instead: one per (name, shard) and thread, replaced when the shape
changes, so memory stays bounded by the largest recent call; arrays over ``MAX_KEPT_BYTES``
are not kept (there the computation dwarfs the faults). Contents are undefined.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import numpy.typing as npt


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.arrays: dict[tuple[str, int], np.ndarray] = {}


_local = _PerThread()

#: Larger arrays are allocated per call rather than kept.
MAX_KEPT_BYTES = 64 * 1024 * 1024


def array(name: str, index: int, shape: tuple[int, ...], dtype: npt.DTypeLike) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` kept for (``name``, ``index``) on this thread."""
    key = (name, index)
    kept = _local.arrays.get(key)
    if kept is not None and kept.shape == shape and kept.dtype == dtype:
        return kept  # the hot path: one dict lookup, no np.prod (2 us)
    if math.prod(shape) * np.dtype(dtype).itemsize > MAX_KEPT_BYTES:
        _local.arrays.pop(key, None)
        return np.empty(shape, dtype)
    kept = np.empty(shape, dtype)
    _local.arrays[key] = kept
    return kept


def copy_rows(name: str, index: int, source: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``source[:, start:stop]`` (or ``source[start:stop]`` for 2-D) copied into a C-contiguous
    kept array."""
    part = source[:, start:stop] if source.ndim == 3 else source[start:stop]
    target = array(name, index, part.shape, source.dtype)
    np.copyto(target, part)
    return target


def clear() -> None:
    """Release this thread's kept work arrays."""
    _local.arrays.clear()
