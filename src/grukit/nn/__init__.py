"""PyTorch modules: :class:`GRU` (stacks, directions, options, streaming), :class:`GRUCell`,
:class:`GRUStreamer` (stateful, allocation-free streaming) and :class:`LinearChainCRF` (the
output layer of a sequence tagger). Which engine serves a GRU call is decided in
``grukit.nn.planning``."""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "DirectionWeights": "grukit.nn._module",
        "GRU": "grukit.nn.gru",
        "GRUCell": "grukit.nn.cell",
        "GRUStreamer": "grukit.nn.streaming",
        "LinearChainCRF": "grukit.nn.crf",
    },
)
