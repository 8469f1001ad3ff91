"""The batches of one epoch: training steps (forward, loss, backward, clip, step) and validation."""

from __future__ import annotations

import math

import torch
from torch import nn

from grukit.train.callbacks import call_hooks
from grukit.train.data import Batches
from grukit.train.optim import LossFunction
from grukit.train.progress import ProgressReporter, logger
from grukit.train.run import TrainingRun

__all__ = ["batch_loss", "evaluate", "fit_epoch"]


def batch_loss(
    model: nn.Module,
    loss_fn: LossFunction,
    check_shapes: bool,
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> torch.Tensor:
    """The scalar loss of ``model(inputs)`` against ``targets``; checks what both return."""
    prediction = model(inputs)
    if not isinstance(prediction, torch.Tensor):
        raise TypeError(
            f"`model` must return one tensor of predictions, got {type(prediction).__name__} "
            "(wrap a recurrent layer that returns (output, h_n) in a module with a head)"
        )
    if check_shapes and prediction.shape != targets.shape:
        raise ValueError(
            f"`model` output shape {tuple(prediction.shape)} does not match the targets' shape "
            f"{tuple(targets.shape)}"
        )
    loss = loss_fn(prediction, targets)
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"`loss` must return a scalar tensor, got {shape}")
    return loss


def fit_epoch(run: TrainingRun, reporter: ProgressReporter) -> tuple[float, bool]:
    """One pass of optimizer steps over the (shuffled) training batches, in training mode.

    Returns ``(train_loss, diverged)``: the mean batch loss weighted by batch size, or NaN and
    True when a batch loss was NaN or infinite (the epoch stops at that batch, before its step).
    """
    state, config = run.state, run.config
    model, optimizer = state.model, state.optimizer
    model.train()
    total, count = 0.0, 0
    generator = run.shuffle_generator if config.shuffle else None
    batches = run.train_batches.iterate(
        config.batch_size, generator=generator, device=state.device, bucket=config.bucket
    )
    for index, (inputs, targets) in enumerate(batches):
        loss = batch_loss(model, run.loss_fn, run.check_shapes, inputs, targets)
        value = loss.item()
        if not math.isfinite(value):
            logger.warning("epoch %d batch %d: loss is %s; stopping", state.epoch, index, value)
            return math.nan, True
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip is not None:
            torch.nn.utils.clip_grad_norm_(run.parameters, config.clip)
        optimizer.step()
        total += value * len(inputs)
        count += len(inputs)
        state.batch, state.batch_loss = index, value
        reporter.batch_done(index, total / count)
        call_hooks(run.callbacks, "on_batch_end", state)
    return total / count, False


def evaluate(
    model: nn.Module,
    loss_fn: LossFunction,
    check_shapes: bool,
    batches: Batches,
    batch_size: int,
    device: torch.device,
) -> float:
    """Mean loss over all validation samples (batch losses weighted by batch size).

    Runs in eval mode without gradients, in order, and leaves the model in training mode.
    """
    model.eval()
    total = 0.0
    with torch.no_grad():
        for inputs, targets in batches.iterate(batch_size, device=device):
            total += batch_loss(model, loss_fn, check_shapes, inputs, targets).item() * len(inputs)
    model.train()
    return total / len(batches)
