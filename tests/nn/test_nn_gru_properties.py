"""Hypothesis invariants of grukit.GRU: what lies past a row's length never matters."""

from __future__ import annotations

import torch
from hypothesis import given, settings

import grukit
from strategies import choices, padded_batch_shapes

CONFIGS = [
    {"engine": "native"},
    {"engine": "native", "num_layers": 2, "bidirectional": True},
    {"engine": "torch", "reset_after": False, "bidirectional": True},
    {"engine": "torch", "layer_norm": True, "zoneout": 0.3, "num_layers": 2},
    {"engine": "torch", "go_backwards": True},
]
MODULES = []
for index, config in enumerate(CONFIGS):
    torch.manual_seed(index)
    MODULES.append(grukit.GRU(2, 3, **config).double().eval())


@settings(max_examples=40)
@given(padded_batch_shapes(), choices(range(len(CONFIGS))))
def test_masked_tail_leaves_outputs_and_final_state_unchanged(batch, which):
    lengths, steps, seed = batch
    gru = MODULES[which]
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(lengths), steps, 2, generator=g, dtype=torch.float64)
    h0 = torch.randn(
        gru.num_layers * gru.num_directions, len(lengths), 3, generator=g, dtype=torch.float64
    )
    output, h_n = gru(x, h0, lengths=lengths)
    # garbage (including NaN) in the padded tail changes nothing
    tails = torch.arange(steps)[None, :] >= torch.tensor(lengths)[:, None]
    garbage = torch.where(tails[..., None], torch.full_like(x, float("nan")), x)
    garbage_output, garbage_h_n = gru(garbage, h0, lengths=lengths)
    torch.testing.assert_close(garbage_output, output, rtol=0, atol=0)
    torch.testing.assert_close(garbage_h_n, h_n, rtol=0, atol=0)
    # and each row's final state is that of its truncated sequence alone
    for b, n in enumerate(lengths):
        if n == 0:
            torch.testing.assert_close(h_n[:, b], h0[:, b], rtol=0, atol=0)
            continue
        _, row_h_n = gru(x[b : b + 1, :n], h0[:, b : b + 1])
        torch.testing.assert_close(h_n[:, b], row_h_n[:, 0], rtol=0, atol=1e-12)
