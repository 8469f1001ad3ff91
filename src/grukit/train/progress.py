"""Progress display: a rich progress bar on an interactive stderr, else one line per epoch.

What shows is decided here, from two switches that must both be on (both are by default):
``TrainConfig.progress`` (the run's configuration, e.g. a ``[train]`` table of a TOML file) and
``verbose`` (of :func:`grukit.train.train` and of every task: the call's), which also sets how
often: ``True`` (or 1) every epoch, an integer ``k`` every k-th epoch and the last, ``False``
(or 0) none.

- On an interactive terminal (stderr a TTY) the rich bar shows epochs overall and batches
  within the epoch, each with the running loss and an ETA, and prints the shown epochs' lines
  above it.
- Otherwise (pipes, CI, pytest, a script's log file) each shown epoch is one line on stderr.

Every epoch line (and why a run stopped early) is also an ``INFO`` record on the
``grukit.train`` logger. When :mod:`logging` is configured to show those (a handler, and level
INFO or lower), the record is the line: it is not printed a second time. So a script shows
progress without configuring anything; with either switch off, only the records remain
(``logging.basicConfig(level=logging.INFO)`` shows them).
"""

from __future__ import annotations

import logging
import math
import sys
from typing import IO, Any

from grukit import checks

logger = logging.getLogger("grukit.train")

__all__ = ["ProgressReporter", "check_verbose", "format_epoch_line", "logger"]


def check_verbose(value: object) -> int:
    """``verbose`` as the epoch-line period: True -> 1, False -> 0, an integer k >= 0 -> k."""
    if isinstance(value, bool):
        return int(value)
    if checks.is_integer(value) and int(value) >= 0:  # type: ignore[call-overload]
        return int(value)  # type: ignore[call-overload]
    raise ValueError(
        "`verbose` must be True, False or a non-negative integer (show every k-th epoch), "
        f"got {value!r}"
    )


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
        ``config.progress``; False: nothing on the stream, only log records.
    epochs : int
        Total number of epochs (for the bar and the line's ``k/N``).
    first_epoch : int, default 1
        First epoch this run executes (greater than 1 when resuming).
    verbose : bool or int, default True
        Show every epoch (True), every k-th epoch and the last (k), or nothing (False, 0); see
        :func:`check_verbose`.
    stream : file-like, optional
        Where the bar and the lines go; the bar is used only if ``stream.isatty()``.
    """

    def __init__(
        self,
        *,
        enabled: bool,
        epochs: int,
        first_epoch: int = 1,
        verbose: bool | int = True,
        stream: IO[str] | None = None,
    ) -> None:
        self.epochs = epochs
        self.every = check_verbose(verbose)
        self.stream = sys.stderr if stream is None else stream
        is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shows = enabled and self.every > 0
        self.use_bar = self.shows and is_tty
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

    def epoch_done(
        self, epoch: int, line: str, *, monitored_loss: float | None, last: bool = False
    ) -> None:
        """Advance the epoch bar, and show ``line`` (see the module docstring); ``last``: the
        run's final epoch, shown whatever the period."""
        shown = self.shows and (last or epoch % self.every == 0)
        if self.use_bar:
            if shown:
                self._progress.console.print(line, highlight=False)
            self._progress.update(
                self._epoch_task, completed=epoch, loss=f"loss {_format_loss(monitored_loss)}"
            )
        else:
            self.note(line, shown=shown)

    def note(self, text: str, *, shown: bool = True) -> None:
        """Log ``text`` at INFO; also print it when it is ``shown`` and logging would not."""
        logger.info(text)
        if (
            shown
            and self.shows
            and not (logger.isEnabledFor(logging.INFO) and logger.hasHandlers())
        ):
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
