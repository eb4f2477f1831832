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


@pytest.fixture(scope="session")
def proof_results(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A folder of this test run, shared by its pytest-xdist workers, where each proof step that
    held leaves its result (:mod:`divergences.testing.recorded`) for the docs build to show."""
    base = tmp_path_factory.getbasetemp()
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # set for the workers of one xdist run
    folder = base.parent / f"proof-results-{run}" if run else base / "proof-results"
    folder.mkdir(exist_ok=True)
    return folder
