"""Exact conversion between ``torch.nn.GRU`` / ``torch.nn.GRUCell`` and grukit's modules.

grukit names its parameters exactly as PyTorch does (``weight_ih_l{k}[_reverse]``, gate rows
r, z, n), so the conversion copies tensors unchanged. The way back refuses settings that
``torch.nn.GRU`` cannot compute, naming the setting and the reason. A grukit module is built
by the ``factory`` the caller passes (``grukit.GRU.from_torch`` passes ``grukit.GRU``) and read
through its public attributes: this module does not import ``grukit.nn``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from grukit.interop._modules import M, build, gru_settings

__all__ = ["cell_from_torch", "cell_to_torch", "from_torch", "to_torch", "torch_refusals"]


def _tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().cpu() for name, p in module.named_parameters()}


def _dtype_device(module: torch.nn.Module) -> tuple[torch.dtype, torch.device]:
    param = next(module.parameters())
    return param.dtype, param.device


def from_torch(module: torch.nn.GRU, *, factory: Callable[..., M]) -> M:
    """A ``grukit.GRU`` (built by ``factory``) computing exactly what a ``torch.nn.GRU`` computes.

    Any ``num_layers``, ``bidirectional``, ``bias``, ``batch_first`` and ``dropout``; the copy has
    the module's dtype, device and training mode. ``proj_size`` does not exist for ``nn.GRU``.
    ``factory`` is ``grukit.GRU`` (or a subclass): ``grukit.GRU.from_torch(module)`` is this call.

    Examples
    --------
    >>> import torch, grukit
    >>> torch_gru = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    >>> gru = from_torch(torch_gru, factory=grukit.GRU)
    >>> x = torch.randn(5, 2, 3)
    >>> torch.allclose(gru(x)[0], torch_gru(x)[0], atol=1e-6)
    True
    """
    if not isinstance(module, torch.nn.GRU):
        raise TypeError(f"`module` must be a torch.nn.GRU, got {type(module).__name__}")
    settings = {
        "input_size": module.input_size,
        "hidden_size": module.hidden_size,
        "num_layers": module.num_layers,
        "bidirectional": module.bidirectional,
        "bias": module.bias,
        "batch_first": module.batch_first,
        "dropout": float(module.dropout),
    }
    dtype, device = _dtype_device(module)
    gru = build(factory, settings, _tensors(module), dtype=dtype, device=device)
    return gru.train(module.training)


def torch_refusals(settings: dict[str, Any]) -> list[str]:
    """Reasons why ``torch.nn.GRU`` cannot compute a grukit GRU with these settings (may be [])."""
    reasons = []
    if not settings.get("reset_after", True):
        reasons.append(
            "reset_after=False: torch.nn.GRU applies the reset gate after the recurrent "
            "matmul, r * (W_hn h + b_hn), and cannot express W_hn (r * h)"
        )
    if settings.get("layer_norm"):
        reasons.append("layer_norm=True: torch.nn.GRU has no layer normalization")
    if settings.get("input_dropout"):
        reasons.append(
            f"input_dropout={settings['input_dropout']}: torch.nn.GRU has no input dropout"
        )
    if settings.get("recurrent_dropout"):
        reasons.append(
            f"recurrent_dropout={settings['recurrent_dropout']}: torch.nn.GRU has no recurrent "
            "dropout"
        )
    if settings.get("zoneout"):
        reasons.append(f"zoneout={settings['zoneout']}: torch.nn.GRU has no zoneout")
    if settings.get("bidirectional") and settings.get("merge", "concat") != "concat":
        reasons.append(
            f"merge={settings['merge']!r}: torch.nn.GRU always concatenates the two directions"
        )
    if settings.get("go_backwards"):
        reasons.append(
            "go_backwards=True: torch.nn.GRU has no backwards-only direction (reverse the input "
            "and output yourself)"
        )
    return reasons


def to_torch(gru: torch.nn.Module) -> torch.nn.GRU:
    """A ``torch.nn.GRU`` computing exactly what a ``grukit.GRU`` computes.

    Raises ``ValueError`` naming each setting that ``torch.nn.GRU`` cannot compute:
    ``reset_after=False``, ``layer_norm``, ``input_dropout``, ``recurrent_dropout``, ``zoneout``, a
    ``merge`` other
    than ``"concat"``, ``go_backwards``. Dtype, device and training mode are kept.
    """
    settings = gru_settings(gru)
    reasons = torch_refusals(settings)
    if reasons:
        raise ValueError("cannot convert to torch.nn.GRU: " + "; ".join(reasons))
    dtype, device = _dtype_device(gru)
    module = torch.nn.GRU(
        settings["input_size"],
        settings["hidden_size"],
        num_layers=settings["num_layers"],
        bias=settings["bias"],
        batch_first=settings["batch_first"],
        # between layers only: with one layer it does nothing, and nn.GRU warns about it
        dropout=float(settings["dropout"]) if settings["num_layers"] > 1 else 0.0,
        bidirectional=settings["bidirectional"],
        device=device,
        dtype=dtype,
    )
    module.load_state_dict(
        {name: p.detach().clone() for name, p in gru.named_parameters()}, strict=True
    )
    return module.train(gru.training)


def cell_from_torch(cell: torch.nn.GRUCell, *, factory: Callable[..., M]) -> M:
    """A ``grukit.GRUCell`` (built by ``factory``) computing exactly what a ``torch.nn.GRUCell``
    computes; ``grukit.GRUCell.from_torch(cell)`` is this call."""
    if not isinstance(cell, torch.nn.GRUCell):
        raise TypeError(f"`cell` must be a torch.nn.GRUCell, got {type(cell).__name__}")
    settings = {"input_size": cell.input_size, "hidden_size": cell.hidden_size, "bias": cell.bias}
    dtype, device = _dtype_device(cell)
    built = build(factory, settings, _tensors(cell), dtype=dtype, device=device)
    return built.train(cell.training)


def cell_to_torch(cell: torch.nn.Module) -> torch.nn.GRUCell:
    """A ``torch.nn.GRUCell`` computing exactly what a ``grukit.GRUCell`` computes.

    Refuses ``reset_after=False`` and ``layer_norm=True`` (``torch.nn.GRUCell`` has neither).
    """
    if not hasattr(cell, "weight_ih") or not hasattr(cell, "hidden_size"):
        raise TypeError(f"`cell` must be a grukit.GRUCell, got {type(cell).__name__}")
    settings = {
        "reset_after": getattr(cell, "reset_after", True),
        "layer_norm": getattr(cell, "layer_norm", False),
    }
    reasons = torch_refusals(settings)
    if reasons:
        raise ValueError("cannot convert to torch.nn.GRUCell: " + "; ".join(reasons))
    dtype, device = _dtype_device(cell)
    bias = getattr(cell, "bias", True)
    module = torch.nn.GRUCell(
        cell.input_size, cell.hidden_size, bias=bool(bias), device=device, dtype=dtype
    )
    module.load_state_dict(
        {name: p.detach().clone() for name, p in cell.named_parameters()}, strict=True
    )
    return module.train(cell.training)
