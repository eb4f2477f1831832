"""W1 as the Kantorovich-Rubinstein dual, against the primal, POT and brute force.

Strong duality by two separate solvers, the potential's 1-Lipschitz property and order, the parallel
lines, gradients, jit and vmap; the sparse method (the c-transform of the sparse solve) against the
dense one and POT, and the potential evaluated at new points (kr_potential) against brute force.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.measures import (
    measure_pairs,
    points,
    power_of_two_exponents,
    stays_normal,
)
from divergences.testing.profiles import at_most
from divergences.testing.reference import central_difference, highs_primal, pot_value
from divergences.wasserstein._src.host import nearest
from divergences.wasserstein._src.host import sparse as _sparse
from divergences.wasserstein._src.host.nearest import lipschitz_violation

LP = tolerance("lp")
HIGHS = tolerance("highs")
METHODS = ["dense", "lp"]
# Every method with its options for an exact answer: the sparse solver run to optimality.
ALL_METHODS = {"dense": {}, "sparse": {"rtol": 0.0}, "lp": {}}
# Each method as a test parameter; the sparse one needs the compiled extension.
ALL_METHOD_PARAMS = [
    pytest.param(k, marks=pytest.mark.native) if k == "sparse" else k for k in ALL_METHODS
]


def assert_lipschitz(dual, method):
    """The potential's violation is at the rounding of its solver, relative to the costs.

    The c-transforms ("dense", "sparse") are 1-Lipschitz up to float rounding of a min of
    distances: a few ulps of the largest cost. HiGHS ("lp") returns a basic solution whose
    constraints hold to its feasibility tolerance, the "highs" tolerance relative to the
    largest cost.
    """
    scale = max(1.0, float(np.max(np.asarray(dv.cost_matrix(dual.points, dual.points)))))
    if method in ("dense", "sparse"):
        bound = 64 * np.finfo(np.float64).eps * scale
    else:
        bound = HIGHS["atol"] + HIGHS["rtol"] * scale
    assert 0.0 <= float(dual.lipschitz_violation) <= bound


def _kr_objective(dual, a, b):
    n = len(a)
    f = np.asarray(dual.f)
    return a @ f[:n] - b @ f[n:]


@pytest.mark.slow
@at_most(30)  # three LPs per example, one of them the quadratic KR LP
@given(measure_pairs())
def test_strong_duality_two_solvers(pair):
    x, y, a, b = pair
    primal = dv.w1_primal(x, y, a, b).value
    reference = highs_primal(x, y, a, b)
    np.testing.assert_allclose(primal, reference, **HIGHS)
    for method in METHODS:
        dual = dv.w1_dual(x, y, a, b, method=method)
        # HiGHS (method "lp") may stop within its tolerance on near-ties: see "highs".
        np.testing.assert_allclose(dual.value, primal, **(LP if method == "dense" else HIGHS))
        # The value is the KR objective of the returned potential, which is 1-Lipschitz.
        np.testing.assert_allclose(_kr_objective(dual, a, b), dual.value, **LP)
        assert_lipschitz(dual, method)
        recomputed = dv.lipschitz_violation(dual.f, dual.points)
        np.testing.assert_allclose(recomputed, dual.lipschitz_violation, **LP)


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["cityblock", "chebyshev"])
@at_most(30)  # as above, per metric
@given(pair=measure_pairs(dims=(2,)))
def test_strong_duality_other_metrics(metric, pair):
    x, y, a, b = pair
    primal = dv.w1_primal(x, y, a, b, metric=metric).value
    for method in METHODS:
        dual = dv.w1_dual(x, y, a, b, metric=metric, method=method)
        np.testing.assert_allclose(dual.value, primal, **(LP if method == "dense" else HIGHS))
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


# In the slow tier: test_parallel_lines_potential[0.0-*] (both methods) and test_primal.py's
# test_identical_measures_give_exactly_zero (w1_dual, exactly 0.0) stay quick.
@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
@given(pair=measure_pairs())
def test_identical_measures_give_zero(method, pair):
    x, _, a, _ = pair
    dual = dv.w1_dual(x, x, a, a, method=method)
    np.testing.assert_allclose(dual.value, 0.0, **(LP if method == "dense" else HIGHS))


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
    if method == "dense" and theta != 0.0:
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


# In the slow tier: test_strong_duality_two_solvers makes the same checks with drawn zero weights.
@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_parallel_lines_gradient_is_sign(method):
    z = np.random.default_rng(2).normal(size=4)
    x0 = np.stack([np.zeros(4), z], axis=1)
    e1 = np.array([1.0, 0.0])
    grad = jax.grad(lambda t: dv.w1_dual(x0, x0 + t * e1, method=method).value)
    for t in (0.6, -0.2):
        np.testing.assert_allclose(grad(t), np.sign(t), **tolerance("gradient"))


# ------------------------------------------------------------------------ jit, vmap, input


@pytest.mark.slow
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
    with pytest.raises(
        ValueError,
        match="method must be one of 'auto', 'dense', 'sparse', 'line', 'sinkhorn', 'lp'",
    ):
        dv.w1_dual([0.0], [1.0], method="greenkhorn")


def test_unknown_metric():
    with pytest.raises(ValueError, match="metric must be one of"):
        dv.w1_dual([0.0], [1.0], metric="hamming")


def test_solver_stopping_short_is_an_error():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(150, 2)), rng.normal(size=(150, 2))
    with pytest.raises(dv.SolverError, match="stopped before optimality"):
        dv.w1_dual(x, y, max_iter=10)


# In the slow tier: a larger problem (the blockwise path's own programs).
@pytest.mark.slow
@pytest.mark.parametrize("metric", ["euclidean", "cityblock"])
def test_blockwise_host_path_on_a_larger_problem(metric):
    # 300 + 300 points: the host c-transform and Lipschitz check run over several row blocks.
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(300, 2)), rng.normal(0.5, 1.0, size=(300, 2))
    dual = dv.w1_dual(x, y, metric=metric)
    np.testing.assert_allclose(dual.value, dv.w1_primal(x, y, metric=metric).value, **LP)
    full = dv.lipschitz_violation(dual.f, dual.points, metric=metric)
    np.testing.assert_allclose(dual.lipschitz_violation, full, **LP)
    # A potential that is not 1-Lipschitz: the host's check finds its worst pair too.
    scaled = dual.f * 1.5
    np.testing.assert_allclose(
        lipschitz_violation(np.asarray(scaled), np.asarray(dual.points), metric),
        dv.lipschitz_violation(scaled, dual.points, metric=metric),
        **LP,
    )


# ------------------------------------------------------------------ method="sparse"


@pytest.mark.slow
@pytest.mark.native
@at_most(25)  # the sparse solver's own property test draws the full budget
@given(measure_pairs(dims=(1, 2, 3)))
def test_sparse_equals_dense_and_pot(pair):
    x, y, a, b = pair
    sparse = dv.w1_dual(x, y, a, b, method="sparse", rtol=0.0)
    dense = dv.w1_primal(x, y, a, b, method="dense").value
    np.testing.assert_allclose(sparse.value, dense, **LP)
    np.testing.assert_allclose(sparse.value, pot_value(x, y, a, b), **LP)
    np.testing.assert_allclose(_kr_objective(sparse, a, b), sparse.value, **LP)
    assert_lipschitz(sparse, "sparse")
    # The violation over all pairs by the k-d tree equals the brute-force one.
    recomputed = dv.lipschitz_violation(sparse.f, sparse.points)
    np.testing.assert_allclose(sparse.lipschitz_violation, recomputed, **LP)


@pytest.mark.slow  # 1.6 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.native
@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_random_clouds_unequal_sizes_general_weights(seed):
    rng = np.random.default_rng(seed)
    n, m, d = 160 + 30 * seed, 120, 2 + seed
    x, y = rng.normal(size=(n, d)), rng.normal(0.7, 1.3, size=(m, d))
    a, b = rng.random(n) ** 3, rng.random(m)
    a[rng.integers(0, n, 5)] = 0.0
    b[rng.integers(0, m, 3)] = 0.0
    a, b = a / a.sum(), b / b.sum()
    sparse = dv.w1_dual(x, y, a, b, method="sparse", rtol=0.0)
    np.testing.assert_allclose(sparse.value, pot_value(x, y, a, b), **LP)
    np.testing.assert_allclose(sparse.value, dv.w1_dual(x, y, a, b, method="dense").value, **LP)
    assert_lipschitz(sparse, "sparse")
    np.testing.assert_allclose(
        sparse.lipschitz_violation, dv.lipschitz_violation(sparse.f, sparse.points), **LP
    )


@pytest.mark.native
def test_sparse_default_tolerance_is_certified():
    rng = np.random.default_rng(11)
    x, y = rng.random((400, 2)), rng.random((300, 2))
    value = float(dv.w1_dual(x, y, method="sparse").value)
    reference = pot_value(x, y, np.full(400, 1 / 400), np.full(300, 1 / 300))
    # The KR value of a 1-Lipschitz potential is a lower bound, within rtol = 1e-9 of W1.
    assert value <= reference * (1 + LP["rtol"])
    assert value >= reference * (1 - 1e-9)


@pytest.mark.native
def test_sparse_totals_equal_within_tolerance_only():
    # float32 weights (1/n rounded) and totals apart by 1e-9: accepted by validation, solved
    # as the dense method solves them (b scaled to a's total).
    rng = np.random.default_rng(14)
    x, y = rng.random((40, 2)), rng.random((30, 2))
    a, b = np.full(40, 1 / 40), np.full(30, 1 / 30)
    b[0] += 1e-9
    sparse = dv.w1_dual(x, y, a, b, method="sparse", rtol=0.0)
    np.testing.assert_allclose(sparse.value, dv.w1_primal(x, y, a, b).value, **LP)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    for fn in (dv.w1_dual, jax.jit(dv.w1_dual, static_argnames="method")):
        single = fn(x32, y32, method="sparse")
        assert single.value.dtype == np.float32
        np.testing.assert_allclose(
            single.value, dv.w1_primal(x32, y32).value, **tolerance("float32")
        )


@pytest.mark.native
def test_auto_routes_by_size_and_metric(monkeypatch):
    x, y = np.random.default_rng(0).random((2, 30, 2))
    calls = []
    solve = _sparse.SparseColumnGeneration.solve
    monkeypatch.setattr(
        _sparse.SparseColumnGeneration,
        "solve",
        lambda *t, **k: calls.append(1) or solve(*t, **k),
    )
    small = dv.w1_dual(x, y)
    assert not calls  # 900 pairs: the dense network simplex
    monkeypatch.setattr(dv.wasserstein._src.problem, "SPARSE_MIN_PAIRS", 100)
    routed = dv.w1_dual(x, y)
    assert calls  # the sparse solver, as w1_primal would route
    np.testing.assert_allclose(routed.value, small.value, **LP)
    calls.clear()
    dv.w1_dual(x, y, metric="cityblock")  # no sparse solver for this cost
    assert not calls


@pytest.mark.native
def test_sparse_never_runs_the_quadratic_check(monkeypatch):
    # The violation comes from one k-d tree query per point, not from (n + m)^2 costs.
    def refuse(*args, **kwargs):
        raise AssertionError("the (n + m)^2 Lipschitz check ran")

    monkeypatch.setattr(nearest, "host_costs", refuse)
    rng = np.random.default_rng(4)
    x, y = rng.random((500, 2)), rng.random((400, 2))
    dual = dv.w1_dual(x, y, method="sparse")
    assert 0.0 <= float(dual.lipschitz_violation) <= 64 * np.finfo(np.float64).eps


@at_most(30)
@given(st.integers(1, 40), st.sampled_from([1, 2, 3]), st.integers(0, 2**32 - 1), st.booleans())
def test_violation_by_nearest_neighbours_equals_all_pairs(count, d, seed, gridded):
    # Any values, 1-Lipschitz or not: max_k f_k - min_l (c_kl + f_l) is the all-pairs maximum.
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(count, d))
    if gridded:  # ties in the distances
        z = np.round(z * 2) / 2
    f = rng.normal(size=count) * rng.choice([0.1, 1.0, 3.0])
    for metric in ("euclidean", "cityblock"):  # the nearest-site query, and blocks of rows
        brute = max(0.0, float(np.max(f[:, None] - f[None, :] - cdist(z, z, metric))))
        np.testing.assert_allclose(lipschitz_violation(f, z, metric, rows=7), brute, **LP)


def _general(seed, n=30, m=25):
    rng = np.random.default_rng(seed)
    a, b = rng.random(n), rng.random(m)
    return rng.random((n, 2)), rng.random((m, 2)), a / a.sum(), b / b.sum()


@pytest.mark.slow
@pytest.mark.native
def test_sparse_gradients_equal_the_dense_ones():
    # General weights in general position: a unique plan and unique potentials, so the
    # envelope gradients of both methods are the same numbers.
    x, y, a, b = _general(9)

    def grads(method, **options):
        fn = lambda *t: dv.w1_dual(*t, method=method, **options).value  # noqa: E731
        return jax.grad(fn, argnums=(0, 1, 2, 3))(x, y, a, b)

    dense = grads("dense")
    for mode in (grads("sparse", rtol=0.0), jax.jit(lambda: grads("sparse", rtol=0.0))()):
        for gs, gd in zip(mode, dense, strict=True):
            np.testing.assert_allclose(np.asarray(gs), np.asarray(gd), **LP)
    fd = central_difference(
        lambda t: float(dv.w1_dual(t, y, a, b, method="sparse", rtol=0.0).value), x
    )
    np.testing.assert_allclose(dense[0], fd, **tolerance("gradient"))


@pytest.mark.slow
@pytest.mark.native
def test_sparse_jit_and_vmap_equal_eager():
    x, y, a, b = _general(10, 20, 15)

    def fn(x, y, a, b):
        return dv.w1_dual(x, y, a, b, method="sparse", rtol=0.0)

    eager = fn(x, y, a, b)
    jitted = jax.jit(fn)(x, y, a, b)
    for field in ("value", "f", "points", "lipschitz_violation"):
        np.testing.assert_allclose(getattr(jitted, field), getattr(eager, field), **LP)
    ys = np.stack([y, y + 0.5, y[::-1] * 2.0])
    batched = jax.vmap(fn, in_axes=(None, 0, None, None))(x, ys, a, b)
    for i in range(3):
        single = fn(x, ys[i], a, b)
        np.testing.assert_allclose(batched.value[i], single.value, **LP)
        np.testing.assert_allclose(batched.f[i], single.f, **LP)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"method": "sparse", "metric": "cityblock"}, "needs metric='euclidean'"),
        ({"method": "sparse", "rtol": -1e-3}, r"rtol must be a finite number in \[0, 1\), got"),
        ({"method": "sparse", "max_rounds": 0}, "max_rounds must be a positive integer"),
        ({"method": "sparse", "max_iter": 1.5}, "max_iter must be a positive integer"),
        ({"method": 3}, "method must be one of"),
    ],
)
def test_bad_sparse_options_raise(options, match):
    with pytest.raises(ValueError, match=match):
        dv.w1_dual([[0.0, 0.0]], [[1.0, 0.0]], **options)


@pytest.mark.parametrize("traced", [False, True])
def test_sparse_too_large_for_memory_is_refused_up_front(monkeypatch, traced):
    monkeypatch.setattr(_sparse, "available_memory_bytes", lambda: 10**6)
    monkeypatch.setattr(_sparse.SparseColumnGeneration, "solve", None)  # must not be reached
    fn = lambda x, y: dv.w1_dual(x, y, method="sparse").value  # noqa: E731
    x, y = np.zeros((3, 2)), np.ones((2, 2))
    with pytest.raises(MemoryError, match=r"needs about .* GiB for 3 \+ 2 points"):
        jax.eval_shape(fn, x, y) if traced else fn(x, y)


@pytest.mark.slow
@pytest.mark.native
def test_sparse_stopping_at_a_cap_is_an_error_eager_and_under_checked_jit():
    rng = np.random.default_rng(5)
    x, y = rng.random((300, 2)), rng.random((300, 2)) + np.array([0.5, 0.5])

    def fn(x, y):
        return dv.w1_dual(x, y, method="sparse", rtol=0.0, max_rounds=1).value

    with pytest.raises(dv.CertificateError, match="relative gap"):
        fn(x, y)
    with pytest.raises(dv.SolverError, match="stopped at max_rounds before its certified bound"):
        dv.checked(jax.jit(fn))(x, y)
    assert np.isnan(float(jax.jit(fn)(x, y)))  # plain jit: NaN, never a wrong number


# ------------------------------------------------------------------------ kr_potential


def _brute_potential(dual, z, metric="euclidean"):
    """min_k c(z, z_k) + f_k by the full cost matrix."""
    cost = cdist(np.asarray(z), np.asarray(dual.points), metric=metric)
    return np.min(cost + np.asarray(dual.f)[None, :], axis=1)


def _check_potential(dual, z, n, metric="euclidean"):
    """kr_potential against brute force, the c-transform form, 1-Lipschitz with the samples.

    McShane's extension of ``f`` equals ``f`` on the samples, and is 1-Lipschitz with them,
    to within ``f``'s own violation ``v``: ``f_i - f(z) <= c(z_i, z_k) + v - c(z, z_k)``
    at the minimising ``k``. ``v`` is a few ulps for the c-transforms and up to HiGHS's
    feasibility tolerance for "lp" (2.2e-10 where two points of y lie 1.1e-10 apart).
    """
    fz = np.asarray(dv.kr_potential(dual, z, metric=metric))
    points, f = np.asarray(dual.points), np.asarray(dual.f)
    c_max = max(1.0, float(cdist(np.concatenate([points, z]), points, metric=metric).max()))
    atol = LP["atol"] * c_max
    np.testing.assert_allclose(fz, _brute_potential(dual, z, metric), rtol=LP["rtol"], atol=atol)
    violation = float(dual.lipschitz_violation)
    # On the samples it is f itself, to within f's violation.
    np.testing.assert_allclose(
        np.asarray(dv.kr_potential(dual, points, metric=metric)),
        f,
        rtol=LP["rtol"],
        atol=atol + violation,
    )
    # 1-Lipschitz on the samples and the new points together, to within f's violation.
    union = np.concatenate([points, z])
    values = np.concatenate([f, fz])
    assert float(dv.lipschitz_violation(values, union, metric=metric)) <= atol + violation
    return fz


def test_lp_potential_with_points_1e_10_apart_holds_to_its_violation():
    # Drawn by make stress: HiGHS's potential breaks 1-Lipschitz by 2.2e-10 (within its
    # feasibility tolerance) where two points of y lie 1.1e-10 apart; kr_potential then returns
    # f on the samples to within that violation, not to a few ulps.
    x = np.array([[-2.0], [-2.0], [0.5]])
    y = np.array([[-2.0]] * 6 + [[1.11574736e-10], [0.0]])
    b = np.zeros(8)
    b[-1] = 1.0
    dual = dv.w1_dual(x, y, None, b, method="lp")
    np.testing.assert_allclose(dual.value, 1.5, **HIGHS)
    assert_lipschitz(dual, "lp")
    _check_potential(dual, np.array([[-6.0], [-2.0], [3.0]]), len(x))


@pytest.mark.slow
@pytest.mark.parametrize("method", ALL_METHOD_PARAMS)
@at_most(25)  # three methods, each a full solve per example
@given(pair=measure_pairs(dims=(1, 2, 3)), z=st.integers(1, 3).flatmap(lambda q: points(q, 3)))
def test_potential_at_new_points_equals_brute_force(method, pair, z):
    x, y, a, b = pair
    d = x.shape[1]
    z = z[:, :d] * 3.0  # new points, also far outside the supports
    dual = dv.w1_dual(x, y, a, b, method=method, **ALL_METHODS[method])
    fz = _check_potential(dual, z, len(x))
    if method != "lp":
        # The c-transform of the solve: min_j c(z, y_j) + f(y_j), over y's points alone.
        f_y = np.asarray(dual.f)[len(x) :]
        c_max = max(1.0, float(cdist(z, y).max()))
        np.testing.assert_allclose(
            fz, np.min(cdist(z, y) + f_y[None, :], axis=1), rtol=LP["rtol"], atol=LP["atol"] * c_max
        )


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("metric", ["cityblock", "chebyshev"])
def test_potential_other_metrics(metric):
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(12, 2)), rng.normal(1.0, 1.0, size=(9, 2))
    dual = dv.w1_dual(x, y, metric=metric)
    z = rng.normal(size=(20, 2)) * 2
    eager = _check_potential(dual, z, len(x), metric)
    jitted = jax.jit(lambda d, t: dv.kr_potential(d, t, metric=metric))(dual, z)
    np.testing.assert_allclose(jitted, eager, **LP)

    # A callable metric (here the same cost written in JAX), eager and under jit.
    def manhattan(p, q):
        return jnp.sum(jnp.abs(p - q))

    if metric == "cityblock":
        for fn in (dv.kr_potential, jax.jit(dv.kr_potential, static_argnames="metric")):
            np.testing.assert_allclose(fn(dual, z, metric=manhattan), eager, **LP)


def test_parallel_lines_potential_extends_linearly():
    # Samples of the parallel lines (theta > 0): the c-transform is -z_1 + const on the
    # samples; between the lines, at points level with a sample, it keeps that slope.
    k = 6
    t = np.linspace(0.0, 1.0, k)
    x = np.stack([np.zeros(k), t], axis=1)
    dual = dv.w1_dual(x, x + np.array([1.0, 0.0]))
    z = np.stack([np.linspace(0.0, 1.0, 5), np.full(5, t[2])], axis=1)
    fz = np.asarray(dv.kr_potential(dual, z))
    np.testing.assert_allclose(fz - fz[0], -z[:, 0], **LP)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
@given(pair=measure_pairs(dims=(2,)), k=power_of_two_exponents)
@at_most(20)
def test_potential_scales_exactly_with_the_points(pair, k):
    x, y, a, b = pair
    z = np.array([[0.3, -2.0], [5.0, 1.0]])
    # Exact only where no coordinate leaves the normal range: found by make stress at
    # x = (0, 2.4e-230), k = -313, whose scaled coordinate rounds to a subnormal.
    assume(stays_normal(k, x, y, z))
    dual = dv.w1_dual(x, y, a, b, method="dense")
    scaled = dv.w1_dual(np.ldexp(x, k), np.ldexp(y, k), a, b, method="dense")
    np.testing.assert_array_equal(
        dv.kr_potential(scaled, np.ldexp(z, k)), np.ldexp(np.asarray(dv.kr_potential(dual, z)), k)
    )


@pytest.mark.slow
@pytest.mark.parametrize("method", ALL_METHOD_PARAMS)
def test_potential_jit_vmap_and_gradient(method):
    x, y, a, b = _general(12, 15, 12)
    rng = np.random.default_rng(13)
    z = rng.normal(size=(8, 2))
    options = ALL_METHODS[method]
    dual = dv.w1_dual(x, y, a, b, method=method, **options)
    eager = np.asarray(dv.kr_potential(dual, z))
    jitted = jax.jit(dv.kr_potential)(dual, z)
    np.testing.assert_allclose(jitted, eager, **LP)
    # The solve and the evaluation in one jitted function.
    both = jax.jit(
        lambda x, y, z, m=method, o=options: dv.kr_potential(
            dv.w1_dual(x, y, a, b, method=m, **o), z
        )
    )
    np.testing.assert_allclose(both(x, y, z), eager, **LP)
    batched = jax.vmap(dv.kr_potential, in_axes=(None, 0))(dual, np.stack([z, z + 1.0]))
    np.testing.assert_allclose(batched[0], eager, **LP)
    np.testing.assert_allclose(batched[1], np.asarray(dv.kr_potential(dual, z + 1.0)), **LP)
    # The gradient: the unit vector from the minimising sample, by central differences too.
    grad = jax.grad(lambda t, dual=dual: jnp.sum(dv.kr_potential(dual, t)))(z)
    np.testing.assert_allclose(np.linalg.norm(grad, axis=1), 1.0, **LP)
    fd = central_difference(lambda t, dual=dual: float(np.sum(dv.kr_potential(dual, t))), z)
    np.testing.assert_allclose(grad, fd, **tolerance("gradient"))


def test_potential_on_the_line_and_float32():
    dual = dv.w1_dual([0.0, 1.0], [3.0, 4.0])
    np.testing.assert_allclose(dv.kr_potential(dual, [-1.0, 2.0, 10.0]), [3.0, 0.0, 4.0], **LP)
    single = dv.w1_dual(np.float32([0.0, 1.0]), np.float32([3.0, 4.0]))
    out = dv.kr_potential(single, np.float32([2.0]))
    assert out.dtype == np.float32 and float(out[0]) == 0.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("metric", "dtype"),
    [
        ("euclidean", np.float32),
        (dv.Minkowski(p=3), np.float64),
        (lambda s, t: jnp.sum(jnp.abs(s - t)), np.float32),
    ],
    ids=["euclidean-float32", "minkowski3-float64", "callable-float32"],
)
def test_potential_gives_the_eager_bits_under_jit_and_vmap(dtype, metric):
    """The runner's one host function (a named metric) or one program (a callable one)."""
    rng = np.random.default_rng(21)
    f = rng.normal(size=9).astype(dtype)
    points, z = rng.normal(size=(9, 2)).astype(dtype), rng.normal(size=(6, 2)).astype(dtype)
    z[0] = [1e-30, 3e-38]  # tiny coordinates: subnormal squares kept alike in every mode

    def potential(f, points, z):
        return dv.kr_potential(dv.W1Dual(f.sum(), f, points, f.sum()), z, metric=metric)

    eager = np.asarray(potential(f, points, z))
    jitted = np.asarray(jax.jit(potential)(f, points, z))
    batched = np.asarray(jax.vmap(potential, in_axes=(None, None, 0))(f, points, np.stack([z, z])))
    assert eager.dtype == dtype
    assert eager.tobytes() == jitted.tobytes() == batched[0].tobytes() == batched[1].tobytes()


