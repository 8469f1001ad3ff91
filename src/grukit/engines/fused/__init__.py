"""The ``fused`` engine: compiled CPU kernels (numba) for GRU inference, training and streaming.

- :func:`gru_layer`: one layer-direction (the engine contract of ``docs/architecture.md``),
  differentiable through a hand-written backward (``torch.autograd.Function``).
- :class:`FusedStepper`: allocation-free single steps for streaming at small batch sizes.
- :func:`is_available`: whether numba can be imported.

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
    from grukit.engines.fused.layer import FusedGRUFunction, gru_layer, unsupported_reason
    from grukit.engines.fused.stepper import FusedStepper
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


__all__ = ["FusedGRUFunction", "FusedStepper", "gru_layer", "is_available", "unsupported_reason"]
