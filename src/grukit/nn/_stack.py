"""The general path of ``GRU.forward`` once the engine is chosen: the stack's layers on it.

``run_native`` hands the whole stack to ``torch.nn.GRU``'s kernels; ``run_layers`` runs each
layer-direction through an engine's ``gru_layer`` (the engine contract of
``docs/architecture.md``), drawing the recurrent dropout masks and zoneout decisions, and
applies dropout between layers; ``merge_directions`` combines the last layer's two directions.
All take batch-first tensors: ``x`` (B, T, I), ``h0`` (num_layers * D, B, H).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

if TYPE_CHECKING:
    from grukit.nn._module import StackedGRU


def merge_directions(output: Tensor, merge: str) -> Tensor:
    """``output`` (B, T, 2H or H) with the directions combined by ``merge`` (see ``GRU``)."""
    if merge == "concat":
        return output
    forward, backward = output.chunk(2, dim=-1)
    if merge == "sum":
        return forward + backward
    if merge == "mean":
        return (forward + backward) * 0.5
    return forward * backward


def run_native(
    gru: StackedGRU, x: Tensor, h0: Tensor, lengths: Tensor | None
) -> tuple[Tensor, Tensor]:
    """The stack on ``torch.nn.GRU``'s kernels (``grukit.engines.native.gru_stack``)."""
    from grukit.engines.native import gru_stack

    # torch.nn.GRU's flat order: per layer, per direction, weight_ih, weight_hh[, biases]
    count = 4 if gru.bias else 2
    weights = [t for p in gru.stack_weights() for t in p[:count] if t is not None]
    return gru_stack(
        x,
        h0,
        weights,
        has_biases=gru.bias,
        num_layers=gru.num_layers,
        bidirectional=gru.bidirectional,
        dropout=gru.dropout,
        training=gru.training,
        lengths=lengths,
    )


def run_layers(
    gru: StackedGRU, engine: ModuleType, x: Tensor, h0: Tensor, lengths: Tensor | None
) -> tuple[Tensor, Tensor]:
    """The stack layer-direction by layer-direction on ``engine``; ``(output, h_n)``."""
    batch, steps = x.shape[:2]
    hidden, directions = gru.hidden_size, gru.num_directions
    layer_input, finals, stack = x, [], gru.stack_weights()
    for layer in range(gru.num_layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            p = stack[index]
            mask = keep = None
            if gru.training and gru.recurrent_dropout > 0:
                keep_prob = 1.0 - gru.recurrent_dropout
                mask = torch.bernoulli(x.new_full((batch, hidden), keep_prob))
                mask = mask / keep_prob  # (B, H), entries 0 or 1/(1-p)
            if gru.zoneout > 0:
                keep = x.new_full((batch, steps, hidden), gru.zoneout)  # (B, T, H)
                if gru.training:
                    keep = torch.bernoulli(keep)
            output, h_n = engine.gru_layer(
                layer_input,
                h0[index],
                p.weight_ih,
                p.weight_hh,
                p.bias_ih,
                p.bias_hh,
                reset_after=gru.reset_after,
                lengths=lengths,
                reverse=direction == 1,
                norm_weight_ih=p.norm_weight_ih,
                norm_weight_hh=p.norm_weight_hh,
                recurrent_mask=mask,
                zoneout_keep=keep,
            )
            outputs.append(output)
            finals.append(h_n)
        layer_input = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=2)
        if gru.training and gru.dropout > 0 and layer < gru.num_layers - 1:
            layer_input = F.dropout(layer_input, gru.dropout, training=True)
    return layer_input, torch.stack(finals)
