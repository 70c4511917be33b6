"""The architecture of ``geo/`` and ``dashboard/``, checked from their source.

What these tests protect:

* no import cycle between project modules (imports inside functions count: a cycle hidden in a
  function is still a cycle, it only fails later);
* no module reaches into another one's private names (``from m import _x``, ``m._x``);
* in ``geo/``, imports of ``geo`` modules stand at the top of the module, where a reader sees
  what the module depends on — not inside a function, where they usually hide a cycle;
* the import-linter contracts in ``pyproject.toml`` hold: the layers of ``geo`` (core and docs at
  the bottom, cli at the top), the independence of the domain packages, no streamlit in ``geo``;
* every package of ``geo`` says in its docstring what it holds and what it may use.

The first three read the source with :mod:`ast` (no import is executed), so they name the exact
file and line; the fourth runs ``lint-imports``, which reports the chains of imports.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geo", "dashboard")


# --------------------------------------------------------------------------- the import graph


@dataclass(frozen=True)
class Import:
    """One project module loaded by one import statement (external imports are not kept)."""

    importer: str  # the module holding the statement, e.g. "geo.engine.workflow"
    target: str  # the project module it loads, e.g. "geo.change.review"
    from_module: str | None  # `from M import name`: M (resolved when relative); else None
    name: str | None  # `from M import name`: the name; else None
    binds_module: str | None  # the name the statement binds to the module `target`, if it does
    path: Path
    line: int
    in_function: bool
    type_checking: bool  # under `if TYPE_CHECKING:`


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    tree: ast.Module
    imports: list[Import]


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ImportCollector(ast.NodeVisitor):
    """Collects the project imports of one module, knowing whether each is inside a function and
    whether it is under ``if TYPE_CHECKING:``."""

    def __init__(self, module: str, is_package: bool, path: Path, known: set[str]):
        self.module, self.is_package, self.path, self.known = module, is_package, path, known
        self.function_depth = 0
        self.type_checking_depth = 0
        self.imports: list[Import] = []

    def _project_module(self, dotted: str) -> str | None:
        """The longest prefix of `dotted` that is a project module, or None (external)."""
        parts = dotted.split(".")
        while parts:
            if ".".join(parts) in self.known:
                return ".".join(parts)
            parts.pop()
        return None

    def _add(self, target, from_module, name, binds_module, node) -> None:
        self.imports.append(
            Import(self.module, target, from_module, name, binds_module, self.path, node.lineno,
                   self.function_depth > 0, self.type_checking_depth > 0)
        )

    def _function(self, node) -> None:
        self.function_depth += 1
        self.generic_visit(node)
        self.function_depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self.type_checking_depth += 1
        for child in node.body:
            self.visit(child)
        self.type_checking_depth -= 1
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            target = self._project_module(alias.name)
            if target is not None:
                bound = alias.asname if alias.asname and target == alias.name else None
                self._add(target, None, None, bound, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:  # relative: resolve against this module's package
            package = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            if node.level - 1 > len(package) - 1:
                return  # beyond the top-level package: not ours to judge
            base = package[: len(package) - (node.level - 1)]
            from_module = ".".join(base + ([node.module] if node.module else []))
        else:
            from_module = node.module or ""
        owner = self._project_module(from_module)
        if owner is None:
            return
        for alias in node.names:
            submodule = f"{from_module}.{alias.name}"
            if submodule in self.known:
                self._add(submodule, from_module, alias.name, alias.asname or alias.name, node)
            else:
                self._add(owner, from_module, alias.name, None, node)


@functools.cache
def project_modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Module]:
    """Every module of `packages` under `root`, parsed, with the project imports it makes:
    at module level, inside functions and under ``if TYPE_CHECKING:`` (each import says which).

    ``from M import name`` loads ``M.name`` when that is a module, else ``M``; relative imports are
    resolved; ``import a.b.c`` loads ``a.b.c``. A module's parent packages are not counted as
    imported (as in import-linter's graph).
    """
    paths = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                paths[path] = _module_name(path, root)
    known = {name for name, _ in paths.values()}
    modules = {}
    for path, (name, is_package) in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        collector = _ImportCollector(name, is_package, path, known)
        collector.visit(tree)
        modules[name] = Module(name, path, is_package, tree, collector.imports)
    return modules


def import_graph(modules: dict[str, Module]) -> dict[str, set[str]]:
    """importer -> the project modules it imports at run time (``TYPE_CHECKING`` imports left out,
    and a module importing itself too)."""
    return {
        name: {i.target for i in module.imports if not i.type_checking and i.target != name}
        for name, module in modules.items()
    }


def _report(problems: set[tuple[Path, int, str]], root: Path) -> list[str]:
    """`file:line: what` lines, in file and line order."""
    return [f"{path.relative_to(root)}:{line}: {what}" for path, line, what in sorted(problems)]


# --------------------------------------------------------------------------- the checks


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit); components in reverse topological order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(graph[root])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:  # every child done
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def shortest_cycle_through(start: str, component: set[str], graph: dict[str, set[str]]) -> list[str]:
    """One shortest cycle start -> ... -> start inside a strongly connected component (BFS)."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & component):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1] + [start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"{start} is on no cycle")


def import_cycles(modules: dict[str, Module]) -> list[tuple[list[str], list[str]]]:
    """Each cycle of the import graph: (its modules, one concrete cycle through them)."""
    graph = import_graph(modules)
    return [
        (component, shortest_cycle_through(component[0], set(component), graph))
        for component in strongly_connected_components(graph)
        if len(component) > 1
    ]


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_name_uses(modules: dict[str, Module], root: Path = ROOT) -> list[str]:
    """``from M import person_name`` with M another project module and ``M.person_name`` not a module, and
    ``alias.person_name`` where `alias` is bound to a project module by ``import a.b as alias`` or
    ``from a import b [as alias]``."""
    problems = set()
    for module in modules.values():
        aliases = {}
        for i in module.imports:
            if i.binds_module:
                aliases[i.binds_module] = i.target
            if (
                i.name is not None
                and _is_private(i.name)
                and i.target != f"{i.from_module}.{i.name}"  # a private module is fine
                and i.from_module != module.name
            ):
                problems.add((module.path, i.line, f"from {i.from_module} import {i.name}"))
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and _is_private(node.attr)
                and f"{aliases[node.value.id]}.{node.attr}" not in modules
            ):
                problems.add((module.path, node.lineno,
                              f"{node.value.id}.{node.attr} ({node.value.id} is {aliases[node.value.id]})"))
    return _report(problems, root)


