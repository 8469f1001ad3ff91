"""The network of :class:`grukit.SequenceTagger`: per-token features, a sentence GRU, per-token
tag scores, and a linear-chain CRF over them (Huang et al. 2015; Lample et al. 2016).

For a sentence of L tokens (the packed input of :mod:`grukit.tasks.tagger_prep`)::

    w_t = E_word[word_t]                         (word_dim)  the lower-cased word
    k_t = E_case[casing_t]                       (case_dim)  its capitalisation
    c_t = [h_fwd, h_bwd] of a BiGRU over E_char[chars of token t]   (2 * char_hidden)
    x_t = dropout([w_t; k_t; c_t])
    o_1..o_L = GRU(x_1..x_L, lengths)            (D * H), D = 2 when bidirectional
    s_t = W dropout(o_t) + b                     (K) emission scores, one per tag

With ``crf=True`` the tags of a sentence are scored as one sequence,
``score(y) = start[y_1] + sum_t s_t[y_t] + sum_t A[y_{t-1}, y_t] + end[y_L]``, trained by its
log-likelihood and decoded by Viterbi (:class:`grukit.nn.LinearChainCRF`); transitions the
scheme forbids (``I-X`` after ``O``) carry a fixed -10000. Without it each token's tag is the
softmax of ``s_t`` (cross-entropy). Padded positions reach neither the GRU (its ``lengths``)
nor the loss.

Shapes: input (B, L, 2 + C) int64; output (B, L', K) emission scores, L' the longest sentence
of the batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grukit.nn import GRU

__all__ = ["TaggerNetwork", "tagging_loss"]


class TaggerNetwork(nn.Module):
    """Word, casing and character features, a GRU, emission scores, optionally a CRF.

    Parameters
    ----------
    n_tags : int
        K.
    vocab_size, word_dim : the word embedding.
    n_chars, char_dim, char_hidden : the character embedding and its BiGRU (``char_hidden``
        per direction); ``char_hidden=0`` leaves character features out.
    case_dim : int
        The casing embedding (0 leaves it out).
    hidden_size, num_layers, bidirectional : the sentence GRU.
    dropout : float
        On the token features, between GRU layers and before the emission layer.
    rare_from, unknown_rate : during training, word ids ``>= rare_from`` (words seen once)
        become ``<unk>`` with probability ``unknown_rate``.
    crf : bool
    allowed_start, allowed, allowed_end : lists of bools
        The CRF's allowed first tags (K), transitions (K x K) and last tags (K).
    gru_options : dict
        Further :class:`grukit.GRU` keyword arguments.
    """

    def __init__(
        self,
        *,
        n_tags: int,
        vocab_size: int,
        word_dim: int,
        n_chars: int,
        char_dim: int = 25,
        char_hidden: int = 25,
        case_dim: int = 8,
        hidden_size: int = 128,
        num_layers: int = 1,
        bidirectional: bool = True,
        dropout: float = 0.5,
        rare_from: int = 0,
        unknown_rate: float = 0.5,
        crf: bool = True,
        allowed_start: list[bool] | None = None,
        allowed: list[list[bool]] | None = None,
        allowed_end: list[bool] | None = None,
        gru_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.rare_from, self.unknown_rate = rare_from, unknown_rate
        self.word_embedding = nn.Embedding(vocab_size, word_dim, padding_idx=0)
        self.case_embedding = nn.Embedding(9, case_dim, padding_idx=0) if case_dim else None
        self.char_gru: GRU | None = None
        size = word_dim + case_dim
        if char_hidden:
            self.char_embedding = nn.Embedding(n_chars, char_dim, padding_idx=0)
            self.char_gru = GRU(char_dim, char_hidden, bidirectional=True)
            size += 2 * char_hidden
        self.feature_dropout = nn.Dropout(dropout)
        self.gru = GRU(
            size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
            dropout=dropout, **(gru_options or {}),
        )  # fmt: skip
        self.output_dropout = nn.Dropout(dropout)
        self.emissions = nn.Linear((2 if bidirectional else 1) * hidden_size, n_tags)
        self.crf = None
        if crf:
            from grukit.nn.crf import LinearChainCRF

            self.crf = LinearChainCRF(
                n_tags,
                allowed_transitions=None if allowed is None else np.array(allowed, dtype=bool),
                allowed_start=None if allowed_start is None else np.array(allowed_start, bool),
                allowed_end=None if allowed_end is None else np.array(allowed_end, dtype=bool),
            )

    @staticmethod
    def lengths_of(x: Tensor) -> Tensor:
        """(B,) the number of tokens of each sentence of a packed input."""
        return (x[:, :, 0] != 0).sum(dim=1)

    def _characters(self, chars: Tensor, valid: Tensor) -> Tensor:
        """(B, L, 2 * char_hidden): the character BiGRU's final states of each real token."""
        assert self.char_gru is not None
        words = chars[valid]  # (W, C) the real tokens only
        char_lengths = (words != 0).sum(dim=1).clamp(min=1)
        widest = int(char_lengths.max()) if len(words) else 1
        _, h_n = self.char_gru(self.char_embedding(words[:, :widest]), lengths=char_lengths)
        per_word = torch.cat([h_n[0], h_n[1]], dim=1)  # (W, 2 * char_hidden)
        out = per_word.new_zeros(*valid.shape, per_word.shape[1])
        out[valid] = per_word
        return out

    def features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(token features (B, L', F), lengths (B,)), trimmed to the batch's longest sentence."""
        lengths = self.lengths_of(x)
        longest = max(int(lengths.max()) if len(x) else 0, 1)
        x = x[:, :longest]
        words = x[:, :, 0]
        if self.training and self.unknown_rate > 0 and self.rare_from > 1:
            drop = words >= self.rare_from
            drop &= torch.rand(words.shape, device=words.device) < self.unknown_rate
            words = torch.where(drop, torch.ones_like(words), words)
        parts = [self.word_embedding(words)]
        if self.case_embedding is not None:
            parts.append(self.case_embedding(x[:, :, 1]))
        if self.char_gru is not None:
            parts.append(self._characters(x[:, :, 2:], words != 0))
        return self.feature_dropout(torch.cat(parts, dim=2)), lengths

    def forward(self, x: Tensor) -> Tensor:
        features, lengths = self.features(x)
        outputs, _ = self.gru(features, lengths=lengths.clamp(min=1))
        scores: Tensor = self.emissions(self.output_dropout(outputs))
        return scores  # (B, L', K)

    def decode(self, x: Tensor) -> Tensor:
        """(B, L') the best tag index of each token (Viterbi with a CRF), -1 past each end."""
        scores = self.forward(x)
        lengths = self.lengths_of(x)
        if self.crf is not None:
            best: Tensor = self.crf.decode(scores, lengths.clamp(min=1))
        else:
            best = scores.argmax(dim=2)
        steps = torch.arange(scores.shape[1], device=x.device)[None, :]
        return best.masked_fill(steps >= lengths[:, None], -1)


def tagging_loss(network: TaggerNetwork, scores: Tensor, targets: Tensor) -> Tensor:
    """The per-token loss of a batch: the CRF's negative log-likelihood of the gold tag
    sequences, or the tokens' cross-entropy, divided by the number of real tokens."""
    targets = targets[:, : scores.shape[1]]
    valid = targets >= 0
    tokens = valid.sum().clamp(min=1)
    if network.crf is None:
        return F.cross_entropy(scores[valid], targets[valid], reduction="sum") / tokens
    lengths = valid.sum(dim=1).clamp(min=1)
    nll: Tensor = network.crf(scores, targets.clamp(min=0), lengths)
    return nll / tokens
