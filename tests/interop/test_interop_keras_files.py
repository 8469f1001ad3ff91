"""Keras 3 files -> grukit, checked against Keras's own outputs stored in committed fixtures.

The fixtures (tests/interop/fixtures, made by make_keras_fixtures.py with TensorFlow 2.21 and
Keras 3.15.1) hold ``.keras`` models and ``.npz`` files with each GRU layer's input and Keras's
float32 outputs; no TensorFlow is needed here. Tolerance: 1e-5 absolute. Keras computes in float32
(single rounding errors of ~6e-8 accumulate over T=6 steps: the observed maximum is ~1.5e-7), and
the same bound holds for grukit's float32 module and for the float64 NumPy reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import grukit
from grukit.interop import from_keras, load_keras
from grukit.interop._keras_source import KerasLayerRecord
from grukit.interop.keras import _select, record_to_spec
from grukit.reference import gru_forward

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ATOL = 1e-5
MERGES = {
    "concat": lambda f, b: np.concatenate([f, b], -1),
    "sum": np.add,
    "mean": lambda f, b: (f + b) / 2,
    "mul": np.multiply,
}

# (fixture, layer) for every convertible GRU layer in the fixtures
CASES = [
    ("gru_reset_after", "gru"),
    ("gru_reset_before", "gru"),
    ("gru_no_bias", "gru"),
    ("gru_no_bias_reset_before", "gru"),
    ("gru_go_backwards", "gru"),
    ("gru_go_backwards_reset_before", "gru"),
    ("gru_options", "gru"),
    ("bidirectional_concat", "bi"),
    ("bidirectional_sum", "bi"),
    ("bidirectional_mul", "bi"),
    ("bidirectional_ave", "bi"),
    ("bidirectional_last", "bi"),
    ("two_grus", "encoder"),
    ("two_grus", "decoder"),
    ("sequential", "seq_gru"),
    ("nested", "first"),
    ("nested", "inner/inner_gru"),
    ("nested", "bi"),
    ("nested", "last"),
]


def _expected(fixture: str, layer: str) -> dict[str, np.ndarray]:
    short = layer.rsplit("/", 1)[-1]
    with np.load(FIXTURES / f"{fixture}.npz") as data:
        return {key.split("/", 1)[1]: data[key] for key in data if key.startswith(f"{short}/")}


def _grukit_run(gru, x, h0=None):
    with torch.no_grad():
        output, h_n = gru(torch.from_numpy(x), None if h0 is None else torch.from_numpy(h0))
    return output.numpy(), h_n.numpy()


def _reference_run(settings, state, x):
    """Keras semantics from the float64 reference alone (independent of grukit.GRU)."""
    reset_after = settings["reset_after"]

    def direction(suffix, reverse):
        roles = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        weights = {r: state[f"{r}_l0{suffix}"] for r in roles if f"{r}_l0{suffix}" in state}
        out, h_n, _ = gru_forward(
            x.astype(np.float64), weights, reset_after=reset_after, reverse=reverse
        )
        return out, h_n

    if not settings["bidirectional"]:
        out, h_n = direction("", settings["go_backwards"])
        # Keras go_backwards returns the outputs in processing order
        return (out[:, ::-1] if settings["go_backwards"] else out), h_n[None]
    (fw, h_fw), (bw, h_bw) = direction("", False), direction("_reverse", True)
    return MERGES[settings["merge"]](fw, bw), np.stack([h_fw, h_bw])


@pytest.mark.parametrize(("fixture", "layer"), CASES)
def test_grukit_matches_keras_outputs(fixture, layer):
    expected = _expected(fixture, layer)
    gru = from_keras(FIXTURES / f"{fixture}.keras", layer=layer, factory=grukit.GRU)
    assert isinstance(gru, grukit.GRU) and not gru.training
    output, h_n = _grukit_run(gru, expected["input"])
    np.testing.assert_allclose(output, expected["output"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_n, expected["h_n"].reshape(h_n.shape), rtol=0, atol=ATOL)
    # what the Keras layer itself returns (return_sequences=False: the last output)
    keras_output = expected["keras_output"]
    if keras_output.ndim == 3:
        np.testing.assert_allclose(output, keras_output, rtol=0, atol=ATOL)
    elif gru.bidirectional:  # the merge of the two final states
        merged = MERGES[gru.merge](h_n[0], h_n[1])
        np.testing.assert_allclose(merged, keras_output, rtol=0, atol=ATOL)
    else:
        np.testing.assert_allclose(output[:, -1], keras_output, rtol=0, atol=ATOL)


@pytest.mark.parametrize(("fixture", "layer"), CASES)
def test_reference_on_converted_weights_matches_keras(fixture, layer):
    expected = _expected(fixture, layer)
    records = [r for r in _records_of(fixture) if r.name == layer]
    settings, state = record_to_spec(records[0])
    output, h_n = _reference_run(settings, state, expected["input"])
    np.testing.assert_allclose(output, expected["output"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_n, expected["h_n"].reshape(h_n.shape), rtol=0, atol=ATOL)


def _records_of(fixture):
    from grukit.interop._keras_source import read_file_records

    return read_file_records(FIXTURES / f"{fixture}.keras")


def test_initial_state_matches_keras():
    with np.load(FIXTURES / "gru_reset_after.npz") as data:
        x, h0 = data["gru/input"], data["h0"]
        expected_output, expected_h = data["gru/output_h0"], data["gru/h_n_h0"]
    gru = grukit.GRU.from_keras(FIXTURES / "gru_reset_after.keras")
    output, h_n = _grukit_run(gru, x, h0[None])
    np.testing.assert_allclose(output, expected_output, rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_n[0], expected_h, rtol=0, atol=ATOL)


def test_settings_read_from_keras():
    assert from_keras(FIXTURES / "gru_reset_before.keras", factory=grukit.GRU).reset_after is False
    assert from_keras(FIXTURES / "gru_no_bias.keras", factory=grukit.GRU).bias is False
    assert from_keras(FIXTURES / "gru_go_backwards.keras", factory=grukit.GRU).go_backwards is True
    options = from_keras(
        FIXTURES / "gru_options.keras", factory=grukit.GRU
    )  # stateful, unroll accepted; Keras's dropout is grukit's input dropout
    assert options.recurrent_dropout == pytest.approx(0.2) and options.dropout == 0.0
    assert options.input_dropout == pytest.approx(0.3)
    for mode, merge in [("concat", "concat"), ("sum", "sum"), ("mul", "mul"), ("ave", "mean")]:
        gru = from_keras(FIXTURES / f"bidirectional_{mode}.keras", factory=grukit.GRU)
        assert gru.bidirectional and gru.merge == merge and not gru.go_backwards


def test_load_keras_lists_every_gru_layer_in_model_order():
    pairs = load_keras(FIXTURES / "nested.keras", factory=grukit.GRU)
    assert [name for name, _ in pairs] == ["first", "inner/inner_gru", "bi", "last"]
    assert all(isinstance(gru, grukit.GRU) for _, gru in pairs)
    assert [gru.hidden_size for _, gru in pairs] == [4, 3, 2, 2]
    assert [name for name, _ in load_keras(FIXTURES / "sequential.keras", factory=grukit.GRU)] == [
        "seq_gru"
    ]


def test_chained_layers_reproduce_the_model():
    """encoder -> decoder on the model input gives Keras's decoder output."""
    with np.load(FIXTURES / "two_grus.npz") as data:
        x, expected = data["x"], data["decoder/output"]
    encoder = from_keras(FIXTURES / "two_grus.keras", layer="encoder", factory=grukit.GRU)
    decoder = from_keras(FIXTURES / "two_grus.keras", layer="decoder", factory=grukit.GRU)
    with torch.no_grad():
        output = decoder(encoder(torch.from_numpy(x))[0])[0].numpy()
    np.testing.assert_allclose(output, expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    "config",
    [
        FIXTURES / "two_grus.json",
        FIXTURES / "two_grus.keras",
        str(FIXTURES / "two_grus.json"),
        json.loads((FIXTURES / "two_grus.json").read_text()),
        (FIXTURES / "two_grus.json").read_text(),
    ],
    ids=["json-path", "keras-path", "json-str-path", "dict", "json-text"],
)
def test_weights_file_with_config(config):
    from_file = from_keras(FIXTURES / "two_grus.keras", layer="decoder", factory=grukit.GRU)
    gru = from_keras(
        FIXTURES / "two_grus.weights.h5", layer="decoder", config=config, factory=grukit.GRU
    )
    for (name, a), (_, b) in zip(gru.named_parameters(), from_file.named_parameters(), strict=True):
        assert torch.equal(a, b), name
    assert [
        n
        for n, _ in load_keras(FIXTURES / "two_grus.weights.h5", config=config, factory=grukit.GRU)
    ] == [
        "encoder",
        "decoder",
    ]


