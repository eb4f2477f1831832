"""The divergences' pointwise terms: one definition, its derived forms, and the generators' routes.

Each term's definition (from the log-densities, on JAX arrays and on ball arithmetic), its
quadrature form and its form on the masses give the same summand; each generator of the table is
routed to the term its D_f sums, and every term has a closed form on both continuous paths.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

import divergences as dv
from divergences._src import f_generators, terms
from divergences._src.log_sums import gan_sum, js_sum, kl_sum
from divergences.continuous import fast
from divergences.continuous._src import f_enclosure
from divergences.testing import tolerance

TERMS = [
    terms.KL,
    terms.PEARSON,
    terms.SQUARED_HELLINGER,
    terms.JENSEN_SHANNON,
    terms.TOTAL_VARIATION,
]
IDS = [t.name for t in TERMS]

# Masses on both sides of p = q, near it and far from it (ratios from 1e-3 to 1e3).
P = np.array([0.2, 0.5, 0.3, 1e-3, 0.7, 0.25, 0.999])
Q = np.array([0.4, 0.5, 0.31, 0.9, 1e-3, 0.24, 0.001])


def _exact(term: terms.Term, p: float, q: float) -> float:
    """The summand in plain Python floats, from the formula as written."""
    return {
        "KL": p * math.log(p / q) - p + q,
        "Pearson chi^2": (p - q) ** 2 / q,
        "squared Hellinger": (math.sqrt(p) - math.sqrt(q)) ** 2,
        "Jensen-Shannon": p * math.log(2 * p / (p + q)) + q * math.log(2 * q / (p + q)),
        "total variation": abs(p - q) / 2,
    }[term.name]


@pytest.mark.parametrize("term", TERMS, ids=IDS)
def test_the_forms_of_a_term_agree_with_its_formula(term: terms.Term) -> None:
    """Definition on JAX arrays, quadrature form and masses form: one summand, the formula's."""

    @jax.jit
    def forms(p: jax.Array, q: jax.Array) -> tuple[jax.Array, ...]:
        lp, lq = jnp.log(p), jnp.log(q)
        return term.on_logs(lp, lq, terms.JAX_OPS), term.integrand(lp, lq), term.masses(p, q)

    want = np.array([_exact(term, a, b) for a, b in zip(P, Q, strict=True)])
    for got in forms(jnp.asarray(P), jnp.asarray(Q)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("term", TERMS, ids=IDS)
def test_the_definition_on_balls_encloses_the_formula(term: terms.Term) -> None:
    """The same definition on python-flint balls contains the exact summand."""
    flint = pytest.importorskip("flint")
    ops = terms.ball_ops(flint.arb(2).log(), False)
    for a, b in zip(P, Q, strict=True):
        lp, lq = flint.acb(flint.arb(a).log()), flint.acb(flint.arb(b).log())
        ball = term.on_logs(lp, lq, ops)
        # a and b are exact floats: the summand at them in 200 bits lies in the ball.
        ctx = flint.ctx
        prec, ctx.prec = ctx.prec, 200
        try:
            tight = term.on_logs(flint.acb(flint.arb(a).log()), flint.acb(flint.arb(b).log()), ops)
        finally:
            ctx.prec = prec
        assert ball.real.overlaps(tight.real), (term.name, a, b)
        assert abs(float(ball.real.mid()) - _exact(term, a, b)) <= 1e-12 * (1 + _exact(term, a, b))


@pytest.mark.parametrize("term", TERMS, ids=IDS)
def test_zero_mass_conventions(term: terms.Term) -> None:
    """0 where both vanish; q's limit where p = 0; p times the slope where q = 0 < p."""
    slope = {"KL": math.inf, "Pearson chi^2": math.inf, "squared Hellinger": 1.0,
             "Jensen-Shannon": math.log(2), "total variation": 0.5}[term.name]  # fmt: skip
    at_zero_p = {"KL": 1.0, "Pearson chi^2": 1.0, "squared Hellinger": 1.0,
                 "Jensen-Shannon": math.log(2), "total variation": 0.5}[term.name]  # fmt: skip

    @jax.jit
    def forms(p: jax.Array, q: jax.Array) -> tuple[jax.Array, ...]:
        grads = jax.grad(lambda a: jnp.sum(term.masses(a, q)))(p)
        return term.masses(p, q), term.integrand(jnp.log(p), jnp.log(q)), grads

    masses, logs, grads = forms(jnp.array([0.0, 0.0, 0.5]), jnp.array([0.0, 0.5, 0.0]))
    for got in (np.asarray(masses), np.asarray(logs)):
        assert got[0] == 0.0
        np.testing.assert_allclose(got[1], 0.5 * at_zero_p, rtol=1e-15)
        np.testing.assert_allclose(got[2], 0.5 * slope, rtol=1e-15)
    assert np.isfinite(np.asarray(grads)[:2]).all()


def test_squared_hellinger_masses_near_p_equal_q_and_their_derivative() -> None:
    """Relatively accurate near p = q; the derivative of (safe_sqrt(p) - safe_sqrt(q))^2."""
    # Both ways near p = q, p = q, zero masses, and masses near the smallest normal number (whose
    # differences are normal, so that XLA's flush and a GPU's gradual underflow agree).
    tiny, d = float(np.finfo(np.float64).tiny), 2.0**-30
    p = np.array([0.3 + d, 0.3, 0.25, 0.0, 0.0, 0.5, 3 * tiny, tiny])
    q = np.array([0.3, 0.3 + d, 0.25, 0.0, 0.5, 0.0, tiny, 3 * tiny])
    term = terms.SQUARED_HELLINGER.masses
    value = np.asarray(jax.jit(term)(p, q))
    grads = jax.jit(jax.grad(lambda a, b: jnp.sum(term(a, b)), argnums=(0, 1)))(p, q)
    with mpmath.workprec(200):
        roots = [(mpmath.sqrt(a), mpmath.sqrt(b)) for a, b in zip(p, q, strict=True)]
        exact = [float((a - b) ** 2) for a, b in roots]
        # 1 - sqrt(q/p) where p > 0, 0 where p = 0 (its root held at 0); likewise in q.
        dp = [float((a - b) / a) if a else 0.0 for a, b in roots]
        dq = [float((b - a) / b) if b else 0.0 for a, b in roots]
    normal = np.array(exact) >= tiny  # the last two terms, 0.54 tiny, are below the normal range
    rtol = tolerance("ulp_float64")["rtol"]
    np.testing.assert_allclose(value[normal], np.array(exact)[normal], rtol=rtol, atol=0)
    np.testing.assert_array_equal(value[2:4], 0.0)
    np.testing.assert_allclose(np.asarray(grads[0]), dp, **tolerance("float64"))
    np.testing.assert_allclose(np.asarray(grads[1]), dq, **tolerance("float64"))


def test_each_generator_of_the_table_is_routed_to_its_term() -> None:
    """The routes of the table: the generator's summand is its route's term, swapped or not."""
    g = dv.generators
    # The terms with a certified sum (the kernels of dv.kl and dv.js_divergence) are summed by it;
    # the GAN's D_f on masses is its uncentred sum (the value at D*: -log 4 + 2 JS cancels).
    want = {
        g.KL: (terms.KL, False, 0.0, kl_sum, None),
        g.REVERSE_KL: (terms.KL, True, 0.0, kl_sum, None),
        g.PEARSON: (terms.PEARSON, False, 0.0, None, None),
        g.NEYMAN: (terms.PEARSON, True, 0.0, None, None),
        g.SQUARED_HELLINGER: (terms.SQUARED_HELLINGER, False, 0.0, None, None),
        g.JENSEN_SHANNON: (terms.JENSEN_SHANNON, False, 0.0, js_sum, None),
        g.GAN: (terms.JENSEN_SHANNON, False, -math.log(4), js_sum, gan_sum),
        g.TOTAL_VARIATION: (terms.TOTAL_VARIATION, False, 0.0, None, None),
    }
    assert set(want) == set(g.GENERATORS.values())

    @jax.jit
    def values(p: jax.Array, q: jax.Array) -> list[tuple[jax.Array, ...]]:
        # f(1), the generator's summand, and its route's term evaluated as the route says.
        return [
            (gen.f(jnp.ones(())), gen.term(p, q), term.masses(*((q, p) if swap else (p, q))))
            for gen, (term, swap, *_) in want.items()
        ]

    for gen, (f1, summand, by_route) in zip(
        want, values(jnp.asarray(P), jnp.asarray(Q)), strict=True
    ):
        assert f_generators.routed(gen) == want[gen], gen.name
        assert float(f1) == pytest.approx(want[gen][2], abs=1e-12)
        np.testing.assert_array_equal(np.asarray(summand), np.asarray(by_route))


def test_a_generator_of_your_own_has_no_route() -> None:
    """A copy of a table entry, or a record built by hand with a route, is not routed."""
    kl = dv.generators.KL
    assert f_generators.routed(kl._replace(name="my KL")) is None
    assert f_generators.routed(kl._replace(f=lambda u: 2 * kl.f(u))) is None
    assert f_generators.routed(lambda u: u * jnp.log(u)) is None
    assert f_generators.routed(dv.FGenerator(*kl)) is None  # equal, but not the table's record


def test_every_term_has_a_closed_form_on_both_continuous_paths() -> None:
    """A term added without its integral on one path would leave its generators unrouted."""
    names = {t.name for t in TERMS}
    assert set(fast._TERM_SUMS) == names
    assert set(f_enclosure.TERM_SUMS) == names


@pytest.mark.parametrize("gen", list(dv.generators.GENERATORS.values()), ids=lambda g: g.name)
def test_a_route_sums_its_term(gen: dv.FGenerator) -> None:
    """f_divergence of a routed generator is its shift plus the sum of its route's term."""
    p, q = jnp.asarray([0.5, 0.3, 0.2]), jnp.asarray([0.2, 0.2, 0.6])
    route = f_generators.routed(gen)
    assert route is not None
    want = route.shift + float(jax.jit(lambda a, b: jnp.sum(route.masses(a, b)))(p, q))
    np.testing.assert_allclose(float(dv.f_divergence(p, q, gen)), want, **tolerance("ulp_float64"))
