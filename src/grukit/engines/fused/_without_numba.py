"""The fused engine's names where numba is not installed: each says why it cannot run.

``grukit.engines.fused`` points its names here instead of at ``layer`` and ``stepper`` when
numba cannot be found, so that a layer can still ask :func:`unsupported_reason` and pick
another engine.
"""

from __future__ import annotations

from typing import NoReturn

__all__ = ["FusedGRUFunction", "FusedStepper", "gru_layer", "unsupported_reason"]

#: There is no autograd Function without the kernels.
FusedGRUFunction = None


def unsupported_reason(**_options: object) -> str:
    """The fused engine needs numba."""
    return "the fused engine needs numba, which is not installed"


def gru_layer(*_args: object, **_kwargs: object) -> NoReturn:
    """Unavailable: numba is not installed."""
    raise NotImplementedError(unsupported_reason())


class FusedStepper:
    """Unavailable: numba is not installed."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        raise NotImplementedError(unsupported_reason())
