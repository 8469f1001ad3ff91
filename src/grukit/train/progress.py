"""Progress display: a rich progress bar on an interactive stderr, else one log line per epoch.

The bar shows epochs overall and batches within the epoch, each with the running loss and an ETA.
Without a terminal (pipes, CI, pytest) or with ``progress=False``, each epoch is reported as one
``INFO`` record on the ``grukit.train`` logger; configure :mod:`logging` to see it, e.g.
``logging.basicConfig(level=logging.INFO)``.
"""

from __future__ import annotations

import logging
import math
import sys
from typing import IO, Any

logger = logging.getLogger("grukit.train")

__all__ = ["ProgressReporter", "format_epoch_line", "logger"]


def _format_loss(value: float | None) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def format_epoch_line(
    epoch: int,
    epochs: int,
    *,
    train_loss: float,
    val_loss: float | None,
    lr: float,
    seconds: float,
    improved: bool,
) -> str:
    """``"epoch 3/50  train_loss 0.1234  val_loss 0.1456*  lr 0.001  1.2s"`` (``*``: new best)."""
    line = f"epoch {epoch}/{epochs}  train_loss {_format_loss(train_loss)}"
    if val_loss is not None:
        line += f"  val_loss {_format_loss(val_loss)}"
    return line + f"{'*' if improved else ''}  lr {lr:.3g}  {seconds:.2f}s"


class ProgressReporter:
    """Report training progress to ``stream`` (stderr by default).

    Parameters
    ----------
    enabled : bool
        ``config.progress``; False always gives log lines.
    epochs : int
        Total number of epochs (for the bar and the line's ``k/N``).
    first_epoch : int, default 1
        First epoch this run executes (greater than 1 when resuming).
    stream : file-like, optional
        Where the bar goes; the bar is used only if ``stream.isatty()``.
    """

    def __init__(
        self, *, enabled: bool, epochs: int, first_epoch: int = 1, stream: IO[str] | None = None
    ) -> None:
        self.epochs = epochs
        self.stream = sys.stderr if stream is None else stream
        is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.use_bar = enabled and is_tty
        self._progress: Any = None
        self._epoch_task: Any = None
        self._batch_task: Any = None
        if self.use_bar:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = Console(file=self.stream, force_terminal=True)
            self._progress = Progress(
                TextColumn("{task.description:<8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[loss]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            self._progress.start()
            self._epoch_task = self._progress.add_task(
                "epochs", total=epochs, completed=first_epoch - 1, loss=""
            )
            self._batch_task = self._progress.add_task("batches", total=1, loss="")

    def start_epoch(self, epoch: int, num_batches: int) -> None:
        if self.use_bar:
            self._progress.reset(
                self._batch_task,
                total=num_batches,
                completed=0,
                loss="",
                description=f"epoch {epoch}",
            )

    def batch_done(self, batch: int, running_loss: float) -> None:
        if self.use_bar:
            self._progress.update(
                self._batch_task, completed=batch + 1, loss=f"loss {_format_loss(running_loss)}"
            )

    def epoch_done(self, epoch: int, line: str, *, monitored_loss: float | None) -> None:
        """Advance the epoch bar (printing ``line`` above it), or log ``line``."""
        if self.use_bar:
            self._progress.console.print(line, highlight=False)
            self._progress.update(
                self._epoch_task, completed=epoch, loss=f"loss {_format_loss(monitored_loss)}"
            )
        else:
            logger.info(line)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
