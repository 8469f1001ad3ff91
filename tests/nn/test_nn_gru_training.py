"""Training-mode regularisers of grukit.GRU: the masks it draws, and results with those masks.

A spy engine records the recurrent dropout masks and zoneout keep arrays that the module hands
to the torch engine; the module's output must equal the NumPy reference run with exactly those
masks, and the masks must have the documented shapes, values and statistics.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import grukit
import grukit.nn.gru
from grukit.engines import torch_loop
from grukit.reference import gru_forward
from support.gru_stack_reference import direction_weights


@pytest.fixture
def recorded(monkeypatch):
    calls = []

    class Spy:
        @staticmethod
        def gru_layer(*args, **kwargs):
            calls.append(kwargs)
            return torch_loop.gru_layer(*args, **kwargs)

    original = grukit.nn.gru.get_engine
    monkeypatch.setattr(
        grukit.nn.gru, "get_engine", lambda name: Spy if name == "torch" else original(name)
    )
    return calls


def test_training_masks_are_drawn_per_sequence_and_step(recorded):
    torch.manual_seed(0)
    gru = grukit.GRU(3, 64, bidirectional=True, recurrent_dropout=0.25, zoneout=0.4).double()
    x = torch.randn(32, 10, 3, dtype=torch.float64)
    lengths = torch.randint(0, 11, (32,))
    output, h_n = gru(x, lengths=lengths)
    assert len(recorded) == 2  # one call per direction
    for call in recorded:
        mask, keep = call["recurrent_mask"], call["zoneout_keep"]
        assert mask.shape == (32, 64) and keep.shape == (32, 10, 64)  # (B, H), (B, T, H)
        assert set(mask.unique().tolist()) == {0.0, 1 / 0.75}
        assert abs(float((mask == 0).double().mean()) - 0.25) < 0.03
        assert set(keep.unique().tolist()) == {0.0, 1.0}
        assert abs(float(keep.mean()) - 0.4) < 0.02
    assert not torch.equal(recorded[0]["recurrent_mask"], recorded[1]["recurrent_mask"])
    # the module's result is the reference's with exactly these masks
    outputs, finals = [], []
    for direction, call in enumerate(recorded):
        out, final, _ = gru_forward(
            x.numpy(),
            direction_weights(gru, 0, direction),
            lengths=lengths.numpy(),
            reverse=direction == 1,
            recurrent_mask=call["recurrent_mask"].numpy(),
            zoneout_keep=call["zoneout_keep"].numpy(),
        )
        outputs.append(out)
        finals.append(final)
    np.testing.assert_allclose(output.detach().numpy(), np.concatenate(outputs, 2), atol=1e-10)
    np.testing.assert_allclose(h_n.detach().numpy(), np.stack(finals), atol=1e-10)


def test_eval_mode_uses_expectations(recorded):
    gru = grukit.GRU(3, 8, recurrent_dropout=0.25, zoneout=0.4).eval()
    gru(torch.randn(2, 5, 3))
    assert recorded[0]["recurrent_mask"] is None
    assert torch.equal(recorded[0]["zoneout_keep"], torch.full((2, 5, 8), 0.4))


def test_training_calls_differ_and_eval_calls_agree():
    torch.manual_seed(0)
    gru = grukit.GRU(3, 8, num_layers=2, recurrent_dropout=0.3, zoneout=0.2, dropout=0.2)
    x = torch.randn(4, 6, 3)
    assert not torch.equal(gru(x)[0], gru(x)[0])
    gru.eval()
    assert torch.equal(gru(x)[0], gru(x)[0])


def test_zoneout_in_training_keeps_a_fraction_p_of_units():
    torch.manual_seed(0)
    gru = grukit.GRU(2, 32, zoneout=0.3)
    output, _ = gru(torch.randn(16, 20, 2))
    previous = torch.cat([torch.zeros(16, 1, 32), output[:, :-1]], dim=1)
    kept = (output == previous).double().mean()
    assert abs(float(kept) - 0.3) < 0.03


def test_training_step_backpropagates_through_the_torch_engine():
    torch.manual_seed(0)
    gru = grukit.GRU(3, 8, num_layers=2, layer_norm=True, recurrent_dropout=0.2, zoneout=0.1)
    optimizer = torch.optim.SGD(gru.parameters(), lr=0.1)
    x, target = torch.randn(4, 12, 3), torch.randn(4, 12, 8)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        gru.eval()  # deterministic loss for the comparison, training-mode gradients below
        losses.append(float(((gru(x)[0] - target) ** 2).mean().detach()))
        gru.train()
        loss = ((gru(x)[0] - target) ** 2).mean()
        loss.backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in gru.parameters())
        optimizer.step()
    assert losses[-1] < losses[0]
