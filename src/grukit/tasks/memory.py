"""The memory a task's training will need, estimated before its network is built.

A GRU layer-direction with input size I and hidden size H holds ``3H(I + H + 2)`` parameters
(``weight_ih`` 3H x I, ``weight_hh`` 3H x H, two biases 3H). Training keeps four float32 copies
of them (weights, gradients, Adam's two moments) and, per layer-direction, about
:data:`SAVED_PER_STEP` float32 values per hidden unit, time step and sequence of a batch (the
gates and states saved for the backward pass). A task refuses to start when the estimate
exceeds the machine's memory, and warns above :data:`WARN_FRACTION` of it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "SAVED_PER_STEP",
    "WARN_FRACTION",
    "GRUShape",
    "MemoryEstimate",
    "available_memory",
    "check_training_memory",
    "estimate_training_memory",
]

#: float32 values saved per hidden unit, step and sequence for the backward pass (r, z, n, the
#: state, the candidate's recurrent part, and the input projections of the three gates).
SAVED_PER_STEP = 8
#: Copies of the parameters training holds: weights, gradients, Adam's two moments.
PARAMETER_COPIES = 4
#: Warn when the estimate exceeds this fraction of the available memory.
WARN_FRACTION = 0.5
_FLOAT32 = 4


@dataclass(frozen=True)
class GRUShape:
    """One GRU of a network: input size, hidden size, layers, directions, steps per sequence."""

    input_size: int
    hidden_size: int
    num_layers: int
    directions: int
    steps: int


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of the parameters (all copies) and of the activations of one training batch."""

    parameters: int
    activations: int

    @property
    def total(self) -> int:
        return self.parameters + self.activations


def estimate_training_memory(shapes: Sequence[GRUShape], batch: int) -> MemoryEstimate:
    """The training memory of the GRUs in `shapes` for batches of `batch` sequences.

    >>> estimate_training_memory([GRUShape(1, 2, 1, 1, 5)], 1).parameters  # 3*2*(1+2+2) * 4 * 4
    480
    """
    parameters = activations = 0
    for shape in shapes:
        width = shape.hidden_size * shape.directions
        for layer in range(shape.num_layers):
            inputs = shape.input_size if layer == 0 else width
            per_direction = 3 * shape.hidden_size * (inputs + shape.hidden_size + 2)
            parameters += per_direction * shape.directions
        activations += batch * shape.steps * width * shape.num_layers * SAVED_PER_STEP
    return MemoryEstimate(parameters * PARAMETER_COPIES * _FLOAT32, activations * _FLOAT32)


def available_memory() -> int | None:
    """Bytes of memory available: psutil's figure when installed, else the physical memory
    (``SC_PHYS_PAGES * SC_PAGE_SIZE``); None where neither is known."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        try:
            return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):
            return None
    return int(psutil.virtual_memory().available)


def _size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n_bytes < 1000 or unit == "PB":
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def check_training_memory(
    shapes: Sequence[GRUShape], batch: int, *, available: int | None = None
) -> MemoryEstimate:
    """Refuse training that would not fit in memory (before its network is built).

    Raises
    ------
    ValueError
        The estimate exceeds `available` (default :func:`available_memory`); one line giving
        both and what to reduce. A ``RuntimeWarning`` above :data:`WARN_FRACTION` of it.
    """
    estimate = estimate_training_memory(shapes, batch)
    available = available_memory() if available is None else available
    if available is None:
        return estimate
    what = (
        f"training this network needs about {_size(estimate.total)} (parameters with gradients "
        f"and optimizer state {_size(estimate.parameters)}, activations of a batch of {batch} "
        f"{_size(estimate.activations)})"
    )
    if estimate.total > available:
        raise ValueError(
            f"{what}, more than the {_size(available)} of memory available; reduce "
            "hidden_size, num_layers or the batch size"
        )
    if estimate.total > WARN_FRACTION * available:
        warnings.warn(
            f"{what}, over {WARN_FRACTION:.0%} of the {_size(available)} of memory available",
            RuntimeWarning,
            stacklevel=3,
        )
    return estimate
