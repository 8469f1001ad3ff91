"""grukit -> Keras ``set_weights`` arrays: layout, round trips through the Keras reader, refusals.

Tolerances: arrays are compared bit for bit, except that a reset-before GRU with a nonzero
``bias_hh`` becomes one Keras bias ``bias_ih + bias_hh`` (one rounding), whose outputs are compared
to 1e-12 in float64.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings

import grukit
from grukit.interop import from_keras, to_keras_weights
from grukit.interop._keras_source import KerasLayerRecord, read_file_records
from grukit.interop._modules import build
from grukit.interop.keras import record_to_spec
from strategies import choices, flags, seeds, sizes

KERAS_MERGE = {"concat": "concat", "sum": "sum", "mul": "mul", "mean": "ave"}


def _keras_gru_config(gru, go_backwards=False):
    return {
        "name": "gru",
        "units": gru.hidden_size,
        "activation": "tanh",
        "recurrent_activation": "sigmoid",
        "use_bias": gru.bias,
        "reset_after": gru.reset_after,
        "go_backwards": go_backwards,
        "dropout": gru.input_dropout,
        "recurrent_dropout": gru.recurrent_dropout,
    }


def _as_keras_record(gru, weights):
    """What the Keras reader sees for a layer built with these arrays (Keras itself not needed)."""
    if not gru.bidirectional:
        return KerasLayerRecord("gru", "GRU", _keras_gru_config(gru, gru.go_backwards), weights)
    config = {
        "merge_mode": KERAS_MERGE[gru.merge],
        "layer": {"class_name": "GRU", "config": _keras_gru_config(gru)},
        "backward_layer": {"class_name": "GRU", "config": _keras_gru_config(gru, True)},
    }
    return KerasLayerRecord("bi", "Bidirectional", config, weights)


def _randomize(gru, seed, zero_bias_hh=False):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in gru.named_parameters():
            p.copy_(torch.rand(p.shape, generator=generator, dtype=p.dtype) - 0.5)
            if zero_bias_hh and name.startswith("bias_hh"):
                p.zero_()
    return gru


def test_layout_of_a_unidirectional_gru():
    gru = grukit.GRU(3, 4)
    kernel, recurrent, bias = to_keras_weights(gru)
    assert kernel.shape == (3, 12) and recurrent.shape == (4, 12) and bias.shape == (2, 12)
    # Keras column block z (0) is grukit's row block z (1); r and z swap, n stays
    w = gru.weight_ih_l0.detach().numpy()
    np.testing.assert_array_equal(kernel[:, :4], w[4:8].T)
    np.testing.assert_array_equal(kernel[:, 4:8], w[:4].T)
    np.testing.assert_array_equal(kernel[:, 8:], w[8:].T)
    np.testing.assert_array_equal(bias[1, 8:], gru.bias_hh_l0.detach().numpy()[8:])
    assert [a.shape for a in to_keras_weights(grukit.GRU(3, 4, reset_after=False))][2] == (12,)
    assert len(to_keras_weights(grukit.GRU(3, 4, bias=False))) == 2


def test_bidirectional_order_is_forward_then_backward():
    gru = grukit.GRU(3, 2, bidirectional=True, merge="sum")
    weights = to_keras_weights(gru)
    assert [w.shape for w in weights] == [(3, 6), (2, 6), (2, 6)] * 2
    np.testing.assert_array_equal(weights[3].T[2:4], gru.weight_ih_l0_reverse.detach()[:2])


@settings(max_examples=30)
@given(
    hidden=sizes(5),
    inputs=sizes(4),
    bidirectional=flags,
    merge=choices(sorted(KERAS_MERGE)),
    reset_after=flags,
    bias=flags,
    go_backwards=flags,
    seed=seeds,
)
def test_to_keras_then_back_is_identity(
    hidden, inputs, bidirectional, merge, reset_after, bias, go_backwards, seed
):
    options = {"bidirectional": True, "merge": merge} if bidirectional else {}
    if go_backwards and not bidirectional:
        options["go_backwards"] = True
    gru = grukit.GRU(inputs, hidden, reset_after=reset_after, bias=bias, **options)
    _randomize(gru, seed, zero_bias_hh=not reset_after)  # Keras reset-before: one bias
    weights = to_keras_weights(gru)
    settings_back, state = record_to_spec(_as_keras_record(gru, weights))
    for name, p in gru.named_parameters():
        np.testing.assert_array_equal(state[name], p.detach().numpy(), err_msg=name)
    for key in ("input_size", "hidden_size", "bidirectional", "reset_after", "bias"):
        assert settings_back[key] == getattr(gru, key), key
    assert settings_back["merge"] == gru.merge and settings_back["go_backwards"] == gru.go_backwards


@pytest.mark.parametrize("bidirectional", [False, True])
def test_reset_before_bias_hh_is_folded_exactly(bidirectional):
    gru = _randomize(grukit.GRU(3, 4, reset_after=False, bidirectional=bidirectional).double(), 7)
    assert gru.bias_hh_l0.abs().min() > 0
    settings_back, state = record_to_spec(_as_keras_record(gru, to_keras_weights(gru)))
    back = build(grukit.GRU, settings_back, state)
    assert back.bias_hh_l0.abs().max() == 0
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    with torch.no_grad():
        (out, h_n), (out_back, h_back) = gru(x), back(x)
    torch.testing.assert_close(out_back, out, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_back, h_n, rtol=0, atol=1e-12)


def test_keras_file_to_grukit_to_keras_weights_is_identity():
    """Through a real Keras file: the arrays come back exactly as Keras stored them."""
    fixtures = Path(__file__).resolve().parent / "fixtures"
    for name in ("gru_reset_before", "bidirectional_ave", "gru_no_bias"):
        (record,) = read_file_records(fixtures / f"{name}.keras")
        back = grukit.GRU.from_keras(fixtures / f"{name}.keras").to_keras_weights()
        assert len(back) == len(record.weights)
        for a, b in zip(back, record.weights, strict=True):
            np.testing.assert_array_equal(a, b)
    assert from_keras(fixtures / "gru_options.keras", factory=grukit.GRU).to_keras_weights()[
        0
    ].shape == (3, 12)


def test_multi_layer_gru_needs_a_layer_index():
    gru = grukit.GRU(3, 4, num_layers=3, bidirectional=True)
    with pytest.raises(ValueError, match=r"num_layers=3; Keras has no multi-layer GRU: pass `lay"):
        to_keras_weights(gru)
    first, middle = to_keras_weights(gru, layer=0), to_keras_weights(gru, layer=1)
    assert first[0].shape == (3, 12) and middle[0].shape == (8, 12)  # input 2H below the top
    w = gru.weight_hh_l1_reverse.detach().numpy()  # rows r, z, n -> Keras columns z, r, h
    np.testing.assert_array_equal(middle[4], np.concatenate([w[4:8], w[:4], w[8:]]).T)
    with pytest.raises(ValueError, match=r"`layer` must be in 0..2, got 3"):
        to_keras_weights(gru, layer=3)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"layer_norm": True}, r"layer_norm=True: Keras' GRU has no layer normalization"),
        ({"zoneout": 0.1}, r"zoneout=0.1: Keras' GRU has no zoneout"),
    ],
)
def test_to_keras_refusals(options, match):
    with pytest.raises(ValueError, match=r"cannot convert a GRU with " + match):
        to_keras_weights(grukit.GRU(3, 4, **options))


def test_recurrent_dropout_is_kept_out_of_the_weights():
    gru = grukit.GRU(3, 4, recurrent_dropout=0.3)
    assert len(to_keras_weights(gru)) == 3


@pytest.mark.parametrize("bidirectional", [False, True], ids=["gru", "bidirectional"])
def test_keras_dropouts_map_to_input_and_recurrent_dropout(bidirectional):
    """Keras's ``dropout`` (input dropout) becomes ``input_dropout``, ``recurrent_dropout`` stays;
    neither enters the weights, and the module built from the settings carries both."""
    options = {"bidirectional": True} if bidirectional else {}
    gru = grukit.GRU(3, 4, input_dropout=0.3, recurrent_dropout=0.2, **options)
    weights = to_keras_weights(gru)
    assert len(weights) == 3 * (2 if bidirectional else 1)
    settings, _ = record_to_spec(_as_keras_record(gru, weights))
    assert settings["input_dropout"] == 0.3 and settings["recurrent_dropout"] == 0.2
    assert "dropout" not in settings  # between layers: a one-layer Keras GRU has none
    again = grukit.GRU(**settings)
    assert again.input_dropout == 0.3 and again.recurrent_dropout == 0.2
