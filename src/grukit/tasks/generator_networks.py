"""The network of :class:`grukit.SequenceGenerator`: a GRU language model over tokens or
piano-roll frames, with a streaming step for sampling.

Shape glossary: ``B`` batch, ``T`` steps, ``E`` embedding size, ``H`` hidden size, ``V`` the
vocabulary (tokens) or the 88 keys (music).

Tokens: ids (B, T) -> embedding (E) with embedding dropout (whole token vectors dropped, Gal
& Ghahramani 2016) -> stacked :class:`grukit.GRU` (dropout between layers) -> dropout ->
(a projection H -> E when tied and H != E) -> logits (B, T, V). ``tie_weights`` shares the
output layer's weight with the embedding (Press & Wolf 2017; Inan et al. 2017). The embedding
and output weights start uniform in [-0.1, 0.1] and the output bias at zero, so that the first
logits are small: the start of Zaremba et al. 2014 and of PyTorch's word-language-model example,
which the SGD recipe of docs/benchmarks.md assumes (``nn.Embedding``'s unit normal, tied to the
output, starts the logits at a standard deviation of about sqrt(E)).

Music: inputs (B, T, 89) from :func:`grukit.tasks.generator_prep.music_pairs`, trimmed to the
longest real row of the batch -> input dropout (``input_dropout``, by default ``dropout``) ->
GRU -> dropout -> 88 logits, one Bernoulli per key.

Stateful training: with ``stateful=True`` the GRU's final state of one batch (detached, so
backpropagation is truncated at the batch) starts the next batch of the same size, in training
and in evaluation alike; ``train()`` and ``eval()`` (which the training loop calls at each
epoch's start and around validation) forget it. :meth:`GeneratorNetwork.run` takes and returns
the state explicitly.

Mixed precision: with ``mixed_precision=True`` the output layer (with a large vocabulary, most
of the training cost: a (B*T, E) x (E, V) product forward and two backward) runs in bfloat16
under :func:`torch.autocast` while training; the loss is taken on float32 logits, and
evaluation and sampling stay float32.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grukit.nn import GRU

__all__ = ["GeneratorNetwork", "frames_loss", "stream_state", "tokens_loss"]

_IGNORE = -100


class GeneratorNetwork(nn.Module):
    """A GRU language model (tokens) or piano-roll model (music); see the module docstring."""

    def __init__(self, *, kind: str, size: int, hidden_size: int, num_layers: int = 1,
                 embedding_dim: int = 0, dropout: float = 0.0, embedding_dropout: float = 0.0,
                 tie_weights: bool = False, stateful: bool = False, mixed_precision: bool = False,
                 input_dropout: float | None = None,
                 gru_options: dict[str, Any] | None = None) -> None:  # fmt: skip
        super().__init__()
        if kind not in ("tokens", "frames"):
            raise ValueError(f"`kind` must be 'tokens' or 'frames', got {kind!r}")
        self.kind, self.size, self.stateful = kind, size, stateful
        self.mixed_precision = mixed_precision
        self.embedding_dropout = embedding_dropout
        if kind == "tokens":
            self.embedding = nn.Embedding(size, embedding_dim)
            step_size = embedding_dim
        else:
            step_size = 88
        frames_dropout = dropout if input_dropout is None else input_dropout
        self.input_dropout = nn.Dropout(frames_dropout if kind == "frames" else 0.0)
        self.gru = GRU(step_size, hidden_size, num_layers=num_layers, dropout=dropout,
                       batch_first=True, **(gru_options or {}))  # fmt: skip
        self.output_dropout = nn.Dropout(dropout)
        out_features = hidden_size
        self.projection: nn.Linear | None = None
        if tie_weights:
            if kind != "tokens":
                raise ValueError("tied weights need token inputs (an embedding)")
            if hidden_size != embedding_dim:
                self.projection = nn.Linear(hidden_size, embedding_dim)
            out_features = embedding_dim
        self.decoder = nn.Linear(out_features, size)
        if kind == "tokens":  # small logits at the start (Zaremba et al. 2014, +-0.1)
            nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)
        if tie_weights:
            self.decoder.weight = self.embedding.weight
        self._carry: Tensor | None = None

    def train(self, mode: bool = True) -> GeneratorNetwork:
        self._carry = None  # a new pass over the data starts every row afresh
        return super().train(mode)

    # -- the steps ---------------------------------------------------------------------------
    def _inputs(self, x: Tensor) -> Tensor:
        if self.kind == "frames":
            real = x[..., 88]
            steps = int(real.sum(dim=0).nonzero().max().item()) + 1 if bool(real.any()) else 1
            return self.input_dropout(x[:, :steps, :88])
        vectors = self.embedding(x)
        if self.training and self.embedding_dropout > 0:
            keep = 1.0 - self.embedding_dropout
            mask = vectors.new_empty(vectors.shape[:2] + (1,)).bernoulli_(keep) / keep
            vectors = vectors * mask
        return vectors

    def head(self, outputs: Tensor) -> Tensor:
        """Logits (..., V) from last-layer GRU outputs (..., H)."""
        outputs = self.output_dropout(outputs)
        if self.projection is not None:
            outputs = self.projection(outputs)
        if self.training and self.mixed_precision:
            with torch.autocast(outputs.device.type, dtype=torch.bfloat16):
                return self.decoder(outputs).float()
        return self.decoder(outputs)

    def run(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(logits (B, T', V), final state (num_layers, B, H)) from `state` (zeros if None)."""
        outputs, h_n = self.gru(self._inputs(x), state)
        return self.head(outputs), h_n

    def forward(self, x: Tensor) -> Tensor:
        state = None
        carry = self._carry
        if self.stateful and carry is not None and carry.shape[1] == x.shape[0]:
            state = carry
        logits, h_n = self.run(x, state)
        if self.stateful:
            self._carry = h_n.detach()
        return logits

    def step_input(self, value: Any) -> Tensor:
        """The GRU's input for one step: token ids (B,) or frames (B, 88)."""
        if self.kind == "tokens":
            return self.embedding(value)
        return value


def tokens_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy per predicted token (padding, ``-100``, ignored)."""
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=_IGNORE
    )


def frames_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Bernoulli NLL summed over the 88 keys, averaged over the real frames (the published
    metric per frame); `targets` are trimmed to the logits' steps, padding is ``-100``."""
    targets = targets[:, : logits.shape[1]]
    real = targets[..., 0] != _IGNORE
    per_key = F.binary_cross_entropy_with_logits(logits, targets.clamp(min=0.0), reduction="none")
    per_frame = per_key.sum(dim=-1)
    return (per_frame * real).sum() / real.sum().clamp(min=1)


def stream_state(network: GeneratorNetwork, batch: int) -> Tensor:
    """Zeros (num_layers, batch, H) for :meth:`GeneratorNetwork.run`."""
    return network.gru.initial_state(batch)
