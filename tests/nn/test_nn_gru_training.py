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


def _twins(dtype, **options):
    """A GRU on ``auto`` and its copy on the torch engine, same weights."""
    torch.manual_seed(1)
    auto = grukit.GRU(5, 12, **options).to(dtype)
    twin = grukit.GRU(5, 12, engine="torch", **options).to(dtype)
    twin.load_state_dict(auto.state_dict())
    return auto, twin


def _run(gru, x, h0, lengths, seed):
    """Output, h_n and the gradients of x, h0 and every parameter, masks drawn from ``seed``."""
    x, h0 = x.clone().requires_grad_(True), h0.clone().requires_grad_(True)
    gru.zero_grad()
    torch.manual_seed(seed)  # the masks are drawn before the engine runs: same draws
    output, h_n = gru(x, h0, lengths=lengths)
    g = torch.Generator().manual_seed(7)
    weights = torch.randn(output.shape, generator=g, dtype=x.dtype)
    ((output * weights).sum() + h_n.square().sum()).backward()
    grads = {name: p.grad.clone() for name, p in gru.named_parameters()}
    return output.detach(), h_n.detach(), x.grad, h0.grad, grads


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
def test_recurrent_dropout_trains_on_the_fused_engine_like_the_torch_engine(dtype, reset_after):
    """``auto`` trains a recurrent-dropout GRU on the fused kernels, with the masks that the
    torch engine gets under the same seed: the same outputs and gradients."""
    options = {"num_layers": 2, "bidirectional": True, "dropout": 0.2, "reset_after": reset_after}
    auto, twin = _twins(dtype, recurrent_dropout=0.3, **options)
    x, h0 = torch.randn(6, 9, 5, dtype=dtype), torch.randn(4, 6, 12, dtype=dtype)
    lengths = torch.tensor([9, 0, 4, 1, 9, 6])
    got = _run(auto, x, h0, lengths, seed=11)
    assert auto.last_engine == "fused"
    want = _run(twin, x, h0, lengths, seed=11)
    assert twin.last_engine == "torch"
    tol = {torch.float32: 1e-5, torch.float64: 1e-10}[dtype]
    for name, a, b in zip(("output", "h_n", "d_x", "d_h0"), got[:4], want[:4], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=tol, msg=name)
    for name, grad in want[4].items():
        torch.testing.assert_close(got[4][name], grad, rtol=0, atol=tol, msg=name)
    # the masks really act: another seed draws others, and the outputs move
    assert not torch.allclose(_run(auto, x, h0, lengths, seed=12)[0], got[0])


def test_recurrent_dropout_in_training_without_grad_still_draws_masks():
    """No gradient but training mode: the forward pass must not take the mask-free fast path."""
    auto, twin = _twins(torch.float32, recurrent_dropout=0.4)
    x = torch.randn(3, 8, 5)
    with torch.no_grad():
        torch.manual_seed(3)
        got = auto(x)[0]
        assert auto.last_engine == "fused"
        torch.manual_seed(3)
        torch.testing.assert_close(got, twin(x)[0], rtol=0, atol=1e-5)
        assert not torch.allclose(got, auto.eval()(x)[0])  # eval: no mask
        assert auto.last_engine == "fused"


@pytest.mark.parametrize("engine", ["auto", "native", "torch", "fused"])
def test_input_dropout_is_one_feature_mask_per_sequence_on_the_first_layer(engine):
    """Training: the module computes its input-dropout-free twin on ``x * m[:, None, :]``, with
    ``m`` (B, I) of entries 0 or 1/(1-p) drawn first from the seed; every engine serves it."""
    torch.manual_seed(2)
    gru = grukit.GRU(40, 6, num_layers=2, input_dropout=0.25, engine=engine)
    twin = grukit.GRU(40, 6, num_layers=2, engine=engine)
    twin.load_state_dict(gru.state_dict())
    x = torch.randn(8, 5, 40, requires_grad=True)
    torch.manual_seed(5)
    output, h_n = gru(x)
    assert gru.last_engine == ("fused" if engine == "auto" else engine)
    torch.manual_seed(5)
    mask = torch.bernoulli(torch.full((8, 40), 0.75)) / 0.75
    expected, expected_h = twin(x * mask[:, None, :])
    assert torch.equal(output, expected) and torch.equal(h_n, expected_h)
    # the gradient of a dropped feature is zero at every step, of a kept one nowhere
    (grad,) = torch.autograd.grad(output.sum(), x)
    dropped = (grad == 0).all(dim=1)  # (B, I)
    assert torch.equal(dropped, mask == 0)
    assert abs(float(dropped.double().mean()) - 0.25) < 0.06


def test_input_dropout_is_off_in_eval_and_refused_by_training_steps():
    torch.manual_seed(0)
    gru = grukit.GRU(3, 6, input_dropout=0.5).eval()
    twin = grukit.GRU(3, 6).eval()
    twin.load_state_dict(gru.state_dict())
    x = torch.randn(2, 4, 3)
    with torch.no_grad():
        assert torch.equal(gru(x)[0], twin(x)[0])
        assert gru.last_engine == "fused"
        y_t, _ = gru.step(x[:, 0])
        assert gru.last_engine == "fused"
        torch.testing.assert_close(y_t, twin(x)[0][:, 0], rtol=0, atol=1e-6)
        gru.train()
        assert not torch.equal(gru(x)[0], twin(x)[0])  # training mode: the mask acts
        with pytest.raises(ValueError, match=r"step\(\) cannot apply input_dropout in training"):
            gru.step(x[:, 0])