@pytest.mark.parametrize(
    ("dual_z", "match"),
    [
        (lambda d: (d, [[0.0, 1.0, 2.0]]), "z must have points of dimension 2"),
        (lambda d: (d, [[0.0, np.nan]]), "z contains NaN or inf"),
        (lambda d: (d._replace(f=d.f.at[0].set(np.nan)), [[0.0, 1.0]]), "dual.f contains NaN"),
        (
            lambda d: (d._replace(points=d.points.at[1, 0].set(np.inf)), [[0.0, 1.0]]),
            "dual.points contains NaN or inf",
        ),
        (lambda d: (d._replace(f=d.f[:2]), [[0.0, 1.0]]), "dual must be a W1Dual"),
    ],
    ids=["dimension", "z-nan", "f-nan", "points-inf", "shapes"],
)
def test_potential_input_rules(dual_z, match):
    dual = dv.w1_dual([[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0]])
    d, z = dual_z(dual)
    with pytest.raises(ValueError, match=match):
        dv.kr_potential(d, z)
    if match in ("z contains NaN or inf", "dual.f contains NaN", "dual.points contains NaN or inf"):
        with pytest.raises(ValueError, match=match):
            dv.checked(jax.jit(dv.kr_potential))(d, jnp.asarray(z))
        assert np.isnan(np.asarray(jax.jit(dv.kr_potential)(d, jnp.asarray(z)))).all()
    with pytest.raises(ValueError, match="metric must be one of"):
        dv.kr_potential(dual, [[0.0, 0.0]], metric="hamming")


