"""Imports go one way: each module imports only from its own layer or the layers below,
and no modules import each other, directly or round a loop (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"

# Lowest first. The package's own modules (copytrace.x) are the foundation, and the
# package root is its public API over the stages; the front ends sit on top.
LAYERS = (
    ("foundation", ("errors", "faults", "hashing", "parallel", "progress", "arrow_buffers", "swar", "stopwords", "sorting",
                    "outputs")),
    ("text", ("text", "segmentation")),
    ("ingest", ("ingest",)),
    ("candidates", ("candidates",)),
    ("align", ("align",)),
    ("provenance", ("provenance",)),
    ("compare", ("compare",)),
    ("store", ("store",)),
    ("engine", ("engine",)),
    ("dedup", ("dedup",)),
    ("evaluation", ("evaluation",)),
    ("api", ("",)),  # copytrace/__init__.py
    ("front ends", ("cli", "web", "__main__")),
)
# cli/__init__.py defines the app, then imports the modules that register each command on it.
REGISTRATIONS = {("copytrace.cli", "copytrace.cli.commands")}


def module_files(root: Path = SOURCE) -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by its own name)."""
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``name`` imports anywhere in it (inside functions and
    ``TYPE_CHECKING`` blocks too): ``from m import x`` is an import of ``m.x`` when that
    is a module, else of ``m``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}
    return {module for module in found if module in modules and module != name}


def layer_of(module: str) -> int:
    """The number of a module's layer (its first name under ``copytrace``)."""
    top = module.split(".")[1] if "." in module else ""
    for number, (_, names) in enumerate(LAYERS):
        if top in names:
            return number
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def import_graph(root: Path = SOURCE) -> dict[str, set[str]]:
    files = module_files(root)
    return {name: imports_of(name, path, set(files)) - {imported for (importer, imported) in REGISTRATIONS
                                                         if importer == name}
            for name, path in files.items()}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{module} ({LAYERS[layer_of(module)][0]}) imports {imported} ({LAYERS[layer_of(imported)][0]})"
                  for module, imported_set in graph.items() for imported in imported_set
                  if layer_of(imported) > layer_of(module))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_every_module_imports_only_its_own_layer_or_lower():
    assert upward_imports(import_graph()) == []


def test_no_modules_import_each_other():
    assert cycles(import_graph()) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "copytrace" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize("importer, text", [
    ("store/base.py", "from copytrace.engine.stages import SignedBatch\n"),
    ("store/base.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from copytrace.engine import stages\n"),
    ("text.py", "def f():\n    from copytrace.ingest.document import Document\n"),
])
def test_an_upward_import_is_found(tmp_path, importer, text):
    files = {"__init__.py": "", "engine/__init__.py": "", "engine/stages.py": "", "ingest/__init__.py": "",
             "ingest/document.py": "", "store/__init__.py": "", "store/base.py": "", "text.py": ""}
    graph = import_graph(write(tmp_path, files | {importer: text}))
    assert len(upward_imports(graph)) == 1


def test_a_loop_of_imports_is_found(tmp_path):
    root = write(tmp_path, {"__init__.py": "", "store/__init__.py": "",
                            "store/base.py": "from copytrace.store.duckdb_store import VerifiedRows\n",
                            "store/duckdb_store.py": "from . import base\n"})
    assert cycles(import_graph(root)) == [["copytrace.store.base", "copytrace.store.duckdb_store"]]
