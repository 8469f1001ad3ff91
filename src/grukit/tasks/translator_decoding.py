"""Decoding a :class:`~grukit.tasks.translator_networks.TranslatorNetwork`: greedy and beam
search, batched, one decoder step per token on the GRU's streaming step (the prefix is never
re-run: the state carries it).

Beam search keeps ``beam`` hypotheses per sentence, all sentences' beams in one batch of
``B * beam`` rows. A finished hypothesis (it chose ``<eos>``) stays in its beam with its score
frozen until every beam of the batch has finished or ``max_length`` steps are taken. The
hypotheses are then ranked by ``log p / lp`` with the length penalty of Wu et al. 2016
(GNMT), ``lp = ((5 + length) / 6) ** length_penalty`` (0: no normalisation; 1: about the mean
log-probability per token). ``beam=1`` is greedy decoding. ``<pad>`` and ``<bos>`` are
never chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from grukit.tasks.translator_prep import BOS_ID, EOS_ID

__all__ = ["Decoded", "decode_batch"]


@dataclass
class Decoded:
    """One sentence's translation: token ids (without ``<eos>``), its log-probability, and the
    attention weights (steps, source tokens) when the network attends."""

    ids: list[int]
    log_prob: float
    attention: np.ndarray | None


def _penalty(lengths: Tensor, alpha: float) -> Tensor:
    return ((5.0 + lengths.to(torch.float32)) / 6.0) ** alpha


def decode_batch(network: torch.nn.Module, source: Tensor, *, beam: int = 1,
                 length_penalty: float = 1.0, max_length: int = 100,
                 attention: bool = False) -> list[Decoded]:  # fmt: skip
    """Translations of source ids (B, S) (padding 0), in eval mode without gradients.

    Each step records its chosen tokens and their parent rows (and, with `attention`, the
    weights the parents attended with); the best hypotheses are read back through the
    parents at the end, so no step copies the history."""
    with torch.no_grad():
        memory, state = network.encode(source)  # type: ignore[operator]
        batch = source.shape[0]
        rows = torch.arange(batch).repeat_interleave(beam)
        memory, state = memory.select(rows), state.index_select(1, rows)
        scores = torch.zeros(batch, beam)
        scores[:, 1:] = float("-inf")  # every beam starts as the same empty hypothesis
        scores = scores.reshape(-1)
        token = torch.full((batch * beam,), BOS_ID, dtype=torch.long)
        finished = torch.zeros(batch * beam, dtype=torch.bool)
        lengths = torch.zeros(batch * beam, dtype=torch.long)
        offsets = torch.arange(batch)[:, None] * beam
        steps: list[tuple[Tensor, Tensor, Tensor | None]] = []  # (tokens, parents, weights)
        for _ in range(max_length):
            logits, state, weights = network.step(token, state, memory)  # type: ignore[operator]
            log_probs = torch.log_softmax(logits.float(), dim=-1)
            log_probs[:, [0, BOS_ID]] = float("-inf")  # never a next token: <pad>, <bos>
            log_probs[finished] = float("-inf")
            log_probs[finished, 0] = 0.0  # a finished hypothesis continues with padding, free
            candidates = (scores[:, None] + log_probs).reshape(batch, -1)
            scores, chosen = candidates.topk(beam, dim=-1)
            vocabulary = log_probs.shape[-1]
            parent = (chosen // vocabulary + offsets).reshape(-1)
            token = (chosen % vocabulary).reshape(-1)
            scores = scores.reshape(-1)
            state = state.index_select(1, parent)
            steps.append((token, parent, weights if attention else None))
            was_finished = finished.index_select(0, parent)
            lengths = lengths.index_select(0, parent) + (~was_finished).long()
            finished = was_finished | (token == EOS_ID)
            if bool(finished.all()):
                break
        ranked = (scores / _penalty(lengths, length_penalty)).reshape(batch, beam)
        best = ranked.argmax(dim=-1) + offsets[:, 0]
        sources = (source != 0).sum(dim=1).tolist()
        return [_result(steps, row, float(scores[row]), sources[row // beam])
                for row in best.tolist()]  # fmt: skip


def _result(steps: list[tuple[Tensor, Tensor, Tensor | None]], row: int, log_prob: float,
            source_length: int) -> Decoded:  # fmt: skip
    """The hypothesis ending in `row`, read back through the steps' parents."""
    tokens, matrices = [], []
    for chosen, parent, weights in reversed(steps):
        tokens.append(int(chosen[row]))
        row = int(parent[row])
        if weights is not None:  # what the parent attended with when it chose the token
            matrices.append(weights[row, :source_length])
    tokens.reverse()
    end = tokens.index(EOS_ID) if EOS_ID in tokens else len(tokens)
    matrix = None
    if matrices:
        matrices.reverse()
        matrix = torch.stack(matrices[: end + 1]).numpy()  # the <eos> step's attention kept
    return Decoded([t for t in tokens[:end] if t != 0], log_prob, matrix)
