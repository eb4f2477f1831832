"""W1 on the line by the CDF formula, against scipy and against the LP solvers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.measures import measure_pairs
from divergences.testing.reference import central_difference, highs_primal, simplex_directions

LP = tolerance("lp")


@given(measure_pairs(dims=(1,)))
def test_matches_scipy_and_the_lp(pair):
    x, y, a, b = pair
    u, v = x[:, 0], y[:, 0]
    value = dv.w1_1d(u, v, a, b)
    np.testing.assert_allclose(value, scipy.stats.wasserstein_distance(u, v, a, b), **LP)
    np.testing.assert_allclose(value, dv.w1_primal(u, v, a, b).value, **LP)
    np.testing.assert_allclose(value, dv.w1_dual(u, v, a, b).value, **LP)
    np.testing.assert_allclose(value, highs_primal(u, v, a, b), **tolerance("highs"))


@given(measure_pairs(dims=(1,)))
def test_uniform_weights_path_matches_scipy_and_the_weighted_path(pair):
    # Weights left out take a separate kernel (quantile functions, no pooled sort).
    u, v = pair.x[:, 0], pair.y[:, 0]
    value = dv.w1_1d(u, v)
    np.testing.assert_allclose(value, scipy.stats.wasserstein_distance(u, v), **LP)
    uniform_u, uniform_v = np.full(len(u), 1 / len(u)), np.full(len(v), 1 / len(v))
    np.testing.assert_allclose(value, dv.w1_1d(u, v, uniform_u, uniform_v), **LP)
    assert float(dv.w1_1d(u, u)) == 0.0


def test_uniform_weights_path_gradient_jit_vmap():
    rng = np.random.default_rng(5)
    u, v = rng.normal(size=7), rng.normal(size=4)
    tol = tolerance("gradient")
    for fn in (dv.w1_1d, jax.jit(dv.w1_1d)):
        gu, gv = jax.grad(fn, argnums=(0, 1))(u, v)
        np.testing.assert_allclose(
            gu, central_difference(lambda t, fn=fn: float(fn(t, v)), u), **tol
        )
        np.testing.assert_allclose(
            gv, central_difference(lambda t, fn=fn: float(fn(u, t)), v), **tol
        )
    us = np.stack([u, u - 1.0, -u])
    batched = jax.vmap(dv.w1_1d, in_axes=(0, None))(us, v)
    for i in range(3):
        np.testing.assert_allclose(batched[i], scipy.stats.wasserstein_distance(us[i], v), **LP)


def test_signed_zeros_and_negative_values_sort_correctly():
    # The kernels sort floats through integer keys: negatives, -0.0 and +0.0 must all order.
    u = np.array([-0.0, 0.0, -3.5, 2.0, -1e-300, 1e300])
    v = np.array([0.0, -2.0, 5.0])
    np.testing.assert_allclose(dv.w1_1d(u, v), scipy.stats.wasserstein_distance(u, v), **LP)
    w = np.array([0.1, 0.2, 0.3, 0.1, 0.2, 0.1])
    np.testing.assert_allclose(dv.w1_1d(u, v, w), scipy.stats.wasserstein_distance(u, v, w), **LP)


@given(measure_pairs(dims=(1,)))
def test_identical_measures_give_exactly_zero(pair):
    x, _, a, _ = pair
    assert float(dv.w1_1d(x[:, 0], x[:, 0], a, a)) == 0.0


def test_closed_forms():
    u = np.array([0.0, 1.0, 3.0])
    # A shift moves every quantile by c.
    np.testing.assert_allclose(dv.w1_1d(u, u + 2.5), 2.5, **LP)
    np.testing.assert_allclose(dv.w1_1d(u, u - 0.75), 0.75, **LP)
    # Dirac against Dirac.
    np.testing.assert_allclose(dv.w1_1d([-1.0], [2.0]), 3.0, **LP)
    # Bernoulli(p) vs Bernoulli(q) on {0, 1}: |p - q|.
    np.testing.assert_allclose(dv.w1_1d([0.0, 1.0], [0.0, 1.0], [0.7, 0.3], [0.2, 0.8]), 0.5, **LP)


def test_large_sample_matches_scipy():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=2000), rng.exponential(size=1500)
    wu, wv = rng.dirichlet(np.ones(2000)), rng.dirichlet(np.ones(1500))
    np.testing.assert_allclose(
        dv.w1_1d(u, v, wu, wv), scipy.stats.wasserstein_distance(u, v, wu, wv), **LP
    )


def test_jit_and_vmap():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=(4, 6)), rng.normal(size=(4, 3))
    wv = rng.dirichlet(np.ones(3), size=4)
    batched = jax.vmap(dv.w1_1d, in_axes=(0, 0, None, 0))(u, v, None, wv)
    jitted = jax.jit(dv.w1_1d)
    for i in range(4):
        ref = scipy.stats.wasserstein_distance(u[i], v[i], None, wv[i])
        np.testing.assert_allclose(batched[i], ref, **LP)
        np.testing.assert_allclose(jitted(u[i], v[i], None, wv[i]), ref, **LP)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=5), rng.normal(size=4)
    wu, wv = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(4))
    tol = tolerance("gradient")
    for fn in (dv.w1_1d, jax.jit(dv.w1_1d)):
        gu, gv, gwu = jax.grad(fn, argnums=(0, 1, 2))(u, v, wu, wv)
        np.testing.assert_allclose(
            gu, central_difference(lambda t, fn=fn: float(fn(t, v, wu, wv)), u), **tol
        )
        np.testing.assert_allclose(
            gv, central_difference(lambda t, fn=fn: float(fn(u, t, wu, wv)), v), **tol
        )
        for d in simplex_directions(5):
            h = 1e-6
            fd = (float(fn(u, v, wu + h * d, wv)) - float(fn(u, v, wu - h * d, wv))) / (2 * h)
            np.testing.assert_allclose(np.dot(gwu, d), fd, **tol)
    # The same gradient as the LP's envelope gradient.
    lp = jax.grad(lambda t: dv.w1_primal(t, v, wu, wv).value)(u)
    np.testing.assert_allclose(jax.grad(dv.w1_1d)(u, v, wu, wv), lp, **tol)
    grads = jax.vmap(jax.grad(dv.w1_1d), in_axes=(0, None, None, None))(
        jnp.stack([u, u + 3.0]), v, wu, wv
    )
    np.testing.assert_allclose(grads[0], jax.grad(dv.w1_1d)(u, v, wu, wv), **tol)


def test_gradient_finite_at_ties_and_zero_mass():
    u = np.array([0.0, 1.0, 1.0])
    v = np.array([1.0, 0.0])
    g = jax.grad(dv.w1_1d, argnums=(0, 1, 2))(u, v, np.array([0.5, 0.5, 0.0]), None)
    for part in g:
        assert np.isfinite(np.asarray(part)).all()


def test_float32():
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=50).astype(np.float32), rng.normal(size=40).astype(np.float32)
    value = dv.w1_1d(u, v)
    assert value.dtype == jnp.float32
    ref = scipy.stats.wasserstein_distance(u.astype(np.float64), v.astype(np.float64))
    np.testing.assert_allclose(value, ref, **tolerance("float32"))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.0, 1.0], [1.0], [0.5, 0.2, 0.3]), "u_weights has 3 weights but u_values has 2"),
        (([0.0, 1.0], [1.0], [0.5, 0.5 + 1e-8], [1.0 - 1e-8]), "must have equal total mass"),
        (([0.0, 1.0], [1.0], [1.5, -0.5]), "u_weights has negative mass"),
        (([0.0, 1.0], [1.0], None, [np.nan]), "v_weights contains NaN"),
        (([0.0, 1.0], [1.0], [0.5, 0.4]), "u_weights does not sum to 1"),
        (([[0.0, 1.0]], [1.0]), "u_values must be a 1-D array"),
        (([0.0, np.inf], [1.0]), "u_values contains NaN or inf"),
        (([], [1.0]), "u_values is empty"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        dv.w1_1d(*args)