def test_weights_file_needs_a_config():
    with pytest.raises(ValueError, match=r"weights file without an architecture: pass `config=`"):
        from_keras(FIXTURES / "two_grus.weights.h5", factory=grukit.GRU)
    with pytest.raises(ValueError, match=r"`config` is only used with a .weights.h5 file"):
        from_keras(
            FIXTURES / "two_grus.keras", config=FIXTURES / "two_grus.json", factory=grukit.GRU
        )


def test_weights_that_do_not_match_the_config_are_refused():
    config = json.loads((FIXTURES / "two_grus.json").read_text())
    config["config"]["layers"][1]["config"]["name"] = "renamed"
    with pytest.raises(ValueError, match=r"holds layer 'encoder', the config expects 'renamed'"):
        load_keras(FIXTURES / "two_grus.weights.h5", config=config, factory=grukit.GRU)
    config = json.loads((FIXTURES / "two_grus.json").read_text())
    config["config"]["layers"][1]["config"]["units"] = 5
    with pytest.raises(ValueError, match=r"`kernel` must have shape \(I, 15\) for units=5"):
        from_keras(
            FIXTURES / "two_grus.weights.h5", layer="encoder", config=config, factory=grukit.GRU
        )


def test_layer_selection_errors_list_the_names():
    with pytest.raises(ValueError, match=r"has 2 GRU layers: pass `layer=` one of \['encoder'"):
        from_keras(FIXTURES / "two_grus.keras", factory=grukit.GRU)
    with pytest.raises(ValueError, match=r"`layer` 'nope' was not found; available GRU layers"):
        from_keras(FIXTURES / "two_grus.keras", layer="nope", factory=grukit.GRU)
    assert (
        from_keras(FIXTURES / "nested.keras", layer="inner_gru", factory=grukit.GRU).hidden_size
        == 3
    )
    twins = [KerasLayerRecord(f"{m}/gru", "GRU", {}, []) for m in ("a", "b")]
    with pytest.raises(ValueError, match=r"`layer` 'gru' is ambiguous; .*\['a/gru', 'b/gru'\]"):
        _select(twins, "gru", "model")
    assert _select(twins, "b/gru", "model") is twins[1]


