"""Threads: ``GRU.step`` on one module from several threads; a streamer used by one thread only."""

from __future__ import annotations

import copy
import functools
import pickle
import threading

import numpy as np
import pytest
import torch

import grukit

THREADS = 4


def _in_threads(work, count: int = THREADS) -> list:
    """``work(k)`` in ``count`` threads started together; their results, or their exceptions."""
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(k: int) -> None:
        barrier.wait()
        try:
            results[k] = work(k)
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[k] = error

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_step_from_threads_on_one_module_equals_single_threaded_steps():
    # 800 sequences of batch 16: before each thread had its own steppers, dozens of these
    # came out wrong (the threads shared the steppers' scratch arrays)
    torch.manual_seed(0)
    gru = grukit.GRU(8, 32, num_layers=2).eval()
    sequences, steps = 800, 10
    x = torch.randn(sequences, steps, 16, 8)

    def final_state(sequence: int) -> torch.Tensor:
        state = None
        with torch.no_grad():
            for t in range(steps):
                _, state = gru.step(x[sequence, t], state)
        assert gru.last_engine == "fused"
        return state

    expected = [final_state(i) for i in range(sequences)]
    got: list = [None] * sequences

    def work(k: int) -> None:
        for i in range(k, sequences, THREADS):
            got[i] = final_state(i)

    assert _in_threads(work) == [None] * THREADS
    wrong = [i for i in range(sequences) if not torch.equal(got[i], expected[i])]
    assert wrong == [], f"{len(wrong)} of {sequences} sequences differ from single-threaded steps"


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_a_copied_module_steps_as_the_original(duplicate):
    gru = grukit.GRU(3, 5).eval()
    x_t = torch.randn(2, 3)
    with torch.no_grad():
        gru.step(x_t)  # packs the steppers that the copy must not share
        twin = duplicate(gru)
        twin.weight_hh_l0.mul_(0.5)
        torch.testing.assert_close(twin.step(x_t)[0], twin(x_t[:, None])[0][:, 0])
        torch.testing.assert_close(gru.step(x_t)[0], gru(x_t[:, None])[0][:, 0])


def _steps(streamer, x_t, count: int) -> list[np.ndarray]:
    return [streamer.step(x_t).copy() for _ in range(count)]


STREAMERS = {"fused": {}, "torch": {"layer_norm": True}}  # the two routes a streamer plans


@pytest.mark.parametrize("options", STREAMERS.values(), ids=STREAMERS.keys())
def test_a_streamer_refuses_steps_from_a_thread_other_than_its_first_steps(options):
    streamer = grukit.GRU(3, 5, **options).eval().streamer(batch_size=2)
    x_t = np.ones((2, 3), np.float32)
    streamer.step(x_t)
    before = streamer.state.clone()
    (error,) = _in_threads(lambda k: streamer.step(x_t), count=1)
    assert isinstance(error, RuntimeError)
    assert "a GRUStreamer belongs to the thread that made its first step" in str(error)
    assert "create one streamer per thread" in str(error)
    assert torch.equal(streamer.state, before)  # the refused step changed nothing
    streamer.step(x_t)  # the owner goes on


def test_a_streamer_shared_by_threads_serves_exactly_one_of_them():
    # before, every thread stepped the one shared state, unrefused
    gru, x_t = grukit.GRU(3, 5, num_layers=2).eval(), np.ones((2, 3), np.float32)
    for _ in range(20):
        steps = functools.partial(_steps, gru.streamer(batch_size=2), x_t, 50)
        results = _in_threads(lambda k, steps=steps: steps())
        served = [r for r in results if not isinstance(r, Exception)]
        assert len(served) == 1, results
        assert all(isinstance(r, RuntimeError) for r in results if r is not served[0])


def test_a_streamer_made_in_one_thread_belongs_to_the_thread_that_steps_it():
    gru = grukit.GRU(3, 5).eval()
    streamer = gru.streamer(batch_size=1)
    x = np.random.default_rng(0).standard_normal((4, 1, 3)).astype(np.float32)
    (outputs,) = _in_threads(lambda k: [streamer.step(x_t).copy() for x_t in x], count=1)
    with torch.no_grad():
        expected = gru(torch.from_numpy(x).transpose(0, 1))[0][0].numpy()
    np.testing.assert_allclose(np.concatenate(outputs), expected, atol=1e-5, rtol=0)
