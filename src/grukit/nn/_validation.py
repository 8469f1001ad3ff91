"""Argument checks shared by grukit's PyTorch modules: clear errors naming argument and value."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor


def positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    return int(value)


def probability(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= float(value) < 1.0
    ):
        raise ValueError(f"`{name}` must be a probability in [0, 1), got {value!r}")
    return float(value)


def flag(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be True or False, got {value!r}")
    return bool(value)


def choice(name: str, value: object, options: Iterable[str]) -> str:
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"`{name}` must be one of {listed}, got {value!r}")
    return value


def constructor_arguments(cls: type) -> list[str]:
    """Names of the arguments of ``cls.__init__`` after ``self`` (each is also an attribute)."""
    return list(inspect.signature(cls.__init__).parameters)[1:]


def config_keys(config: object, allowed: Iterable[str], owner: str) -> dict[str, Any]:
    """Check that ``config`` is a mapping whose keys are constructor arguments of ``owner``."""
    if not isinstance(config, Mapping):
        raise ValueError(f"`config` must be a mapping, got {type(config).__name__}")
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise ValueError(f"`config` has keys that {owner} does not take: {unknown}")
    return dict(config)


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


def lengths_tensor(lengths: object, batch: int, steps: int) -> Tensor:
    """Convert ``lengths`` (list, NumPy array or tensor) to a CPU int64 tensor of shape (B,)."""
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
    if batch and (int(values.min()) < 0 or int(values.max()) > steps):
        raise ValueError(
            f"`lengths` must lie in [0, {steps}] (the sequence length), got values from "
            f"{int(values.min())} to {int(values.max())}"
        )
    return values


def same_dtype(name: str, tensor: Tensor, parameter: Tensor) -> None:
    if tensor.dtype != parameter.dtype:
        raise ValueError(
            f"`{name}` has dtype {tensor.dtype} but the parameters have dtype {parameter.dtype} "
            f"(convert one of them, e.g. module.to({tensor.dtype}))"
        )
