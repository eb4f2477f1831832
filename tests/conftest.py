"""Fixtures shared by the test modules, and the order pytest-xdist hands the tests out in.

Tolerances live in the harness (:mod:`divergences.testing.tolerances`) and the Hypothesis
profiles in :mod:`divergences.testing.profiles`: ``HYPOTHESIS_PROFILE`` picks one (``ci`` by
default: 60 derandomised examples, no deadline), loaded by the root ``conftest.py``.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request: pytest.FixtureRequest) -> type:
    """Runs a test in both dtypes; pair it with :func:`divergences.testing.tolerance`."""
    return request.param


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs the tests marked ``slow`` first.

    pytest-xdist hands tests out in this order, and a long test started last would leave the other
    worker idle until it ends (the sort is stable).
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
