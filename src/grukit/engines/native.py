"""The native engine: PyTorch's own GRU kernels (cuDNN on a GPU, ATen's loop on a CPU).

:func:`gru_stack` runs a whole stack exactly as ``torch.nn.GRU.forward`` does (``torch._VF.gru``
with the flat weight list), so its results are bit-identical to ``torch.nn.GRU`` with the same
weights, including inter-layer dropout drawn from the same random stream. Only the plain
reset-after GRU is available: no ``reset_after=False``, layer norm, recurrent dropout or zoneout.

Variable lengths go through ``pack_padded_sequence(enforce_sorted=False)``. Packing rejects
zero lengths, so such rows run with length 1 and are fixed afterwards (output zeros, h_n = h0).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from grukit.engines.torch_loop import reverse_padded

# cuDNN warns at every call when the weights are not views of one flat buffer; grukit keeps one
# Parameter per tensor (state dicts map one to one), so the compaction copy is expected.
_CUDNN_COMPACT_WARNING = "RNN module weights are not part of single contiguous chunk of memory"


def unsupported_reason(
    *,
    reset_after: bool = True,
    layer_norm: bool = False,
    recurrent_dropout: float = 0.0,
    zoneout: float = 0.0,
    **_other_options: object,
) -> str | None:
    """Why ``torch.nn.GRU``'s kernels cannot run this configuration, or ``None``."""
    if not reset_after:
        return "reset_after=False: torch.nn.GRU only implements reset-after"
    if layer_norm:
        return "layer_norm=True: torch.nn.GRU has no layer normalisation"
    if recurrent_dropout:
        return f"recurrent_dropout={recurrent_dropout}: torch.nn.GRU has no recurrent dropout"
    if zoneout:
        return f"zoneout={zoneout}: torch.nn.GRU has no zoneout"
    return None


def _call_vf(*args: Any) -> tuple[Tensor, Tensor]:
    first = args[0]
    if isinstance(first, Tensor) and first.is_cuda:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_CUDNN_COMPACT_WARNING)
            result = torch._VF.gru(*args)
    else:
        result = torch._VF.gru(*args)
    return result[0], result[1]


def gru_stack(
    x: Tensor,
    h0: Tensor,
    flat_weights: Sequence[Tensor],
    *,
    has_biases: bool,
    num_layers: int,
    bidirectional: bool,
    dropout: float = 0.0,
    training: bool = False,
    lengths: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Run a whole GRU stack with PyTorch's kernels.

    Parameters
    ----------
    x : Tensor, shape (B, T, I)
        Batch-first inputs.
    h0 : Tensor, shape (num_layers * D, B, H)
    flat_weights : sequence of Tensor
        Per layer, per direction: ``weight_ih, weight_hh[, bias_ih, bias_hh]`` (the order of
        ``torch.nn.GRU._flat_weights``).
    has_biases, num_layers, bidirectional, dropout, training
        As the ``torch.nn.GRU`` attributes of the same names.
    lengths : Tensor of shape (B,) or None
        CPU integer lengths in [0, T] of right-padded rows.

    Returns
    -------
    output : Tensor, shape (B, T, D * H)
        Zeros at padded steps.
    h_n : Tensor, shape (num_layers * D, B, H)
    """
    weights = list(flat_weights)
    if lengths is None:
        return _call_vf(
            x, h0, weights, has_biases, num_layers, dropout, training, bidirectional, True
        )
    lengths = lengths.to("cpu", torch.int64)
    empty = lengths == 0
    packed = pack_padded_sequence(x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    # enforce_sorted=False: the packing sorted the rows and says how
    assert sorted_indices is not None and unsorted_indices is not None
    hx = h0.index_select(1, sorted_indices)
    out_data, h_n = _call_vf(
        data, batch_sizes, hx, weights, has_biases, num_layers, dropout, training, bidirectional
    )
    output, _ = pad_packed_sequence(
        PackedSequence(out_data, batch_sizes, sorted_indices, unsorted_indices),
        batch_first=True,
        total_length=x.shape[1],
    )
    h_n = h_n.index_select(1, unsorted_indices)
    if bool(empty.any()):
        empty = empty.to(x.device)
        output = torch.where(empty[:, None, None], 0.0, output)
        h_n = torch.where(empty[None, :, None], h0, h_n)
    return output, h_n


def gru_layer(
    x: Tensor,
    h0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    *,
    reset_after: bool,
    lengths: Tensor | None = None,
    reverse: bool = False,
    norm_weight_ih: Tensor | None = None,
    norm_weight_hh: Tensor | None = None,
    recurrent_mask: Tensor | None = None,
    zoneout_keep: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One layer-direction with PyTorch's kernels (the engine signature of ``grukit.engines``).

    Raises ``NotImplementedError`` naming the option for anything but a plain reset-after GRU.
    """
    reason = None
    if not reset_after:
        reason = "reset_after=False: torch.nn.GRU only implements reset-after"
    elif norm_weight_ih is not None or norm_weight_hh is not None:
        reason = "layer norm gains: torch.nn.GRU has no layer normalisation"
    elif recurrent_mask is not None:
        reason = "recurrent_mask: torch.nn.GRU has no recurrent dropout"
    elif zoneout_keep is not None:
        reason = "zoneout_keep: torch.nn.GRU has no zoneout"
    if reason is not None:
        raise NotImplementedError(f"the native engine cannot run {reason}")
    if (bias_ih is None) != (bias_hh is None):
        raise NotImplementedError("the native engine needs both biases or neither")
    biases = [] if bias_ih is None or bias_hh is None else [bias_ih, bias_hh]  # both or neither
    weights = [weight_ih, weight_hh, *biases]
    if reverse:
        x = reverse_padded(x, lengths)
    output, h_n = gru_stack(
        x,
        h0.unsqueeze(0),
        weights,
        has_biases=bias_ih is not None,
        num_layers=1,
        bidirectional=False,
        lengths=lengths,
    )
    if reverse:
        output = reverse_padded(output, lengths)
    return output, h_n[0]
