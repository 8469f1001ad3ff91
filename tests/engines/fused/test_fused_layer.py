"""The fused engine's gru_layer against the NumPy reference: outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grukit.engines.fused import gru_layer, unsupported_reason
from grukit.reference import gru_backward, gru_forward

# float32: kernels with a rational tanh (relative error ~1e-7) and float32 accumulation;
# float64: libm activations, so agreement to rounding.
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}
STEPS, INPUT, HIDDEN = 6, 5, 7


def make_case(dtype, batch, *, bias=True, seed=0):
    """Weights of moderate scale (like PyTorch's init) and inputs, as float64 NumPy arrays."""
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(HIDDEN)
    weights = {
        "weight_ih": rng.uniform(-scale, scale, (3 * HIDDEN, INPUT)),
        "weight_hh": rng.uniform(-scale, scale, (3 * HIDDEN, HIDDEN)),
    }
    if bias:
        weights["bias_ih"] = rng.uniform(-scale, scale, 3 * HIDDEN)
        weights["bias_hh"] = rng.uniform(-scale, scale, 3 * HIDDEN)
    x = rng.normal(size=(batch, STEPS, INPUT))
    h0 = rng.normal(scale=0.5, size=(batch, HIDDEN))
    d_out = rng.normal(size=(batch, STEPS, HIDDEN))
    d_hn = rng.normal(size=(batch, HIDDEN))
    # round everything to the tested dtype so both sides see the same numbers
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    rounded = {k: v.astype(np_dtype).astype(np.float64) for k, v in weights.items()}
    return rounded, *(a.astype(np_dtype).astype(np.float64) for a in (x, h0, d_out, d_hn))


def tensors(arrays, dtype):
    return [torch.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


def assert_close(actual, expected, tol, what):
    actual = actual.detach().numpy() if isinstance(actual, torch.Tensor) else actual
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    err = float(np.abs(actual - expected).max(initial=0.0))
    assert err <= tol * scale, f"{what}: max abs error {err:.3g} > {tol:g} * {scale:.3g}"


LENGTHS = {"full": None, "ragged": [STEPS, 0, 3], "ones": [1, STEPS, 2]}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize(
    ("batch", "lengths_name", "bias"),
    [(1, "full", True), (3, "full", False), (3, "ragged", True), (3, "ones", True)],
)
def test_fused_matches_reference(dtype, reset_after, reverse, batch, lengths_name, bias):
    check_against_reference(dtype, reset_after, reverse, batch, LENGTHS[lengths_name], bias)


def recurrent_mask(dtype, batch, keep=0.7, seed=5):
    """A recurrent dropout mask (B, H): entries 0 or 1/keep (rounded to ``dtype``), float64."""
    rng = np.random.default_rng(seed)
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    mask = (rng.random((batch, HIDDEN)) < keep) / np_dtype(keep)
    mask = mask.astype(np_dtype).astype(np.float64)
    assert 0 < np.count_nonzero(mask) < mask.size  # some units dropped, some kept
    return mask


def check_against_reference(dtype, reset_after, reverse, batch, lengths, bias, mask=None):
    """Outputs and every gradient of ``gru_layer`` against the reference; ``mask``: a
    recurrent dropout mask (B, H) (float64 NumPy) given to both, or None."""
    weights, x, h0, d_out, d_hn = make_case(dtype, batch, bias=bias)
    ref_out, ref_hn, cache = gru_forward(
        x, weights, h0=h0, lengths=lengths, reset_after=reset_after, reverse=reverse,
        recurrent_mask=mask,
    )  # fmt: skip
    ref_dx, ref_dh0, ref_dw = gru_backward(d_out, d_hn, cache)

    names = [k for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if k in weights]
    tx, th0, *tw = tensors([x, h0] + [weights[k] for k in names], dtype)
    params = dict(zip(names, tw, strict=True))
    t_mask = None if mask is None else torch.tensor(mask, dtype=dtype)
    out, h_n = gru_layer(
        tx, th0, params["weight_ih"], params["weight_hh"], params.get("bias_ih"),
        params.get("bias_hh"), reset_after=reset_after, reverse=reverse,
        lengths=None if lengths is None else torch.tensor(lengths), recurrent_mask=t_mask,
    )  # fmt: skip
    assert out.shape == (batch, STEPS, HIDDEN) and out.dtype == dtype
    tol = TOLERANCE[dtype]
    assert_close(out, ref_out, tol, "output")
    assert_close(h_n, ref_hn, tol, "h_n")
    if lengths is not None:  # padded outputs are exactly zero
        for b, length in enumerate(lengths):
            assert torch.all(out[b, length:] == 0)

    grads = torch.autograd.grad(
        (out, h_n),
        [tx, th0, *tw],
        grad_outputs=(torch.tensor(d_out, dtype=dtype), torch.tensor(d_hn, dtype=dtype)),
    )
    assert_close(grads[0], ref_dx, tol, "d_x")
    assert_close(grads[1], ref_dh0, tol, "d_h0")
    for name, grad in zip(params, grads[2:], strict=True):
        assert_close(grad, ref_dw[name], tol, f"d_{name}")
    if mask is not None:  # the mask is read, never written
        assert torch.equal(t_mask, torch.tensor(mask, dtype=dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize(("batch", "lengths_name"), [(3, "full"), (3, "ragged"), (1, "full")])
def test_fused_recurrent_mask_matches_reference(dtype, reset_after, reverse, batch, lengths_name):
    """Recurrent dropout: the products read h * m, the update the unmasked h (outputs, h_n and
    the gradients of x, h0 and every weight and bias, as the reference)."""
    mask = recurrent_mask(dtype, batch, keep=0.7 if batch > 1 else 0.9, seed=batch)
    check_against_reference(dtype, reset_after, reverse, batch, LENGTHS[lengths_name], True, mask)


def test_fused_recurrent_mask_of_ones_changes_no_bit():
    """A mask of ones is the unmasked GRU (the masked path multiplies by 1.0: exact)."""
    weights, x, h0, _, _ = make_case(torch.float32, 3)
    tx, th0, *tw = (torch.tensor(a, dtype=torch.float32) for a in (x, h0, *weights.values()))
    plain = gru_layer(tx, th0, *tw, reset_after=False, lengths=torch.tensor([STEPS, 0, 3]))
    ones = gru_layer(
        tx, th0, *tw, reset_after=False, lengths=torch.tensor([STEPS, 0, 3]),
        recurrent_mask=torch.ones(3, HIDDEN),
    )  # fmt: skip
    for got, want in zip(ones, plain, strict=True):
        assert torch.equal(got, want)


@pytest.fixture
def sharded(request, monkeypatch):
    """Split every batch into row shards on ``threads`` threads, through PyTorch's OpenMP
    workers or (``pool``) the fallback thread pool; yields the shard counts used."""
    from grukit.engines.fused import _row_parallel

    backend, threads = request.param
    monkeypatch.setattr(_row_parallel, "MIN_SHARD_FLOPS", 1)
    monkeypatch.setattr(_row_parallel, "MIN_TRAINING_SHARD_FLOPS", 1)
    if backend == "pool":
        monkeypatch.setattr(_row_parallel, "run_on_torch_threads", lambda count, action: False)
    counts = []
    original = _row_parallel.run_shards
    monkeypatch.setattr(
        _row_parallel,
        "run_shards",
        lambda work, shards: counts.append(len(shards)) or original(work, shards),
    )
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    yield counts
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    "sharded", [("omp", 2), ("omp", 3), ("pool", 2)], indirect=True, ids=["omp2", "omp3", "pool2"]
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_batch_split_over_threads_matches_reference(sharded, dtype, reset_after, reverse):
    """Rows are independent: shards on parallel threads give the reference's numbers, and the
    weight gradients summed over shards are the whole batch's."""
    check_against_reference(dtype, reset_after, reverse, 5, [STEPS, 0, 3, 1, STEPS], True)
    assert sharded and min(sharded) == min(torch.get_num_threads(), 5)  # really split


@pytest.mark.parametrize("sharded", [("omp", 2), ("pool", 3)], indirect=True, ids=["omp2", "pool3"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_recurrent_mask_split_over_threads_matches_reference(sharded, dtype, reset_after, reverse):
    """Each shard reads its own rows of the mask, in the forward and the backward pass."""
    mask = recurrent_mask(dtype, 9, seed=9)
    lengths = [STEPS, 0, 3, 1, STEPS, 2, STEPS, 4, 5]
    check_against_reference(dtype, reset_after, reverse, 9, lengths, True, mask)
    assert sharded and min(sharded) == torch.get_num_threads()  # really split


@pytest.mark.parametrize("sharded", [("omp", 2)], indirect=True, ids=["omp2"])
def test_pooled_records_are_not_reused_while_autograd_holds_them(sharded):
    """Training records come from a pool (``_saved_activations``): three forward passes of one
    shape before one backward each keep their own record, and records reused in the next round give
    the same gradients as nn.GRU."""
    from grukit.engines.fused import _saved_activations

    _saved_activations.clear()
    torch.manual_seed(3)
    gru = torch.nn.GRU(INPUT, HIDDEN, batch_first=True, dtype=torch.float64)
    weights = [gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0]
    for _round in range(2):
        xs = [torch.randn(4, STEPS, INPUT, dtype=torch.float64) for _ in range(3)]
        scales = [torch.randn(4, STEPS, HIDDEN, dtype=torch.float64) for _ in range(3)]
        expected = torch.autograd.grad(
            sum((gru(x)[0] * c).sum() for x, c in zip(xs, scales, strict=True)), weights
        )
        outs = [gru_layer(x, None, *weights, reset_after=True)[0] for x in xs]
        grads = torch.autograd.grad(
            sum((out * c).sum() for out, c in zip(outs, scales, strict=True)), weights
        )
        for got, want in zip(grads, expected, strict=True):
            torch.testing.assert_close(got, want, rtol=0, atol=1e-10)
        # the backward freed them: the next round reuses them
        assert _saved_activations.idle_bytes() > 0
    assert sharded and max(sharded) == 2  # the training passes ran on two shards


def test_fused_no_grad_equals_grad_path_and_matches_torch():
    torch.manual_seed(1)
    gru = torch.nn.GRU(INPUT, HIDDEN, batch_first=True)
    x = torch.randn(3, STEPS, INPUT)
    with torch.no_grad():
        expected, expected_hn = gru(x)
        out, h_n = gru_layer(
            x, None, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0,
            reset_after=True,
        )  # fmt: skip
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-5)
    torch.testing.assert_close(h_n, expected_hn[0], rtol=0, atol=1e-5)
    out_grad, _ = gru_layer(
        x, None, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0,
        reset_after=True,
    )  # fmt: skip
    assert out_grad.requires_grad and torch.equal(out_grad.detach(), out)


def test_fused_trains_inside_a_model():
    """A stacked use: layer output feeds a second fused layer, gradients reach every weight."""
    torch.manual_seed(2)
    first, second = torch.nn.GRU(3, 8, batch_first=True), torch.nn.GRU(8, 8, batch_first=True)
    x = torch.randn(4, 5, 3)
    out1, _ = gru_layer(x, None, *[p for p in first.parameters()], reset_after=True)
    out2, h_n = gru_layer(out1, None, *[p for p in second.parameters()], reset_after=True)
    ref1, _ = first(x)
    ref2, ref_hn = second(ref1)
    torch.testing.assert_close(out2, ref2, rtol=0, atol=1e-5)
    h_n.square().sum().backward()
    fused_grads = [p.grad.clone() for p in (*first.parameters(), *second.parameters())]
    for module in (first, second):
        module.zero_grad()
    ref_hn[0].square().sum().backward()
    torch_grads = [p.grad for p in (*first.parameters(), *second.parameters())]
    for got, expected in zip(fused_grads, torch_grads, strict=True):
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("option", ["norm_weight_ih", "norm_weight_hh", "zoneout_keep"])
def test_fused_refuses_variants(option):
    x, w_ih, w_hh = torch.randn(2, 3, 4), torch.randn(15, 4), torch.randn(15, 5)
    with pytest.raises(NotImplementedError, match=f"`{option}`"):
        gru_layer(x, None, w_ih, w_hh, None, None, reset_after=True, **{option: torch.ones(1)})


def test_fused_unsupported_reason():
    assert unsupported_reason(reset_after=False) is None
    assert "layer_norm" in unsupported_reason(layer_norm=True)
    assert unsupported_reason(recurrent_dropout=0.2) is None
    assert "zoneout" in unsupported_reason(recurrent_dropout=0.2, zoneout=0.1)
    assert "zoneout" in unsupported_reason(zoneout=0.1)


def test_fused_validates_arguments():
    x, w_ih, w_hh = torch.randn(2, 3, 4), torch.randn(15, 4), torch.randn(15, 5)
    with pytest.raises(ValueError, match=r"`weight_ih` must have shape \(15, 4\), got \(15, 3\)"):
        gru_layer(x, None, torch.randn(15, 3), w_hh, None, None, reset_after=True)
    with pytest.raises(ValueError, match="`weight_hh` must have dtype torch.float32"):
        gru_layer(x, None, w_ih, w_hh.double(), None, None, reset_after=True)
    with pytest.raises(ValueError, match=r"`h0` must have shape \(2, 5\), got \(1, 5\)"):
        gru_layer(x, torch.zeros(1, 5), w_ih, w_hh, None, None, reset_after=True)
    with pytest.raises(ValueError, match=r"`lengths` must lie in \[0, 3\], got \[4, 1\]"):
        gru_layer(x, None, w_ih, w_hh, None, None, reset_after=True, lengths=torch.tensor([4, 1]))
    with pytest.raises(ValueError, match=r"`bias_hh` must have shape \(15,\)"):
        gru_layer(x, None, w_ih, w_hh, None, torch.zeros(5), reset_after=True)
    with pytest.raises(
        ValueError, match=r"`recurrent_mask` must have shape \(2, 5\), got \(1, 5\)"
    ):
        gru_layer(
            x, None, w_ih, w_hh, None, None, reset_after=True, recurrent_mask=torch.ones(1, 5)
        )
    with pytest.raises(ValueError, match="`recurrent_mask` must have dtype torch.float32"):
        gru_layer(
            x, None, w_ih, w_hh, None, None, reset_after=True,
            recurrent_mask=torch.ones(2, 5, dtype=torch.float64),
        )  # fmt: skip
    with pytest.raises(NotImplementedError, match="float16"):
        gru_layer(x.half(), None, w_ih.half(), w_hh.half(), None, None, reset_after=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
@pytest.mark.parametrize(("batch", "hidden", "input_size"), [(6, 16, 1), (1, 32, 3), (7, 20, 2)])
def test_fused_layouts_and_row_blocks_match_reference(
    dtype, reset_after, batch, hidden, input_size
):
    """H a whole number of SIMD vectors (gate blocks packed without padding) or not, batches
    that leave row tails (blocks of 4, 2, 1), ragged lengths in reverse: outputs and grads."""
    rng = np.random.default_rng(hidden + batch)
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    scale = 1 / np.sqrt(hidden)
    weights = {
        "weight_ih": rng.uniform(-scale, scale, (3 * hidden, input_size)),
        "weight_hh": rng.uniform(-scale, scale, (3 * hidden, hidden)),
        "bias_ih": rng.uniform(-scale, scale, 3 * hidden),
        "bias_hh": rng.uniform(-scale, scale, 3 * hidden),
    }
    weights = {k: v.astype(np_dtype).astype(np.float64) for k, v in weights.items()}
    x, h0, d_out = (
        rng.normal(size=shape).astype(np_dtype).astype(np.float64)
        for shape in ((batch, STEPS, input_size), (batch, hidden), (batch, STEPS, hidden))
    )
    lengths = [STEPS - (b % 3) for b in range(batch)]
    ref_out, ref_hn, cache = gru_forward(
        x, weights, h0=h0, lengths=lengths, reset_after=reset_after, reverse=True
    )
    ref_dx, ref_dh0, ref_dw = gru_backward(d_out, np.zeros_like(h0), cache)
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    tx, th0, *tw = tensors([x, h0] + [weights[k] for k in names], dtype)
    out, h_n = gru_layer(
        tx, th0, *tw, reset_after=reset_after, reverse=True, lengths=torch.tensor(lengths)
    )
    tol = TOLERANCE[dtype]
    assert_close(out, ref_out, tol, "output")
    assert_close(h_n, ref_hn, tol, "h_n")
    grads = torch.autograd.grad(out, [tx, th0, *tw], grad_outputs=torch.tensor(d_out, dtype=dtype))
    assert_close(grads[0], ref_dx, tol, "d_x")
    assert_close(grads[1], ref_dh0, tol, "d_h0")
    for name, grad in zip(names, grads[2:], strict=True):
        assert_close(grad, ref_dw[name], tol, f"d_{name}")
