"""Gate nonlinearities for the numba kernels, specialised per float type.

``float32``: a branch-free rational approximation of ``tanh`` (Eigen's
``generic_fast_tanh_float``: an odd degree-13 polynomial over an even degree-6 one on the input
clamped to [-7.905, 7.905]), so that LLVM vectorises the gate loops; no libm call, no ``float64``
constant (a Python float literal would silently promote the whole expression to ``float64``).
Relative error about 1e-7, i.e. a few float32 ulps. ``sigmoid(x) = 0.5 * tanh(0.5 x) + 0.5``
(absolute error below 2e-7, saturating to exactly 0 or 1 for |x| > 15.8).

``float64``: libm ``tanh`` and ``1 / (1 + exp(-x))``, exact to rounding, for parity tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import overload

_F = np.float32
_CLAMP = _F(7.90531110763549805)
_A1 = _F(4.89352455891786e-03)
_A3 = _F(6.37261928875436e-04)
_A5 = _F(1.48572235717979e-05)
_A7 = _F(5.12229709037114e-08)
_A9 = _F(-8.60467152213735e-11)
_A11 = _F(2.00018790482477e-13)
_A13 = _F(-2.76076847742355e-16)
_B0 = _F(4.89352518554385e-03)
_B2 = _F(2.26843463243900e-03)
_B4 = _F(1.18534705686654e-04)
_B6 = _F(1.19825839466702e-06)
_HALF = _F(0.5)


def fast_tanh(x: float) -> float:  # pragma: no cover - replaced by the overload inside numba
    """``tanh`` for use inside numba kernels (see module docstring)."""
    raise NotImplementedError("fast_tanh is only callable from numba-compiled code")


def fast_sigmoid(x: float) -> float:  # pragma: no cover - replaced by the overload inside numba
    """``sigmoid`` for use inside numba kernels (see module docstring)."""
    raise NotImplementedError("fast_sigmoid is only callable from numba-compiled code")


def _tanh32(x):
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = _A13 * x2 + _A11
    p = p * x2 + _A9
    p = p * x2 + _A7
    p = p * x2 + _A5
    p = p * x2 + _A3
    p = p * x2 + _A1
    p = p * x
    q = _B6 * x2 + _B4
    q = q * x2 + _B2
    q = q * x2 + _B0
    return p / q


_tanh32_jit = njit(inline="always", fastmath=True, error_model="numpy")(_tanh32)


@overload(fast_tanh, inline="always")
def _fast_tanh_overload(x) -> Callable[[Any], Any] | None:
    if x == types.float32:
        return _tanh32
    if isinstance(x, types.Float):
        return lambda x: np.tanh(x)
    return None


@overload(fast_sigmoid, inline="always")
def _fast_sigmoid_overload(x) -> Callable[[Any], Any] | None:
    if x == types.float32:

        def sigmoid32(x):
            return _HALF * _tanh32_jit(_HALF * x) + _HALF

        return sigmoid32
    if isinstance(x, types.Float):
        return lambda x: 1.0 / (1.0 + np.exp(-x))
    return None
