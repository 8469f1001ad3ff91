"""Pickle-free serialization of nested state (optimizer and scheduler ``state_dict()``s).

A nested structure of dicts, lists, tuples, numbers, strings, None and tensors is split into a
JSON-safe tree and a flat ``{name: tensor}`` dict for safetensors. The encoding is exact and
reversible:

========================  =======================================================
Python value              JSON
========================  =======================================================
str, bool, int, None      itself
finite float              itself (``repr`` round-trips every float exactly)
NaN, +inf, -inf           ``{"__float__": "nan" | "inf" | "-inf"}``
tuple                     ``{"__tuple__": [...]}``
dict with str keys        ``{"__dict__": {...}}`` (so user keys never clash with tags)
dict with other keys      ``{"__items__": [[key, value], ...]}`` (int keys of optimizer state)
torch.Tensor              ``{"__tensor__": "<prefix>.<n>"}``, the tensor stored under that name
========================  =======================================================
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = ["decode_state", "encode_state"]


def encode_state(obj: Any, prefix: str) -> tuple[Any, dict[str, torch.Tensor]]:
    """Split ``obj`` into (JSON-safe tree, tensors named ``prefix.0``, ``prefix.1``, ...)."""
    tensors: dict[str, torch.Tensor] = {}

    def encode(value: Any, where: str) -> Any:
        if isinstance(value, torch.Tensor):
            name = f"{prefix}.{len(tensors)}"
            tensors[name] = value.detach()
            return {"__tensor__": name}
        if value is None or isinstance(value, str | bool | int):
            return value
        if isinstance(value, float):
            if math.isfinite(value):
                return value
            return {"__float__": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
        if isinstance(value, tuple):
            return {"__tuple__": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value):
                return {"__dict__": {k: encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
            return {
                "__items__": [
                    [encode(k, f"{where} key"), encode(v, f"{where}[{k!r}]")]
                    for k, v in value.items()
                ]
            }
        raise TypeError(
            f"cannot save {type(value).__qualname__} at {prefix}{where} in a checkpoint "
            "(only tensors, numbers, strings, None, lists, tuples and dicts are supported)"
        )

    return encode(obj, ""), tensors


def decode_state(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`encode_state`; raises ValueError on a malformed tree."""
    if tree is None or isinstance(tree, str | bool | int | float):
        return tree
    if isinstance(tree, list):
        return [decode_state(v, tensors) for v in tree]
    if isinstance(tree, dict) and len(tree) == 1:
        ((tag, body),) = tree.items()
        if tag == "__tensor__":
            if body not in tensors:
                raise ValueError(f"tensor {body!r} referenced by the state is missing")
            return tensors[body]
        if tag == "__float__":
            return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[body]
        if tag == "__tuple__":
            return tuple(decode_state(v, tensors) for v in body)
        if tag == "__dict__":
            return {k: decode_state(v, tensors) for k, v in body.items()}
        if tag == "__items__":
            return {decode_state(k, tensors): decode_state(v, tensors) for k, v in body}
    raise ValueError(f"malformed saved state: {str(tree)[:80]}")
