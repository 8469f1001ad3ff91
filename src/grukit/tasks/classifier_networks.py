"""The networks of :class:`grukit.SequenceClassifier`: a GRU encoder, a pooling and a linear head.

Shape glossary: ``B`` batch, ``T`` steps, ``E`` embedding size, ``V`` series variables, ``S``
static descriptors, ``H`` hidden size, ``D`` directions, ``C`` classes.

Text: token ids (B, T), 0 = padding at the end of each row; the true lengths are the counts of
non-zero ids. Series: one float tensor (B, T, 3V + 1 + S) packed by
:func:`pack_series`: per step the filled values, the observed-mask and the scaled time since each
variable was last seen (GRU-D's ``x, m, delta``), a 1 for each real step (the lengths), and the
static descriptors in step 0 (zeros elsewhere), which join the pooled state at the head.

Pooling over the encoder outputs ``o_t`` (B, T, D*H) of the valid steps only:

- ``last``: the last layer's final state of each direction (the state after each row's last
  valid step; the reverse direction's after its first).
- ``mean`` / ``max``: over the valid steps (zeros for a row with no step).
- ``attention``: additive attention (Bahdanau et al. 2015), ``e_t = v^T tanh(W o_t + b)``,
  ``alpha = softmax(e)`` over the valid steps, pooled ``sum_t alpha_t o_t``;
  :meth:`ClassifierNetwork.attention_weights` returns ``alpha`` (B, T) for inspection.

GRU-D (Che et al. 2018, sec. "GRU-D"), ``decay=True``: learned decays
``gamma_x = exp(-relu(w_x * delta + b_x))`` (per variable) and
``gamma_h = exp(-relu(W_h delta + b_h))`` (H); the input becomes ``x^ = m x + (1 - m) gamma_x x_l``
(``x_l`` the last observed value, the training mean being 0 after standardisation), the state
``h_{t-1} <- gamma_h * h_{t-1}`` before each step, and the GRU reads ``[x^, m]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grukit.nn import GRU, GRUCell

__all__ = ["POOLINGS", "ClassifierEnsemble", "ClassifierNetwork", "pack_series"]

POOLINGS = ("last", "mean", "max", "attention")


def pack_series(values: np.ndarray, mask: np.ndarray, delta: np.ndarray, lengths: np.ndarray,
                static: np.ndarray) -> np.ndarray:  # fmt: skip
    """The series network's input (N, T, 3V + 1 + S) float32 from filled ``values``, ``mask``,
    scaled ``delta`` (N, T, V), ``lengths`` (N,) and ``static`` (N, S)."""
    count, steps = values.shape[:2]
    valid = (np.arange(steps)[None, :] < np.asarray(lengths)[:, None]).astype(np.float32)
    static_steps = np.zeros((count, steps, static.shape[1]), dtype=np.float32)
    if steps:
        static_steps[:, 0] = static
    parts = [values, mask, delta, valid[:, :, None], static_steps]
    return np.concatenate([np.asarray(p, dtype=np.float32) for p in parts], axis=2)


class AdditiveAttention(nn.Module):
    """``alpha = masked softmax(v^T tanh(W o + b))`` over the valid steps; (B, T) weights."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.project = nn.Linear(size, size)
        self.score = nn.Linear(size, 1, bias=False)

    def forward(self, outputs: Tensor, valid: Tensor) -> Tensor:
        scores = self.score(torch.tanh(self.project(outputs))).squeeze(-1)  # (B, T)
        scores = scores.masked_fill(~valid, float("-inf"))
        weights = torch.softmax(scores, dim=1)
        return torch.nan_to_num(weights, nan=0.0)  # a row with no valid step: all zeros


