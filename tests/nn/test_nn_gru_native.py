"""The native engine is torch.nn.GRU bit for bit; "auto" picks it exactly when it can."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import grukit
from grukit.nn import planning

PLAIN = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 3, "bidirectional": True},
    {"bias": False, "num_layers": 2, "bidirectional": True},
]


def twins(config, *, batch_first=True, dropout=0.0):
    torch.manual_seed(0)
    ours = grukit.GRU(3, 5, engine="native", batch_first=batch_first, dropout=dropout, **config)
    theirs = torch.nn.GRU(3, 5, batch_first=batch_first, dropout=dropout, **config)
    theirs.load_state_dict(ours.state_dict())  # same names and shapes, strict
    return ours, theirs


def assert_identical(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert torch.equal(a, b)


@pytest.mark.parametrize("config", PLAIN)
@pytest.mark.parametrize("batch_first", [True, False])
def test_native_is_bit_identical_to_torch_gru(config, batch_first):
    ours, theirs = twins(config, batch_first=batch_first)
    x = torch.randn((4, 9, 3) if batch_first else (9, 4, 3))
    D = 2 if theirs.bidirectional else 1
    h0 = torch.randn(theirs.num_layers * D, 4, 5)
    for args in [(x,), (x, h0)]:
        for a, b in zip(ours(*args), theirs(*args), strict=True):
            assert_identical(a, b)
    for a, b in zip(ours(x[:, 0] if not batch_first else x[0]), theirs(x[0]), strict=True):
        if batch_first:  # unbatched input is (T, I) in both layouts
            assert_identical(a, b)


@pytest.mark.parametrize("config", PLAIN)
def test_native_lengths_are_bit_identical_to_packed_torch_gru(config):
    ours, theirs = twins(config)
    x = torch.randn(5, 8, 3)
    lengths = torch.tensor([8, 3, 5, 1, 8])
    D = 2 if theirs.bidirectional else 1
    h0 = torch.randn(theirs.num_layers * D, 5, 5)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    packed_out, theirs_h_n = theirs(packed, h0)
    theirs_out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=8)
    ours_out, ours_h_n = ours(x, h0, lengths=lengths)
    assert_identical(ours_out, theirs_out)
    assert_identical(ours_h_n, theirs_h_n)


def test_native_zero_lengths_give_zero_output_and_initial_state():
    ours, theirs = twins({"num_layers": 2, "bidirectional": True})
    x = torch.randn(3, 6, 3, requires_grad=True)
    h0 = torch.randn(4, 3, 5, requires_grad=True)
    output, h_n = ours(x, h0, lengths=[0, 6, 0])
    assert torch.count_nonzero(output[[0, 2]]) == 0
    assert torch.equal(h_n[:, [0, 2]], h0[:, [0, 2]])
    reference_out, reference_h_n = theirs(x[1:2], h0[:, 1:2])
    # other batch composition than the packed run: equal up to float32 rounding
    torch.testing.assert_close(output[1:2], reference_out, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(h_n[:, 1:2], reference_h_n, rtol=1e-6, atol=1e-6)
    (output.sum() + h_n.sum()).backward()
    assert torch.count_nonzero(x.grad[[0, 2]]) == 0  # empty rows never read their inputs
    assert torch.equal(h0.grad[:, [0, 2]], torch.ones(4, 2, 5))  # h_n = h0 passes gradients


def test_native_dropout_in_training_draws_as_torch_gru():
    ours, theirs = twins({"num_layers": 3}, dropout=0.5)
    ours.train(), theirs.train()
    x = torch.randn(4, 7, 3)
    torch.manual_seed(123)
    a = ours(x)
    torch.manual_seed(123)
    b = theirs(x)
    for u, v in zip(a, b, strict=True):
        assert_identical(u, v)
    torch.manual_seed(124)
    assert not torch.equal(ours(x)[0], a[0])  # dropout is active in training
    ours.eval(), theirs.eval()
    assert torch.equal(ours(x)[0], ours(x)[0])


def test_native_gradients_match_torch_gru():
    ours, theirs = twins({"num_layers": 2, "bidirectional": True})
    x = torch.randn(4, 6, 3)
    for module in (ours, theirs):
        output, h_n = module(x)
        (output.square().sum() + h_n.sum()).backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert torch.equal(p.grad, grads[name].grad), name


AUTO_CASES = [
    # (constructor options, batch, needs grad, fused available, expected engine)
    ({}, 2, False, True, "fused"),
    ({}, 2, True, True, "fused"),
    ({}, planning.FUSED_INFERENCE_MAX_BATCH + 1, False, True, "native"),
    ({}, planning.FUSED_TRAINING_MAX_BATCH + 1, True, True, "native"),
    ({"num_layers": 2, "bidirectional": True, "merge": "sum"}, 2, False, True, "fused"),
    ({"bias": False, "dropout": 0.3, "num_layers": 2}, 2, True, True, "fused"),
    ({"go_backwards": True}, 2, False, True, "fused"),
    ({"reset_after": False}, planning.FUSED_INFERENCE_MAX_BATCH + 1, False, True, "fused"),
    ({"layer_norm": True}, 2, False, True, "torch"),
    # recurrent dropout: native cannot run it, the fused kernels serve every batch (training too)
    ({"recurrent_dropout": 0.2}, 2, False, True, "fused"),
    ({"recurrent_dropout": 0.2}, planning.FUSED_TRAINING_MAX_BATCH + 1, True, True, "fused"),
    ({"recurrent_dropout": 0.2}, 2, True, False, "torch"),
    ({"zoneout": 0.1}, 2, False, True, "torch"),
    ({}, 2, False, False, "native"),
    ({"reset_after": False}, 2, False, False, "torch"),
    ({"engine": "torch"}, 2, False, True, "torch"),
    ({"engine": "native"}, 2, False, True, "native"),
    ({"engine": "fused"}, 500, False, True, "fused"),
]


@pytest.mark.parametrize(("config", "batch", "grad", "fused_ok", "expected"), AUTO_CASES)
def test_engine_for_reports_the_engine_that_runs(
    config, batch, grad, fused_ok, expected, monkeypatch
):
    import grukit.engines.fused as fused_module
    import grukit.engines.fused.inference as fused_inference
    import grukit.engines.native as native_module

    monkeypatch.setattr(fused_module, "is_available", lambda: fused_ok)
    gru = grukit.GRU(3, 5, **config)
    x = torch.randn(batch, 4, 3)
    called = []
    original_stack, original_layer = native_module.gru_stack, fused_module.gru_layer

    def native_spy(*args, **kwargs):
        called.append("native")
        return original_stack(*args, **kwargs)

    def fused_spy(*args, **kwargs):
        called.append("fused")
        return original_layer(*args, **kwargs)

    original_stack_fast = fused_inference.infer_stack

    def fused_stack_spy(*args, **kwargs):  # GRU.forward's fast path (grukit.nn._inference)
        called.append("fused")
        return original_stack_fast(*args, **kwargs)

    monkeypatch.setattr(native_module, "gru_stack", native_spy)
    monkeypatch.setattr(fused_module, "gru_layer", fused_spy)
    monkeypatch.setattr(fused_inference, "infer_stack", fused_stack_spy)
    with torch.set_grad_enabled(grad):
        assert gru.engine_for(x) == expected
        gru(x)
    ran = set(called) or {"torch"}
    assert ran == {expected}
    assert gru.last_engine == expected


def test_auto_keeps_native_on_other_devices_and_dtypes():
    gru = grukit.GRU(3, 5).to(torch.bfloat16)
    assert gru.engine_for(torch.randn(2, 4, 3, dtype=torch.bfloat16)) == "native"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"reset_after": False}, "reset_after=False: torch.nn.GRU only implements reset-after"),
        ({"layer_norm": True}, "layer_norm=True: torch.nn.GRU has no layer normalisation"),
        ({"recurrent_dropout": 0.2}, "recurrent_dropout=0.2: torch.nn.GRU has no recurrent"),
        ({"zoneout": 0.1}, "zoneout=0.1: torch.nn.GRU has no zoneout"),
    ],
)
def test_native_request_names_the_blocking_option(option, message):
    with pytest.raises(ValueError, match=f"engine='native' cannot run {message}"):
        grukit.GRU(3, 5, engine="native", **option)
