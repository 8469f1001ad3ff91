"""grukit.GRUCell against torch.nn.GRUCell and the NumPy reference cell."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import grukit
from grukit.reference import gru_cell_backward, gru_cell_forward


def test_cell_matches_torch_gru_cell():
    torch.manual_seed(0)
    ours = grukit.GRUCell(3, 5)
    theirs = torch.nn.GRUCell(3, 5)
    theirs.load_state_dict(ours.state_dict())  # same parameter names and shapes
    x, h = torch.randn(4, 3), torch.randn(4, 5)
    torch.testing.assert_close(ours(x, h), theirs(x, h), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ours(x[0], h[0]), theirs(x[0], h[0]), rtol=1e-6, atol=1e-6)
    assert ours(x[0]).shape == (5,)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layer_norm", [False, True])
def test_cell_matches_reference(reset_after, bias, layer_norm):
    torch.manual_seed(1)
    cell = grukit.GRUCell(3, 5, reset_after=reset_after, bias=bias, layer_norm=layer_norm).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    d_out = torch.randn(4, 5, dtype=torch.float64)
    out = cell(x, h)
    (out * d_out).sum().backward()
    weights = {n: p.detach().numpy() for n, p in cell.named_parameters()}
    ref_out, cache = gru_cell_forward(
        x.detach().numpy(), h.detach().numpy(), weights, reset_after=reset_after
    )
    np.testing.assert_allclose(out.detach().numpy(), ref_out, rtol=0, atol=1e-10)
    d_x, d_h, d_w = gru_cell_backward(d_out.numpy(), cache)
    np.testing.assert_allclose(x.grad.numpy(), d_x, rtol=0, atol=1e-8)
    np.testing.assert_allclose(h.grad.numpy(), d_h, rtol=0, atol=1e-8)
    assert sorted(d_w) == sorted(weights)
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), d_w[name], rtol=0, atol=1e-8, err_msg=name)


def test_cell_steps_equal_the_sequence_layer():
    torch.manual_seed(2)
    gru = grukit.GRU(3, 5, reset_after=False, layer_norm=True, engine="torch").double()
    cell = grukit.GRUCell(3, 5, reset_after=False, layer_norm=True).double()
    cell.load_state_dict({name[: -len("_l0")]: p for name, p in gru.state_dict().items()})
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    output, _ = gru(x)
    h = None
    for t in range(6):
        h = cell(x[:, t], h)
        torch.testing.assert_close(h, output[:, t], rtol=0, atol=1e-12)


def test_cell_parameters_and_config():
    cell = grukit.GRUCell(3, 5, reset_after=False, bias=False, layer_norm=True)
    assert {n: tuple(p.shape) for n, p in cell.named_parameters()} == {
        "weight_ih": (15, 3),
        "weight_hh": (15, 5),
        "norm_weight_ih": (15,),
        "norm_weight_hh": (15,),
    }
    config = json.loads(json.dumps(cell.config()))
    assert grukit.GRUCell.from_config(config).config() == config
    assert repr(cell) == "GRUCell(3, 5, reset_after=False, bias=False, layer_norm=True)"
    with pytest.raises(ValueError, match="`config` has keys that GRUCell does not take"):
        grukit.GRUCell.from_config(config | {"num_layers": 2})
