"""Pearson chi-square divergence: closed forms, SciPy, bounds, direction, gradients."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given
from scipy.stats import chisquare

import divergences as dv
from divergences import testing as dvt
from divergences.testing import tolerance
from tests.helpers import P_IN, P_ZERO, Q_IN, Q_ZERO, assert_leq

chi_jit = jax.jit(dv.chi_square)
chi_vmap = jax.jit(jax.vmap(dv.chi_square))
kl_jit = jax.jit(dv.kl)
tv_jit = jax.jit(dv.total_variation)
SIZES = [2, 5]


def test_closed_forms() -> None:
    """Closed forms."""
    # (0.25^2 / 0.25) + (0.25^2 / 0.75) = 1/4 + 1/12 = 1/3
    np.testing.assert_allclose(
        float(dv.chi_square([0.5, 0.5], [0.25, 0.75])), 1 / 3, **tolerance("float64")
    )
    assert float(dv.chi_square([0.5, 0.5], [1.0, 0.0])) == math.inf
    # 0^2 / 0 = 0: a point outside both supports adds nothing.
    np.testing.assert_allclose(
        float(dv.chi_square([0.5, 0.5, 0.0], [0.25, 0.75, 0.0])), 1 / 3, **tolerance("float64")
    )
    # Direction: q is in the denominator; Neyman's chi^2 is chi_square(q, p).
    np.testing.assert_allclose(
        float(dv.chi_square([0.25, 0.75], [0.5, 0.5])), 0.25, **tolerance("float64")
    )


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_pairs(SIZES, relation="independent", zeros=False))
def test_agrees_with_scipy_chisquare(pq) -> None:
    """Agrees with SciPy chisquare."""
    # scipy.stats.chisquare(f_obs, f_exp) is Pearson's statistic sum (obs - exp)^2 / exp: with
    # pmfs as frequencies it is chi_square(obs, exp). (It divides by zero where exp = 0, so the
    # comparison is on positive masses.)
    p, q = pq
    ref = chisquare(p, q).statistic
    np.testing.assert_allclose(float(chi_jit(p, q)), ref, **tolerance("float64"))


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_pairs(SIZES))
def test_second_moment_form(pq) -> None:
    """Second moment form."""
    p, q = pq
    on = q > 0
    expected = math.inf if (p[~on] > 0).any() else (p[on] ** 2 / q[on]).sum() - 1
    np.testing.assert_allclose(float(chi_jit(p, q)), expected, **tolerance("float64"))


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_pairs(SIZES))
def test_bounds_kl_and_tv(pq) -> None:
    """Bounds KL and TV."""
    p, q = pq
    chi = float(chi_jit(p, q))
    assert chi >= 0
    assert float(chi_jit(p, p)) == 0.0
    # KL(p || q) <= log(1 + chi^2(p || q)) (Jensen), and TV <= sqrt(chi^2) / 2.
    assert_leq(float(kl_jit(p, q)), math.log1p(chi))
    assert_leq(float(tv_jit(p, q)), math.sqrt(chi) / 2)


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_pairs(SIZES, relation="disjoint"))
def test_infinite_for_disjoint_supports(pq) -> None:
    """Infinite for disjoint supports."""
    assert float(chi_jit(*pq)) == math.inf


# In the slow tier: the zero-mass gradient convention is the shared terms' (test_terms.py, test_kl.py).
@pytest.mark.slow
def test_gradient() -> None:
    """Gradient."""
    # The derivative of sum (p - q)^2 / q as a function on R^n (that of sum p^2 / q - 1 differs
    # by a constant vector, which is zero along the simplex).
    gp, gq = jax.grad(dv.chi_square, argnums=(0, 1))(P_IN, Q_IN)
    np.testing.assert_allclose(gp, 2 * (P_IN - Q_IN) / Q_IN, **tolerance("float64"))
    np.testing.assert_allclose(gq, 1 - P_IN**2 / Q_IN**2, **tolerance("float64"))
    # Where both masses are 0 the term is held at 0; where only p is 0 the gradient is textbook.
    gp, gq = jax.grad(dv.chi_square, argnums=(0, 1))(P_ZERO, Q_ZERO)
    both = (P_ZERO == 0) & (Q_ZERO == 0)
    np.testing.assert_array_equal(np.asarray(gp)[both], 0.0)
    np.testing.assert_array_equal(np.asarray(gq)[both], 0.0)
    on = Q_ZERO > 0
    np.testing.assert_allclose(
        np.asarray(gp)[on], 2 * (P_ZERO[on] - Q_ZERO[on]) / Q_ZERO[on], **tolerance("float64")
    )


def _mp_chi_square(p: np.ndarray, q: np.ndarray) -> float:
    """``sum (p - q)^2 / q`` of the given doubles in mpmath at 50 digits (``0/0 = 0``)."""
    import mpmath

    with mpmath.workdps(50):
        total = mpmath.mpf(0)
        for a, b in zip(p, q, strict=True):
            a, b = mpmath.mpf(float(a)), mpmath.mpf(float(b))
            if b == 0:
                if a > 0:
                    return math.inf
                continue
            total += (a - b) ** 2 / b
        return float(total)


#: p is q restricted to one point: KL = log(1 + chi^2) = 701.9 exactly, and the computed KL is
#: above the computed log1p(chi^2) by its rounding; raising the value to expm1 of that KL moved it
#: by 3216 ulp (7e-13).
EXAMPLE = (
    np.array([0.0, 1.0, 0.0, 0.0, 0.0]),
    np.array(
        [
            0.6000732011485447,
            1.5243479360871076e-305,
            0.10508074026026912,
            0.18567919573556355,
            0.10916686285562267,
        ]
    ),
)


def _assert_few_ulp(p: np.ndarray, q: np.ndarray, value: float) -> None:
    ref = _mp_chi_square(p, q)
    if ref in (0.0, math.inf):
        assert value == ref, (value, ref)
    else:
        np.testing.assert_allclose(value, ref, **tolerance("ulp_float64"))


@pytest.mark.slow
def test_the_equality_case_near_702_keeps_its_digits() -> None:
    """At an equality case near 702 the value is the sum within a few ulp, not e^KL - 1."""
    p, q = EXAMPLE
    value = float(dv.chi_square(p, q))
    _assert_few_ulp(p, q, value)
    # The same value under jit, and in a batch beside other rows, plain and under vmap: the
    # bits on the CPU; other programs, so the backend's rounding elsewhere.
    same = tolerance("backend_float64")
    ps, qs = np.stack([P_IN, p, P_ZERO]), np.stack([Q_IN, q, Q_ZERO])
    for other in (chi_jit(p, q), chi_jit(ps, qs)[1], jax.vmap(dv.chi_square)(ps, qs)[1]):
        np.testing.assert_allclose(float(other), value, **same)
    # The bound holds to the rounding of the two values.
    assert_leq(float(dv.kl(p, q)), math.log1p(value))


@pytest.mark.slow
@given(dvt.pmf_pair_batches([5], batch=[4]))
def test_few_ulp_against_mpmath_and_the_same_bits_alone_and_in_a_batch(pq) -> None:
    """Exact pmfs of the harness: within a few ulp of mpmath, a row alone as in its batch."""
    p, q = pq
    batch = np.asarray(chi_jit(p, q))
    vmapped = np.asarray(chi_vmap(p, q))
    for i, (a, b) in enumerate(zip(p, q, strict=True)):
        alone = float(chi_jit(a, b))
        assert batch[i] == alone and vmapped[i] == alone, (batch[i], vmapped[i], alone)
        _assert_few_ulp(a, b, alone)