# The ends of floating point: subnormal float32 points, exact references in rational arithmetic.
_SUB_X = np.array([[1e-40, 0.0], [3e-40, 0.0]], np.float32)
_SUB_Y = np.array([[0.0, 0.0], [7e-40, 0.0]], np.float32)


def _exact_line_uniform(x, y):
    from fractions import Fraction

    xs = sorted(Fraction(float(t)) for t in x)
    ys = sorted(Fraction(float(t)) for t in y)
    return sum(abs(p - q) for p, q in zip(xs, ys, strict=True)) / len(xs)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
def test_subnormal_float32_dual_and_potential_in_every_mode(mode):
    from fractions import Fraction

    exact = _exact_line_uniform(_SUB_X[:, 0], _SUB_Y[:, 0])
    z = np.array([[5e-40, 0.0]], np.float32)

    def run(x, y, z):
        dual = dv.w1_dual(x, y)
        return dual, dv.kr_potential(dual, z)

    if mode == "eager":
        dual, pot = run(_SUB_X, _SUB_Y, z)
    elif mode == "jit":
        dual, pot = jax.jit(run)(_SUB_X, _SUB_Y, z)
    else:
        dual, pot = jax.tree.map(lambda t: t[0], jax.vmap(run)(_SUB_X[None], _SUB_Y[None], z[None]))
    # The value within a few float32 ulps (here absolute: 2^-149 each) of the exact W1.
    assert abs(Fraction(float(dual.value)) - exact) <= 8 * Fraction(2) ** -149
    # McShane's extension at 5e-40 from the potential: min_k |z - z_k| + f_k, exactly.
    pts = np.asarray(dual.points, np.float64)[:, 0]
    f = np.asarray(dual.f, np.float64)
    want = min(abs(Fraction(float(z[0, 0])) - Fraction(float(p))) + Fraction(float(v))
               for p, v in zip(pts, f, strict=True))  # fmt: skip
    assert abs(Fraction(float(pot[0])) - want) <= 2 * Fraction(2) ** -149
    assert float(dual.value) > 0


