"""The log kernels: fast path and exact fallback, custom JVP, masks, accuracy.

The fast path and the exact fallback agree, the custom JVP is right, and the masks and safe square
root behave as documented; KL, JS, entropy, cross-entropy and mutual information are within a few
ulp of an exact (mpmath) reference and never negative.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from hypothesis import example, given
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt
from divergences._src import log_sums as ls
from divergences._src import numerics as nm
from divergences._src import terms as tm
from divergences.testing import tolerance
from divergences.testing.profiles import at_most
from tests.helpers import (
    mp_chi_square,
    mp_conditional_entropy,
    mp_cross_entropy,
    mp_entropy,
    mp_hellinger,
    mp_js,
    mp_js_distance,
    mp_kl,
    mp_mutual_information,
    mp_total_variation,
    relative_error,
)

SIZES = [2, 5]


def _fallback(x, y, z, axis=-1):
    return jnp.sum(nm.xlog_ratio(x, y, z), axis=axis)


fast_jit = jax.jit(nm._xlog_ratio_fast, static_argnums=3)
fallback_jit = jax.jit(_fallback, static_argnums=3)


def _reference(x, y, z):
    """Sum x log(y / z) by SciPy: xlogy(x, y) - xlogy(x, z), with the package's conventions."""
    x, y, z = np.broadcast_arrays(x, y, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = scipy.special.xlogy(x, y) - scipy.special.xlogy(x, z)
    return terms.sum(axis=-1)


def test_support_mask() -> None:
    """Support mask."""
    x = jnp.array([0.0, 1e-300, np.finfo(np.float64).tiny, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(nm.support_mask(x), [0, 1, 1, 1, 1, 1])
    # No gradient flows through the mask.
    np.testing.assert_array_equal(jax.grad(lambda x: nm.support_mask(x).sum())(x), 0.0)


@pytest.mark.parametrize("kernel", [ls._kl_fast, ls._js_fast], ids=["kl", "js"])
def test_the_fast_sums_hold_no_comparison(kernel) -> None:
    """The fast sums are free of comparisons and selects, which XLA CPU does not vectorise.

    A comparison in JS's fast sum (``w == 2``, its indicator times a mass) once made it 7 times
    slower there than the same sum with ``floor(w - 1)``, the same indicator in arithmetic.
    """
    x = jnp.full(8, 0.125)
    program = jax.make_jaxpr(lambda p, q: kernel(p, q, -1))(x, x)
    used = {equation.primitive.name for equation in program.jaxpr.eqns}
    assert used.isdisjoint({"eq", "ne", "lt", "le", "gt", "ge", "select_n"}), used


def test_xlog_ratio_conventions() -> None:
    """The conventions of xlog_ratio at zero masses."""
    x = jnp.array([0.0, 0.0, 0.0, 0.5, 0.5])
    y = jnp.array([0.0, 0.3, 0.0, 0.5, 0.5])
    z = jnp.array([0.0, 0.0, 0.7, 0.25, 0.0])
    out = np.asarray(nm.xlog_ratio(x, y, z))
    np.testing.assert_array_equal(out[:3], 0.0)  # 0 log(0/0) = 0 log(y/0) = 0 log(0/z) = 0
    np.testing.assert_allclose(out[3], 0.5 * math.log(2), **tolerance("float64"))
    assert out[4] == math.inf


@given(dvt.pmf_pairs(SIZES, relation="independent", zeros=False))
def test_fast_path_without_zeros(pq) -> None:
    """Fast path without zeros."""
    # No zeros: the fast path has no NaN, is what the kernel returns, and equals the fallback.
    p, q = pq
    fast = float(fast_jit(p, p, q, -1))
    assert not math.isnan(fast)
    # The kernel returns its fast sum, compiled in another program: the same terms, added in an
    # order the backend chooses (an H100 put it 8 ulp off the separate program's).
    assert abs(float(nm.xlog_ratio_sum(p, p, q, -1)) - fast) <= _two_orders(p * np.log(p / q))
    np.testing.assert_allclose(fast, float(fallback_jit(p, p, q, -1)), **tolerance("float64"))
    np.testing.assert_allclose(fast, _reference(p, p, q), **tolerance("float64"))


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_pairs(SIZES))
def test_both_branches_agree_with_zeros(pq) -> None:
    """Both branches agree with zeros."""
    # KL-, entropy- and JS-shaped calls, with zeros anywhere (in both arguments too).
    p, q = pq
    ones = np.ones_like(p)
    for x, y, z in ((p, p, q), (p, ones, p), (p, ones, q), (p, 2 * p, p + q)):
        kernel = float(nm.xlog_ratio_sum(x, y, z, -1))
        fallback = float(fallback_jit(x, y, z, -1))
        np.testing.assert_allclose(kernel, fallback, **tolerance("float64"))
        np.testing.assert_allclose(kernel, _reference(x, y, z), **tolerance("float64"))
        fast = float(fast_jit(x, y, z, -1))
        # The fast path is exact whenever it is not NaN; NaN happens only with x = 0 = z.
        if math.isnan(fast):
            assert ((x == 0) & (z == 0)).any()
        else:
            np.testing.assert_allclose(fast, kernel, **tolerance("float64"))


def test_fallback_runs_exactly_when_x_and_z_vanish_together() -> None:
    """Fallback runs exactly when x and z vanish together."""
    p = jnp.array([0.5, 0.5, 0.0])
    q = jnp.array([0.5, 0.5, 0.0])
    assert math.isnan(float(fast_jit(p, p, q, -1)))  # 0 * log(0 / 0)
    assert float(nm.xlog_ratio_sum(p, p, q, -1)) == 0.0
    np.testing.assert_allclose(
        float(nm.xlog_ratio_sum(p, jnp.ones(3), p, -1)), math.log(2), **tolerance("float64")
    )


@pytest.mark.slow  # 1.8 s from a cold compile cache: over the quick tier's 1 s
def test_under_vmap_cond_becomes_select() -> None:
    """Under vmap cond becomes select."""
    # One batch mixes rows for the fast path and rows for the fallback: under vmap lax.cond is a
    # select that evaluates both, and each row must still get its own exact answer.
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    q = np.array([[0.5, 0.5, 0.0], [0.3, 0.3, 0.4], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    rows = [float(nm.xlog_ratio_sum(a, a, b, -1)) for a, b in zip(p, q, strict=True)]
    batched = jax.vmap(lambda a, b: nm.xlog_ratio_sum(a, a, b, -1))(p, q)
    np.testing.assert_allclose(batched, rows, **tolerance("float64"))
    np.testing.assert_allclose(nm.xlog_ratio_sum(p, p, q, -1), rows, **tolerance("float64"))
    np.testing.assert_allclose(nm.xlog_ratio_sum(p.T, p.T, q.T, 0), rows, **tolerance("float64"))
    assert rows[0] == 0.0 and rows[2] == math.inf and rows[3] == math.inf
    # Gradients through the vmapped kernel are finite on the rows with finite values.
    g = jax.vmap(jax.grad(lambda a, b: nm.xlog_ratio_sum(a, a, b, -1)))(p[:2], q[:2])
    assert np.isfinite(g).all()


@pytest.mark.slow
@given(st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3))
def test_jvp_matches_finite_differences(w) -> None:
    """JVP matches finite differences."""
    # The custom JVP against central differences, in every argument, at an interior point.
    x = jnp.asarray(w)
    y = jnp.asarray(w[::-1]) + 0.1
    z = jnp.asarray(w) * 0.5 + 0.2
    h = 1e-6
    grads = jax.grad(lambda x, y, z: nm.xlog_ratio_sum(x, y, z, -1), argnums=(0, 1, 2))(x, y, z)
    for which, g in enumerate(grads):
        for i in range(3):
            e = jnp.zeros(3).at[i].set(h)
            args_p = [x, y, z]
            args_m = [x, y, z]
            args_p[which] = args_p[which] + e
            args_m[which] = args_m[which] - e
            fd = (float(nm.xlog_ratio_sum(*args_p, -1)) - float(nm.xlog_ratio_sum(*args_m, -1))) / (
                2 * h
            )
            np.testing.assert_allclose(float(g[i]), fd, **tolerance("gradient"))


def test_jvp_zero_mass_convention() -> None:
    """JVP zero mass convention."""
    # A term with x = 0 is held at 0: no derivative in y or z, even where z = 0. Its derivative
    # in x is log(y / z) where finite (second entry: the term is linear in x) and 0 where y or z
    # is 0 too (first and last entries: x log x-like, one-sided derivative -inf).
    x = jnp.array([0.0, 0.0, 0.6, 0.4, 0.0])
    y = jnp.array([0.0, 1.0, 0.6, 0.4, 1.0])
    z = jnp.array([0.0, 0.5, 0.3, 0.7, 0.0])
    gx, gy, gz = jax.grad(lambda x, y, z: nm.xlog_ratio_sum(x, y, z, -1), argnums=(0, 1, 2))(
        x, y, z
    )
    off = np.array([0, 1, 4])
    np.testing.assert_array_equal(np.asarray(gy)[off], 0.0)
    np.testing.assert_array_equal(np.asarray(gz)[off], 0.0)
    np.testing.assert_array_equal(np.asarray(gx)[[0, 4]], 0.0)
    np.testing.assert_allclose(float(gx[1]), math.log(2), **tolerance("float64"))
    x, y, z = x[:4], y[:4], z[:4]
    gx, gy, gz = gx[:4], gy[:4], gz[:4]
    np.testing.assert_allclose(gx[2:], np.log(y[2:] / z[2:]), **tolerance("float64"))
    np.testing.assert_allclose(gy[2:], x[2:] / y[2:], **tolerance("float64"))
    np.testing.assert_allclose(gz[2:], -x[2:] / z[2:], **tolerance("float64"))
    # Forward mode too.
    _, tangent = jax.jvp(
        lambda x: nm.xlog_ratio_sum(x, y, z, -1), (x,), (jnp.array([1.0, 1.0, 0.0, 0.0]),)
    )
    np.testing.assert_allclose(float(tangent), math.log(2), **tolerance("float64"))


@pytest.mark.slow
def test_float32() -> None:
    """Float32."""
    p = np.array([0.5, 0.5, 0.0], dtype=np.float32)
    q = np.array([0.25, 0.25, 0.5], dtype=np.float32)
    out = nm.xlog_ratio_sum(p, p, q, -1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(float(out), math.log(2), **tolerance("float32"))
    # The fast path's floor is the dtype's own tiny.
    tiny32 = np.finfo(np.float32).tiny
    p = np.array([1 - tiny32, tiny32], dtype=np.float32)
    assert np.isfinite(float(nm.xlog_ratio_sum(p, p, np.array([0.5, 0.5], np.float32), -1)))


def test_safe_sqrt() -> None:
    """Safe sqrt."""
    x = jnp.array([0.0, 0.25, 1.0, 4.0])
    np.testing.assert_allclose(nm.safe_sqrt(x), [0.0, 0.5, 1.0, 2.0], **tolerance("float64"))
    g = jax.vmap(jax.grad(nm.safe_sqrt))(x)
    np.testing.assert_allclose(g, [0.0, 1.0, 0.5, 0.25], **tolerance("float64"))


def test_log_of_base() -> None:
    """Log of base."""
    assert nm.log_of_base(None, jnp.float64) == 1.0
    assert nm.log_of_base(2, jnp.float64) == math.log(2)
    np.testing.assert_allclose(
        float(nm.log_of_base(jnp.asarray(10.0), jnp.float64)), math.log(10), **tolerance("float64")
    )


# --- KL and JS: relative accuracy against mpmath, never negative, both paths, gradients --------

TINY64 = float(np.finfo(np.float64).tiny)
kl_jit = jax.jit(dv.kl)
js_jit = jax.jit(dv.js_divergence)
jsd_jit = jax.jit(dv.js_distance)


def _two_orders(terms: np.ndarray) -> float:
    """How far two sums of ``terms`` in different orders can be apart: ``2 (n - 1) eps sum |t|``.

    The bound of recursive or pairwise summation (Higham, *Accuracy and Stability of Numerical
    Algorithms*, 2nd ed., 2002, eq. (4.4)) for each of the two, on the terms' own dtype, plus
    the rounding of each term (computed in either program: 2 eps |t| each).
    """
    eps = float(np.finfo(terms.dtype).eps)
    return 2 * (terms.size + 1) * eps * float(np.sum(np.abs(terms.astype(np.float64))))


def _assert_relatively_accurate(value: float, reference: float, dtype: Any) -> None:
    """Within ``tolerance("ulp_<dtype>")`` of the exact reference where that is a normal number.

    Where it is 0 or below the normal range only the sign and finiteness are promised.
    """
    assert value >= 0, (value, reference)
    tiny = float(np.finfo(dtype).tiny)
    if math.isinf(reference):
        assert value == math.inf
    elif reference >= tiny:
        rtol = tolerance(f"ulp_{np.dtype(dtype).name}")["rtol"]
        assert relative_error(value, reference) <= rtol, (value, reference)
    else:
        assert value < 4 * tiny, (value, reference)


PAIRS = st.one_of(
    dvt.near_identical_pairs(),
    dvt.near_identical_pairs(dtype=np.float32),
    dvt.pmf_pairs(),
    dvt.pmf_pairs(dtype=np.float32),
)


@pytest.mark.slow
@given(PAIRS)
def test_kl_relative_accuracy(pq) -> None:
    """KL relative accuracy."""
    p, q = pq
    reference = mp_kl(p, q)
    # Eagerly and under jit (another program: the eager bits on the CPU, not on every backend).
    for value in (float(dv.kl(p, q)), float(kl_jit(p, q))):
        _assert_relatively_accurate(value, reference, p.dtype)


@pytest.mark.slow
@given(PAIRS)
def test_js_and_distance_relative_accuracy(pq) -> None:
    """JS and distance relative accuracy."""
    p, q = pq
    reference = min(mp_js(p, q), math.log(2))  # capped at log 2 for sums a hair above one
    # Eagerly and under jit (another program: the eager bits on the CPU, not on every backend).
    for js, jsd in ((dv.js_divergence, dv.js_distance), (js_jit, jsd_jit)):
        value = float(js(p, q))
        _assert_relatively_accurate(value, reference, p.dtype)
        assert value <= float(np.array(math.log(2), dtype=p.dtype))  # log 2 rounded to the dtype
        distance = float(jsd(p, q))
        # sqrt halves a relative error; the reference root is taken exactly. Where JS itself is
        # below the normal range (a mass near tiny against a zero) it is flushed, and so is its
        # root.
        if reference >= float(np.finfo(p.dtype).tiny):
            _assert_relatively_accurate(distance, math.sqrt(reference), p.dtype)
        else:
            assert 0 <= distance <= math.sqrt(4 * float(np.finfo(p.dtype).tiny))


@pytest.mark.slow
@given(st.one_of(dvt.pmf_pairs(), dvt.pmf_pairs(dtype=np.float32)))
def test_entropy_and_cross_entropy_relative_accuracy(pq) -> None:
    """Entropy and cross entropy relative accuracy."""
    # Every term of -sum p log q is non-negative for masses in [0, 1]: nothing cancels, the
    # defining sum is already relatively accurate, including at masses down to tiny.
    p, q = pq
    _assert_relatively_accurate(float(dv.entropy(p)), mp_entropy(p), p.dtype)
    # The cross-entropy is held at H(p) at least (Gibbs), which masses whose totals are 1 only in
    # floating point can break exactly: [7.6e-28, 1] against [7.64e-28, 1].
    reference = max(mp_cross_entropy(p, q), mp_entropy(p))
    _assert_relatively_accurate(float(dv.cross_entropy(p, q)), reference, p.dtype)


TINY = float(np.finfo(np.float64).tiny)
#: H(C | X) = tiny (1 + log(14 / (29 tiny))), normal; its term (14/29) log1p(tiny / (14/29)) is
#: tiny (1 - 1e-308), a product that XLA flushes to 0 where it is not fused with the sum (no FMA:
#: ``--xla_cpu_max_isa=SSE4_2`` or ``AVX``): 1.4e-3 of the value.
JUST_UNDER_TINY = np.array([[13 / 29, 0, 2 / 29], [0, TINY, 0], [0, 14 / 29, 0]])
#: H(C | X) = 2 tiny log 2, normal, from two terms tiny log 2 below the normal range: 0 on every
#: instruction set before the sums were upscaled. Its transpose has I(C; X) = H(X), likewise.
TWO_TINY_IN_A_COLUMN = np.array([[1.0, 0.0], [0.0, TINY], [0.0, TINY]])
#: I(C; X) = 2 tiny log 2 from two products tiny * log 2 (rows of mass tiny against the marginal).
TWO_TINY_ROWS = np.array([[0.5, 0.5], [0.0, TINY], [0.0, TINY]])


@pytest.mark.slow
@given(
    st.one_of(
        dvt.near_identical_pairs(n=[4, 6, 9]),
        dvt.pmf_pairs([4, 6, 9]),
        dvt.edge_of_normal_pairs(n=[4, 6, 9]),
    )
)
@example((JUST_UNDER_TINY.ravel(), np.full(9, 1 / 9)))
@example((TWO_TINY_IN_A_COLUMN.ravel(), np.full(6, 1 / 6)))
def test_conditional_entropy_relative_accuracy(pq) -> None:
    """Conditional entropy relative accuracy."""
    # Non-negative terms P log1p(O / P), O the other rows' mass in the column summed from the
    # masses: relatively accurate, also where O is far below P (a nearly determined C).
    p, _ = pq
    joint = p.reshape({4: (2, 2), 6: (3, 2), 9: (3, 3)}[p.size])
    _assert_relatively_accurate(
        float(dv.conditional_entropy(joint)), mp_conditional_entropy(joint), p.dtype
    )


@pytest.mark.slow
@pytest.mark.parametrize("joint", [JUST_UNDER_TINY, TWO_TINY_IN_A_COLUMN, TWO_TINY_ROWS.T])
def test_conditional_entropy_keeps_its_terms_below_the_normal_range(joint) -> None:
    """Conditional entropy keeps its terms below the normal range."""
    # A normal H(C | X) whose terms are not: upscaled, summed, divided back (numerics
    # .upscaled_sum), the same eagerly, under jit and under vmap.
    reference = mp_conditional_entropy(joint)
    assert reference >= TINY
    calls = (
        dv.conditional_entropy(joint),
        jax.jit(dv.conditional_entropy)(joint),
        jax.vmap(dv.conditional_entropy)(np.stack([joint, joint]))[1],
    )
    for value in calls:
        _assert_relatively_accurate(float(value), reference, np.float64)
    assert np.isfinite(np.asarray(jax.grad(dv.conditional_entropy)(joint))).all()


@pytest.mark.slow
@pytest.mark.parametrize("joint", [TWO_TINY_ROWS, TWO_TINY_IN_A_COLUMN.T, JUST_UNDER_TINY])
def test_mutual_information_keeps_its_products_below_the_normal_range(joint) -> None:
    """Mutual information keeps its products below the normal range."""
    reference = mp_mutual_information(joint)
    assert reference >= TINY
    for value in (dv.mutual_information(joint), jax.jit(dv.mutual_information)(joint)):
        _assert_relatively_accurate(float(value), reference, np.float64)


def test_conditional_entropy_and_total_variation_count_terms_below_the_normal_range() -> None:
    """Conditional entropy and total variation count terms below the normal range."""
    # The quick tier's check, eager only; the slow tests below take every sum, jit, vmap, grad.
    _assert_relatively_accurate(
        float(dv.conditional_entropy(TWO_TINY_IN_A_COLUMN)), 2 * TINY * math.log(2), np.float64
    )
    p, q = _tiny_pair(2, 1.5)
    _assert_relatively_accurate(float(dv.total_variation(p, q)), TINY, np.float64)


def _tiny_pair(k: int, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Two pmfs, halves of 1 and then ``k`` masses ``ratio tiny`` against ``tiny`` both ways."""
    low, high = np.full(k, TINY), np.full(k, ratio * TINY)
    return np.concatenate([[0.5, 0.5], high, low]), np.concatenate([[0.5, 0.5], low, high])


#: Every term below the normal range and the value normal (a sum of 100 such terms), and
#: squares below it with normal roots (Hellinger and Jensen-Shannon distances).
SUBNORMAL_TERMS = [_tiny_pair(100, 1.5), _tiny_pair(40, 3.0)]
ROOTS_OF_SUBNORMALS = [_tiny_pair(1, 1.21), _tiny_pair(1, 1.5)]

_G = dv.generators
SUMS_OF_SMALL_TERMS = {
    "total_variation": (dv.total_variation, mp_total_variation),
    "chi_square": (dv.chi_square, mp_chi_square),
    "kl": (dv.kl, mp_kl),
    "reverse kl": (lambda p, q: dv.kl(q, p), lambda p, q: mp_kl(q, p)),
    "js_divergence": (dv.js_divergence, mp_js),
    "TOTAL_VARIATION": (
        lambda p, q: dv.f_divergence(p, q, _G.TOTAL_VARIATION),
        mp_total_variation,
    ),
    "PEARSON": (lambda p, q: dv.f_divergence(p, q, _G.PEARSON), mp_chi_square),
    "NEYMAN": (lambda p, q: dv.f_divergence(p, q, _G.NEYMAN), lambda p, q: mp_chi_square(q, p)),
    "SQUARED_HELLINGER": (
        lambda p, q: dv.f_divergence(p, q, _G.SQUARED_HELLINGER),
        lambda p, q: 2 * mp_hellinger(p, q, squared=True),
    ),
    "KL": (lambda p, q: dv.f_divergence(p, q, _G.KL), mp_kl),
    "REVERSE_KL": (lambda p, q: dv.f_divergence(p, q, _G.REVERSE_KL), lambda p, q: mp_kl(q, p)),
    "JENSEN_SHANNON": (
        lambda p, q: dv.f_divergence(p, q, _G.JENSEN_SHANNON),
        lambda p, q: 2 * mp_js(p, q),
    ),
}
ROOTS = {"hellinger": (dv.hellinger, mp_hellinger), "js_distance": (dv.js_distance, mp_js_distance)}


def _assert_all_calls_accurate(fn: Any, reference: float, p: np.ndarray, q: np.ndarray) -> None:
    assert reference >= TINY  # the value is normal: relative accuracy is promised
    calls = (fn(p, q), jax.jit(fn)(p, q), jax.vmap(fn)(np.stack([p, p]), np.stack([q, q]))[1])
    for value in calls:
        _assert_relatively_accurate(float(value), reference, np.float64)
    gradients = jax.grad(fn, argnums=(0, 1))(p, q)
    assert all(np.isfinite(np.asarray(g)).all() for g in gradients)


@pytest.mark.slow
@pytest.mark.parametrize("pq", SUBNORMAL_TERMS)
@pytest.mark.parametrize("name", sorted(SUMS_OF_SMALL_TERMS))
def test_sums_keep_their_terms_below_the_normal_range(name: str, pq) -> None:
    """Sums keep their terms below the normal range."""
    # Terms of masses 1.5 tiny and tiny (or 3 tiny) are below the normal range, which XLA
    # flushes to 0 (p - q itself, for total variation and chi-square); their sum is normal.
    fn, reference = SUMS_OF_SMALL_TERMS[name]
    _assert_all_calls_accurate(fn, reference(*pq), *pq)


@pytest.mark.slow
@pytest.mark.parametrize("pq", ROOTS_OF_SUBNORMALS + SUBNORMAL_TERMS)
@pytest.mark.parametrize("name", sorted(ROOTS))
def test_distances_are_roots_of_sums_below_the_normal_range(name: str, pq) -> None:
    """Distances are roots of sums below the normal range."""
    # H^2 and JS of 1.21 tiny against tiny are about 1e-310, below the normal range; H and the
    # JS distance about 1e-155, normal.
    fn, reference = ROOTS[name]
    _assert_all_calls_accurate(fn, reference(*pq), *pq)


@pytest.mark.slow
@at_most(30)
@given(dvt.edge_of_normal_pairs(n=[2, 5, 8]))
def test_sums_and_distances_at_the_edge_of_the_normal_range(pq) -> None:
    """Sums and distances at the edge of the normal range."""
    # Masses of a few times tiny beside regular ones: relatively accurate against mpmath wherever
    # the exact value is normal (below it, at most a few tiny), with no term lost to the flush.
    p, q = pq
    for fn, reference in (*SUMS_OF_SMALL_TERMS.values(), *ROOTS.values()):
        _assert_relatively_accurate(float(fn(p, q)), reference(p, q), np.float64)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_conditional_entropy_and_its_gradient_where_the_column_sum_rounds_away_a_mass() -> None:
    """Conditional entropy and its gradient where the column sum rounds away a mass."""
    # P(j) = 1 + 1e-20 rounds to 1: log(P(j) / P(i, j)) lost the 1e-20 (H(C | X) came out 2%
    # low), and the gradient log(P(j) / P(i, j)) was 1.3e-4 off at [[0.3, 0.2], [1e-13, 0.5]].
    for joint in (np.array([[1.0, 0.0], [1e-20, 0.0]]), np.array([[0.3, 0.2], [1e-13, 0.5]])):
        _assert_relatively_accurate(
            float(dv.conditional_entropy(joint)), mp_conditional_entropy(joint), np.float64
        )
    gradient = np.asarray(jax.grad(dv.conditional_entropy)(joint))
    exact = [math.log1p(1e-13 / 0.3), math.log(3.5), math.log((0.3 + 1e-13) / 1e-13), math.log(1.4)]
    np.testing.assert_allclose(gradient.ravel(), exact, rtol=1e-12)


@pytest.mark.slow
@given(st.one_of(dvt.near_identical_pairs(n=[4, 6, 9]), dvt.edge_of_normal_pairs(n=[4, 6, 9])))
@example((TWO_TINY_ROWS.T.ravel(), np.full(6, 1 / 6)))  # (2, 3): the transpose
def test_mutual_information_accuracy(pq) -> None:
    """Mutual information accuracy."""
    # Near independence the marginals are rounded sums and P(j|i) a rounded quotient: a relative
    # rounding d of one of them moves a term c u^2/2 (u the relative departure from
    # independence) by about c u d, so the error is within 32 eps of the value plus
    # 4 n eps sqrt(MI) (Cauchy-Schwarz over the n entries): relative wherever MI >> (n eps)^2.
    # Where a term's departure is below the rounding d itself, the rounding alone makes one of
    # up to d^2 / 2 of its mass (the docstring's floor): [[1, 1e-82], [1.6e-46, 1e-128]] has
    # I = 1.3e-92 and P(0 | 1) rounded to 1 - ulp, a term of eps^2 / 2 times P(1) = 1.6e-46.
    # Near determinism (I close to H(C)) the bound at the marginal entropy must not cut it.
    p, _ = pq
    shape = {4: (2, 2), 6: (2, 3), 9: (3, 3)}[p.size]
    joint = p.reshape(shape)
    value = float(dv.mutual_information(joint))
    reference = mp_mutual_information(joint)
    eps = float(np.finfo(np.float64).eps)
    assert value >= 0
    floor = (p.size * eps) ** 2
    bound = 32 * eps * reference + 4 * p.size * eps * math.sqrt(reference) + floor
    assert abs(value - reference) <= bound
    # Under jit: another program (the eager bits on the CPU, not on every backend), as accurate.
    assert abs(float(jax.jit(dv.mutual_information)(joint)) - reference) <= bound


def test_mutual_information_near_its_bound_is_not_cut_by_the_bound_s_rounding() -> None:
    """Mutual information near its bound is not cut by the rounding of the bound."""
    # Total 1 + 2e-17 (within an ulp of 1) and I(C; X) = H(C) - 2e-17: I was held at H(C) of the
    # rounded row sums, 3e-18 below it (1e-7 relative).
    joint = np.array([[1e-18, 1 - 1.000001e-12], [1e-12, 1e-19]])
    reference = mp_mutual_information(joint)
    value = float(dv.mutual_information(joint))
    h_c = float(dv.entropy(joint.sum(axis=1)))
    assert h_c < reference
    assert relative_error(value, reference) <= 4 * float(np.finfo(np.float64).eps)


def test_mutual_information_below_its_rounding_floor_is_within_the_floor() -> None:
    """Mutual information below its rounding floor is within the floor."""
    # The stress run's example: the error is the rounding of P(0 | 1), eps^2 / 2 times
    # P(1) = 1.6e-46, far above I = 1.3e-92 but far below the floor of the docstring.
    joint = np.array([[1.0, 1e-82], [1.59633854e-46, 1e-128]])
    reference = mp_mutual_information(joint)
    assert 1e-93 < reference < 1e-91
    eps = float(np.finfo(np.float64).eps)
    assert abs(float(dv.mutual_information(joint)) - reference) <= (4 * eps) ** 2


@pytest.mark.slow  # 1.9 s from a cold compile cache: over the quick tier's 1 s
def test_issue_examples() -> None:
    """Issue examples."""
    # Pmfs that differ in the 14th digit: the defining sums were off by 1e-3 relative here (KL
    # 1.92095e-27, truth 1.92332e-27), and float32 js_distance three times too large (1.5e-4,
    # truth 4.7e-5).
    d = 2.0**-45
    for p, q in (
        (np.array([0.3 + d, 0.7 - d]), np.array([0.3, 0.7])),
        (np.array([0.1, 0.2 + d, 0.3, 0.4 - d]), np.array([0.1, 0.2, 0.3, 0.4])),
    ):
        assert 1e-28 < mp_kl(p, q) < 1e-26
        np.testing.assert_allclose(float(dv.kl(p, q)), mp_kl(p, q), **tolerance("ulp_float64"))
        np.testing.assert_allclose(
            float(dv.js_divergence(p, q)), mp_js(p, q), **tolerance("ulp_float64")
        )
    p32 = np.array([0.3 + 2**-14, 0.7 - 2**-14], np.float32)
    q32 = np.array([0.3, 0.7], np.float32)
    truth = math.sqrt(mp_js(p32, q32))
    assert 4e-5 < truth < 5e-5
    np.testing.assert_allclose(float(dv.js_distance(p32, q32)), truth, **tolerance("ulp_float32"))
    # A one-row joint holding a mass at the smallest normal double: independent, MI = 0 (was -inf).
    assert float(dv.mutual_information([[TINY64, 1 - TINY64]])) == 0.0
    assert float(dv.mutual_information([[1.0, TINY64]])) == 0.0


@pytest.mark.slow
def test_fast_path_is_used_exactly_where_it_is_certified() -> None:
    """Fast path is used exactly where it is certified."""
    # The defining sums are returned where they are at least the threshold; below it, the exact
    # kernel. Both give the same value where both are accurate.
    p = np.array([0.9, 0.1, 0.0])
    q = np.array([0.05, 0.05, 0.9])
    fast = float(jax.jit(ls._kl_fast, static_argnums=2)(p, q, -1))  # compiled, as in kl_sum
    assert fast >= ls.KL_FAST_THRESHOLD
    assert float(ls.kl_sum(p, q, -1)) == fast
    exact = float(jnp.sum(tm.kl_accurate(jnp.asarray(p), jnp.asarray(q))))
    np.testing.assert_allclose(exact, fast, **tolerance("ulp_float64"))
    near = np.array([0.3, 0.7]), np.array([0.31, 0.69])
    assert float(ls._kl_fast(*map(jnp.asarray, near), -1)) < ls.KL_FAST_THRESHOLD
    assert float(ls.kl_sum(*near, -1)) == float(jnp.sum(tm.kl_accurate(*near)))
    # Twice JS likewise.
    far = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.5, 0.5])
    assert float(ls.js_sum(*far, -1)) == float(ls._js_fast(*map(jnp.asarray, far), -1))
    # log 2 + (log 2)/2 + (log 2)/2: the backend's log and the order of its sum decide the bit.
    np.testing.assert_allclose(
        float(ls.js_sum(*far, -1)), 2 * math.log(2), **tolerance("backend_float64")
    )


@pytest.mark.slow  # 2.7 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("which", ["kl", "js"])
def test_moderate_values_are_one_pass_of_the_fast_sum_to_a_few_ulp(which) -> None:
    """Moderate KL and JS are one pass of the fast sum, to a few ulp."""
    # Between the fast thresholds (0.06 for KL, 0.042 for twice JS) and 0.2, where the defining
    # sums' rounded ratios (up to eps in all) kept them from being certified: the sums stationary
    # in their ratio are returned as they are, relatively accurate against mpmath (their bound:
    # 16 ulp).
    fast, full, threshold, reference = {
        "kl": (ls._kl_fast, ls.kl_sum, ls.KL_FAST_THRESHOLD, mp_kl),
        "js": (ls._js_fast, ls.js_sum, ls.JS_FAST_THRESHOLD, lambda p, q: 2 * mp_js(p, q)),
    }[which]
    rng = np.random.default_rng(7)
    seen = 0
    for dtype in (np.float64, np.float32):
        for _ in range(8):
            p = rng.dirichlet(np.ones(40))
            q = p * np.exp(rng.normal(0, 0.6, 40))
            p, q = (p / p.sum()).astype(dtype), (q / q.sum()).astype(dtype)
            value = float(jax.jit(fast, static_argnums=2)(p, q, -1))
            if not threshold <= value < 0.2:
                continue
            seen += 1
            # The full sum returns this fast sum, computed in its own program: within the
            # rounding of the sum's order (an H100 put JS's 64 ulp off, of a sum of 40 terms).
            terms = jax.jit(lambda p, q: fast(p[:, None], q[:, None], -1))(p, q)
            assert abs(float(full(p, q, -1)) - value) <= _two_orders(np.asarray(terms))
            _assert_relatively_accurate(value, reference(p, q), dtype)
    assert seen >= 6


def test_fast_kl_sum_at_zero_masses() -> None:
    """Fast KL sum at zero masses."""
    # p = 0 < q: the term is q; q = 0 < p: +inf, returned by the fast sum itself; p = q = 0: NaN,
    # which sends the sum to the next kernel (the value there is 0).
    kl_fast = jax.jit(ls._kl_fast, static_argnums=2)
    for dtype in (np.float64, np.float32):
        p = np.array([0.0, 0.6, 0.4], dtype)
        q = np.array([0.5, 0.3, 0.2], dtype)
        value = float(kl_fast(p, q, -1))
        _assert_relatively_accurate(value, mp_kl(p, q), dtype)
        assert float(ls.kl_sum(p, q, -1)) == value
        assert float(kl_fast(q, p, -1)) == math.inf == float(ls.kl_sum(q, p, -1))
        shared = np.array([0.0, 0.5, 0.5], dtype), np.array([0.0, 0.25, 0.75], dtype)
        assert math.isnan(float(kl_fast(*shared, -1)))
        _assert_relatively_accurate(float(ls.kl_sum(*shared, -1)), mp_kl(*shared), dtype)


def test_exact_kernels_conventions() -> None:
    """Exact kernels conventions."""
    p = jnp.array([0.0, 0.0, 0.5, 0.5, 0.25])
    q = jnp.array([0.0, 0.5, 0.0, 0.5, 0.75])
    terms = np.asarray(tm.kl_accurate(p, q))
    assert terms[0] == 0.0 and terms[1] == 0.5 and terms[2] == math.inf and terms[3] == 0.0
    js = np.asarray(tm.js_accurate(p, q))
    np.testing.assert_allclose(
        js[:4], [0.0, 0.5 * math.log(2), 0.5 * math.log(2), 0.0], **tolerance("ulp_float64")
    )
    assert np.isfinite(js).all() and (js >= 0).all()


@given(st.floats(-0.75, 3.0).filter(lambda x: x == 0 or abs(x) >= TINY64))  # no subnormals
def test_accurate_log1p(x: float) -> None:
    """Accurate log1p."""
    import mpmath

    value = float(jax.jit(nm.accurate_log1p)(jnp.float64(x)))
    reference = float(mpmath.log1p(mpmath.mpf(x)))
    assert relative_error(value, reference) <= 2 * np.finfo(np.float64).eps or value == reference


@pytest.mark.slow
@given(st.one_of(dvt.near_identical_pairs(), dvt.pmf_pairs(relation="shared_zeros")))
def test_gradients_finite_near_equality_and_at_tiny_masses(pq) -> None:
    """Gradients finite near equality and at tiny masses."""
    p, q = pq
    for fn in (dv.kl, dv.js_divergence):
        gp, gq = jax.grad(fn, argnums=(0, 1))(p, q)
        assert np.isfinite(gp).all() and np.isfinite(gq).all()


@pytest.mark.slow
@given(st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3))
def test_kl_jvp_matches_finite_differences_in_every_direction(w) -> None:
    """KL JVP matches finite differences in every direction."""
    # The value is sum p log(p/q) - p + q off the simplex too, and the JVP is its derivative.
    p = jnp.asarray(w) / sum(w)
    q = jnp.asarray(w[::-1]) / sum(w)
    h = 1e-6
    gp, gq = jax.grad(lambda a, b: ls.kl_sum(a, b, -1), argnums=(0, 1))(p, q)
    for g, which in ((gp, 0), (gq, 1)):
        for i in range(3):
            e = jnp.zeros(3).at[i].set(h)
            plus = [p, q]
            minus = [p, q]
            plus[which] = plus[which] + e
            minus[which] = minus[which] - e
            fd = (float(ls.kl_sum(*plus, -1)) - float(ls.kl_sum(*minus, -1))) / (2 * h)
            np.testing.assert_allclose(float(g[i]), fd, **tolerance("gradient"))


# In the slow tier, with tests/testing/test_gradual_underflow.py's
# test_mutual_information_of_subnormal_masses_as_on_the_cpu (the same joint, its gradient finite).
@pytest.mark.slow
def test_mutual_information_gradient_finite_at_a_1e_200_entry() -> None:
    """Mutual information gradient finite at a 1e-200 entry."""
    joint = jnp.array([[1e-200, 0.3], [0.2, 0.5 - 1e-200]])
    g = jax.grad(dv.mutual_information)(joint)
    assert np.isfinite(g).all()
    g = jax.grad(dv.mutual_information)(jnp.array([[1e-200, 0.0], [0.0, 1.0]]))
    assert np.isfinite(g).all()


def _max_u(p: np.ndarray, q: np.ndarray) -> float:
    s = p.astype(np.float64) + q
    return float(np.max(np.abs(p.astype(np.float64) - q) / np.where(s > 0, s, 1.0)))


# Compiled as in the kernels (XLA may contract a multiply-add there, not in eager mode).
KL_NEAR = jax.jit(ls._kl_near_sum, static_argnums=2)
JS_NEAR = jax.jit(ls._js_near_sum, static_argnums=2)


@pytest.mark.slow
@given(
    st.one_of(
        dvt.near_identical_pairs(),
        dvt.near_identical_pairs(dtype=np.float32),
        dvt.pmf_pairs(relation="near_identical"),
        dvt.pmf_pairs(relation="near_identical", dtype=np.float32),
    )
)
def test_near_identical_inputs_take_the_short_series(pq) -> None:
    """Near identical inputs take the short series."""
    # Below the fast paths' thresholds, where every |u| < NEAR_U, KL and twice JS are the short
    # series (no logarithm, a third of the exact kernel's work), to the ulp against mpmath; where
    # some |u| is not, the series' certificate fails (a sum of 1 or more) and the exact kernel
    # runs.
    p, q = pq
    near = _max_u(p, q) < ls.NEAR_U
    kl_near = float(KL_NEAR(p, q, -1))
    js_near = float(JS_NEAR(p, q, -1))
    if not near:
        assert kl_near >= 1 and js_near >= 1
        return
    _assert_relatively_accurate(kl_near, mp_kl(p, q), p.dtype)
    _assert_relatively_accurate(js_near, 2 * mp_js(p, q), p.dtype)
    if float(ls._kl_fast(jnp.asarray(p), jnp.asarray(q), -1)) < ls.KL_FAST_THRESHOLD:
        assert float(ls.kl_sum(p, q, -1)) == kl_near
    if float(ls._js_fast(jnp.asarray(p), jnp.asarray(q), -1)) < ls.JS_FAST_THRESHOLD:
        assert float(ls.js_sum(p, q, -1)) == js_near


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_short_series_at_the_edge_of_their_range(dtype) -> None:
    """Short series at the edge of their range."""
    # |u| just below and just above NEAR_U: the series to the ulp below, the exact kernel above.
    for factor in (0.5, 0.99, 0.999, 1.001, 1.5):
        u = factor * ls.NEAR_U
        p = np.array([0.25 * (1 + u), 0.25 * (1 - u), 0.5], dtype)
        q = np.array([0.25 * (1 - u), 0.25 * (1 + u), 0.5], dtype)
        _assert_relatively_accurate(float(dv.kl(p, q)), mp_kl(p, q), dtype)
        _assert_relatively_accurate(float(dv.js_divergence(p, q)), mp_js(p, q), dtype)


# --- the reduction builder, the one log-ratio kernel, the subgradient |x| ----------------------


def _toy_sum():
    """``sum(a * b)`` by the builder, with stages whose choice shows in the value.

    A fast stage refusing sums above 1, an exact stage that is the same sum plus 10, and a finish
    that caps at 5.
    """

    def fast(a, b, axis):
        return jnp.sum(a * b, axis=axis)

    def exact(a, b, axis):
        return jnp.sum(a * b, axis=axis) + 10

    return nm.certified_sum(
        arity=2,
        fast=[(fast, lambda v: v <= 1)],
        exact=exact,
        coefficients=lambda a, b: (b, a),
        finish=lambda v, a, b, axis: jnp.minimum(v, 5.0),
        name="toy",
        doc="A toy reduction.",
    )


def test_certified_sum_takes_the_next_stage_per_row_and_differentiates_the_coefficients() -> None:
    """Certified sum takes the next stage per row and differentiates the coefficients."""
    toy = _toy_sum()
    a = jnp.array([[0.5, 0.25], [1.0, 1.0], [0.1, 0.1]])
    b = jnp.array([1.0, 2.0])  # broadcast against a
    out = np.asarray(toy(a, b, -1))
    # Rows 0 and 2 accepted by the fast stage; row 1 (sum 3) refused, 3 + 10 capped at 5.
    np.testing.assert_array_equal(out, [1.0, 5.0, 0.30000000000000004])
    # A row alone gives the bits it has in the batch.
    assert float(toy(a[2], b, -1)) == out[2]
    # The derivative is sum(da * b + db * a) whatever the stage and the finish did.
    _, tangent = jax.jvp(lambda x, y: toy(x, y, -1), (a, b), (jnp.ones_like(a), jnp.zeros_like(b)))
    np.testing.assert_array_equal(np.asarray(tangent), [3.0, 3.0, 3.0])
    assert toy.__name__ == "toy" and toy.__doc__ == "A toy reduction."


def test_certified_sum_without_fast_stages_is_the_exact_kernel() -> None:
    """Certified sum without fast stages is the exact kernel."""
    h = nm.certified_sum(
        arity=1,
        exact=lambda a, axis: jnp.sum(a, axis=axis),
        coefficients=lambda a: (2 * a,),
        name="h",
        doc="",
    )
    a = jnp.array([1.0, 2.0])
    assert float(h(a, 0)) == 3.0
    np.testing.assert_array_equal(np.asarray(jax.grad(lambda a: h(a, 0))(a)), [2.0, 4.0])


@pytest.mark.slow
def test_xlog_ratio_elementwise_conventions_and_gradient() -> None:
    """xlog_ratio elementwise: its conventions and its gradient."""
    tiny = float(np.finfo(np.float64).tiny)
    x = jnp.array([0.5, 0.5, 0.0, 0.0, 1e-300])
    y = jnp.array([0.0, 0.25, 0.0, 0.3, 1e-300])
    z = jnp.array([0.5, 0.5, 0.0, 0.6, 1.0])
    out = np.asarray(nm.xlog_ratio(x, y, z))
    assert out[0] == -math.inf  # x > 0 = y
    np.testing.assert_allclose(out[1], 0.5 * math.log(0.5), rtol=1e-15)
    np.testing.assert_array_equal(out[2:4], 0.0)
    np.testing.assert_allclose(out[4], 1e-300 * math.log(1e-300), rtol=1e-14)
    gx, gy, gz = jax.grad(lambda *a: jnp.sum(nm.xlog_ratio(*a)[1:]), argnums=(0, 1, 2))(x, y, z)
    # d/dx is log(y/z) off the support of x where y, z > 0 and 0 where y = z = 0; d/dy = x/y,
    # d/dz = -x/z, 0 off the support.
    np.testing.assert_allclose(
        gx[1:], [math.log(0.5), 0.0, math.log(0.5), math.log(1e-300)], rtol=1e-14
    )
    np.testing.assert_allclose(gy[1:], [2.0, 0.0, 0.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(gz[1:], [-1.0, 0.0, 0.0, -1e-300], rtol=1e-15)
    # A quotient below the normal range is held at the smallest normal number, where y > 0.
    held = float(nm.xlog_ratio(jnp.array(1.0), jnp.array(1e-300), jnp.array(1e10)))
    assert held == math.log(tiny)


def test_abs_subgradient() -> None:
    """Abs subgradient."""
    x = jnp.array([-2.0, -0.0, 0.0, 3.0])
    np.testing.assert_array_equal(np.asarray(nm.abs_subgradient(x)), np.abs(np.asarray(x)))
    np.testing.assert_array_equal(
        np.asarray(jax.grad(lambda x: jnp.sum(nm.abs_subgradient(x)))(x)), [-1.0, 0.0, 0.0, 1.0]
    )
