"""Callbacks: hooks into the training loop, and the state they see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from grukit.train.config import TrainConfig
from grukit.train.history import History

__all__ = ["Callback", "TrainState", "call_hooks"]


@dataclass
class TrainState:
    """What a callback sees (and may change) during :func:`grukit.train.train`.

    Attributes
    ----------
    model, optimizer, scheduler
        The objects being trained (``scheduler`` is None without a schedule).
    config : TrainConfig
    history : History
        Completed epochs so far (the current one is appended before ``on_epoch_end``).
    device : torch.device
    epoch : int
        Current epoch, from 1 (0 before the first).
    batch : int
        Index of the current batch within the epoch, from 0.
    num_batches : int
        Batches per training epoch.
    batch_loss : float
        Loss of the last training batch (``on_batch_end``).
    stop_training : bool
        Set to True to end the run after the current epoch (``stop_reason == "callback"``).
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    config: TrainConfig
    history: History
    device: torch.device
    epoch: int = 0
    batch: int = 0
    num_batches: int = 0
    batch_loss: float = float("nan")
    stop_training: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # free space for callbacks


class Callback:
    """Base class with no-op hooks; override the ones you need.

    Hooks run in this order::

        on_train_begin
        for each epoch: on_epoch_begin, (on_batch_end after each optimizer step),
                        on_epoch_end (after validation and the history update,
                                      before the checkpoint is written)
        on_train_end (not on an exception or KeyboardInterrupt)

    A callback's own state is not checkpointed: after ``resume=True`` it starts afresh.
    Raising from a hook aborts training; the last completed epoch's checkpoint remains valid.

    Examples
    --------
    >>> class StopAtLoss(Callback):
    ...     def on_epoch_end(self, state):
    ...         if state.history.train_loss[-1] < 0.01:
    ...             state.stop_training = True
    """

    def on_train_begin(self, state: TrainState) -> None:
        """Called once, after setup (and after loading a checkpoint when resuming)."""

    def on_epoch_begin(self, state: TrainState) -> None:
        """Called at the start of each epoch (``state.epoch`` is already the new one)."""

    def on_batch_end(self, state: TrainState) -> None:
        """Called after each optimizer step (``state.batch``, ``state.batch_loss``)."""

    def on_epoch_end(self, state: TrainState) -> None:
        """Called after each epoch's validation and history update."""

    def on_train_end(self, state: TrainState) -> None:
        """Called once when training ends normally (after best weights are restored)."""


def call_hooks(callbacks: list[Any], hook: str, state: TrainState) -> None:
    """Call ``callback.<hook>(state)`` on each callback that has the hook, in order."""
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(state)
