"""The teaching notebooks are stored clean and run top to bottom in a fresh kernel.

Each notebook runs once per test session, here, as its own test (pytest-xdist spreads them over
its workers). A notebook that ran without an error is put, executed, into the docs build's
jupyter-cache (``nb_execution_cache_path`` in docs/conf.py), so that ``make docs`` after the test
session shows these outputs instead of executing the notebooks again.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
import time

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from sqlalchemy.exc import OperationalError

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DOCS_CACHE = ROOT / "build" / "jupyter-cache"  # docs/conf.py's nb_execution_cache_path


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


def _cache_for_the_docs(nb: nbformat.NotebookNode, path: pathlib.Path, seconds: float) -> None:
    """Puts the executed ``nb`` into the docs build's jupyter-cache, as myst-nb would.

    The entry is keyed on its code cells, under the path the docs read it from. The cache is an
    SQLite database that the other pytest-xdist worker may be writing at the same time: a write that
    finds it locked is tried again.
    """
    bundle = CacheBundleIn(
        nb, str(ROOT / "docs" / "notebooks" / path.name), data={"execution_seconds": seconds}
    )
    for attempt in range(5):
        try:
            get_cache(DOCS_CACHE).cache_notebook_bundle(
                bundle, check_validity=False, overwrite=True
            )
            return
        except OperationalError:  # database is locked
            if attempt == 4:
                raise
            time.sleep(1.0 + attempt)


@pytest.mark.slow(first=True)  # the session's longest tests: started before any other
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_without_an_error(
    path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the docs build runs it (docs/conf.py): the same executor, a temporary working folder,
    # no time-out, this checkout first on the kernel's import path, figures drawn off-screen,
    # the training lab's live view drawn once at the end (nobody watches it here).
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("DIVERGENCES_LIVE_VIEW", "0")
    # XLA's flags for the notebooks' kernels (conftest.py): LLVM's level 1, not the session's 0
    # (the notebooks are mostly training, which unoptimised code runs 2.4 times slower).
    monkeypatch.setenv("XLA_FLAGS", os.environ.get("DIVERGENCES_KERNEL_XLA_FLAGS", ""))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as cwd:
        result = single_nb_execution(nb, cwd=cwd, timeout=None, allow_errors=False)
    assert result.err is None, f"{path.name} failed:\n{result.exc_string}"
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name
    _cache_for_the_docs(nb, path, result.time)
