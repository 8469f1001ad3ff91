"""Engines: implementations of one GRU layer-direction behind one function signature.

Every engine module exposes

.. code-block:: python

    output, h_n = gru_layer(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, *,
                            reset_after, lengths=None, reverse=False,
                            norm_weight_ih=None, norm_weight_hh=None,
                            recurrent_mask=None, zoneout_keep=None)

with ``x`` (B, T, I) batch-first, ``h0`` (B, H), ``output`` (B, T, H) and ``h_n`` (B, H) (see
``docs/architecture.md``). An engine that cannot serve a configuration raises
``NotImplementedError`` naming the option. It may also expose ``unsupported_reason(**options)``,
which returns that reason (a string) or ``None`` without running anything, so that a layer can
pick an engine before it runs. The ``native`` engine additionally runs whole stacks
(``gru_stack``) with PyTorch's own kernels.

Engines are imported lazily: ``get_engine("fused")`` imports numba only when asked for.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from grukit import checks

#: The engine names (``"auto"`` is not an engine: ``grukit.GRU`` resolves it to one of these).
ENGINES: tuple[str, ...] = ("torch", "native", "fused")

_MODULES: dict[str, str] = {
    "torch": "grukit.engines.torch_loop",
    "native": "grukit.engines.native",
    "fused": "grukit.engines.fused",
}


def get_engine(name: str) -> ModuleType:
    """Return the engine module called ``name`` (one of :data:`ENGINES`).

    Raises
    ------
    ValueError
        ``name`` is not a known engine, or the engine's module cannot be imported (for example
        the compiled ``fused`` engine before it is installed).
    """
    checks.choice("engine", name, ENGINES)
    module_name = _MODULES[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        # Only "the engine itself is missing" becomes a ValueError; a broken import inside an
        # existing engine module must surface as it is.
        if error.name is not None and module_name.startswith(error.name):
            raise ValueError(
                f"engine {name!r} is not available: module {module_name} cannot be imported"
            ) from error
        raise
    if not hasattr(module, "gru_layer"):
        raise ValueError(f"engine {name!r} is not available: {module_name} has no gru_layer")
    return module


def unsupported_reason(engine: ModuleType, **options: object) -> str | None:
    """Why ``engine`` cannot serve the configuration ``options``, or ``None`` if it can.

    ``options`` are keyword arguments such as ``reset_after``, ``layer_norm``,
    ``recurrent_dropout``, ``zoneout``; an engine without ``unsupported_reason`` is assumed to
    serve everything (and may still raise ``NotImplementedError`` when run).
    """
    check = getattr(engine, "unsupported_reason", None)
    return None if check is None else check(**options)


__all__ = ["ENGINES", "get_engine", "unsupported_reason"]
