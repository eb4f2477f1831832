"""The teaching notebooks are stored clean and run top to bottom in a fresh kernel.

Each notebook runs once per test session, here, as its own test (pytest-xdist spreads them over
its workers); the executed copy is left in the session's ``executed_notebooks`` folder, and the
docs build of the session (``tests/test_docs.py``) shows those outputs instead of running the
notebook again. The training runs and critic sweeps a notebook holds when it ends are recorded
too (:func:`divergences.testing.recorded.record_result`): the site's pages show the run and the
sweep of their configurations (notebooks 06 and 05 compute them) instead of computing them a
second time.
"""

from __future__ import annotations

import os
import pathlib
import tempfile

import nbformat
import pytest
from jupyter_cache.executors.utils import single_nb_execution

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


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


_RECORD_RESULTS = """
from divergences.lab.critics import CriticSweep as _CriticSweep
from divergences.lab.training import TrainingRun as _TrainingRun
from divergences.testing.recorded import record_result as _record_result
from divergences.testing.recorded import record_run as _record_run

for _value in list(globals().values()):
    if isinstance(_value, _TrainingRun):
        _record_run({folder!r}, _value)
    elif isinstance(_value, _CriticSweep) and _value.config["seed"] is not None:
        _record_result({folder!r}, "critic sweep", _value.arguments, _value)
"""


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_without_an_error(
    path: pathlib.Path,
    executed_notebooks: pathlib.Path,
    recorded_results: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
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
    # One cell more, in the same kernel, records the notebook's training runs and critic sweeps;
    # it is taken out again before the executed notebook is stored.
    nb.cells.append(nbformat.v4.new_code_cell(_RECORD_RESULTS.format(folder=str(recorded_results))))
    with tempfile.TemporaryDirectory() as cwd:
        result = single_nb_execution(nb, cwd=cwd, timeout=None, allow_errors=False)
    nb.cells.pop()
    assert result.err is None, f"{path.name} failed:\n{result.exc_string}"
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name
    partial = executed_notebooks / f"{path.name}.{os.getpid()}.tmp"
    nbformat.write(nb, partial)
    partial.replace(executed_notebooks / path.name)  # whole or absent for a reader elsewhere
