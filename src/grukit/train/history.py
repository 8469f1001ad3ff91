"""`History`: what happened in each epoch of a training run, and why it stopped."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STOP_REASONS", "History"]

# Why a run ended (History.stop_reason):
STOP_REASONS = (
    "max_epochs",  # all `config.epochs` epochs ran
    "early_stopping",  # `config.patience` epochs without improvement of the validation loss
    "non_finite_loss",  # a training batch gave a NaN or infinite loss (diverged); epoch cut short
    "callback",  # a callback set `state.stop_training = True`
)

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _encode_float(value: float | None) -> float | str | None:
    """JSON has no NaN/Infinity: spell them as the strings Python's json module would print."""
    if value is None or math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _decode_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _NON_FINITE[value]
    return float(value)


@dataclass
class History:
    """Per-epoch record of a run of :func:`grukit.train.train`.

    Lists are indexed by epoch (``train_loss[0]`` is epoch 1). Epoch numbers elsewhere
    (``best_epoch``, ``TrainState.epoch``, checkpoints) count from 1.

    Attributes
    ----------
    train_loss : list of float
        Mean training loss over the epoch's windows (weighted by batch size), measured during the
        epoch while the weights change.
    val_loss : list of float or None
        Loss on the validation data after the epoch; ``None`` without validation data.
    lr : list of float
        Learning rate used during the epoch (of the first parameter group).
    epoch_time : list of float
        Wall-clock seconds of the epoch (training and validation, not the checkpoint).
    monitor : {"val_loss", "train_loss"}
        The loss that decides the best epoch: validation loss when validation data is given.
    best_epoch : int or None
        Epoch (from 1) with the lowest monitored loss so far.
    best_loss : float or None
        That loss.
    stop_reason : str or None
        One of :data:`STOP_REASONS` once the run has ended; ``None`` while it runs.
    restored_best : bool
        Whether the best weights were loaded into the model at the end (early stopping on, or
        training diverged).
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    monitor: str = "train_loss"
    best_epoch: int | None = None
    best_loss: float | None = None
    stop_reason: str | None = None
    restored_best: bool = False

    def __len__(self) -> int:
        """Number of completed epochs."""
        return len(self.train_loss)

    @property
    def epochs_completed(self) -> int:
        """Number of completed epochs (same as ``len(history)``)."""
        return len(self.train_loss)

    def append(
        self, *, train_loss: float, val_loss: float | None, lr: float, epoch_time: float
    ) -> None:
        """Record one finished epoch."""
        self.train_loss.append(float(train_loss))
        self.val_loss.append(None if val_loss is None else float(val_loss))
        self.lr.append(float(lr))
        self.epoch_time.append(float(epoch_time))

    def rows(self) -> list[dict[str, Any]]:
        """One dict per epoch: ``epoch`` (from 1), ``train_loss``, ``val_loss``, ``lr``,
        ``epoch_time`` (for printing a table or building a DataFrame)."""
        return [
            {"epoch": index + 1, "train_loss": t, "val_loss": v, "lr": lr, "epoch_time": s}
            for index, (t, v, lr, s) in enumerate(
                zip(self.train_loss, self.val_loss, self.lr, self.epoch_time, strict=True)
            )
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; NaN and infinite losses become "NaN", "Infinity", "-Infinity"."""
        return {
            "train_loss": [_encode_float(v) for v in self.train_loss],
            "val_loss": [_encode_float(v) for v in self.val_loss],
            "lr": [_encode_float(v) for v in self.lr],
            "epoch_time": list(self.epoch_time),
            "monitor": self.monitor,
            "best_epoch": self.best_epoch,
            "best_loss": _encode_float(self.best_loss),
            "stop_reason": self.stop_reason,
            "restored_best": self.restored_best,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> History:
        """Inverse of :meth:`to_dict`; raises ValueError naming a missing or unknown key."""
        expected = set(cls().to_dict())
        missing, unknown = expected - set(values), set(values) - expected
        if missing or unknown:
            raise ValueError(
                f"invalid History record: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        lengths = {len(values[k]) for k in ("train_loss", "val_loss", "lr", "epoch_time")}
        if len(lengths) != 1:
            raise ValueError("invalid History record: per-epoch lists differ in length")
        if values["stop_reason"] is not None and values["stop_reason"] not in STOP_REASONS:
            raise ValueError(f"invalid History record: stop_reason {values['stop_reason']!r}")
        return cls(
            train_loss=[_decode_float(v) for v in values["train_loss"]],
            val_loss=[_decode_float(v) for v in values["val_loss"]],
            lr=[_decode_float(v) for v in values["lr"]],
            epoch_time=[float(v) for v in values["epoch_time"]],
            monitor=str(values["monitor"]),
            best_epoch=values["best_epoch"],
            best_loss=_decode_float(values["best_loss"]),
            stop_reason=values["stop_reason"],
            restored_best=bool(values["restored_best"]),
        )
