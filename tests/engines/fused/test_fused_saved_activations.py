"""The pool of training records: a buffer is reused only once nothing can read it any more.

No ``gc.collect()`` here: a record must return to the pool as soon as its last reference dies
(reference counting), because that is when the next training step asks for one."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from grukit.engines.fused import _saved_activations


@pytest.fixture(autouse=True)
def empty_pool():
    _saved_activations.clear()
    yield
    _saved_activations.clear()


def _base(array: np.ndarray) -> np.ndarray:
    """The pooled buffer behind a lent array."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array.base.obj.base if isinstance(array.base, memoryview) else array


def _lent_and_freed(shape: tuple[int, ...], dtype) -> np.ndarray:
    """Lend a record, drop it at once; return the buffer that went back to the pool."""
    return _base(_saved_activations.lend(shape, dtype))


def test_a_freed_record_is_reused():
    first = _saved_activations.lend((5, 3, 2, 4), np.float32)
    assert first.shape == (5, 3, 2, 4) and first.dtype == np.float32
    assert first.flags.c_contiguous and first.flags.writeable
    buffer = _base(first)
    del first
    assert _saved_activations.idle_bytes() == buffer.nbytes
    second = _saved_activations.lend((5, 3, 2, 4), np.float32)
    assert _base(second) is buffer
    assert _saved_activations.idle_bytes() == 0


def test_a_record_held_by_a_tensor_or_a_view_is_not_lent_again():
    record = _saved_activations.lend((5, 2, 2, 3), np.float32)
    buffer = _base(record)
    tensor = torch.from_numpy(record)  # what save_for_backward keeps
    part = record[1:3].T[::2]  # NumPy collapses view bases: this must still hold the loan
    del record
    other = _saved_activations.lend((5, 2, 2, 3), np.float32)
    assert _base(other) is not buffer  # the tensor holds it
    del tensor
    assert _saved_activations.idle_bytes() == 0  # the NumPy view still holds it
    del part
    assert _base(_saved_activations.lend((5, 2, 2, 3), np.float32)) is buffer


def test_tensor_numpy_round_trip_keeps_the_record():
    record = _saved_activations.lend((5, 1, 2, 3), np.float64)
    buffer = _base(record)
    array = torch.from_numpy(record).numpy()  # what the backward pass reads
    del record
    assert _saved_activations.idle_bytes() == 0
    array[...] = 1.0
    del array
    assert _base(_saved_activations.lend((5, 1, 2, 3), np.float64)) is buffer


def test_shapes_and_dtypes_do_not_mix():
    buffer = _lent_and_freed((5, 1, 2, 3), np.float32)
    others = [
        _saved_activations.lend((5, 1, 2, 3), np.float64),
        _saved_activations.lend((5, 1, 3, 2), np.float32),
    ]
    assert all(_base(other) is not buffer for other in others)
    assert _base(_saved_activations.lend((5, 1, 2, 3), np.float32)) is buffer


def test_idle_buffers_are_bounded_and_large_records_not_pooled(monkeypatch):
    monkeypatch.setattr(_saved_activations, "MAX_FREE_BYTES", 2 * 5 * 8 * 4)
    records = [_saved_activations.lend((5, 8), np.float32) for _ in range(3)]
    del records
    assert _saved_activations.idle_bytes() == 2 * 5 * 8 * 4  # two of the three kept
    monkeypatch.setattr(_saved_activations, "MAX_RECORD_BYTES", 100)
    big = _saved_activations.lend((5, 8), np.float32)  # 160 bytes
    assert big.base is None  # a plain array, no pool behind it
    assert _saved_activations.lend((5, 0, 2), np.float32).size == 0


def test_records_freed_on_another_thread_return_to_the_pool():
    record = _saved_activations.lend((5, 2, 2, 2), np.float32)
    buffer = _base(record)
    holder = [record]
    del record
    thread = threading.Thread(target=holder.clear)
    thread.start()
    thread.join()
    assert _base(_saved_activations.lend((5, 2, 2, 2), np.float32)) is buffer


def test_release_memory_drops_idle_records():
    from grukit.engines.fused import release_memory

    _lent_and_freed((5, 2, 3), np.float32)
    assert _saved_activations.idle_bytes() > 0
    release_memory()
    assert _saved_activations.idle_bytes() == 0
