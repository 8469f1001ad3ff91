"""Exact weight interop: PyTorch (``nn.GRU``, ``nn.GRUCell``) and Keras 3 (files or live layers).

Every conversion is exact (weights are copied and reordered, never approximated) or refused with
an error naming the setting that has no equivalent. Reading Keras files needs only ``h5py``; a live
Keras object imports ``keras`` lazily. See ``docs/interop.md`` for the layout tables.

This package sits below ``grukit.nn`` and never imports it: a function that builds a grukit
module takes the class as ``factory`` (``grukit.GRU.from_torch`` and ``from_keras``,
``grukit.GRUCell.from_torch`` are those calls), and a grukit module is read through its public
attributes and parameters.

>>> import torch, grukit
>>> from grukit.interop import to_torch
>>> torch_gru = torch.nn.GRU(3, 4, batch_first=True)
>>> back = to_torch(grukit.GRU.from_torch(torch_gru))
>>> all(torch.equal(a, b) for a, b in zip(torch_gru.parameters(), back.parameters()))
True
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "build": "grukit.interop._modules",
        "cell_from_torch": "grukit.interop.pytorch",
        "cell_to_torch": "grukit.interop.pytorch",
        "from_keras": "grukit.interop.keras",
        "from_torch": "grukit.interop.pytorch",
        "load_keras": "grukit.interop.keras",
        "to_keras_weights": "grukit.interop.keras",
        "to_torch": "grukit.interop.pytorch",
    },
)
