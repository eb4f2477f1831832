"""Hellinger distance: closed forms, SciPy, metric properties, relation to TV, gradients."""

from __future__ import annotations

import math

import jax
import numpy as np
from hypothesis import given
from scipy.spatial.distance import euclidean

import divergences as dv
from divergences import testing as dvt
from divergences.testing import tolerance
from tests.helpers import P_IN, P_ZERO, Q_IN, Q_ZERO, assert_leq

hel_jit = jax.jit(dv.hellinger)
tv_jit = jax.jit(dv.total_variation)
SIZES = [2, 5]


def test_closed_forms() -> None:
    assert float(dv.hellinger([1.0, 0.0], [0.0, 1.0])) == 1.0
    assert float(dv.hellinger([0.3, 0.7], [0.3, 0.7])) == 0.0
    # H^2 = 1 - sqrt(0.5 * 0.9) - sqrt(0.5 * 0.1)
    np.testing.assert_allclose(
        float(dv.hellinger([0.5, 0.5], [0.9, 0.1])),
        math.sqrt(1 - math.sqrt(0.45) - math.sqrt(0.05)),
        **tolerance("float64"),
    )


@given(dvt.pmf_pairs(SIZES, tiny=False))
def test_agrees_with_scipy_and_the_affinity_form(pq) -> None:
    # No tiny masses: sqrt(p q) of two tiny masses is subnormal, which XLA on CPU flushes.
    p, q = pq
    h = float(hel_jit(p, q))
    # H = ||sqrt p - sqrt q||_2 / sqrt 2 (SciPy's euclidean distance), and H^2 = 1 - sum sqrt(pq).
    np.testing.assert_allclose(
        h, euclidean(np.sqrt(p), np.sqrt(q)) / math.sqrt(2), **tolerance("float64")
    )
    # The affinity form cancels near p = q: compare the squares, with an absolute error of eps.
    np.testing.assert_allclose(
        h**2, 1 - np.sqrt(p * q).sum(), rtol=0, atol=tolerance("float64")["atol"] * 10
    )


@given(dvt.pmf_pairs(SIZES))
def test_bounds_symmetry_and_extremes(pq) -> None:
    p, q = pq
    h = float(hel_jit(p, q))
    assert h >= 0
    assert_leq(h, 1.0)
    assert h == float(hel_jit(q, p))
    assert float(hel_jit(p, p)) == 0.0


@given(dvt.pmf_pairs(SIZES, relation="disjoint"))
def test_one_for_disjoint_supports(pq) -> None:
    np.testing.assert_allclose(float(hel_jit(*pq)), 1.0, **tolerance("float64"))


@given(dvt.pmf_triples(SIZES))
def test_triangle_inequality(pqr) -> None:
    p, q, r = pqr
    assert_leq(float(hel_jit(p, r)), float(hel_jit(p, q)) + float(hel_jit(q, r)))


@given(dvt.pmf_pairs(SIZES))
def test_le_cam_inequalities(pq) -> None:
    # H^2 <= TV <= H sqrt(2 - H^2) for this normalisation (Le Cam & Yang, 2000, sec. 3.2).
    p, q = pq
    h, tv = float(hel_jit(p, q)), float(tv_jit(p, q))
    assert_leq(h**2, tv)
    assert_leq(tv, h * math.sqrt(2 - h**2))


def test_gradient_inside_and_at_zero_mass() -> None:
    # d H / d p_i = (sqrt p_i - sqrt q_i) / (4 H sqrt p_i) inside the simplex.
    h = float(dv.hellinger(P_IN, Q_IN))
    expected = (np.sqrt(P_IN) - np.sqrt(Q_IN)) / (4 * h * np.sqrt(P_IN))
    np.testing.assert_allclose(jax.grad(dv.hellinger)(P_IN, Q_IN), expected, **tolerance("float64"))
    # At zero mass, sqrt(p_i) is held at 0: that coordinate's derivative is 0.
    gp, gq = jax.grad(dv.hellinger, argnums=(0, 1))(P_ZERO, Q_ZERO)
    np.testing.assert_array_equal(np.asarray(gp)[P_ZERO == 0], 0.0)
    np.testing.assert_array_equal(np.asarray(gq)[Q_ZERO == 0], 0.0)
    # At p = q the subgradient 0.
    np.testing.assert_array_equal(jax.grad(dv.hellinger)(P_IN, P_IN), 0.0)
