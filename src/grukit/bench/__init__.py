"""Benchmarks of grukit against ``torch.nn.GRU``/``GRUCell``, ONNX Runtime and Keras.

Entry points (importing this package is cheap: PyTorch loads only in the worker processes):

- ``grukit.bench.main(argv)``: the command line (``grukit bench``, ``python -m grukit.bench``);
  returns the exit code. ``main(["--help"])`` lists the options.
- ``grukit.bench.run(options)``: run a benchmark described by :class:`grukit.bench.Options`;
  returns the result document (also written as JSON) and prints the tables.
- ``grukit.bench.render_markdown(document)`` / ``python -m grukit.bench.report results.json``:
  the tables of a result as Markdown (for ``docs/performance.md``).

Modules: :mod:`~grukit.bench.config` (grid, sides, method), :mod:`~grukit.bench.stats` (timing),
:mod:`~grukit.bench.data` (deterministic weights and inputs), :mod:`~grukit.bench.runner` (the
worker loop), :mod:`~grukit.bench.peers` / :mod:`~grukit.bench.grukit_sides` /
:mod:`~grukit.bench.keras_worker` (the sides), :mod:`~grukit.bench.harness` (processes, checks,
JSON), :mod:`~grukit.bench.targets` and :mod:`~grukit.bench.report` (targets, tables).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Options", "main", "render_markdown", "run"]

_LAZY = {
    "Options": "grukit.bench.harness",
    "run": "grukit.bench.harness",
    "main": "grukit.bench.command",
    "render_markdown": "grukit.bench.report",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'grukit.bench' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
