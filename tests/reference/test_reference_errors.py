"""Bad input to the reference engine fails at the boundary with a message naming the argument,
the expected value and the given value."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grukit.reference import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward

B, T, I, H = 2, 3, 3, 4


def weights(**changes):
    rng = np.random.default_rng(0)
    base = {
        "weight_ih": rng.normal(size=(3 * H, I)),
        "weight_hh": rng.normal(size=(3 * H, H)),
        "bias_ih": np.zeros(3 * H),
        "bias_hh": np.zeros(3 * H),
    }
    base.update(changes)
    return {key: value for key, value in base.items() if not isinstance(value, str)}


X = np.zeros((B, T, I))

FORWARD_ERRORS = [
    ({"x": np.zeros((B, I))}, ValueError, "`x` must be a 3-D array, got 2-D with shape (2, 3)"),
    (
        {"x": X.astype(complex)},
        TypeError,
        "`x` must be a real floating-point array, got dtype complex128",
    ),
    ({"x": X > 0}, TypeError, "`x` must be a real floating-point array, got dtype bool"),
    ({"weights": [1, 2]}, TypeError, "`weights` must be a dict of arrays with keys"),
    (
        {"weights": weights(bias_i=np.zeros(3 * H))},
        ValueError,
        "`weights` has unknown key(s) ['bias_i']; expected keys among ['weight_ih', ",
    ),
    (
        {"weights": weights(weight_hh="drop")},
        ValueError,
        "`weights` is missing the required key 'weight_hh'",
    ),
    (
        {"weights": weights(weight_ih=None)},
        ValueError,
        "`weights` is missing the required key 'weight_ih'",
    ),
    (
        {"weights": weights(weight_hh=np.zeros((3 * H, H + 1)))},
        ValueError,
        "`weights['weight_hh']` must have shape (3 * hidden_size, hidden_size) with "
        "hidden_size >= 1, got (12, 5)",
    ),
    (
        {"weights": weights(weight_ih=np.zeros((3 * H, I + 1)))},
        ValueError,
        "`weights['weight_ih']` must have shape (3 * hidden_size, input_size) = (12, 3), "
        "got (12, 4)",
    ),
    (
        {"weights": weights(bias_hh=np.zeros(3 * H + 1))},
        ValueError,
        "`weights['bias_hh']` must have shape (3 * hidden_size,) = (12,), got (13,)",
    ),
    (
        {"weights": weights(weight_ih=np.zeros((3 * H, I), dtype=object))},
        TypeError,
        "`weights['weight_ih']` must be a real floating-point array, got dtype object",
    ),
    (
        {"weights": weights(norm_weight_ih=np.ones(3 * H))},
        ValueError,
        "`weights` must hold both 'norm_weight_ih' and 'norm_weight_hh' (layer norm) or "
        "neither, got only 'norm_weight_ih'",
    ),
    (
        {"weights": weights(norm_weight_ih=np.ones(3 * H), norm_weight_hh=np.ones(2 * H))},
        ValueError,
        "`weights['norm_weight_hh']` must have shape (3 * hidden_size,) = (12,), got (8,)",
    ),
    (
        {"h0": np.zeros((B, H + 1))},
        ValueError,
        "`h0` must have shape (batch, hidden_size) = (2, 4), got (2, 5)",
    ),
    (
        {"lengths": [3, 4]},
        ValueError,
        "`lengths` must lie in [0, 3] (the number of time steps), got 4 at index 1",
    ),
    (
        {"lengths": [-1, 2]},
        ValueError,
        "`lengths` must lie in [0, 3] (the number of time steps), got -1 at index 0",
    ),
    (
        {"lengths": [3.0, 2.0]},
        TypeError,
        "`lengths` must be an array of integers, got dtype float64",
    ),
    ({"lengths": [3]}, ValueError, "`lengths` must have shape (batch,) = (2,), got (1,)"),
    ({"reset_after": "yes"}, TypeError, "`reset_after` must be a bool, got 'yes'"),
    ({"reverse": 1}, TypeError, "`reverse` must be a bool, got 1"),
    (
        {"recurrent_mask": np.ones((B, T, H))},
        ValueError,
        "`recurrent_mask` must have shape (batch, hidden_size) = (2, 4), got (2, 3, 4)",
    ),
    (
        {"zoneout_keep": np.zeros((B, H))},
        ValueError,
        "`zoneout_keep` must have shape (batch, time, hidden_size) = (2, 3, 4), got (2, 4)",
    ),
    (
        {"zoneout_keep": np.full((B, T, H), 1.5)},
        ValueError,
        "`zoneout_keep` entries must lie in [0, 1], got 1.5",
    ),
]


@pytest.mark.parametrize(("changes", "error", "message"), FORWARD_ERRORS)
def test_gru_forward_rejects_bad_input(changes, error, message):
    arguments = {"x": X, "weights": weights(), **changes}
    with pytest.raises(error, match=re.escape(message)):
        gru_forward(arguments.pop("x"), arguments.pop("weights"), **arguments)


def test_gru_backward_rejects_bad_input():
    output, _, cache = gru_forward(X, weights())
    with pytest.raises(TypeError, match=re.escape("`cache` must be the GRUForwardCache returned")):
        gru_backward(output, None, {"not": "a cache"})
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`d_output` must have shape (batch, time, hidden_size) = (2, 3, 4), got (2, 4)"
        ),
    ):
        gru_backward(np.zeros((B, H)), None, cache)
    with pytest.raises(
        ValueError,
        match=re.escape("`d_h_n` must have shape (batch, hidden_size) = (2, 4), got (4,)"),
    ):
        gru_backward(None, np.zeros(H), cache)


def test_cell_functions_reject_bad_input():
    x, h = np.zeros((B, I)), np.zeros((B, H))
    with pytest.raises(ValueError, match=re.escape("`x` must be a 2-D array, got 3-D")):
        gru_cell_forward(X, h, weights())
    with pytest.raises(ValueError, match=re.escape("`h` must have shape (batch, hidden_size)")):
        gru_cell_forward(x, np.zeros((B + 1, H)), weights())
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`zoneout_keep` must have shape (batch, hidden_size) = (2, 4), got (2, 3, 4)"
        ),
    ):
        gru_cell_forward(x, h, weights(), zoneout_keep=np.zeros((B, T, H)))
    _, cache = gru_cell_forward(x, h, weights())
    with pytest.raises(TypeError, match=re.escape("`cache` must be the GRUCellCache returned")):
        gru_cell_backward(h, None)
    with pytest.raises(
        ValueError, match=re.escape("`d_h_new` must have shape (batch, hidden_size)")
    ):
        gru_cell_backward(np.zeros((B, H + 1)), cache)
