"""Tensor argument checks of grukit's PyTorch modules: clear errors naming argument and value.

Scalar arguments (sizes, rates, flags, choices, configs) are checked by ``grukit.checks``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def input_tensor(x: object, input_size: int, *, batched_dims: int) -> Tensor:
    """Check a floating input whose last axis has ``input_size`` features.

    ``batched_dims`` is the number of dimensions of a batched input (3 for a sequence layer,
    2 for a cell); one fewer means unbatched.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"`x` must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() not in (batched_dims - 1, batched_dims):
        raise ValueError(
            f"`x` must be {batched_dims}-D (batched) or {batched_dims - 1}-D (unbatched), "
            f"got shape {tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise ValueError(f"`x` must be a floating point tensor, got dtype {x.dtype}")
    if x.shape[-1] != input_size:
        raise ValueError(
            f"expected input with {input_size} features (input_size), got {x.shape[-1]}"
        )
    return x


def state_tensor(name: str, h: object, expected: tuple[int, ...], meaning: str) -> Tensor:
    if not isinstance(h, Tensor):
        raise TypeError(f"`{name}` must be a torch.Tensor, got {type(h).__name__}")
    if tuple(h.shape) != expected:
        raise ValueError(f"`{name}` must have shape {expected} ({meaning}), got {tuple(h.shape)}")
    return h


def lengths_tensor(lengths: object, batch: int, steps: int, *, minimum: int = 0) -> Tensor:
    """Convert ``lengths`` (list, NumPy array or tensor) to a CPU int64 tensor of shape (B,),
    each value in [``minimum``, ``steps``]."""
    if isinstance(lengths, Tensor):
        values = lengths.detach().to("cpu")
    else:
        try:
            values = torch.as_tensor(np.asarray(lengths))
        except (TypeError, ValueError, RuntimeError) as error:
            raise ValueError(
                f"`lengths` must be a sequence of integers, got {lengths!r}"
            ) from error
    if values.dtype == torch.bool or values.is_floating_point() or values.is_complex():
        raise ValueError(f"`lengths` must hold integers, got dtype {values.dtype}")
    if tuple(values.shape) != (batch,):
        raise ValueError(
            f"`lengths` must have shape ({batch},) (one length per batch row), "
            f"got {tuple(values.shape)}"
        )
    values = values.to(torch.int64)
    if batch and (int(values.min()) < minimum or int(values.max()) > steps):
        raise ValueError(
            f"`lengths` must lie in [{minimum}, {steps}] (the sequence length), got values from "
            f"{int(values.min())} to {int(values.max())}"
        )
    return values


def same_dtype(name: str, tensor: Tensor, parameter: Tensor) -> None:
    if tensor.dtype != parameter.dtype:
        raise ValueError(
            f"`{name}` has dtype {tensor.dtype} but the parameters have dtype {parameter.dtype} "
            f"(convert one of them, e.g. module.to({tensor.dtype}))"
        )
