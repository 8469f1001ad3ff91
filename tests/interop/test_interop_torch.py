"""grukit <-> torch.nn.GRU / torch.nn.GRUCell: identical weights, identical outputs, clear refusals.

Tolerances: the state dicts are compared bit for bit. Outputs: float64 to 1e-12 and float32 to
1e-6 (absolute), which allows a different summation order in case another engine runs.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings

import grukit
from grukit.interop import cell_from_torch, cell_to_torch, from_torch, to_torch
from strategies import flags, sizes

TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-12}


def _assert_same_state(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        assert sa[name].dtype == sb[name].dtype, name
        assert torch.equal(sa[name], sb[name]), name


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"num_layers": 2, "bidirectional": True},
        {"num_layers": 3, "bias": False, "batch_first": True},
        {"bidirectional": True, "batch_first": True, "dropout": 0.0},
    ],
)
def test_from_torch_gives_identical_outputs(options, dtype):
    torch.manual_seed(0)
    module = torch.nn.GRU(3, 5, dtype=dtype, **options).eval()
    gru = from_torch(module, factory=grukit.GRU)
    assert isinstance(gru, grukit.GRU)
    _assert_same_state(gru, module)
    x = torch.randn((4, 7, 3) if module.batch_first else (7, 4, 3), dtype=dtype)
    h0 = torch.randn(module.num_layers * (2 if module.bidirectional else 1), 4, 5, dtype=dtype)
    with torch.no_grad():
        expected, h_expected = module(x, h0)
        got, h_got = gru(x, h0)
    torch.testing.assert_close(got, expected, rtol=0, atol=TOLERANCE[dtype])
    torch.testing.assert_close(h_got, h_expected, rtol=0, atol=TOLERANCE[dtype])


def test_from_torch_matches_packed_sequences_with_lengths():
    torch.manual_seed(1)
    module = torch.nn.GRU(2, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    gru = from_torch(module, factory=grukit.GRU)
    x = torch.randn(3, 6, 2, dtype=torch.float64)
    lengths = torch.tensor([6, 3, 1])
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
    with torch.no_grad():
        out_packed, h_expected = module(packed)
        expected, _ = torch.nn.utils.rnn.pad_packed_sequence(out_packed, batch_first=True)
        got, h_got = gru(x, lengths=lengths)
    torch.testing.assert_close(got[:, : expected.shape[1]], expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_got, h_expected, rtol=0, atol=1e-12)


def test_from_torch_keeps_training_mode_and_dropout():
    module = torch.nn.GRU(3, 4, num_layers=2, dropout=0.25)
    gru = from_torch(module, factory=grukit.GRU)
    assert gru.training and gru.dropout == 0.25
    assert not from_torch(module.eval(), factory=grukit.GRU).training
    back = to_torch(gru.eval())
    assert back.dropout == 0.25 and not back.training


def test_gru_methods_delegate_to_interop():
    module = torch.nn.GRU(3, 4, bidirectional=True)
    gru = grukit.GRU.from_torch(module)
    _assert_same_state(gru.to_torch(), module)


@settings(max_examples=25)
@given(
    input_size=sizes(5),
    hidden_size=sizes(6),
    num_layers=sizes(3),
    bidirectional=flags,
    bias=flags,
    batch_first=flags,
    float64=flags,
)
def test_torch_round_trip_is_identity(
    input_size, hidden_size, num_layers, bidirectional, bias, batch_first, float64
):
    dtype = torch.float64 if float64 else torch.float32
    module = torch.nn.GRU(
        input_size,
        hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        bias=bias,
        batch_first=batch_first,
        dtype=dtype,
    )
    back = to_torch(from_torch(module, factory=grukit.GRU))
    _assert_same_state(back, module)
    for name in ("input_size", "hidden_size", "num_layers", "bidirectional", "bias", "batch_first"):
        assert getattr(back, name) == getattr(module, name)


@settings(max_examples=20)
@given(
    hidden_size=sizes(5),
    num_layers=sizes(2),
    bidirectional=flags,
    bias=flags,
)
def test_grukit_round_trip_is_identity(hidden_size, num_layers, bidirectional, bias):
    gru = grukit.GRU(
        3, hidden_size, num_layers=num_layers, bidirectional=bidirectional, bias=bias
    ).double()
    again = from_torch(to_torch(gru), factory=grukit.GRU)
    _assert_same_state(again, gru)
    assert again.batch_first == gru.batch_first
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(again(x)[0], gru(x)[0], rtol=0, atol=1e-12)


def test_to_torch_of_one_layer_with_dropout_is_exact_and_does_not_warn():
    import warnings

    gru = grukit.GRU(3, 4, num_layers=1, dropout=0.5, batch_first=True).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nn.GRU warns about dropout with one layer
        peer = to_torch(gru)
    assert peer.dropout == 0.0  # between layers only: nothing to drop with one layer
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(peer(x)[0], gru(x)[0], atol=1e-6, rtol=1e-6)
    two = to_torch(grukit.GRU(3, 4, num_layers=2, dropout=0.5))
    assert two.dropout == 0.5


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"reset_after": False}, r"reset_after=False: torch.nn.GRU applies the reset gate after"),
        ({"layer_norm": True}, r"layer_norm=True: torch.nn.GRU has no layer normalization"),
        ({"recurrent_dropout": 0.1}, r"recurrent_dropout=0.1: torch.nn.GRU has no recurrent"),
        ({"input_dropout": 0.1}, r"input_dropout=0.1: torch.nn.GRU has no input dropout"),
        ({"zoneout": 0.2}, r"zoneout=0.2: torch.nn.GRU has no zoneout"),
        ({"bidirectional": True, "merge": "sum"}, r"merge='sum': torch.nn.GRU always concat"),
        ({"go_backwards": True}, r"go_backwards=True: torch.nn.GRU has no backwards-only"),
    ],
)
def test_to_torch_refuses_what_torch_cannot_compute(options, match):
    with pytest.raises(ValueError, match=r"cannot convert to torch.nn.GRU: " + match):
        to_torch(grukit.GRU(3, 4, **options))


def test_to_torch_names_every_blocking_setting():
    with pytest.raises(ValueError, match=r"reset_after=False.*; layer_norm=True"):
        to_torch(grukit.GRU(3, 4, reset_after=False, layer_norm=True))


def test_wrong_types_are_refused():
    with pytest.raises(TypeError, match=r"`module` must be a torch.nn.GRU, got LSTM"):
        from_torch(torch.nn.LSTM(3, 4), factory=grukit.GRU)
    with pytest.raises(TypeError, match=r"expected a grukit.GRU, got Linear"):
        to_torch(torch.nn.Linear(3, 4))
    with pytest.raises(TypeError, match=r"`cell` must be a torch.nn.GRUCell, got GRU"):
        cell_from_torch(torch.nn.GRU(3, 4), factory=grukit.GRUCell)
    with pytest.raises(TypeError, match=r"`cell` must be a grukit.GRUCell, got Linear"):
        cell_to_torch(torch.nn.Linear(3, 4))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_round_trip_and_outputs(bias, dtype):
    torch.manual_seed(2)
    module = torch.nn.GRUCell(3, 5, bias=bias, dtype=dtype)
    cell = cell_from_torch(module, factory=grukit.GRUCell)
    assert isinstance(cell, grukit.GRUCell)
    _assert_same_state(cell, module)
    _assert_same_state(cell_to_torch(cell), module)
    _assert_same_state(grukit.GRUCell.from_torch(module).to_torch(), module)
    x, h = torch.randn(4, 3, dtype=dtype), torch.randn(4, 5, dtype=dtype)
    with torch.no_grad():
        torch.testing.assert_close(cell(x, h), module(x, h), rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"reset_after": False}, r"reset_after=False: torch.nn.GRU applies the reset gate"),
        ({"layer_norm": True}, r"layer_norm=True: torch.nn.GRU has no layer normalization"),
    ],
)
def test_cell_to_torch_refusals(options, match):
    with pytest.raises(ValueError, match=r"cannot convert to torch.nn.GRUCell: " + match):
        cell_to_torch(grukit.GRUCell(3, 4, **options))


def test_from_torch_keeps_a_sequence_first_module_sequence_first():
    torch.manual_seed(0)
    module = torch.nn.GRU(3, 5, 2).eval()  # batch_first=False, PyTorch's default
    gru = grukit.GRU.from_torch(module)
    assert gru.batch_first is False and grukit.GRU(3, 5).batch_first is True
    x = torch.randn(7, 4, 3)  # (T, B, I)
    with torch.no_grad():
        torch.testing.assert_close(gru(x), module(x), rtol=0, atol=TOLERANCE[torch.float32])
