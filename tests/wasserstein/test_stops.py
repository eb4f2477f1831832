"""Honest stops: every stop short of a certified optimum is an error, never a number.

On both graph solvers, in w1_primal and w1_dual, an error eagerly, NaN under jit and a SolverError
under dv.checked, on general problems (n != m, unequal weights); whatever the compiled solver
reports, Python checks the plan's marginals and the bounds' order itself.
"""

from __future__ import annotations

import jax
import numpy as np
import ot
import pytest
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.testing import tolerance
from divergences.wasserstein._src.host import dense as dense_host
from divergences.wasserstein._src.host import sparse as sparse_host
from divergences.wasserstein._src.results import Status

LP = tolerance("lp")


def _issue_problem():
    """The reported one: 50 and 40 points, uniform weights of unequal sizes."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(50, 2)), rng.normal(size=(40, 2)) + 0.5


def _general(seed: int):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(5, 60)), int(rng.integers(5, 60))
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) + 0.5
    return x, y, rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))


def _pot(x, y, a, b):
    return float(ot.emd2(a, b, cdist(x, y), numItermax=10**8))


@pytest.mark.slow
@pytest.mark.native
def test_the_reported_pivot_cap_raises_eagerly_is_nan_under_jit_and_checked():
    x, y = _issue_problem()
    with pytest.raises(dv.CertificateError) as info:
        dv.w1_primal(x, y, method="sparse", max_iter=5)
    assert info.value.status in (Status.PIVOT_CAP, Status.NOT_A_COUPLING)
    fn = lambda p, q: dv.w1_primal(p, q, method="sparse", max_iter=5)  # noqa: E731
    sol = jax.jit(fn)(x, y)
    assert np.isnan(float(sol.value)) and np.all(np.isnan(np.asarray(sol.u)))
    with pytest.raises(dv.SolverError):
        jax.block_until_ready(dv.checked(jax.jit(fn))(x, y).value)
    with pytest.raises(dv.CertificateError):
        dv.w1_dual(x, y, method="sparse", max_iter=5)
    dual = jax.jit(lambda p, q: dv.w1_dual(p, q, method="sparse", max_iter=5))(x, y)
    assert np.isnan(float(dual.value))
    with pytest.raises(dv.SolverError):
        jax.block_until_ready(
            dv.checked(jax.jit(lambda p, q: dv.w1_dual(p, q, method="sparse", max_iter=5)))(x, y)
        )


@pytest.mark.native
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("cap", [{"max_iter": 1}, {"max_iter": 7}, {"max_rounds": 1}])
def test_a_capped_general_problem_either_raises_or_is_right(seed, cap):
    """Never a silent number from a capped solve of a general problem.

    It raises, or what it returns is W1 with a coupling and bounds that bracket it.
    """
    x, y, a, b = _general(seed)
    ref = _pot(x, y, a, b)
    try:
        sol = dv.w1_primal(x, y, a, b, method="sparse", **cap)
    except dv.CertificateError as err:
        assert not Status(err.status).ok
        res = err.result
        # The bounds stay honest (+inf above a plan that is not a coupling).
        assert res.lower_bound <= ref * (1 + 1e-12) and res.upper_bound >= ref * (1 - 1e-12)
        return
    np.testing.assert_allclose(float(sol.value), ref, rtol=1e-9)
    assert float(sol.lower_bound) <= ref <= float(sol.upper_bound)
    report = dv.check_coupling(sol.plan, a, b, atol=1e-12)
    assert bool(report.ok)


@pytest.mark.native
def test_round_cap_on_a_general_problem():
    x, y, a, b = _general(3)
    with pytest.raises(dv.CertificateError, match="max_rounds") as info:
        sparse_host.solve_sparse_host(x, y, a, b, rtol=0.0, max_rounds=1, max_pivots=3)
    assert info.value.status in (Status.ROUND_CAP, Status.PIVOT_CAP, Status.NOT_A_COUPLING)
    assert str(info.value).startswith(f"{info.value.reason}. It stopped after 1 rounds")
    # Scaled back to the input's units, the error keeps its reason and states the stop once.
    with pytest.raises(dv.CertificateError, match="max_rounds") as again:
        dv.w1_primal(x, y, a, b, method="sparse", rtol=0.0, max_rounds=1, max_iter=3)
    assert again.value.reason == info.value.reason
    assert str(again.value).startswith(f"{again.value.reason}. It stopped after 1 rounds")
    assert str(again.value).count("It stopped after") == 1


def _tampered(monkeypatch, change):
    """The compiled solve's answer altered as a faulty native build could.

    ``change`` maps its result to another one that claims to be optimal.
    """
    real = sparse_host.solve_scaled

    def fake(*args, **kwargs):
        return change(real(*args, **kwargs))._replace(status=int(Status.OPTIMAL))

    monkeypatch.setattr(sparse_host, "solve_scaled", fake)


@pytest.mark.slow
@pytest.mark.native
def test_python_refuses_a_plan_that_is_not_a_coupling(monkeypatch):
    x, y, a, b = _general(1)
    _tampered(monkeypatch, lambda s: s._replace(mass=s.mass * 0.5))
    with pytest.raises(dv.CertificateError, match="not a coupling") as info:
        dv.w1_primal(x, y, a, b, method="sparse")
    assert info.value.status == Status.NOT_A_COUPLING
    # Its bounds stay honest: the half plan's cost plus what repairing its marginals could cost.
    ref = _pot(x, y, a, b)
    assert info.value.result.lower_bound <= ref <= info.value.result.upper_bound
    fn = jax.jit(lambda *t: dv.w1_primal(*t, method="sparse").value)
    assert np.isnan(float(fn(x, y, a, b)))
    with pytest.raises(dv.SolverError, match="not a coupling"):
        jax.block_until_ready(dv.checked(fn)(x, y, a, b))
    with pytest.raises(dv.CertificateError, match="not a coupling"):
        dv.w1_dual(x, y, a, b, method="sparse")


@pytest.mark.slow
@pytest.mark.native
@pytest.mark.parametrize("lower", [np.inf, np.nan])
def test_python_refuses_bounds_that_cross_or_are_nan(monkeypatch, lower):
    x, y, a, b = _general(2)
    _tampered(monkeypatch, lambda s: s._replace(lower=lower))
    with pytest.raises(dv.CertificateError, match="cross or are NaN") as info:
        dv.w1_primal(x, y, a, b, method="sparse")
    assert info.value.status == Status.BOUNDS_CROSSED
    fn = jax.jit(lambda *t: dv.w1_dual(*t, method="sparse").value)
    with pytest.raises(dv.SolverError, match="cross or are NaN"):
        jax.block_until_ready(dv.checked(fn)(x, y, a, b))


@pytest.mark.native
def test_a_cap_reached_within_rtol_is_certified():
    x, y, a, b = _general(4)
    ref = _pot(x, y, a, b)
    sol = sparse_host.solve_sparse_host(x, y, a, b, rtol=0.9, max_rounds=1)
    assert Status(sol.status).ok
    assert sol.lower_bound <= ref <= sol.upper_bound


@pytest.mark.slow
def test_dense_pivot_cap_on_a_general_problem():
    x, y, a, b = _general(5)
    with pytest.raises(dv.SolverError, match="max_iter") as info:
        dv.w1_primal(x, y, a, b, method="dense", max_iter=3)
    assert info.value.status == Status.PIVOT_CAP
    fn = jax.jit(lambda *t: dv.w1_primal(*t, method="dense", max_iter=3).value)
    assert np.isnan(float(fn(x, y, a, b)))
    with pytest.raises(dv.SolverError, match="max_iter"):
        jax.block_until_ready(dv.checked(fn)(x, y, a, b))
    with pytest.raises(dv.SolverError, match="max_iter"):
        dv.w1_dual(x, y, a, b, method="dense", max_iter=3)


def test_dense_plan_that_is_not_a_coupling_is_refused(monkeypatch):
    """POT reporting optimal with a plan off its marginals (as a faulty build could)."""
    x, y, a, b = _general(6)
    real = ot.emd

    def fake(*args, **kwargs):
        plan, log = real(*args, **kwargs)
        return plan * 0.9, log

    monkeypatch.setattr(ot, "emd", fake)
    with pytest.raises(dv.SolverError, match="marginals") as info:
        dv.w1_primal(x, y, a, b, method="dense")
    assert info.value.status == Status.NOT_A_COUPLING
    assert not dense_host.check_coupling_host(real(a, b, cdist(x, y)) * 0.9, a, b)


def test_status_values_are_the_contract():
    """The status codes: the native solver's, SKIPPED, and Python's; two are certified.

    0-6 are the native solver's (mirrored by its C++ enum); SKIPPED is -1; the rest are Python's,
    and only OPTIMAL and WITHIN_TOLERANCE are certified.
    """
    expected = {
        "SKIPPED": -1,
        "OPTIMAL": 0,
        "WITHIN_TOLERANCE": 1,
        "ROUND_CAP": 2,
        "PIVOT_CAP": 3,
        "ARTIFICIAL_FLOW": 4,
        "NOT_A_COUPLING": 5,
        "BOUNDS_CROSSED": 6,
    }
    for name, value in expected.items():
        assert Status[name] == value
    assert all(s >= 7 for s in Status if s.name not in expected)
    assert {s for s in Status if s.ok} == {Status.OPTIMAL, Status.WITHIN_TOLERANCE}
