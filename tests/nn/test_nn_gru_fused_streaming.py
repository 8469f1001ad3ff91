"""``GRU.step`` and ``GRU.streamer`` on the fused steppers equal the whole-sequence forward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import grukit

TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}


def make_gru(dtype, **options):
    torch.manual_seed(0)
    return grukit.GRU(3, 6, **options).to(dtype).eval()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    "options", [{}, {"num_layers": 2}, {"reset_after": False, "num_layers": 2}, {"bias": False}]
)
def test_fused_step_equals_forward(dtype, options):
    gru = make_gru(dtype, **options)
    x = torch.randn(2, 7, 3, dtype=dtype)
    with torch.no_grad():
        expected, h_n = gru(x)
        state = None
        for t in range(x.shape[1]):
            gru.last_engine = None
            y_t, state = gru.step(x[:, t], state)
            assert gru.last_engine == "fused"  # every step took the fused path
            torch.testing.assert_close(y_t, expected[:, t], atol=TOLERANCE[dtype], rtol=0)
    torch.testing.assert_close(state, h_n, atol=TOLERANCE[dtype], rtol=0)


def test_fused_step_leaves_its_inputs_untouched():
    gru = make_gru(torch.float32)
    x_t, state = torch.randn(2, 3), torch.randn(1, 2, 6)
    before = state.clone()
    with torch.no_grad():
        _, new_state = gru.step(x_t, state)
    assert torch.equal(state, before)
    assert not torch.equal(new_state, state)


def test_steppers_are_rebuilt_when_weights_change():
    gru = make_gru(torch.float32)
    x_t = torch.randn(1, 3)
    with torch.no_grad():
        first, _ = gru.step(x_t)
        gru.weight_hh_l0.mul_(0.5)  # an in-place update, as an optimizer step does
        second, _ = gru.step(x_t, torch.ones(1, 1, 6))
        expected, _ = gru(x_t[:, None], torch.ones(1, 1, 6))
    torch.testing.assert_close(second, expected[:, 0], atol=1e-5, rtol=0)
    assert not torch.equal(first, second)


def test_step_with_gradients_stays_differentiable():
    gru = make_gru(torch.float32)
    x_t = torch.randn(2, 3, requires_grad=True)
    y_t, _ = gru.step(x_t)
    assert gru.last_engine == "torch"
    y_t.sum().backward()
    assert x_t.grad is not None and gru.weight_ih_l0.grad is not None


def test_step_with_any_trainable_parameter_stays_differentiable():
    gru = make_gru(torch.float32)
    gru.weight_hh_l0.requires_grad_(False)  # the bias still needs its gradient
    y_t, _ = gru.step(torch.randn(2, 3))
    assert gru.last_engine == "torch"
    y_t.sum().backward()
    assert gru.bias_hh_l0.grad is not None
    with torch.no_grad():
        gru.step(torch.randn(2, 3))
    assert gru.last_engine == "fused"


def test_fused_step_errors_name_the_argument():
    gru = make_gru(torch.float32)
    with torch.no_grad():
        with pytest.raises(ValueError, match=r"`x_t` must have shape \(B, 3\), got \(2, 4\)"):
            gru.step(torch.randn(2, 4))
        with pytest.raises(ValueError, match=r"`state` must have shape .* = \(1, 2, 6\)"):
            gru.step(torch.randn(2, 3), torch.zeros(1, 3, 6))
        with pytest.raises(ValueError, match="`x_t` must have dtype torch.float32"):
            gru.step(torch.randn(2, 3, dtype=torch.float64))


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_streamer_equals_forward_and_reuses_its_buffer(kind):
    gru = make_gru(torch.float32, num_layers=2)
    x = torch.randn(1, 9, 3)
    with torch.no_grad():
        expected, h_n = gru(x)
    streamer = gru.streamer(batch_size=1)
    outputs = []
    for t in range(x.shape[1]):
        x_t = x[:, t].numpy().copy() if kind == "numpy" else x[:, t]
        y_t = streamer.step(x_t)
        assert isinstance(y_t, np.ndarray if kind == "numpy" else torch.Tensor)
        outputs.append(np.array(y_t) if kind == "numpy" else y_t.clone())
    if kind == "numpy":  # the output is a view into the state buffer: nothing is allocated
        assert np.shares_memory(y_t, streamer.state.numpy())
    got = torch.stack([torch.as_tensor(o) for o in outputs], dim=1)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(streamer.state, h_n, atol=1e-5, rtol=0)
    streamer.reset()
    assert torch.count_nonzero(streamer.state) == 0


def test_streamer_falls_back_for_variants_with_the_same_numbers():
    gru = make_gru(torch.float32, layer_norm=True)
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        expected, _ = gru(x)
    streamer = gru.streamer(batch_size=2)
    assert streamer.last_engine == "torch"
    got = torch.stack([streamer.step(x[:, t]).clone() for t in range(5)], dim=1)
    assert streamer.last_engine == "torch" and gru.last_engine == "torch"
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_streamer_records_its_route_as_training_dropout_switches_it():
    gru = make_gru(torch.float32, num_layers=2, dropout=0.5)
    streamer = gru.streamer(batch_size=1)
    x_t = np.ones((1, 3), np.float32)
    assert streamer.last_engine == "fused"  # planned at creation
    streamer.step(x_t)
    assert streamer.last_engine == "fused"
    gru.train()  # dropout between layers: the PyTorch step
    streamer.step(x_t)
    assert streamer.last_engine == "torch" and gru.last_engine == "torch"
    gru.eval()
    start = streamer.state.clone()
    got = streamer.step(x_t).copy()
    assert streamer.last_engine == "fused"
    with torch.no_grad():
        expected, _ = gru(torch.from_numpy(x_t)[:, None], start)
    np.testing.assert_allclose(got, expected[:, 0].numpy(), atol=1e-5, rtol=0)
    streamer.step(torch.from_numpy(x_t))  # a tensor: the slow route, still fused
    assert streamer.last_engine == "fused"


def test_recurrent_dropout_steps_fused_in_eval_and_refuses_training_steps():
    """Eval mode draws no mask: steps and streamers run on the steppers. A training-mode step
    cannot apply a per-sequence mask, so it still refuses, even without any gradient."""
    gru = make_gru(torch.float32, num_layers=2, recurrent_dropout=0.3)
    x = torch.randn(2, 4, 3)
    with torch.no_grad():
        expected, _ = gru(x)
        assert gru.last_engine == "fused"
        state = None
        for t in range(4):
            y_t, state = gru.step(x[:, t], state)
            assert gru.last_engine == "fused"
            torch.testing.assert_close(y_t, expected[:, t], atol=1e-5, rtol=0)
    streamer = gru.streamer(batch_size=2)
    x_t = np.ones((2, 3), np.float32)
    streamer.step(x_t)
    assert streamer.last_engine == "fused"
    gru.train()
    refusal = r"step\(\) cannot apply recurrent_dropout in training mode"
    with torch.no_grad(), pytest.raises(ValueError, match=refusal):
        gru.step(x[:, 0])
    with pytest.raises(ValueError, match=refusal):
        streamer.step(x_t)


def test_streamer_refuses_bidirectional_and_bad_batch():
    with pytest.raises(ValueError, match="streaming needs a unidirectional GRU"):
        grukit.GRU(3, 4, bidirectional=True).streamer()
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer, got 0"):
        grukit.GRU(3, 4).streamer(batch_size=0)
    streamer = grukit.GRU(3, 4).eval().streamer(batch_size=2)
    with pytest.raises(ValueError, match=r"`x_t` must have shape \(2, 3\), got \(1, 3\)"):
        streamer.step(np.zeros((1, 3), np.float32))


def test_streamer_picks_up_in_place_weight_updates():
    gru = make_gru(torch.float32)
    streamer = gru.streamer(batch_size=1)
    x_t = np.ones((1, 3), np.float32)
    streamer.step(x_t)
    optimizer = torch.optim.SGD(gru.parameters(), lr=0.5)
    gru(torch.randn(1, 4, 3))[0].sum().backward()
    optimizer.step()  # in place: the packed weights must be rebuilt
    start = streamer.state.clone()
    got = streamer.step(x_t).copy()
    with torch.no_grad():
        expected, _ = gru(torch.from_numpy(x_t)[:, None], start)
    np.testing.assert_allclose(got, expected[:, 0].numpy(), atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "make_input",
    [
        pytest.param(np.asfortranarray, id="fortran"),
        pytest.param(lambda x: np.repeat(x, 2, axis=1)[:, ::2], id="strided"),
        pytest.param(lambda x: x.astype(">f4"), id="big-endian"),
        pytest.param(
            lambda x: np.frombuffer(x.tobytes(), np.float32).reshape(x.shape), id="readonly"
        ),
    ],
)
def test_streamer_gives_the_same_numbers_for_any_array_layout(make_input):
    """The direct kernel call trusts its arguments' layout: every other layout must be
    converted (or refused) before it, never read as if it were C-contiguous float32."""
    gru = make_gru(torch.float32, num_layers=2)
    x = torch.randn(2, 6, 3)
    with torch.no_grad():
        expected, _ = gru(x)
    streamer = gru.streamer(batch_size=2)
    for t in range(x.shape[1]):
        x_t = make_input(x[:, t].numpy().copy())
        assert x_t.shape == (2, 3)
        got = streamer.step(x_t)
        np.testing.assert_allclose(got, expected[:, t].numpy(), atol=1e-5, rtol=0)


def test_streamer_refuses_another_dtype_by_name():
    streamer = make_gru(torch.float32).streamer(batch_size=1)
    with pytest.raises(ValueError, match="`x_t` must have dtype torch.float32"):
        streamer.step(np.zeros((1, 3), np.float64))