@pytest.mark.slow
def test_lipschitz_violation_of_a_dual_is_the_same_bound_under_jit():
    # At scale 1e-300 the violation bound of a dual is subnormal: computed in XLA's flush-to-zero
    # mode it used to come out as 5e-324 under jit where the eager call gave 5e-315.
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4, 2)) * 1e-300, rng.normal(size=(3, 2)) * 1e-300
    eager = dv.w1_dual(x, y).lipschitz_violation
    traced = jax.jit(dv.w1_dual)(x, y).lipschitz_violation
    batched = jax.vmap(dv.w1_dual)(x[None], y[None]).lipschitz_violation[0]
    assert eager == traced == batched


@pytest.mark.slow
@pytest.mark.parametrize(
    ("dtype", "far", "tiny", "method"),
    [
        (np.float64, 1e300, 1e-300, "dense"),
        (np.float32, 1e30, 1e-38, "dense"),
        pytest.param(np.float64, 1e300, 1e-300, "sparse", marks=pytest.mark.native),
        pytest.param(np.float32, 1e30, 1e-38, "sparse", marks=pytest.mark.native),
    ],
)
def test_the_value_of_a_far_point_of_tiny_mass_is_w1(dtype, far, tiny, method):
    # The potential is about `far` at the far point and of order 1 at the others: its value,
    # W1 of order 1, is that of the potential before it is centred (by about far / 2, which would
    # leave the near points' values only to far's last bits), within the primal's bounds.
    rng = np.random.default_rng(4)
    x = np.vstack([rng.uniform(size=(5, 2)), [[far, 0.0]]]).astype(dtype)
    a = np.append(np.full(5, (1 - tiny) / 5), tiny).astype(dtype)
    b = rng.dirichlet(np.ones(8)).astype(dtype)
    y = rng.uniform(size=(8, 2)).astype(dtype)
    primal = dv.w1_primal(x, y, a, b, method="dense")
    lo, hi = float(primal.lower_bound), float(primal.upper_bound)
    slack = 4 * float(np.finfo(dtype).eps) * hi
    for run in (dv.w1_dual, jax.jit(dv.w1_dual, static_argnames="method")):
        value = float(run(x, y, a, b, method=method).value)
        assert lo - slack <= value <= hi + slack
