"""The "line" method: the monotone coupling on the line and its potential, certified.

Against the rational reference (an exact transport solve), the dense LP and the CDF formula;
the method ``"auto"`` takes it for large problems on the line, with or without the compiled
extension. The float-range family (test_float_range) holds it to the promises of every method.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from hypothesis import given, settings

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.measures import measure_pairs
from divergences.wasserstein._src import problem as _problem
from divergences.wasserstein._src.host import native
from tests.wasserstein.exact_transport import exact_w1

LP = tolerance("lp")


def _choice(n: int, d: int) -> str:
    x = np.zeros((n, d))
    return _problem.make_problem(
        x, x, None, None, metric="euclidean", method="auto", options=None, keywords={},
        dual=False,
    ).method  # fmt: skip


def test_auto_takes_it_for_large_problems_on_the_line_only():
    assert _choice(2001, 1) == "line"
    assert _choice(2001, 2) != "line"
    assert _choice(100, 1) == "dense"  # small problems keep the dense LP


def test_it_needs_points_on_the_line():
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"method='line' needs points on the line \(d = 1\)"):
        dv.w1_primal(x, x, method="line")
    with pytest.raises(ValueError, match="method='line' needs metric='euclidean'"):
        dv.w1_primal(x[:, :1], x[:, :1], method="line", metric="sqeuclidean")


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(measure_pairs(dims=(1,)))
def test_interval_holds_the_exact_value_and_the_plan_is_a_monotone_coupling(pair):
    x, y, a, b = pair
    sol = dv.w1_primal(x, y, a, b, method="line")
    exact = exact_w1(x, y, a, b)
    assert exact.inside(sol.lower_bound, sol.upper_bound)
    assert float(sol.upper_bound - sol.lower_bound) <= 1e-9 * max(float(sol.upper_bound), 1e-300)
    plan = np.asarray(sol.plan.todense())
    np.testing.assert_allclose(plan.sum(1), a, atol=1e-15)
    np.testing.assert_allclose(plan.sum(0), b, atol=1e-15)
    # Monotone: no two arcs cross (x_i < x_k with y_j > y_l both carrying mass).
    rows, cols = np.nonzero(plan > 0)
    xi, yj = x[rows, 0], y[cols, 0]
    assert not np.any((xi[:, None] < xi[None, :]) & (yj[:, None] > yj[None, :]))
    np.testing.assert_allclose(sol.value, dv.w1_primal(x, y, a, b, method="dense").value, **LP)


def test_the_dual_meets_the_primal_with_a_1_lipschitz_potential():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=40), rng.normal(0.2, 2.0, size=55)
    a, b = rng.dirichlet(np.ones(40)), rng.dirichlet(np.ones(55))
    dual = dv.w1_dual(x, y, a, b, method="line")
    primal = dv.w1_primal(x, y, a, b, method="line")
    assert float(primal.lower_bound) <= float(dual.value) <= float(primal.upper_bound)
    assert float(dual.lipschitz_violation) <= 1e-13
    f = np.asarray(dual.f)
    assert float(dv.lipschitz_violation(f, dual.points)) <= 1e-13


def test_ties_and_equal_measures():
    x = np.array([0.0, 0.0, 1.0, 1.0, 2.0])
    sol = dv.w1_primal(x, x[::-1].copy(), method="line")
    assert float(sol.lower_bound) <= 0.0 <= float(sol.upper_bound) <= 1e-300
    sol = dv.w1_primal(x, x + 1.0, [0.5, 0.0, 0.0, 0.0, 0.5], None, method="line")
    assert exact_w1(x, x + 1.0, [0.5, 0.0, 0.0, 0.0, 0.5], None).inside(
        sol.lower_bound, sol.upper_bound
    )


def test_jit_and_vmap_return_the_eager_bits():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(3, 30)), rng.normal(size=(3, 20))

    def solve(u, v):
        sol = dv.w1_primal(u, v, method="line")
        return sol.value, sol.lower_bound, sol.upper_bound

    eager = [solve(u, v) for u, v in zip(x, y, strict=True)]
    batched = jax.vmap(jax.jit(solve))(x, y)
    for k, want in enumerate(eager):
        assert [float(t[k]) for t in batched] == [float(t) for t in want]


# In the slow tier: ten thousand draws.
@pytest.mark.slow
@pytest.mark.parametrize("built", [True, False])
def test_ten_thousand_draws_in_a_fraction_of_the_dense_time(built, monkeypatch):
    # Without the compiled extension "auto" took the dense LP here (minutes, 800 MB of costs);
    # the line method is linear but for the sort. Checked by value, not time.
    if not built:
        monkeypatch.setattr(native, "_import", lambda: None)
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=10_000), rng.normal(0.01, 1.0, size=9_000)
    sol = dv.w1_primal(x, y)
    assert float(sol.upper_bound - sol.lower_bound) <= 1e-9 * float(sol.upper_bound)
    np.testing.assert_allclose(sol.value, dv.w1_1d(x, y), rtol=1e-12)
    assert sol.plan.rows.shape[0] <= 10_000 + 9_000 - 1
