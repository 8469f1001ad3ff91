"""The one copy of the matplotlib plumbing of the report: the Agg backend and atomic PNG files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from grukit.io import atomic_write_bytes

__all__ = ["pyplot", "save_figure"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (no window, no display)."""
    import matplotlib

    matplotlib.use("Agg")  # never open a window; works without a display
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, path: str | Path) -> Path:
    """Write `figure` as a PNG atomically (a reader never sees half a file), close it."""
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100)
    pyplot().close(figure)
    return atomic_write_bytes(path, buffer.getvalue())