class ClassifierNetwork(nn.Module):
    """Embedding (text) or GRU-D inputs (series), a :class:`grukit.GRU`, a pooling, a head.

    Parameters
    ----------
    input : {"text", "series"}
    n_classes : int
        C; the head gives C logits.
    hidden_size, num_layers, bidirectional : GRU shape.
    pooling : one of :data:`POOLINGS`.
    dropout : float
        On the GRU's inputs (its ``input_dropout``: one mask per sequence over the features, as
        Keras's GRU ``dropout``; GRU-D: per step), between GRU layers and before the head.
    recurrent_dropout : float
        The GRU's (one mask per sequence).
    vocab_size, embedding_dim : text only.
    n_variables, n_static : series only (V, S).
    decay : bool
        Series only: GRU-D's learned decays (one unidirectional layer).
    gru_options : dict
        Further :class:`grukit.GRU` keyword arguments.

    Shapes: text input (B, T) int64, series input (B, T, 3V + 1 + S); output (B, C) logits.
    """

    def __init__(
        self,
        *,
        input: str,
        n_classes: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        pooling: str = "last",
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        vocab_size: int = 0,
        embedding_dim: int = 0,
        n_variables: int = 0,
        n_static: int = 0,
        decay: bool = False,
        gru_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.input, self.pooling, self.decay = input, pooling, decay
        self.n_variables, self.n_static = n_variables, n_static
        self.directions = 2 if bidirectional else 1
        if input == "text":
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
            step_size = embedding_dim
        else:
            step_size = 2 * n_variables if decay else 3 * n_variables
        self.input_dropout = nn.Dropout(dropout)
        if decay:
            self.decay_x = nn.Linear(n_variables, n_variables)  # used diagonally: w_x * delta
            self.decay_h = nn.Linear(n_variables, hidden_size)
            self.cell = GRUCell(step_size, hidden_size)
        else:
            self.gru = GRU(
                step_size,
                hidden_size,
                num_layers=num_layers,
                bidirectional=bidirectional,
                dropout=dropout,
                input_dropout=dropout,
                recurrent_dropout=recurrent_dropout,
                **(gru_options or {}),
            )
        size = self.directions * hidden_size
        self.attention = AdditiveAttention(size) if pooling == "attention" else None
        self.head_dropout = nn.Dropout(dropout)
        self.head = nn.Linear(size + (n_static if input == "series" else 0), n_classes)

    # -- inputs ------------------------------------------------------------------------------
    def _steps(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        """(step inputs (B, T', F), lengths (B,), static (B, S) or None), trimmed to the longest
        row of the batch."""
        if self.input == "text":
            lengths = (x != 0).sum(dim=1)
            longest = max(int(lengths.max()) if len(x) else 0, 1)
            return self.embedding(x[:, :longest]), lengths, None
        v = self.n_variables
        lengths = x[:, :, 3 * v].sum(dim=1).round().long()
        longest = max(int(lengths.max()) if len(x) else 0, 1)
        static = x[:, 0, 3 * v + 1 :]
        return x[:, :longest, : 3 * v], lengths, static

    def _encode(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
        """(outputs (B, T', D*H), final states (B, D*H), valid (B, T') bool, static)."""
        steps, lengths, static = self._steps(x)
        valid = torch.arange(steps.shape[1], device=x.device)[None, :] < lengths[:, None]
        if self.decay:
            outputs, final = self._gru_d(steps, valid)
            return outputs, final, valid, static
        outputs, h_n = self.gru(steps, lengths=lengths)  # input dropout: the GRU's own
        last = h_n[-self.directions :].permute(1, 0, 2).reshape(len(x), -1)  # (B, D*H)
        return outputs, last, valid, static

    def _gru_d_step(self, step: Tensor, h: Tensor) -> Tensor:
        """One GRU-D step: ``step`` (B, 3V) the packed values, mask, gaps; ``h`` (B, H)."""
        v = self.n_variables
        filled, mask, delta = step[:, :v], step[:, v : 2 * v], step[:, 2 * v :]
        weight = torch.diagonal(self.decay_x.weight)
        gamma_x = torch.exp(-F.relu(delta * weight + self.decay_x.bias))  # (B, V)
        x_hat = filled * (mask + (1 - mask) * gamma_x)
        gamma_h = torch.exp(-F.relu(self.decay_h(delta)))  # (B, H)
        new: Tensor = self.cell(self.input_dropout(torch.cat([x_hat, mask], dim=1)), gamma_h * h)
        return new

    def _gru_d(self, steps: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
        h = steps.new_zeros(len(steps), self.cell.hidden_size)
        outputs = []
        for t in range(steps.shape[1]):
            new = self._gru_d_step(steps[:, t], h)
            h = torch.where(valid[:, t, None], new, h)
            outputs.append(torch.where(valid[:, t, None], new, torch.zeros_like(new)))
        return torch.stack(outputs, dim=1), h

    # -- one step at a time (streaming, eval mode) -----------------------------------------
    def initial_state(self, batch: int) -> Tensor:
        """The state before the first step: (layers, B, H) zeros (GRU-D: (B, H))."""
        if self.decay:
            return self.head.weight.new_zeros(batch, self.cell.hidden_size)
        state: Tensor = self.gru.initial_state(batch)
        return state

    def step_input(self, x: Tensor) -> Tensor:
        """What the GRU reads at one step: the embedding of ids (B,), or the packed series
        step (B, 3V) as it is."""
        if self.input == "text":
            embedded: Tensor = self.embedding(x)
            return embedded
        return x

    def step(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """(output (B, H), new state) of one step from :meth:`step_input`'s ``x``."""
        if self.directions != 1:
            raise ValueError("a bidirectional GRU reads the whole sequence; it cannot stream")
        if self.decay:
            new = self._gru_d_step(x, state)
            return new, new
        output, new_state = self.gru.step(x, state)
        return output, new_state

    def attention_score(self, output: Tensor) -> Tensor:
        """``e_t`` (B,) of one step's output (B, D*H)."""
        assert self.attention is not None
        attention = self.attention
        score: Tensor = attention.score(torch.tanh(attention.project(output))).squeeze(-1)
        return score

    # -- pooling and head -------------------------------------------------------------------
    def _pool(self, outputs: Tensor, last: Tensor, valid: Tensor) -> Tensor:
        if self.pooling == "last":
            return last
        mask = valid[:, :, None]
        if self.pooling == "mean":
            count = valid.sum(dim=1, keepdim=True).clamp(min=1)
            return (outputs * mask).sum(dim=1) / count
        if self.pooling == "max":
            pooled = outputs.masked_fill(~mask, float("-inf")).max(dim=1).values
            return torch.where(valid.any(dim=1, keepdim=True), pooled, torch.zeros_like(pooled))
        assert self.attention is not None
        weights = self.attention(outputs, valid)  # (B, T)
        return (weights[:, :, None] * outputs).sum(dim=1)

    def logits_from_pooled(self, pooled: Tensor, static: Tensor | None) -> Tensor:
        """The head: (B, C) logits from the pooled state (and the static descriptors)."""
        pooled = self.head_dropout(pooled)
        if static is not None and self.n_static:
            pooled = torch.cat([pooled, static], dim=1)
        logits: Tensor = self.head(pooled)
        return logits

    def forward(self, x: Tensor) -> Tensor:
        outputs, last, valid, static = self._encode(x)
        return self.logits_from_pooled(self._pool(outputs, last, valid), static)

    def attention_weights(self, x: Tensor) -> Tensor:
        """``alpha`` (B, T') of ``pooling="attention"`` (zeros past each row's length)."""
        if self.attention is None:
            raise ValueError(
                f"attention weights need pooling='attention', this network pools {self.pooling!r}"
            )
        outputs, _, valid, _ = self._encode(x)
        weights: Tensor = self.attention(outputs, valid)
        return weights


class ClassifierEnsemble(nn.Module):
    """``members`` :class:`ClassifierNetwork` s of the same options, trained from different
    seeds; the output is the log of their mean class probabilities (so a softmax of it gives
    that mean).

    Shapes as :class:`ClassifierNetwork`'s; output (B, C) log-probabilities.
    """

    def __init__(self, *, members: int, **options: Any) -> None:
        super().__init__()
        self.members = nn.ModuleList(ClassifierNetwork(**options) for _ in range(members))

    @property
    def first(self) -> ClassifierNetwork:
        member: ClassifierNetwork = self.members[0]
        return member

    def forward(self, x: Tensor) -> Tensor:
        probabilities = torch.stack([torch.softmax(m(x), dim=1) for m in self.members]).mean(0)
        return torch.log(probabilities.clamp_min(torch.finfo(probabilities.dtype).tiny))

    def attention_weights(self, x: Tensor) -> Tensor:
        """The members' attention weights, averaged."""
        return torch.stack([m.attention_weights(x) for m in self.members]).mean(0)
