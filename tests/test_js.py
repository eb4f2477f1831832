"""Jensen-Shannon divergence and distance: closed forms, SciPy, properties, gradients."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given
from scipy.spatial.distance import jensenshannon

import divergences as dv
from divergences import testing as dvt
from divergences.testing import tolerance
from tests.helpers import P_ZERO, Q_ZERO, assert_leq, mp_js

js_jit = jax.jit(dv.js_divergence)
js_bits_jit = jax.jit(lambda p, q: dv.js_divergence(p, q, base=2))
dist_jit = jax.jit(dv.js_distance)
dist_bits_jit = jax.jit(lambda p, q: dv.js_distance(p, q, base=2))
kl_jit = jax.jit(dv.kl)
entropy_jit = jax.jit(dv.entropy)
SIZES = [2, 5]
LOG2 = math.log(2)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_closed_form_two_bernoullis() -> None:
    p, q = [0.8, 0.2], [0.3, 0.7]
    np.testing.assert_allclose(
        float(dv.js_divergence(p, q)), 0.13250545091704782, **tolerance("float64")
    )
    np.testing.assert_allclose(
        float(dv.js_distance(p, q)), math.sqrt(0.13250545091704782), **tolerance("float64")
    )


def test_disjoint_supports_give_log_2_and_never_more() -> None:
    # The range is a promise, exact on every backend: the value is capped at log 2 (a host
    # constant). Reaching log 2 itself is the backend's arithmetic: the terms p log 2 are summed
    # by its log and its reduction (an H100 gave 1 ulp below log 2), so to within its tolerance.
    p, q = [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.25, 0.75]
    for value, top in [
        (dv.js_divergence(p, q), LOG2),
        (dv.js_divergence(p, q, base=2), 1.0),
        (dv.js_distance(p, q, base=2), 1.0),
    ]:
        assert float(value) <= top
        np.testing.assert_allclose(float(value), top, **tolerance("backend_float64"))


# SciPy's jensenshannon sums rel_entr terms in float64, with an absolute rounding error of a few
# eps (each term x log(x/m) is off by about eps * max(x, |x log(x/m)|), and m = (p + q)/2 by an
# ulp), then takes a square root. Where the exact JS is within that error of 0 (p = q, or pairs
# that differ only in masses below ~1e-15) the sum can round negative: the root warns and gives
# NaN. On those inputs the reference is the exact JS (mpmath), which the float64 tolerance's
# absolute floor (1e-14) covers; elsewhere SciPy's sum is positive (64 eps is 8x its error).
_SCIPY_JS_FLOOR = 64 * float(np.finfo(np.float64).eps)


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES))
def test_agrees_with_scipy(pq) -> None:
    # scipy.spatial.distance.jensenshannon returns the DISTANCE, sqrt(JS), with the 1/2 inside,
    # and divides JS by log(base) before the root; it also renormalises its inputs. So:
    #   jensenshannon(p, q) ** 2 == js_divergence(p, q)   (nats)
    #   jensenshannon(p, q, base=2) == js_distance(p, q, base=2)
    p, q = pq
    js = float(js_jit(p, q))
    exact = mp_js(p, q)
    if exact <= _SCIPY_JS_FLOOR:
        np.testing.assert_allclose(js, exact, **tolerance("float64"))
        np.testing.assert_allclose(
            float(dist_bits_jit(p, q)) ** 2, exact / LOG2, **tolerance("float64")
        )
    else:
        ref = jensenshannon(p, q)
        ref_bits = jensenshannon(p, q, base=2)
        np.testing.assert_allclose(js, ref**2, **tolerance("float64"))
        # Compared squared: near p = q, JS carries an absolute rounding error of order eps that
        # the square root magnifies by 1 / (2 sqrt(JS)) in both implementations.
        np.testing.assert_allclose(
            float(dist_bits_jit(p, q)) ** 2, ref_bits**2, **tolerance("float64")
        )
    np.testing.assert_allclose(float(js_bits_jit(p, q)), js / LOG2, **tolerance("float64"))


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES, tiny=False))
def test_equals_kl_to_the_mixture_and_entropy_gap(pq) -> None:
    # No tiny masses: half of the smallest normal number is subnormal, which XLA on CPU flushes
    # to zero, so the mixture m computed here would lose the mass.
    p, q = pq
    m = 0.5 * (p + q)
    js = float(js_jit(p, q))
    np.testing.assert_allclose(
        js, 0.5 * float(kl_jit(p, m)) + 0.5 * float(kl_jit(q, m)), **tolerance("float64")
    )
    gap = float(entropy_jit(m)) - 0.5 * (float(entropy_jit(p)) + float(entropy_jit(q)))
    np.testing.assert_allclose(js, gap, **tolerance("float64"))


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES))
def test_symmetric_and_bounded(pq) -> None:
    p, q = pq
    js = float(js_jit(p, q))
    # Symmetric up to rounding: XLA may contract p log(p/m) + q log(q/m) into a fused
    # multiply-add, and which term is fused depends on the argument order.
    np.testing.assert_allclose(js, float(js_jit(q, p)), **tolerance("float64"))
    np.testing.assert_allclose(float(dist_jit(p, q)), float(dist_jit(q, p)), **tolerance("float64"))
    assert js >= 0
    assert_leq(js, LOG2)
    assert float(js_jit(p, p)) == 0.0
    assert float(dist_jit(p, p)) == 0.0


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES, relation="disjoint"))
def test_maximal_exactly_for_disjoint_supports(pq) -> None:
    p, q = pq
    np.testing.assert_allclose(float(js_jit(p, q)), LOG2, **tolerance("float64"))
    np.testing.assert_allclose(float(js_bits_jit(p, q)), 1.0, **tolerance("float64"))
    np.testing.assert_allclose(float(dist_bits_jit(p, q)), 1.0, **tolerance("float64"))


# In the slow tier: test_numerics.py's test_js_and_distance_relative_accuracy holds JS at or below
# log 2 and within 32 eps of the exact value on drawn pairs, shared zeros included.
@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES, relation="shared_zeros"))
def test_below_the_maximum_when_supports_overlap(pq) -> None:
    p, q = pq
    # Overlapping supports (same support here) keep JS strictly below log 2, by the gap
    # log 2 - JS = 1/2 sum_{p q > 0} [p log(1 + q/p) + q log(1 + p/q)]. Where that gap is within
    # the kernel's accuracy near log 2 (a few ulp: one mass of 1e-17 against 1) rounding may
    # reach log 2 itself, never beyond.
    both = (p > 0) & (q > 0)
    a, b = p[both], q[both]
    gap = 0.5 * float(np.sum(a * np.log1p(b / a) + b * np.log1p(a / b)))
    js = float(js_jit(p, q))
    assert js <= LOG2
    if gap > 64 * np.finfo(np.float64).eps:
        assert js < LOG2


@pytest.mark.slow  # 2.7 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_triples(SIZES))
def test_distance_triangle_inequality(pqr) -> None:
    p, q, r = pqr
    for fn in (dist_jit, dist_bits_jit):
        assert_leq(float(fn(p, r)), float(fn(p, q)) + float(fn(q, r)))


def test_divergence_alone_is_not_a_metric() -> None:
    # JS itself breaks the triangle inequality: it is the square of a metric.
    p, q, r = [1.0, 0.0], [0.5, 0.5], [0.0, 1.0]
    assert float(dv.js_divergence(p, r)) > float(dv.js_divergence(p, q)) + float(
        dv.js_divergence(q, r)
    )


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
def test_gradient_convention_at_zero_mass() -> None:
    # JS = 1/2 sum p log(2p/(p+q)) + q log(2q/(p+q)). At p_i = 0 < q_i the p-term is the
    # constant 0 (convention) and the q-term contributes -q_i / (p_i + q_i) / 2 = -1/2.
    gp, gq = jax.grad(dv.js_divergence, argnums=(0, 1))(P_ZERO, Q_ZERO)
    gp, gq = np.asarray(gp), np.asarray(gq)
    p_only_zero = (P_ZERO == 0) & (Q_ZERO > 0)
    both_zero = (P_ZERO == 0) & (Q_ZERO == 0)
    np.testing.assert_allclose(gp[p_only_zero], -0.5, **tolerance("float64"))
    np.testing.assert_array_equal(gp[both_zero], 0.0)
    np.testing.assert_array_equal(gq[both_zero], 0.0)
    # Where both are positive: d/dp_i = 1/2 log(2 p_i / (p_i + q_i)).
    on = (P_ZERO > 0) & (Q_ZERO > 0)
    np.testing.assert_allclose(
        gp[on], 0.5 * np.log(2 * P_ZERO[on] / (P_ZERO[on] + Q_ZERO[on])), **tolerance("float64")
    )


# In the slow tier (the plain call and the jitted one: the same kernel).
@pytest.mark.slow
@pytest.mark.parametrize("fn", [dv.js_distance, jax.jit(dv.js_distance)], ids=["plain", "jit"])
def test_distance_gradient_at_equality_is_zero(fn) -> None:
    # sqrt has no derivative at 0: the subgradient 0 is returned, never NaN.
    gp, gq = jax.grad(fn, argnums=(0, 1))(P_ZERO, P_ZERO)
    np.testing.assert_array_equal(gp, 0.0)
    np.testing.assert_array_equal(gq, 0.0)


@pytest.mark.parametrize("base", [0.5, 0.1])
def test_distance_refuses_a_base_below_one(base: float) -> None:
    # In a base below 1 the JS is negative: no square root, not a silent 0.
    with pytest.raises(ValueError, match="js_distance needs base > 1"):
        dv.js_distance([0.5, 0.5], [0.9, 0.1], base=base)
    assert float(dv.js_divergence([0.5, 0.5], [0.9, 0.1], base=base)) < 0
