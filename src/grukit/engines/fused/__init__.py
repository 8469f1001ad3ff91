"""The ``fused`` engine: compiled CPU kernels (numba) for GRU inference, training and streaming.

- :func:`gru_layer`: one layer-direction (the engine contract of ``docs/architecture.md``),
  differentiable through a hand-written backward (:class:`FusedGRUFunction`,
  ``torch.autograd.Function``).
- :class:`FusedStepper`: allocation-free single steps for streaming at small batch sizes.
- :func:`unsupported_reason`: why a configuration cannot run here, or ``None``.
- :func:`is_available`: whether numba can be imported.
- :func:`release_memory`: free the work arrays and idle training records kept between calls.

``gru_layer`` runs both formulations, lengths, reverse and a recurrent dropout mask; layer norm
and zoneout are not implemented here (``NotImplementedError``): ``grukit.GRU`` runs those on
the ``torch`` engine. The names load lazily (numba and the
kernels on first use); without numba they come from ``_without_numba``: ``unsupported_reason``
then says numba is missing, and ``gru_layer`` and ``FusedStepper`` raise ``NotImplementedError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grukit._lazy import lazy_exports
from grukit.engines.fused import _availability  # standard library only: finds numba, no import

if TYPE_CHECKING:  # what the names below are, for type checkers (nothing is imported at run time)
    from grukit.engines.fused._availability import is_available as is_available
    from grukit.engines.fused._memory import release_memory as release_memory
    from grukit.engines.fused.layer import FusedGRUFunction as FusedGRUFunction
    from grukit.engines.fused.layer import gru_layer as gru_layer
    from grukit.engines.fused.layer import unsupported_reason as unsupported_reason
    from grukit.engines.fused.stepper import FusedStepper as FusedStepper

_WITH_NUMBA = {
    "FusedGRUFunction": "grukit.engines.fused.layer",
    "FusedStepper": "grukit.engines.fused.stepper",
    "gru_layer": "grukit.engines.fused.layer",
    "unsupported_reason": "grukit.engines.fused.layer",
}
_WITHOUT_NUMBA = dict.fromkeys(_WITH_NUMBA, "grukit.engines.fused._without_numba")

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        **(_WITH_NUMBA if _availability.is_available() else _WITHOUT_NUMBA),
        "is_available": "grukit.engines.fused._availability",
        "release_memory": "grukit.engines.fused._memory",
    },
)
