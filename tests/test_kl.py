"""Kullback-Leibler divergence: closed forms, SciPy, properties, gradients."""

from __future__ import annotations

import math
import pathlib
import re

import jax
import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given

import divergences as dv
from divergences import testing as dvt
from divergences.testing import tolerance
from tests.helpers import P_IN, P_ZERO, Q_IN, Q_ZERO

kl_jit = jax.jit(dv.kl)
kl_bits_jit = jax.jit(lambda p, q: dv.kl(p, q, base=2))
SIZES = [2, 5]
ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_closed_form_fair_vs_biased_coin() -> None:
    # 1/2 log(1/2 / 0.9) + 1/2 log(1/2 / 0.1) = 1/2 log(25/9)
    np.testing.assert_allclose(
        float(dv.kl([0.5, 0.5], [0.9, 0.1])), 0.5108256237659907, **tolerance("float64")
    )
    np.testing.assert_allclose(
        float(dv.kl([0.5, 0.5], [0.9, 0.1])), 0.5 * math.log(25 / 9), **tolerance("float64")
    )
    np.testing.assert_allclose(
        float(dv.kl([0.5, 0.5], [0.9, 0.1], base=2)),
        0.5108256237659907 / math.log(2),
        **tolerance("float64"),
    )


@pytest.mark.slow
@pytest.mark.parametrize("fn", [dv.kl, kl_jit, jax.vmap(dv.kl)], ids=["plain", "jit", "vmap"])
def test_infinite_where_q_is_zero_and_p_is_not(fn) -> None:
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    q = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    out = np.asarray(fn(p, q))
    assert out[0] == math.inf  # exactly inf: not NaN, not a large finite number
    assert out[1] == 0.0


# In the slow tier: test_numerics.py's test_fast_kl_sum_at_zero_masses keeps p = 0 < q and
# p = q = 0 quick, and test_agrees_with_scipy below draws zero masses.
@pytest.mark.slow
def test_zero_mass_in_p_contributes_nothing() -> None:
    # 0 log(0 / q) = 0, also for q = 0.
    np.testing.assert_allclose(
        float(dv.kl([0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.5, 0.0])),
        math.log(2),
        **tolerance("float64"),
    )


def test_not_symmetric() -> None:
    p, q = [0.5, 0.5], [0.9, 0.1]
    assert abs(float(dv.kl(p, q)) - float(dv.kl(q, p))) > 0.1
    np.testing.assert_allclose(
        float(dv.kl(q, p)), 0.9 * math.log(1.8) + 0.1 * math.log(0.2), **tolerance("float64")
    )


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES))
def test_agrees_with_scipy(pq) -> None:
    # scipy.stats.entropy(p, q) is KL(p || q) in nats, and scipy.special.rel_entr is the
    # elementwise term with the same conventions: rel_entr(0, y) = 0 for y >= 0 and
    # rel_entr(x > 0, 0) = inf. scipy.stats.entropy renormalises its inputs silently; these are
    # already normalised, so the difference does not show here (see test_validation).
    p, q = pq
    ours = float(kl_jit(p, q))
    np.testing.assert_allclose(ours, scipy.stats.entropy(p, q), **tolerance("float64"))
    np.testing.assert_allclose(ours, scipy.special.rel_entr(p, q).sum(), **tolerance("float64"))
    np.testing.assert_allclose(
        float(kl_bits_jit(p, q)), scipy.stats.entropy(p, q, base=2), **tolerance("float64")
    )


def test_scipy_renormalises_where_we_refuse() -> None:
    p, q = np.array([1.0, 1.0]), np.array([1.0, 3.0])
    # scipy divides by the sums and returns KL([1/2, 1/2] || [1/4, 3/4]) ...
    np.testing.assert_allclose(
        scipy.stats.entropy(p, q), float(dv.kl(p / 2, q / 4)), **tolerance("float64")
    )
    # ... where divergences raises.
    with pytest.raises(ValueError, match="p does not sum to 1"):
        dv.kl(p, q)


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_pairs(SIZES))
def test_nonnegative_and_zero_only_at_equality(pq) -> None:
    p, q = pq
    value = float(kl_jit(p, q))
    assert value >= 0
    assert float(kl_jit(p, p)) == 0.0
    assert float(kl_jit(q, q)) == 0.0
    # Pinsker: KL >= 2 TV^2, so pmfs that differ visibly have KL > 0.
    if float(dv.total_variation(p, q)) > 1e-6:
        assert value > 0


@given(dvt.pmf_pairs(SIZES, relation="disjoint"))
def test_disjoint_supports_give_inf(pq) -> None:
    p, q = pq
    assert float(kl_jit(p, q)) == math.inf
    assert float(kl_jit(q, p)) == math.inf


