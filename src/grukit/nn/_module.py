"""What the routing and running helpers of ``grukit.nn`` read from a GRU.

``planning``, ``streaming``, ``_stack`` and ``_inference`` work on a :class:`grukit.GRU` but do not
import it (``gru.py`` imports them): they are written against :class:`StackedGRU`, the part of
the module's interface they use, and :class:`DirectionWeights`, the by-role view of one
layer-direction's parameters that ``GRU.direction_weights`` returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Protocol

from torch import Tensor
from torch.nn import Parameter

__all__ = ["DirectionWeights", "StackedGRU"]


class DirectionWeights(NamedTuple):
    """The parameters of one layer-direction of a :class:`GRU` by role (``None`` when absent).

    Shapes: ``weight_ih`` (3H, I) (I = ``input_size`` for layer 0, D * H above), ``weight_hh``
    (3H, H), the others (3H,); gate blocks r, z, n. The tensors are the module's parameters
    themselves (not copies).
    """

    weight_ih: Tensor
    weight_hh: Tensor
    bias_ih: Tensor | None
    bias_hh: Tensor | None
    norm_weight_ih: Tensor | None
    norm_weight_hh: Tensor | None


class StackedGRU(Protocol):
    """The attributes and methods of :class:`grukit.GRU` that its helpers read."""

    input_size: int
    hidden_size: int
    num_layers: int
    num_directions: int
    bidirectional: bool
    reset_after: bool
    bias: bool
    batch_first: bool
    dropout: float
    input_dropout: float
    recurrent_dropout: float
    zoneout: float
    layer_norm: bool
    engine: str
    go_backwards: bool
    training: bool
    last_engine: str | None

    def stack_weights(self) -> list[DirectionWeights]: ...

    def initial_state(self, batch_size: int) -> Tensor: ...

    def step(self, x_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]: ...

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]: ...
