"""Finite-difference checks of the hand-written backward of the NumPy reference engine.

Every argument and weight is perturbed element by element (central differences, float64,
eps = 1e-6) in both formulations and every variant; the loss L = sum(A * output) + sum(C * h_n)
with random A, C exercises every path.
"""

from __future__ import annotations

import numpy as np
import pytest

from grukit.reference import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward

B, T, I, H = 3, 4, 3, 4
EPS = 1e-6
RTOL = 1e-6  # relative to the largest entry of the analytic gradient of that argument


def random_weights(rng, *, bias=True, layer_norm=False, input_size=I):
    weights = {
        "weight_ih": rng.normal(scale=0.6, size=(3 * H, input_size)),
        "weight_hh": rng.normal(scale=0.6, size=(3 * H, H)),
    }
    if bias:
        weights["bias_ih"] = rng.normal(scale=0.3, size=3 * H)
        weights["bias_hh"] = rng.normal(scale=0.3, size=3 * H)
    if layer_norm:
        weights["norm_weight_ih"] = rng.uniform(0.5, 1.5, size=3 * H)
        weights["norm_weight_hh"] = rng.uniform(0.5, 1.5, size=3 * H)
    return weights


def recurrent_mask(rng, p=0.3):
    return (rng.random((B, H)) >= p) / (1 - p)


# name -> (weights options, gru_forward options built from an rng)
VARIANTS = {
    "plain": ({}, lambda rng: {}),
    "no_bias": ({"bias": False}, lambda rng: {}),
    "lengths": ({}, lambda rng: {"lengths": np.array([T, 0, 2])}),
    "reverse": ({}, lambda rng: {"reverse": True}),
    "reverse_lengths": ({}, lambda rng: {"reverse": True, "lengths": np.array([2, T, 0])}),
    "recurrent_mask": ({}, lambda rng: {"recurrent_mask": recurrent_mask(rng)}),
    "zoneout_fractional": ({}, lambda rng: {"zoneout_keep": rng.random((B, T, H))}),
    "zoneout_binary": ({}, lambda rng: {"zoneout_keep": (rng.random((B, T, H)) < 0.4) * 1.0}),
    "layer_norm": ({"layer_norm": True}, lambda rng: {}),
    "layer_norm_no_bias": ({"layer_norm": True, "bias": False}, lambda rng: {}),
    "everything": (
        {"layer_norm": True},
        lambda rng: {
            "lengths": np.array([3, T, 1]),
            "reverse": True,
            "recurrent_mask": recurrent_mask(rng),
            "zoneout_keep": rng.random((B, T, H)),
        },
    ),
}


def numeric_gradient(loss, array):
    """Central differences of ``loss()`` with respect to every entry of ``array`` (in place)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + EPS
        plus = loss()
        array[index] = original - EPS
        minus = loss()
        array[index] = original
        grad[index] = (plus - minus) / (2 * EPS)
    return grad


def assert_gradient_close(name, analytic, numeric):
    scale = max(np.abs(analytic).max(), 1e-8)
    error = np.abs(analytic - numeric).max()
    assert error <= RTOL * scale, f"{name}: max error {error:.3e} vs gradient scale {scale:.3e}"


@pytest.mark.parametrize("reset_after", [True, False], ids=["reset_after", "reset_before"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_sequence_gradients_match_finite_differences(variant, reset_after):
    rng = np.random.default_rng(2 * list(VARIANTS).index(variant) + reset_after)
    weight_options, make_options = VARIANTS[variant]
    weights = random_weights(rng, **weight_options)
    options = make_options(rng)
    x = rng.normal(size=(B, T, I))
    h0 = rng.normal(scale=0.5, size=(B, H))
    A = rng.normal(size=(B, T, H))
    C = rng.normal(size=(B, H))

    def loss():
        output, h_n, _ = gru_forward(x, weights, h0=h0, reset_after=reset_after, **options)
        return np.sum(A * output) + np.sum(C * h_n)

    output, h_n, cache = gru_forward(x, weights, h0=h0, reset_after=reset_after, **options)
    d_x, d_h0, d_weights = gru_backward(A, C, cache)
    assert sorted(d_weights) == sorted(weights)
    assert_gradient_close("x", d_x, numeric_gradient(loss, x))
    assert_gradient_close("h0", d_h0, numeric_gradient(loss, h0))
    for key, value in weights.items():
        assert d_weights[key].shape == value.shape
        assert_gradient_close(key, d_weights[key], numeric_gradient(loss, value))

    if "lengths" in options:
        padded = np.arange(T)[None, :] >= options["lengths"][:, None]  # (B, T)
        assert np.all(d_x[padded] == 0)
        assert np.all(output[padded] == 0)


@pytest.mark.parametrize("reset_after", [True, False], ids=["reset_after", "reset_before"])
def test_gradients_with_only_one_output_used(reset_after):
    """d_output or d_h_n given as None means zeros."""
    rng = np.random.default_rng(7)
    weights = random_weights(rng)
    x = rng.normal(size=(B, T, I))
    A = rng.normal(size=(B, T, H))
    C = rng.normal(size=(B, H))
    lengths = np.array([T, 1, 0])
    _, _, cache = gru_forward(x, weights, lengths=lengths, reset_after=reset_after)
    only_output = gru_backward(A, None, cache)
    only_state = gru_backward(None, C, cache)
    both = gru_backward(A, C, cache)
    for part_a, part_b, total in zip(only_output, only_state, both, strict=True):
        if isinstance(total, dict):
            for key in total:
                np.testing.assert_allclose(part_a[key] + part_b[key], total[key], rtol=1e-12)
        else:
            np.testing.assert_allclose(part_a + part_b, total, rtol=1e-12, atol=1e-15)
    assert np.all(only_output[1][2] == 0)  # length 0: h0 reaches the loss only through h_n


@pytest.mark.parametrize("reset_after", [True, False], ids=["reset_after", "reset_before"])
@pytest.mark.parametrize("layer_norm", [False, True], ids=["plain", "layer_norm"])
def test_cell_gradients_match_finite_differences(reset_after, layer_norm):
    rng = np.random.default_rng(11 + 2 * reset_after + layer_norm)
    weights = random_weights(rng, layer_norm=layer_norm)
    x = rng.normal(size=(B, I))
    h = rng.normal(scale=0.5, size=(B, H))
    options = {"recurrent_mask": recurrent_mask(rng), "zoneout_keep": rng.random((B, H))}
    C = rng.normal(size=(B, H))

    def loss():
        h_new, _ = gru_cell_forward(x, h, weights, reset_after=reset_after, **options)
        return np.sum(C * h_new)

    _, cache = gru_cell_forward(x, h, weights, reset_after=reset_after, **options)
    d_x, d_h, d_weights = gru_cell_backward(C, cache)
    assert_gradient_close("x", d_x, numeric_gradient(loss, x))
    assert_gradient_close("h", d_h, numeric_gradient(loss, h))
    for key, value in weights.items():
        assert_gradient_close(key, d_weights[key], numeric_gradient(loss, value))
