"""The seq2seq network and its decoding: teacher forcing against the streaming step, the masked
attention, the Cho et al. decoder's whole-sequence path, beam search against exhaustive search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from grukit.tasks.translator_decoding import decode_batch
from grukit.tasks.translator_networks import (
    TeacherForcing,
    TranslationLoss,
    TranslatorNetwork,
    translation_loss,
)
from grukit.tasks.translator_prep import BOS_ID, EOS_ID, translation_pairs


def _network(attention: bool = True, *, target_size: int = 9, layers: int = 1,
             bidirectional: bool = True, seed: int = 0) -> TranslatorNetwork:  # fmt: skip
    torch.manual_seed(seed)
    network = TranslatorNetwork(source_size=11, target_size=target_size, embedding_dim=6,
                                hidden_size=5, decoder_size=7, encoder_layers=layers,
                                decoder_layers=layers, bidirectional=bidirectional,
                                attention=attention, dropout=0.0)  # fmt: skip
    with torch.no_grad():  # larger output weights: decisive, distinct log-probabilities
        network.out.weight.mul_(20.0)
    return network.eval()


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    sources = [[4, 5, 6, 7], [8, 9], [10, 4, 5]]
    targets = [[4, 5], [6, 7, 8], [5]]
    pairs, following = translation_pairs(sources, targets)
    return torch.from_numpy(pairs), torch.from_numpy(following)


def _stepped_logits(network: TranslatorNetwork, pairs: torch.Tensor) -> torch.Tensor:
    """The logits of the decoder inputs, one streaming step at a time."""
    source = pairs[:, 0]
    source = source[:, : int((source != 0).any(0).nonzero().max()) + 1]
    memory, state = network.encode(source)
    inputs = pairs[:, 1]
    steps = int((inputs != 0).any(0).nonzero().max()) + 1
    logits = []
    for t in range(steps):
        step_logits, state, _ = network.step(inputs[:, t], state, memory)
        logits.append(step_logits)
    return torch.stack(logits, 1)


@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("layers", [1, 2])
def test_teacher_forced_logits_equal_the_streaming_steps(attention: bool, layers: int) -> None:
    network = _network(attention, layers=layers)
    pairs, _ = _batch()
    with torch.no_grad():
        forced = network(pairs)
        stepped = _stepped_logits(network, pairs)
    assert forced.shape == (3, 4, 9)
    torch.testing.assert_close(forced, stepped, rtol=1e-5, atol=1e-5)


def test_scheduled_sampling_with_full_forcing_is_teacher_forcing() -> None:
    network = _network(True)
    pairs, _ = _batch()
    with torch.no_grad():
        forced = network(pairs)
        source, target = pairs[:, 0, :4], pairs[:, 1, :4]
        memory, state = network.encode(source)
        network.teacher_forcing = 1.0  # the step-by-step route, always reading the references
        scheduled = network._scheduled(target, state, memory)
    torch.testing.assert_close(scheduled, forced, rtol=1e-5, atol=1e-5)


def test_attention_ignores_padding_and_sums_to_one() -> None:
    network = _network(True)
    pairs, _ = _batch()
    source = pairs[:, 0, :4]
    memory, state = network.encode(source)
    _, _, weights = network.step(torch.full((3,), BOS_ID), state, memory)
    assert weights is not None
    torch.testing.assert_close(weights.sum(-1), torch.ones(3))
    assert torch.all(weights[source == 0] == 0)
    assert torch.all(weights[source != 0] > 0)
    # the padding's ids do not matter: the same sentence padded longer decodes the same
    longer = torch.cat([source, torch.zeros(3, 3, dtype=torch.long)], 1)
    memory2, state2 = network.encode(longer)
    logits2, _, _ = network.step(torch.full((3,), BOS_ID), state2, memory2)
    logits, _, _ = network.step(torch.full((3,), BOS_ID), state, memory)
    torch.testing.assert_close(logits, logits2, rtol=1e-5, atol=1e-6)


def test_tied_output_shares_the_target_embedding() -> None:
    network = _network(True)
    assert network.out.weight is network.target_embedding.weight
    untied = TranslatorNetwork(source_size=5, target_size=6, embedding_dim=4, hidden_size=3,
                               decoder_size=3, tie_embeddings=False)  # fmt: skip
    assert untied.out.weight is not untied.target_embedding.weight


def test_loss_ignores_padding_and_smooths_only_with_gradients() -> None:
    logits = torch.randn(2, 3, 5, requires_grad=True)
    targets = torch.tensor([[1, 2, -100], [3, -100, -100]])
    expected = torch.nn.functional.cross_entropy(
        logits.reshape(-1, 5)[[0, 1, 3]], torch.tensor([1, 2, 3])
    )
    torch.testing.assert_close(translation_loss(logits, targets), expected)
    smoothed = TranslationLoss(0.2)
    assert float(smoothed(logits, targets).detach()) != pytest.approx(float(expected.detach()))
    with torch.no_grad():
        assert float(smoothed(logits, targets)) == pytest.approx(float(expected.detach()))


def test_teacher_forcing_schedule_is_linear_over_the_epochs() -> None:
    schedule = TeacherForcing(1.0, 0.5, 5)
    assert [schedule.ratio(e) for e in range(1, 6)] == [1.0, 0.875, 0.75, 0.625, 0.5]
    assert TeacherForcing(0.8, 0.2, 1).ratio(1) == 0.8


def _score(network: TranslatorNetwork, source: torch.Tensor, ids: list[int]) -> float:
    """log p(ids [+ <eos>]) under teacher forcing, one sentence."""
    memory, state = network.encode(source)
    token, total = torch.tensor([BOS_ID]), 0.0
    for next_id in ids:
        logits, state, _ = network.step(token, state, memory)
        total += float(torch.log_softmax(logits, -1)[0, next_id])
        token = torch.tensor([next_id])
    return total


@pytest.mark.parametrize("attention", [True, False])
def test_wide_beam_finds_the_exhaustive_best(attention: bool) -> None:
    """With a beam as wide as every hypothesis and no length penalty, beam search returns the
    most probable sequence of all (finished ones end in <eos>; unfinished ones stop at the
    step limit)."""
    network = _network(attention, target_size=6)  # tokens 4 and 5 besides the specials
    source = torch.tensor([[4, 7, 9]])
    limit = 3
    candidates = []
    vocabulary = range(1, 6)  # every id but <pad>
    for length in range(1, limit + 1):
        for ids in itertools.product(vocabulary, repeat=length):
            if EOS_ID in ids[:-1] or BOS_ID in ids:
                continue
            if ids[-1] == EOS_ID or length == limit:
                candidates.append(list(ids))
    with torch.no_grad():
        scores = {tuple(c): _score(network, source, c) for c in candidates}
        best = max(scores, key=scores.__getitem__)
        (found,) = decode_batch(network, source, beam=200, length_penalty=0.0, max_length=limit)
    expected = [t for t in best if t != EOS_ID]
    assert found.ids == expected
    assert found.log_prob == pytest.approx(scores[best], abs=1e-4)


def test_greedy_is_beam_one_and_batched_equals_single() -> None:
    network = _network(True)
    pairs, _ = _batch()
    source = pairs[:, 0, :4]
    with torch.no_grad():
        batched = decode_batch(network, source, beam=1, max_length=6)
        for row in range(3):
            length = int((source[row] != 0).sum())
            (single,) = decode_batch(network, source[row : row + 1, :length], beam=1,
                                     max_length=6)  # fmt: skip
            assert single.ids == batched[row].ids
            assert single.log_prob == pytest.approx(batched[row].log_prob, abs=1e-4)
        # greedy by hand: the arg max at each step
        memory, state = network.encode(source[:1, :4])
        token, ids = torch.tensor([BOS_ID]), []
        for _ in range(6):
            logits, state, _ = network.step(token, state, memory)
            logits[:, [0, BOS_ID]] = float("-inf")  # never chosen
            token = logits.argmax(-1)
            if int(token) == EOS_ID:
                break
            ids.append(int(token))
    assert batched[0].ids == ids


def test_beam_attention_rows_are_the_source_tokens() -> None:
    network = _network(True)
    pairs, _ = _batch()
    source = pairs[:, 0, :4]
    with torch.no_grad():
        results = decode_batch(network, source, beam=3, max_length=5, attention=True)
    for row, result in enumerate(results):
        length = int((source[row] != 0).sum())
        assert result.attention is not None
        steps = min(len(result.ids) + 1, 5)
        assert result.attention.shape == (steps, length)
        np.testing.assert_allclose(result.attention.sum(1), 1.0, rtol=1e-5)


def test_mixed_precision_trains_in_bfloat16_and_evaluates_in_float32() -> None:
    network = _network(True)
    pairs, following = _batch()
    with torch.no_grad():
        reference = network(pairs)  # eval: float32
    network.mixed_precision = True
    with torch.no_grad():
        assert torch.equal(network(pairs), reference)  # eval stays float32, bit for bit
    network.train()
    logits = network(pairs)
    assert logits.dtype == torch.float32
    difference = (logits - reference).abs().max().item()
    assert 0 < difference < 0.05 * reference.abs().max().item()  # bfloat16 rounding only
    translation_loss(logits, following).backward()
    grads = [p.grad for p in network.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_decoding_runs_on_the_fused_streaming_step() -> None:
    network = _network(True)
    pairs, _ = _batch()
    with torch.no_grad():
        decode_batch(network, pairs[:, 0, :4], beam=2, max_length=3)
    assert network.decoder.last_engine == "fused"