@pytest.mark.parametrize(
    ("fixture", "match"),
    [
        ("gru_relu", r"Keras layer 'gru': `activation` must be 'tanh' to convert .* got 'relu'"),
        ("bidirectional_none", r"Bidirectional `merge_mode` must be one of .* got None"),
        (
            "bidirectional_mismatch",
            r"the custom `backward_layer` has reset_after=False but the forward layer has "
            r"reset_after=True",
        ),
    ],
)
def test_unsupported_keras_layers_are_refused(fixture, match):
    with pytest.raises(ValueError, match=match):
        from_keras(FIXTURES / f"{fixture}.keras", factory=grukit.GRU)
    with pytest.raises(ValueError, match=match):
        load_keras(FIXTURES / f"{fixture}.keras", factory=grukit.GRU)


def _gru_record(**changes):
    """The two_grus encoder with its config changed (refusals need no extra fixtures)."""
    record = next(r for r in _records_of("two_grus") if r.name == "encoder")
    return KerasLayerRecord(record.name, "GRU", {**record.config, **changes}, record.weights)


def test_recurrent_activation_other_than_sigmoid_is_refused():
    with pytest.raises(ValueError, match=r"`recurrent_activation` must be 'sigmoid' .* 'hard_sig"):
        record_to_spec(_gru_record(recurrent_activation="hard_sigmoid"))


def test_bidirectional_with_a_backwards_forward_layer_is_refused():
    record = next(r for r in _records_of("bidirectional_sum"))
    config = json.loads(json.dumps(record.config))
    config["layer"]["config"]["go_backwards"] = True
    config["backward_layer"]["config"]["go_backwards"] = False
    with pytest.raises(ValueError, match=r"forward layer has `go_backwards=True`"):
        record_to_spec(KerasLayerRecord("bi", "Bidirectional", config, record.weights))


def test_bad_sources_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Keras file not found: .*missing.keras"):
        from_keras(tmp_path / "missing.keras", factory=grukit.GRU)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"is neither a .keras archive nor an HDF5 weights file"):
        from_keras(text, factory=grukit.GRU)
    with pytest.raises(TypeError, match=r"`source` must be the path of a .keras or .weights.h5"):
        from_keras(42, factory=grukit.GRU)
    with pytest.raises(ValueError, match=r"no Keras GRU or Bidirectional\(GRU\) layer found"):
        config = json.loads((FIXTURES / "two_grus.json").read_text())
        config["config"]["layers"] = config["config"]["layers"][:1]  # the input layer only
        from_keras(FIXTURES / "two_grus.weights.h5", config=config, factory=grukit.GRU)
    with pytest.raises(ValueError, match=r"has no layer list in its config \(subclassed"):
        from_keras(
            FIXTURES / "two_grus.weights.h5",
            config={"class_name": "Functional"},
            factory=grukit.GRU,
        )


def test_class_methods_forward_config_and_layer():
    """``GRU.from_keras(..., config=)`` and ``to_keras_weights(layer=)`` reach grukit.interop."""
    from grukit import interop

    fixtures = Path(__file__).parent / "fixtures"
    weights, config = fixtures / "two_grus.weights.h5", fixtures / "two_grus.json"
    via_class = grukit.GRU.from_keras(weights, layer="decoder", config=config)
    via_module = interop.from_keras(weights, layer="decoder", config=config, factory=grukit.GRU)
    for (name, a), (_, b) in zip(
        via_class.state_dict().items(), via_module.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
    stacked = grukit.GRU(3, 4, num_layers=2)
    arrays = stacked.to_keras_weights(layer=1)
    assert [a.shape for a in arrays] == [(4, 12), (4, 12), (2, 12)]
