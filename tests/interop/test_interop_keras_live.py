"""Live Keras objects (skipped when ``keras`` is not installed; the file-based tests need no Keras).

Run them with an environment that has Keras 3, e.g. a TensorFlow virtualenv plus grukit's
dependencies. Keras computes in float32: tolerance 1e-5 absolute (see test_interop_keras_files).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import grukit
from grukit.interop import from_keras, load_keras, to_keras_weights

keras = pytest.importorskip("keras")

ATOL = 1e-5
KERAS_MERGE = {"concat": "concat", "sum": "sum", "mul": "mul", "mean": "ave"}


def _randomize(layer, seed):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.6, 0.6, w.shape) for w in layer.get_weights()])
    return layer


def _grukit(gru, x):
    with torch.no_grad():
        output, h_n = gru(torch.tensor(x))
    return output.numpy(), h_n.numpy()


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_from_live_gru(x, reset_after, go_backwards):
    layer = keras.layers.GRU(
        4,
        reset_after=reset_after,
        go_backwards=go_backwards,
        return_sequences=True,
        return_state=True,
    )
    layer.build(x.shape)
    _randomize(layer, 1)
    expected, h_expected = (np.asarray(a) for a in layer(x))
    output, h_n = _grukit(from_keras(layer, factory=grukit.GRU), x)
    np.testing.assert_allclose(output, expected, rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_n[0], h_expected, rtol=0, atol=ATOL)


def test_from_live_model_picks_a_layer_by_name(x):
    inputs = keras.Input((5, 3))
    hidden = keras.layers.GRU(4, return_sequences=True, name="a")(inputs)
    layer = keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True), merge_mode="ave", name="b"
    )
    model = keras.Model(inputs, layer(hidden))
    _randomize(layer, 2)
    assert [name for name, _ in load_keras(model, factory=grukit.GRU)] == ["a", "b"]
    gru = from_keras(model, layer="b", factory=grukit.GRU)
    hidden_value = np.asarray(model.get_layer("a")(x))
    output, _ = _grukit(gru, hidden_value)
    np.testing.assert_allclose(output, np.asarray(layer(hidden_value)), rtol=0, atol=ATOL)


def test_unbuilt_layer_is_refused():
    with pytest.raises(ValueError, match=r"is not built yet"):
        from_keras(keras.layers.GRU(3, name="fresh"), factory=grukit.GRU)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"reset_after": False},
        {"bias": False},
        {"go_backwards": True},
        {"bidirectional": True, "merge": "concat"},
        {"bidirectional": True, "merge": "mean", "reset_after": False},
        {"bidirectional": True, "merge": "mul"},
    ],
)
def test_to_keras_weights_reproduce_grukit(x, options):
    torch.manual_seed(3)
    gru = grukit.GRU(3, 4, **options).eval()
    with torch.no_grad():  # nonzero bias_hh: folded into one bias when reset_after=False
        for p in gru.parameters():
            p.uniform_(-0.6, 0.6)
    core = {
        "reset_after": gru.reset_after,
        "use_bias": gru.bias,
        "return_sequences": True,
        "return_state": True,
    }
    if gru.bidirectional:
        layer = keras.layers.Bidirectional(
            keras.layers.GRU(4, **core), merge_mode=KERAS_MERGE[gru.merge]
        )
    else:
        layer = keras.layers.GRU(4, go_backwards=gru.go_backwards, **core)
    layer.build(x.shape)
    layer.set_weights(to_keras_weights(gru))
    result = [np.asarray(a) for a in layer(x)]
    output, h_n = _grukit(gru, x)
    np.testing.assert_allclose(result[0], output, rtol=0, atol=ATOL)
    np.testing.assert_allclose(np.stack(result[1:]), h_n, rtol=0, atol=ATOL)


def test_multi_layer_gru_as_a_keras_stack(x):
    gru = grukit.GRU(3, 4, num_layers=2, bidirectional=True, merge="sum").eval()
    layers = [
        keras.layers.Bidirectional(
            keras.layers.GRU(4, return_sequences=True), merge_mode="concat" if k == 0 else "sum"
        )
        for k in range(2)
    ]
    value = x
    for k, layer in enumerate(layers):
        layer.build(value.shape)
        layer.set_weights(to_keras_weights(gru, layer=k))
        value = np.asarray(layer(value))
    np.testing.assert_allclose(value, _grukit(gru, x)[0], rtol=0, atol=ATOL)
