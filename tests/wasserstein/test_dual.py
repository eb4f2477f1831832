"""W1 as the Kantorovich-Rubinstein dual: strong duality by two separate solvers, the
potential's 1-Lipschitz property and order, the parallel lines, gradients, jit and vmap."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.measures import measure_pairs
from divergences.testing.reference import central_difference, highs_primal
from divergences.wasserstein.checks import lipschitz_violation_host

LP = tolerance("lp")
HIGHS = tolerance("highs")
METHODS = ["primal", "lp"]


def assert_lipschitz(dual, method):
    """The potential's violation is at the rounding of its solver, relative to the costs.

    The c-transform ("primal") is 1-Lipschitz up to float rounding of a min of distances: a few
    ulps of the largest cost. HiGHS ("lp") returns a basic solution whose constraints hold to
    its feasibility tolerance, the "highs" tolerance relative to the largest cost.
    """
    scale = max(1.0, float(np.max(np.asarray(dv.cost_matrix(dual.points, dual.points)))))
    if method == "primal":
        bound = 64 * np.finfo(np.float64).eps * scale
    else:
        bound = HIGHS["atol"] + HIGHS["rtol"] * scale
    assert 0.0 <= float(dual.lipschitz_violation) <= bound


def _kr_objective(dual, a, b):
    n = len(a)
    f = np.asarray(dual.f)
    return a @ f[:n] - b @ f[n:]


@given(measure_pairs())
def test_strong_duality_two_solvers(pair):
    x, y, a, b = pair
    primal = dv.w1_primal(x, y, a, b).value
    reference = highs_primal(x, y, a, b)
    np.testing.assert_allclose(primal, reference, **HIGHS)
    for method in METHODS:
        dual = dv.w1_dual(x, y, a, b, method=method)
        # HiGHS (method "lp") may stop within its tolerance on near-ties: see "highs".
        np.testing.assert_allclose(dual.value, primal, **(LP if method == "primal" else HIGHS))
        # The value is the KR objective of the returned potential, which is 1-Lipschitz.
        np.testing.assert_allclose(_kr_objective(dual, a, b), dual.value, **LP)
        assert_lipschitz(dual, method)
        recomputed = dv.lipschitz_violation(dual.f, dual.points)
        np.testing.assert_allclose(recomputed, dual.lipschitz_violation, **LP)


@pytest.mark.parametrize("metric", ["cityblock", "chebyshev"])
@given(pair=measure_pairs(dims=(2,)))
def test_strong_duality_other_metrics(metric, pair):
    x, y, a, b = pair
    primal = dv.w1_primal(x, y, a, b, metric=metric).value
    for method in METHODS:
        dual = dv.w1_dual(x, y, a, b, metric=metric, method=method)
        np.testing.assert_allclose(dual.value, primal, **(LP if method == "primal" else HIGHS))
        violation = dual.lipschitz_violation
        np.testing.assert_allclose(
            violation, dv.lipschitz_violation(dual.f, dual.points, metric=metric), **LP
        )
        scale = max(1.0, float(np.max(np.asarray(dv.cost_matrix(dual.points, dual.points)))))
        assert float(violation) <= HIGHS["atol"] + HIGHS["rtol"] * scale


def test_larger_fixed_case_both_methods():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(25, 2)), rng.normal(0.5, 1.5, size=(20, 2))
    a, b = rng.dirichlet(np.ones(25)), rng.dirichlet(np.ones(20))
    values = [dv.w1_dual(x, y, a, b, method=m).value for m in METHODS]
    np.testing.assert_allclose(values[0], highs_primal(x, y, a, b), **LP)
    np.testing.assert_allclose(values[1], highs_primal(x, y, a, b), **LP)


def test_potential_order_and_points():
    x = np.array([[0.0, 0.0], [1.0, 0.0]])
    y = np.array([[5.0, 0.0], [6.0, 0.0], [7.0, 0.0]])
    dual = dv.w1_dual(x, y)
    np.testing.assert_array_equal(dual.points, np.concatenate([x, y]))
    # Everything moves right: f(z) = -z_1 + const, x's values first.
    f = np.asarray(dual.f)
    np.testing.assert_allclose(f - f[0], -np.concatenate([x, y])[:, 0], **LP)


@pytest.mark.parametrize("method", METHODS)
@given(pair=measure_pairs())
def test_identical_measures_give_zero(method, pair):
    x, _, a, _ = pair
    dual = dv.w1_dual(x, x, a, a, method=method)
    np.testing.assert_allclose(dual.value, 0.0, **(LP if method == "primal" else HIGHS))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("theta", [1.25, -0.5, 0.0])
def test_parallel_lines_potential(method, theta):
    k = 5
    z = np.random.default_rng(1).normal(size=k)
    x = np.stack([np.zeros(k), z], axis=1)
    y = x + np.array([theta, 0.0])
    dual = dv.w1_dual(x, y, method=method)
    np.testing.assert_allclose(dual.value, abs(theta), **LP)
    f = np.asarray(dual.f)
    # Every pair (x_k, y_k) is tight: f(x_k) - f(y_k) = |theta|, for any optimal potential.
    np.testing.assert_allclose(f[:k] - f[k:], abs(theta), **LP)
    if method == "primal" and theta != 0.0:
        # The c-transform potential is -sign(theta) z_1 + const on the union of the supports.
        # (On finitely many points the optimal potential is not unique: the KR LP solved by
        # HiGHS may return another one, still tight on the pairs, so this is asserted for the
        # c-transform only.)
        shifted = f + np.sign(theta) * np.asarray(dual.points)[:, 0]
        np.testing.assert_allclose(shifted, shifted[0], **LP)


def test_parallel_lines_potential_is_not_unique_on_samples():
    # Both potentials attain the value, both are 1-Lipschitz; they need not coincide: the
    # lecture's f = -x_1 is the unique critic for the lines, not for finite samples of them.
    k = 5
    z = np.random.default_rng(1).normal(size=k)
    x = np.stack([np.zeros(k), z], axis=1)
    y = x + np.array([1.25, 0.0])
    by_lp = dv.w1_dual(x, y, method="lp")
    linear = -np.asarray(by_lp.points)[:, 0]
    a = np.full(k, 1 / k)
    np.testing.assert_allclose(a @ linear[:k] - a @ linear[k:], by_lp.value, **LP)
    assert float(dv.lipschitz_violation(linear, by_lp.points)) == 0.0
    assert np.ptp(np.asarray(by_lp.f) - linear) > 1e-3


def test_zero_weight_points_keep_the_potential_feasible():
    x = np.array([[0.0, 0.0], [4.0, 4.0], [1.0, 0.0]])
    y = np.array([[0.0, 2.0], [-3.0, 0.0]])
    a = np.array([0.5, 0.0, 0.5])
    b = np.array([1.0, 0.0])
    for method in METHODS:
        dual = dv.w1_dual(x, y, a, b, method=method)
        np.testing.assert_allclose(dual.value, highs_primal(x, y, a, b), **LP)
        assert_lipschitz(dual, method)


# ------------------------------------------------------------------------------ gradients


def _generic(seed=21):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(4, 2)),
        rng.normal(size=(3, 2)),
        rng.dirichlet(np.ones(4)),
        rng.dirichlet(np.ones(3)),
    )


@pytest.mark.parametrize("method", METHODS)
def test_gradients_match_finite_differences_and_primal(method):
    x, y, a, b = _generic()

    def value(x, y, a, b):
        return dv.w1_dual(x, y, a, b, method=method).value

    tol = tolerance("gradient")
    for fn in (value, jax.jit(value)):
        gx, gy = jax.grad(fn, argnums=(0, 1))(x, y, a, b)
        np.testing.assert_allclose(
            gx, central_difference(lambda t, fn=fn: float(fn(t, y, a, b)), x), **tol
        )
        np.testing.assert_allclose(
            gy, central_difference(lambda t, fn=fn: float(fn(x, t, a, b)), y), **tol
        )
    grads = jax.grad(value, argnums=(0, 1, 2, 3))(x, y, a, b)
    primal = jax.grad(lambda *t: dv.w1_primal(*t).value, argnums=(0, 1, 2, 3))(x, y, a, b)
    for g, p in zip(grads, primal, strict=True):
        np.testing.assert_allclose(g, p, **tol)


@pytest.mark.parametrize("method", METHODS)
def test_gradient_under_vmap(method):
    x, y, a, b = _generic(seed=3)
    shifts = jnp.array([[0.0, 0.0], [0.4, 0.1]])

    def value(x):
        return dv.w1_dual(x, y, a, b, method=method).value

    grads = jax.vmap(jax.grad(value))(x[None] + shifts[:, None, :])
    for s, g in zip(np.asarray(shifts), grads, strict=True):
        fd = central_difference(lambda t: float(value(t)), x + s)
        np.testing.assert_allclose(g, fd, **tolerance("gradient"))


@pytest.mark.parametrize("method", METHODS)
def test_parallel_lines_gradient_is_sign(method):
    z = np.random.default_rng(2).normal(size=4)
    x0 = np.stack([np.zeros(4), z], axis=1)
    e1 = np.array([1.0, 0.0])
    grad = jax.grad(lambda t: dv.w1_dual(x0, x0 + t * e1, method=method).value)
    for t in (0.6, -0.2):
        np.testing.assert_allclose(grad(t), np.sign(t), **tolerance("gradient"))


# ------------------------------------------------------------------------ jit, vmap, input


@pytest.mark.parametrize("method", METHODS)
def test_plain_jit_and_vmap_agree(method):
    x, y, a, b = _generic(seed=9)

    def fn(x, y, a, b):
        return dv.w1_dual(x, y, a, b, method=method)

    plain = fn(x, y, a, b)
    jitted = jax.jit(fn)(x, y, a, b)
    np.testing.assert_allclose(jitted.value, plain.value, **LP)
    np.testing.assert_allclose(jitted.f, plain.f, **LP)
    np.testing.assert_allclose(jitted.points, plain.points, **LP)
    assert_lipschitz(jitted, method)
    ys = np.stack([y, y - 2.0])
    batched = jax.vmap(fn, in_axes=(None, 0, None, None))(x, ys, a, b)
    for i in range(2):
        np.testing.assert_allclose(batched.value[i], dv.w1_primal(x, ys[i], a, b).value, **LP)
        assert float(batched.lipschitz_violation[i]) <= LP["atol"]


def test_unknown_method():
    with pytest.raises(ValueError, match="method must be one of 'primal', 'lp'"):
        dv.w1_dual([0.0], [1.0], method="sinkhorn")


def test_unknown_metric():
    with pytest.raises(ValueError, match="metric must be one of"):
        dv.w1_dual([0.0], [1.0], metric="hamming")


def test_solver_stopping_short_is_an_error():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(150, 2)), rng.normal(size=(150, 2))
    with pytest.raises(dv.SolverError, match="stopped before optimality"):
        dv.w1_dual(x, y, max_iter=10)


@pytest.mark.parametrize("metric", ["euclidean", "cityblock"])
def test_blockwise_host_path_on_a_larger_problem(metric):
    # 300 + 300 points: the host c-transform and Lipschitz check run over several row blocks.
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(300, 2)), rng.normal(0.5, 1.0, size=(300, 2))
    dual = dv.w1_dual(x, y, metric=metric)
    np.testing.assert_allclose(dual.value, dv.w1_primal(x, y, metric=metric).value, **LP)
    full = dv.lipschitz_violation(dual.f, dual.points, metric=metric)
    np.testing.assert_allclose(dual.lipschitz_violation, full, **LP)
    # A potential that is not 1-Lipschitz: the block-wise check finds its worst pair too.
    scaled = dual.f * 1.5
    np.testing.assert_allclose(
        lipschitz_violation_host(np.asarray(scaled), np.asarray(dual.points), metric),
        dv.lipschitz_violation(scaled, dual.points, metric=metric),
        **LP,
    )
