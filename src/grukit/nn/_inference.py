"""The fast path of ``GRU.forward`` for plain inference on a CPU with the fused kernels.

``GRU.forward`` validates its arguments, resolves the engine and runs every layer-direction
through the engine contract (``gru_layer``), which checks its arguments again: about 40 us of
Python per call, more than the kernels need for a whole B = 1, T = 200, H = 32 sequence. The
common serving call -- no gradient, a unidirectional stack, no lengths, a CPU tensor of the
parameters' dtype -- goes instead through :func:`run_plain_inference`, which calls
``grukit.engines.fused.inference.infer_stack`` directly. When it applies, and the checks that
make the call safe, are ``grukit.nn.planning.plain_inference``'s. Everything else (and every
malformed argument, for its error message) takes the general path; both run the same kernels,
so the numbers are identical.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import TYPE_CHECKING

from torch import Tensor

if TYPE_CHECKING:
    from grukit.nn._module import DirectionWeights


@functools.cache
def _inference_module() -> ModuleType:
    from grukit.engines.fused import inference

    return inference


def run_plain_inference(
    x: Tensor,
    h0: Tensor | None,
    layers: list[DirectionWeights],
    batch_first: bool,
    reset_after: bool,
) -> tuple[Tensor, Tensor]:
    """``(output, h_n)`` of a unidirectional stack through the fused kernels, no gradient.

    ``layers``: each layer's weights, as ``planning.plain_inference`` returns them after
    checking ``x`` (B, T, I) or (T, B, I) and ``h0``.
    """
    x_tm = x.transpose(0, 1) if batch_first else x
    weights = [layer[:4] for layer in layers]  # infer_stack's (w_ih, w_hh, b_ih, b_hh)
    output, h_n = _inference_module().infer_stack(x_tm, h0, weights, reset_after)
    return (output.transpose(0, 1) if batch_first else output), h_n
