"""Fixtures shared by the test modules, and the order pytest-xdist hands the tests out in.

Tolerances live in the harness (:mod:`divergences.testing.tolerances`) and the Hypothesis
profiles in :mod:`divergences.testing.profiles`: ``HYPOTHESIS_PROFILE`` picks one (``ci`` by
default: 60 derandomised examples, no deadline), loaded by the root ``conftest.py``.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

#: The slow tests that CI leaves to ``make test-long`` (``.ci/long_tests.py`` writes the list from
#: a measured run): marked ``long`` at collection.
LONG = frozenset(
    line
    for line in (pathlib.Path(__file__).parent / "long_tests.txt").read_text().splitlines()
    if line and not line.startswith("#")
)


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request: pytest.FixtureRequest) -> type:
    """Runs a test in both dtypes; pair it with :func:`divergences.testing.tolerance`."""
    return request.param


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks the slow tests of :data:`LONG` ``long``, and runs the tests marked ``slow`` first.

    pytest-xdist hands tests out in this order, and a long test started last would leave the other
    worker idle until it ends (the sort is stable).
    """
    for item in items:
        if item.nodeid in LONG and item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.long)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
