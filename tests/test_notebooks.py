"""The teaching notebooks are stored clean; ``tests/test_docs.py`` executes every one of them."""

from __future__ import annotations

import pathlib

import nbformat
import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: pathlib.Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has stored outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_enables_x64_first_and_writes_no_files(path: pathlib.Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert 'jax.config.update("jax_enable_x64", True)' in code[0]
    # Figures must show whatever MPLBACKEND the kernel inherits (the docs build sets Agg).
    assert code[0].startswith("%matplotlib inline")
    for source in code:
        for call in ("savefig(", "open(", ".write_text(", "to_csv("):
            assert call not in source, f"{path.name} writes a file with {call}"
