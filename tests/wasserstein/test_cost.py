"""Cost matrices: hand values, scipy's cdist, gradient safety at coincident points."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.measures import measure_pairs
from divergences.testing.reference import central_difference

F64 = tolerance("float64")
METRICS = ["euclidean", "sqeuclidean", "cityblock", "chebyshev"]


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("euclidean", 5.0), ("sqeuclidean", 25.0), ("cityblock", 7.0), ("chebyshev", 4.0)],
)
def test_hand_values(metric, expected):
    c = dv.cost_matrix([[1.0, 1.0], [4.0, 5.0]], [[1.0, 1.0]], metric=metric)
    np.testing.assert_allclose(c, [[0.0], [expected]], **F64)


@pytest.mark.slow
@pytest.mark.parametrize("metric", METRICS)
@given(pair=measure_pairs())
def test_matches_scipy_cdist(metric, pair):
    x, y, _, _ = pair
    np.testing.assert_allclose(dv.cost_matrix(x, y, metric=metric), cdist(x, y, metric), **F64)


def test_points_on_the_line():
    c = dv.cost_matrix([0.0, 2.0], [1.0, -1.0, 5.0])
    np.testing.assert_allclose(c, [[1.0, 1.0, 5.0], [1.0, 3.0, 3.0]], **F64)


def test_callable_metric():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    c = dv.cost_matrix(x, y, metric=lambda p, q: jnp.max(jnp.abs(p - q)))
    np.testing.assert_allclose(c, cdist(x, y, "chebyshev"), **F64)


@pytest.mark.parametrize("metric", METRICS)
def test_gradient_finite_and_zero_at_coincident_points(metric):
    x = np.array([[0.0, 1.0], [2.0, -1.0]])
    g = jax.grad(lambda t: jnp.sum(dv.cost_matrix(t, x, metric=metric)[0, 0]))(x)
    assert np.isfinite(np.asarray(g)).all()
    np.testing.assert_allclose(g, 0.0, **F64)


@pytest.mark.slow
@pytest.mark.parametrize("metric", METRICS)
def test_gradient_matches_finite_differences(metric):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    w = rng.normal(size=(3, 4))

    def total(t):
        return jnp.sum(w * dv.cost_matrix(t, y, metric=metric))

    for fn in (total, jax.jit(total)):
        fd = central_difference(lambda t, fn=fn: float(fn(t)), x)
        np.testing.assert_allclose(jax.grad(fn)(x), fd, **tolerance("gradient"))


@pytest.mark.slow
def test_jit_and_vmap():
    rng = np.random.default_rng(2)
    xs, y = rng.normal(size=(3, 4, 2)), rng.normal(size=(5, 2))
    batched = jax.vmap(dv.cost_matrix, in_axes=(0, None))(xs, y)
    jitted = jax.jit(dv.cost_matrix, static_argnames="metric")
    for i in range(3):
        np.testing.assert_allclose(batched[i], cdist(xs[i], y), **F64)
        np.testing.assert_allclose(
            jitted(xs[i], y, metric="cityblock"), cdist(xs[i], y, "cityblock"), **F64
        )


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        ([[0.0, 1.0]], [[0.0, 1.0, 2.0]], {}, "same dimension"),
        ([[0.0, np.nan]], [[0.0, 1.0]], {}, "x contains NaN or inf"),
        ([[0.0, 1.0]], [[0.0, 1.0]], {"metric": "cosine"}, "metric must be one of"),
        ([[0.0, 1.0]], [[0.0, 1.0]], {"metric": 3}, "metric must be one of"),
        ([[0.0, 1.0]], np.zeros((1, 1, 2)), {}, "y must be a 1-D array of points"),
    ],
)
def test_bad_input(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dv.cost_matrix(x, y, **kwargs)
