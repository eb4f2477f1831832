"""The GAN game: optimal discriminator, value function, and V(G, D*) = -log 4 + 2 JS."""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt
from divergences.testing import tolerance
from tests.helpers import P_IN, P_ZERO, Q_IN, Q_ZERO, SLOW, assert_leq, mp_gan_value

SIZES = [2, 5]
LOG4 = math.log(4)
dstar_jit = jax.jit(dv.optimal_discriminator)
value_jit = jax.jit(dv.gan_value)
value_base_jit = jax.jit(lambda p, q, d, b: dv.gan_value(p, q, d, base=b))
js_jit = jax.jit(dv.js_divergence)
js_base_jit = jax.jit(lambda p, q, b: dv.js_divergence(p, q, base=b))


def test_closed_form_two_bernoullis() -> None:
    p, q = [0.8, 0.2], [0.3, 0.7]
    d = dv.optimal_discriminator(p, q)
    np.testing.assert_allclose(d, [0.8 / 1.1, 0.2 / 0.9], **tolerance("float64"))
    np.testing.assert_allclose(
        float(dv.gan_value(p, q, d)), -1.121283459285795, **tolerance("float64")
    )
    np.testing.assert_allclose(
        float(dv.gan_value(p, q, d)), -LOG4 + 2 * 0.13250545091704782, **tolerance("float64")
    )


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_optimal_discriminator_conventions() -> None:
    d = dv.optimal_discriminator([0.5, 0.5, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(d, [1.0, 0.5, 0.0, 0.5])  # 1/2 where p + q = 0
    g = jax.grad(lambda p: dv.optimal_discriminator(p, Q_ZERO).sum())(P_ZERO)
    assert np.isfinite(g).all()


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES, tiny=False))
def test_value_at_the_optimum_is_minus_log_4_plus_2_js(pq) -> None:
    # Goodfellow et al. (2014), Theorem 1, for every pair, in nats, bits and another base.
    # No tiny masses: where q_i < eps p_i, D*_i rounds to 1 and V(G, D*) to -inf (documented in
    # optimal_discriminator; test_rounded_optimum_is_documented below).
    p, q = pq
    d = dstar_jit(p, q)
    np.testing.assert_allclose(
        float(value_jit(p, q, d)), -LOG4 + 2 * float(js_jit(p, q)), **tolerance("float64")
    )
    np.testing.assert_allclose(
        float(value_base_jit(p, q, d, 2.0)),
        -2 + 2 * float(js_base_jit(p, q, 2.0)),
        **tolerance("float64"),
    )
    b = 3.7
    np.testing.assert_allclose(
        float(value_base_jit(p, q, d, b)),
        -LOG4 / math.log(b) + 2 * float(js_base_jit(p, q, b)),
        **tolerance("float64"),
    )
    # The same value through the GAN generator of the f-GAN table.
    np.testing.assert_allclose(
        float(value_jit(p, q, d)),
        float(dv.f_divergence(p, q, dv.generators.GAN)),
        **tolerance("float64"),
    )


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES, tiny=False))
def test_value_bounds_at_the_optimum(pq) -> None:
    # -log 4 <= V(G, D*) <= 0, with -log 4 iff p = q and 0 iff the supports are disjoint.
    p, q = pq
    v = float(value_jit(p, q, dstar_jit(p, q)))
    assert_leq(-LOG4, v)
    assert_leq(v, 0.0)
    np.testing.assert_allclose(
        float(value_jit(p, p, dstar_jit(p, p))), -LOG4, **tolerance("float64")
    )


@given(dvt.pmf_pairs(SIZES, relation="disjoint"))
def test_disjoint_supports_give_zero(pq) -> None:
    p, q = pq
    np.testing.assert_allclose(float(value_jit(p, q, dstar_jit(p, q))), 0.0, **tolerance("float64"))


@given(data=st.data())
def test_optimal_discriminator_maximises_the_value(data) -> None:
    n = data.draw(st.sampled_from(SIZES))
    p, q = data.draw(dvt.pmf_pairs(n, tiny=False))
    d = data.draw(dvt.discriminators(n))
    best = float(value_jit(p, q, dstar_jit(p, q)))
    assert_leq(float(value_jit(p, q, d)), best)
    assert float(value_jit(p, q, d)) <= 0


