"""Fixtures shared by the test modules.

Tolerances live in the harness (:mod:`divergences.testing.tolerances`) and the Hypothesis
profiles in :mod:`divergences.testing.profiles`: ``HYPOTHESIS_PROFILE`` picks one (``ci`` by
default: 60 derandomised examples, no deadline).
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

from divergences.testing import load_profile

load_profile()


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request: pytest.FixtureRequest) -> type:
    """Runs a test in both dtypes; pair it with :func:`divergences.testing.tolerance`."""
    return request.param


def _session_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> pathlib.Path:
    """A folder of this test run shared by its pytest-xdist workers (one per run of the workers,
    beside their own temporary folders), or of this process when it runs alone."""
    base = tmp_path_factory.getbasetemp()
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # set for the workers of one xdist run
    folder = base.parent / f"{name}-{run}" if run else base / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def proof_results(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A folder where each proof step that held leaves its result
    (:mod:`divergences.testing.recorded`) for the docs build of this run to show."""
    return _session_folder(tmp_path_factory, "proof-results")


@pytest.fixture(scope="session")
def executed_notebooks(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A folder where each teaching notebook that ran without an error is left executed, with
    its outputs (``tests/test_notebooks.py``), for the docs build of this run to show."""
    return _session_folder(tmp_path_factory, "executed-notebooks")


@pytest.fixture(scope="session")
def recorded_results(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A folder where results that take seconds to compute are left for the docs build of this
    run to show (:func:`divergences.testing.recorded.record_result`): the training runs and
    critic sweeps of the notebooks, the output of the commands the site shows."""
    return _session_folder(tmp_path_factory, "recorded-results")
