"""No import cycles between robofuel's modules (issue 15): a cycle makes import order matter and hides layering.

The graph is built from the source with ``ast``: an edge for every import a module runs, at import time or later
(an import inside a function that would close a cycle is the same cycle, deferred), relative imports resolved,
``from package import name`` pointing at the submodule when ``name`` is one. Imports under ``if TYPE_CHECKING`` do
not run and are left out. Importing ``a.b.c`` is an edge to ``a.b.c`` only, not to the packages above it: a package
``__init__`` that imports its own submodules is no cycle unless one of them imports a name from that ``__init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import robofuel

SRC = Path(robofuel.__file__).parent

#: Cycles another change is removing, named exactly: the test is an expected failure while they are there, and fails
#: on any other cycle (and on these, should they grow).
BEING_FIXED: dict[frozenset[str], str] = {
    frozenset({"robofuel.export.base", "robofuel.export.embodiment"}): "the exporter template work (issue 15)",
}


def modules(root: Path = SRC) -> dict[str, Path]:
    """Every module under ``root`` by dotted name (a package by its ``__init__.py``)."""
    found = {}
    for file in sorted(root.rglob("*.py")):
        parts = list(file.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = file
    return found


def _imports(nodes: Iterable[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``nodes`` and below that can run: all but those under ``if TYPE_CHECKING``."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _imports(node.orelse)
        else:
            yield from _imports(ast.iter_child_nodes(node))


def _targets(node: ast.Import | ast.ImportFrom, name: str, is_package: bool, known: set[str]) -> Iterator[str]:
    """The modules of ``known`` that one import statement of module ``name`` imports."""
    if isinstance(node, ast.Import):
        yield from (a.name for a in node.names if a.name in known)
        return
    base = node.module or ""
    if node.level:
        package = name.split(".") if is_package else name.split(".")[:-1]
        anchor = package[: len(package) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in known:
            yield sub
        elif base in known:
            yield base


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (now or in a function)."""
    found = modules(root)
    known = set(found)
    graph: dict[str, set[str]] = {}
    for name, file in found.items():
        tree = ast.parse(file.read_text(), str(file))
        is_package = file.name == "__init__.py"
        edges = {t for node in _imports([tree]) for t in _targets(node, name, is_package, known)}
        graph[name] = edges - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan), each a set of modules on a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def one_path(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A closed path through ``component`` from its first module back to it, for the message."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        v = frontier.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                frontier.append(w)
    raise AssertionError(f"{component} is no cycle")


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    found = cycles(graph)
    unexpected = [c for c in found if frozenset(c) not in BEING_FIXED]
    assert not unexpected, "import cycles:\n" + "\n".join(" -> ".join(one_path(graph, c)) for c in unexpected)
    if found:
        pytest.xfail("; ".join(f"{' <-> '.join(sorted(c))}: {BEING_FIXED[frozenset(c)]}" for c in found))


def test_the_graph_sees_relative_lazy_conditional_and_package_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.sub import b\n")
    (pkg / "a.py").write_text("if TYPE_CHECKING:\n    from pkg import c\nelse:\n    import pkg.sub\n")
    (pkg / "c.py").write_text(
        "def f():\n    from pkg.sub import b\ntry:\n    from . import a\nexcept ImportError:\n    pass\n"
    )
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from ..a import x\nfrom . import b\nimport os\n")
    graph = import_graph(pkg)
    assert graph == {
        "pkg": {"pkg.sub.b"},
        "pkg.a": {"pkg.sub"},
        "pkg.c": {"pkg.a", "pkg.sub.b"},
        "pkg.sub": set(),
        "pkg.sub.b": {"pkg.a"},
    }
    assert cycles(graph) == []
    (pkg / "a.py").write_text("import pkg.c\n")
    graph = import_graph(pkg)
    (component,) = cycles(graph)
    assert component == {"pkg.a", "pkg.c", "pkg.sub.b"}
    assert one_path(graph, component) == ["pkg.a", "pkg.c", "pkg.a"]