def test_value_conventions() -> None:
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    # d = 0 where p = 0 and d = 1 where q = 0 cost nothing: V is then finite.
    d = np.array([1.0, 0.5, 0.0])
    np.testing.assert_allclose(float(dv.gan_value(p, q, d)), math.log(0.5), **tolerance("float64"))
    # d = 0 where p > 0 gives -inf (and so does d = 1 where q > 0): exactly, not NaN.
    assert float(dv.gan_value(p, q, np.array([0.0, 0.5, 0.0]))) == -math.inf
    assert float(dv.gan_value(p, q, np.array([1.0, 1.0, 0.0]))) == -math.inf


# In the slow tier: the zero-mass gradient convention is the shared terms' (test_terms.py, test_kl.py).
@pytest.mark.slow
def test_gradient_in_d_vanishes_at_the_optimum() -> None:
    # dV/dd_i = p_i / d_i - q_i / (1 - d_i) = 0 at d_i = p_i / (p_i + q_i).
    d = dv.optimal_discriminator(P_IN, Q_IN)
    g = jax.grad(dv.gan_value, argnums=2)(P_IN, Q_IN, d)
    np.testing.assert_allclose(g, 0.0, **tolerance("gradient"))
    # Zero-weight terms carry no gradient in d; every gradient is finite.
    d = dv.optimal_discriminator(P_ZERO, Q_ZERO)
    gp, gq, gd = jax.grad(dv.gan_value, argnums=(0, 1, 2))(P_ZERO, Q_ZERO, d)
    for g in (gp, gq, gd):
        assert np.isfinite(g).all()
    both = (P_ZERO == 0) & (Q_ZERO == 0)
    np.testing.assert_array_equal(np.asarray(gd)[both], 0.0)


def test_gradient_in_d_matches_the_formula() -> None:
    d = np.array([0.3, 0.6, 0.5, 0.2, 0.9])
    g = jax.grad(dv.gan_value, argnums=2)(P_IN, Q_IN, d)
    np.testing.assert_allclose(g, P_IN / d - Q_IN / (1 - d), **tolerance("float64"))


@pytest.mark.slow
@pytest.mark.parametrize("fn", [dv.gan_value, value_jit], ids=["plain", "jit"])
def test_d_broadcasts_against_a_batch(fn) -> None:
    ps = np.stack([P_IN, Q_IN])
    d = np.full(5, 0.5)
    rows = [float(dv.gan_value(p, Q_IN, d)) for p in ps]
    np.testing.assert_allclose(fn(ps, Q_IN, d), rows, **tolerance("float64"))
    np.testing.assert_allclose(
        jax.vmap(fn, in_axes=(0, None, None))(ps, Q_IN, d), rows, **tolerance("float64")
    )


def test_rounded_optimum_is_documented() -> None:
    # q_2 / p_2 = 1e-17 < eps: D*_2 = 1 in float64 and the composed value is -inf, while the
    # closed form -log 4 + 2 JS stays exact. The docstring of optimal_discriminator says so.
    p, q = np.array([0.5, 0.5]), np.array([1 - 5e-18, 5e-18])
    d = dv.optimal_discriminator(p, q)
    assert float(d[1]) == 1.0
    assert float(dv.gan_value(p, q, d)) == -math.inf
    closed = -LOG4 + 2 * float(dv.js_divergence(p, q))
    assert math.isfinite(closed)
    assert "rounds to" in dv.optimal_discriminator.__doc__


def test_gradient_in_the_weights_at_zero_weight_matches_one_sided_differences() -> None:
    # V is linear in p and q: at p_i = 0 (or q_i = 0) the derivative is log d_i (or
    # log(1 - d_i)), finite for d_i in (0, 1), and a one-sided difference along a feasible
    # direction must agree with it.
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.5, 0.0])
    d = np.array([0.4, 0.6, 0.7])
    v = np.array([0.0, -1.0, 1.0])
    h = 1e-7
    base = float(value_jit(p, q, d))
    gp, gq = jax.grad(dv.gan_value, argnums=(0, 1))(p, q, d)
    np.testing.assert_allclose(np.asarray(gp)[2], math.log(0.7), **tolerance("float64"))
    np.testing.assert_allclose(np.asarray(gq)[2], math.log(0.3), **tolerance("float64"))
    fd_p = (float(value_jit(p + h * v, q, d)) - base) / h
    fd_q = (float(value_jit(p, q + h * v, d)) - base) / h
    np.testing.assert_allclose(np.asarray(gp) @ v, fd_p, **tolerance("gradient"))
    np.testing.assert_allclose(np.asarray(gq) @ v, fd_q, **tolerance("gradient"))
    # Where the derivative would be infinite (d_i = 0 at p_i = 0, d_i = 1 at q_i = 0) it is 0.
    gp, gq = jax.grad(dv.gan_value, argnums=(0, 1))(
        np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.0, 0.5]), np.array([0.5, 1.0, 0.0])
    )
    assert float(gp[2]) == 0.0 and float(gq[1]) == 0.0
    assert np.isfinite(gp).all() and np.isfinite(gq).all()


