"""The one import policy of grukit's package ``__init__`` files: public names load lazily.

A package ``__init__`` lists its public names and the module that defines each, and imports
nothing at import time, so ``import grukit`` and ``grukit --help`` stay quick and a torch-free
module (``grukit.reference``, ``grukit.interop._layout``, the configs) is imported without
PyTorch even when its package re-exports PyTorch modules::

    from grukit._lazy import lazy_exports

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"GRU": "grukit.nn.gru"})

Submodules offered as attributes (``grukit.data``) go in ``modules``. The first access imports
the module and caches the value in the package's namespace.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], *, modules: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for the package called ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name -> the module (absolute name) that defines it.
    modules : mapping of str to str, optional
        Public name -> a module offered as that attribute (``{"data": "grukit.data"}``).
    """
    table = dict(exports)
    submodules = dict(modules or {})
    overlap = sorted(set(table) & set(submodules))
    if overlap:
        raise ValueError(f"{package}: {overlap} listed both as names and as modules")
    names = sorted([*table, *submodules])

    def __getattr__(name: str) -> Any:
        if name in submodules:
            value = importlib.import_module(submodules[name])
        elif name in table:
            value = getattr(importlib.import_module(table[name]), name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__, names