# In the slow tier: test_closed_form_fair_vs_biased_coin (base 2) and test_numerics.py's
# test_log_of_base keep it quick; test_agrees_with_scipy checks base 2 on drawn pairs.
@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES))
def test_base_conversion(pq) -> None:
    p, q = pq
    nats = float(kl_jit(p, q))
    np.testing.assert_allclose(float(kl_bits_jit(p, q)), nats / math.log(2), **tolerance("float64"))
    np.testing.assert_allclose(float(dv.kl(p, q, base=math.e)), nats, **tolerance("float64"))
    np.testing.assert_allclose(
        float(dv.kl(p, q, base=10)), nats / math.log(10), **tolerance("float64")
    )


def test_base_can_be_an_array() -> None:
    p, q = [0.5, 0.5], [0.9, 0.1]
    np.testing.assert_allclose(
        float(dv.kl(p, q, base=np.float32(2.0))), float(dv.kl(p, q, base=2)), **tolerance("float64")
    )
    traced = jax.jit(lambda b: dv.kl(p, q, base=b))(2.0)
    np.testing.assert_allclose(float(traced), float(dv.kl(p, q, base=2)), **tolerance("float64"))


def test_gradient_inside_the_simplex() -> None:
    # The value is sum p log(p/q) - p + q, whose gradient is log(p/q) in p and 1 - p/q in q: the
    # textbook log(p/q) + 1 and -p/q shifted by constant vectors, the same along the simplex.
    gp, gq = jax.grad(dv.kl, argnums=(0, 1))(P_IN, Q_IN)
    np.testing.assert_allclose(gp, np.log(P_IN / Q_IN), **tolerance("float64"))
    np.testing.assert_allclose(gq, 1 - P_IN / Q_IN, **tolerance("float64"))
    tangent = np.array([1.0, -1.0, 0.0, 0.0, 0.0])  # sums to 0: a direction inside the simplex
    textbook = (np.log(P_IN / Q_IN) + 1) @ tangent
    np.testing.assert_allclose(np.asarray(gp) @ tangent, textbook, **tolerance("float64"))


def test_the_gradient_the_conventions_page_states_is_jax_grad() -> None:
    # docs/conventions.md states the derivatives in p_i and q_i as formulas: read back as NumPy,
    # they must be what jax.grad gives.
    page = " ".join((ROOT / "docs" / "conventions.md").read_text().split())
    stated = dict(re.findall(r"derivative in \$([pq])_i\$ is \$([^$]+)\$", page))
    assert set(stated) == {"p", "q"}, stated
    gp, gq = jax.grad(dv.kl, argnums=(0, 1))(P_IN, Q_IN)
    for var, grad in (("p", gp), ("q", gq)):
        numpy_formula = (
            stated[var].replace(r"\log", "np.log").replace("p_i", "p").replace("q_i", "q")
        )
        value = eval(numpy_formula, {"np": np, "p": P_IN, "q": Q_IN})
        np.testing.assert_allclose(grad, value, **tolerance("float64"), err_msg=stated[var])


def test_gradient_convention_at_zero_mass() -> None:
    # Where p = 0 the term is q: its derivative in q is 1, and in p the one-sided -inf is replaced
    # by 0, the derivative along the face of the simplex.
    gp, gq = jax.grad(dv.kl, argnums=(0, 1))(P_ZERO, Q_ZERO)
    zero = P_ZERO == 0
    np.testing.assert_array_equal(np.asarray(gp)[zero], 0.0)
    np.testing.assert_array_equal(np.asarray(gq)[zero], 1.0)
    on = ~zero
    np.testing.assert_allclose(
        np.asarray(gp)[on], np.log(P_ZERO[on] / Q_ZERO[on]), **tolerance("float64")
    )
    np.testing.assert_allclose(
        np.asarray(gq)[on], 1 - P_ZERO[on] / Q_ZERO[on], **tolerance("float64")
    )


# In the slow tier, with test_numerics.py's test_gradients_finite_near_equality_and_at_tiny_masses
# (KL's gradient finite on drawn shared zeros).
@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES, relation="shared_zeros"))
def test_gradient_finite_on_drawn_shared_zeros(pq) -> None:
    p, q = pq
    gp, gq = kl_grad(p, q)
    assert np.isfinite(gp).all() and np.isfinite(gq).all()


kl_grad = jax.jit(jax.grad(dv.kl, argnums=(0, 1)))


@pytest.mark.slow
@given(dvt.pmf_pairs(SIZES, dtype=np.float32))
def test_float32_agrees_with_float64(pq) -> None:
    p, q = pq
    out = kl_jit(p, q)
    assert out.dtype == np.float32
    exact = float(kl_jit(p.astype(np.float64), q.astype(np.float64)))
    np.testing.assert_allclose(float(out), exact, **tolerance("float32"))


# In the slow tier: test_error_policy.py's test_checked_jit_raises_what_eager_raises[kl] and
# test_validation.py's test_checked_compiles_once_per_shape (checked vmap of kl) keep it quick.
@pytest.mark.slow
def test_checked_raises_under_jit_and_vmap() -> None:
    p = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="q does not sum to 1"):
        dv.checked(jax.jit(dv.kl))(p, np.array([0.9, 0.2]))
    with pytest.raises(ValueError, match="q has negative mass"):
        dv.checked(jax.vmap(dv.kl))(p[None], np.array([[1.1, -0.1]]))
