"""Row shards of the fused engine: how a batch is split, and how the shards are run."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from grukit.engines.fused import _row_parallel, _saved_activations


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def test_small_work_and_one_thread_stay_whole(threads, monkeypatch):
    threads(2)
    assert _row_parallel.row_shards(32, 10) == [(0, 32)]  # too little work to pay for a hand-off
    assert _row_parallel.row_shards(1, 10**9) == [(0, 1)]  # one row
    threads(1)
    assert _row_parallel.row_shards(64, 10**9) == [(0, 64)]


@pytest.mark.parametrize(
    ("batch", "count", "expected"),
    [
        (32, 2, [(0, 16), (16, 32)]),
        (5, 2, [(0, 3), (3, 5)]),
        (10, 2, [(0, 8), (8, 10)]),  # whole register blocks of 4 rows first
        (5, 3, [(0, 2), (2, 4), (4, 5)]),
        (2, 4, [(0, 1), (1, 2)]),
    ],
)
def test_shards_cover_the_batch_in_order(threads, batch, count, expected):
    threads(count)
    assert _row_parallel.row_shards(batch, 10**9) == expected


@pytest.mark.parametrize("backend", ["omp", "pool"])
def test_run_shards_runs_each_shard_once_in_parallel_threads(backend, threads, monkeypatch):
    threads(2)
    if backend == "pool":
        monkeypatch.setattr(_row_parallel, "run_on_torch_threads", lambda count, action: False)
    seen = []

    def work(index, start, stop):
        seen.append((index, threading.get_ident()))
        return (start, stop)

    shards = [(0, 3), (3, 5)]
    assert _row_parallel.run_shards(work, shards) == shards
    assert sorted(i for i, _ in seen) == [0, 1]
    assert len({ident for _, ident in seen}) == 2  # two threads


@pytest.mark.parametrize("backend", ["omp", "pool"])
def test_run_shards_reraises_a_shards_error(backend, threads, monkeypatch):
    threads(2)
    if backend == "pool":
        monkeypatch.setattr(_row_parallel, "run_on_torch_threads", lambda count, action: False)

    def work(index, start, stop):
        if index == 1:
            raise ValueError(f"shard {index} failed")
        return index

    with pytest.raises(ValueError, match="shard 1 failed"):
        _row_parallel.run_shards(work, [(0, 1), (1, 2)])


def test_workspace_is_reused_per_thread_and_bounded(monkeypatch):
    from grukit.engines.fused import _workspace

    _workspace.clear()
    first = _workspace.array("gi", 0, (4, 5), np.float32)
    assert _workspace.array("gi", 0, (4, 5), np.float32) is first
    assert _workspace.array("gi", 1, (4, 5), np.float32) is not first  # another shard
    assert _workspace.array("gi", 0, (4, 6), np.float32).shape == (4, 6)  # replaced
    seen = []
    thread = threading.Thread(
        target=lambda: seen.append(_workspace.array("gi", 0, (4, 6), np.float32))
    )
    thread.start()
    thread.join()
    assert seen[0] is not _workspace.array("gi", 0, (4, 6), np.float32)  # per thread
    monkeypatch.setattr(_workspace, "MAX_KEPT_BYTES", 64)
    big = _workspace.array("gi", 0, (4, 5), np.float32)  # 80 bytes: not kept
    assert _workspace.array("gi", 0, (4, 5), np.float32) is not big
    source = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    rows = _workspace.copy_rows("x", 0, source, 1, 3)
    assert rows.flags.c_contiguous and np.array_equal(rows, source[:, 1:3])
    _workspace.clear()


def test_training_shards_only_pooled_records(threads):
    threads(2)
    limit = _saved_activations.MAX_RECORD_BYTES  # pooled records: no fresh pages to fault
    assert len(_row_parallel.row_shards(32, 10**9, record_bytes=limit)) == 2
    assert _row_parallel.row_shards(32, 10**9, record_bytes=limit + 1) == [(0, 32)]
    # training needs more work per shard than inference
    per_row = _row_parallel.MIN_SHARD_FLOPS // 16  # 32 rows: two inference shards' worth
    assert _row_parallel.MIN_TRAINING_SHARD_FLOPS > _row_parallel.MIN_SHARD_FLOPS
    assert len(_row_parallel.row_shards(32, per_row)) == 2
    assert _row_parallel.row_shards(32, per_row, record_bytes=1) == [(0, 32)]


def test_running_on_torch_threads_leaves_no_reference_cycle(threads):
    """The shards' arrays are freed as soon as the call returns, not at the next gc run (the
    training records' pool relies on it; ``ctypes.cast`` of the callback made a cycle)."""
    import gc
    import weakref

    from grukit.runtime.denormals import run_on_torch_threads

    threads(2)

    class Payload:
        pass

    payload = Payload()
    alive = weakref.ref(payload)

    def action(index, held=payload):  # held by the function, not by a cell that del empties
        assert held is not None

    enabled = gc.isenabled()
    gc.disable()
    try:
        if not run_on_torch_threads(2, action):
            pytest.skip("PyTorch's libgomp is not reachable here")
        del action, payload
        assert alive() is None
    finally:
        if enabled:
            gc.enable()
