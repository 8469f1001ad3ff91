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

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "GRUCellCache": "grukit.reference.cell",
        "GRUForwardCache": "grukit.reference.sequence",
        "GRUStepRecord": "grukit.reference.sequence",
        "LAYER_NORM_EPS": "grukit.reference.cell",
        "gru_backward": "grukit.reference.sequence",
        "gru_cell_backward": "grukit.reference.cell",
        "gru_cell_forward": "grukit.reference.cell",
        "gru_forward": "grukit.reference.sequence",
        "layer_norm_backward": "grukit.reference.cell",
        "layer_norm_forward": "grukit.reference.cell",
        "sigmoid": "grukit.reference.cell",
    },
)
