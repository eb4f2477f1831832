"""Documented ranges hold for every accepted input, totals at the edge of the tolerance included.

Masses whose totals are off 1 by up to the validation tolerance (``sqrt(eps)``: 1.5e-8 in float64,
3.5e-4 in float32) are used as they are. Without the range clamps, float32 total variation reached
1.00034.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt
from divergences._src.precision import sum_tolerance
from divergences.testing import tolerance
from tests.helpers import assert_leq

LOG2 = math.log(2)

#: name -> (function of (p, q), lower end, upper end) in the function's documented range.
RANGED = {
    "total_variation": (dv.total_variation, 0.0, 1.0),
    "hellinger": (dv.hellinger, 0.0, 1.0),
    "js_divergence": (dv.js_divergence, 0.0, LOG2),
    "js_distance": (dv.js_distance, 0.0, math.sqrt(LOG2)),
    "chi_square": (dv.chi_square, 0.0, math.inf),
    "gan_value_at_half": (
        lambda p, q: dv.gan_value(p, q, jnp.full(p.shape, 0.5, p.dtype)),
        -math.inf,
        0.0,
    ),
}
JITTED = {name: jax.jit(fn) for name, (fn, _, _) in RANGED.items()}


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(RANGED))
@given(data=st.data())
def test_range_holds_at_the_edge_of_the_sum_tolerance(name: str, dtype, data) -> None:
    """Range holds at the edge of the sum tolerance."""
    _, lo, hi = RANGED[name]
    p, q = data.draw(dvt.pmf_pairs([2, 5], dtype=dtype, edge_sums=True))
    value = JITTED[name](p, q)
    assert value.dtype == dtype
    assert np.asarray(lo, dtype) <= value <= np.asarray(hi, dtype), (value, p.sum(), q.sum())


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize(
    "dtype",
    [np.float64, np.float32],
    ids=["float64", "float32"],
)
def test_disjoint_masses_at_the_edge_reach_the_bound_and_stop(dtype) -> None:
    """Disjoint masses at the edge reach the bound and stop."""
    tol = sum_tolerance(dtype)
    big = np.asarray(1 + 0.9 * tol, dtype)
    p, q = np.array([big, 0.0], dtype), np.array([0.0, big], dtype)
    assert float(dv.total_variation(p, q)) == 1.0
    assert float(dv.hellinger(p, q)) == 1.0
    assert float(dv.js_divergence(p, q)) == float(np.asarray(LOG2, dtype))
    g = dv.generators
    assert float(dv.f_divergence(p, q, g.TOTAL_VARIATION)) == 1.0
    assert float(dv.f_divergence(p, q, g.GAN)) == 0.0
    # The unclamped sums would pass the bound by about the tolerance.
    assert 0.5 * float(np.abs(p.astype(np.float64) - q).sum()) > 1 + 0.5 * tol


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_identical_masses_off_one_give_zero_not_a_negative_divergence(dtype) -> None:
    """Identical masses off one give zero, not a negative divergence."""
    # p = q summing to 1 - 0.9 tol: every divergence is 0; KL's f-divergence form with its
    # centred summand p log(p/q) - p + q is 0 term by term. The GAN's is its value at D*, the
    # textbook sum q f(1) = -log 4 sum p, above f(1) here.
    p = (np.array([0.3, 0.7]) * (1 - 0.9 * sum_tolerance(dtype))).astype(dtype)
    for g in dv.generators.GENERATORS.values():
        f1 = -math.log(4) if g.name == "GAN" else 0.0
        expected = f1 * float(p.astype(np.float64).sum())
        np.testing.assert_allclose(float(dv.f_divergence(p, p, g)), expected, **tolerance(dtype))
        assert float(dv.f_divergence(p, p, g)) >= float(np.asarray(f1, dtype))


def test_optimal_discriminator_gradient_at_p_equal_q_tiny() -> None:
    """The optimal discriminator's gradient at p = q, tiny."""
    # D* = p / (p + q); dD/dp = q / (p + q)^2, which is 1 / (4 * 1e-200) = 2.5e199 here, a finite
    # float although (p + q)^2 underflows.
    p = np.array([1e-200, 1 - 1e-200])
    gp, gq = jax.grad(lambda p, q: dv.optimal_discriminator(p, q)[0], argnums=(0, 1))(p, p)
    np.testing.assert_allclose(np.asarray(gp), [2.5e199, 0.0], **tolerance("float64"))
    np.testing.assert_allclose(np.asarray(gq), [-2.5e199, 0.0], **tolerance("float64"))
    # Zero mass on both sides: D* = 1/2 with gradient 0.
    z = np.array([0.0, 1.0])
    gp, gq = jax.grad(lambda p, q: dv.optimal_discriminator(p, q)[0], argnums=(0, 1))(z, z)
    assert np.asarray(gp).tolist() == [0.0, 0.0] and np.asarray(gq).tolist() == [0.0, 0.0]


DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])


