"""Glue between the pure conversions (settings dict + NumPy state dict) and grukit's modules."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["GRU_SETTINGS", "build_cell", "build_gru", "gru_settings", "numpy_state"]

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


def _load(module: torch.nn.Module, state: dict[str, Any], device) -> None:
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


def _build(cls: type, settings: dict[str, Any], state: dict[str, Any], dtype, device):
    if dtype is None:
        dtype = _dtype_of(next(iter(state.values())))
    module = cls(**settings).to(dtype=dtype)
    _load(module, state, device)
    return module


def build_gru(
    settings: dict[str, Any],
    state: dict[str, Any],
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.nn.Module:
    """A ``grukit.GRU`` with ``settings`` holding exactly ``state`` (arrays or tensors).

    ``dtype`` defaults to the dtype of the state's arrays; the module is moved to ``device``.
    """
    from grukit.nn import GRU

    return _build(GRU, settings, state, dtype, device)


def build_cell(
    settings: dict[str, Any],
    state: dict[str, Any],
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.nn.Module:
    """A ``grukit.GRUCell`` with ``settings`` holding exactly ``state``; as :func:`build_gru`."""
    from grukit.nn import GRUCell

    return _build(GRUCell, settings, state, dtype, device)
