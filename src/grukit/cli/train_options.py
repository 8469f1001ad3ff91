"""The training options every ``grukit train`` command shares (declarations only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["Config", "Device", "Epochs", "LearningRate", "Resume", "Seed", "Threads"]

Epochs = Annotated[int | None, typer.Option(help="Maximum epochs (default 50).")]
LearningRate = Annotated[float | None, typer.Option("--lr", help="Learning rate (default 1e-3).")]
Seed = Annotated[int | None, typer.Option(help="Random seed (default 0).")]
Device = Annotated[str | None, typer.Option(help="auto (default), cpu, cuda or cuda:N.")]
Threads = Annotated[
    int | None,
    typer.Option(
        help="PyTorch CPU threads (default: 1 for small models, else up to 4; see "
        "docs/performance.md)."
    ),
]
Resume = Annotated[
    bool | None, typer.Option("--resume", help="Continue the interrupted training run in --out.")
]
Config = Annotated[
    Path | None,
    typer.Option(
        help="TOML file of options (the command's option names, with - or _; optional [train] "
        "and [gru] tables of TrainConfig and GRUConfig fields). The command line wins."
    ),
]
