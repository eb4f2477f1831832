"""Hellinger distance: closed forms, SciPy, metric properties, relation to TV, gradients."""

from __future__ import annotations

import math

import jax
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import euclidean

import divergences as dv
from divergences import testing as dvt
from divergences.testing import tolerance
from tests.helpers import P_IN, P_ZERO, Q_IN, Q_ZERO, assert_leq, mp_hellinger, relative_error

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


# In the slow tier: the zero-mass gradient convention is the shared terms' (test_terms.py, test_kl.py).
@pytest.mark.slow
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


# In the slow tier, with test_relatively_accurate_with_its_gradient_finite below (the same
# assertion, on near_identical_pairs among others).
@pytest.mark.slow
@given(
    st.one_of(dvt.near_identical_pairs(SIZES), dvt.near_identical_pairs(SIZES, dtype=np.float32))
)
def test_relatively_accurate_on_near_identical_pairs(pq) -> None:
    # Terms ((p - q)/(sqrt p + sqrt q))^2, p - q exact (Sterbenz): (sqrt p - sqrt q)^2 lost every
    # digit the masses share, 1e-2 relative here (4e13 ulp in float64, 2e6 in float32).
    p, q = pq
    reference = mp_hellinger(p, q)
    value = float(hel_jit(p, q))
    tiny = float(np.finfo(p.dtype).tiny)
    if reference >= tiny:
        rtol = tolerance(f"ulp_{p.dtype.name}")["rtol"]
        assert relative_error(value, reference) <= rtol, (value, reference)
    else:
        assert 0 <= value < 4 * tiny, (value, reference)


@pytest.mark.slow
@given(
    st.one_of(
        dvt.pmf_pairs([2, 5, 8]),
        dvt.pmf_pairs([2, 5, 8], dtype=np.float32),
        dvt.near_identical_pairs([5, 8]),
        dvt.edge_of_normal_pairs([2, 5, 8]),
    )
)
def test_relatively_accurate_with_its_gradient_finite(pq) -> None:
    # Masses across the normal range, eagerly and under jit, the f-divergence of the squared
    # Hellinger generator (2 H^2) too; a gradient finite with zero masses present.
    p, q = pq
    tiny = float(np.finfo(p.dtype).tiny)
    rtol = tolerance(f"ulp_{p.dtype.name}")["rtol"]
    reference, squared = mp_hellinger(p, q), 2 * mp_hellinger(p, q, squared=True)
    for value in (float(dv.hellinger(p, q)), float(hel_jit(p, q))):
        assert relative_error(value, min(reference, 1.0)) <= rtol or reference < tiny
    value = float(dv.f_divergence(p, q, dv.generators.SQUARED_HELLINGER))
    assert relative_error(value, min(squared, 2.0)) <= rtol or squared < tiny, (value, squared)
    gradients = jax.grad(dv.hellinger, argnums=(0, 1))(p, q)
    assert all(np.isfinite(np.asarray(g)).all() for g in gradients)


def test_gradient_where_the_masses_nearly_agree() -> None:
    # d H / d p_i = (sqrt p_i - sqrt q_i) / (4 H sqrt p_i), exact in mpmath: the defining
    # difference of roots lost 5e-5 of it here; 0 where p_i = 0 (its root held at 0).
    d = 2.0**-40
    p, q = np.array([0.3 + d, 0.7 - d, 0.0]), np.array([0.3, 0.7, 0.0])
    with mpmath.workprec(200):
        roots = [(mpmath.sqrt(a), mpmath.sqrt(b)) for a, b in zip(p, q, strict=True)]
        h = mpmath.sqrt(mpmath.fsum((a - b) ** 2 for a, b in roots) / 2)
        expected = [float((a - b) / (4 * h * a)) if a else 0.0 for a, b in roots]
    gp = np.asarray(jax.grad(hel_jit)(p, q))
    np.testing.assert_allclose(gp, expected, **tolerance("float64"))
    assert gp[2] == 0.0
