"""Whether the fused engine can run here: numba is looked for, not imported (that waits for the
first kernel), so that ``grukit.engines.fused`` stays quick to import."""

from __future__ import annotations

import importlib.util

_NUMBA_FOUND = importlib.util.find_spec("numba") is not None


def is_available() -> bool:
    """Whether the fused engine can run here (numba importable)."""
    return _NUMBA_FOUND
