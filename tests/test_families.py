"""Families of measures: valid pmfs, traceable in theta, closed forms where they hold exactly."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences import families
from divergences.testing import tolerance
from tests.helpers import quick_only

F64 = tolerance("float64")
ALL = [
    families.parallel_lines(),
    families.parallel_lines_pixels(),
    families.parallel_lines_sampled(),
    families.shifted_gaussians(),
    families.shifted_uniforms(),
]


@pytest.mark.parametrize("fam", ALL, ids=lambda f: f.name)
# theta = 0 and 1e-9 quick (the coincident and the nearly coincident measures); the others slow.
@pytest.mark.parametrize("theta", quick_only([-0.7, 0.0, 1e-9, 0.33], lambda t: t in (0.0, 1e-9)))
def test_measures_are_pmfs_on_shared_points(fam: dv.Family, theta: float) -> None:
    m = fam.measures(theta)
    n = m.points.shape[0]
    assert m.p.shape == m.q.shape == (n,)
    for w in (m.p, m.q):
        assert float(jnp.min(w)) >= 0
        np.testing.assert_allclose(float(jnp.sum(w)), 1.0, **F64)
    # Atoms carrying mass under both measures are distinct points.
    pts = np.asarray(m.points).reshape(n, -1)
    both = (np.asarray(m.p) > 0) | (np.asarray(m.q) > 0)
    assert len(np.unique(pts[both], axis=0)) == both.sum()


#: A family of fixed points and one of draws: the others trace alike (their programs, slow tier).
QUICK_FAMILIES = ("parallel lines", "parallel lines, sampled")


@pytest.mark.parametrize(
    "fam", quick_only(ALL, lambda f: f.name in QUICK_FAMILIES), ids=lambda f: f.name
)
def test_measures_jit_and_vmap(fam: dv.Family) -> None:
    thetas = jnp.array([-0.4, 0.0, 0.25])
    batch = jax.vmap(fam.measures)(thetas)
    jitted = jax.jit(fam.measures)(thetas[2])
    np.testing.assert_allclose(batch.q[2], jitted.q, **F64)
    np.testing.assert_allclose(batch.points[2], jitted.points, **F64)


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
def test_parallel_lines_match_closed_forms_for_any_theta() -> None:
    fam = families.parallel_lines()
    for theta in (-1.0, -1e-12, 0.0, 1e-12, 0.5):
        m = fam.measures(theta)
        exact = families.parallel_lines_exact(theta)
        np.testing.assert_allclose(float(dv.kl(m.p, m.q)), exact["kl"], **F64)
        np.testing.assert_allclose(float(dv.js_divergence(m.p, m.q)), exact["js"], **F64)
        np.testing.assert_allclose(float(dv.total_variation(m.p, m.q)), exact["tv"], **F64)


def test_pixels_round_theta_to_a_column() -> None:
    fam = families.parallel_lines_pixels(x_step=0.1)
    m = fam.measures(0.04)
    np.testing.assert_allclose(m.p, m.q, **F64)  # under half a pixel: no move at all
    m = fam.measures(0.26)
    cols = np.asarray(m.points)[np.asarray(m.q) > 0, 0]
    np.testing.assert_allclose(cols, 0.3, **F64)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_sampled_lines_are_disjoint_even_at_zero() -> None:
    m = families.parallel_lines_sampled(n=8, seed=1).measures(0.0)
    assert float(dv.kl(m.p, m.q)) == math.inf
    np.testing.assert_allclose(float(dv.js_divergence(m.p, m.q)), math.log(2), **F64)


FINE = np.linspace(-12.0, 12.0, 24001)  # step 1e-3


@pytest.mark.slow  # 1.6 s from a cold compile cache: over the quick tier's 1 s
def test_gaussian_tails_keep_kl_finite_and_close_to_closed_form() -> None:
    assert float(jnp.min(families.shifted_gaussians().measures(-2.0).q)) > 0  # no tail cell is 0
    fam = families.shifted_gaussians(grid=FINE)
    for theta in (-2.0, -0.5, 1.0):
        m = fam.measures(theta)
        assert float(jnp.min(m.q)) > 0
        kl = float(dv.kl(m.p, m.q))
        np.testing.assert_allclose(kl, theta**2 / 2, **tolerance("discretisation"))
        assert kl <= theta**2 / 2 + F64["atol"]  # data processing: cells cannot increase KL


# In the slow tier, with tests/lab/figures/test_divergence_curves.py's
# test_one_d_family_uses_the_vectorised_w1 (TV against the closed form on the same grid).
@pytest.mark.slow
def test_uniforms_closed_forms_on_aligned_shifts() -> None:
    # Shifts that are multiples of the grid step move whole cells: JS and TV are exact.
    fam = families.shifted_uniforms(grid=np.linspace(-3.0, 4.0, 701))
    for theta in (0.3, 0.5, 1.5):
        m = fam.measures(theta)
        ex = fam.exact(np.array(theta))  # type: ignore[misc]
        np.testing.assert_allclose(
            float(dv.total_variation(m.p, m.q)), ex["tv"], **tolerance("grid")
        )


@pytest.mark.slow
def test_gradient_in_theta_flows_through_the_masses() -> None:
    fam = families.shifted_gaussians(grid=FINE)
    g = jax.grad(lambda t: dv.kl(*fam.measures(t)[1:]))(0.5)
    # d/dtheta theta^2 / 2 = theta, up to the grid's O(h^2).
    np.testing.assert_allclose(float(g), 0.5, **tolerance("discretisation"))


def test_custom_family_and_bad_grid() -> None:
    def coins(theta):  # type: ignore[no-untyped-def]
        return dv.MeasurePair(
            jnp.array([0.0, 1.0]), jnp.array([0.5, 0.5]), jnp.stack([1 - theta, theta])
        )

    fam = families.custom("coins", coins, theta_range=(0.0, 1.0))
    assert fam.theta_range == (0.0, 1.0)
    np.testing.assert_allclose(float(dv.total_variation(*fam.measures(0.8)[1:])), 0.3, **F64)
    with pytest.raises(ValueError, match="grid must be a 1-D increasing"):
        families.shifted_uniforms(grid=np.array([0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="sigma must be > 0"):
        families.shifted_gaussians(sigma=0.0)
