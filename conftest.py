"""Test-session set-up shared by tests/, proofs/ and the doctests in divergences/.

Verification runs in float64: x64 is switched on here, for the test process only. The library
itself never touches JAX's global configuration.
"""

import jax
import pytest

jax.config.update("jax_enable_x64", True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs the slow tests first and the docs build last.

    pytest-xdist (``-n 2``, ``--dist load``) hands the tests out in this order: a long test
    started last would leave the other worker idle until it ends, while the short ones balance
    the workers wherever they come. The docs build goes last because it shows what the session
    has already run (the proof steps, the notebooks and their training runs) instead of running
    it again. The order is otherwise the collection's (the sort is stable).
    """

    def rank(item: pytest.Item) -> int:
        if item.nodeid.startswith("tests/test_docs.py::"):
            return 2
        return 0 if item.get_closest_marker("slow") else 1

    items.sort(key=rank)
