"""The shape of the package: one-way imports between layers, no cycles, small modules.

The import graph comes from ``support.import_graph`` (read from the source with ``ast``, imports
inside functions and the lazy tables of the package faces included), so a cycle hidden in a
function body fails here as well as one at module level. The layers are listed
lowest first, as drawn in ``docs/architecture.md``; a module may import its own layer and the
layers below, never one above.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types

import pytest

from support.import_graph import (
    SOURCE,
    cycles,
    import_graph,
    is_package,
    layer,
    lazy_targets,
    modules,
    tree,
)

#: grukit's layers, lowest first: a module may import only its own layer and those below.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "_version",
        "_lazy",
        "checks",
        "io",
        "tensor_files",
        "reference",
        "runtime",
        "metrics",
        "baselines",
    ),
    ("engines",),
    ("interop",),
    ("nn",),
    ("data", "text", "train"),
    ("tasks",),
    ("report",),
    ("cli",),
    ("__init__", "__main__"),  # the package face and `python -m grukit`
)
LAYER_OF = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}

MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80  # docstring not counted
NUMBA_DECORATORS = ("njit", "jit", "cfunc", "vectorize", "guvectorize", "intrinsic", "overload")


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "grukit.nn.gru" in graph["grukit.tasks.networks"] or any(
        target.startswith("grukit.nn") for target in graph["grukit.tasks.networks"]
    )
    assert "grukit.nn.gru" in graph["grukit.nn"]  # through the lazy table


def _describe(found: list[list[str]]) -> str:
    return "import cycles: " + "; ".join(" <-> ".join(cycle) for cycle in found)


def test_no_import_cycle_between_modules() -> None:
    found = cycles(dict(import_graph()))
    assert not found, _describe(found)


def test_no_import_cycle_between_layers() -> None:
    layers: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        layers.setdefault(layer(module), set()).update(
            layer(t) for t in targets if layer(t) != layer(module)
        )
    found = cycles({k: frozenset(v) for k, v in layers.items()})
    assert not found, _describe(found)


def _documented_graph() -> dict[str, set[str]]:
    text = (SOURCE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- import-graph -->", 1)[1].split("<!-- /import-graph -->", 1)[0]
    graph = {}
    for line in block.strip().strip("`").strip().splitlines():
        source, _, targets = line.partition("->")
        graph[source.strip()] = {t.strip() for t in targets.split(",") if t.strip()}
    return graph


def test_the_architecture_document_draws_the_real_graph() -> None:
    """docs/architecture.md's package graph (``_lazy`` left out) is the code's."""
    real: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        edges = real.setdefault(layer(module), set())
        edges |= {layer(t) for t in targets if layer(t) not in (layer(module), "_lazy")}
    real = {name: edges for name, edges in real.items() if edges or name in _documented_graph()}
    assert _documented_graph() == real


def test_every_layer_is_placed() -> None:
    unplaced = sorted({layer(m) for m in import_graph()} - set(LAYER_OF))
    assert unplaced == [], f"add {unplaced} to LAYERS (and to docs/architecture.md)"


def test_imports_point_down() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if LAYER_OF.get(layer(target), -1) > LAYER_OF.get(layer(module), -1)
    ]
    assert not upward, "imports into a higher layer: " + "; ".join(upward)


def test_torch_free_modules_import_without_torch() -> None:
    code = (
        "import sys\n"
        "import grukit, grukit.checks, grukit.reference, grukit.interop._layout\n"
        "import grukit.train.config, grukit.tasks.config, grukit.data, grukit.text.tokens\n"
        "import grukit.text.vocabulary, grukit.text.batches, grukit.text.vectors\n"
        "import grukit.text.imdb, grukit.text.conll, grukit.text.transitions\n"
        "import grukit.reference.crf, grukit.data.music, grukit.metrics.generation\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)[:5]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_python_dash_m_grukit_shows_the_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "grukit", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and "train" in result.stdout


@pytest.mark.parametrize("package", sorted(m for m in modules() if is_package(m)))
def test_package_faces_export_what_they_list(package: str) -> None:
    """Every name in a lazy face resolves, and to the object, not a same-named submodule."""
    face = importlib.import_module(package)
    submodules = set(lazy_targets(tree(package)))
    for name in getattr(face, "__all__", ()):
        value = getattr(face, name)
        if isinstance(value, types.ModuleType):
            assert value.__name__ in submodules, f"{package}.{name} is a module by accident"


def _function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
    first = node.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if docstring and isinstance(first.value.value, str):  # type: ignore[attr-defined]
        lines -= first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return lines


def _is_kernel(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        any(word in ast.unparse(decorator) for word in NUMBA_DECORATORS)
        for decorator in node.decorator_list
    )


def test_modules_are_small() -> None:
    large = {
        name: count
        for name, path in modules().items()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not large, f"modules over {MAX_MODULE_LINES} lines: {large}"


def test_functions_are_short() -> None:
    long = {}
    for name in modules():
        for node in ast.walk(tree(name)):
            function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if function and not _is_kernel(node) and _function_lines(node) > MAX_FUNCTION_LINES:
                long[f"{name}.{node.name}"] = _function_lines(node)
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
