"""The host's BLAS threads: one for FD's matrices of at most SMALL_D columns, else as they were."""

from __future__ import annotations

import sys

import pytest

from divergences.estimate._src import host_threads
from divergences.estimate._src.host_threads import SMALL_D, blas_threads_for

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def test_one_blas_thread_up_to_small_d_and_the_threads_restored_after() -> None:
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        assert before and max(before) == 2  # NumPy's and SciPy's OpenBLAS, as the test runs them
        with blas_threads_for(SMALL_D):
            assert _blas_threads() == [1] * len(before)
        assert _blas_threads() == before
        with blas_threads_for(SMALL_D + 1):
            assert _blas_threads() == before


def test_without_threadpoolctl_blas_keeps_its_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    host_threads._controller.cache_clear()  # as in a process that never had it
    try:
        with threadpoolctl.threadpool_limits(2, user_api="blas"):
            before = _blas_threads()
            with blas_threads_for(8):
                assert _blas_threads() == before
    finally:
        host_threads._controller.cache_clear()


def test_the_libraries_are_found_once_not_at_every_context() -> None:
    """Finding them scans the process's mapped libraries (2 ms): once, then every context reuses it."""
    host_threads._controller.cache_clear()
    for _ in range(3):
        with blas_threads_for(8):
            pass
    assert host_threads._controller.cache_info().misses == 1


def test_fd_forms_its_cross_terms_on_one_blas_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    from divergences import estimate as dve
    from divergences.estimate._src.frechet import distance

    seen: list[list[int]] = []

    def watched(original):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(_blas_threads())
            return original(*args, **kwargs)

        return call

    monkeypatch.setattr(distance, "cross_terms", watched(distance.cross_terms))
    rng = np.random.default_rng(0)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        dve.frechet(rng.standard_normal((1000, 16)), rng.standard_normal((1000, 16)))
    assert seen and all(threads == [1] * len(threads) for threads in seen)
