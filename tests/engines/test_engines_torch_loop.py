"""Structure of the torch engine: linear-cost training, per-row reversal, unread padding.

No timings: the backward pass is measured by the number of tensor elements that its aten
operations write (a dispatch mode counts them), which grows linearly in T for the torch engine
and quadratically for a loop that slices the input projection with ``xw[:, t]`` (shown here
as a control, ``shared/notes/cpu-performance.md`` finding 5).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from grukit.engines import torch_loop

B, I, H = 2, 3, 4


class ElementsWritten(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.total += sum(t.numel() for t in tree_leaves(out) if isinstance(t, torch.Tensor))
        return out


def sliced_loop(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """The naive loop of finding 5 (``xw[:, t]``), a control for the measurement."""
    xw = F.linear(x, weight_ih, bias_ih)
    h, outputs = h0, []
    for t in range(x.shape[1]):
        i_r, i_z, i_n = xw[:, t].chunk(3, 1)
        h_r, h_z, h_n = F.linear(h, weight_hh, bias_hh).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h = n + z * (h - n)
        outputs.append(h)
    return torch.stack(outputs, 1), h


def backward_elements(layer, steps, **kwargs):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, steps, I, generator=g, requires_grad=True)
    params = [
        torch.randn(*s, generator=g, requires_grad=True)
        for s in [(3 * H, I), (3 * H, H), (3 * H,), (3 * H,)]
    ]
    output, h_n = layer(x, torch.zeros(B, H), *params, **kwargs)
    loss = output.sum() + h_n.sum()
    with ElementsWritten() as counter:
        loss.backward()
    return counter.total


def growth(layer, **kwargs):
    """Backward work at T=200 over that at T=100: 2 for linear cost, 4 for quadratic."""
    return backward_elements(layer, 200, **kwargs) / backward_elements(layer, 100, **kwargs)


def test_training_cost_is_linear_in_sequence_length():
    assert growth(sliced_loop) > 3.5  # the control: quadratic
    for kwargs in [
        {"reset_after": True},
        {"reset_after": False, "reverse": True, "lengths": torch.tensor([200, 80])},
    ]:
        if "lengths" in kwargs:  # lengths scale with T in both runs
            ratio = backward_elements(torch_loop.gru_layer, 200, **kwargs) / backward_elements(
                torch_loop.gru_layer, 100, **kwargs | {"lengths": torch.tensor([100, 40])}
            )
        else:
            ratio = growth(torch_loop.gru_layer, **kwargs)
        assert 1.8 < ratio < 2.2, kwargs


def test_reverse_padded_reverses_each_rows_valid_steps():
    x = torch.arange(2 * 5).reshape(2, 5, 1).float()
    lengths = torch.tensor([5, 3])
    out = torch_loop.reverse_padded(x, lengths)
    assert out[0, :, 0].tolist() == [4, 3, 2, 1, 0]
    assert out[1, :, 0].tolist() == [7, 6, 5, 8, 9]  # padded steps stay in place
    assert torch.equal(torch_loop.reverse_padded(out, lengths), x)
    assert torch.equal(torch_loop.reverse_padded(x, None), x.flip(1))


def test_padded_inputs_are_never_read_even_in_gradients():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 6, I, generator=g)
    x[1, 2:] = float("nan")
    x[2] = float("inf")
    x.requires_grad_(True)
    weights = [torch.randn(*s, generator=g, requires_grad=True) for s in [(3 * H, I), (3 * H, H)]]
    for reverse in (False, True):
        output, h_n = torch_loop.gru_layer(
            x,
            torch.zeros(3, H),
            *weights,
            None,
            None,
            reset_after=False,
            lengths=torch.tensor([6, 2, 0]),
            reverse=reverse,
        )
        (output.sum() + h_n.sum()).backward()
        assert torch.isfinite(output).all() and torch.isfinite(h_n).all()
        assert all(torch.isfinite(w.grad).all() for w in weights)
        assert torch.count_nonzero(x.grad[1, 2:]) == 0 and torch.count_nonzero(x.grad[2]) == 0
