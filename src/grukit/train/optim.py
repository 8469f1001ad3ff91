"""Building the optimizer, the learning-rate schedule, the loss and the device from a config."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from grukit.train.config import TrainConfig

__all__ = ["LOSSES", "build_optimizer", "build_scheduler", "resolve_device", "resolve_loss"]

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

# name -> loss(prediction, target) -> scalar, mean over all elements
LOSSES: dict[str, LossFunction] = {
    "mse": nn.functional.mse_loss,
    "mae": nn.functional.l1_loss,
    "huber": nn.functional.huber_loss,  # delta = 1
    "cross_entropy": nn.functional.cross_entropy,  # prediction (N, C, ...) logits, target classes
}


def resolve_loss(loss: str | LossFunction) -> tuple[str, LossFunction]:
    """Return (name, function); a callable is named ``custom:<qualname>``."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(
                f"`loss` must be one of {', '.join(map(repr, LOSSES))} or a callable, got {loss!r}"
            )
        return loss, LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"`loss` must be a loss name or a callable, got {type(loss).__name__}")
    return f"custom:{getattr(loss, '__qualname__', type(loss).__qualname__)}", loss


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; a CUDA request without CUDA is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"`device` {device!r} requested but CUDA is not available")
    count = torch.cuda.device_count() if resolved.type == "cuda" else 0
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= count:
        raise ValueError(f"`device` {device!r} requested but only {count} CUDA device(s) exist")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"`device` {device!r} requested but MPS is not available")
    return resolved


def build_optimizer(
    parameters: Iterable[nn.Parameter], config: TrainConfig
) -> torch.optim.Optimizer:
    """The optimizer named by ``config.optimizer`` over the trainable ``parameters``."""
    parameters = [p for p in parameters if p.requires_grad]
    if not parameters:
        raise ValueError("`model` has no trainable parameters (none with requires_grad=True)")
    lr, decay = config.learning_rate, config.weight_decay
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=lr, weight_decay=decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=lr, weight_decay=decay)
    return torch.optim.SGD(parameters, lr=lr, momentum=config.momentum, weight_decay=decay)


def build_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig) -> object | None:
    """The schedule named by ``config.schedule`` (stepped once per epoch), or None."""
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=config.epochs, eta_min=config.min_learning_rate
        )
    if config.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=config.schedule_step_epochs, gamma=config.schedule_factor
        )
    if config.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            factor=config.schedule_factor,
            patience=config.schedule_patience,
            threshold=config.min_delta,
            threshold_mode="abs",
            min_lr=config.min_learning_rate,
        )
    return None
