"""grukit.nn.LinearChainCRF against the NumPy reference and brute force, on padded batches."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from grukit.nn import LinearChainCRF
from grukit.nn.crf import PENALTY
from grukit.reference import crf_log_partition, crf_marginals, crf_sequence_score, crf_viterbi
from grukit.text import allowed_transitions, convert_tags
from support.crf import all_paths, logsumexp, path_is_allowed, path_score

LENGTHS = [5, 1, 3, 2]
B, T, K = len(LENGTHS), 5, 4


@pytest.fixture(autouse=True)
def _one_thread(single_torch_thread):
    yield


def make_crf(seed: int = 0, dtype=torch.float64, scale: float = 1.0, **constraints):
    torch.manual_seed(seed)
    crf = LinearChainCRF(K, **constraints).to(dtype)
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_(0.0, scale)  # larger than the initial U(-0.1, 0.1): a real test
    return crf


def make_batch(seed: int = 1, dtype=torch.float64, padding: float = 0.0, pad_tag: int = 0):
    generator = torch.Generator().manual_seed(seed)
    emissions = torch.randn(B, T, K, generator=generator, dtype=dtype)
    tags = torch.randint(0, K, (B, T), generator=generator)
    mask = torch.arange(T) < torch.tensor(LENGTHS)[:, None]
    emissions = torch.where(mask[..., None], emissions, torch.tensor(padding, dtype=dtype))
    return emissions, torch.where(mask, tags, pad_tag), torch.tensor(LENGTHS)


def numpy_scores(crf):
    return [value.detach().numpy().astype(np.float64) for value in crf.scores()]


def row(emissions, b):
    return emissions[b, : LENGTHS[b]].detach().numpy().astype(np.float64)


def test_matches_the_reference_row_by_row():
    crf = make_crf()
    emissions, tags, lengths = make_batch()
    transitions, start, end = numpy_scores(crf)
    log_z = crf.log_partition(emissions, lengths).detach()
    log_likelihood = crf.log_likelihood(emissions, tags, lengths).detach()
    decoded = crf.decode(emissions, lengths)
    marginals = crf.marginals(emissions, lengths)
    assert log_z.shape == log_likelihood.shape == (B,)
    assert decoded.dtype == torch.int64 and decoded.shape == (B, T)
    for b, length in enumerate(LENGTHS):
        scores = (row(emissions, b), transitions, start, end)
        expected_z = crf_log_partition(*scores)
        gold = tags[b, :length].numpy()
        expected_ll = crf_sequence_score(scores[0], gold, *scores[1:]) - expected_z
        assert float(log_z[b]) == pytest.approx(expected_z, abs=1e-12)
        assert float(log_likelihood[b]) == pytest.approx(expected_ll, abs=1e-12)
        assert decoded[b, :length].tolist() == crf_viterbi(*scores)[0].tolist()
        assert decoded[b, length:].tolist() == [-1] * (T - length)
        np.testing.assert_allclose(marginals[b, :length], crf_marginals(*scores), atol=1e-12)
        assert torch.all(marginals[b, length:] == 0)
    assert float(crf(emissions, tags, lengths).detach()) == pytest.approx(
        -float(log_likelihood.sum())
    )


def test_float32_agrees_with_the_float64_reference():
    crf = make_crf(dtype=torch.float32)
    emissions, tags, lengths = make_batch(dtype=torch.float32)
    transitions, start, end = numpy_scores(crf)
    log_z = crf.log_partition(emissions, lengths).detach()
    assert log_z.dtype == torch.float32 and crf.decode(emissions, lengths).dtype == torch.int64
    for b in range(B):
        expected = crf_log_partition(row(emissions, b), transitions, start, end)
        assert float(log_z[b]) == pytest.approx(expected, abs=1e-4)
        expected_path = crf_viterbi(row(emissions, b), transitions, start, end)[0]
        assert crf.decode(emissions, lengths)[b, : LENGTHS[b]].tolist() == expected_path.tolist()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("padding", "pad_tag"), [(1e30, -100), (float("inf"), 99), (float("nan"), 3)]
)
def test_the_padded_tail_changes_nothing(dtype, padding, pad_tag):
    crf = make_crf(dtype=dtype)
    clean = make_batch(dtype=dtype)
    dirty = make_batch(dtype=dtype, padding=padding, pad_tag=pad_tag)
    assert not torch.equal(clean[0], dirty[0]) and not torch.equal(clean[1], dirty[1])
    results = []
    for emissions, tags, lengths in (clean, dirty):
        emissions = emissions.clone().requires_grad_(True)
        crf.zero_grad()
        log_likelihood = crf.log_likelihood(emissions, tags, lengths)
        log_likelihood.sum().backward()
        results.append(
            (
                log_likelihood.detach(),
                crf.log_partition(emissions, lengths).detach(),
                crf.decode(emissions, lengths),
                crf.marginals(emissions, lengths),
                emissions.grad,
                crf.transitions.grad.clone(),
            )
        )
    for value_clean, value_dirty in zip(*results, strict=True):
        assert torch.all(torch.isfinite(value_clean.double()))
        assert torch.equal(value_clean, value_dirty)


def test_gradients_reach_the_emissions_and_the_three_parameters():
    crf = make_crf()
    emissions, tags, lengths = make_batch()
    emissions.requires_grad_(True)
    crf(emissions, tags, lengths).backward()
    for gradient in (emissions.grad, *(p.grad for p in crf.parameters())):
        assert gradient is not None and torch.all(torch.isfinite(gradient))
        assert float(gradient.abs().sum()) > 0
    mask = torch.arange(T) < lengths[:, None]
    assert torch.all(emissions.grad[~mask] == 0)


def test_gradcheck_of_the_log_likelihood():
    crf = make_crf(scale=0.5)
    emissions, tags, lengths = make_batch()
    names = ("transitions", "start_transitions", "end_transitions")

    def log_likelihood(emissions, transitions, start, end):
        values = dict(zip(names, (transitions, start, end), strict=True))
        arguments = (emissions, tags, lengths)
        return torch.func.functional_call(crf, values, arguments, {}, strict=False)

    inputs = tuple(
        value.detach().clone().requires_grad_(True)
        for value in (emissions, crf.transitions, crf.start_transitions, crf.end_transitions)
    )
    assert torch.autograd.gradcheck(log_likelihood, inputs)
    per_row = lambda emissions, transitions: crf.log_likelihood(emissions, tags, lengths)  # noqa: E731
    assert torch.autograd.gradcheck(per_row, inputs[:2])


def test_the_gradient_of_log_z_is_the_reference_marginals():
    crf = make_crf()
    emissions, _, lengths = make_batch()
    emissions.requires_grad_(True)
    crf.log_partition(emissions, lengths).sum().backward()
    transitions, start, end = numpy_scores(crf)
    for b, length in enumerate(LENGTHS):
        expected = crf_marginals(row(emissions, b), transitions, start, end)
        np.testing.assert_allclose(emissions.grad[b, :length], expected, atol=1e-12)
        np.testing.assert_allclose(emissions.grad[b].sum(dim=1)[:length], 1.0, atol=1e-12)


def random_constraints(seed: int):
    """Random boolean constraints with one tag that may start, repeat and end (so every length
    has an allowed path)."""
    rng = np.random.default_rng(seed)
    allowed = rng.random((K, K)) < 0.5
    start, end = rng.random(K) < 0.4, rng.random(K) < 0.4
    keep = seed % K
    allowed[keep, keep] = start[keep] = end[keep] = True
    return {"allowed_transitions": allowed, "allowed_start": start, "allowed_end": end}


@pytest.mark.parametrize("seed", range(6))
def test_constrained_decode_is_the_best_allowed_path(seed):
    constraints = random_constraints(seed)
    crf = make_crf(seed, scale=3.0, **constraints)
    emissions, _, lengths = make_batch(seed)
    emissions = emissions * 3.0
    decoded = crf.decode(emissions, lengths)
    transitions, start, end = (p.detach().numpy() for p in crf.parameters())
    masks = constraints["allowed_transitions"], constraints["allowed_start"]
    masks += (constraints["allowed_end"],)
    log_z = crf.log_partition(emissions, lengths).detach()
    for b, length in enumerate(LENGTHS):
        paths = [p for p in all_paths(length, K) if path_is_allowed(p, *masks)]
        scores = [path_score(row(emissions, b), p, transitions, start, end) for p in paths]
        assert 0 < len(paths) < K**length or length == 1
        best = decoded[b, :length].numpy()
        assert path_is_allowed(best, *masks)
        assert best.tolist() == paths[int(np.argmax(scores))].tolist()
        assert float(log_z[b]) == pytest.approx(logsumexp(np.array(scores)), abs=1e-9)


def test_bioes_constraints_decode_valid_bioes():
    labels = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]
    start, allowed, end = allowed_transitions(labels, "BIOES")
    torch.manual_seed(0)
    crf = LinearChainCRF(
        len(labels), allowed_transitions=allowed, allowed_start=start, allowed_end=end
    )
    emissions = torch.randn(32, 9, len(labels)) * 5
    lengths = torch.randint(1, 10, (32,))
    decoded = crf.decode(emissions, lengths)
    for b in range(32):
        sequence = [labels[i] for i in decoded[b, : int(lengths[b])].tolist()]
        assert convert_tags(sequence, "BIOES", "BIOES") == sequence  # raises if invalid


def test_state_dict_round_trip_keeps_the_constraints():
    constraints = random_constraints(2)
    crf = make_crf(**constraints)
    buffer = io.BytesIO()
    torch.save(crf.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    assert {"transition_penalty", "start_penalty", "end_penalty"} <= set(state)
    restored = LinearChainCRF(K).to(torch.float64)
    restored.load_state_dict(state)
    forbidden = ~constraints["allowed_transitions"]
    assert torch.equal(restored.transition_penalty != 0, torch.from_numpy(forbidden))
    assert torch.all(
        restored.start_penalty[~torch.from_numpy(constraints["allowed_start"])] == PENALTY
    )
    emissions, _, lengths = make_batch()
    assert torch.equal(restored.decode(emissions, lengths), crf.decode(emissions, lengths))
    assert "forbidden=" in repr(restored)


def test_constraints_accept_tensors_and_default_to_all_allowed():
    allowed = torch.ones(K, K, dtype=torch.bool)
    allowed[0, 1] = False
    crf = LinearChainCRF(K, allowed_transitions=allowed)
    assert float(crf.transition_penalty[0, 1]) == PENALTY
    assert int((crf.transition_penalty != 0).sum()) == 1
    assert torch.all(crf.start_penalty == 0) and torch.all(crf.end_penalty == 0)
    for parameter in crf.parameters():
        assert float(parameter.detach().abs().max()) <= 0.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_tags": 0}, "`num_tags` must be a positive integer, got 0"),
        ({"allowed_transitions": np.ones((K, K))}, "`allowed_transitions` must be a boolean array"),
        ({"allowed_start": np.ones(K - 1, bool)}, r"`allowed_start` must have shape \(4,\)"),
        ({"allowed_end": np.zeros(K, bool)}, "`allowed_end` must allow at least one tag, got all"),
        ({"allowed_start": np.zeros(K, bool)}, "`allowed_start` must allow at least one tag"),
    ],
)
def test_constructor_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LinearChainCRF(**({"num_tags": K} | kwargs))


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        (
            [5, 0, 3, 2],
            r"`lengths` must lie in \[1, 5\] \(the sequence length\), got values fr",
        ),
        ([6, 1, 3, 2], r"`lengths` must lie in \[1, 5\] .*got values from 1 to 6"),
        ([5, 1, 3], r"`lengths` must have shape \(4,\) \(one length per batch row\), got \(3,\)"),
        (torch.tensor([5.0, 1, 3, 2]), "`lengths` must hold integers, got dtype torch.float32"),
    ],
)
def test_bad_lengths_are_refused(lengths, message):
    crf = make_crf()
    emissions, tags, _ = make_batch()
    for call in (
        lambda: crf.log_likelihood(emissions, tags, lengths),
        lambda: crf.log_partition(emissions, lengths),
        lambda: crf.decode(emissions, lengths),
        lambda: crf.marginals(emissions, lengths),
    ):
        with pytest.raises(ValueError, match=message):
            call()


def test_bad_emissions_and_tags_are_refused():
    crf = make_crf()
    emissions, tags, lengths = make_batch()
    with pytest.raises(ValueError, match=r"`emissions` must have shape \(B, T, K\) with T >= 1 "):
        crf.decode(emissions[0], lengths[:1])
    with pytest.raises(ValueError, match=r"K = 4 \(num_tags\), got \(4, 5, 3\)"):
        crf.log_partition(emissions[..., :3], lengths)
    with pytest.raises(ValueError, match=r"got \(4, 0, 4\)"):
        crf.log_partition(emissions[:, :0], lengths)
    with pytest.raises(ValueError, match="`emissions` has dtype torch.float32 but the parameters"):
        crf.log_partition(emissions.float(), lengths)
    with pytest.raises(TypeError, match="`emissions` must be a torch.Tensor, got ndarray"):
        crf.marginals(emissions.numpy(), lengths)
    with pytest.raises(ValueError, match=r"`tags` must have shape \(B, T\) = \(4, 5\) like"):
        crf.log_likelihood(emissions, tags[:, :4], lengths)
    with pytest.raises(ValueError, match="`tags` must hold integers, got dtype torch.float32"):
        crf.log_likelihood(emissions, tags.float(), lengths)
    bad = tags.clone()
    bad[2, 1] = K
    with pytest.raises(ValueError, match=r"`tags` must lie in \[0, 3\] .*got 4 at row 2, step 1"):
        crf.log_likelihood(emissions, bad, lengths)
    bad[2, 1], bad[2, 4] = 0, -100  # past the row's length: ignored
    crf.log_likelihood(emissions, bad, lengths)