value_star_jit = jax.jit(lambda p, q, b: dv.gan_value(p, q, base=b))


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES), st.sampled_from([None, 2.0, 3.7, 0.5]))
def test_value_at_the_optimum_without_d_is_finite_and_stable(pq, base) -> None:
    # The discriminator omitted means D*: -log 4 + 2 JS, finite for every pair, tiny masses
    # included (where D* rounds to 1 and the literal value at that d is -inf), in every base.
    p, q = pq
    for value in (float(dv.gan_value(p, q, base=base)), float(value_star_jit(p, q, base))):
        log_b = 1.0 if base is None else math.log(base)
        expected = (-LOG4 + 2 * float(dv.js_divergence(p, q))) / log_b
        assert math.isfinite(value)
        np.testing.assert_allclose(value, expected, **tolerance("float64"))
        lo, hi = sorted((-LOG4 / log_b, 0.0))
        assert lo <= value <= hi
    d = dstar_jit(p, q)
    literal = float(dv.gan_value(p, q, d, base=base))
    if math.isfinite(literal):
        np.testing.assert_allclose(
            literal, float(dv.gan_value(p, q, base=base)), **tolerance("float64")
        )


# In the slow tier: test_rounded_optimum_is_documented (the same p, q, -inf),
# test_value_at_the_optimum_is_relatively_accurate_near_disjoint_supports and
# test_gradient_at_the_optimum_is_log_d_star keep it quick.
@pytest.mark.slow
def test_value_at_the_optimum_where_d_star_rounds_to_one() -> None:
    p, q = np.array([0.5, 0.5]), np.array([1 - 5e-18, 5e-18])
    assert float(dv.gan_value(p, q, dv.optimal_discriminator(p, q))) == -math.inf  # literal
    np.testing.assert_allclose(
        float(dv.gan_value(p, q)),
        -LOG4 + 2 * float(dv.js_divergence(p, q)),
        **tolerance("float64"),
    )
    # Its gradient is the envelope theorem's, log D* (up to a constant along the simplex).
    g = np.asarray(jax.grad(lambda p: dv.gan_value(p, q))(p))
    assert np.isfinite(g).all()


def test_value_keeps_its_terms_below_the_normal_range() -> None:
    """Value keeps its terms below the normal range."""
    # Twenty terms 1.5 tiny log 0.9, each below the normal range (flushed to 0 by XLA) and
    # summing to a normal -7.03e-308: the value is linear in (p, q) for a given d and is summed
    # on upscaled masses. The exact sum is taken in mpmath from the doubles.
    import mpmath  # optional dependency of the tests' references, as in tests/helpers.py

    tiny = float(np.finfo(np.float64).tiny)
    p = np.concatenate([[0.5, 0.5], np.full(20, 1.5 * tiny), [0.0]])
    q = np.concatenate([np.zeros(22), [1.0]])
    d = np.concatenate([[1.0, 1.0], np.full(20, 0.9), [0.0]])
    with mpmath.workprec(200):
        exact = float(
            mpmath.fsum(mpmath.mpf(a) * mpmath.log(b) for a, b in zip(p, d, strict=True) if a > 0)
        )
    assert exact <= -tiny
    for value in (dv.gan_value(p, q, d), jax.jit(dv.gan_value)(p, q, d)):
        assert abs(float(value) - exact) <= tolerance("ulp_float64")["rtol"] * abs(exact)


