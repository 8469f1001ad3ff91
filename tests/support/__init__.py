"""Plain code shared by the test modules: data builders, a tiny model, a reference GRU stack.

Nothing here is a fixture or a test; see tests/conftest.py for the rule that decides what lives
here and what is a fixture. Test modules import it as ``from support.series import ...``: the
``pythonpath = ["tests"]`` option of pytest (pyproject.toml) puts the tests directory on the
import path, and :data:`IMPORT_ROOT` is that directory for a subprocess that must import the
same code.
"""

from __future__ import annotations

from pathlib import Path

#: the directory to put on ``PYTHONPATH`` so that ``import support`` works as in the tests
IMPORT_ROOT = Path(__file__).resolve().parents[1]
