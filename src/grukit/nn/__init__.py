"""PyTorch modules: :class:`GRU` (stacks, directions, options, streaming), :class:`GRUCell`, and
:class:`GRUStreamer` (stateful, allocation-free streaming)."""

from grukit.nn._streaming import GRUStreamer
from grukit.nn.cell import GRUCell
from grukit.nn.gru import GRU

__all__ = ["GRU", "GRUCell", "GRUStreamer"]
