"""Invariants of the NumPy reference engine (Hypothesis) and its documented edge cases."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings

from grukit.reference import (
    LAYER_NORM_EPS,
    gru_backward,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
    layer_norm_forward,
    sigmoid,
)
from strategies import flags, padded_reference_cases, row_lengths, seeds

I, H = 3, 4


def random_weights(rng, *, layer_norm=False, input_size=I):
    weights = {
        "weight_ih": rng.normal(scale=0.6, size=(3 * H, input_size)),
        "weight_hh": rng.normal(scale=0.6, size=(3 * H, H)),
        "bias_ih": rng.normal(scale=0.3, size=3 * H),
        "bias_hh": rng.normal(scale=0.3, size=3 * H),
    }
    if layer_norm:
        weights["norm_weight_ih"] = rng.uniform(0.5, 1.5, size=3 * H)
        weights["norm_weight_hh"] = rng.uniform(0.5, 1.5, size=3 * H)
    return weights


@settings(max_examples=200)
@given(case=padded_reference_cases(I, H))
def test_masked_tail_changes_nothing(case):
    steps, lengths, options = case["steps"], case["lengths"], dict(case["options"])
    batch, long_steps, _ = case["x_padding"].shape
    rng = np.random.default_rng(case["seed"])
    weights = random_weights(rng, layer_norm=case["layer_norm"])
    h0 = rng.normal(size=(batch, H))
    if case["use_mask"]:
        options["recurrent_mask"] = (rng.random((batch, H)) >= 0.5) * 2.0
    keep = rng.random((batch, long_steps, H)) if case["use_keep"] else None
    valid = np.arange(long_steps)[None, :] < lengths[:, None]  # (B, T + extra)
    x_clean = np.where(valid[..., None], rng.normal(size=(batch, long_steps, I)), 0.0)
    x_long = np.where(valid[..., None], x_clean, case["x_padding"])
    A = rng.normal(size=(batch, long_steps, H))
    A_long = np.where(valid[..., None], A, case["d_output_padding"])
    C = rng.normal(size=(batch, H))

    short = gru_forward(
        x_clean[:, :steps], weights, h0=h0, lengths=lengths,
        zoneout_keep=None if keep is None else keep[:, :steps], **options,
    )  # fmt: skip
    long = gru_forward(x_long, weights, h0=h0, lengths=lengths, zoneout_keep=keep, **options)
    assert np.array_equal(long[1], short[1])
    assert np.array_equal(long[0][:, :steps], short[0])
    assert np.all(long[0][~valid] == 0)
    assert np.array_equal(h0[lengths == 0], long[1][lengths == 0])

    d_short = gru_backward(A[:, :steps], C, short[2])
    d_long = gru_backward(A_long, C, long[2])
    assert np.all(d_long[0][~valid] == 0)
    assert np.array_equal(d_long[0][:, :steps], d_short[0])
    assert np.array_equal(d_long[1], d_short[1])
    for key in weights:
        assert np.array_equal(d_long[2][key], d_short[2][key])


@settings(max_examples=100)
@given(
    seed=seeds,
    lengths=row_lengths(max_length=5, max_rows=3),
    reset_after=flags,
)
def test_reverse_runs_each_row_backwards_from_its_last_valid_step(seed, lengths, reset_after):
    rng = np.random.default_rng(seed)
    batch, steps = len(lengths), 5
    weights = random_weights(rng)
    x = rng.normal(size=(batch, steps, I))
    h0 = rng.normal(size=(batch, H))
    output, h_n, _ = gru_forward(
        x, weights, h0=h0, lengths=lengths, reverse=True, reset_after=reset_after
    )
    for b, length in enumerate(lengths):
        flipped = x[b : b + 1, :length][:, ::-1]
        row_output, row_h_n, _ = gru_forward(
            flipped, weights, h0=h0[b : b + 1], reset_after=reset_after
        )
        np.testing.assert_allclose(output[b, :length], row_output[0, ::-1], rtol=0, atol=1e-13)
        np.testing.assert_allclose(h_n[b], row_h_n[0], rtol=0, atol=1e-13)
        assert np.all(output[b, length:] == 0)


def test_full_length_reverse_equals_forward_on_flipped_time():
    rng = np.random.default_rng(3)
    weights = random_weights(rng)
    x = rng.normal(size=(2, 6, I))
    output, h_n, _ = gru_forward(x, weights, reverse=True)
    flipped_output, flipped_h_n, _ = gru_forward(x[:, ::-1], weights)
    assert np.array_equal(output, flipped_output[:, ::-1])
    assert np.array_equal(h_n, flipped_h_n)


def test_zero_lengths_return_the_initial_state():
    rng = np.random.default_rng(4)
    weights = random_weights(rng, layer_norm=True)
    x = rng.normal(size=(2, 3, I))
    h0 = rng.normal(size=(2, H))
    C = rng.normal(size=(2, H))
    output, h_n, cache = gru_forward(x, weights, h0=h0, lengths=[0, 0])
    assert np.array_equal(h_n, h0) and np.all(output == 0)
    d_x, d_h0, d_weights = gru_backward(rng.normal(size=output.shape), C, cache)
    assert np.array_equal(d_h0, C) and np.all(d_x == 0)
    assert all(np.all(grad == 0) for grad in d_weights.values())


def test_zero_time_steps():
    weights = random_weights(np.random.default_rng(5))
    output, h_n, cache = gru_forward(np.zeros((2, 0, I)), weights)
    assert output.shape == (2, 0, H) and np.all(h_n == 0)
    d_x, d_h0, _ = gru_backward(None, np.ones((2, H)), cache)
    assert d_x.shape == (2, 0, I) and np.all(d_h0 == 1)


def test_neutral_options_change_nothing():
    rng = np.random.default_rng(6)
    weights = random_weights(rng)
    x = rng.normal(size=(3, 4, I))
    h0 = rng.normal(size=(3, H))
    for reset_after in (True, False):
        plain, plain_h_n, _ = gru_forward(x, weights, h0=h0, reset_after=reset_after)
        for options in (
            {"recurrent_mask": np.ones((3, H))},
            {"zoneout_keep": np.zeros((3, 4, H))},
            {"lengths": [4, 4, 4]},
        ):
            output, h_n, _ = gru_forward(x, weights, h0=h0, reset_after=reset_after, **options)
            assert np.array_equal(output, plain) and np.array_equal(h_n, plain_h_n), options
        no_bias = {**weights, "bias_ih": None, "bias_hh": None}
        zero_bias = {**weights, "bias_ih": np.zeros(3 * H), "bias_hh": np.zeros(3 * H)}
        output_none, _, cache = gru_forward(x, no_bias, h0=h0, reset_after=reset_after)
        output_zero, _, _ = gru_forward(x, zero_bias, h0=h0, reset_after=reset_after)
        assert np.array_equal(output_none, output_zero)
        assert sorted(gru_backward(output_none, None, cache)[2]) == ["weight_hh", "weight_ih"]


def test_zoneout_keep_one_freezes_the_state_and_formulations_differ():
    rng = np.random.default_rng(8)
    weights = random_weights(rng)
    x = rng.normal(size=(2, 3, I))
    h0 = rng.normal(size=(2, H))
    output, h_n, _ = gru_forward(x, weights, h0=h0, zoneout_keep=np.ones((2, 3, H)))
    assert np.array_equal(h_n, h0) and np.array_equal(output, np.repeat(h0[:, None], 3, axis=1))
    after = gru_forward(x, weights, h0=h0, reset_after=True)[0]
    before = gru_forward(x, weights, h0=h0, reset_after=False)[0]
    assert np.abs(after - before).max() > 1e-3


def test_recurrent_mask_leaves_the_carry_unmasked():
    """With the mask 0 the recurrent products see h = 0 but z still carries h_{t-1}."""
    rng = np.random.default_rng(9)
    weights = random_weights(rng)
    x = rng.normal(size=(1, 1, I))
    h0 = rng.normal(size=(1, H))
    masked = gru_forward(x, weights, h0=h0, recurrent_mask=np.zeros((1, H)))[1]
    from_zero = gru_forward(x, weights)[1]  # same gates, carry term z * 0
    z = sigmoid(x[0, 0] @ weights["weight_ih"][H : 2 * H].T
                + weights["bias_ih"][H : 2 * H] + weights["bias_hh"][H : 2 * H])  # fmt: skip
    np.testing.assert_allclose(masked, from_zero + z * h0, rtol=0, atol=1e-14)


def test_cell_equals_one_time_step():
    rng = np.random.default_rng(10)
    weights = random_weights(rng, layer_norm=True)
    x = rng.normal(size=(3, 1, I))
    h0 = rng.normal(size=(3, H))
    mask = (rng.random((3, H)) > 0.5) * 2.0
    keep = rng.random((3, 1, H))
    C = rng.normal(size=(3, H))
    for reset_after in (True, False):
        options = {"reset_after": reset_after, "recurrent_mask": mask}
        _, h_n, cache = gru_forward(x, weights, h0=h0, zoneout_keep=keep, **options)
        h_new, cell_cache = gru_cell_forward(
            x[:, 0], h0, weights, zoneout_keep=keep[:, 0], **options
        )
        assert np.array_equal(h_new, h_n)
        d_x, d_h0, d_weights = gru_backward(None, C, cache)
        cell_d_x, cell_d_h, cell_d_weights = gru_cell_backward(C, cell_cache)
        assert np.array_equal(cell_d_x, d_x[:, 0]) and np.array_equal(cell_d_h, d_h0)
        for key in weights:
            assert np.array_equal(cell_d_weights[key], d_weights[key])


def test_dtype_follows_x():
    rng = np.random.default_rng(12)
    weights = random_weights(rng, layer_norm=True)
    x = rng.normal(size=(2, 3, I))
    output64, h_n64, cache64 = gru_forward(x, weights)
    output32, h_n32, cache32 = gru_forward(x.astype(np.float32), weights)
    assert output32.dtype == h_n32.dtype == np.float32
    np.testing.assert_allclose(output32, output64, rtol=0, atol=1e-5)
    d_x32, _, d_weights32 = gru_backward(np.ones_like(output32), None, cache32)
    d_x64, _, d_weights64 = gru_backward(np.ones_like(output64), None, cache64)
    assert d_x32.dtype == np.float32
    assert all(grad.dtype == np.float32 for grad in d_weights32.values())
    np.testing.assert_allclose(d_x32, d_x64, rtol=0, atol=1e-4)
    integer_output = gru_forward(np.ones((2, 3, I), dtype=np.int64), weights)[0]
    assert integer_output.dtype == np.float64


def test_inputs_are_copied():
    rng = np.random.default_rng(13)
    weights = random_weights(rng)
    x = rng.normal(size=(2, 3, I))
    output, _, cache = gru_forward(x, weights)
    expected = gru_backward(output, None, cache)[2]["weight_hh"].copy()
    weights["weight_hh"] *= 2
    x[:] = 0
    assert np.array_equal(gru_backward(output, None, cache)[2]["weight_hh"], expected)


def test_sigmoid_is_stable_and_keeps_dtype():
    values = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4])
    result = sigmoid(values)  # warnings are errors: an overflow would fail here
    np.testing.assert_allclose(result[2:5], 1 / (1 + np.exp(-values[2:5])), rtol=1e-15)
    assert result[0] == 0.0 and result[-1] == 1.0 and result[3] == 0.5
    assert sigmoid(values.astype(np.float32)).dtype == np.float32


def test_layer_norm_formula():
    rng = np.random.default_rng(14)
    value = rng.normal(size=(3, 6))
    gain = rng.normal(size=6)
    out, _ = layer_norm_forward(value, gain)
    expected = gain * (value - value.mean(1, keepdims=True)) / np.sqrt(value.var(1)[:, None] + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    assert LAYER_NORM_EPS == 1e-5


def test_reference_package_does_not_import_torch():
    code = "import sys, grukit.reference; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("reset_after", [True, False])
def test_rows_are_independent(reset_after):
    rng = np.random.default_rng(15)
    weights = random_weights(rng, layer_norm=True)
    x = rng.normal(size=(3, 4, I))
    h0 = rng.normal(size=(3, H))
    output, h_n, _ = gru_forward(x, weights, h0=h0, reset_after=reset_after, lengths=[4, 2, 3])
    for b, length in enumerate([4, 2, 3]):
        row_output, row_h_n, _ = gru_forward(
            x[b : b + 1], weights, h0=h0[b : b + 1], reset_after=reset_after, lengths=[length]
        )
        np.testing.assert_allclose(output[b], row_output[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(h_n[b], row_h_n[0], rtol=0, atol=1e-14)
