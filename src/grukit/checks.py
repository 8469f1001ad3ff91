"""Argument checks, one set for all of grukit: clear one-line errors naming argument and value.

Every layer (``nn``, ``tasks``, the configs, ``data``, the command line) checks scalars through
these functions, so an argument is refused with the same words wherever it is given, and values
read from TOML or JSON go through the same rules: a float or a bool where an integer is expected
is refused, never truncated (``epochs = 3.0`` is an error, as is ``hidden_size = true``). The
module imports only the standard library and NumPy (for NumPy scalar types), never PyTorch.

Each check returns the value normalised (``int``, ``float``, ``bool``) and raises ``error``
(``ValueError`` unless a caller passes its own subclass, e.g. ``GrukitDataError``) with the
message ``"`name` must be <what>, got <value>"``.

>>> from grukit import checks
>>> checks.positive_int("hidden_size", 64)
64
>>> checks.positive_int("epochs", 3.0)
Traceback (most recent call last):
...
ValueError: `epochs` must be a positive integer, got 3.0
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "choice",
    "config_keys",
    "constructor_arguments",
    "flag",
    "integer",
    "is_integer",
    "is_number",
    "non_negative_int",
    "number",
    "positive_int",
    "probability",
]

T = TypeVar("T")


def _fail(error: type[Exception], name: str, expected: str, value: object) -> Exception:
    return error(f"`{name}` must be {expected}, got {value!r}")


def is_integer(value: object) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_number(value: object) -> bool:
    """Whether ``value`` is a finite real number (Python or NumPy), and not a bool."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_))
        and math.isfinite(float(value))
    )


def integer(
    name: str,
    value: object,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    error: type[Exception] = ValueError,
) -> int:
    """``value`` as an ``int`` in [``minimum``, ``maximum``] (either bound optional)."""
    if (
        not is_integer(value)
        or (minimum is not None and value < minimum)  # type: ignore[operator]
        or (maximum is not None and value > maximum)  # type: ignore[operator]
    ):
        if minimum == 1 and maximum is None:
            expected = "a positive integer"
        elif minimum == 0 and maximum is None:
            expected = "an integer >= 0"
        elif minimum is not None and maximum is not None:
            expected = f"an integer in [{minimum}, {maximum}]"
        elif minimum is not None:
            expected = f"an integer >= {minimum}"
        elif maximum is not None:
            expected = f"an integer <= {maximum}"
        else:
            expected = "an integer"
        raise _fail(error, name, expected, value)
    return int(value)  # type: ignore[call-overload]


def positive_int(
    name: str, value: object, *, minimum: int = 1, error: type[Exception] = ValueError
) -> int:
    """``value`` as an ``int`` >= ``minimum`` (default 1: "a positive integer")."""
    return integer(name, value, minimum=minimum, error=error)


def non_negative_int(name: str, value: object, *, error: type[Exception] = ValueError) -> int:
    """``value`` as an ``int`` >= 0."""
    return integer(name, value, minimum=0, error=error)


def number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    error: type[Exception] = ValueError,
) -> float:
    """``value`` as a finite ``float`` within the bounds (closed unless ``*_open``).

    Integers are accepted (``1`` for ``1.0``); bools, strings, NaN and infinities are not.
    """
    ok = is_number(value)
    if ok:
        x = float(value)  # type: ignore[arg-type]
        if low is not None and (x < low or (low_open and x == low)):
            ok = False
        if high is not None and (x > high or (high_open and x == high)):
            ok = False
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        if low is not None and high is not None:
            expected = f"a number in {left}{low:g}, {high:g}{right}"
        elif low is not None:
            expected = f"a finite number {'>' if low_open else '>='} {low:g}"
        elif high is not None:
            expected = f"a finite number {'<' if high_open else '<='} {high:g}"
        else:
            expected = "a finite number"
        raise _fail(error, name, expected, value)
    return float(value)  # type: ignore[arg-type]


def probability(name: str, value: object, *, error: type[Exception] = ValueError) -> float:
    """``value`` as a ``float`` in [0, 1) (a dropout or zoneout rate)."""
    if not is_number(value) or not 0.0 <= float(value) < 1.0:  # type: ignore[arg-type]
        raise _fail(error, name, "a probability in [0, 1)", value)
    return float(value)  # type: ignore[arg-type]


def flag(name: str, value: object, *, error: type[Exception] = ValueError) -> bool:
    """``value`` as a ``bool``: ``True``/``False`` (or NumPy's), never 0/1 or a string."""
    if not isinstance(value, (bool, np.bool_)):
        raise _fail(error, name, "True or False", value)
    return bool(value)


def strings(name: str, values: object, *, error: type[Exception] = ValueError) -> list[str]:
    """``values`` (a list or tuple of str, not one str) as a list, or one error naming the first
    item that is not a str."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise error(f"`{name}` must be a list of str, got {type(values).__name__}")
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise error(
                f"`{name}[{index}]` must be a str, got {type(value).__name__} {value!r:.60}"
            )
    return list(values)


def choice(
    name: str, value: T, options: Iterable[Any], *, error: type[Exception] = ValueError
) -> T:
    """``value`` if it is one of ``options`` (compared with ``==``, same type), else an error."""
    options = tuple(options)
    if not any(_same_kind(value, option) and value == option for option in options):
        listed = ", ".join(repr(option) for option in options)
        raise _fail(error, name, f"one of {listed}", value)
    return value


def _same_kind(value: object, option: object) -> bool:
    # 1 is not True and "1" is not 1; NumPy strings count as strings
    if isinstance(value, str) and isinstance(option, str):
        return True
    return type(value) is type(option)


def constructor_arguments(cls: type) -> list[str]:
    """Names of the arguments of ``cls.__init__`` after ``self``, in order."""
    return list(inspect.signature(cls.__init__).parameters)[1:]


def config_keys(
    config: object, allowed: Iterable[str], owner: str, *, error: type[Exception] = ValueError
) -> dict[str, Any]:
    """``config`` as a dict, after checking it is a mapping whose keys ``owner`` takes."""
    if not isinstance(config, Mapping):
        raise error(f"`config` must be a mapping, got {type(config).__name__}")
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise error(f"`config` has keys that {owner} does not take: {unknown}")
    return dict(config)
