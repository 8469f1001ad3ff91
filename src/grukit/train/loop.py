"""The training loop: a plain loop over epochs and batches, checkpointed after every epoch.

Per epoch::

    shuffle (seeded) -> for each batch: forward, loss, backward, clip, optimizer step
    -> validation loss -> best weights -> scheduler step -> callbacks -> early stopping
    -> checkpoint (atomic, manifest last)
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from grukit.train.callbacks import Callback, TrainState
from grukit.train.checkpoint import (
    check_compatible,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from grukit.train.config import TrainConfig
from grukit.train.data import Batches
from grukit.train.history import History
from grukit.train.optim import (
    LOSSES,
    build_optimizer,
    build_scheduler,
    resolve_device,
    resolve_loss,
)
from grukit.train.progress import ProgressReporter, format_epoch_line, logger
from grukit.train.seed import capture_rng_state, restore_rng_state, seed_everything

__all__ = ["compute_context", "train"]

_FINAL_STOPS = ("early_stopping", "non_finite_loss")


def compute_context() -> contextlib.AbstractContextManager[Any]:
    """Context manager entered around each epoch (training and validation).

    It flushes subnormal floats to zero on every compute thread, PyTorch's OpenMP workers
    included (:func:`grukit.runtime.flush_denormals`), and restores each thread's setting after
    the epoch: gradients of early steps of long sequences otherwise become subnormal and slow
    every matrix product 10-50x. It is looked up at call time, so replacing
    ``grukit.train.loop.compute_context`` (e.g. with ``contextlib.nullcontext``) takes effect.
    """
    from grukit.runtime import flush_denormals

    return flush_denormals()


def _call(callbacks: list[Any], hook: str, state: TrainState) -> None:
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(state)


def _model_dtype(model: nn.Module) -> torch.dtype:
    for parameter in model.parameters():
        if parameter.is_floating_point():
            return parameter.dtype
    return torch.get_default_dtype()


def _batch_loss(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    check_shapes: bool,
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> torch.Tensor:
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


def train(
    model: nn.Module,
    train_data: Any,
    *,
    validation: Any = None,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "mse",
    config: TrainConfig | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    callbacks: Iterable[Callback] = (),
) -> History:
    """Train ``model`` on ``train_data``; return the per-epoch :class:`History`.

    Parameters
    ----------
    model : torch.nn.Module
        Any module mapping an input batch (N, ...) to one prediction tensor. It is moved to the
        configured device and trained in place; its train/eval mode is restored at the end.
    train_data : (inputs, targets) or torch.utils.data.Dataset
        Tensors or NumPy arrays with N samples on the first axis (floating ones are cast to the
        model's dtype), or a map-style dataset of ``(input, target)`` pairs.
    validation : same as ``train_data``, optional
        Evaluated after each epoch (no gradient, ``model.eval()``, in order). It decides the best
        epoch and drives early stopping and the "plateau" schedule.
    loss : {"mse", "mae", "huber", "cross_entropy"} or callable, default "mse"
        ``loss(prediction, target) -> scalar tensor``, averaged over the batch. For the
        regression losses the prediction and target shapes must be equal.
    config : TrainConfig, optional
        Defaults to ``TrainConfig()``.
    checkpoint_dir : str or Path, optional
        Write a checkpoint there after every epoch (see :mod:`grukit.train.checkpoint`). A
        directory that already holds one is an error unless ``resume=True``.
    resume : bool, default False
        Continue from the checkpoint in ``checkpoint_dir`` (weights, optimizer, schedule, RNG
        states, history, best weights): the result is bitwise identical on CPU to an uninterrupted
        run. Without a checkpoint there, start afresh (logged at INFO). A finished run returns
        at once, or continues when ``config.epochs`` was raised.
    callbacks : iterable of Callback
        Objects with any of the :class:`Callback` hooks.

    Returns
    -------
    History
        Losses, learning rates and times per epoch, best epoch, stop reason.

    Notes
    -----
    Seeds everything with ``config.seed`` before the first epoch (:func:`seed_everything`), so
    create the model (its initial weights) before calling, after seeding yourself. The train
    loss of an epoch is the mean over its batches (weighted by batch size) as the weights move.
    The best weights (lowest validation loss, or training loss without validation) are kept;
    they are loaded into the model at the end when early stopping is active (``patience`` set and
    validation data given) or when training diverged (a NaN/infinite batch loss stops the run).

    Examples
    --------
    >>> import torch
    >>> from grukit.train import TrainConfig, train
    >>> model = torch.nn.Linear(3, 1)
    >>> x = torch.randn(64, 3); y = x.sum(dim=1, keepdim=True)
    >>> history = train(model, (x, y), config=TrainConfig(epochs=5, progress=False))
    >>> len(history), history.stop_reason
    (5, 'max_epochs')
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}")
    loss_name, loss_fn = resolve_loss(loss)
    check_shapes = loss_name in ("mse", "mae", "huber")
    callbacks = list(callbacks)
    device = resolve_device(config.device)
    if resume and checkpoint_dir is None:
        raise ValueError("`resume=True` needs a `checkpoint_dir` to resume from")

    checkpoint = None
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        if has_checkpoint(checkpoint_dir):
            if not resume:
                raise FileExistsError(
                    f"`checkpoint_dir` '{checkpoint_dir}' already holds a checkpoint; pass "
                    "resume=True to continue it, or use another (or an empty) directory"
                )
            checkpoint = load_checkpoint(checkpoint_dir)
            check_compatible(checkpoint, model, config, loss_name)
        elif resume:
            logger.info("no checkpoint in '%s': starting a new run", checkpoint_dir)

    model.to(device)
    dtype = _model_dtype(model)
    train_batches = Batches(train_data, name="train_data", dtype=dtype)
    val_batches = None
    if validation is not None:
        val_batches = Batches(validation, name="validation", dtype=dtype)

    seed_everything(config.seed)
    shuffle_generator = torch.Generator().manual_seed(config.seed)
    optimizer = build_optimizer(model.parameters(), config)
    scheduler = build_scheduler(optimizer, config)
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    history = History(monitor="val_loss" if val_batches is not None else "train_loss")
    best_state: dict[str, torch.Tensor] | None = None
    if checkpoint is not None:
        if checkpoint.history.monitor != history.monitor:
            raise ValueError(
                f"checkpoint in '{checkpoint_dir}' was trained "
                f"{'with' if checkpoint.history.monitor == 'val_loss' else 'without'} "
                "`validation` data; resume the same way"
            )
        model.load_state_dict(checkpoint.model_state)
        optimizer.load_state_dict(checkpoint.optimizer_state)
        if scheduler is not None:
            scheduler.load_state_dict(checkpoint.scheduler_state)
        restore_rng_state(checkpoint.rng_tensors, checkpoint.rng_values, shuffle_generator)
        history = checkpoint.history
        if checkpoint.best_state is not None:
            best_state = {k: v.to(device) for k, v in checkpoint.best_state.items()}
        if history.stop_reason not in _FINAL_STOPS and len(history) < config.epochs:
            history.stop_reason = None  # continue (e.g. `epochs` was raised)
        logger.info("resuming from epoch %d in '%s'", len(history), checkpoint_dir)

    early_stopping = config.patience is not None and val_batches is not None
    state = TrainState(
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        config=config,
        history=history,
        device=device,
        epoch=len(history),
        num_batches=train_batches.num_batches(config.batch_size),
    )
    was_training = model.training
    reporter = ProgressReporter(
        enabled=config.progress, epochs=config.epochs, first_epoch=len(history) + 1
    )
    try:
        _call(callbacks, "on_train_begin", state)
        while history.stop_reason is None and len(history) < config.epochs:
            epoch = len(history) + 1
            state.epoch, state.stop_training = epoch, False
            _call(callbacks, "on_epoch_begin", state)
            reporter.start_epoch(epoch, state.num_batches)
            lr = float(optimizer.param_groups[0]["lr"])
            started = time.perf_counter()
            with compute_context():
                model.train()
                total, count, diverged = 0.0, 0, False
                generator = shuffle_generator if config.shuffle else None
                batches = train_batches.iterate(
                    config.batch_size, generator=generator, device=device
                )
                for index, (inputs, targets) in enumerate(batches):
                    batch_loss = _batch_loss(model, loss_fn, check_shapes, inputs, targets)
                    value = batch_loss.item()
                    if not math.isfinite(value):
                        diverged = True
                        logger.warning(
                            "epoch %d batch %d: loss is %s; stopping", epoch, index, value
                        )
                        break
                    optimizer.zero_grad(set_to_none=True)
                    batch_loss.backward()
                    if config.clip is not None:
                        torch.nn.utils.clip_grad_norm_(parameters, config.clip)
                    optimizer.step()
                    total += value * len(inputs)
                    count += len(inputs)
                    state.batch, state.batch_loss = index, value
                    reporter.batch_done(index, total / count)
                    _call(callbacks, "on_batch_end", state)
                train_loss = math.nan if diverged else total / count
                val_loss = None
                if val_batches is not None:
                    val_loss = (
                        math.nan
                        if diverged
                        else _evaluate(
                            model, loss_fn, check_shapes, val_batches, config.batch_size, device
                        )
                    )
            history.append(
                train_loss=train_loss,
                val_loss=val_loss,
                lr=lr,
                epoch_time=time.perf_counter() - started,
            )
            monitored = train_loss if val_loss is None else val_loss
            improved = math.isfinite(monitored) and (
                history.best_loss is None or monitored < history.best_loss - config.min_delta
            )
            if improved:
                history.best_epoch, history.best_loss = epoch, monitored
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if scheduler is not None and not diverged:
                if config.schedule == "plateau":
                    scheduler.step(monitored)
                else:
                    scheduler.step()
            _call(callbacks, "on_epoch_end", state)
            if diverged:
                history.stop_reason = "non_finite_loss"
            elif early_stopping and epoch - (history.best_epoch or 0) >= config.patience:
                history.stop_reason = "early_stopping"
            elif state.stop_training:
                history.stop_reason = "callback"
            elif epoch >= config.epochs:
                history.stop_reason = "max_epochs"
            line = format_epoch_line(
                epoch,
                config.epochs,
                train_loss=train_loss,
                val_loss=val_loss,
                lr=lr,
                seconds=history.epoch_time[-1],
                improved=improved,
            )
            reporter.epoch_done(epoch, line, monitored_loss=monitored)
            if checkpoint_dir is not None:
                save_checkpoint(
                    checkpoint_dir,
                    epoch=epoch,
                    model=model,
                    best_state=best_state,
                    optimizer=optimizer,
                    scheduler=scheduler,
                    rng_state=capture_rng_state(shuffle_generator),
                    history=history,
                    config=config,
                    loss_name=loss_name,
                )
    finally:
        reporter.close()

    if history.stop_reason is not None and history.stop_reason != "max_epochs":
        logger.info("stopped after epoch %d: %s", len(history), history.stop_reason)
    restore = early_stopping or history.stop_reason == "non_finite_loss"
    if restore and best_state is not None:
        model.load_state_dict(best_state)
        history.restored_best = True
    model.train(was_training)
    _call(callbacks, "on_train_end", state)
    return history


def _evaluate(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    check_shapes: bool,
    batches: Batches,
    batch_size: int,
    device: torch.device,
) -> float:
    """Mean loss over all validation samples (batch losses weighted by batch size)."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for inputs, targets in batches.iterate(batch_size, device=device):
            total += _batch_loss(model, loss_fn, check_shapes, inputs, targets).item() * len(inputs)
    model.train()
    return total / len(batches)


# Loss names accepted by `train` (re-exported for documentation and the CLI).
LOSS_NAMES = tuple(LOSSES)
