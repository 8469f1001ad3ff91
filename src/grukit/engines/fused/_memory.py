"""What the fused engine keeps between calls, and how to free it (no numba needed)."""

from __future__ import annotations

from grukit.engines.fused import _saved_activations, _workspace


def release_memory() -> None:
    """Free what the fused engine keeps between calls to save page faults: the calling
    thread's work arrays (up to 64 MB each) and the idle training-record buffers (up to
    128 MB in all). Records still held by autograd return to the pool when it frees them.
    Without numba nothing was kept, and this does nothing."""
    _workspace.clear()
    _saved_activations.clear()
