"""Split a batch over threads: the rows of a GRU are independent, so the fused kernels can run
on row shards at the same time, one thread each, with no synchronisation inside.

The number of shards is PyTorch's intra-op thread count (``torch.get_num_threads()``, which
``grukit.set_num_threads`` and ``GRUKIT_NUM_THREADS`` set), so grukit uses the cores the user
gave PyTorch and no more; calls too small to gain (under ``MIN_SHARD_FLOPS`` per shard) and
batches of one row stay on the calling thread. Shards are at least ``ROW_BLOCK`` rows (the
register block of the product kernel) except the last.

The shards run on PyTorch's own OpenMP workers (``grukit.runtime.denormals.
run_on_torch_threads``, the calling thread taking shard 0): after each PyTorch operation those
workers spin for a while, so a thread of any other pool would share its core with a spinning
worker (measured: no gain at all from two threads that way). Where PyTorch's libgomp is not
reachable, a ``ThreadPoolExecutor`` runs them instead. The kernels release the GIL and set
FTZ/DAZ on whichever thread runs them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeAlias, TypeVar

import torch

from grukit.engines.fused import _saved_activations
from grukit.runtime.denormals import run_on_torch_threads

#: Multiply-adds a shard must have for a split to pay (thread hand-off costs ~20-50 us).
MIN_SHARD_FLOPS = 8_000_000
#: Rows of the product kernel's register block: shards are whole multiples where possible.
ROW_BLOCK = 4
#: Multiply-adds a training shard must have (its forward and backward both run on the shard).
#: Training keeps a record of every step (5 T B H floats) for the backward pass; it comes from a
#: pool (``_saved_activations``) whose buffers are reused once autograd frees them, so two shards
#: do not fault fresh pages at once; training shards only when its whole record is at most
#: ``_saved_activations.MAX_RECORD_BYTES`` (every shard's record is then pooled). Sharded
#: training used to be erratic (1.2x faster in one run, 1.6x slower in the next): a reference cycle
#: (``ctypes.cast`` of the OpenMP callback) kept every shard's arrays alive until the next
#: garbage collection. Interleaved A/B, B = 32, one thread vs two shards (ms): H = 128, T = 50:
#: 6.40 vs 4.48; T = 200: 19.8 vs 13.4; H = 64, T = 50: 2.60-2.79 vs 2.11-2.46; T = 200: 9.79
#: vs 8.02; H = 32, T = 50: 1.60 vs 1.75 (too small to gain).
MIN_TRAINING_SHARD_FLOPS = 10_000_000

#: row ranges ``[(start, stop), ...]`` covering a batch
Shards: TypeAlias = list[tuple[int, int]]
_Result = TypeVar("_Result")

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def row_shards(batch: int, flops_per_row: int, record_bytes: int = 0) -> Shards:
    """Row ranges ``[(start, stop), ...]`` covering ``range(batch)``: one range unless several
    threads are allowed, each shard keeps at least ``MIN_SHARD_FLOPS`` of work (training,
    i.e. ``record_bytes`` > 0: ``MIN_TRAINING_SHARD_FLOPS``) and the training record is at
    most ``_saved_activations.MAX_RECORD_BYTES`` (pooled)."""
    if record_bytes > _saved_activations.MAX_RECORD_BYTES:
        return [(0, batch)]
    minimum = MIN_TRAINING_SHARD_FLOPS if record_bytes else MIN_SHARD_FLOPS
    threads = torch.get_num_threads()
    count = min(threads, batch, max(1, batch * flops_per_row // max(minimum, 1)))
    if count <= 1:
        return [(0, batch)]
    size = -(-batch // count)  # ceil
    if size > ROW_BLOCK:
        size = -(-size // ROW_BLOCK) * ROW_BLOCK
    bounds = list(range(0, batch, size)) + [batch]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grukit-fused")
            _pool_size = workers
        return _pool


def run_shards(work: Callable[[int, int, int], _Result], shards: Shards) -> list[_Result]:
    """``[work(index, start, stop) for each shard]``, the shards in parallel (the last one on
    this thread); exceptions propagate after every shard has finished."""
    if len(shards) == 1:
        return [work(0, *shards[0])]
    results: list[Any] = [None] * len(shards)

    def run(index: int) -> None:
        results[index] = work(index, *shards[index])

    if run_on_torch_threads(len(shards), run):
        if all(result is not None for result in results):
            return results
        raise RuntimeError(  # pragma: no cover - libgomp gave fewer threads than asked
            "grukit: PyTorch's OpenMP pool ran fewer threads than shards"
        )
    pool = _executor(len(shards) - 1)
    futures = [pool.submit(work, i, start, stop) for i, (start, stop) in enumerate(shards[:-1])]
    try:
        last = work(len(shards) - 1, *shards[-1])
    finally:
        results = [future.result() for future in futures]
    return [*results, last]
