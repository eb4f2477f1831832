"""W1 as the primal transport LP, against HiGHS and POT.

Values against HiGHS and POT, the plan's constraints, the LP duals, metric axioms, the parallel
lines, envelope gradients, solver status, bad input.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.measures import measure_pairs, measure_triples
from divergences.testing.reference import (
    central_difference,
    highs_primal,
    pot_value,
    simplex_directions,
)
from divergences.wasserstein._src.host import native

LP = tolerance("lp")
HIGHS = tolerance("highs")  # against HiGHS, which may stop within 1e-10 on near-ties


def _cost(x, y, metric="euclidean"):
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    return cdist(x, y, metric=metric)


def dense(sol):
    """The plan of a W1Primal as its (n, m) matrix."""
    return np.asarray(sol.plan.todense())


def assert_coupling(plan, a, b):
    plan = np.asarray(plan)
    np.testing.assert_allclose(plan.sum(axis=1), a, **LP)
    np.testing.assert_allclose(plan.sum(axis=0), b, **LP)
    assert plan.min() >= 0.0


# ---------------------------------------------------------------------------------- values


@pytest.mark.slow
@given(measure_pairs())
def test_value_matches_highs_and_pot(pair):
    x, y, a, b = pair
    sol = dv.w1_primal(x, y, a, b)
    np.testing.assert_allclose(sol.value, highs_primal(x, y, a, b), **HIGHS)
    np.testing.assert_allclose(sol.value, pot_value(x, y, a, b), **LP)
    assert_coupling(dense(sol), a, b)
    np.testing.assert_allclose(sol.value, np.sum(dense(sol) * _cost(x, y)), **LP)


@pytest.mark.slow
@given(measure_pairs())
def test_lp_duals_are_feasible_and_attain_the_value(pair):
    x, y, a, b = pair
    sol = dv.w1_primal(x, y, a, b)
    u, v, plan = np.asarray(sol.u), np.asarray(sol.v), dense(sol)
    cost = _cost(x, y)
    slack = cost - u[:, None] - v[None, :]
    assert slack.min() >= -LP["atol"]
    # Complementary slackness: no slack where mass is moved.
    assert np.max(np.abs(slack[plan > 0]), initial=0.0) <= 1e-12 * max(1.0, cost.max())
    np.testing.assert_allclose(a @ u + b @ v, sol.value, **LP)


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["cityblock", "chebyshev", "sqeuclidean"])
@given(pair=measure_pairs())
def test_other_metrics_match_highs(metric, pair):
    x, y, a, b = pair
    value = dv.w1_primal(x, y, a, b, metric=metric).value
    np.testing.assert_allclose(value, highs_primal(x, y, a, b, metric=metric), **HIGHS)


# In the slow tier: the larger sizes, each its own programs.
@pytest.mark.slow
@pytest.mark.parametrize(("n", "m", "d", "seed"), [(40, 55, 2, 0), (60, 30, 3, 1), (80, 80, 2, 2)])
def test_larger_fixed_cases(n, m, d, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(1.0, 2.0, size=(m, d))
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    a[:3] = 0.0
    a /= a.sum()
    sol = dv.w1_primal(x, y, a, b)
    np.testing.assert_allclose(sol.value, highs_primal(x, y, a, b), **LP)
    np.testing.assert_allclose(sol.value, pot_value(x, y, a, b), **LP)
    assert_coupling(dense(sol), a, b)


def test_callable_metric_equals_named():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(7, 2))
    named = dv.w1_primal(x, y, metric="cityblock").value
    custom = dv.w1_primal(x, y, metric=lambda p, q: jnp.sum(jnp.abs(p - q))).value
    np.testing.assert_allclose(custom, named, **LP)


def test_single_point_is_the_mean_distance():
    # All of nu's mass goes to the one point: W1(delta_x, nu) = sum_j b_j |x - y_j|.
    y = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 4.0]])
    b = np.array([0.5, 0.25, 0.25])
    sol = dv.w1_primal([[0.0, 0.0]], y, None, b)
    np.testing.assert_allclose(sol.value, 0.5 * 1 + 0.25 * 2 + 0.25 * 5, **LP)
    np.testing.assert_allclose(dense(sol), b[None, :], **LP)


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
@given(measure_pairs())
def test_identical_measures_give_zero(pair):
    # At most rounding: where two support points are closer than the network simplex's pivot
    # tolerance (1e-48 apart, say), moving mass between them counts as free, and it may.
    x, _, a, _ = pair
    value = float(dv.w1_primal(x, x, a, a).value)
    assert 0.0 <= value <= LP["atol"]


def test_identical_measures_give_exactly_zero():
    rng = np.random.default_rng(13)
    x = np.concatenate([rng.normal(size=(6, 2)), np.zeros((2, 2))])  # with a repeated point
    a = rng.dirichlet(np.ones(8))
    a[0] = 0.0
    a /= a.sum()
    assert float(dv.w1_primal(x, x, a, a).value) == 0.0
    assert float(dv.w1_dual(x, x, a, a).value) == 0.0


def test_repeated_points_merge():
    # Two copies of a point with half the mass each are the same measure as one point.
    x = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    y = np.array([[2.0, 0.0]])
    merged = dv.w1_primal(np.array([[0.0, 0.0], [1.0, 1.0]]), y, np.array([0.5, 0.5])).value
    split = dv.w1_primal(x, y, np.array([0.25, 0.25, 0.5])).value
    np.testing.assert_allclose(split, merged, **LP)


# -------------------------------------------------------------------------- metric axioms


@given(measure_pairs())
def test_symmetry(pair):
    x, y, a, b = pair
    np.testing.assert_allclose(dv.w1_primal(x, y, a, b).value, dv.w1_primal(y, x, b, a).value, **LP)


@pytest.mark.slow
@given(measure_triples())
def test_triangle_inequality(triple):
    (x, a), (y, b), (z, c) = triple
    xy = float(dv.w1_primal(x, y, a, b).value)
    yz = float(dv.w1_primal(y, z, b, c).value)
    xz = float(dv.w1_primal(x, z, a, c).value)
    assert xz <= xy + yz + LP["rtol"] * (xy + yz) + LP["atol"]


def test_squared_cost_is_not_w1():
    # The W1 vs W2^2 trap: with the squared cost the same LP gives W2^2, which fails the
    # triangle inequality (4 > 1 + 1 for Diracs at 0, 1, 2) while W1 satisfies it (2 = 1 + 1).
    d = {t: np.array([[t]]) for t in (0.0, 1.0, 2.0)}
    sq = {k: float(dv.w1_primal(d[0.0], d[k], metric="sqeuclidean").value) for k in (1.0, 2.0)}
    assert sq[2.0] == 4.0 and sq[1.0] == 1.0
    assert float(dv.w1_primal(d[0.0], d[2.0]).value) == 2.0


# ------------------------------------------------------------------------- parallel lines


def _lines(theta, k=6, seed=0):
    z = np.random.default_rng(seed).normal(size=k)
    x = np.stack([np.zeros(k), z], axis=1)
    return x, x + np.array([theta, 0.0])


@pytest.mark.parametrize("theta", [1.5, -0.75, 0.0, 1e-3])
def test_parallel_lines_value_and_plan(theta):
    x, y = _lines(theta)
    sol = dv.w1_primal(x, y)
    np.testing.assert_allclose(sol.value, abs(theta), **LP)
    # The plan pairs equal heights z: the identity coupling.
    if theta != 0.0:
        np.testing.assert_allclose(dense(sol), np.eye(len(x)) / len(x), **LP)


def test_parallel_lines_with_independent_samples_overestimate():
    # With independent heights for the two samples, the empirical W1 carries a sampling bias:
    # it exceeds the population value |theta| (matching z's costs nothing only when shared).
    rng = np.random.default_rng(7)
    theta, k = 0.5, 30
    x = np.stack([np.zeros(k), rng.normal(size=k)], axis=1)
    y = np.stack([np.full(k, theta), rng.normal(size=k)], axis=1)
    value = float(dv.w1_primal(x, y).value)
    assert value > abs(theta) * 1.05
    np.testing.assert_allclose(
        value, highs_primal(x, y, np.full(k, 1 / k), np.full(k, 1 / k)), **LP
    )


@pytest.mark.slow
@pytest.mark.parametrize("t", [0.8, -0.4])
def test_parallel_lines_gradient_is_sign(t):
    x0, _ = _lines(0.0)
    e1 = np.array([1.0, 0.0])

    def value(s):
        return dv.w1_primal(x0, x0 + s * e1).value

    for fn in (jax.grad(value), jax.jit(jax.grad(value))):
        np.testing.assert_allclose(fn(t), np.sign(t), **tolerance("gradient"))
    batched = jax.vmap(jax.grad(value))(jnp.array([t, -t]))
    np.testing.assert_allclose(batched, [np.sign(t), -np.sign(t)], **tolerance("gradient"))


# ------------------------------------------------------------------------------ gradients


def _generic(seed=11, n=4, m=5, d=2):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n, d)),
        rng.normal(size=(m, d)),
        rng.dirichlet(np.ones(n)),
        rng.dirichlet(np.ones(m)),
    )


def _fd_checks(value_fn, x, y, a, b):
    """Compares jax.grad of value_fn(x, y, a, b) with central differences (x, y, simplex a, b)."""
    gx, gy, ga, gb = jax.grad(value_fn, argnums=(0, 1, 2, 3))(x, y, a, b)
    tol = tolerance("gradient")

    def scalar(*args):
        return float(value_fn(*args))

    np.testing.assert_allclose(gx, central_difference(lambda t: scalar(t, y, a, b), x), **tol)
    np.testing.assert_allclose(gy, central_difference(lambda t: scalar(x, t, a, b), y), **tol)
    for w, g, pos in ((a, ga, 2), (b, gb, 3)):
        for direction in simplex_directions(len(w)):
            h = 1e-6
            args_p = [x, y, a, b]
            args_m = [x, y, a, b]
            args_p[pos] = w + h * direction
            args_m[pos] = w - h * direction
            fd = (scalar(*args_p) - scalar(*args_m)) / (2 * h)
            np.testing.assert_allclose(np.dot(g, direction), fd, **tol)
        # Centred: the gradient is tangent to the simplex.
        np.testing.assert_allclose(np.sum(g), 0.0, **tol)


@pytest.mark.slow
def test_gradients_match_finite_differences():
    x, y, a, b = _generic()

    def value(x, y, a, b):
        return dv.w1_primal(x, y, a, b).value

    _fd_checks(value, x, y, a, b)
    _fd_checks(jax.jit(value), x, y, a, b)


@pytest.mark.slow
def test_gradient_equals_plan_weighted_cost_gradient():
    x, y, a, b = _generic(seed=5)
    sol = dv.w1_primal(x, y, a, b)
    diff = x[:, None, :] - y[None, :, :]
    unit = diff / np.linalg.norm(diff, axis=-1, keepdims=True)
    expected = np.einsum("ij,ijk->ik", dense(sol), unit)
    gx = jax.grad(lambda t: dv.w1_primal(t, y, a, b).value)(x)
    np.testing.assert_allclose(gx, expected, **tolerance("gradient"))
    # Forward mode too: the envelope terms need no custom rule.
    fx = jax.jacfwd(lambda t: dv.w1_primal(t, y, a, b).value)(x)
    np.testing.assert_allclose(fx, expected, **tolerance("gradient"))


@pytest.mark.slow
def test_gradient_under_vmap_matches_finite_differences():
    x, y, a, b = _generic(seed=2)
    shifts = jnp.array([[0.0, 0.0], [0.3, -0.2], [-1.0, 0.5]])

    def value(x, y):
        return dv.w1_primal(x, y, a, b).value

    grads = jax.vmap(jax.grad(value), in_axes=(0, None))(x[None] + shifts[:, None, :], y)
    for s, g in zip(np.asarray(shifts), grads, strict=True):
        fd = central_difference(lambda t: float(value(t, y)), x + s)
        np.testing.assert_allclose(g, fd, **tolerance("gradient"))


@pytest.mark.slow
def test_gradient_is_finite_with_zero_mass_and_coincident_points():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 2.0]])
    y = np.array([[0.0, 0.0], [1.0, 0.0]])  # coincide with x's first two points
    a = np.array([0.5, 0.5, 0.0])
    g = jax.grad(lambda x, y, a: dv.w1_primal(x, y, a).value, argnums=(0, 1, 2))(x, y, a)
    for part in g:
        assert np.isfinite(np.asarray(part)).all()
    np.testing.assert_allclose(g[0], 0.0, **LP)


# ------------------------------------------------------------------ jit, vmap, dtypes


@pytest.mark.slow
def test_plain_jit_and_vmap_agree():
    x, y, a, b = _generic(seed=4)
    plain = dv.w1_primal(x, y, a, b)
    jitted = jax.jit(dv.w1_primal)(x, y, a, b)
    # The plan: the same arcs, padded with zero-mass arcs to the static length n + m under jit.
    np.testing.assert_allclose(dense(jitted), dense(plain), **LP)
    assert jitted.plan.mass.shape == (len(a) + len(b),)
    assert jitted.method == plain.method == "dense"
    for p, j in zip(*(r._replace(plan=0, method=0) for r in (plain, jitted)), strict=True):
        np.testing.assert_allclose(j, p, **LP)
    xs = np.stack([x, x + 1.0, x[::-1]])
    batched = jax.vmap(dv.w1_primal, in_axes=(0, None, None, None))(xs, y, a, b)
    for i in range(len(xs)):
        ref = dv.w1_primal(xs[i], y, a, b)
        np.testing.assert_allclose(batched.value[i], ref.value, **LP)
        assert_coupling(batched.plan.todense()[i], a, b)


def test_float32_inputs():
    x, y, a, b = (t.astype(np.float32) for t in _generic(seed=6))
    sol = dv.w1_primal(x, y, a, b)
    assert sol.value.dtype == jnp.float32 and sol.plan.mass.dtype == jnp.float32
    # float32 masses sum to 1 within float32 rounding only: the float64 reference LP needs
    # them normalised again to be feasible at HiGHS's tight tolerances.
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ref = highs_primal(x.astype(np.float64), y.astype(np.float64), a64 / a64.sum(), b64 / b64.sum())
    np.testing.assert_allclose(sol.value, ref, **tolerance("float32"))
    dual = dv.w1_dual(x, y, a, b, method="lp")
    assert dual.value.dtype == jnp.float32
    np.testing.assert_allclose(dual.value, ref, **tolerance("float32"))


# ----------------------------------------------------------------- solver status, input


@pytest.mark.slow
def test_solver_stopping_short_is_an_error():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    with pytest.raises(dv.SolverError, match="stopped before optimality") as eager:
        dv.w1_primal(x, y, max_iter=10)
    # Under jit the callback cannot raise: NaN, never a number; checked mode raises the same
    # SolverError with the same message.
    fn = jax.jit(lambda x, y: dv.w1_primal(x, y, max_iter=10).value)
    assert np.isnan(float(fn(x, y)))
    with pytest.raises(dv.SolverError) as traced:
        dv.checked(fn)(x, y)
    assert str(traced.value) == str(eager.value)
    # And the default cap reaches the optimum.
    np.testing.assert_allclose(
        dv.w1_primal(x, y).value, pot_value(x, y, np.full(200, 0.005), np.full(200, 0.005)), **LP
    )


@pytest.mark.parametrize("max_iter", [0, -5, 2.5, True])
def test_bad_max_iter(max_iter):
    with pytest.raises(ValueError, match="max_iter must be a positive integer"):
        dv.w1_primal([0.0], [1.0], max_iter=max_iter)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"a": [0.5, 0.5]}, "a has 2 weights but x has 3 points"),
        ({"b": [1.0]}, "b has 1 weights but y has 2 points"),
        ({"a": [0.5, 0.7, -0.2]}, "a has negative mass"),
        ({"a": [0.5, np.nan, 0.5]}, "a contains NaN"),
        ({"b": [0.5, 0.6]}, "b does not sum to 1"),
        ({"a": [0.2, 0.2, 0.2], "b": [0.3, 0.3]}, "a does not sum to 1"),
        # Each within the sum tolerance of 1 (1.5e-8), but not within it of each other.
        ({"a": [0.5, 0.5 + 1e-8, 0.0], "b": [0.5, 0.5 - 1e-8]}, "equal total mass"),
        ({"y": [[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]}, "same dimension"),
        ({"x": [[0.0, np.nan], [1.0, 1.0], [2.0, 2.0]]}, "x contains NaN or inf"),
        ({"metric": "minkowski"}, "metric=.minkowski. needs its parameter"),
        ({"metric": "cosine"}, "metric must be one of"),
        ({"x": np.zeros((0, 2))}, "x is empty"),
        ({"x": np.zeros((2, 2, 2))}, "x must be a 1-D array of points"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {"x": [[0.0, 0.0], [1.0, 0.0], [2.0, 1.0]], "y": [[0.0, 1.0], [1.0, 1.0]]}
    args.update(kwargs)
    x, y = args.pop("x"), args.pop("y")
    with pytest.raises(ValueError, match=match):
        dv.w1_primal(x, y, **args)
    if "metric" not in kwargs:
        with pytest.raises(ValueError, match=match):
            dv.w1_dual(x, y, **args)


@pytest.mark.slow
def test_value_checks_under_jit_with_checked():
    # Under jit the weight rules are checkify debug checks, raised by dv.checked.
    x, y = np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 1.0], [2.0, 0.0]])
    fn = dv.checked(jax.jit(lambda x, y, a, b: dv.w1_primal(x, y, a, b).value))
    np.testing.assert_allclose(fn(x, y, np.full(2, 0.5), np.full(2, 0.5)), 1.0 / 2 + 0.5, **LP)
    with pytest.raises(ValueError, match="a does not sum to 1"):
        fn(x, y, np.full(2, 0.6), np.full(2, 0.6))


# ---------------------------------------------------------------------------------------------
# The ends of floating point: exact references in rational arithmetic (fractions), no solver
# ---------------------------------------------------------------------------------------------


def _exact_w1_line(x, y, a=None, b=None):
    """W1 on the line in rational arithmetic: the integral of |F_x - F_y| over the pooled points.

    ``a``/``b`` None: the exact uniform weights 1/n, 1/m (not their rounding).
    """

    def exact(t):
        return t if isinstance(t, Fraction) else Fraction(float(t))

    xs = [exact(t) for t in np.ravel(x)]
    ys = [exact(t) for t in np.ravel(y)]
    wa = [Fraction(1, len(xs))] * len(xs) if a is None else [exact(t) for t in a]
    wb = [Fraction(1, len(ys))] * len(ys) if b is None else [exact(t) for t in b]
    events = sorted(
        [(p, w, 0) for p, w in zip(xs, wa, strict=True)]
        + [(p, w, 1) for p, w in zip(ys, wb, strict=True)]
    )
    fx = fy = Fraction(0)
    total = Fraction(0)
    for (p, w, side), (q, _, _) in zip(events, events[1:] + events[-1:], strict=True):
        if side == 0:
            fx += w
        else:
            fy += w
        total += abs(fx - fy) * (q - p)
    return total


def _encloses(sol, exact):
    lo, hi = Fraction(float(sol.lower_bound)), Fraction(float(sol.upper_bound))
    return lo <= exact <= hi


_SUBNORMAL_X = np.array([[1e-40, 0.0], [3e-40, 0.0]], np.float32)
_SUBNORMAL_Y = np.array([[0.0, 0.0], [7e-40, 0.0]], np.float32)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("method", ["dense", "sparse"])
def test_subnormal_float32_points_reach_the_host_in_every_mode(mode, method):
    # XLA's CPU runs with flush-to-zero: a callback used to see these points as 0 and return an
    # interval around 0. Points on one axis, so W1 is the exact 1-D value.
    if method == "sparse" and not native.available():
        pytest.skip("the sparse solver needs the compiled extension")
    exact = _exact_w1_line(_SUBNORMAL_X[:, 0], _SUBNORMAL_Y[:, 0])
    f = functools.partial(dv.w1_primal, method=method)
    if mode == "eager":
        sol = f(_SUBNORMAL_X, _SUBNORMAL_Y)
    elif mode == "jit":
        sol = jax.jit(f)(_SUBNORMAL_X, _SUBNORMAL_Y)
    else:
        sol = jax.tree.map(lambda t: t[0], jax.vmap(f)(_SUBNORMAL_X[None], _SUBNORMAL_Y[None]))
    assert exact > 0
    assert _encloses(sol, exact)
    assert sol.lower_bound <= sol.value <= sol.upper_bound
    assert float(sol.value) > 0  # the subnormal value is not flushed on its way out


def test_subnormal_float32_points_with_float64_weights_under_jit():
    # The cast of the points to the weights' float64 happens in XLA: it must keep subnormals.
    a = np.array([0.25, 0.75])
    exact = _exact_w1_line(_SUBNORMAL_X[:, 0], _SUBNORMAL_Y[:, 0], a, [0.5, 0.5])
    sol = jax.jit(dv.w1_primal)(_SUBNORMAL_X, _SUBNORMAL_Y, a, np.array([0.5, 0.5]))
    assert sol.value.dtype == np.float64
    assert _encloses(sol, exact)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
def test_overflowing_w1_is_inf_with_bounds_and_never_nan(mode):
    # float32 points near 1e38 in 64 dimensions: W1 is past the largest float32. Every mode
    # returns inf with the bounds [largest float, inf], as documented; none gives NaN.
    rng = np.random.default_rng(3)
    x = (rng.uniform(0.5, 1, size=(4, 64)) * 2e38).astype(np.float32)
    y = -x[:3]
    f = dv.w1_primal
    if mode == "eager":
        sol = f(x, y)
    elif mode == "jit":
        sol = jax.jit(f)(x, y)
    else:
        sol = jax.tree.map(lambda t: t[0], jax.vmap(f)(x[None], y[None]))
    assert np.isinf(sol.value) and np.isinf(sol.upper_bound)
    assert sol.lower_bound == np.finfo(np.float32).max
    grad = jax.grad(lambda p: dv.w1_primal(p, y).value)(x)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_near_overflow_float32_dense_value_is_finite_and_enclosed(mode):
    # W1 close to, but below, the largest float32: value and bounds finite, no NaN.
    x = np.array([[1e38, 0.0], [-1e38, 0.0]], np.float32)
    y = np.array([[0.0, 0.0], [3e38, 0.0]], np.float32)
    f = functools.partial(dv.w1_primal, method="dense")
    sol = f(x, y) if mode == "eager" else jax.jit(f)(x, y)
    exact = _exact_w1_line(x[:, 0], y[:, 0])
    assert np.isfinite(sol.value)
    assert _encloses(sol, exact)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_float32_uniform_weights_certify_the_exact_uniform_measure(mode):
    # a=None is the measure with masses exactly 1/n: the interval holds its W1, not the W1 of
    # float32(1/n) (before, about one case in five excluded the exact value).
    rng = np.random.default_rng(0)
    f = dv.w1_primal if mode == "eager" else jax.jit(dv.w1_primal)
    for _ in range(40):
        n, m = (int(t) for t in rng.integers(2, 8, size=2))
        x = rng.uniform(0, 1, size=(n, 1)).astype(np.float32)
        y = rng.uniform(0.5, 2, size=(m, 1)).astype(np.float32)
        sol = f(x, y)
        assert _encloses(sol, _exact_w1_line(x, y)), (x.ravel(), y.ravel())
        b = np.full(m, 1 / m, np.float32)
        sol = f(x, y, None, b)  # one side uniform only
        # b as given is taken at a's exact total, 1: its exact masses are b / sum(b).
        total_b = sum(Fraction(float(t)) for t in b)
        exact = _exact_w1_line(x, y, None, [Fraction(float(t)) / total_b for t in b])
        assert _encloses(sol, exact), (x.ravel(), y.ravel())
