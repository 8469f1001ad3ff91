"""grukit's import graph, read from the source with ``ast`` (nothing is imported).

Every import counts: at module level, inside functions, and the lazy tables that package
``__init__`` files pass to ``grukit._lazy.lazy_exports``, so that a cycle hidden in a function
body is seen as well as one at module level.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SOURCE / "grukit"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(encoding="utf-8"))


def is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _resolve(importer: str, module: str | None, level: int) -> str:
    if not level:
        return module or ""
    base = importer.split(".")
    if not is_package(importer):
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def lazy_targets(tree: ast.Module) -> list[str]:
    """Module names in the tables passed to ``lazy_exports`` (a package's lazy imports)."""
    targets = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_exports":
            tables = [*node.args[1:], *(keyword.value for keyword in node.keywords)]
            for table in tables:
                if isinstance(table, ast.Dict):
                    targets += [v.value for v in table.values if isinstance(v, ast.Constant)]
    return targets


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """Module -> the grukit modules it imports (anywhere in its body)."""
    known = modules()
    graph = {}
    for name in known:
        targets = set()
        for node in ast.walk(tree(name)):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(name, node.module, node.level)
                for alias in node.names:  # `from grukit import metrics` imports a module
                    submodule = f"{source}.{alias.name}"
                    targets.add(submodule if submodule in known else source)
        targets |= set(lazy_targets(tree(name)))
        graph[name] = frozenset(t for t in targets if t in known and t != name)
    return graph


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