def geo_imports_inside_functions(modules: dict[str, Module], root: Path = ROOT) -> list[str]:
    """Imports of ``geo`` modules made inside a function or method of a ``geo`` module."""
    return _report(
        {
            (module.path, i.line, i.target)
            for module in modules.values()
            if module.name.split(".")[0] == "geo"
            for i in module.imports
            if i.in_function and i.target.split(".")[0] == "geo"
        },
        root,
    )


PLACEHOLDER = "(package docstring: see the README's architecture section)"
SAYS_WHAT_IT_USES = re.compile(r"\b(uses|may use|depends on)\b", re.IGNORECASE)
A_SENTENCE = re.compile(r"\w.*?[.!?。！？](\s|$)", re.DOTALL)


def package_docstring_problems(modules: dict[str, Module], root: Path = ROOT) -> list[str]:
    """Packages of ``geo`` whose ``__init__`` docstring is missing, the placeholder, not a
    sentence, or silent about what the package uses."""
    problems = []
    for module in sorted(modules.values(), key=lambda m: m.name):
        if not module.is_package or module.name.split(".")[0] != "geo":
            continue
        where = str(module.path.relative_to(root))
        doc = (ast.get_docstring(module.tree) or "").strip()
        if not doc:
            problems.append(f"{where}: no docstring")
        elif PLACEHOLDER in doc:
            problems.append(f"{where}: still the placeholder {PLACEHOLDER!r}")
        elif not A_SENTENCE.search(doc):
            problems.append(f"{where}: the docstring is not a sentence: {doc!r}")
        elif not SAYS_WHAT_IT_USES.search(doc):
            problems.append(f"{where}: the docstring does not say what the package uses "
                            "('uses', 'may use' or 'depends on')")
    return problems


# --------------------------------------------------------------------------- the tests


def test_no_import_cycle():
    """No two project modules import each other, directly or through others."""
    cycles = import_cycles(project_modules())
    if cycles:
        lines = [f"{len(cycles)} import cycle(s):"]
        for component, cycle in cycles:
            lines.append(f"\n{len(component)} modules: {', '.join(component)}")
            lines.append("  for example: " + " -> ".join(cycle))
        pytest.fail("\n".join(lines), pytrace=False)


def test_no_private_names_across_modules():
    """A module uses another one's public names only (``_x`` is private to its module)."""
    problems = private_name_uses(project_modules())
    if problems:
        pytest.fail(f"{len(problems)} use(s) of another module's private name:\n" + "\n".join(problems),
                    pytrace=False)


def test_geo_imports_geo_at_the_top():
    """In geo/, geo modules are imported at module level (third-party ones may be imported late)."""
    problems = geo_imports_inside_functions(project_modules())
    if problems:
        pytest.fail(f"{len(problems)} import(s) of geo inside a function in geo/ (move them to the top; "
                    "if that makes a cycle, the code is in the wrong layer):\n" + "\n".join(problems),
                    pytrace=False)


def test_import_contracts():
    """The import-linter contracts of pyproject.toml ([tool.importlinter]) are kept."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} is missing: install requirements.txt"
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path}  # import-linter needs geo and dashboard importable
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        pytest.fail(f"lint-imports exited {result.returncode}:\n{result.stdout}\n{result.stderr}",
                    pytrace=False)


def test_packages_say_what_they_hold():
    """Each package of geo opens with a docstring saying what it holds and what it may use."""
    problems = package_docstring_problems(project_modules())
    if problems:
        pytest.fail(f"{len(problems)} package docstring(s) to write:\n" + "\n".join(problems), pytrace=False)