def _in_dtype(x: float, dtype) -> float:
    return float(np.asarray(x, dtype))


@pytest.mark.slow
@DTYPES
@given(p=st.data())
def test_entropy_lies_in_zero_to_log_n_at_the_edge(dtype, p) -> None:
    """Entropy lies in zero to log n at the edge."""
    p = p.draw(dvt.pmfs([1, 2, 5, 8], dtype=dtype, edge_sums=True))
    h = float(jax.jit(dv.entropy)(p))
    assert 0.0 <= h <= _in_dtype(math.log(p.size), dtype), (h, p.sum())
    assert float(dv.entropy(p)) == h


@pytest.mark.slow
@DTYPES
@given(pq=st.data())
def test_cross_entropy_is_at_least_the_entropy_at_the_edge(dtype, pq) -> None:
    """Cross entropy is at least the entropy at the edge."""
    p, q = pq.draw(dvt.pmf_pairs([2, 5], dtype=dtype, edge_sums=True))
    ce, h = float(dv.cross_entropy(p, q)), float(dv.entropy(p))
    assert ce >= h, (ce, h, p.sum(), q.sum())
    assert float(jax.jit(dv.cross_entropy)(p, q)) >= float(jax.jit(dv.entropy)(p))


@pytest.mark.slow
@DTYPES
@given(pq=st.data())
def test_kl_is_at_most_log_one_plus_chi_square_at_the_edge(dtype, pq) -> None:
    """KL is at most log one plus chi square at the edge."""
    p, q = pq.draw(dvt.pmf_pairs([2, 5], dtype=dtype, edge_sums=True))
    kl, chi = float(dv.kl(p, q)), float(dv.chi_square(p, q))
    # An inequality between two computed values, so up to the dtype's tolerance: at the equality
    # case p = (1, 0), q = (1/2, 1/2), float32's KL is log 2 rounded up, 2e-9 above the bound,
    # and float32's chi^2 carries its own rounding.
    assert_leq(kl, math.log1p(chi), np.dtype(dtype).name)


def test_kl_and_chi_square_at_the_equality_case_at_the_edge() -> None:
    """KL and chi square at the equality case at the edge."""
    # p is q restricted to a subset and renormalised: KL = log(1 + chi^2) exactly; a total of
    # 1 - 0.9 tol used to put KL above it by about 0.3 tol.
    tol = sum_tolerance(np.float64)
    p, q = np.array([1 - 0.9 * tol, 0.0]), np.array([0.5, 0.5])
    assert float(dv.kl(p, q)) <= math.log1p(float(dv.chi_square(p, q)))


@pytest.mark.slow
@DTYPES
@given(data=st.data())
def test_mutual_information_is_at_most_each_marginal_entropy_at_the_edge(dtype, data) -> None:
    """Mutual information is at most each marginal entropy at the edge."""
    flat = data.draw(dvt.pmfs([4, 6], dtype=dtype, edge_sums=True))
    joint = flat.reshape(2, -1)
    mi = float(dv.mutual_information(joint))
    h_c = float(dv.entropy(jnp.sum(jnp.asarray(joint), axis=1)))
    h_x = float(dv.entropy(jnp.sum(jnp.asarray(joint), axis=0)))
    # The bound of the docstring: the smaller entropy plus its rounding, (rows + columns + 32) eps
    # (1 + H), far below the t (1 + log n) by which an edge total moves the unbounded value;
    # the kernel adds the two in the dtype (two roundings).
    bound = min(h_c, h_x)
    allowance = (sum(joint.shape) + 32) * float(np.finfo(dtype).eps) * (1 + bound)
    limit = bound + allowance + 2 * float(np.spacing(np.asarray(bound + allowance, dtype)))
    assert 0.0 <= mi <= limit, (mi, h_c, h_x, flat.sum())
    assert float(dv.conditional_entropy(joint)) >= 0.0


@pytest.mark.slow
@DTYPES
@given(data=st.data())
def test_inception_score_lies_in_one_to_k_at_the_edge(dtype, data) -> None:
    """Inception score lies in one to k at the edge."""
    rows = data.draw(st.lists(dvt.pmfs(3, dtype=dtype, edge_sums=True), min_size=1, max_size=4))
    score = float(dv.inception_score(np.stack(rows)))
    assert 1.0 <= score <= 3.0, (score, [float(r.sum()) for r in rows])


@DTYPES
def test_inception_score_of_identical_rows_with_weights_at_the_edge_is_one(dtype) -> None:
    """Inception score of identical rows with weights at the edge is one."""
    # Weights summing to 1 + 0.9 tol make the exponent -(1 + d) log(1 + d) < 0: the score was
    # below 1.
    tol = sum_tolerance(dtype)
    c = np.array([[0.2, 0.8], [0.2, 0.8]], dtype)
    w = np.array([0.5, 0.5 + 0.9 * tol], dtype)
    assert float(dv.inception_score(c, w)) == 1.0
