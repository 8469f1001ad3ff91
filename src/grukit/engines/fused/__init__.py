"""The ``fused`` engine: compiled CPU kernels (numba) for GRU inference, training and streaming.

- :func:`gru_layer`: one layer-direction (the engine contract of ``docs/architecture.md``),
  differentiable through a hand-written backward (``torch.autograd.Function``).
- :class:`FusedStepper`: allocation-free single steps for streaming at small batch sizes.
- :func:`is_available`: whether numba can be imported.
- :func:`release_memory`: free the work arrays and idle training records kept between calls.

Layer norm, recurrent dropout and zoneout are not implemented here (``NotImplementedError``);
the layer falls back to the ``torch`` engine for them.
"""

from __future__ import annotations

import importlib.util

_AVAILABLE = importlib.util.find_spec("numba") is not None


def is_available() -> bool:
    """Whether the fused engine can run here (numba importable)."""
    return _AVAILABLE


if is_available():
    from grukit.engines.fused import _records, _scratch
    from grukit.engines.fused.layer import FusedGRUFunction, gru_layer, unsupported_reason
    from grukit.engines.fused.stepper import FusedStepper

    def release_memory() -> None:
        """Free what the fused engine keeps between calls to save page faults: the calling
        thread's work arrays (up to 64 MB each) and the idle training-record buffers (up to
        128 MB in all). Records still held by autograd return to the pool when it frees them."""
        _scratch.clear()
        _records.clear()

else:  # pragma: no cover - exercised only without numba
    FusedGRUFunction = None  # type: ignore[assignment]

    def unsupported_reason(**_options: object) -> str | None:
        """The fused engine needs numba."""
        return "the fused engine needs numba, which is not installed"

    def gru_layer(*_args: object, **_kwargs: object):  # type: ignore[no-redef]
        """Unavailable: numba is not installed."""
        raise NotImplementedError(unsupported_reason())

    class FusedStepper:  # type: ignore[no-redef]
        """Unavailable: numba is not installed."""

        def __init__(self, *_args: object, **_kwargs: object) -> None:
            raise NotImplementedError(unsupported_reason())

    def release_memory() -> None:
        """Nothing is kept without numba."""


__all__ = [
    "FusedGRUFunction",
    "FusedStepper",
    "gru_layer",
    "is_available",
    "release_memory",
    "unsupported_reason",
]
