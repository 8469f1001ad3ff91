"""grukit: gated recurrent units, exact and fast.

The public names are imported lazily, so ``import grukit`` (and the command line's ``--help``)
stays quick; ``grukit.GRU`` imports PyTorch on first use.

>>> import torch, grukit
>>> gru = grukit.GRU(4, 8, num_layers=2)
>>> output, h_n = gru(torch.randn(3, 5, 4))
>>> tuple(output.shape), tuple(h_n.shape)
((3, 5, 8), (2, 3, 8))
"""

from grukit._lazy import lazy_exports
from grukit._version import __version__ as __version__

__getattr__, __dir__, _names = lazy_exports(
    __name__,
    {
        "AnomalyDetector": "grukit.tasks",
        "Forecaster": "grukit.tasks",
        "GRU": "grukit.nn",
        "GRUCell": "grukit.nn",
        "GRUConfig": "grukit.tasks",
        "GRUStreamer": "grukit.nn",
        "SequenceClassifier": "grukit.tasks",
        "Seq2Seq": "grukit.tasks",
        "SequenceGenerator": "grukit.tasks",
        "SequenceTagger": "grukit.tasks",
        "TrainConfig": "grukit.train",
        "load": "grukit.tasks",
    },
    modules={
        "baselines": "grukit.baselines",
        "data": "grukit.data",
        "interop": "grukit.interop",
        "metrics": "grukit.metrics",
        "reference": "grukit.reference",
        "report": "grukit.report",
        "runtime": "grukit.runtime",
        "text": "grukit.text",
        "train": "grukit.train",
    },
)
__all__ = sorted([*_names, "__version__"])
