"""No-grad forward of a unidirectional stack with the fused kernels, for the fast path of
``grukit.GRU.forward`` (``grukit.nn.planning.plain_inference`` decides when it applies and checks
the inputs; ``grukit.nn._inference`` calls it).

Per layer: the packed weights from the pack cache (reused while the weights are bitwise
unchanged) and ``layer.run_forward`` (one kernel call per row shard, as on the general path),
which writes the layer's time-major output, directly the next layer's input. Compared with
going through ``gru_layer`` per layer this skips the per-layer argument checks, the transposes
between layers and the ``torch.stack`` of the final states: about 15 us per call, half the
kernel time of a B = 1, T = 200, H = 32 sequence.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from grukit.engines.fused._layer_weights import INFERENCE_PACKS, LayerTensors
from grukit.engines.fused.layer import run_forward
from grukit.runtime.threads import apply_env_threads


def infer_stack(
    x_tm: Tensor, h0: Tensor | None, layers: list[LayerTensors], reset_after: bool
) -> tuple[Tensor, Tensor]:
    """Run the stack over ``x_tm`` (T, B, I); returns ``(output (T, B, H), h_n (L, B, H))``.

    ``layers``: per layer ``(weight_ih, weight_hh, bias_ih or None, bias_hh or None)``. The
    caller guarantees: no gradient is needed, every tensor on the CPU with ``x_tm``'s dtype
    (float32 or float64), ``h0`` None or (L, B, H), the weights of the layers' shapes.
    """
    apply_env_threads()
    x_np = x_tm.detach().contiguous().numpy()
    steps, batch = x_np.shape[0], x_np.shape[1]
    hidden = layers[0][1].shape[1]
    dtype = x_tm.dtype
    h_n = torch.empty(len(layers), batch, hidden, dtype=dtype)
    h_np = h_n.numpy()
    np_dtype = h_np.dtype
    if h0 is None:
        h0_np = np.zeros(h_np.shape, np_dtype)
    else:
        h0_np = h0.detach().contiguous().numpy()
    lengths = np.full(batch, steps, np.int64)
    layer_input: np.ndarray = x_np
    output: Tensor | None = None
    for layer, tensors in enumerate(layers):
        packed = INFERENCE_PACKS.get(tensors, reset_after, batch)
        output = torch.empty(steps, batch, hidden, dtype=dtype)
        out_np = output.numpy()
        run_forward(
            layer_input, h0_np[layer], packed, lengths, False, reset_after, out_np,
            h_np[layer], False,
        )  # fmt: skip
        layer_input = out_np
    assert output is not None  # a stack has at least one layer
    return output, h_n
