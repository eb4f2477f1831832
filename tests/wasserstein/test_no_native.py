"""Without the compiled extension everything but the sparse solver works.

An install with no C++17 compiler, or DIVERGENCES_BUILD_NATIVE=0, keeps the dense primal and dual,
kr_potential and the Lipschitz check by SciPy's k-d tree (on the line, exact running minima),
method="auto" by the dense solver up to its memory limit and by the line method for points on the
line at any size; the sparse solver, asked for or needed, is a SolverError that says how to get it.
Simulated here by hiding the module; `make check-no-native` runs the W1 tests on a real install
without it.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.testing import tolerance
from divergences.wasserstein._src import problem as _problem
from divergences.wasserstein._src.host import native, nearest
from divergences.wasserstein._src.results import Status

LP = tolerance("lp")


@pytest.fixture
def without_native(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_import", lambda: None)


def _clouds(seed: int = 0, n: int = 30, m: int = 24):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) + 0.3
    return x, y, rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))


@pytest.mark.slow
def test_sparse_method_says_it_is_not_built(without_native):
    x, y, a, b = _clouds()
    for call in (
        lambda: dv.w1_primal(x, y, a, b, method="sparse"),
        lambda: dv.w1_dual(x, y, a, b, method="sparse"),
    ):
        with pytest.raises(dv.SolverError, match="not built in this install") as info:
            call()
        assert info.value.status == Status.NOT_BUILT
        assert "DIVERGENCES_BUILD_NATIVE" in str(info.value)
    fn = jax.jit(lambda *t: dv.w1_primal(*t, method="sparse").value)
    assert np.isnan(float(fn(x, y, a, b)))
    with pytest.raises(dv.SolverError, match="not built in this install"):
        jax.block_until_ready(dv.checked(fn)(x, y, a, b))


def test_auto_takes_the_dense_solver_up_to_its_limit(without_native, monkeypatch):
    x, y, a, b = _clouds()
    monkeypatch.setattr(_problem, "SPARSE_MIN_PAIRS", 10)  # "large" for auto
    assert _problem.choose("auto", "euclidean", 30, 24, 2, dual=False)[0] == "dense"
    ref = float(dv.w1_primal(x, y, a, b, method="dense").value)
    np.testing.assert_allclose(float(dv.w1_primal(x, y, a, b).value), ref, **LP)
    np.testing.assert_allclose(float(dv.w1_dual(x, y, a, b).value), ref, **LP)
    monkeypatch.setattr(_problem, "DENSE_MAX_PAIRS", 100)  # past the dense limit
    with pytest.raises(dv.SolverError, match="not built in this install"):
        dv.w1_primal(x, y, a, b)


@pytest.mark.slow
def test_dual_and_potential_by_scipy(without_native):
    """The Euclidean dual's Lipschitz check and kr_potential by SciPy's k-d tree.

    The same values as the compiled one (ties of the argmin aside) and as brute force.
    """
    x, y, a, b = _clouds(1)
    dual = dv.w1_dual(x, y, a, b)
    z = np.random.default_rng(2).normal(size=(50, 2))
    brute = np.min(cdist(z, np.asarray(dual.points)) + np.asarray(dual.f)[None, :], axis=1)
    np.testing.assert_allclose(np.asarray(dv.kr_potential(dual, z)), brute, **LP)
    jitted = jax.jit(lambda d, q: dv.kr_potential(d, q))(dual, z)
    np.testing.assert_allclose(np.asarray(jitted), brute, **LP)
    grad = jax.grad(lambda q: dv.kr_potential(dual, q).sum())(z)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(grad), axis=1), 1.0, **LP)
    assert float(dual.lipschitz_violation) <= 1e-12
    lp = dv.w1_dual(x, y, a, b, method="lp")
    np.testing.assert_allclose(float(lp.value), float(dual.value), rtol=1e-9)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_scipy_weighted_nearest_is_exact(d, without_native):
    rng = np.random.default_rng(d)
    sites = rng.integers(0, 5, (300, d)).astype(float)  # ties and duplicates
    weights = rng.random(300) * rng.choice([0.01, 3.0])
    z = rng.normal(size=(200, d)) * 3
    value, arg = nearest.weighted_nearest(z, sites, weights)
    brute = cdist(z, sites) + weights[None, :]
    np.testing.assert_allclose(value, brute.min(axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(brute[np.arange(200), arg], value, rtol=0, atol=1e-12)
