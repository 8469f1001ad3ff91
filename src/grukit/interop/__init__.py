"""Exact weight interop: PyTorch (``nn.GRU``, ``nn.GRUCell``) and Keras 3 (files or live layers).

Every conversion is exact (weights are copied and reordered, never approximated) or refused with
an error naming the setting that has no equivalent. Reading Keras files needs only ``h5py``; a live
Keras object imports ``keras`` lazily. See ``docs/interop.md`` for the layout tables.

>>> import torch
>>> from grukit.interop import from_torch, to_torch
>>> torch_gru = torch.nn.GRU(3, 4, batch_first=True)
>>> back = to_torch(from_torch(torch_gru))
>>> all(torch.equal(a, b) for a, b in zip(torch_gru.parameters(), back.parameters()))
True
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "cell_from_torch": "grukit.interop.pytorch",
        "cell_to_torch": "grukit.interop.pytorch",
        "from_keras": "grukit.interop.keras",
        "from_torch": "grukit.interop.pytorch",
        "load_keras": "grukit.interop.keras",
        "to_keras_weights": "grukit.interop.keras",
        "to_torch": "grukit.interop.pytorch",
    },
)
