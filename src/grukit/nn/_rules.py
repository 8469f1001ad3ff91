"""When ``engine="auto"`` picks the fused CPU kernels: rules backed by ``grukit bench``.

The limits come from the benchmark tables in ``docs/performance.md`` (2-core AVX-512 machine,
float32, one run of ``grukit bench``): the fused kernels beat ``torch.nn.GRU`` at every measured
point up to B = 128, for inference (1.1-18x) and training (1.1-27x); the margin shrinks as B and
H grow, where the recurrent GEMM dominates both, and larger batches were not measured, so they
stay with ``torch.nn.GRU``. When native cannot run a configuration (``reset_after=False``), the
alternative is grukit's own torch loop, which the fused kernels beat at every batch size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

if TYPE_CHECKING:
    from grukit.nn.gru import GRU

#: Largest batch for which ``auto`` runs inference with the fused kernels instead of nn.GRU.
FUSED_INFERENCE_MAX_BATCH = 128
#: Largest batch for which ``auto`` trains with the fused kernels instead of nn.GRU.
FUSED_TRAINING_MAX_BATCH = 128

_DTYPES = (torch.float32, torch.float64)


def _needs_grad(gru: GRU, x: Tensor | None) -> bool:
    if not torch.is_grad_enabled():
        return False
    if x is not None and x.requires_grad:
        return True
    return any(p.requires_grad for p in gru.parameters())


def fused_preferred(gru: GRU, x: Tensor | None, options: dict[str, Any], native_ok: bool) -> bool:
    """Whether ``auto`` should run ``x`` (B, T, I) with the fused engine."""
    weight = gru.weight_hh_l0
    if weight.device.type != "cpu" or weight.dtype not in _DTYPES:
        return False
    from grukit.engines import fused

    if not fused.is_available() or fused.unsupported_reason(**options) is not None:
        return False
    if not native_ok:
        return True
    batch = 1 if x is None else x.shape[0]
    limit = FUSED_TRAINING_MAX_BATCH if _needs_grad(gru, x) else FUSED_INFERENCE_MAX_BATCH
    return batch <= limit