@st.composite
def _harsh_discriminators(draw: st.DrawFn, n: int, dtype: type) -> np.ndarray:
    """Discriminator outputs from 0 and the smallest normal number up to 1: every binade."""
    info = np.finfo(dtype)
    lowest = int(math.log2(float(info.tiny)))
    exponents = st.integers(lowest, -1)
    element = st.one_of(
        st.sampled_from([0.0, 1.0, float(info.tiny), 0.5]),
        exponents.map(lambda e: 2.0**e * 1.37),  # d near 0
        exponents.map(lambda e: 1.0 - 2.0**e if e >= -info.nmant else 1.0 - float(info.epsneg)),
    )
    values = np.array(draw(st.lists(element, min_size=n, max_size=n)), dtype=dtype)
    return np.minimum(np.maximum(values, 0), 1)


@pytest.mark.slow
@given(st.data(), st.sampled_from([np.float64, np.float32]))
def test_gradient_in_d_is_finite_and_accurate_over_the_float_range(data, dtype) -> None:
    # dV/dd_i = p_i / d_i - q_i / (1 - d_i), each part held at 0 where its weight is 0: finite
    # wherever the value is (masses and d at or above the smallest normal number), and within a
    # few ulps of its two parts' magnitudes (they cancel near the optimum). The masses run from
    # the smallest normal number up; d over every binade, next to 0 and next to 1.
    import mpmath  # optional dependency of the tests' references, as in tests/helpers.py

    pairs = st.one_of(
        dvt.pmf_pairs(SIZES, dtype=dtype), dvt.edge_of_normal_pairs(SIZES, dtype=dtype)
    )
    p, q = data.draw(pairs)
    d = data.draw(_harsh_discriminators(p.shape[0], dtype))
    value = float(dv.gan_value(p, q, d))
    if not math.isfinite(value):
        return
    g = np.asarray(jax.grad(dv.gan_value, argnums=2)(p, q, d), dtype=np.float64)
    assert np.isfinite(g).all()
    eps = float(np.finfo(dtype).eps)
    with mpmath.workprec(120):
        for pi, qi, di, gi in zip(p, q, d, g, strict=True):
            a = mpmath.mpf(float(pi)) / mpmath.mpf(float(di)) if pi > 0 else mpmath.mpf(0)
            b = mpmath.mpf(float(qi)) / (1 - mpmath.mpf(float(di))) if qi > 0 else mpmath.mpf(0)
            assert abs(gi - float(a - b)) <= 8 * eps * float(a + b), (pi, qi, di, gi)


# In the slow tier, with tests/testing/test_gradual_underflow.py's
# test_the_gan_gradient_in_d_agrees_under_both_behaviours (the same p, q and d).
@pytest.mark.slow
def test_gradient_in_d_is_finite_next_to_d_equals_zero() -> None:
    # The case that came out +inf: p_0 / d_0 = 5e215 formed on upscaled masses overflowed.
    p, q, d = np.array([5e-85, 1.0]), np.array([0.43, 0.57]), np.array([1e-300, 0.5])
    g = np.asarray(jax.grad(dv.gan_value, argnums=2)(p, q, d))
    np.testing.assert_allclose(g, [5e-85 / 1e-300 - 0.43 / (1 - 1e-300), 1 / 0.5 - 0.57 / 0.5])


# --- V(G, D*) near disjoint supports: relatively accurate, not -log 4 + 2 JS cancelled ---------

#: Near-disjoint pairs (p, q, dtype). The fourth and the last sum to 1 exactly, so that the
#: defining sum and -log 4 + 2 JS are the same number; the others are each off 1 by a rounding,
#: where the two differ by log 2 (sum p + sum q - 2), and the value is the defining sum's.
NEAR_DISJOINT = [
    ([1.0, 0.0], [1e-20, 1.0], np.float64),
    ([1.0, 0.0], [1e-9, 1 - 1e-9], np.float64),
    ([1.0, 0.0], [1e-300, 1.0], np.float64),
    # Four masses, a mass under both rounding units: each dtype's own program (seconds), run by
    # the slow tier; the two-mass cases above make the same claim in the quick tier.
    pytest.param(
        [1.0, 0.0, 0.0, 0.0],
        [2.0**-70, 0.0, 1 - 2.0**-53, 2.0**-53 - 2.0**-70],
        np.float64,
        marks=SLOW,
    ),
    # float32's own program, in the slow tier.
    pytest.param([1.0, 0.0], [1e-6, 1 - 1e-6], np.float32, marks=SLOW),
    pytest.param(
        [1.0, 0.0, 0.0, 0.0],
        [2.0**-30, 0.0, 1 - 2.0**-24, 2.0**-24 - 2.0**-30],
        np.float32,
        marks=SLOW,
    ),
]


