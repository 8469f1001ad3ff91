"""What the parts of ``grukit demo`` share: one thread, fresh run folders and the printed
command that repeats a part (:mod:`grukit.cli.workflow_demo`, :mod:`grukit.cli.classify_demo`)."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

__all__ = ["THREADS", "command_line", "fresh_run"]

#: the training commands' thread count: small GRUs train fastest on one thread, and one thread
#: never waits for a core that another process holds (two threads on a busy 2-core machine made
#: this demo 15x slower); the printed commands repeat it, so they give the same numbers
THREADS = 1


def fresh_run(path: Path) -> None:
    """Remove a previous demo run (only a folder grukit made: it holds run.json)."""
    if (path / "run.json").exists():
        shutil.rmtree(path)


def command_line(command: str, options: dict[str, Any]) -> str:
    """``grukit train COMMAND DATA --option value ...`` for `options`, writing into a fresh
    ``--out`` beside the demo's run (``RUN-again``: the demo's own run stays as it is).

    Examples
    --------
    >>> command_line("classify", {"data": "set", "horizon_hours": 48.0, "out": "demo/icu"})
    'grukit train classify set --horizon-hours 48 --out demo/icu-again'
    """
    words = ["grukit", "train", command, str(options["data"])]
    for name, value in options.items():
        if name in ("data", "out"):
            continue
        words += [
            f"--{name.replace('_', '-')}",
            f"{value:g}" if isinstance(value, float) else str(value),
        ]
    words += ["--out", f"{options['out']}-again"]
    return " ".join(shlex.quote(word) for word in words)
