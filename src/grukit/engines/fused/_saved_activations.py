"""The activations the fused training forward saves for its backward pass, from a pool.

Training keeps ``h_prev, r, z, n, a`` for every step (5 T B H floats: 3.3 MB at B = 32, T = 50,
H = 128) until autograd runs the backward and frees them. A fresh array for every forward pass
costs a page fault per 4 KiB on first touch; on the virtual machines this targets those faults
are slow and erratic, worst when two threads (row shards) take them at once. Unlike the work
arrays of ``_workspace``, such a record cannot simply be reused by the next call: autograd may
still hold it (stacked layers, several forward passes before one backward, ``retain_graph``).

So each record is lent out as an array over a pooled buffer, and a ``weakref.finalize`` on the
array that owns the loan returns the buffer to the pool when the last reference to it dies
(``torch.from_numpy`` keeps it alive, and so does every NumPy view or tensor made from it: the
loan is an array over a ``memoryview``, where NumPy's collapsing of view bases stops). A
buffer is therefore never handed out twice while anything can still read it; a leaked record
only means the next call allocates. The pool keeps at most ``MAX_FREE_BYTES`` of idle buffers
and no buffer over ``MAX_RECORD_BYTES`` (there the computation dwarfs the faults);
``grukit.engines.fused.release_memory()`` drops the idle ones.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict

import numpy as np
import numpy.typing as npt

#: Larger records are allocated per call and never pooled.
MAX_RECORD_BYTES = 64 * 1024 * 1024
#: Idle buffers kept, in bytes, over all shapes (the oldest shapes are dropped first).
MAX_FREE_BYTES = 128 * 1024 * 1024

# re-entrant: a finalizer may run inside ``lend`` when an allocation triggers garbage collection
_lock = threading.RLock()
_free: OrderedDict[tuple[tuple[int, ...], np.dtype], list[np.ndarray]] = OrderedDict()
_free_bytes = 0


def lend(shape: tuple[int, ...], dtype: npt.DTypeLike) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` (contents undefined) that nothing else references;
    its memory goes back to the pool when the returned array and everything made from it die."""
    global _free_bytes
    kind = np.dtype(dtype)
    nbytes = math.prod(shape) * kind.itemsize
    if nbytes == 0 or nbytes > MAX_RECORD_BYTES:
        return np.empty(shape, kind)
    key = (tuple(shape), kind)
    with _lock:
        buffers = _free.get(key)
        if buffers:
            buffer = buffers.pop()
            _free_bytes -= nbytes
        else:
            buffer = None
    if buffer is None:
        buffer = np.empty(shape, kind)
    # NumPy collapses the base of a view of a view to the array that owns the memory, so a
    # finalizer on ``buffer.view()`` would fire while slices of it still live. An array over a
    # memoryview stops that collapse: everything made from ``lent`` keeps ``owner`` alive.
    owner = np.frombuffer(buffer.reshape(-1).data, kind)  # ``.data``: a memoryview
    weakref.finalize(owner, _give_back, key, buffer).atexit = False
    lent = owner.reshape(shape)
    return lent


def _give_back(key: tuple[tuple[int, ...], np.dtype], buffer: np.ndarray) -> None:
    global _free_bytes
    with _lock:
        _free.setdefault(key, []).append(buffer)
        _free.move_to_end(key)
        _free_bytes += buffer.nbytes
        while _free_bytes > MAX_FREE_BYTES and _free:
            oldest = next(iter(_free))
            dropped = _free[oldest]
            while dropped and _free_bytes > MAX_FREE_BYTES:
                _free_bytes -= dropped.pop(0).nbytes
            if not dropped:
                del _free[oldest]


def idle_bytes() -> int:
    """Bytes held by idle pooled buffers."""
    return _free_bytes


def clear() -> None:
    """Drop every idle buffer (records still lent out return to the pool when freed)."""
    global _free_bytes
    with _lock:
        _free.clear()
        _free_bytes = 0
