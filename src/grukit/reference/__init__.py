"""NumPy reference engine: the executable specification of grukit's GRU.

One layer in one direction, forward and hand-written backward (backpropagation through time),
in the dtype of the input (use float64: the reference is the yardstick every engine is checked
against). Imports only NumPy.

* :func:`gru_forward`, :func:`gru_backward`: the time loop with ``lengths``, ``reverse``,
  recurrent dropout, zoneout and layer norm (``grukit.reference.sequence``).
* :func:`gru_cell_forward`, :func:`gru_cell_backward`: one step (``grukit.reference.cell``,
  whose module docstring states the equations of both formulations).
* :func:`sigmoid`, :func:`layer_norm_forward`, :func:`layer_norm_backward`: building blocks.
"""

from .cell import (
    LAYER_NORM_EPS,
    GRUCellCache,
    gru_cell_backward,
    gru_cell_forward,
    layer_norm_backward,
    layer_norm_forward,
    sigmoid,
)
from .sequence import GRUForwardCache, GRUStepRecord, gru_backward, gru_forward

__all__ = [
    "LAYER_NORM_EPS",
    "GRUCellCache",
    "GRUForwardCache",
    "GRUStepRecord",
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "layer_norm_backward",
    "layer_norm_forward",
    "sigmoid",
]
