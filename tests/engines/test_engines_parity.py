"""Every engine's ``gru_layer`` against the NumPy reference, with explicit masks.

Forward outputs and autograd gradients (inputs, initial state, every weight) against
``grukit.reference.gru_forward`` / ``gru_backward``, for every combination of formulation,
bias, layer norm, direction, lengths (with a zero length), recurrent dropout mask and zoneout keep
array. Tolerances: float64 1e-10 (forward) and 1e-8 (gradients); float32 1e-5.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from grukit.engines import ENGINES, get_engine
from grukit.reference import gru_backward, gru_forward

B, T, I, H = 4, 7, 3, 5
LENGTHS = [7, 2, 0, 5]
OPTIONS = ("reset_after", "bias", "layer_norm", "reverse", "lengths", "recurrent_mask", "zoneout")
NATIVE_BLOCKERS = {
    "reset_after": False,
    "layer_norm": True,
    "recurrent_mask": True,
    "zoneout": True,
}
# the fused engine runs both formulations and the recurrent dropout mask, not the other variants
# (test_fused_refuses_variants)
FUSED_BLOCKERS = {"layer_norm": True, "zoneout": True}


def all_cases():
    cases = []
    for engine in ENGINES:
        for values in itertools.product([False, True], repeat=len(OPTIONS)):
            case = dict(zip(OPTIONS, values, strict=True))
            if engine == "native" and any(case[k] == v for k, v in NATIVE_BLOCKERS.items()):
                continue  # test_native_engine_refuses covers these
            if engine == "fused" and any(case[k] == v for k, v in FUSED_BLOCKERS.items()):
                continue  # test_fused_refuses_variants covers these
            name = "-".join(k for k, v in case.items() if v) or "plain_reset_before"
            cases.append(pytest.param(engine, case, id=f"{engine}-{name}"))
    return cases


def make_case(case, dtype, seed):
    g = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=dtype)

    tensors = {
        "x": randn(B, T, I),
        "h0": randn(B, H),
        "weight_ih": randn(3 * H, I) * 0.5,
        "weight_hh": randn(3 * H, H) * 0.5,
    }
    if case["bias"]:
        tensors |= {"bias_ih": randn(3 * H) * 0.3, "bias_hh": randn(3 * H) * 0.3}
    if case["layer_norm"]:
        tensors |= {
            "norm_weight_ih": 1 + 0.2 * randn(3 * H),
            "norm_weight_hh": 1 + 0.2 * randn(3 * H),
        }
    masks = {}
    if case["recurrent_mask"]:
        keep = 0.7
        masks["recurrent_mask"] = (
            torch.bernoulli(torch.full((B, H), keep), generator=g).to(dtype) / keep
        )
    if case["zoneout"]:  # a mix of drawn 0/1 values and fractional expectations
        draws = torch.bernoulli(torch.full((B, T, H), 0.3), generator=g).to(dtype)
        masks["zoneout_keep"] = torch.where(
            draws > 0, draws, torch.rand(B, T, H, generator=g, dtype=dtype) * 0.5
        )
    lengths = torch.tensor(LENGTHS) if case["lengths"] else None
    return tensors, masks, lengths, g


WEIGHT_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "norm_weight_ih", "norm_weight_hh")


def run_case(engine_name, case, dtype, seed):
    engine = get_engine(engine_name)  # every engine ships with grukit: unavailable is a failure
    tensors, masks, lengths, g = make_case(case, dtype, seed)
    leaves = {k: v.clone().requires_grad_(True) for k, v in tensors.items()}
    try:
        output, h_n = engine.gru_layer(
            leaves["x"],
            leaves["h0"],
            leaves["weight_ih"],
            leaves["weight_hh"],
            leaves.get("bias_ih"),
            leaves.get("bias_hh"),
            reset_after=case["reset_after"],
            lengths=lengths,
            reverse=case["reverse"],
            norm_weight_ih=leaves.get("norm_weight_ih"),
            norm_weight_hh=leaves.get("norm_weight_hh"),
            **masks,
        )
    except NotImplementedError as error:
        raise AssertionError(f"{engine_name} refused a case it should run: {error}") from error
    d_output = torch.randn(B, T, H, generator=g, dtype=dtype)
    d_h_n = torch.randn(B, H, generator=g, dtype=dtype)
    ((output * d_output).sum() + (h_n * d_h_n).sum()).backward()

    weights = {k: v.double().numpy() for k, v in tensors.items() if k in WEIGHT_NAMES}
    ref_out, ref_h_n, cache = gru_forward(
        tensors["x"].double().numpy(),
        weights,
        h0=tensors["h0"].double().numpy(),
        lengths=None if lengths is None else lengths.numpy(),
        reset_after=case["reset_after"],
        reverse=case["reverse"],
        **{k: v.double().numpy() for k, v in masks.items()},
    )
    ref_d_x, ref_d_h0, ref_d_w = gru_backward(
        d_output.double().numpy(), d_h_n.double().numpy(), cache
    )
    return output, h_n, leaves, (ref_out, ref_h_n, ref_d_x, ref_d_h0, ref_d_w)


@pytest.mark.parametrize(("engine", "case"), all_cases())
def test_engine_matches_reference_float64(engine, case):
    output, h_n, leaves, ref = run_case(engine, case, torch.float64, seed=3)
    ref_out, ref_h_n, ref_d_x, ref_d_h0, ref_d_w = ref
    assert output.shape == (B, T, H) and h_n.shape == (B, H)
    np.testing.assert_allclose(output.detach().numpy(), ref_out, rtol=0, atol=1e-10)
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h_n, rtol=0, atol=1e-10)
    np.testing.assert_allclose(leaves["x"].grad.numpy(), ref_d_x, rtol=0, atol=1e-8)
    np.testing.assert_allclose(leaves["h0"].grad.numpy(), ref_d_h0, rtol=0, atol=1e-8)
    assert sorted(ref_d_w) == sorted(k for k in leaves if k in WEIGHT_NAMES)
    for name, grad in ref_d_w.items():
        np.testing.assert_allclose(leaves[name].grad.numpy(), grad, rtol=0, atol=1e-8, err_msg=name)
    if case["lengths"]:
        for b, n in enumerate(LENGTHS):
            assert torch.count_nonzero(output[b, n:]) == 0


@pytest.mark.parametrize(
    ("engine", "case"),
    [p for p in all_cases() if p.values[1]["lengths"] and p.values[1]["reverse"]],
)
def test_engine_matches_reference_float32(engine, case):
    output, h_n, leaves, ref = run_case(engine, case, torch.float32, seed=4)
    ref_out, ref_h_n, ref_d_x, ref_d_h0, ref_d_w = ref
    assert output.dtype == torch.float32
    np.testing.assert_allclose(output.detach().numpy(), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h_n, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(leaves["x"].grad.numpy(), ref_d_x, rtol=1e-5, atol=1e-5)
    for name, grad in ref_d_w.items():
        np.testing.assert_allclose(
            leaves[name].grad.numpy(), grad, rtol=1e-5, atol=1e-5, err_msg=name
        )


@pytest.mark.parametrize(
    ("option", "kwargs"),
    [
        ("reset_after=False", {"reset_after": False}),
        ("layer norm", {"norm_weight_ih": torch.ones(3 * H), "norm_weight_hh": torch.ones(3 * H)}),
        ("recurrent_mask", {"recurrent_mask": torch.ones(B, H)}),
        ("zoneout_keep", {"zoneout_keep": torch.zeros(B, T, H)}),
    ],
)
def test_native_engine_refuses(option, kwargs):
    native = get_engine("native")
    kwargs = {"reset_after": True} | kwargs
    with pytest.raises(NotImplementedError, match=f"the native engine cannot run {option}"):
        native.gru_layer(
            torch.randn(B, T, I),
            torch.zeros(B, H),
            torch.randn(3 * H, I),
            torch.randn(3 * H, H),
            None,
            None,
            **kwargs,
        )


@pytest.mark.parametrize("option", sorted(FUSED_BLOCKERS))
def test_fused_refuses_variants(option):
    case = dict.fromkeys(OPTIONS, False) | {"reset_after": True, option: True}
    tensors, masks, lengths, _ = make_case(case, torch.float32, seed=0)
    engine = get_engine("fused")
    with pytest.raises(NotImplementedError, match="fused"):
        engine.gru_layer(
            tensors["x"],
            tensors["h0"],
            tensors["weight_ih"],
            tensors["weight_hh"],
            None,
            None,
            reset_after=True,
            lengths=lengths,
            norm_weight_ih=tensors.get("norm_weight_ih"),
            norm_weight_hh=tensors.get("norm_weight_hh"),
            **masks,
        )
