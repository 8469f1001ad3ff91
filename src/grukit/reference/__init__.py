"""NumPy reference engine: the executable specification of grukit's GRU and linear-chain CRF.

One layer in one direction, forward and hand-written backward (backpropagation through time),
in the dtype of the input (use float64: the reference is the yardstick every engine is checked
against). Imports only NumPy.

* :func:`gru_forward`, :func:`gru_backward`: the time loop with ``lengths``, ``reverse``,
  recurrent dropout, zoneout and layer norm (``grukit.reference.sequence``).
* :func:`gru_cell_forward`, :func:`gru_cell_backward`: one step (``grukit.reference.cell``,
  whose module docstring states the equations of both formulations).
* :func:`sigmoid`, :func:`layer_norm_forward`, :func:`layer_norm_backward`: building blocks.
* :func:`crf_sequence_score`, :func:`crf_log_partition`, :func:`crf_marginals`,
  :func:`crf_viterbi`: a linear-chain CRF over one sequence (``grukit.reference.crf``, whose
  module docstring states the forward, backward and Viterbi recursions).
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "GRUCellCache": "grukit.reference.cell",
        "GRUForwardCache": "grukit.reference.sequence",
        "GRUStepRecord": "grukit.reference.sequence",
        "LAYER_NORM_EPS": "grukit.reference.cell",
        "crf_log_partition": "grukit.reference.crf",
        "crf_marginals": "grukit.reference.crf",
        "crf_sequence_score": "grukit.reference.crf",
        "crf_viterbi": "grukit.reference.crf",
        "gru_backward": "grukit.reference.sequence",
        "gru_cell_backward": "grukit.reference.cell",
        "gru_cell_forward": "grukit.reference.cell",
        "gru_forward": "grukit.reference.sequence",
        "layer_norm_backward": "grukit.reference.cell",
        "layer_norm_forward": "grukit.reference.cell",
        "sigmoid": "grukit.reference.cell",
    },
)
