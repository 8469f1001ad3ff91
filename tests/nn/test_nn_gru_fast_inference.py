"""``GRU.forward``'s fast inference path (``grukit.nn._inference``, taken when
``grukit.nn.planning.plain_inference`` says so) gives the general path's numbers, bit for bit,
and is taken exactly when the general path would run the fused engine with no gradient."""

from __future__ import annotations

import contextlib

import pytest
import torch

import grukit
import grukit.engines.fused.inference as fused_inference


@pytest.fixture
def fast_calls(monkeypatch):
    calls = []
    original = fused_inference.infer_stack

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(fused_inference, "infer_stack", spy)
    return calls


CONFIGS = [
    {},
    {"num_layers": 3},
    {"batch_first": False, "num_layers": 2},
    {"reset_after": False, "num_layers": 2},
    {"bias": False},
    {"engine": "fused", "dropout": 0.5, "num_layers": 2},  # eval: dropout off
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("with_h0", [False, True])
def test_fast_path_equals_the_general_path(config, dtype, with_h0, fast_calls):
    torch.manual_seed(0)
    gru = grukit.GRU(4, 6, **config).to(dtype).eval()
    batch, steps = 3, 7
    shape = (batch, steps, 4) if gru.batch_first else (steps, batch, 4)
    x = torch.randn(shape, dtype=dtype)
    h0 = torch.randn(gru.num_layers, batch, 6, dtype=dtype) if with_h0 else None
    full = torch.full((batch,), steps)
    with torch.no_grad():
        fast_out, fast_h = gru(x, h0)
        assert fast_calls == [1] and gru.last_engine == "fused"
        gru.last_engine = None
        general_out, general_h = gru(x, h0, lengths=full)  # lengths: the general path
        assert fast_calls == [1] and gru.last_engine == "fused"
    assert fast_out.shape == general_out.shape and fast_h.shape == general_h.shape
    assert torch.equal(fast_out, general_out)
    assert torch.equal(fast_h, general_h)


def test_fast_path_follows_weight_updates(fast_calls):
    gru = grukit.GRU(2, 5).eval()
    x = torch.randn(1, 6, 2)
    with torch.no_grad():
        before, _ = gru(x)
        gru.weight_hh_l0.data.mul_(0.5)  # no version bump: the bitwise check must see it
        after, _ = gru(x)
        expected, _ = gru(x, lengths=torch.tensor([6]))
    assert not torch.equal(before, after)
    assert torch.equal(after, expected)
    assert len(fast_calls) == 2


@pytest.mark.parametrize(
    ("config", "make_input", "grad"),
    [
        pytest.param({}, lambda x: x, True, id="gradient"),
        pytest.param({"bidirectional": True}, lambda x: x, False, id="bidirectional"),
        pytest.param({"go_backwards": True}, lambda x: x, False, id="go_backwards"),
        pytest.param({"layer_norm": True}, lambda x: x, False, id="layer_norm"),
        pytest.param({"engine": "torch"}, lambda x: x, False, id="torch-engine"),
        pytest.param({"engine": "native"}, lambda x: x, False, id="native-engine"),
        pytest.param({}, lambda x: x[0], False, id="unbatched"),
        pytest.param({}, lambda x: x.double(), False, id="other-dtype"),
    ],
)
def test_fast_path_is_not_taken_where_the_general_path_differs(
    config, make_input, grad, fast_calls
):
    gru = grukit.GRU(2, 5, **config).eval()
    x = make_input(torch.randn(3, 4, 2))
    # the dtype mismatch raises (in the general path, as before); the rest runs
    with torch.set_grad_enabled(grad), contextlib.suppress(ValueError):
        gru(x)
    assert fast_calls == []


def test_auto_keeps_large_batches_on_native(fast_calls):
    from grukit.nn.planning import FUSED_INFERENCE_MAX_BATCH

    gru = grukit.GRU(2, 3).eval()
    with torch.no_grad():
        gru(torch.randn(FUSED_INFERENCE_MAX_BATCH + 1, 2, 2))
        assert fast_calls == [] and gru.last_engine == "native"
        gru(torch.randn(FUSED_INFERENCE_MAX_BATCH, 2, 2))
    assert fast_calls == [1] and gru.last_engine == "fused"


def test_bad_arguments_get_the_general_paths_errors():
    gru = grukit.GRU(2, 3).eval()
    with torch.no_grad(), pytest.raises(ValueError, match="h0"):
        gru(torch.randn(1, 4, 2), torch.zeros(2, 1, 3))
    with torch.no_grad(), pytest.raises(ValueError, match="x"):
        gru(torch.randn(1, 4, 5))


def test_fast_path_splits_batches_like_the_general_path(fast_calls, monkeypatch):
    from grukit.engines.fused import _row_parallel

    monkeypatch.setattr(_row_parallel, "MIN_SHARD_FLOPS", 1)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.manual_seed(3)
        gru = grukit.GRU(4, 6, num_layers=2).eval()
        x = torch.randn(5, 7, 4)
        with torch.no_grad():
            fast_out, fast_h = gru(x)
            general_out, general_h = gru(x, lengths=torch.full((5,), 7))
    finally:
        torch.set_num_threads(before)
    assert fast_calls == [1]
    assert torch.equal(fast_out, general_out) and torch.equal(fast_h, general_h)
