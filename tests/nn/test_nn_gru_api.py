"""grukit.GRU's interface: layouts, state dicts, config, init, go_backwards, interop hooks."""

from __future__ import annotations

import json
import math
import sys
import types

import pytest
import torch

import grukit


def test_parameter_names_and_shapes_match_torch_gru():
    ours = grukit.GRU(3, 5, num_layers=2, bidirectional=True, layer_norm=True)
    theirs = torch.nn.GRU(3, 5, num_layers=2, bidirectional=True)
    shapes = {name: tuple(p.shape) for name, p in ours.named_parameters()}
    for name, p in theirs.named_parameters():
        assert shapes.pop(name) == tuple(p.shape)
    assert shapes == {  # what is left are the layer norm gains, initialised to one
        f"norm_weight_{kind}_l{k}{sfx}": (15,)
        for k in (0, 1)
        for sfx in ("", "_reverse")
        for kind in ("ih", "hh")
    }
    assert all(torch.equal(p, torch.ones(15)) for n, p in ours.named_parameters() if "norm" in n)


@pytest.mark.parametrize(
    "config",
    [
        {"num_layers": 2, "bidirectional": True, "layer_norm": True, "reset_after": False},
        {"zoneout": 0.2, "bias": False, "init": "keras"},
    ],
)
def test_state_dict_round_trip_into_fresh_module(config):
    a = grukit.GRU(3, 5, **config).eval()
    b = grukit.GRU(3, 5, **config).eval()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 6, 3)
    for u, v in zip(a(x), b(x), strict=True):
        assert torch.equal(u, v)


