"""A whole ``grukit.GRU`` stack composed from the NumPy reference, forward and backward.

Independent of the module's code: directions, layers, merge modes and ``go_backwards`` are
rebuilt here in NumPy from ``grukit.reference.gru_forward`` / ``gru_backward``.
"""

from __future__ import annotations

import numpy as np
import torch

from grukit.reference import gru_backward, gru_forward

ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "norm_weight_ih", "norm_weight_hh")


def reverse_rows(a: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reverse each row's first lengths[b] steps (axis 1); padded steps stay in place."""
    out = a.copy()
    for b, n in enumerate(lengths):
        out[b, :n] = a[b, :n][::-1]
    return out


def direction_weights(module, layer: int, direction: int) -> dict[str, np.ndarray]:
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    weights = {}
    for role in ROLES:
        tensor = getattr(module, role + suffix, None)
        if tensor is not None:
            weights[role] = tensor.detach().cpu().double().numpy()
    return weights


class StackReference:
    """Forward the reference stack on construction; :meth:`backward` gives all gradients.

    ``x`` (B, T, I) batch-first float64, ``h0`` (L * D, B, H), ``lengths`` (B,) or None,
    ``zoneout_keep`` a scalar expectation applied everywhere (eval mode) or None.
    """

    def __init__(self, module, x, h0, lengths=None, zoneout_keep=None):
        self.module = module
        batch, steps = x.shape[:2]
        self.lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
        self.D = module.num_directions
        H = module.hidden_size
        keep = None if zoneout_keep is None else np.full((batch, steps, H), zoneout_keep)
        layer_input = reverse_rows(x, self.lengths) if module.go_backwards else x
        self.caches, finals, self.last_outputs = [], [], []
        for layer in range(module.num_layers):
            outputs = []
            for d in range(self.D):
                out, h_n, cache = gru_forward(
                    layer_input,
                    direction_weights(module, layer, d),
                    h0=h0[layer * self.D + d],
                    lengths=self.lengths,
                    reset_after=module.reset_after,
                    reverse=d == 1,
                    zoneout_keep=keep,
                )
                outputs.append(out)
                finals.append(h_n)
                self.caches.append(cache)
            layer_input = np.concatenate(outputs, axis=2)
            self.last_outputs = outputs
        self.h_n = np.stack(finals)
        output = layer_input
        if module.go_backwards:  # Keras layout: the reversed sequence
            output = reverse_rows(output, self.lengths)[:, ::-1]
        if module.merge != "concat":
            fw, bw = self.last_outputs
            output = {"sum": fw + bw, "mean": (fw + bw) / 2, "mul": fw * bw}[module.merge]
        self.output = np.ascontiguousarray(output)

    def backward(self, d_output, d_h_n):
        """Gradients for the loss sum(output * d_output) + sum(h_n * d_h_n).

        Returns (d_x, d_h0, {parameter name: gradient}).
        """
        module, D = self.module, self.D
        if module.merge == "concat":
            d_top = d_output
        else:
            fw, bw = self.last_outputs
            d_fw, d_bw = {
                "sum": (d_output, d_output),
                "mean": (d_output / 2, d_output / 2),
                "mul": (d_output * bw, d_output * fw),
            }[module.merge]
            d_top = np.concatenate([d_fw, d_bw], axis=2)
        if module.go_backwards:
            d_top = reverse_rows(np.ascontiguousarray(d_top[:, ::-1]), self.lengths)
        H = module.hidden_size
        d_h0 = np.zeros_like(self.h_n)
        grads = {}
        d_layer = d_top
        for layer in reversed(range(module.num_layers)):
            d_input = 0.0
            for d in range(D):
                idx = layer * D + d
                d_x, d_h0[idx], d_w = gru_backward(
                    d_layer[:, :, d * H : (d + 1) * H], d_h_n[idx], self.caches[idx]
                )
                d_input = d_input + d_x
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                grads.update({role + suffix: g for role, g in d_w.items()})
            d_layer = d_input
        if module.go_backwards:
            d_layer = reverse_rows(d_layer, self.lengths)
        return d_layer, d_h0, grads


def module_gradients(module, x, h0, lengths, d_output, d_h_n, **forward_kwargs):
    """Autograd gradients of the same loss through ``module`` (batch-first tensors in)."""
    module.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    h0 = h0.clone().requires_grad_(True)
    output, h_n = module(x, h0, lengths, **forward_kwargs)
    loss = (output * d_output).sum() + (h_n * d_h_n).sum()
    loss.backward()
    grads = {name: p.grad for name, p in module.named_parameters()}
    return output.detach(), h_n.detach(), x.grad, h0.grad, grads


def random_inputs(module, batch, steps, seed, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, steps, module.input_size, generator=generator, dtype=dtype)
    h0 = torch.randn(
        module.num_layers * module.num_directions,
        batch,
        module.hidden_size,
        generator=generator,
        dtype=dtype,
    )
    return x, h0, generator
