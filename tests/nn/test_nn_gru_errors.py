"""Bad arguments to grukit.GRU and GRUCell raise errors that name the argument and the value."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import grukit
import grukit.engines


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_size": 0}, "`input_size` must be a positive integer, got 0"),
        ({"hidden_size": 2.5}, "`hidden_size` must be a positive integer, got 2.5"),
        ({"num_layers": True}, "`num_layers` must be a positive integer, got True"),
        ({"dropout": 1.0}, "`dropout` must be a probability in \\[0, 1\\), got 1.0"),
        ({"recurrent_dropout": -0.1}, "`recurrent_dropout` must be a probability in \\[0, 1\\)"),
        ({"input_dropout": 1.0}, "`input_dropout` must be a probability in \\[0, 1\\), got 1.0"),
        ({"zoneout": "0.1"}, "`zoneout` must be a probability in \\[0, 1\\), got '0.1'"),
        ({"merge": "ave"}, "`merge` must be one of 'concat', 'sum', 'mean', 'mul', got 'ave'"),
        ({"init": "xavier"}, "`init` must be one of 'torch', 'keras', got 'xavier'"),
        ({"engine": "cudnn"}, "`engine` must be one of 'auto', 'torch', 'native', 'fused', got"),
        ({"bias": 1}, "`bias` must be True or False, got 1"),
        ({"merge": "sum"}, "`merge`='sum' combines two directions and needs bidirectional=True"),
        (
            {"go_backwards": True, "bidirectional": True},
            "`go_backwards`=True cannot be combined with bidirectional=True",
        ),
    ],
)
def test_constructor_errors(kwargs, message):
    arguments = {"input_size": 3, "hidden_size": 4} | kwargs
    with pytest.raises(ValueError, match=message):
        grukit.GRU(**arguments)


def test_unavailable_engine_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(grukit.engines._MODULES, "fused", "grukit.engines._no_such_engine")
    with pytest.raises(ValueError, match="engine 'fused' is not available"):
        grukit.GRU(3, 4, engine="fused")


def test_forward_errors():
    gru = grukit.GRU(8, 4, num_layers=2)
    x = torch.randn(3, 5, 8)
    with pytest.raises(ValueError, match="expected input with 8 features \\(input_size\\), got 5"):
        gru(torch.randn(3, 5, 5))
    with pytest.raises(ValueError, match="`x` must be 3-D \\(batched\\) or 2-D \\(unbatched\\)"):
        gru(torch.randn(8))
    with pytest.raises(TypeError, match="`x` must be a torch.Tensor, got ndarray"):
        gru(np.zeros((3, 5, 8)))
    with pytest.raises(
        ValueError, match="`x` must be a floating point tensor, got dtype torch.int"
    ):
        gru(torch.zeros(3, 5, 8, dtype=torch.int64))
    with pytest.raises(
        ValueError,
        match="`x` has dtype torch.float64 but the parameters have dtype torch.float32",
    ):
        gru(x.double())
    with pytest.raises(ValueError, match="`x` must have at least one time step"):
        gru(torch.randn(3, 0, 8))
    with pytest.raises(
        ValueError,
        match="`h0` must have shape \\(2, 3, 4\\) \\(num_layers \\* D, batch, hidden_size\\), "
        "got \\(1, 3, 4\\)",
    ):
        gru(x, torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="`h0` has dtype torch.float64 but the parameters"):
        gru(x, torch.zeros(2, 3, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="`h0` must have shape \\(2, 4\\)"):
        gru(x[0], torch.zeros(2, 1, 4))


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        (
            [5, 6, 1],
            "`lengths` must lie in \\[0, 5\\] \\(the sequence length\\), got values from 1 to 6",
        ),
        ([5, -1, 1], "`lengths` must lie in \\[0, 5\\] .* got values from -1 to 5"),
        ([5, 5], "`lengths` must have shape \\(3,\\) \\(one length per batch row\\), got \\(2,\\)"),
        (np.array([5.0, 1.0, 2.0]), "`lengths` must hold integers, got dtype torch.float64"),
        (torch.tensor([True, True, False]), "`lengths` must hold integers, got dtype torch.bool"),
        ("abc", "`lengths` must be a sequence of integers, got 'abc'"),
        ([1.5, 2, 3], "`lengths` must hold integers, got dtype torch.float64"),
    ],
)
def test_lengths_errors(lengths, message):
    gru = grukit.GRU(8, 4)
    with pytest.raises(ValueError, match=message):
        gru(torch.randn(3, 5, 8), lengths=lengths)


@pytest.mark.parametrize("lengths", [[5, 2, 0], np.array([5, 2, 0]), torch.tensor([5, 2, 0])])
def test_lengths_accept_lists_arrays_and_tensors(lengths):
    gru = grukit.GRU(8, 4)
    output, h_n = gru(torch.randn(3, 5, 8), lengths=lengths)
    assert torch.count_nonzero(output[1, 2:]) == 0 and torch.count_nonzero(h_n[0, 2]) == 0


def test_cell_errors():
    cell = grukit.GRUCell(3, 4)
    with pytest.raises(ValueError, match="`hidden_size` must be a positive integer, got -4"):
        grukit.GRUCell(3, -4)
    with pytest.raises(ValueError, match="expected input with 3 features \\(input_size\\), got 2"):
        cell(torch.randn(5, 2))
    with pytest.raises(ValueError, match="`x` must be 2-D \\(batched\\) or 1-D \\(unbatched\\)"):
        cell(torch.randn(1, 5, 3))
    with pytest.raises(ValueError, match="`h` must have shape \\(5, 4\\) \\(batch, hidden_size\\)"):
        cell(torch.randn(5, 3), torch.zeros(4))
    with pytest.raises(ValueError, match="`x` has dtype torch.float64 but the parameters"):
        cell(torch.randn(5, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="`h` must have shape \\(4,\\) \\(hidden_size\\)"):
        cell(torch.randn(3), torch.zeros(1, 4))


@pytest.mark.parametrize(
    ("module", "arguments", "estimate"),
    [
        (grukit.GRU, {"input_size": 5, "hidden_size": 1_000_000}, "about 12 TB"),
        (grukit.GRU, {"input_size": 5, "hidden_size": 64, "num_layers": 10**7}, "about 1.04 TB"),
        (grukit.GRUCell, {"input_size": 5, "hidden_size": 1_000_000}, "about 12 TB"),
    ],
)
def test_sizes_beyond_physical_memory_are_refused_before_allocating(
    module, arguments, estimate, monkeypatch
):
    # before, these tried a 12 TB allocation (a traceback) or were killed for memory
    def no_allocation(*args, **kwargs):
        raise AssertionError("a parameter was allocated")

    monkeypatch.setattr(torch, "empty", no_allocation)
    with pytest.raises(ValueError) as refused:
        module(**arguments)
    message = str(refused.value)
    assert "\n" not in message
    assert f"parameters would take {estimate}" in message
    assert "more than this machine's physical memory (" in message


def test_the_size_limit_is_the_physical_memory(monkeypatch):
    monkeypatch.setattr("grukit.nn._sizes.physical_memory", lambda: 10**6)  # 1 MB
    grukit.GRU(3, 64)  # about 53 kB of values and 4 kB of tensor overhead
    with pytest.raises(ValueError, match="GRU\\(3, 512, num_layers=1\\)'s parameters would take"):
        grukit.GRU(3, 512)  # about 3.2 MB
    monkeypatch.setattr("grukit.nn._sizes.physical_memory", lambda: None)  # unknown: no limit
    grukit.GRU(3, 512)


@pytest.mark.parametrize(
    "options",
    [{}, {"num_layers": 3, "bidirectional": True}, {"bias": False}, {"layer_norm": True}],
)
def test_the_size_estimate_counts_every_parameter(options):
    from grukit.nn._sizes import gru_parameter_count

    gru = grukit.GRU(3, 5, **options)
    extra = 2 * gru.bias + 2 * gru.layer_norm
    values, tensors = gru_parameter_count(3, 5, gru.num_layers, gru.num_directions, extra)
    assert values == sum(p.numel() for p in gru.parameters())
    assert tensors == len(list(gru.parameters()))
