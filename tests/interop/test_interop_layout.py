"""Gate-block layout conversions (pure NumPy): known answers, round trips, the reset-before bias."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from grukit.interop._layout import keras_to_torch_direction, swap_rz, torch_to_keras_direction
from grukit.reference import gru_forward
from strategies import flags, seeds, sizes


def _blocks(shape_prefix: tuple[int, ...], hidden: int, axis: int, order: str) -> np.ndarray:
    """An array whose gate blocks along ``axis`` are filled with the gate's letter code."""
    codes = {"r": 1.0, "z": 2.0, "n": 3.0, "h": 3.0}
    parts = [np.full((*shape_prefix, hidden), codes[g]) for g in order]
    out = np.concatenate(parts, axis=-1)
    return out if axis == -1 else np.moveaxis(out, -1, 0)


def test_keras_blocks_z_r_h_become_torch_rows_r_z_n():
    hidden, inputs = 2, 3
    kernel = _blocks((inputs,), hidden, -1, "zrh")  # (I, 3H) columns z | r | h
    recurrent = _blocks((hidden,), hidden, -1, "zrh")
    bias = np.stack([_blocks((), hidden, -1, "zrh"), 10 * _blocks((), hidden, -1, "zrh")])
    state = keras_to_torch_direction(kernel, recurrent, bias, reset_after=True)
    expected_rows = np.repeat([1.0, 2.0, 3.0], hidden)  # r, z, n
    assert state["weight_ih"].shape == (3 * hidden, inputs)
    assert state["weight_hh"].shape == (3 * hidden, hidden)
    np.testing.assert_array_equal(state["weight_ih"][:, 0], expected_rows)
    np.testing.assert_array_equal(state["weight_hh"][:, 1], expected_rows)
    np.testing.assert_array_equal(state["bias_ih"], expected_rows)
    np.testing.assert_array_equal(state["bias_hh"], 10 * expected_rows)


def test_reset_before_bias_goes_to_bias_ih_with_zero_bias_hh():
    kernel, recurrent = np.ones((3, 6)), np.ones((2, 6))
    bias = np.arange(6.0)  # z z r r h h
    state = keras_to_torch_direction(kernel, recurrent, bias, reset_after=False)
    np.testing.assert_array_equal(state["bias_ih"], [2, 3, 0, 1, 4, 5])
    np.testing.assert_array_equal(state["bias_hh"], np.zeros(6))


def test_swap_rz_is_an_involution_and_checks_the_axis():
    a = np.arange(12.0).reshape(6, 2)
    np.testing.assert_array_equal(swap_rz(swap_rz(a, 0), 0), a)
    np.testing.assert_array_equal(swap_rz(a, 0)[:2], a[2:4])
    with pytest.raises(ValueError, match=r"gate axis must have size 3H, got shape \(6, 2\)"):
        swap_rz(a, -1)


@pytest.mark.parametrize(
    ("kernel", "recurrent", "bias", "reset_after", "match"),
    [
        (np.ones((3, 7)), np.ones((2, 6)), None, True, r"`kernel` must have shape \(I, 3H\)"),
        (np.ones((3, 6)), np.ones((3, 6)), None, True, r"`recurrent_kernel` must have shape"),
        (np.ones((3, 6)), np.ones((2, 6)), np.ones(6), True, r"reset_after=True must have shape"),
        (np.ones((3, 6)), np.ones((2, 6)), np.ones((2, 6)), False, r"shape \(6,\), got \(2, 6\)"),
    ],
)
def test_bad_keras_shapes_are_refused(kernel, recurrent, bias, reset_after, match):
    with pytest.raises(ValueError, match=match):
        keras_to_torch_direction(kernel, recurrent, bias, reset_after=reset_after)


def test_one_bias_without_the_other_is_refused():
    with pytest.raises(ValueError, match="`bias_ih` and `bias_hh` must both be given"):
        torch_to_keras_direction(
            np.ones((6, 3)), np.ones((6, 2)), np.ones(6), None, reset_after=True
        )


