"""What every training command shares on the console: the epoch lines, the thread count, and the
options a command requires."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["apply_threads", "require_options", "training_lines"]


class _CurrentStderr(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is at the time (pytest swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # not setStream: that flushes the old, maybe closed, stream
        super().emit(record)


@contextlib.contextmanager
def training_lines() -> Iterator[None]:
    """Let the training loop's per-epoch lines through (when no progress bar is drawn) for the
    duration of one command, then put the logger back as it was."""
    logger = logging.getLogger("grukit.train")
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("  %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def apply_threads(options: Mapping[str, Any]) -> None:
    if options.get("threads") is not None:
        from grukit.runtime import set_num_threads

        set_num_threads(options["threads"])


def require_options(options: Mapping[str, Any], names: list[str]) -> None:
    for name in names:
        if options.get(name) is None:
            raise ValueError(
                f"missing option --{name.replace('_', '-')} (give it on the command line or in "
                "the --config file)"
            )