def test_state_dict_round_trip_through_torch_gru():
    theirs = torch.nn.GRU(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    ours = grukit.GRU(3, 5, num_layers=2, bidirectional=True, engine="native")  # bitwise
    ours.load_state_dict(theirs.state_dict())
    back = torch.nn.GRU(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    back.load_state_dict(ours.state_dict())
    x = torch.randn(2, 6, 3)
    for u, v in zip(ours(x), back(x), strict=True):
        assert torch.equal(u, v)


@pytest.mark.parametrize("engine", ["native", "torch"])
def test_unbatched_input_equals_batch_of_one(engine):
    gru = grukit.GRU(3, 5, num_layers=2, bidirectional=True, engine=engine).double()
    x = torch.randn(7, 3, dtype=torch.float64)
    h0 = torch.randn(4, 5, dtype=torch.float64)
    output, h_n = gru(x, h0, lengths=4)
    assert output.shape == (7, 10) and h_n.shape == (4, 5)
    batched_out, batched_h_n = gru(x[None], h0[:, None], lengths=[4])
    torch.testing.assert_close(output, batched_out[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n, batched_h_n[:, 0], rtol=0, atol=1e-12)
    assert torch.count_nonzero(output[4:]) == 0


def test_time_major_input_equals_batch_first():
    config = {"num_layers": 2, "bidirectional": True, "layer_norm": True}
    batch_first = grukit.GRU(3, 5, **config).double()
    time_major = grukit.GRU(3, 5, batch_first=False, **config).double()
    time_major.load_state_dict(batch_first.state_dict())
    x = torch.randn(4, 6, 3, dtype=torch.float64)
    output, h_n = time_major(x.transpose(0, 1), lengths=[6, 2, 0, 5])
    expected_output, expected_h_n = batch_first(x, lengths=[6, 2, 0, 5])
    assert output.shape == (6, 4, 10)
    torch.testing.assert_close(output.transpose(0, 1), expected_output, rtol=0, atol=0)
    torch.testing.assert_close(h_n, expected_h_n, rtol=0, atol=0)


def test_merge_modes_combine_the_concatenated_directions():
    torch.manual_seed(0)
    concat = grukit.GRU(3, 5, num_layers=2, bidirectional=True).eval()
    x = torch.randn(2, 6, 3)
    full, h_n = concat(x)
    forward, backward = full[..., :5], full[..., 5:]
    expected = {
        "sum": forward + backward,
        "mean": (forward + backward) / 2,
        "mul": forward * backward,
    }
    for merge, value in expected.items():
        merged = grukit.GRU(3, 5, num_layers=2, bidirectional=True, merge=merge)
        merged.load_state_dict(concat.state_dict())
        output, merged_h_n = merged(x)
        assert output.shape == (2, 6, 5)
        torch.testing.assert_close(output, value, rtol=0, atol=0)
        assert torch.equal(merged_h_n, h_n)


@pytest.mark.parametrize("engine", ["native", "torch"])
def test_go_backwards_is_a_forward_pass_over_the_reversed_sequence(engine):
    backwards = grukit.GRU(3, 5, num_layers=2, go_backwards=True, engine=engine).double()
    plain = grukit.GRU(3, 5, num_layers=2, engine=engine).double()
    plain.load_state_dict(backwards.state_dict())
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    output, h_n = backwards(x)
    expected_output, expected_h_n = plain(x.flip(1))
    torch.testing.assert_close(output, expected_output, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n, expected_h_n, rtol=0, atol=1e-12)
    # with lengths: each row's valid steps reversed, the output in Keras's (left-padded) layout
    output, h_n = backwards(x, lengths=[6, 2, 0])
    row_output, row_h_n = plain(x[1:2, :2].flip(1))
    torch.testing.assert_close(output[1, 4:], row_output[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n[:, 1], row_h_n[:, 0], rtol=0, atol=1e-12)
    assert torch.count_nonzero(output[1, :4]) == 0 and torch.count_nonzero(output[2]) == 0


def test_single_layer_dropout_is_inactive_and_eval_is_deterministic():
    torch.manual_seed(0)
    gru = grukit.GRU(3, 5, dropout=0.5, engine="torch")
    x = torch.randn(2, 6, 3)
    training_output = gru(x)[0]
    gru.eval()
    assert torch.equal(training_output, gru(x)[0])  # dropout acts between layers only
    stack = grukit.GRU(3, 5, num_layers=2, dropout=0.5, layer_norm=True).train()
    assert not torch.equal(stack(x)[0], stack(x)[0])
    stack.eval()
    assert torch.equal(stack(x)[0], stack(x)[0])


def test_config_round_trip_through_json():
    gru = grukit.GRU(
        3,
        5,
        num_layers=2,
        bidirectional=True,
        merge="mul",
        reset_after=False,
        bias=False,
        batch_first=False,
        dropout=0.1,
        recurrent_dropout=0.2,
        zoneout=0.3,
        layer_norm=True,
        init="keras",
        engine="torch",
    )
    config = json.loads(json.dumps(gru.config()))
    assert config == gru.config()
    clone = grukit.GRU.from_config(config)
    assert clone.config() == config
    assert [(n, p.shape) for n, p in clone.named_parameters()] == [
        (n, p.shape) for n, p in gru.named_parameters()
    ]
    assert grukit.GRU.from_config({"input_size": 2, "hidden_size": 3}).config()["engine"] == "auto"
    with pytest.raises(ValueError, match="`config` has keys that GRU does not take: \\['units'\\]"):
        grukit.GRU.from_config({"input_size": 2, "hidden_size": 3, "units": 4})
    with pytest.raises(ValueError, match="`config` must be a mapping, got list"):
        grukit.GRU.from_config([3, 5])


def test_torch_init_is_uniform_within_one_over_sqrt_hidden():
    gru = grukit.GRU(4, 16, num_layers=2, layer_norm=True)
    bound = 1 / math.sqrt(16)
    values = torch.cat([p.detach().flatten() for n, p in gru.named_parameters() if "norm" not in n])
    assert float(values.abs().max()) <= bound
    assert abs(float(values.std()) - bound / math.sqrt(3)) < 0.02  # uniform: std = bound / sqrt 3


def test_keras_init_glorot_orthogonal_zero():
    gru = grukit.GRU(4, 16, num_layers=2, bidirectional=True, init="keras", layer_norm=True)
    for name, p in gru.named_parameters():
        p = p.detach()
        if name.startswith("weight_ih"):
            limit = math.sqrt(6 / (p.shape[1] + 48))
            assert float(p.abs().max()) <= limit and float(p.abs().max()) > 0.8 * limit
        elif name.startswith("weight_hh"):  # (3H, H) with orthonormal columns
            torch.testing.assert_close(p.T @ p, torch.eye(16), rtol=0, atol=1e-5)
        elif name.startswith("bias"):
            assert torch.count_nonzero(p) == 0
        else:
            assert torch.equal(p, torch.ones(48))


def test_reset_parameters_redraws():
    gru = grukit.GRU(3, 5)
    before = gru.weight_hh_l0.detach().clone()
    gru.reset_parameters()
    assert not torch.equal(before, gru.weight_hh_l0)


def test_interop_methods_delegate_to_grukit_interop(monkeypatch):
    calls = []
    fake = types.ModuleType("grukit.interop")
    for name in ("from_torch", "to_torch", "cell_from_torch", "cell_to_torch"):
        setattr(fake, name, lambda obj, _name=name: calls.append((_name, obj)) or _name)
    fake.to_keras_weights = lambda obj, layer=None: (
        calls.append(("to_keras_weights", obj, layer)) or "to_keras_weights"
    )
    fake.from_keras = lambda source, layer=None, config=None: (
        calls.append(("from_keras", source, layer, config)) or 1
    )
    monkeypatch.setitem(sys.modules, "grukit.interop", fake)
    monkeypatch.setattr(grukit, "interop", fake, raising=False)
    gru, cell, module = grukit.GRU(2, 3), grukit.GRUCell(2, 3), object()
    assert grukit.GRU.from_torch(module) == "from_torch"
    assert gru.to_torch() == "to_torch"
    assert gru.to_keras_weights(layer=0) == "to_keras_weights"
    assert grukit.GRU.from_keras("model.keras", layer="gru", config="c.json") == 1
    assert grukit.GRUCell.from_torch(module) == "cell_from_torch"
    assert cell.to_torch() == "cell_to_torch"
    assert calls == [
        ("from_torch", module),
        ("to_torch", gru),
        ("to_keras_weights", gru, 0),
        ("from_keras", "model.keras", "gru", "c.json"),
        ("cell_from_torch", module),
        ("cell_to_torch", cell),
    ]


def test_repr_lists_non_default_options():
    assert repr(grukit.GRU(3, 5)) == "GRU(3, 5)"
    assert repr(grukit.GRU(3, 5, zoneout=0.1, engine="torch")) == (
        "GRU(3, 5, zoneout=0.1, engine='torch')"
    )
