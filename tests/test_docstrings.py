"""Every ``>>>`` example in the package's docstrings runs and prints what it says.

This is the one place where doctests run (pytest's ``--doctest-modules`` is not used, and no
other test calls ``doctest``), so each example runs exactly once per test run. The modules are
found by reading the source files, not by importing the package, so that a module that fails
to import fails its test here instead of being skipped.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "grukit"


def modules_with_examples() -> list[str]:
    """Dotted names of the modules under src/grukit whose source holds a ``>>>`` example."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_examples_come_from_the_tested_source_tree():
    import grukit

    assert Path(grukit.__file__).resolve().parent == PACKAGE
    expected = {
        "grukit",
        "grukit.checks",
        "grukit.nn.cell",
        "grukit.nn.gru",
        "grukit.reference.sequence",
    }
    assert expected <= set(modules_with_examples())


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    found = doctest.DocTestFinder().find(module)
    assert any(test.examples for test in found), f"the `>>>` in {name} is in no docstring"
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
