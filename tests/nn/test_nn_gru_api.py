"""grukit.GRU's interface: layouts, state dicts, config, init, go_backwards, interop hooks."""

from __future__ import annotations

import json
import math

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
        input_dropout=0.15,
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
    from grukit.interop import keras, pytorch

    calls = []

    def fake(name):
        def convert(obj, **kwargs):
            calls.append((name, obj, kwargs))
            return name

        return convert

    for module, names in (
        (pytorch, ("from_torch", "to_torch", "cell_from_torch", "cell_to_torch")),
        (keras, ("from_keras", "to_keras_weights")),
    ):
        for name in names:
            monkeypatch.setattr(module, name, fake(name))
    gru, cell, module = grukit.GRU(2, 3), grukit.GRUCell(2, 3), object()
    assert grukit.GRU.from_torch(module) == "from_torch"
    assert gru.to_torch() == "to_torch"
    assert gru.to_keras_weights(layer=0) == "to_keras_weights"
    assert grukit.GRU.from_keras("model.keras", layer="gru", config="c.json") == "from_keras"
    assert grukit.GRUCell.from_torch(module) == "cell_from_torch"
    assert cell.to_torch() == "cell_to_torch"
    assert calls == [
        ("from_torch", module, {"factory": grukit.GRU}),  # the class builds the module
        ("to_torch", gru, {}),
        ("to_keras_weights", gru, {"layer": 0}),
        ("from_keras", "model.keras", {"layer": "gru", "config": "c.json", "factory": grukit.GRU}),
        ("cell_from_torch", module, {"factory": grukit.GRUCell}),
        ("cell_to_torch", cell, {}),
    ]


def test_interop_classmethods_build_the_calling_class():
    class Custom(grukit.GRU):
        pass

    gru = Custom.from_torch(torch.nn.GRU(2, 3))
    assert type(gru) is Custom


def test_direction_weights_by_role():
    gru = grukit.GRU(3, 4, num_layers=2, bidirectional=True, layer_norm=True)
    weights = gru.direction_weights(1, direction=1)
    assert weights.weight_ih is gru.weight_ih_l1_reverse
    assert weights.weight_hh is gru.weight_hh_l1_reverse
    assert weights.bias_ih is gru.bias_ih_l1_reverse and weights.bias_hh is gru.bias_hh_l1_reverse
    assert weights.norm_weight_ih is gru.norm_weight_ih_l1_reverse
    assert weights.norm_weight_hh is gru.norm_weight_hh_l1_reverse
    assert weights._fields == (
        "weight_ih", "weight_hh", "bias_ih", "bias_hh", "norm_weight_ih", "norm_weight_hh",
    )  # fmt: skip
    stack = gru.stack_weights()
    assert len(stack) == 4
    for layer in range(2):
        for direction in range(2):
            expected = gru.direction_weights(layer, direction)
            got = stack[layer * 2 + direction]
            assert all(a is b for a, b in zip(got, expected, strict=True))
    plain = grukit.GRU(3, 4, bias=False).direction_weights(0)
    assert plain.bias_ih is None and plain.bias_hh is None and plain.norm_weight_ih is None


def test_direction_weights_without_bias_with_layer_norm():
    gru = grukit.GRU(3, 4, bias=False, layer_norm=True)
    weights = gru.direction_weights(0)
    assert weights.bias_ih is None and weights.bias_hh is None
    assert weights.norm_weight_ih is gru.norm_weight_ih_l0
    assert weights.norm_weight_hh is gru.norm_weight_hh_l0


def test_direction_weights_see_replaced_parameters():
    gru = grukit.GRU(3, 4)
    gru.weight_hh_l0 = torch.nn.Parameter(torch.zeros(12, 4))
    assert gru.direction_weights(0).weight_hh is gru.weight_hh_l0
    assert gru.stack_weights()[0].weight_hh is gru.weight_hh_l0


def test_parametrized_weights_are_used_by_every_path():
    class Halve(torch.nn.Module):
        def forward(self, weight):
            return weight * 0.5

    torch.manual_seed(0)
    gru = grukit.GRU(3, 4).eval()
    plain = grukit.GRU(3, 4).eval()
    plain.load_state_dict(gru.state_dict())
    with torch.no_grad():
        plain.weight_hh_l0.mul_(0.5)
    torch.nn.utils.parametrize.register_parametrization(gru, "weight_hh_l0", Halve())
    assert torch.equal(gru.direction_weights(0).weight_hh, plain.weight_hh_l0)
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        for lengths in (None, [5, 5]):  # the fast path and the general path
            assert torch.equal(gru(x, lengths=lengths)[0], plain(x, lengths=lengths)[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((2,), r"`layer` must be an integer in \[0, 1\], got 2"),
        ((-1,), r"`layer` must be an integer in \[0, 1\], got -1"),
        ((0, 1), r"`direction` must be an integer in \[0, 0\], got 1"),
        ((1.0,), r"`layer` must be an integer in \[0, 1\], got 1.0"),
    ],
)
def test_direction_weights_refuse_what_does_not_exist(args, message):
    with pytest.raises(ValueError, match=message):
        grukit.GRU(3, 4, num_layers=2).direction_weights(*args)


def test_last_engine_names_the_engine_of_the_last_call():
    gru = grukit.GRU(3, 4, engine="torch")
    assert gru.last_engine is None
    gru(torch.randn(2, 5, 3))
    assert gru.last_engine == "torch"
    gru.step(torch.randn(2, 3))
    assert gru.last_engine == "torch"
    native = grukit.GRU(3, 4, engine="native")
    native(torch.randn(2, 5, 3))
    assert native.last_engine == "native"
    native.step(torch.randn(2, 3))  # native has no step: grukit's PyTorch step
    assert native.last_engine == "torch"
    failing = grukit.GRU(3, 4)
    with pytest.raises(ValueError):
        failing(torch.randn(2, 5, 7))
    assert failing.last_engine is None  # a refused call runs nothing


def test_repr_lists_non_default_options():
    assert repr(grukit.GRU(3, 5)) == "GRU(3, 5)"
    assert repr(grukit.GRU(3, 5, zoneout=0.1, engine="torch")) == (
        "GRU(3, 5, zoneout=0.1, engine='torch')"
    )


def test_num_layers_is_the_third_positional_argument_as_in_torch_gru():
    # the line of PyTorch's tutorials: grukit.GRU took num_layers by keyword only
    gru = grukit.GRU(5, 64, 2, batch_first=True)
    assert gru.config() == grukit.GRU(5, 64, num_layers=2).config()
    assert {n: p.shape for n, p in gru.named_parameters()} == {
        n: p.shape for n, p in torch.nn.GRU(5, 64, 2).named_parameters()
    }
    assert repr(gru) == "GRU(5, 64, num_layers=2)"
    with pytest.raises(TypeError, match="positional argument"):
        grukit.GRU(5, 64, 2, True)  # bias and the rest stay keyword-only