gan_star_jit = jax.jit(lambda p, q, b: dv.gan_value(p, q, base=b), static_argnums=2)
gan_f_jit = jax.jit(
    lambda p, q, b: dv.f_divergence(p, q, dv.generators.GAN, base=b), static_argnums=2
)
gan_star_grad_jit = jax.jit(jax.grad(lambda p, q: dv.gan_value(p, q), argnums=(0, 1)))


def _relative_errors(p: np.ndarray, q: np.ndarray) -> list[float]:
    """|V - exact| / |exact| of gan_value and the GAN f-divergence, in nats and in bits."""
    exact = mp_gan_value(p, q)
    errors = []
    for base, log_b in ((None, 1.0), (2.0, math.log(2))):
        for value in (gan_star_jit(p, q, base), gan_f_jit(p, q, base)):
            errors.append(abs(float(value) - exact / log_b) / abs(exact / log_b))
    return errors


@pytest.mark.parametrize(("p", "q", "dtype"), NEAR_DISJOINT)
def test_value_at_the_optimum_is_relatively_accurate_near_disjoint_supports(p, q, dtype) -> None:
    # -log 4 + 2 JS cancelled: gan_value([1, 0], [1e-20, 1]) was 0.0 for -4.7e-19, and 7e6 ulp
    # off at q = [1e-9, 1 - 1e-9]. Summed as -sum p log1p(q/p) + q log1p(p/q), terms of one sign.
    p, q = np.array(p, dtype), np.array(q, dtype)
    if sum(map(Fraction, q.tolist())) == 1:  # a pmf exactly: the two forms of V agree
        assert mp_gan_value(p, q) == mp_gan_value(p, q, centred=True)
    rtol = tolerance(f"ulp_{np.dtype(dtype).name}")["rtol"]
    assert max(_relative_errors(p, q)) <= rtol
    assert float(dv.gan_value(p, q)) == float(gan_star_jit(p, q, None))  # eager as jit


@st.composite
def _near_disjoint_pairs(draw: st.DrawFn, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """A disjoint pair with a mass of 10^-300 (float32: 10^-37) to 0.1 of q moved under p."""
    p, q = draw(dvt.pmf_pairs(SIZES, relation="disjoint", dtype=dtype))
    lowest = math.log10(float(np.finfo(dtype).tiny))
    delta = np.maximum(
        np.asarray(10.0 ** draw(st.floats(lowest, -1.0)), dtype), np.finfo(dtype).tiny
    )
    i = draw(st.sampled_from(np.flatnonzero(p > 0).tolist()))
    j = int(np.argmax(q))
    q = q.copy()
    q[i], q[j] = delta, q[j] - delta
    return (q, p) if draw(st.booleans()) else (p, q)


@pytest.mark.slow
@given(st.data(), st.sampled_from([np.float64, np.float32]))
def test_value_at_the_optimum_near_disjoint_supports_is_relatively_accurate(data, dtype) -> None:
    p, q = data.draw(_near_disjoint_pairs(dtype))
    assert max(_relative_errors(p, q)) <= tolerance(f"ulp_{np.dtype(dtype).name}")["rtol"]
    assert -LOG4 <= float(gan_star_jit(p, q, None)) <= 0
    gp, gq = gan_star_grad_jit(p, q)
    assert np.isfinite(np.asarray(gp)).all() and np.isfinite(np.asarray(gq)).all()


def test_gradient_at_the_optimum_is_log_d_star() -> None:
    # The envelope theorem: dV/dp = log D*, dV/dq = log(1 - D*) where the mass is positive; where
    # p = 0 < q the derivative in p is the other term's, -q/(p + q) = -1 (its own term, whose
    # one-sided derivative is -inf, held at 0); 0 where both vanish. Finite near disjoint supports.
    p, q = np.array([1.0, 0.0, 0.5, 0.0]) / 1.5, np.array([1e-20, 1.0, 0.0, 0.0])
    gp, gq = jax.grad(lambda p, q: dv.gan_value(p, q), argnums=(0, 1))(p, q)
    s = p + q
    np.testing.assert_allclose(
        np.asarray(gp), [math.log(p[0] / s[0]), -1.0, 0.0, 0.0], **tolerance("float64")
    )
    np.testing.assert_allclose(
        np.asarray(gq), [math.log(q[0] / s[0]), 0.0, -1.0, 0.0], **tolerance("float64")
    )
