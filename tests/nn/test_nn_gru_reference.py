"""grukit.GRU with every engine and option against the NumPy reference, forward and gradients.

The reference stack (tests/support/gru_stack_reference.py) composes
``grukit.reference.gru_forward`` and ``gru_backward`` layer by layer; the module's gradients
come from autograd.
Tolerances: float64 1e-10 (forward) and 1e-8 (gradients), absolute; float32 1e-5 absolute and
relative (float32 gradients reach magnitude ~10, where one ulp is ~1e-6).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import grukit
from grukit.engines import ENGINES, fused, get_engine, native
from support.gru_stack_reference import StackReference, module_gradients, random_inputs

CONFIGS = {
    "plain": {},
    "two_layers_bidirectional": {"num_layers": 2, "bidirectional": True},
    "reset_before_two_layers": {"num_layers": 2, "reset_after": False},
    "reset_before_bidirectional": {"bidirectional": True, "reset_after": False},
    "no_bias_bidirectional": {"bidirectional": True, "bias": False, "num_layers": 2},
    "layer_norm": {"layer_norm": True, "num_layers": 2},
    "layer_norm_reset_before_bidirectional": {
        "layer_norm": True,
        "reset_after": False,
        "bidirectional": True,
    },
    "zoneout_eval": {"zoneout": 0.3, "num_layers": 2},
    "zoneout_reset_before_bidirectional": {
        "zoneout": 0.25,
        "reset_after": False,
        "bidirectional": True,
    },
    "recurrent_dropout_eval": {"recurrent_dropout": 0.4, "bidirectional": True},
    "dropout_eval": {"dropout": 0.5, "num_layers": 2},
    "merge_sum": {"bidirectional": True, "merge": "sum", "num_layers": 2},
    "merge_mean": {"bidirectional": True, "merge": "mean"},
    "merge_mul": {"bidirectional": True, "merge": "mul", "reset_after": False},
    "go_backwards": {"go_backwards": True, "num_layers": 2},
    "go_backwards_layer_norm": {"go_backwards": True, "layer_norm": True},
    "keras_init": {"init": "keras", "bidirectional": True},
}
LENGTHS = {"full": None, "ragged_with_zero": [6, 3, 0, 1, 5]}


def engine_configs(names):
    """(engine, config) pairs; the native engine only where it can run the configuration."""
    pairs = []
    for engine in ["auto", *ENGINES]:
        for name in names:
            config = CONFIGS[name]
            if engine == "native" and native.unsupported_reason(**config) is not None:
                continue
            if engine == "fused" and fused.unsupported_reason(**config) is not None:
                continue  # the fused engine runs no variants; tests/engines covers its refusal
            pairs.append(pytest.param(engine, config, id=f"{engine}-{name}"))
    return pairs


def make_module(config, engine, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    module = grukit.GRU(3, 4, engine=engine, **config)
    module = module.to(dtype).eval()
    with torch.no_grad():  # keras init zeroes the biases: perturb so they matter
        for name, p in module.named_parameters():
            if name.startswith("bias"):
                p.add_(0.1 * torch.randn_like(p))
    return module


def _scaled(tol, ref, scaled):
    """`tol`, or for float32 `tol` times the largest magnitude of `ref` (at least 1): float32
    rounding in a backward pass sums terms of the tensor's own scale, so its absolute error grows
    with that scale (the float64 checks stay element-wise and tight)."""
    return tol * max(1.0, float(np.abs(ref).max())) if scaled else tol


def check_against_reference(
    module, lengths, dtype, seed, forward_tol, grad_tol, rtol=0.0, scaled=False
):
    x, h0, generator = random_inputs(module, 5, 6, seed, dtype)
    ref = StackReference(
        module,
        x.double().numpy(),
        h0.double().numpy(),
        lengths,
        zoneout_keep=module.zoneout or None,
    )
    d_output = torch.randn(ref.output.shape, generator=generator, dtype=dtype)
    d_h_n = torch.randn(ref.h_n.shape, generator=generator, dtype=dtype)
    output, h_n, d_x, d_h0, grads = module_gradients(module, x, h0, lengths, d_output, d_h_n)
    np.testing.assert_allclose(output.double().numpy(), ref.output, rtol=rtol, atol=forward_tol)
    np.testing.assert_allclose(h_n.double().numpy(), ref.h_n, rtol=rtol, atol=forward_tol)
    ref_d_x, ref_d_h0, ref_grads = ref.backward(d_output.double().numpy(), d_h_n.double().numpy())
    for got, want in ((d_x, ref_d_x), (d_h0, ref_d_h0)):
        atol = _scaled(grad_tol, want, scaled)
        np.testing.assert_allclose(got.double().numpy(), want, rtol=rtol, atol=atol)
    assert sorted(grads) == sorted(ref_grads)
    for name, grad in grads.items():
        np.testing.assert_allclose(
            grad.double().numpy(),
            ref_grads[name],
            rtol=rtol,
            atol=_scaled(grad_tol, ref_grads[name], scaled),
            err_msg=name,
        )
    if lengths is not None:  # padded outputs are exactly zero
        for b, n in enumerate(lengths):
            padded = output[b, :-n] if module.go_backwards and n else output[b, n:]
            if module.go_backwards and n == 0:
                padded = output[b]
            assert torch.count_nonzero(padded) == 0


def engine_available(engine):
    """Every engine ships with grukit (numba is a dependency): unavailable is a failure."""
    if engine != "auto":
        get_engine(engine)


@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
@pytest.mark.parametrize(("engine", "config"), engine_configs(CONFIGS))
def test_module_matches_reference_float64(engine, config, lengths):
    engine_available(engine)
    module = make_module(config, engine)
    check_against_reference(module, lengths, torch.float64, 1, 1e-10, 1e-8)


@pytest.mark.parametrize(
    ("engine", "config"),
    engine_configs(["two_layers_bidirectional", "layer_norm_reset_before_bidirectional"]),
)
def test_module_matches_reference_float32(engine, config):
    engine_available(engine)
    module = make_module(config, engine, dtype=torch.float32)
    check_against_reference(
        module, LENGTHS["ragged_with_zero"], torch.float32, 2, 1e-5, 1e-5, rtol=1e-5, scaled=True
    )
