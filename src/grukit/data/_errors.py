"""The one exception type of the data layer."""

from __future__ import annotations

__all__ = ["GrukitDataError"]


class GrukitDataError(ValueError):
    """Bad input data: a missing file, an unknown column, a non-numeric value, too few rows.

    The message is always one line that names what was expected and what was given, so a command
    line can print ``str(error)`` instead of a traceback. It subclasses :class:`ValueError`, so
    ``except ValueError`` also catches it.
    """
