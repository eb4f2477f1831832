"""Fixtures shared by the test modules.

Tolerances live in the harness (:mod:`divergences.testing.tolerances`) and the Hypothesis
profiles in :mod:`divergences.testing.profiles`: ``HYPOTHESIS_PROFILE`` picks one (``ci`` by
default: 60 derandomised examples, no deadline).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import time
from collections.abc import Iterator

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


# The docs build (tests/test_docs.py) shows what the session's other tests leave in the three
# folders above. pytest-xdist hands it out after them, but the other worker may still be running
# one of those tests (a notebook takes minutes); the build then waits for them to end instead of
# computing their results again. Each test that uses one of the folders leaves a mark when it
# ends, passed or not.
_DOCS_INPUTS = frozenset({"proof_results", "executed_notebooks", "recorded_results"})
_DOCS_BUILD = "tests/test_docs.py::"
_FEEDERS = pytest.StashKey[list[str]]()


def _feeds_the_docs(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return bool(_DOCS_INPUTS & names) and not item.nodeid.startswith(_DOCS_BUILD)


def _mark_name(nodeid: str) -> str:
    return hashlib.sha256(nodeid.encode()).hexdigest()[:32]


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected, and conftest.py's order
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Notes the docs build's feeders, and hands the build out halfway through the queue.

    Handed out last, the build (20 s) left the other worker idle for as long at the end of the
    session; halfway through, the tests that feed it have long ended (the slow ones, notebook
    06 among them, are handed out first), and the short tests after it balance the workers.
    It goes no earlier than after its last feeder.
    """
    config.stash[_FEEDERS] = [item.nodeid for item in items if _feeds_the_docs(item)]
    builds = [item for item in items if item.nodeid.startswith(_DOCS_BUILD)]
    if not builds:
        return
    rest = [item for item in items if not item.nodeid.startswith(_DOCS_BUILD)]
    after_feeders = max((i + 1 for i, item in enumerate(rest) if _feeds_the_docs(item)), default=0)
    at = max(after_feeders, len(rest) // 2)
    items[:] = [*rest[:at], *builds, *rest[at:]]


@pytest.fixture(scope="session")
def ended_docs_inputs(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A folder where each test that feeds the docs build leaves a mark when it ends."""
    return _session_folder(tmp_path_factory, "ended-docs-inputs")


@pytest.fixture(autouse=True)
def _mark_the_end_of_a_docs_input(request: pytest.FixtureRequest) -> Iterator[None]:
    feeds = _feeds_the_docs(request.node)
    folder = request.getfixturevalue("ended_docs_inputs") if feeds else None
    yield
    if folder is not None:
        (folder / _mark_name(request.node.nodeid)).touch()


@pytest.fixture
def docs_inputs_ended(request: pytest.FixtureRequest, ended_docs_inputs: pathlib.Path) -> None:
    """Waits until every test of this session that feeds the docs build has ended, at most 30
    minutes (past that the build computes what is missing itself: slower, not wrong)."""
    pending = [_mark_name(n) for n in request.config.stash.get(_FEEDERS, [])]
    give_up = time.monotonic() + 1800.0
    while pending and time.monotonic() < give_up:
        pending = [name for name in pending if not (ended_docs_inputs / name).exists()]
        if pending:
            time.sleep(1.0)
