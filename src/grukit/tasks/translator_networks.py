"""The network of :class:`grukit.Seq2Seq`: a GRU encoder-decoder (Cho et al. 2014) with optional
additive attention (Bahdanau et al. 2015), trained with teacher forcing and decoded step by step
on the decoder GRU's streaming step.

Shape glossary: ``B`` batch, ``S`` source steps, ``T`` target steps, ``E`` embedding size,
``H`` encoder hidden size per direction, ``C`` = ``D * H`` the encoder's output size
(``D`` = 2 when bidirectional), ``K`` the decoder's hidden size, ``A`` the attention size,
``V`` the target vocabulary.

Encoder: source ids (B, S) -> embedding -> dropout -> stacked (bidirectional) :class:`grukit.GRU`
with the rows' lengths -> outputs (B, S, C). The decoder starts from
``tanh(W_b [h_fwd; h_bwd])`` of the last layer's final states, in every decoder layer.

Decoder step t (``y_{t-1}`` the previous target token, ``s_{t-1}`` the last decoder layer's
state)::

    without attention (Cho et al. 2014):  c_t = c = the encoder's final states [h_fwd; h_bwd]
    with attention (Bahdanau et al. 2015): e_ti = v^T tanh(W_q s_{t-1} + U_k h_i)   (padded i: -inf)
                                           a_t = softmax(e_t),  c_t = sum_i a_ti h_i
    s_t    = GRU([emb(y_{t-1}); c_t], s_{t-1})
    logits = W_out dropout(tanh(W_p [s_t; c_t; emb(y_{t-1})]))      (W_out tied to the target
                                                                     embedding if tie_embeddings)

Teacher forcing: in training, the next step reads the reference token with probability
``teacher_forcing`` and the network's own choice (arg max) otherwise, drawn per token (Bengio
et al. 2015's scheduled sampling; :class:`grukit.Seq2Seq` moves it over the epochs). With
``teacher_forcing == 1`` and no attention the decoder runs as one whole-sequence GRU call.

Mixed precision: with ``mixed_precision=True`` the training forward runs under
:func:`torch.autocast` in bfloat16: the decoder's and the attention's products and the output
layer (the encoder's fused kernels stay float32, and so does the decoder's state between
steps); the loss is taken on float32 logits. Evaluation and decoding are float32.

Inputs to :meth:`TranslatorNetwork.forward` are pairs (B, 2, L) of token ids from
:func:`grukit.tasks.translator_prep.translation_pairs`: row 0 the source (padded with 0), row 1
the decoder input (``<bos>`` then the target, padded with 0); both are trimmed to the batch's
longest real row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grukit.nn import GRU

__all__ = ["Memory", "TeacherForcing", "TranslationLoss", "TranslatorNetwork", "translation_loss"]

_IGNORE = -100


@dataclass
class Memory:
    """What the decoder reads of an encoded batch (rows may be repeated for beam search)."""

    outputs: Tensor  # (B, S, C) encoder outputs
    mask: Tensor  # (B, S) bool, True at real source tokens
    keys: Tensor | None  # (B, S, A) U_k h_i with attention, else None
    context: Tensor | None  # (B, C) the fixed context without attention, else None

    def select(self, rows: Tensor) -> Memory:
        """The memory of `rows` (indices into the batch), e.g. each sentence repeated per beam."""
        return Memory(
            self.outputs.index_select(0, rows),
            self.mask.index_select(0, rows),
            None if self.keys is None else self.keys.index_select(0, rows),
            None if self.context is None else self.context.index_select(0, rows),
        )


def _trim(ids: Tensor) -> Tensor:
    """`ids` (B, L) cut after the last column that holds a real (non-zero) token of any row."""
    real = (ids != 0).any(dim=0)
    steps = int(real.nonzero().max().item()) + 1 if bool(real.any()) else 1
    return ids[:, :steps]


class TranslatorNetwork(nn.Module):
    """A GRU encoder-decoder, with or without additive attention; see the module docstring."""

    def __init__(self, *, source_size: int, target_size: int, embedding_dim: int,
                 hidden_size: int, decoder_size: int, encoder_layers: int = 1,
                 decoder_layers: int = 1, bidirectional: bool = True, attention: bool = True,
                 attention_size: int = 0, dropout: float = 0.0, tie_embeddings: bool = True,
                 mixed_precision: bool = False,
                 gru_options: dict[str, Any] | None = None) -> None:  # fmt: skip
        super().__init__()
        self.attention = attention
        self.mixed_precision = mixed_precision
        self.teacher_forcing = 1.0
        directions = 2 if bidirectional else 1
        context = directions * hidden_size
        options = dict(gru_options or {})
        self.source_embedding = nn.Embedding(source_size, embedding_dim, padding_idx=0)
        self.target_embedding = nn.Embedding(target_size, embedding_dim, padding_idx=0)
        self.encoder = GRU(embedding_dim, hidden_size, num_layers=encoder_layers,
                           bidirectional=bidirectional, dropout=dropout, batch_first=True,
                           **options)  # fmt: skip
        self.bridge = nn.Linear(context, decoder_size)
        self.decoder = GRU(embedding_dim + context, decoder_size, num_layers=decoder_layers,
                           dropout=dropout, batch_first=True, **options)  # fmt: skip
        if attention:
            size = attention_size or decoder_size
            self.query = nn.Linear(decoder_size, size, bias=False)
            self.key = nn.Linear(context, size)
            self.energy = nn.Linear(size, 1, bias=False)
        self.pre_output = nn.Linear(decoder_size + context + embedding_dim, embedding_dim)
        self.out = nn.Linear(embedding_dim, target_size)
        self.dropout = nn.Dropout(dropout)
        nn.init.uniform_(self.source_embedding.weight, -0.1, 0.1)
        nn.init.uniform_(self.target_embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.out.bias)
        if tie_embeddings:
            self.out.weight = self.target_embedding.weight
        else:
            nn.init.uniform_(self.out.weight, -0.1, 0.1)
        with torch.no_grad():  # padding rows stay zero (padding_idx), as nn.Embedding's own
            self.source_embedding.weight[0].zero_()
            self.target_embedding.weight[0].zero_()

    @property
    def decoder_layers(self) -> int:
        return self.decoder.num_layers

    # -- encoding ----------------------------------------------------------------------------
    def encode(self, source: Tensor) -> tuple[Memory, Tensor]:
        """(the :class:`Memory`, the decoder's first state (layers, B, K)) of source ids
        (B, S), padded with 0."""
        lengths = (source != 0).sum(dim=1)
        vectors = self.dropout(self.source_embedding(source))
        outputs, h_n = self.encoder(vectors, lengths=lengths.clamp(min=1))
        directions = 2 if self.encoder.bidirectional else 1
        last = h_n[-directions:]  # the last layer's final state per direction
        summary = torch.cat(list(last), dim=-1)  # (B, C)
        first = torch.tanh(self.bridge(summary))
        state = first.unsqueeze(0).expand(self.decoder_layers, -1, -1).contiguous()
        mask = source != 0
        keys = self.key(outputs) if self.attention else None
        context = None if self.attention else summary
        return Memory(outputs, mask, keys, context), state

    # -- one decoder step --------------------------------------------------------------------
    def attend(self, memory: Memory, query_state: Tensor) -> tuple[Tensor, Tensor | None]:
        """(context (B, C), attention weights (B, S) or None) for the last decoder layer's
        state (B, K)."""
        if memory.keys is None:
            assert memory.context is not None
            return memory.context, None
        scores = self.energy(torch.tanh(memory.keys + self.query(query_state)[:, None, :]))
        scores = scores.squeeze(-1).masked_fill(~memory.mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights[:, None, :], memory.outputs)[:, 0], weights

    def head(self, output: Tensor, context: Tensor, embedded: Tensor) -> Tensor:
        """Logits (..., V) from the decoder output, the context and the input embedding."""
        hidden = torch.tanh(self.pre_output(torch.cat([output, context, embedded], dim=-1)))
        return self.out(self.dropout(hidden))

    def step(self, token: Tensor, state: Tensor, memory: Memory
             ) -> tuple[Tensor, Tensor, Tensor | None]:  # fmt: skip
        """(logits (B, V), new state (layers, B, K), attention (B, S) or None) after reading the
        previous tokens (B,) on the decoder GRU's streaming step (:meth:`grukit.GRU.step`)."""
        embedded = self.dropout(self.target_embedding(token))
        context, weights = self.attend(memory, state[-1])
        x_t = torch.cat([embedded, context], dim=-1).float()  # float32 under autocast too
        output, state = self.decoder.step(x_t, state.float())
        return self.head(output, context, embedded), state, weights

    # -- training ----------------------------------------------------------------------------
    def forward(self, pairs: Tensor) -> Tensor:
        """Logits (B, T, V) for the decoder inputs of `pairs` (B, 2, L) (module docstring)."""
        if self.training and self.mixed_precision:
            with torch.autocast(pairs.device.type, dtype=torch.bfloat16):
                return self._logits(pairs).float()
        return self._logits(pairs)

    def _logits(self, pairs: Tensor) -> Tensor:
        source, target = _trim(pairs[:, 0]), _trim(pairs[:, 1])
        memory, state = self.encode(source)
        state = state.float()  # the bridge's output is bfloat16 under autocast
        forced = not self.training or self.teacher_forcing >= 1.0
        if forced and memory.context is not None:  # Cho et al.: one whole-sequence call
            embedded = self.dropout(self.target_embedding(target))
            context = memory.context[:, None, :].expand(-1, target.shape[1], -1)
            outputs, _ = self.decoder(torch.cat([embedded, context], dim=-1), state)
            return self.head(outputs, context, embedded)
        if forced:
            return self._forced(target, state, memory)
        return self._scheduled(target, state, memory)

    def _forced(self, target: Tensor, state: Tensor, memory: Memory) -> Tensor:
        """Teacher forcing: every step reads the reference; the head runs once at the end."""
        embedded = self.dropout(self.target_embedding(target))  # (B, T, E)
        outputs, contexts = [], []
        for t in range(target.shape[1]):
            context, _ = self.attend(memory, state[-1])
            x_t = torch.cat([embedded[:, t], context], -1).float()
            output, state = self.decoder.step(x_t, state.float())
            outputs.append(output)
            contexts.append(context)
        return self.head(torch.stack(outputs, 1), torch.stack(contexts, 1), embedded)

    def _scheduled(self, target: Tensor, state: Tensor, memory: Memory) -> Tensor:
        """Scheduled sampling: each token after the first is the reference with probability
        ``teacher_forcing``, else the network's arg max at the previous step."""
        logits = []
        token = target[:, 0]
        for t in range(target.shape[1]):
            step_logits, state, _ = self.step(token, state, memory)
            logits.append(step_logits)
            if t + 1 < target.shape[1]:
                gold = target[:, t + 1]
                own = step_logits.detach().argmax(dim=-1)
                keep = torch.rand(gold.shape, device=gold.device) < self.teacher_forcing
                token = torch.where(keep | (gold == 0), gold, own)
        return torch.stack(logits, 1)


def translation_loss(logits: Tensor, targets: Tensor, label_smoothing: float = 0.0) -> Tensor:
    """Mean cross-entropy per target token; `targets` (B, L) are trimmed to the logits' steps
    and padding (``-100``) is ignored."""
    targets = targets[:, : logits.shape[1]]
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        targets.reshape(-1),
        ignore_index=_IGNORE,
        label_smoothing=label_smoothing,
    )


class TranslationLoss:
    """:func:`translation_loss` with a fixed label smoothing, applied only in training (the
    validation loss is the plain cross-entropy, whose exponential is the perplexity)."""

    def __init__(self, label_smoothing: float = 0.0) -> None:
        self.label_smoothing = label_smoothing

    def __call__(self, logits: Tensor, targets: Tensor) -> Tensor:
        smoothing = self.label_smoothing if torch.is_grad_enabled() else 0.0
        return translation_loss(logits, targets, smoothing)


class TeacherForcing:
    """A training callback: the network's ``teacher_forcing`` moves linearly from `start` in
    the first epoch to `final` in the last (epoch ``epochs``)."""

    def __init__(self, start: float, final: float, epochs: int) -> None:
        self.start, self.final, self.epochs = start, final, epochs

    def ratio(self, epoch: int) -> float:
        """The teacher-forcing probability of `epoch` (1-based)."""
        if self.epochs <= 1:
            return self.start
        share = min(max(epoch - 1, 0), self.epochs - 1) / (self.epochs - 1)
        return self.start + (self.final - self.start) * share

    def on_epoch_begin(self, state: Any) -> None:
        state.model.teacher_forcing = self.ratio(state.epoch)