@settings(max_examples=40)
@given(
    hidden=sizes(6),
    inputs=sizes(5),
    reset_after=flags,
    use_bias=flags,
    seed=seeds,
)
def test_keras_to_torch_to_keras_is_identity(hidden, inputs, reset_after, use_bias, seed):
    rng = np.random.default_rng(seed)
    keras = [rng.standard_normal((inputs, 3 * hidden)), rng.standard_normal((hidden, 3 * hidden))]
    if use_bias:
        keras.append(rng.standard_normal((2, 3 * hidden) if reset_after else (3 * hidden,)))
    bias = keras[2] if use_bias else None
    state = keras_to_torch_direction(keras[0], keras[1], bias, reset_after=reset_after)
    back = torch_to_keras_direction(
        state["weight_ih"],
        state["weight_hh"],
        state.get("bias_ih"),
        state.get("bias_hh"),
        reset_after=reset_after,
    )
    assert len(back) == len(keras)
    for a, b in zip(back, keras, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=40)
@given(
    hidden=sizes(6),
    inputs=sizes(5),
    reset_after=flags,
    seed=seeds,
)
def test_torch_to_keras_to_torch_is_identity(hidden, inputs, reset_after, seed):
    rng = np.random.default_rng(seed)
    state = {
        "weight_ih": rng.standard_normal((3 * hidden, inputs)),
        "weight_hh": rng.standard_normal((3 * hidden, hidden)),
        "bias_ih": rng.standard_normal(3 * hidden),
        # reset-before: Keras has one bias, so only a zero bias_hh comes back unchanged
        "bias_hh": rng.standard_normal(3 * hidden) if reset_after else np.zeros(3 * hidden),
    }
    keras = torch_to_keras_direction(*state.values(), reset_after=reset_after)
    back = keras_to_torch_direction(*keras, reset_after=reset_after)
    for name, value in state.items():
        np.testing.assert_array_equal(back[name], value)


@settings(max_examples=25)
@given(hidden=sizes(5), inputs=sizes(4), seed=seeds)
def test_reset_before_bias_fold_computes_the_same_function(hidden, inputs, seed):
    """With reset_after=False, b_hn sits outside r * (...), so b = b_ih + b_hh is exact."""
    rng = np.random.default_rng(seed)
    state = {
        "weight_ih": rng.standard_normal((3 * hidden, inputs)),
        "weight_hh": rng.standard_normal((3 * hidden, hidden)),
        "bias_ih": rng.standard_normal(3 * hidden),
        "bias_hh": rng.standard_normal(3 * hidden),
    }
    folded = keras_to_torch_direction(
        *torch_to_keras_direction(*state.values(), reset_after=False), reset_after=False
    )
    np.testing.assert_allclose(folded["bias_ih"], state["bias_ih"] + state["bias_hh"], rtol=0)
    x = rng.standard_normal((2, 5, inputs))
    h0 = rng.standard_normal((2, hidden))
    expected, h_expected, _ = gru_forward(x, state, h0=h0, reset_after=False)
    got, h_got, _ = gru_forward(x, folded, h0=h0, reset_after=False)
    # float64; the only difference is the rounding of one bias sum
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h_got, h_expected, rtol=0, atol=1e-12)


def test_reset_after_biases_cannot_be_folded():
    """Control for the test above: with reset_after=True the fold changes the function."""
    rng = np.random.default_rng(0)
    state = {
        "weight_ih": rng.standard_normal((6, 3)),
        "weight_hh": rng.standard_normal((6, 2)),
        "bias_ih": rng.standard_normal(6),
        "bias_hh": rng.standard_normal(6),
    }
    folded = {**state, "bias_ih": state["bias_ih"] + state["bias_hh"], "bias_hh": np.zeros(6)}
    x = rng.standard_normal((2, 5, 3))
    expected = gru_forward(x, state, reset_after=True)[0]
    assert np.abs(gru_forward(x, folded, reset_after=True)[0] - expected).max() > 1e-3
