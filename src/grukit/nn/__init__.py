"""PyTorch modules: :class:`GRU` (stacks, directions, options, streaming) and :class:`GRUCell`."""

from grukit.nn.cell import GRUCell
from grukit.nn.gru import GRU

__all__ = ["GRU", "GRUCell"]
