"""Public docstrings read in one screen: at most 40 lines (the details belong in docs/)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIMIT = 40


def _is_public(parts: tuple[str, ...]) -> bool:
    return not any(p.startswith("_") and p != "__init__.py" for p in parts)


def long_public_docstrings(root: pathlib.Path, folders: tuple[str, ...]) -> set[str]:
    """``path:name`` of each public module, class, function or method with a longer docstring."""
    found = set()
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            todo: list[tuple[ast.AST, str, bool]] = [(tree, "<module>", _is_public(rel.parts))]
            while todo:
                node, name, public = todo.pop()
                doc = ast.get_docstring(node, clean=True)  # type: ignore[arg-type]
                if public and doc and len(doc.splitlines()) > LIMIT:
                    found.add(f"{rel.as_posix()}:{name}")
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        todo.append((child, child.name, public and not child.name.startswith("_")))
    return found


def long_exported_docstrings(modules: tuple[str, ...]) -> set[str]:
    """``path:name`` of each name in the modules' ``__all__`` with a longer docstring.

    The functions of the library's private modules are public under these names.
    """
    found = set()
    for module in modules:
        namespace = importlib.import_module(module)
        for name in namespace.__all__:
            obj = inspect.unwrap(getattr(namespace, name))
            doc = inspect.getdoc(obj)
            if doc and len(doc.splitlines()) > LIMIT:
                rel = pathlib.Path(inspect.getsourcefile(obj) or "").resolve().relative_to(ROOT)
                where = "<module>" if inspect.ismodule(obj) else obj.__qualname__
                found.add(f"{rel.as_posix()}:{where}")
    return found


@pytest.mark.slow  # 1.2 s (it parses and imports every module): over the quick tier's 1 s
def test_public_docstrings_are_at_most_40_lines() -> None:
    found = long_public_docstrings(ROOT, ("divergences", "proofs"))
    found |= long_exported_docstrings(
        ("divergences", "divergences.wasserstein", "divergences.testing")
    )
    assert found == set()


def test_the_check_finds_a_long_public_docstring_only(tmp_path: pathlib.Path) -> None:
    (tmp_path / "pkg").mkdir()
    body = "\n".join(f"    line {i}." for i in range(LIMIT))
    (tmp_path / "pkg" / "mod.py").write_text(
        f'def long():\n    """Summary.\n\n{body}\n    """\n\n\ndef _private():\n    """{body}"""\n'
    )
    assert long_public_docstrings(tmp_path, ("pkg",)) == {"pkg/mod.py:long"}
