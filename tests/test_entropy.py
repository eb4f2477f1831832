"""Entropy and cross-entropy: closed forms, SciPy, properties, gradients."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given

import divergences as dv
from divergences import testing as dvt
from divergences.testing import tolerance
from tests.helpers import P_IN, P_ZERO, Q_IN, Q_ZERO, assert_leq

entropy_jit = jax.jit(dv.entropy)
entropy_bits_jit = jax.jit(lambda p: dv.entropy(p, base=2))
ce_jit = jax.jit(dv.cross_entropy)
kl_jit = jax.jit(dv.kl)
SIZES = [2, 5]


@pytest.mark.parametrize("n", range(1, 9))
def test_uniform_is_log_n(n: int) -> None:
    p = np.full(n, 1 / n)
    np.testing.assert_allclose(float(dv.entropy(p)), math.log(n), **tolerance("float64"))
    np.testing.assert_allclose(float(dv.entropy(p, base=2)), math.log2(n), **tolerance("float64"))


def test_point_mass_and_fair_coin() -> None:
    assert float(dv.entropy([0.0, 1.0, 0.0])) == 0.0
    # At most log 2 nats exactly (the range is clamped); the bit itself to the backend's log.
    fair = float(dv.entropy([0.5, 0.5], base=2))
    assert fair <= 1.0
    np.testing.assert_allclose(fair, 1.0, **tolerance("backend_float64"))
    # Binary entropy h(0.1) = -0.1 log 0.1 - 0.9 log 0.9.
    np.testing.assert_allclose(
        float(dv.entropy([0.1, 0.9])),
        -0.1 * math.log(0.1) - 0.9 * math.log(0.9),
        **tolerance("float64"),
    )


# In the slow tier, with test_numerics.py's test_entropy_and_cross_entropy_relative_accuracy;
# base 2 stays quick in test_uniform_is_log_n.
@pytest.mark.slow
@given(dvt.pmfs(SIZES))
def test_agrees_with_scipy(p) -> None:
    # scipy.stats.entropy(p) renormalises p silently; these are normalised already.
    # -sum(xlogy(p, p)) uses the same 0 log 0 = 0.
    h = float(entropy_jit(p))
    np.testing.assert_allclose(h, scipy.stats.entropy(p), **tolerance("float64"))
    np.testing.assert_allclose(h, -scipy.special.xlogy(p, p).sum(), **tolerance("float64"))
    np.testing.assert_allclose(
        float(entropy_bits_jit(p)), scipy.stats.entropy(p, base=2), **tolerance("float64")
    )


def test_scipy_renormalises_where_we_refuse() -> None:
    np.testing.assert_allclose(scipy.stats.entropy([1.0, 1.0]), math.log(2), **tolerance("float64"))
    with pytest.raises(ValueError, match="p does not sum to 1"):
        dv.entropy([1.0, 1.0])


@given(dvt.pmfs(SIZES))
def test_bounds(p) -> None:
    h = float(entropy_jit(p))
    assert h >= 0
    assert_leq(h, math.log(p.size))


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_pairs(SIZES))
def test_cross_entropy_is_entropy_plus_kl(pq) -> None:
    p, q = pq
    ce = float(ce_jit(p, q))
    np.testing.assert_allclose(
        ce, float(entropy_jit(p)) + float(kl_jit(p, q)), **tolerance("float64")
    )
    # SciPy: H(p, q) = -sum xlogy(p, q), with xlogy(0, 0) = 0 and xlogy(p > 0, 0) = -inf.
    np.testing.assert_allclose(ce, -scipy.special.xlogy(p, q).sum(), **tolerance("float64"))
    # Gibbs' inequality.
    assert_leq(float(entropy_jit(p)), ce)


def test_cross_entropy_is_infinite_where_q_misses_p() -> None:
    assert float(dv.cross_entropy([0.5, 0.5], [1.0, 0.0])) == math.inf
    assert float(ce_jit(np.array([0.5, 0.5]), np.array([1.0, 0.0]))) == math.inf


# In the slow tier: the zero-mass gradient convention is the shared terms' (test_terms.py, test_kl.py).
@pytest.mark.slow
def test_gradients_inside_the_simplex() -> None:
    np.testing.assert_allclose(
        jax.grad(dv.entropy)(P_IN), -np.log(P_IN) - 1, **tolerance("float64")
    )
    gp, gq = jax.grad(dv.cross_entropy, argnums=(0, 1))(P_IN, Q_IN)
    np.testing.assert_allclose(gp, -np.log(Q_IN), **tolerance("float64"))
    np.testing.assert_allclose(gq, -P_IN / Q_IN, **tolerance("float64"))


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_gradient_convention_at_zero_mass() -> None:
    # The one-sided derivative of -p log p at 0 is +inf; the zero-mass term is held at 0.
    g = np.asarray(jax.grad(dv.entropy)(P_ZERO))
    zero = P_ZERO == 0
    np.testing.assert_array_equal(g[zero], 0.0)
    np.testing.assert_allclose(g[~zero], -np.log(P_ZERO[~zero]) - 1, **tolerance("float64"))
    # Cross-entropy is linear in p: d/dp_i = -log q_i holds at p_i = 0 too (0 where q_i = 0 as
    # well, where it would be +inf); d/dq_i = -p_i / q_i is 0 at p_i = 0.
    gp, gq = jax.grad(dv.cross_entropy, argnums=(0, 1))(P_ZERO, Q_ZERO)
    gp, gq = np.asarray(gp), np.asarray(gq)
    np.testing.assert_array_equal(gq[zero], 0.0)
    on_q = Q_ZERO > 0
    np.testing.assert_allclose(gp[on_q], -np.log(Q_ZERO[on_q]), **tolerance("float64"))
    np.testing.assert_array_equal(gp[Q_ZERO == 0], 0.0)


# In the slow tier: the zero-mass gradient convention is the shared terms' (test_terms.py, test_kl.py).
@pytest.mark.slow
def test_cross_entropy_gradient_at_the_boundary_matches_one_sided_differences() -> None:
    # Moving mass onto a point where p_i = 0 < q_i: the one-sided difference quotient along the
    # feasible direction v equals grad . v (the function is linear in p, so exactly).
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.2, 0.3, 0.5])
    v = np.array([0.0, -1.0, 1.0])
    h = 1e-7
    fd = (float(ce_jit(p + h * v, q)) - float(ce_jit(p, q))) / h
    grad = np.asarray(jax.grad(dv.cross_entropy)(p, q))
    np.testing.assert_allclose(grad @ v, fd, **tolerance("gradient"))


# In the slow tier, with test_transformations.py's test_float32_on_drawn_pairs[entropy].
@pytest.mark.slow
@given(dvt.pmfs(SIZES, dtype=np.float32))
def test_float32_agrees_with_float64(p) -> None:
    out = entropy_jit(p)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        float(out), float(entropy_jit(p.astype(np.float64))), **tolerance("float32")
    )
