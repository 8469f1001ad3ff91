"""One training run's working set: built (or resumed from a checkpoint) before the first epoch.

:func:`prepare_run` checks the arguments of :func:`grukit.train.train`, loads a checkpoint when
resuming, moves the model to its device, seeds everything and builds the batches, optimizer and
schedule; :func:`write_checkpoint` saves the run after an epoch. The loop itself is in
:mod:`grukit.train.loop`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from grukit.train.callbacks import Callback, TrainState
from grukit.train.checkpoint import (
    Checkpoint,
    check_compatible,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from grukit.train.config import TrainConfig
from grukit.train.data import Batches
from grukit.train.history import History
from grukit.train.optim import (
    LossFunction,
    build_optimizer,
    build_scheduler,
    resolve_device,
    resolve_loss,
)
from grukit.train.progress import logger
from grukit.train.seed import capture_rng_state, restore_rng_state, seed_everything

__all__ = ["TrainingRun", "prepare_run", "write_checkpoint"]

# Stop reasons that end a run for good: resuming it (even with more epochs) trains no further.
FINAL_STOPS = ("early_stopping", "non_finite_loss")
# Losses whose prediction and target must have the same shape.
_SAME_SHAPE_LOSSES = ("mse", "mae", "huber")


@dataclass
class TrainingRun:
    """What one call of :func:`grukit.train.train` works with from epoch to epoch.

    ``state`` (what callbacks see) holds the model, optimizer, schedule, configuration, history
    and device; the other attributes are the loop's own.
    """

    state: TrainState
    loss_name: str
    loss_fn: LossFunction
    check_shapes: bool  # compare prediction and target shapes (the regression losses)
    callbacks: list[Callback]
    train_batches: Batches
    val_batches: Batches | None
    parameters: list[torch.nn.Parameter]  # what the optimizer updates (for gradient clipping)
    shuffle_generator: torch.Generator
    best_state: dict[str, torch.Tensor] | None  # weights of the best epoch so far
    checkpoint_dir: Path | None
    early_stopping: bool  # `patience` set and validation data given
    was_training: bool  # the model's mode before the run, restored at the end

    @property
    def model(self) -> nn.Module:
        return self.state.model

    @property
    def config(self) -> TrainConfig:
        return self.state.config

    @property
    def history(self) -> History:
        return self.state.history

    @property
    def finished(self) -> bool:
        """Whether the run has a stop reason or has run all ``config.epochs`` epochs."""
        return self.history.stop_reason is not None or len(self.history) >= self.config.epochs


def _model_dtype(model: nn.Module) -> torch.dtype:
    for parameter in model.parameters():
        if parameter.is_floating_point():
            return parameter.dtype
    return torch.get_default_dtype()


def _find_checkpoint(
    checkpoint_dir: Path | None, resume: bool, model: nn.Module, config: TrainConfig, loss: str
) -> Checkpoint | None:
    """The checkpoint to resume from, or None for a new run (refusing to overwrite one)."""
    if checkpoint_dir is None:
        if resume:
            raise ValueError("`resume=True` needs a `checkpoint_dir` to resume from")
        return None
    if not has_checkpoint(checkpoint_dir):
        if resume:
            logger.info("no checkpoint in '%s': starting a new run", checkpoint_dir)
        return None
    if not resume:
        raise FileExistsError(
            f"`checkpoint_dir` '{checkpoint_dir}' already holds a checkpoint; pass "
            "resume=True to continue it, or use another (or an empty) directory"
        )
    checkpoint = load_checkpoint(checkpoint_dir)
    check_compatible(checkpoint, model, config, loss)
    return checkpoint


def _resume(run: TrainingRun, checkpoint: Checkpoint) -> None:
    """Load weights, optimizer, schedule, RNG states, history and best weights into ``run``."""
    state = run.state
    if checkpoint.history.monitor != state.history.monitor:
        raise ValueError(
            f"checkpoint in '{run.checkpoint_dir}' was trained "
            f"{'with' if checkpoint.history.monitor == 'val_loss' else 'without'} "
            "`validation` data; resume the same way"
        )
    state.model.load_state_dict(checkpoint.model_state)
    state.optimizer.load_state_dict(checkpoint.optimizer_state)
    if state.scheduler is not None:
        state.scheduler.load_state_dict(checkpoint.scheduler_state)
    restore_rng_state(checkpoint.rng_tensors, checkpoint.rng_values, run.shuffle_generator)
    history = state.history = checkpoint.history
    if checkpoint.best_state is not None:
        run.best_state = {k: v.to(state.device) for k, v in checkpoint.best_state.items()}
    if history.stop_reason not in FINAL_STOPS and len(history) < run.config.epochs:
        history.stop_reason = None  # continue (e.g. `epochs` was raised)
    state.epoch = len(history)
    logger.info("resuming from epoch %d in '%s'", len(history), run.checkpoint_dir)


def prepare_run(
    model: nn.Module,
    train_data: Any,
    validation: Any,
    loss: str | LossFunction,
    config: TrainConfig | None,
    checkpoint_dir: str | Path | None,
    resume: bool,
    callbacks: Iterable[Callback],
) -> TrainingRun:
    """Check the arguments of :func:`grukit.train.train` and set up the run (see there)."""
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}")
    loss_name, loss_fn = resolve_loss(loss)
    callbacks = list(callbacks)
    device = resolve_device(config.device)
    directory = None if checkpoint_dir is None else Path(checkpoint_dir)
    checkpoint = _find_checkpoint(directory, resume, model, config, loss_name)

    model.to(device)
    dtype = _model_dtype(model)
    train_batches = Batches(train_data, name="train_data", dtype=dtype)
    val_batches = None
    if validation is not None:
        val_batches = Batches(validation, name="validation", dtype=dtype)

    seed_everything(config.seed)
    shuffle_generator = torch.Generator().manual_seed(config.seed)
    optimizer = build_optimizer(model.parameters(), config)
    state = TrainState(
        model=model,
        optimizer=optimizer,
        scheduler=build_scheduler(optimizer, config),
        config=config,
        history=History(monitor="val_loss" if val_batches is not None else "train_loss"),
        device=device,
        num_batches=train_batches.num_batches(config.batch_size),
    )
    run = TrainingRun(
        state=state,
        loss_name=loss_name,
        loss_fn=loss_fn,
        check_shapes=loss_name in _SAME_SHAPE_LOSSES,
        callbacks=callbacks,
        train_batches=train_batches,
        val_batches=val_batches,
        parameters=[p for group in optimizer.param_groups for p in group["params"]],
        shuffle_generator=shuffle_generator,
        best_state=None,
        checkpoint_dir=directory,
        early_stopping=config.patience is not None and val_batches is not None,
        was_training=model.training,
    )
    if checkpoint is not None:
        _resume(run, checkpoint)
    return run


def write_checkpoint(run: TrainingRun) -> None:
    """Save the run after its latest epoch into ``run.checkpoint_dir`` (when it has one)."""
    if run.checkpoint_dir is None:
        return
    state = run.state
    save_checkpoint(
        run.checkpoint_dir,
        epoch=len(state.history),
        model=state.model,
        best_state=run.best_state,
        optimizer=state.optimizer,
        scheduler=state.scheduler,
        rng_state=capture_rng_state(run.shuffle_generator),
        history=state.history,
        config=state.config,
        loss_name=run.loss_name,
    )
