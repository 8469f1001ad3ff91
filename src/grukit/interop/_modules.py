"""Between the conversions' ``(settings dict, state dict)`` pairs and PyTorch modules.

A grukit module is read through its public attributes and ``named_parameters`` (duck-typed) and
built through a factory that the caller passes (``GRU.from_torch`` passes its own class), so
that this package sits below ``grukit.nn`` and never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch

__all__ = ["GRU_SETTINGS", "build", "gru_settings", "numpy_state"]

M = TypeVar("M", bound=torch.nn.Module)
Device = torch.device | str | None

# constructor arguments of grukit.GRU that describe the function it computes (no `init`, `engine`)
GRU_SETTINGS: dict[str, Any] = {
    "input_size": None,
    "hidden_size": None,
    "num_layers": 1,
    "bidirectional": False,
    "merge": "concat",
    "reset_after": True,
    "bias": True,
    "batch_first": True,
    "dropout": 0.0,
    "input_dropout": 0.0,
    "recurrent_dropout": 0.0,
    "zoneout": 0.0,
    "layer_norm": False,
    "go_backwards": False,
}


def gru_settings(gru: torch.nn.Module) -> dict[str, Any]:
    """The settings of a ``grukit.GRU`` as a dict with every key of ``GRU_SETTINGS``."""
    missing = [name for name in ("input_size", "hidden_size") if not hasattr(gru, name)]
    if missing:
        raise TypeError(f"expected a grukit.GRU, got {type(gru).__name__}")
    return {name: getattr(gru, name, default) for name, default in GRU_SETTINGS.items()}


def numpy_state(module: torch.nn.Module) -> dict[str, np.ndarray]:
    """The module's parameters as NumPy arrays (detached copies on the CPU)."""
    return {name: p.detach().cpu().numpy().copy() for name, p in module.named_parameters()}


def _dtype_of(value: Any) -> torch.dtype:
    if isinstance(value, torch.Tensor):
        return value.dtype
    return torch.from_numpy(np.empty(0, dtype=np.asarray(value).dtype)).dtype


def _load(module: torch.nn.Module, state: dict[str, Any], device: Device) -> None:
    expected = dict(module.named_parameters())
    if set(expected) != set(state):
        raise ValueError(
            f"parameter names do not match: module has {sorted(expected)}, "
            f"converted weights have {sorted(state)}"
        )
    with torch.no_grad():
        for name, param in expected.items():
            value = state[name]
            # np.array copies: arrays from Keras or h5py may be read-only
            value = value if isinstance(value, torch.Tensor) else torch.from_numpy(np.array(value))
            if tuple(value.shape) != tuple(param.shape):
                raise ValueError(
                    f"`{name}` must have shape {tuple(param.shape)}, got {tuple(value.shape)}"
                )
            param.copy_(value)
    module.to(device=device)


def build(
    factory: Callable[..., M],
    settings: dict[str, Any],
    state: dict[str, Any],
    *,
    dtype: torch.dtype | None = None,
    device: Device = None,
) -> M:
    """``factory(**settings)`` holding exactly ``state`` (arrays or tensors, by parameter name).

    ``factory`` is the module class (``grukit.GRU``, ``grukit.GRUCell`` or a subclass) or any
    callable taking the settings as keyword arguments and returning a ``torch.nn.Module`` whose
    ``named_parameters`` are the keys of ``state``; interop itself never imports ``grukit.nn``.
    ``dtype`` defaults to the dtype of the state's arrays; the module is moved to ``device``.
    """
    if dtype is None:
        dtype = _dtype_of(next(iter(state.values())))
    module = factory(**settings).to(dtype=dtype)
    _load(module, state, device)
    return module
