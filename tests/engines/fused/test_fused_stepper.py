"""FusedStepper: streaming steps equal the whole-sequence engine and the reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grukit.engines.fused import FusedStepper, gru_layer
from grukit.reference import gru_forward

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
INPUT, HIDDEN, STEPS = 4, 6, 9


def make_weights(dtype, *, bias=True, seed=0):
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(HIDDEN)
    weights = {
        "weight_ih": rng.uniform(-scale, scale, (3 * HIDDEN, INPUT)).astype(dtype),
        "weight_hh": rng.uniform(-scale, scale, (3 * HIDDEN, HIDDEN)).astype(dtype),
    }
    if bias:
        weights["bias_ih"] = rng.uniform(-scale, scale, 3 * HIDDEN).astype(dtype)
        weights["bias_hh"] = rng.uniform(-scale, scale, 3 * HIDDEN).astype(dtype)
    x = rng.normal(size=(3, STEPS, INPUT)).astype(dtype)
    h0 = rng.normal(scale=0.5, size=(3, HIDDEN)).astype(dtype)
    return weights, x, h0


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_fused_stepper_equals_sequence_and_reference(dtype, reset_after, bias):
    weights, x, h0 = make_weights(dtype, bias=bias)
    stepper = FusedStepper(
        weights["weight_ih"], weights["weight_hh"], weights.get("bias_ih"),
        weights.get("bias_hh"), reset_after=reset_after, batch_size=3,
    )  # fmt: skip
    assert stepper.dtype == np.dtype(dtype)
    h = h0.copy()
    outputs = []
    for t in range(STEPS):
        h = stepper.step(np.ascontiguousarray(x[:, t]), h)
        outputs.append(h)
    outputs = np.stack(outputs, axis=1)  # (B, T, H)

    ref_out, ref_hn, _ = gru_forward(
        x.astype(np.float64), {k: v.astype(np.float64) for k, v in weights.items()},
        h0=h0.astype(np.float64), reset_after=reset_after,
    )  # fmt: skip
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(outputs, ref_out, rtol=0, atol=tol)
    np.testing.assert_allclose(h, ref_hn, rtol=0, atol=tol)

    tw = {k: torch.from_numpy(v) for k, v in weights.items()}
    seq_out, seq_hn = gru_layer(
        torch.from_numpy(x), torch.from_numpy(h0), tw["weight_ih"], tw["weight_hh"],
        tw.get("bias_ih"), tw.get("bias_hh"), reset_after=reset_after,
    )  # fmt: skip
    np.testing.assert_allclose(outputs, seq_out.numpy(), rtol=0, atol=tol)
    np.testing.assert_allclose(h, seq_hn.numpy(), rtol=0, atol=tol)


def test_fused_stepper_single_row_in_place_and_torch_inputs():
    torch.manual_seed(0)
    cell = torch.nn.GRUCell(INPUT, HIDDEN)
    stepper = FusedStepper.from_module(cell)
    xs = torch.randn(STEPS, INPUT)
    h = np.zeros(HIDDEN, np.float32)
    h_id = id(h)
    expected = torch.zeros(1, HIDDEN)
    with torch.no_grad():
        for x in xs:
            result = stepper.step(x.numpy(), h, out=h)  # 1-D, in place
            expected = cell(x[None], expected)
            assert result is h and id(h) == h_id
            np.testing.assert_allclose(h, expected[0].numpy(), rtol=0, atol=1e-5)
        # torch tensors in, a tensor out
        out = stepper.step(xs[0], torch.from_numpy(h))
        assert isinstance(out, torch.Tensor)
        np.testing.assert_allclose(out.numpy(), cell(xs[:1], expected)[0].numpy(), atol=1e-5)


def test_fused_stepper_from_gru_layer_and_batch_change():
    torch.manual_seed(1)
    gru = torch.nn.GRU(INPUT, HIDDEN, num_layers=2, bidirectional=True, batch_first=True)
    stepper = FusedStepper.from_module(gru, layer=1, reverse=True)
    assert stepper.input_size == 2 * HIDDEN
    x = np.random.default_rng(0).normal(size=(5, 2 * HIDDEN)).astype(np.float32)
    h0 = np.zeros((5, HIDDEN), np.float32)
    batched = stepper.step(x, h0)  # batch 5 reallocates the scratch buffers
    for b in range(5):
        np.testing.assert_allclose(stepper.step(x[b], h0[b]), batched[b], rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="has no parameter weight_ih_l2"):
        FusedStepper.from_module(gru, layer=2)


def test_fused_stepper_validates():
    weights, _, _ = make_weights(np.float32)
    stepper = FusedStepper(weights["weight_ih"], weights["weight_hh"])
    h = np.zeros(HIDDEN, np.float32)
    with pytest.raises(ValueError, match=r"`x` must have shape \(4,\) or \(B, 4\)"):
        stepper.step(np.zeros(3, np.float32), h)
    with pytest.raises(ValueError, match=r"`h` must have shape \(6,\) or \(B, 6\)"):
        stepper.step(np.zeros(INPUT, np.float32), np.zeros(5, np.float32))
    with pytest.raises(ValueError, match=r"`out` must have the shape of `h` \(6,\), got \(2,\)"):
        stepper.step(np.zeros(INPUT, np.float32), h, out=np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="must have dtype float32, got float64"):
        stepper.step(np.zeros(INPUT), h)
    with pytest.raises(ValueError, match=r"`weight_hh` must have shape \(3H, H\), got \(5, 6\)"):
        FusedStepper(weights["weight_ih"], np.zeros((5, 6), np.float32))
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer, got 0"):
        FusedStepper(weights["weight_ih"], weights["weight_hh"], batch_size=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
@pytest.mark.parametrize(("batch", "hidden"), [(1, 32), (5, 16), (3, 20)])
def test_fused_stepper_layouts_in_place_match_reference(dtype, reset_after, batch, hidden):
    """Whole-vector and padded gate blocks, row tails; in place, new arrays and torch agree."""
    rng = np.random.default_rng(hidden)
    scale = 1 / np.sqrt(hidden)
    w_ih = rng.uniform(-scale, scale, (3 * hidden, INPUT)).astype(dtype)
    w_hh = rng.uniform(-scale, scale, (3 * hidden, hidden)).astype(dtype)
    b_ih, b_hh = (rng.uniform(-scale, scale, 3 * hidden).astype(dtype) for _ in range(2))
    x = rng.normal(size=(batch, STEPS, INPUT)).astype(dtype)
    stepper = FusedStepper(w_ih, w_hh, b_ih, b_hh, reset_after=reset_after, batch_size=batch)
    h = np.zeros((batch, hidden), dtype)
    fresh = h.copy()
    for t in range(STEPS):
        x_t = np.ascontiguousarray(x[:, t])
        assert stepper.step(x_t, h, out=h) is h
        fresh = stepper.step(x_t, fresh)
    weights = {"weight_ih": w_ih, "weight_hh": w_hh, "bias_ih": b_ih, "bias_hh": b_hh}
    _, ref_hn, _ = gru_forward(
        x.astype(np.float64), {k: v.astype(np.float64) for k, v in weights.items()},
        reset_after=reset_after,
    )  # fmt: skip
    np.testing.assert_allclose(h, ref_hn, rtol=0, atol=TOLERANCE[dtype])
    np.testing.assert_array_equal(fresh, h)
    zeros = np.zeros((batch, hidden), dtype)
    as_tensor = stepper.step(torch.from_numpy(x[:, 0].copy()), torch.from_numpy(zeros.copy()))
    expected = stepper.step(np.ascontiguousarray(x[:, 0]), zeros)
    np.testing.assert_array_equal(as_tensor.numpy(), expected)
