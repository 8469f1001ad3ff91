"""The inference pack cache of the fused engine is reused only for bit-identical weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grukit.engines.fused import _layer_weights, gru_layer


def weights(hidden=8, inputs=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randn(3 * hidden, inputs, generator=g) * 0.3,
        torch.randn(3 * hidden, hidden, generator=g) * 0.3,
        torch.randn(3 * hidden, generator=g) * 0.1,
        torch.randn(3 * hidden, generator=g) * 0.1,
    ]


def run(w, x, reset_after=True):
    with torch.no_grad():
        return gru_layer(x, None, *w, reset_after=reset_after)[0]


def fresh(w, x, reset_after=True):
    """The same call with every weight copied to new tensors (a guaranteed cache miss)."""
    return run([t.clone() for t in w], x, reset_after)


@pytest.fixture(autouse=True)
def empty_cache():
    _layer_weights.INFERENCE_PACKS.entries.clear()
    yield
    _layer_weights.INFERENCE_PACKS.entries.clear()


def test_repeated_inference_reuses_the_packing(monkeypatch):
    w, x = weights(), torch.randn(2, 5, 3)
    first = run(w, x)
    calls = []
    original = _layer_weights.pack_forward
    monkeypatch.setattr(
        _layer_weights, "pack_forward", lambda *a: calls.append(1) or original(*a), raising=True
    )
    second = run(w, x)
    assert torch.equal(first, second)
    assert calls == []  # served from the cache


@pytest.mark.parametrize("how", ["data", "numpy_view", "in_place", "bias"])
def test_any_change_to_the_weights_invalidates_the_cache(how):
    w, x = weights(), torch.randn(2, 5, 3)
    run(w, x)
    if how == "data":  # no version-counter bump: only the bitwise comparison sees it
        w[1].data.mul_(0.5)
    elif how == "numpy_view":
        w[0].numpy()[0, 0] += 1.0
    elif how == "in_place":
        w[1].add_(0.01)
    else:
        w[3].numpy()[-1] = 2.0
    torch.testing.assert_close(run(w, x), fresh(w, x), atol=0, rtol=0)


def test_formulation_and_batch_shape_are_part_of_the_key():
    w = weights()
    x1, x4 = torch.randn(1, 5, 3), torch.randn(4, 5, 3)
    for x in (x1, x4, x1):
        for reset_after in (True, False):
            got = run(w, x, reset_after)
            torch.testing.assert_close(got, fresh(w, x, reset_after), atol=0, rtol=0)


def test_the_cache_stays_small():
    x = torch.randn(1, 3, 3)
    alive = []  # freed tensors could give their addresses (part of the key) to the next ones
    for seed in range(_layer_weights.INFERENCE_PACKS.size + 5):
        alive.append(weights(seed=seed))
        run(alive[-1], x)
    assert len(_layer_weights.INFERENCE_PACKS.entries) == _layer_weights.INFERENCE_PACKS.size


def test_training_calls_do_not_fill_the_cache():
    w = [t.requires_grad_(True) for t in weights()]
    output, _ = gru_layer(torch.randn(2, 5, 3), None, *w, reset_after=True)
    output.sum().backward()
    assert _layer_weights.INFERENCE_PACKS.entries == {}
    assert np.isfinite(w[1].grad.numpy()).all()


@pytest.mark.parametrize("before", [0.0, float("nan")])
def test_the_comparison_is_bitwise(before, monkeypatch):
    """-0.0 == 0.0 as floats, yet it is another weight; a NaN weight is still the same one."""
    w, x = weights(), torch.randn(1, 4, 3)
    w[1].numpy()[0, 0] = before
    run(w, x)
    calls = []
    original = _layer_weights.pack_forward
    monkeypatch.setattr(
        _layer_weights, "pack_forward", lambda *a: calls.append(1) or original(*a), raising=True
    )
    run(w, x)
    assert calls == []  # unchanged bits, NaN included: a hit
    w[1].numpy()[0, 0] = -0.0 if before == 0.0 else 1.0
    run(w, x)
    assert calls == [1]


def test_non_contiguous_weights_are_compared_too():
    w, x = weights(), torch.randn(2, 5, 3)
    w[1] = w[1].t().contiguous().t()  # same values, column-major storage
    assert not w[1].is_contiguous()
    run(w, x)
    w[1].numpy()[2, 1] += 0.5
    torch.testing.assert_close(run(w, x), fresh(w, x), atol=0, rtol=0)
