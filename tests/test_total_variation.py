"""Total variation distance: closed forms, SciPy, metric properties, Pinsker, gradients."""

from __future__ import annotations

import itertools
import math

import jax
import numpy as np
from hypothesis import given
from scipy.spatial.distance import cityblock

import divergences as dv
from divergences import testing as dvt
from divergences.testing import tolerance
from tests.helpers import assert_leq

tv_jit = jax.jit(dv.total_variation)
kl_jit = jax.jit(dv.kl)
SIZES = [2, 5]


def test_closed_forms() -> None:
    assert float(dv.total_variation([0.8, 0.2], [0.3, 0.7])) == 0.5
    assert float(dv.total_variation([0.5, 0.5, 0.0], [0.0, 0.0, 1.0])) == 1.0
    assert float(dv.total_variation([0.2, 0.8], [0.2, 0.8])) == 0.0


@given(dvt.pmf_pairs(SIZES))
def test_agrees_with_scipy_and_the_sup_over_events(pq) -> None:
    p, q = pq
    tv = float(tv_jit(p, q))
    # TV = 1/2 ||p - q||_1 (SciPy's cityblock distance) = sup_A |p(A) - q(A)|, attained at
    # A = {p > q}; the sup is also checked by brute force over every event.
    np.testing.assert_allclose(tv, 0.5 * cityblock(p, q), **tolerance("float64"))
    np.testing.assert_allclose(tv, np.clip(p - q, 0, None).sum(), **tolerance("float64"))
    events = itertools.product([False, True], repeat=p.size)
    sup = max(abs(p[list(a)].sum() - q[list(a)].sum()) for a in events)
    np.testing.assert_allclose(tv, sup, **tolerance("float64"))


@given(dvt.pmf_pairs(SIZES))
def test_bounds_and_symmetry(pq) -> None:
    p, q = pq
    tv = float(tv_jit(p, q))
    assert 0 <= tv
    assert_leq(tv, 1.0)
    assert tv == float(tv_jit(q, p))
    assert float(tv_jit(p, p)) == 0.0


@given(dvt.pmf_pairs(SIZES, relation="disjoint"))
def test_one_for_disjoint_supports(pq) -> None:
    np.testing.assert_allclose(float(tv_jit(*pq)), 1.0, **tolerance("float64"))


@given(dvt.pmf_triples(SIZES))
def test_triangle_inequality(pqr) -> None:
    p, q, r = pqr
    assert_leq(float(tv_jit(p, r)), float(tv_jit(p, q)) + float(tv_jit(q, r)))


@given(dvt.pmf_pairs(SIZES))
def test_pinsker(pq) -> None:
    # Pinsker's inequality, KL in nats: TV <= sqrt(KL / 2) (vacuous where KL = inf).
    p, q = pq
    assert_leq(float(tv_jit(p, q)), math.sqrt(float(kl_jit(p, q)) / 2))


def test_gradient() -> None:
    # d/dp_i = sign(p_i - q_i) / 2, and the subgradient 0 where p_i = q_i.
    p = np.array([0.5, 0.2, 0.3, 0.0])
    q = np.array([0.3, 0.2, 0.5, 0.0])
    gp, gq = jax.grad(dv.total_variation, argnums=(0, 1))(p, q)
    np.testing.assert_array_equal(gp, [0.5, 0.0, -0.5, 0.0])
    np.testing.assert_array_equal(gq, [-0.5, 0.0, 0.5, 0.0])
