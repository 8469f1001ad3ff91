"""The fast path of ``GRU.forward`` for plain inference on a CPU with the fused kernels.

``GRU.forward`` validates its arguments, resolves the engine and runs every layer-direction
through the engine contract (``gru_layer``), which checks its arguments again: about 40 us of
Python per call, more than the kernels need for a whole B = 1, T = 200, H = 32 sequence. The
common serving call -- no gradient, a unidirectional stack, no lengths, a CPU tensor of the
parameters' dtype -- goes instead through :func:`fast_forward`, which checks exactly what the
fused stack needs and calls ``grukit.engines.fused.inference.infer_stack``. Everything else
(and every malformed argument, for its error message) takes the general path; both run the
same kernels, so the numbers are identical.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from grukit.nn._rules import FUSED_INFERENCE_MAX_BATCH

if TYPE_CHECKING:
    from grukit.nn.gru import GRU

_FUSED_DTYPES = (torch.float32, torch.float64)
_ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@functools.cache
def _fused_modules() -> tuple[Any, Any]:
    from grukit.engines import fused
    from grukit.engines.fused import inference

    return fused, inference


def fast_forward(gru: GRU, x: Any, h0: Any) -> tuple[Tensor, Tensor] | None:
    """``gru(x, h0)`` through the fused stack, or ``None`` when the call needs the general path.

    Takes the call only when the general path would run the fused engine on every layer with
    no gradient: ``engine="fused"``, or ``"auto"`` where its rules pick fused (a CPU batch up
    to ``FUSED_INFERENCE_MAX_BATCH``, or any batch for reset_after=False).
    """
    if type(x) is not Tensor or x.dim() != 3 or x.requires_grad:
        return None
    params = gru._parameters
    weight = params["weight_hh_l0"]
    if x.dtype is not weight.dtype or x.dtype not in _FUSED_DTYPES:
        return None
    if x.device.type != "cpu" or weight.device.type != "cpu":
        return None
    if gru.bidirectional or gru.go_backwards or gru.layer_norm:
        return None
    if gru.recurrent_dropout or gru.zoneout or (gru.training and gru.dropout):
        return None
    if torch.is_grad_enabled() and any(p.requires_grad for p in params.values()):
        return None
    batch_first = gru.batch_first
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    if steps == 0 or x.shape[2] != gru.input_size:
        return None  # the general path raises the error
    engine = gru.engine
    if engine != "fused" and not (
        engine == "auto" and (batch <= FUSED_INFERENCE_MAX_BATCH or not gru.reset_after)
    ):
        return None
    num_layers = gru.num_layers
    if h0 is not None and (
        type(h0) is not Tensor
        or h0.shape != (num_layers, batch, gru.hidden_size)
        or h0.dtype is not weight.dtype
        or h0.device.type != "cpu"
    ):
        return None
    fused, inference = _fused_modules()
    if not fused.is_available():
        return None
    layers = [
        tuple([params[names[role]] if role in names else None for role in _ROLES])
        for names in gru._direction_names
    ]
    x_tm = x.transpose(0, 1) if batch_first else x
    output, h_n = inference.infer_stack(x_tm, h0, layers, gru.reset_after)
    return (output.transpose(0, 1) if batch_first else output), h_n
