"""Streaming (initial_state / step) equals the whole-sequence forward, step by step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import grukit

CONFIGS = {
    "one_layer": {},
    "two_layers": {"num_layers": 2},
    "reset_before_two_layers": {"num_layers": 2, "reset_after": False},
    "layer_norm": {"layer_norm": True, "num_layers": 2},
    "layer_norm_reset_before": {"layer_norm": True, "reset_after": False},
    "zoneout": {"zoneout": 0.3, "num_layers": 2},
    "regularised_eval": {"dropout": 0.4, "recurrent_dropout": 0.3, "num_layers": 2},
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("engine", ["auto", "torch"])
def test_streaming_equals_whole_sequence(config, engine):
    torch.manual_seed(0)
    gru = grukit.GRU(3, 6, engine=engine, **config).double().eval()
    x = torch.randn(4, 9, 3, dtype=torch.float64)
    h0 = torch.randn(gru.num_layers, 4, 6, dtype=torch.float64)
    output, h_n = gru(x, h0)
    state = h0
    for t in range(x.shape[1]):
        y_t, state = gru.step(x[:, t], state)
        torch.testing.assert_close(y_t, output[:, t], rtol=0, atol=1e-12)
    torch.testing.assert_close(state, h_n, rtol=0, atol=1e-12)


def test_initial_state_is_zeros_with_parameter_dtype():
    gru = grukit.GRU(3, 6, num_layers=2).double()
    state = gru.initial_state(5)
    assert state.shape == (2, 5, 6) and state.dtype == torch.float64
    assert torch.count_nonzero(state) == 0
    x = torch.randn(5, 3, dtype=torch.float64)
    assert torch.equal(gru.step(x, state)[0], gru.step(x)[0])  # state=None means zeros


def test_streaming_eval_is_deterministic_and_training_draws():
    torch.manual_seed(0)
    gru = grukit.GRU(3, 16, zoneout=0.5, dropout=0.5, num_layers=2).eval()
    x = torch.randn(8, 3)
    state = gru.initial_state(8)
    assert torch.equal(gru.step(x, state)[0], gru.step(x, state)[0])
    gru.train()
    first, second = gru.step(x, state)[1], gru.step(x, state)[1]
    assert not torch.equal(first, second)
    # with zoneout in training each unit either keeps its previous value or moves
    kept = (gru.step(x, torch.ones(2, 8, 16))[1] == 1).float().mean()
    assert 0.35 < float(kept) < 0.65


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"bidirectional": True}, "streaming needs a unidirectional GRU, got bidirectional=True"),
        ({"go_backwards": True}, "streaming cannot run backwards in time, got go_backwards=True"),
    ],
)
def test_streaming_refuses_non_causal_configurations(config, message):
    gru = grukit.GRU(3, 4, **config)
    with pytest.raises(ValueError, match=message):
        gru.initial_state(2)
    with pytest.raises(ValueError, match=message):
        gru.step(torch.randn(2, 3))


def test_streaming_errors():
    gru = grukit.GRU(3, 4, num_layers=2, recurrent_dropout=0.2)
    with pytest.raises(ValueError, match="step\\(\\) cannot apply recurrent_dropout in training"):
        gru.step(torch.randn(2, 3))
    gru.eval()
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer, got 0"):
        gru.initial_state(0)
    with pytest.raises(ValueError, match="expected input with 3 features \\(input_size\\), got 5"):
        gru.step(torch.randn(2, 5))
    with pytest.raises(ValueError, match="`x_t` must have shape \\(B, 3\\), got \\(3,\\)"):
        gru.step(torch.randn(3))
    with pytest.raises(ValueError, match="`state` must have shape \\(2, 2, 4\\)"):
        gru.step(torch.randn(2, 3), torch.zeros(1, 2, 4))


@pytest.mark.parametrize("options", [{}, {"layer_norm": True}], ids=["fused", "torch"])
@pytest.mark.parametrize("as_numpy", [True, False], ids=["numpy", "tensor"])
def test_streamer_step_output_is_overwritten_unless_copied_or_written_out(options, as_numpy):
    torch.manual_seed(0)
    streamer = grukit.GRU(3, 4, **options).eval().streamer(batch_size=2)
    first, second = torch.randn(2, 3), torch.randn(2, 3)
    if as_numpy:
        first, second = first.numpy(), second.numpy()
    view = streamer.step(first)
    kept = view.copy() if as_numpy else view.clone()
    streamer.step(second)
    assert not np.array_equal(np.asarray(view), np.asarray(kept))  # the documented view

    streamer.reset()
    copied = streamer.step(first, copy=True)
    target = np.empty((2, 4), np.float32) if as_numpy else torch.empty(2, 4)
    written = streamer.step(second, out=target)
    assert written is target
    assert type(copied) is type(target)
    np.testing.assert_array_equal(np.asarray(copied), np.asarray(kept))
    np.testing.assert_array_equal(np.asarray(written), np.asarray(streamer.state[-1]))
    streamer.step(first)
    np.testing.assert_array_equal(np.asarray(copied), np.asarray(kept))  # untouched by steps
    assert not np.array_equal(np.asarray(written), np.asarray(streamer.state[-1]))


def test_streamer_step_refuses_a_wrong_out_before_the_state_moves():
    streamer = grukit.GRU(3, 4).eval().streamer(batch_size=2)
    x_t = np.ones((2, 3), np.float32)
    streamer.step(x_t)
    before = streamer.state.clone()
    wrong = {
        "shape": np.empty((1, 4), np.float32),
        "dtype": np.empty((2, 4), np.float64),
        "kind": torch.empty(2, 4),
    }
    for out in wrong.values():
        with pytest.raises(ValueError, match=r"`out` must be a NumPy array of shape \(2, 4\)"):
            streamer.step(x_t, out=out)
    with pytest.raises(ValueError, match="pass `out` or `copy=True`, not both"):
        streamer.step(x_t, out=np.empty((2, 4), np.float32), copy=True)
    assert torch.equal(streamer.state, before)
