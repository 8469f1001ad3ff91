"""Call one compiled numba overload without numba's dispatcher.

A call through a numba dispatcher first types every argument and looks the signature up among
the compiled overloads (about 0.1 us per array argument), then calls the overload's CPython
wrapper, which unboxes the arguments and runs the machine code. At a microsecond per streaming
step that lookup is a fifth of the time. :func:`bind` returns a builtin function that calls the
wrapper of ONE overload directly (a ``PyCFunction`` over the wrapper's address, the way numba's
own dispatcher calls it), measured 0.15-0.3 us faster per call with three arrays.

The price: the wrapper trusts that each argument has the overload's type. An array of another
dtype, number of dimensions or layout is read as if it had the expected one (wrong results or
a crash), so callers must check ``type``, ``dtype``, ``ndim`` and C-contiguity themselves
before every call (``GRUStreamer`` does). When numba's internals differ from what this module
expects, :func:`bind` returns the dispatcher itself: slower, never wrong.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

_METH_VARARGS_KEYWORDS = 0x0001 | 0x0002


class _MethodDef(ctypes.Structure):
    _fields_ = [
        ("ml_name", ctypes.c_char_p),
        ("ml_meth", ctypes.c_void_p),
        ("ml_flags", ctypes.c_int),
        ("ml_doc", ctypes.c_char_p),
    ]


class _Holder:
    """Keeps the method definition and the compiled overload (its environment) alive."""

    __slots__ = ("method", "overload", "name")

    def __init__(self, method: _MethodDef, overload: Any, name: bytes) -> None:
        self.method, self.overload, self.name = method, overload, name


_new_function = ctypes.pythonapi.PyCFunction_NewEx
_new_function.restype = ctypes.py_object
_new_function.argtypes = [ctypes.POINTER(_MethodDef), ctypes.py_object, ctypes.py_object]


def bind(dispatcher: Any, *example_args: Any) -> Callable[..., Any]:
    """A function calling ``dispatcher``'s overload for the types of ``example_args`` directly.

    The overload is compiled (or loaded from numba's cache) if needed. Falls back to returning
    ``dispatcher`` when the overload or its CPython wrapper cannot be found.
    """
    fallback: Callable[..., Any] = dispatcher
    try:
        signature = tuple(dispatcher.typeof_pyval(arg) for arg in example_args)
        overload = dispatcher.overloads.get(signature)
        if overload is None:
            dispatcher.compile(signature)
            overload = dispatcher.overloads[signature]
        address = overload.library.get_pointer_to_function(
            overload.fndesc.llvm_cpython_wrapper_name
        )
    except (AttributeError, KeyError, TypeError):  # pragma: no cover - other numba internals
        return fallback
    if not address:  # pragma: no cover - other numba internals
        return fallback
    name = dispatcher.py_func.__name__.encode()
    method = _MethodDef(name, address, _METH_VARARGS_KEYWORDS, None)
    holder = _Holder(method, overload, name)
    direct: Callable[..., Any] = _new_function(ctypes.byref(method), holder, None)
    return direct
