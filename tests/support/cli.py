"""For the command-line tests: small CSV files, fast options, and ``main`` run in-process."""

from __future__ import annotations

from pathlib import Path

from grukit.cli import main
from support.series import seasonal_frame

#: options that keep a training command to a fraction of a second
FAST = ["--hidden-size", "8", "--epochs", "2", "--batch-size", "32", "--lr", "0.005"]


def seasonal_csv(directory: Path, n: int = 200, name: str = "data.csv") -> Path:
    path = directory / name
    seasonal_frame(n).to_csv(path, index=False)
    return path


def run(capsys, *args: object) -> tuple[int, str, str]:
    """``main([...])`` with the arguments as strings; returns (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
