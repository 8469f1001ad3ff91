"""grukit: gated recurrent units, exact and fast.

The public names are imported lazily, so ``import grukit`` (and the command line's ``--help``)
stays quick; ``grukit.GRU`` imports PyTorch on first use.

>>> import torch, grukit
>>> gru = grukit.GRU(4, 8, num_layers=2)
>>> output, h_n = gru(torch.randn(3, 5, 4))
>>> tuple(output.shape), tuple(h_n.shape)
((3, 5, 8), (2, 3, 8))
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "AnomalyDetector": "grukit.tasks",
    "Forecaster": "grukit.tasks",
    "GRU": "grukit.nn",
    "GRUCell": "grukit.nn",
    "GRUConfig": "grukit.tasks",
    "GRUStreamer": "grukit.nn",
    "TrainConfig": "grukit.train",
    "baselines": "grukit.baselines",
    "data": "grukit.data",
    "interop": "grukit.interop",
    "load": "grukit.tasks",
    "metrics": "grukit.metrics",
    "reference": "grukit.reference",
    "report": "grukit.report",
    "runtime": "grukit.runtime",
    "train": "grukit.train",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'grukit' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if module_name == f"grukit.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
