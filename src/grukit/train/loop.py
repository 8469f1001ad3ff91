"""The training loop: a plain loop over epochs and batches, checkpointed after every epoch.

Per epoch::

    shuffle (seeded) -> for each batch: forward, loss, backward, clip, optimizer step
    -> validation loss -> best weights -> scheduler step -> callbacks -> early stopping
    -> checkpoint (atomic, manifest last)

Setting up a run (or resuming one from its checkpoint) is in :mod:`grukit.train.run`, the
batches of an epoch (training steps and validation) in :mod:`grukit.train.epoch`.
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

from grukit.runtime.threads import compute_threads, step_work
from grukit.train.callbacks import Callback, call_hooks
from grukit.train.config import TrainConfig
from grukit.train.epoch import evaluate, fit_epoch
from grukit.train.history import History
from grukit.train.optim import LOSSES
from grukit.train.progress import ProgressReporter, format_epoch_line
from grukit.train.run import TrainingRun, prepare_run, write_checkpoint

__all__ = ["compute_context", "train"]


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
    verbose: bool | int = True,
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
    verbose : bool or int, default True
        Show progress on stderr (when ``config.progress`` is on too): every epoch (True), every
        k-th epoch (an integer k), or nothing (False); see :mod:`grukit.train.progress`.

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

    The run uses the thread count the user chose (``torch.set_num_threads``,
    ``GRUKIT_NUM_THREADS``, ...), else one chosen from the model's size and the batch size
    (:func:`grukit.runtime.compute_threads`), and puts PyTorch's previous count back at the end.

    Examples
    --------
    >>> import torch
    >>> from grukit.train import TrainConfig, train
    >>> model = torch.nn.Linear(3, 1)
    >>> x = torch.randn(64, 3); y = x.sum(dim=1, keepdim=True)
    >>> history = train(model, (x, y), config=TrainConfig(epochs=5), verbose=False)
    >>> len(history), history.stop_reason
    (5, 'max_epochs')
    """
    run = prepare_run(
        model, train_data, validation, loss, config, checkpoint_dir, resume, callbacks
    )
    reporter = ProgressReporter(
        enabled=run.config.progress,
        epochs=run.config.epochs,
        first_epoch=len(run.history) + 1,
        verbose=verbose,
    )
    with compute_threads(step_work(run.model, run.config.batch_size)):
        try:
            call_hooks(run.callbacks, "on_train_begin", run.state)
            while not run.finished:
                _run_epoch(run, reporter)
        finally:
            reporter.close()
        _finish(run, reporter)
    return run.history


def _run_epoch(run: TrainingRun, reporter: ProgressReporter) -> None:
    """Train one epoch, validate, keep the best weights, step the schedule, decide whether to stop.

    Then report the epoch and write the checkpoint.
    """
    state, config, history = run.state, run.config, run.history
    epoch = len(history) + 1
    state.epoch, state.stop_training = epoch, False
    call_hooks(run.callbacks, "on_epoch_begin", state)
    reporter.start_epoch(epoch, state.num_batches)
    lr = float(state.optimizer.param_groups[0]["lr"])
    started = time.perf_counter()
    with compute_context():
        train_loss, diverged = fit_epoch(run, reporter)
        val_loss = _validation_loss(run, diverged)
    history.append(
        train_loss=train_loss, val_loss=val_loss, lr=lr, epoch_time=time.perf_counter() - started
    )
    monitored = train_loss if val_loss is None else val_loss
    improved = _keep_if_best(run, monitored)
    if state.scheduler is not None and not diverged:
        if config.schedule == "plateau":
            state.scheduler.step(monitored)
        else:
            state.scheduler.step()
    call_hooks(run.callbacks, "on_epoch_end", state)
    reason = _stop_reason(run, diverged)
    if reason is not None:
        history.stop_reason = reason
    line = format_epoch_line(
        epoch,
        config.epochs,
        train_loss=train_loss,
        val_loss=val_loss,
        lr=lr,
        seconds=history.epoch_time[-1],
        improved=improved,
    )
    reporter.epoch_done(epoch, line, monitored_loss=monitored, last=run.finished)
    write_checkpoint(run)


def _validation_loss(run: TrainingRun, diverged: bool) -> float | None:
    """The epoch's validation loss: None without validation data, NaN after divergence."""
    if run.val_batches is None:
        return None
    if diverged:
        return math.nan
    state = run.state
    return evaluate(
        state.model,
        run.loss_fn,
        run.check_shapes,
        run.val_batches,
        run.config.batch_size,
        state.device,
    )


def _keep_if_best(run: TrainingRun, monitored: float) -> bool:
    """Record the latest epoch as the best (and copy its weights) if it improved enough."""
    history = run.history
    improved = math.isfinite(monitored) and (
        history.best_loss is None or monitored < history.best_loss - run.config.min_delta
    )
    if improved:
        history.best_epoch, history.best_loss = len(history), monitored
        run.best_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
    return improved


def _stop_reason(run: TrainingRun, diverged: bool) -> str | None:
    """Why the run ends after the latest epoch (see ``History.stop_reason``), or None."""
    epoch, config = len(run.history), run.config
    if diverged:
        return "non_finite_loss"
    if run.early_stopping and epoch - (run.history.best_epoch or 0) >= config.patience:
        return "early_stopping"
    if run.state.stop_training:
        return "callback"
    if epoch >= config.epochs:
        return "max_epochs"
    return None


def _finish(run: TrainingRun, reporter: ProgressReporter) -> None:
    """Say why the run stopped, load the best weights where due, restore the model's mode."""
    history = run.history
    if history.stop_reason is not None and history.stop_reason != "max_epochs":
        reporter.note(f"stopped after epoch {len(history)}: {history.stop_reason}")
    restore = run.early_stopping or history.stop_reason == "non_finite_loss"
    if restore and run.best_state is not None:
        run.model.load_state_dict(run.best_state)
        history.restored_best = True
    run.model.train(run.was_training)
    call_hooks(run.callbacks, "on_train_end", run.state)


# Loss names accepted by `train` (re-exported for documentation and the CLI).
LOSS_NAMES = tuple(LOSSES)
