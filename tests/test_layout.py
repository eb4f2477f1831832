"""Where knowledge lives, held by counts (docs/contributing.md, "Where each kind of knowledge lives").

Each rule is a function of a source tree returning what breaks it; each is run on the package and
on a small tree written to break it, so every rule can fail.
"""

from __future__ import annotations

import ast
import collections
import functools
import pathlib

import pytest

import divergences.continuous as continuous

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "divergences"

#: A module longer than this is split by concept (contributing.md, "The rooms").
MAX_LINES = 600
#: Imports of the package's own modules inside a function: the command's entry point reaching the
#: lab, and python-flint's optional path. Every other import sits at the top of its module.
MAX_LOCAL_IMPORTS = 5
#: ``isinstance`` checks on a law's type in ``divergences/continuous``: a law answers for itself.
MAX_LAW_SWITCHES = 5


def _modules(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


@functools.cache
def _tree(path: pathlib.Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def long_modules(root: pathlib.Path) -> list[str]:
    """Modules over :data:`MAX_LINES` lines."""
    return [
        p.relative_to(root).as_posix()
        for p in _modules(root)
        if len(p.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    ]


def _is_own(node: ast.AST, package: str) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == package
    return isinstance(node, ast.Import) and any(a.name.split(".")[0] == package for a in node.names)


def local_package_imports(root: pathlib.Path, package: str = "divergences") -> list[str]:
    """``path:line`` of each import of ``package``'s own modules inside a function."""
    found = []
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for path in _modules(root):
        todo: list[tuple[ast.AST, bool]] = [(_tree(path), False)]
        while todo:
            node, inside = todo.pop()
            if inside and _is_own(node, package):
                found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}")  # type: ignore[attr-defined]
            todo.extend(
                (child, inside or isinstance(node, functions))
                for child in ast.iter_child_nodes(node)
            )
    return sorted(found)


def repeated_module_names(root: pathlib.Path) -> dict[str, list[str]]:
    """Module file names (``__init__.py`` aside) held by more than one module."""
    where = collections.defaultdict(list)
    for path in _modules(root):
        if path.name != "__init__.py":
            where[path.name].append(path.relative_to(root).as_posix())
    return {name: paths for name, paths in where.items() if len(paths) > 1}


def functions_named(root: pathlib.Path, name: str) -> list[str]:
    """``path`` of each function or method called ``name``."""
    return [
        path.relative_to(root).as_posix()
        for path in _modules(root)
        for node in ast.walk(_tree(path))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
    ]


def type_switches(root: pathlib.Path, classes: set[str]) -> list[str]:
    """``path:line`` of each ``isinstance(x, C)`` with ``C`` (or a tuple holding one) in ``classes``."""
    found = []
    for path in _modules(root):
        for node in ast.walk(_tree(path)):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "isinstance"
            ):
                continue
            if len(node.args) == 2:
                kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
                named = {k.id if isinstance(k, ast.Name) else getattr(k, "attr", "") for k in kinds}
                if named & classes:
                    found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return found


def getattr_on(root: pathlib.Path, receiver: str) -> list[str]:
    """``path:line`` of each ``getattr(receiver, ...)``: a protocol states what its users call."""
    return [
        f"{path.relative_to(root).as_posix()}:{node.lineno}"
        for path in _modules(root)
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == receiver
    ]


def private_imports(root: pathlib.Path, package: str = "divergences") -> list[str]:
    """``path:line name`` of each private name (``_x``) imported from another of ``package``'s modules.

    A module's underscored names are its own: what another module needs is public (the lab's
    training engine, its recorder, its readouts), so an edit inside one module cannot break
    another through a name it did not offer.
    """
    found = []
    for path in _modules(root):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and _is_own(node, package):
                found += [
                    f"{path.relative_to(root).as_posix()}:{node.lineno} {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    return sorted(found)


def _law_classes() -> set[str]:
    """The families of ``divergences.continuous`` (a check against the base, ``Law``, is validation)."""
    return {
        name
        for name in continuous.__all__
        if isinstance(getattr(continuous, name), type)
        and issubclass(getattr(continuous, name), continuous.Law)
        and name != "Law"
    }


@pytest.mark.slow  # 2.7 s (it reads every module of the package): over the quick tier's 1 s
def test_the_package_keeps_its_counts() -> None:
    assert long_modules(PACKAGE) == []
    assert len(local_package_imports(PACKAGE)) <= MAX_LOCAL_IMPORTS, local_package_imports(PACKAGE)
    assert repeated_module_names(PACKAGE) == {}
    assert functions_named(PACKAGE, "cost_matrix") == ["wasserstein/cost.py"]
    switches = type_switches(PACKAGE / "continuous", _law_classes())
    assert len(switches) <= MAX_LAW_SWITCHES, switches
    assert getattr_on(PACKAGE / "wasserstein", "solver") == []
    assert private_imports(PACKAGE) == []


def test_each_rule_catches_what_breaks_it(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "costs.py").write_text("def cost_matrix():\n    from divergences import x\n")
    (tmp_path / "b" / "costs.py").write_text(
        "def f(law, solver):\n    getattr(solver, 'refine')\n    return isinstance(law, (Normal, int))\n"
    )
    (tmp_path / "b" / "steer.py").write_text(
        "from divergences.lab.engine import _knobs, setup\nfrom numpy import _private_ok\n"
    )
    (tmp_path / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert long_modules(tmp_path) == ["long.py"]
    assert local_package_imports(tmp_path) == ["a/costs.py:2"]
    assert repeated_module_names(tmp_path) == {"costs.py": ["a/costs.py", "b/costs.py"]}
    assert functions_named(tmp_path, "cost_matrix") == ["a/costs.py"]
    assert type_switches(tmp_path, {"Normal"}) == ["b/costs.py:3"]
    assert getattr_on(tmp_path, "solver") == ["b/costs.py:2"]
    assert private_imports(tmp_path) == ["b/steer.py:1 _knobs"]


@pytest.mark.parametrize("name", sorted({"Normal", "Mixture"}))
def test_the_laws_are_classes_the_switch_count_sees(name: str) -> None:
    assert name in _law_classes()
