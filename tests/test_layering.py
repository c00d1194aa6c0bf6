"""Import direction between robofuel's layers, read from the source with ``ast`` (nothing is imported).

- The sample generator (``robofuel.generate``) builds on production code, never the reverse: no module outside
  ``robofuel/generate/`` imports it, except :data:`GENERATOR_USERS` (the ``demo`` command generates its sample
  recordings by design).
- Spatial maths (``robofuel.spatial``) depends on numpy and the standard library only, so every layer may use it.
- Steps (``robofuel.steps``) are pure: they import neither the lake, the catalog nor the engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import robofuel

PACKAGE = Path(robofuel.__file__).parent
GENERATOR_USERS = {"robofuel.demo"}
STEP_FREE_OF = ("robofuel.lake", "robofuel.catalog", "robofuel.engine")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module the source of ``module`` imports (absolute names, relative imports resolved), at any depth."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _file_imports(path: Path) -> set[str]:
    return _imports(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py")


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_relative_imports_are_resolved() -> None:
    """The checker itself: relative imports in a module and in a package's ``__init__``, imports inside functions."""
    source = "from ..generate import urdf\nfrom . import qc\ndef f():\n    from .qc.rules import x\n"
    got = _imports(source, "robofuel.steps.foo")
    assert {"robofuel.generate", "robofuel.generate.urdf", "robofuel.steps.qc", "robofuel.steps.qc.rules"} <= got
    assert "robofuel.steps.qc.rules" in _imports("from .rules import x\n", "robofuel.steps.qc", is_package=True)
    assert _module_name(PACKAGE / "steps" / "qc" / "__init__.py") == "robofuel.steps.qc"


def test_production_code_does_not_import_the_generator() -> None:
    offenders = {
        name: sorted(i for i in _file_imports(path) if _is_under(i, "robofuel.generate"))
        for name, path in _modules().items()
        if not _is_under(name, "robofuel.generate") and name not in GENERATOR_USERS
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    modules = _modules()
    for name in GENERATOR_USERS:  # the exception list stays true: each one does use the generator
        assert any(_is_under(i, "robofuel.generate") for i in _file_imports(modules[name])), name


def test_spatial_maths_depends_on_numpy_only() -> None:
    for name, path in _modules().items():
        if _is_under(name, "robofuel.spatial"):
            outside = {
                i for i in _file_imports(path) if i.startswith("robofuel") and not _is_under(i, "robofuel.spatial")
            }
            assert not outside, (name, outside)
            assert {i.split(".")[0] for i in _file_imports(path)} <= {"__future__", "numpy", "robofuel"}, name


def test_steps_are_pure_of_lake_catalog_and_engine() -> None:
    """A step is episode and config in, episode and report out: reading or writing the lake is the engine's
    (its batch passes, :mod:`robofuel.engine.batch`) or the command line's."""
    offenders = {
        name: sorted(i for i in _file_imports(path) if any(_is_under(i, p) for p in STEP_FREE_OF))
        for name, path in _modules().items()
        if _is_under(name, "robofuel.steps")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
