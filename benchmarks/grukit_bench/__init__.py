"""Benchmarks of grukit against ``torch.nn.GRU``/``GRUCell``, ONNX Runtime and Keras.

Not part of the library: installed beside it from a grukit checkout (``pip install -e benchmarks``,
done by ``make bench`` and ``make test``); ``grukit bench`` imports it when it is there.

Entry points (importing this package is cheap: PyTorch loads only in the worker processes):

- ``grukit_bench.main(argv)``: the command line (``grukit bench``, ``python -m grukit_bench``);
  returns the exit code. ``main(["--help"])`` lists the options.
- ``grukit_bench.run(options)``: run a benchmark described by :class:`grukit_bench.Options`;
  returns the result document (also written as JSON) and prints the tables.
- ``grukit_bench.render_markdown(document)`` / ``python -m grukit_bench.report results.json``:
  the tables of a result as Markdown (for ``docs/performance.md``).

Modules: :mod:`~grukit_bench.config` (grid, sides, method), :mod:`~grukit_bench.stats` (timing),
:mod:`~grukit_bench.data` (deterministic weights and inputs), :mod:`~grukit_bench.runner` (the
worker loop), :mod:`~grukit_bench.peers` / :mod:`~grukit_bench.grukit_sides` /
:mod:`~grukit_bench.keras_worker` (the sides), :mod:`~grukit_bench.harness` (processes, checks,
JSON), :mod:`~grukit_bench.targets` and :mod:`~grukit_bench.report` (targets, tables).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Options", "main", "render_markdown", "run"]

_LAZY = {
    "Options": "grukit_bench.harness",
    "run": "grukit_bench.harness",
    "main": "grukit_bench.command",
    "render_markdown": "grukit_bench.report",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'grukit_bench' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
