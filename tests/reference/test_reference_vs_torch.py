"""The NumPy reference against PyTorch in float64.

* ``torch.nn.GRU`` (1 and 2 layers, uni- and bidirectional, with and without packed lengths):
  the reference is composed layer by layer and direction by direction here, its gradients come
  from ``gru_backward``; torch autograd is used on the torch side only.
* Variants ``nn.GRU`` cannot express (reset_after=False, layer norm, recurrent dropout,
  zoneout, lengths of 0): an independent per-row, per-step loop written in torch below,
  differentiated by autograd.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from grukit.reference import gru_backward, gru_forward

B, T, I, H = 3, 5, 3, 4
OUTPUT_ATOL = 1e-10
GRADIENT_ATOL = 1e-8


def reference_stack(x, layers, h0, lengths):
    """Reference forward of a stack: ``layers[k][d]`` are the weights of layer k, direction d."""
    directions = len(layers[0])
    inputs, caches, h_n = x, [], []
    for k, layer in enumerate(layers):
        outputs, layer_caches = [], []
        for d, weights in enumerate(layer):
            output, h_last, cache = gru_forward(
                inputs, weights, h0=h0[k * directions + d], lengths=lengths, reverse=d == 1
            )
            outputs.append(output)
            layer_caches.append(cache)
            h_n.append(h_last)
        inputs = np.concatenate(outputs, axis=-1)  # (B, T, D*H): [forward | backward]
        caches.append(layer_caches)
    return inputs, np.stack(h_n), caches


def reference_stack_backward(d_output, d_h_n, caches):
    """Backward of :func:`reference_stack`: (d_x, d_h0, {(k, d): d_weights})."""
    directions = len(caches[0])
    d_inputs, d_h0, d_params = d_output, [None] * len(d_h_n), {}
    for k in reversed(range(len(caches))):
        d_below = 0
        for d, cache in enumerate(caches[k]):
            d_x, d_h0[k * directions + d], d_params[k, d] = gru_backward(
                d_inputs[..., d * H : (d + 1) * H], d_h_n[k * directions + d], cache
            )
            d_below = d_below + d_x
        d_inputs = d_below
    return d_inputs, np.stack(d_h0), d_params


def torch_weights(gru, k, d):
    suffix = "_reverse" if d == 1 else ""
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    return {
        name: getattr(gru, f"{name}_l{k}{suffix}").detach().numpy().copy()
        for name in names
        if hasattr(gru, f"{name}_l{k}{suffix}")
    }


TORCH_CASES = [
    pytest.param(num_layers, bidirectional, packed, True, id=f"{num_layers}layer-{kind}-{seq}")
    for num_layers in (1, 2)
    for bidirectional, kind in ((False, "uni"), (True, "bi"))
    for packed, seq in ((False, "padded"), (True, "packed"))
] + [pytest.param(2, True, True, False, id="2layer-bi-packed-no_bias")]


@pytest.mark.parametrize(("num_layers", "bidirectional", "packed", "bias"), TORCH_CASES)
def test_matches_torch_nn_gru(num_layers, bidirectional, packed, bias):
    torch.manual_seed(num_layers + 2 * bidirectional + 4 * packed)
    D = 2 if bidirectional else 1
    gru = torch.nn.GRU(
        I, H, num_layers=num_layers, bidirectional=bidirectional, bias=bias, batch_first=True
    ).double()
    x = torch.randn(B, T, I, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(num_layers * D, B, H, dtype=torch.float64, requires_grad=True)
    A = torch.randn(B, T, D * H, dtype=torch.float64)
    C = torch.randn(num_layers * D, B, H, dtype=torch.float64)
    lengths = torch.tensor([2, T, 1]) if packed else None  # packing rejects a length of 0

    if packed:
        sequence = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        output_packed, h_n = gru(sequence, h0)
        output, _ = pad_packed_sequence(output_packed, batch_first=True, total_length=T)
    else:
        output, h_n = gru(x, h0)
    (torch.sum(A * output) + torch.sum(C * h_n)).backward()

    layers = [[torch_weights(gru, k, d) for d in range(D)] for k in range(num_layers)]
    ref_output, ref_h_n, caches = reference_stack(
        x.detach().numpy(), layers, h0.detach().numpy(), lengths.numpy() if packed else None
    )
    np.testing.assert_allclose(ref_output, output.detach().numpy(), rtol=0, atol=OUTPUT_ATOL)
    np.testing.assert_allclose(ref_h_n, h_n.detach().numpy(), rtol=0, atol=OUTPUT_ATOL)

    d_x, d_h0, d_params = reference_stack_backward(A.numpy(), C.numpy(), caches)
    np.testing.assert_allclose(d_x, x.grad.numpy(), rtol=0, atol=GRADIENT_ATOL)
    np.testing.assert_allclose(d_h0, h0.grad.numpy(), rtol=0, atol=GRADIENT_ATOL)
    for k in range(num_layers):
        for d in range(D):
            suffix = "_reverse" if d == 1 else ""
            assert sorted(d_params[k, d]) == sorted(layers[k][d])
            for name, grad in d_params[k, d].items():
                expected = getattr(gru, f"{name}_l{k}{suffix}").grad.numpy()
                np.testing.assert_allclose(
                    grad, expected, rtol=0, atol=GRADIENT_ATOL, err_msg=f"{name}_l{k}{suffix}"
                )


# ---------------------------------------------------------------------------------------------
# An independent torch loop for the variants nn.GRU cannot express: one row and one step at a
# time, torch's own layer_norm, autograd for the gradients.


def torch_step(x_t, h, w, reset_after, mask, keep):
    """One step for one row (vectors), written from docs/architecture.md."""

    def norm(v, gain):
        if gain is None:
            return v
        return F.layer_norm(v, v.shape, weight=gain, eps=1e-5)

    def add(v, bias):
        return v if bias is None else v + bias

    w_ih, w_hh = w["weight_ih"], w["weight_hh"]
    b_ih, b_hh = w.get("bias_ih"), w.get("bias_hh")
    g_ih, g_hh = w.get("norm_weight_ih"), w.get("norm_weight_hh")
    h_masked = h if mask is None else mask * h
    gi = add(norm(w_ih @ x_t, g_ih), b_ih)
    gi_r, gi_z, gi_n = gi[:H], gi[H : 2 * H], gi[2 * H :]
    if reset_after:
        gh = add(norm(w_hh @ h_masked, g_hh), b_hh)
        r = torch.sigmoid(gi_r + gh[:H])
        z = torch.sigmoid(gi_z + gh[H : 2 * H])
        n = torch.tanh(gi_n + r * gh[2 * H :])
    else:
        gh_rz = add(
            norm(w_hh[: 2 * H] @ h_masked, None if g_hh is None else g_hh[: 2 * H]),
            None if b_hh is None else b_hh[: 2 * H],
        )
        r = torch.sigmoid(gi_r + gh_rz[:H])
        z = torch.sigmoid(gi_z + gh_rz[H:])
        candidate = add(
            norm(w_hh[2 * H :] @ (r * h_masked), None if g_hh is None else g_hh[2 * H :]),
            None if b_hh is None else b_hh[2 * H :],
        )
        n = torch.tanh(gi_n + candidate)
    h_tilde = (1 - z) * n + z * h
    return h_tilde if keep is None else keep * h + (1 - keep) * h_tilde


def torch_loop(x, weights, h0, lengths, reset_after, reverse, mask, keep):
    outputs, finals = [], []
    for b in range(x.shape[0]):
        h = h0[b]
        row = [torch.zeros(H, dtype=x.dtype)] * x.shape[1]
        steps = range(int(lengths[b]))
        for t in reversed(steps) if reverse else steps:
            h = torch_step(
                x[b, t],
                h,
                weights,
                reset_after,
                None if mask is None else mask[b],
                None if keep is None else keep[b, t],
            )
            row[t] = h
        outputs.append(torch.stack(row))
        finals.append(h)
    return torch.stack(outputs), torch.stack(finals)


LOOP_VARIANTS = {
    "plain": {},
    "lengths_with_zero": {"lengths": [T, 0, 2]},
    "reverse_lengths": {"reverse": True, "lengths": [3, 0, T]},
    "recurrent_mask": {"mask": True},
    "zoneout": {"keep": True},
    "layer_norm": {"layer_norm": True},
    "no_bias_layer_norm": {"layer_norm": True, "bias": False},
    "everything": {
        "layer_norm": True,
        "mask": True,
        "keep": True,
        "reverse": True,
        "lengths": [2, T, 0],
    },
}


@pytest.mark.parametrize("reset_after", [True, False], ids=["reset_after", "reset_before"])
@pytest.mark.parametrize("variant", list(LOOP_VARIANTS))
def test_matches_independent_torch_loop(variant, reset_after):
    spec = LOOP_VARIANTS[variant]
    rng = np.random.default_rng(100 + 2 * list(LOOP_VARIANTS).index(variant) + reset_after)
    weights = {
        "weight_ih": rng.normal(scale=0.6, size=(3 * H, I)),
        "weight_hh": rng.normal(scale=0.6, size=(3 * H, H)),
    }
    if spec.get("bias", True):
        weights["bias_ih"] = rng.normal(scale=0.3, size=3 * H)
        weights["bias_hh"] = rng.normal(scale=0.3, size=3 * H)
    if spec.get("layer_norm"):
        weights["norm_weight_ih"] = rng.uniform(0.5, 1.5, size=3 * H)
        weights["norm_weight_hh"] = rng.uniform(0.5, 1.5, size=3 * H)
    x = rng.normal(size=(B, T, I))
    h0 = rng.normal(scale=0.5, size=(B, H))
    lengths = np.array(spec.get("lengths", [T] * B))
    reverse = spec.get("reverse", False)
    mask = (rng.random((B, H)) >= 0.3) / 0.7 if spec.get("mask") else None
    keep = rng.random((B, T, H)) if spec.get("keep") else None
    A = rng.normal(size=(B, T, H))
    C = rng.normal(size=(B, H))

    output, h_n, cache = gru_forward(
        x, weights, h0=h0, lengths=lengths, reset_after=reset_after, reverse=reverse,
        recurrent_mask=mask, zoneout_keep=keep,
    )  # fmt: skip
    d_x, d_h0, d_weights = gru_backward(A, C, cache)

    def leaf(array):
        return torch.tensor(array, dtype=torch.float64, requires_grad=True)

    tx, th0 = leaf(x), leaf(h0)
    tweights = {key: leaf(value) for key, value in weights.items()}
    t_output, t_h_n = torch_loop(
        tx, tweights, th0, lengths, reset_after, reverse,
        None if mask is None else torch.tensor(mask), None if keep is None else torch.tensor(keep),
    )  # fmt: skip
    (torch.sum(torch.tensor(A) * t_output) + torch.sum(torch.tensor(C) * t_h_n)).backward()

    np.testing.assert_allclose(output, t_output.detach().numpy(), rtol=0, atol=OUTPUT_ATOL)
    np.testing.assert_allclose(h_n, t_h_n.detach().numpy(), rtol=0, atol=OUTPUT_ATOL)
    np.testing.assert_allclose(d_x, tx.grad.numpy(), rtol=0, atol=GRADIENT_ATOL)
    np.testing.assert_allclose(d_h0, th0.grad.numpy(), rtol=0, atol=GRADIENT_ATOL)
    for key, value in tweights.items():
        np.testing.assert_allclose(
            d_weights[key], value.grad.numpy(), rtol=0, atol=GRADIENT_ATOL, err_msg=key
        )
