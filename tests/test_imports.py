"""The package's import graph has no cycles.

A cycle means two modules each need the other to load: neither can be read,
tested or moved on its own, and the order Python happens to import them in
decides whether a name exists yet. The graph is built from the source with
`ast`, so it sees every module whether or not a test imports it.

Two graphs are checked, each must have 0 cycles:
- module-level imports (including those under `if TYPE_CHECKING:`, since mypy
  follows them and they still tie the two modules together), no exceptions;
- every import, also those inside function bodies (a deferred import that
  closes a loop is the same circle, only hidden), except a package
  `__init__`'s deferred imports of its own submodules: the engine registry
  imports an engine's module only when building it, so offline runs never
  load a client library, and a submodule always loads its package first anyway.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "pipeline"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imports(tree: ast.Module, deferred: bool) -> list[ast.Import | ast.ImportFrom]:
    """Import statements outside any function body (classes and `if` blocks included);
    with `deferred`, those inside function bodies too."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if not deferred and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The package modules one import statement loads (a submodule if it names one)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        source = _absolute(module, path.name == "__init__.py", node)
        names = [f"{source}.{alias.name}" for alias in node.names] + [source]
    found: set[str] = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def import_graph(deferred: bool = False) -> dict[str, set[str]]:
    """Module → the package modules it imports; `deferred`: also inside functions, but
    not a package's imports of its own submodules (see the module docstring)."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in _imports(tree, deferred):
            edges |= _targets(module, path, node, known)
        if deferred and path.name == "__init__.py":
            edges = {target for target in edges if not target.startswith(f"{module}.")}
        graph[module] = edges
    return graph


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
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
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            on_stack.difference_update(component)
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One concrete loop through a component's first module, for the failure message."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                return paths[node] + [start]
            if target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    return component


def test_graph_sees_the_package() -> None:
    """The walker finds real edges, so an empty cycle list means something."""
    graph = import_graph()
    assert "pipeline.engines.deepl" in graph
    assert "pipeline.errors" in graph["pipeline.config"]
    assert "pipeline.engines" in graph["pipeline.engines.deepl"]
    assert "pipeline.engines.deepl" not in graph["pipeline.engines"]  # built lazily, inside a function
    assert "pipeline.engines.openai_config" in import_graph(deferred=True)["pipeline.engines.openai"]


def test_deferred_imports_are_told_apart() -> None:
    """An import inside a function counts only in the deferred graph; one under `if` always."""
    tree = ast.parse("if TYPE_CHECKING:\n    import a\ndef f():\n    import b\nclass C:\n    import c\n")
    names = {alias.name for node in _imports(tree, deferred=False) for alias in node.names}
    assert names == {"a", "c"}
    assert {alias.name for node in _imports(tree, deferred=True) for alias in node.names} == {"a", "b", "c"}


def test_finds_a_cycle() -> None:
    """The cycle finder reports a loop when there is one."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _components(graph) == [["a", "b", "c"]]
    assert _cycle_in(["a", "b", "c"], graph) == ["a", "b", "c", "a"]


def _report(graph: dict[str, set[str]]) -> list[str]:
    return [f"{' -> '.join(_cycle_in(component, graph))}  (component: {', '.join(component)})" for component in _components(graph)]


def test_no_import_cycles() -> None:
    cycles = _report(import_graph())
    assert not cycles, f"{len(cycles)} import cycle(s) among module-level imports:\n  " + "\n  ".join(cycles)


def test_no_import_cycles_through_deferred_imports() -> None:
    cycles = _report(import_graph(deferred=True))
    assert not cycles, f"{len(cycles)} import cycle(s) counting imports inside functions:\n  " + "\n  ".join(cycles)
