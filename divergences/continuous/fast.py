r"""Divergences between continuous laws by Gauss-Kronrod quadrature, in JAX (jit, vmap, grad).

Every function integrates a pointwise expression of the two densities (or distribution
functions) over the line and returns ``Quadrature(value, error)``.

The rule (:mod:`divergences.continuous._src.quadrature`): the 7-point Gauss / 15-point Kronrod pair
on a fixed panel layout that follows the two laws, infinite tails mapped to finite ones. The value
is the Kronrod sum; the error is :math:`\sum_{\text{panels}} |K_{15} - G_7|` plus a bound on the
rounding of the sum: the embedded Gauss rule's error, far larger than the Kronrod rule's on smooth
integrands. It is an estimate that is a bound in practice (checked against the certified path of
:mod:`divergences.continuous.certified` on random laws), not a proof.

The layout has a fixed size for given law types, so ``jax.vmap`` over a parameter (a curve in
theta) and ``jax.grad`` in one go through it. Values that are infinite in real arithmetic are
decided from the laws, not from the quadrature (:mod:`divergences.continuous._src.infinite`): supports
nested the wrong way (a node where :math:`p > 0 = q`), and tails
(:math:`\mathrm{KL}(p \| q) = \infty` when ``q`` has Gaussian tails and ``p`` has no second
moment, e.g. a Cauchy ``p``); such a value is ``inf`` with error 0, never NaN.

Parameters of the laws must be scalars here: use ``jax.vmap`` for a batch of laws.

References:
  Kronrod, *Nodes and Weights of Quadrature Formulas*, Consultants Bureau 1965; Piessens,
  de Doncker-Kapenga, Uberhuber & Kahaner, *QUADPACK*, Springer 1983.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from divergences._src import terms
from divergences._src.domain import check_base
from divergences._src.f_generators import FGenerator, routed
from divergences._src.numerics import log_of_base
from divergences.continuous._src.infinite import (
    chi_edge_infinite,
    chi_tail_infinite,
    kl_tail_infinite,
    logistic_infinite,
    w1_tail_infinite,
)
from divergences.continuous._src.quadrature import Quadrature, check_law, integrate, with_infinite
from divergences.continuous.laws import Law

__all__ = [
    "LogisticDiscriminator",
    "Quadrature",
    "chi_square",
    "f_divergence",
    "gan_value",
    "hellinger",
    "js_divergence",
    "kl",
    "optimal_discriminator",
    "total_variation",
    "w1",
]


class LogisticDiscriminator(NamedTuple):
    r"""The discriminator :math:`D(x) = \sigma(w x + b) = 1 / (1 + e^{-(w x + b)})`.

    A pytree (``weight`` and ``bias`` are leaves) and a callable. :func:`gan_value` evaluates
    :math:`\log D` and :math:`\log(1 - D)` as :math:`-\mathrm{softplus}(\mp(wx + b))`, exactly
    where :math:`D` rounds to 0 or 1.

    Attributes:
      weight: :math:`w`.
      bias: :math:`b`.
    """

    weight: Any
    bias: Any

    def __call__(self, x: Any) -> jax.Array:
        """:math:`D(x)`, elementwise."""
        return jax.nn.sigmoid(self.weight * jnp.asarray(x) + self.bias)

    def log_d(self, x: Any) -> jax.Array:
        r""":math:`\log D(x)`."""
        return -jax.nn.softplus(-(self.weight * jnp.asarray(x) + self.bias))

    def log1m_d(self, x: Any) -> jax.Array:
        r""":math:`\log(1 - D(x))`."""
        return -jax.nn.softplus(self.weight * jnp.asarray(x) + self.bias)


# --- the quantities -------------------------------------------------------------------------


def _pointwise(p: Law, q: Law, term: Callable[[jax.Array, jax.Array], jax.Array]) -> Quadrature:
    return integrate(p, q, lambda x: term(p.log_prob(x), q.log_prob(x)))


# One compiled program per pair of law structures (types, mixture sizes), reused across calls;
# inside a user's jit or vmap they inline.
@jax.jit
def _kl_kernel(p: Law, q: Law) -> Quadrature:
    return with_infinite(_pointwise(p, q, terms.KL.integrand), kl_tail_infinite(p, q))


@jax.jit
def _js_kernel(p: Law, q: Law) -> Quadrature:
    # Jensen-Shannon's term sums to twice the divergence.
    return _pointwise(p, q, lambda lp, lq: 0.5 * terms.JENSEN_SHANNON.integrand(lp, lq))


@jax.jit
def _tv_kernel(p: Law, q: Law) -> Quadrature:
    # |p - q| has a kink where the densities cross: the panels are cut there (at the sign
    # changes of log p - log q, which has the same signs and does not underflow in the tails).
    ps, qs = jax.lax.stop_gradient((p, q))  # where a panel is cut carries no derivative

    def kink(x: jax.Array) -> jax.Array:
        return ps.log_prob(x) - qs.log_prob(x)

    return integrate(
        p, q, lambda x: terms.TOTAL_VARIATION.integrand(p.log_prob(x), q.log_prob(x)), kink
    )


@jax.jit
def _sqh_kernel(p: Law, q: Law) -> Quadrature:
    # The squared Hellinger term sums to twice the squared distance.
    return _pointwise(p, q, lambda lp, lq: 0.5 * terms.SQUARED_HELLINGER.integrand(lp, lq))


@jax.jit
def _chi_kernel(p: Law, q: Law) -> Quadrature:
    r = _pointwise(p, q, terms.PEARSON.integrand)
    return with_infinite(r, chi_tail_infinite(p, q) | chi_edge_infinite(p, q))


def _scale_by_base(r: Quadrature, base: Any, dtype: Any = float) -> Quadrature:
    check_base(base)
    lb = log_of_base(base, dtype)
    return Quadrature(r.value / lb, r.error / jnp.abs(lb))


def kl(p: Law, q: Law, *, base: Any = None) -> Quadrature:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p \| q) = \int p \log(p/q)\,dx`, by quadrature.

    Integrated in the centred form :math:`p\log(p/q) - p + q \ge 0` (same integral), from the
    log-densities, so that no ratio overflows. ``inf`` where :math:`p > 0 = q` on a set of
    positive length, or where a tail makes it infinite (``q`` Gaussian and ``p`` without second
    moment; ``q`` exponential and ``p`` without first moment).

    Args:
      p: the first law.
      q: the second law.
      base: logarithm base; ``None`` for nats.

    Returns:
      ``Quadrature(value, error)``.

    Example:
      >>> from divergences import continuous as dvc
      >>> r = dvc.kl(dvc.Normal(0.0, 1.0), dvc.Normal(0.0, 2.0))
      >>> round(float(r.value), 8)  # log 2 + 1/8 - 1/2
      0.31814718
    """
    check_law(p, "p")
    check_law(q, "q")
    return _scale_by_base(_kl_kernel(p, q), base)


def js_divergence(p: Law, q: Law, *, base: Any = None) -> Quadrature:
    r"""Jensen-Shannon divergence :math:`\tfrac12 \mathrm{KL}(p \| m) + \tfrac12 \mathrm{KL}(q \| m)`, :math:`m = (p + q)/2`.

    Always finite, in :math:`[0, \log 2]`.

    Args:
      p: the first law.
      q: the second law.
      base: logarithm base; ``None`` for nats, 2 for bits.

    Returns:
      ``Quadrature(value, error)``.

    Example:
      >>> from divergences import continuous as dvc
      >>> r = dvc.js_divergence(dvc.Uniform(0.0, 1.0), dvc.Uniform(2.0, 3.0), base=2)
      >>> round(float(r.value), 12)
      1.0
    """
    check_law(p, "p")
    check_law(q, "q")
    return _scale_by_base(_js_kernel(p, q), base)


def total_variation(p: Law, q: Law) -> Quadrature:
    r"""Total variation :math:`\tfrac12 \int |p - q|\,dx`, in :math:`[0, 1]`.

    ``|p - q|`` has a kink where the densities cross: the panels are cut at the sign changes of
    :math:`\log p - \log q` (found on each panel's nodes, then by bisection), so that the
    quadrature converges on each smooth piece. The error is the estimate of the other
    quantities (the Gauss-Kronrod difference and the rounding); a kink left inside a panel (a
    third crossing between two of its nodes) shows in it.

    Args:
      p: the first law.
      q: the second law.

    Returns:
      ``Quadrature(value, error)``.
    """
    check_law(p, "p")
    check_law(q, "q")
    return _tv_kernel(p, q)


def _squared_hellinger(p: Law, q: Law) -> Quadrature:
    return _sqh_kernel(p, q)


def hellinger(p: Law, q: Law) -> Quadrature:
    r"""Hellinger distance :math:`H = \big(\tfrac12 \int (\sqrt p - \sqrt q)^2 dx\big)^{1/2}`, in :math:`[0, 1]`.

    The convention of :func:`divergences.hellinger`: :math:`H^2 = 1 - \int \sqrt{pq}`. The error
    of :math:`H^2` is carried through the square root as
    :math:`\sqrt{H^2 + e} - \sqrt{\max(H^2 - e, 0)}` at most.

    Args:
      p: the first law.
      q: the second law.

    Returns:
      ``Quadrature(value, error)``.
    """
    check_law(p, "p")
    check_law(q, "q")
    sq = _squared_hellinger(p, q)
    v = jnp.clip(sq.value, 0.0, 1.0)
    root = jnp.sqrt(jnp.where(v > 0, v, 1.0))
    value = jnp.where(v > 0, root, 0.0)
    hi = jnp.sqrt(v + sq.error)
    lo = jnp.sqrt(jnp.maximum(v - sq.error, 0.0))
    return Quadrature(value, jnp.maximum(hi - value, value - lo))


def chi_square(p: Law, q: Law) -> Quadrature:
    r"""Pearson's :math:`\chi^2(p, q) = \int (p - q)^2 / q\,dx`.

    ``inf`` where :math:`p > 0 = q`, where :math:`p^2/q` is not integrable in a tail (e.g. two
    normals with :math:`\sigma_p^2 \ge 2\sigma_q^2`, heavier tails in ``p`` than in ``q``) or at
    a support end (a beta density :math:`\sim t^{a-1}` with :math:`2(a_p - 1) - (a_q - 1) \le -1`).

    Args:
      p: the first law.
      q: the second law.

    Returns:
      ``Quadrature(value, error)``.
    """
    check_law(p, "p")
    check_law(q, "q")
    return _chi_kernel(p, q)


def _times(r: Quadrature, a: float, b: float = 0.0) -> Quadrature:
    return Quadrature(a * r.value + b, abs(a) * r.error)


#: The integral of each term of :mod:`divergences._src.terms`, by the term's name: what a
#: generator's route (:class:`divergences._src.f_generators.Route`) is computed by, with the
#: infinite values each function decides.
_TERM_SUMS: dict[str, Callable[[Law, Law], Quadrature]] = {
    terms.KL.name: kl,
    terms.PEARSON.name: chi_square,
    terms.SQUARED_HELLINGER.name: lambda p, q: _times(_squared_hellinger(p, q), 2.0),
    terms.JENSEN_SHANNON.name: lambda p, q: _times(js_divergence(p, q), 2.0),
    terms.TOTAL_VARIATION.name: total_variation,
}


def _routed_kernel(p: Law, q: Law, f: FGenerator) -> Quadrature | None:
    """``D_f`` by the integral of the generator's term, for the table's generators; else None."""
    route = routed(f)
    if route is None:
        return None
    a, b = (q, p) if route.swapped else (p, q)
    r = _TERM_SUMS[route.term.name](a, b)
    return Quadrature(r.value + route.shift, r.error) if route.shift else r


def f_divergence(p: Law, q: Law, f: Any, *, base: Any = None) -> Quadrature:
    r"""The f-divergence :math:`D_f(p \| q) = \int q\, f(p/q)\,dx` for a generator of the library.

    A generator of :mod:`divergences.generators` is computed by its route, the integral of its
    term by the matching function of this module (``KL`` by :func:`kl`, ``NEYMAN`` by
    :func:`chi_square` with the laws swapped, ``GAN`` by twice :func:`js_divergence` less
    :math:`\log 4`...), with its infinite values decided. A generator of your own (an :class:`divergences.FGenerator`) is integrated as
    :math:`f(1) + \int \hat q\, \tilde f(\hat p / \hat q)\, e^{m}` with its ``term`` when it has
    one (:math:`\tilde f` centred at 1), else :math:`\int \hat q f(\hat p/\hat q) e^m`, where
    :math:`m = \max(\log p, \log q)` and :math:`\hat p = p e^{-m}, \hat q = q e^{-m}` keep the
    densities in range. Its infinite values are what the quadrature sees (no tail analysis).

    Args:
      p: the first law.
      q: the second law.
      f: an :class:`divergences.FGenerator`.
      base: logarithm base; the value is divided by ``log(base)`` whatever the generator.

    Returns:
      ``Quadrature(value, error)``.
    """
    check_law(p, "p")
    check_law(q, "q")
    if not isinstance(f, FGenerator):
        raise ValueError(f"f must be a divergences.FGenerator, got {f!r}")
    r = _routed_kernel(p, q, f)
    return _scale_by_base(_custom_kernel(p, q, f) if r is None else r, base)


@partial(jax.jit, static_argnums=2)
def _custom_kernel(p: Law, q: Law, f: Any) -> Quadrature:
    term = f.term

    def h(x: jax.Array) -> jax.Array:
        lp, lq = p.log_prob(x), q.log_prob(x)
        m = jnp.maximum(lp, lq)
        both_off = m == -jnp.inf
        ms = jnp.where(both_off, 0.0, m)
        ph, qh = jnp.exp(lp - ms), jnp.exp(lq - ms)
        if term is not None:
            inner = term(ph, qh)
        else:
            qs = jnp.where(qh > 0, qh, 1.0)
            inner = jnp.where(qh > 0, qh * f.f(ph / qs), ph * f.slope_at_infinity)
        size = jnp.exp(ms)
        return jnp.where(both_off | (size == 0), 0.0, size * inner)

    r = integrate(p, q, h)
    if term is not None:
        r = Quadrature(r.value + jnp.asarray(f.f(jnp.ones(()))), r.error)
    return r


def optimal_discriminator(p: Law, q: Law) -> Callable[[Any], jax.Array]:
    r"""The optimal discriminator :math:`D^*(x) = p(x) / (p(x) + q(x))` (Goodfellow et al. 2014).

    :math:`\tfrac12` where both densities vanish (a convention: no mass is at stake there).

    Args:
      p: the data law.
      q: the generator's law.

    Returns:
      A callable ``x -> D*(x)``, elementwise, in ``[0, 1]``.
    """
    check_law(p, "p")
    check_law(q, "q")

    def d_star(x: Any) -> jax.Array:
        lp, lq = p.log_prob(x), q.log_prob(x)
        both = (lp == -jnp.inf) & (lq == -jnp.inf)
        diff = jnp.where(both, 0.0, lp - jnp.where(lq == -jnp.inf, -jnp.inf, lq))
        return jax.nn.sigmoid(jnp.where(both, 0.0, diff))

    return d_star


def gan_value(p: Law, q: Law, d: Any = "optimal", *, base: Any = None) -> Quadrature:
    r"""The GAN value :math:`V(D) = \int p \log D + \int q \log(1 - D)` (Goodfellow et al. 2014).

    At the optimum ``d="optimal"``, :math:`D^* = p/(p+q)` and
    :math:`V(D^*) = 2\,\mathrm{JS}(p \| q) - \log 4`. A :class:`LogisticDiscriminator` is
    evaluated in log-space (``-inf`` when a law without first moment meets the linear growth of
    :math:`-\log D`); any other callable ``d`` (values in (0, 1)) through ``log(d(x))`` and
    ``log1p(-d(x))``.

    Args:
      p: the data law.
      q: the generator's law.
      d: ``"optimal"``, a :class:`LogisticDiscriminator` or a callable ``x -> D(x)``.
      base: logarithm base; ``None`` for nats.

    Returns:
      ``Quadrature(value, error)``; the value is at most 0.
    """
    check_law(p, "p")
    check_law(q, "q")
    if isinstance(d, str):
        if d != "optimal":
            raise ValueError(
                f'd must be "optimal", a LogisticDiscriminator or a callable, got {d!r}'
            )
        r = _times(js_divergence(p, q), 2.0, -math.log(4.0))
        return _scale_by_base(r, base)
    if isinstance(d, LogisticDiscriminator):
        r = _gan_logistic_kernel(p, q, d)
    elif callable(d):
        r = _gan_callable_kernel(p, q, d)
    else:
        raise ValueError(f'd must be "optimal", a LogisticDiscriminator or a callable, got {d!r}')
    return _scale_by_base(r, base)


def _gan_integrand(
    p: Law, q: Law, log_d: Callable[[Any], jax.Array], log1m_d: Callable[[Any], jax.Array]
) -> Callable[[jax.Array], jax.Array]:
    def h(x: jax.Array) -> jax.Array:
        pe, qe = jnp.exp(p.log_prob(x)), jnp.exp(q.log_prob(x))
        a = jnp.where(pe == 0, 0.0, pe * jnp.where(pe == 0, 0.0, log_d(x)))
        b = jnp.where(qe == 0, 0.0, qe * jnp.where(qe == 0, 0.0, log1m_d(x)))
        return a + b

    return h


@jax.jit
def _gan_logistic_kernel(p: Law, q: Law, d: LogisticDiscriminator) -> Quadrature:
    r = integrate(p, q, _gan_integrand(p, q, d.log_d, d.log1m_d))
    return with_infinite(r, logistic_infinite(p, q, d), sign=-1.0)


@partial(jax.jit, static_argnums=2)
def _gan_callable_kernel(p: Law, q: Law, d: Any) -> Quadrature:
    def log_d(x: Any) -> jax.Array:
        return jnp.log(d(x))

    def log1m_d(x: Any) -> jax.Array:
        return jnp.log1p(-d(x))

    return integrate(p, q, _gan_integrand(p, q, log_d, log1m_d))


def w1(p: Law, q: Law) -> Quadrature:
    r"""Wasserstein-1 distance on the line, :math:`W_1(p, q) = \int |F_p(x) - F_q(x)|\,dx`.

    ``inf`` when one law has no first moment on a side where the other's tail does not cancel it
    (equal heavy tails, as between two shifted Cauchy laws, give a finite value: the shift).
    The panels are cut where the distribution functions cross, the kinks of :math:`|F_p - F_q|`,
    as in :func:`total_variation`.

    Args:
      p: the first law.
      q: the second law.

    Returns:
      ``Quadrature(value, error)``.

    References:
      Vallender, *Calculation of the Wasserstein distance between probability distributions on
      the line*, Theory Probab. Appl. 18 (1974).
    """
    check_law(p, "p")
    check_law(q, "q")
    return _w1_kernel(p, q)


@jax.jit
def _w1_kernel(p: Law, q: Law) -> Quadrature:
    def h(x: jax.Array) -> jax.Array:
        # Left of the middle the distribution functions, right of it the survival functions:
        # each difference is then of two small numbers, without cancellation against 1.
        left = jnp.abs(p.cdf(x) - q.cdf(x))
        right = jnp.abs(p.sf(x) - q.sf(x))
        return jnp.where(x < middle, left, right)

    ps, qs = jax.lax.stop_gradient((p, q))  # where a panel is cut carries no derivative

    def kink(x: jax.Array) -> jax.Array:  # F - G, whose sign changes are kinks of |F - G|
        return jnp.where(x < middle, ps.cdf(x) - qs.cdf(x), qs.sf(x) - ps.sf(x))

    middle = jnp.median(jnp.concatenate([p._breakpoints(), q._breakpoints()]))
    r = integrate(p, q, h, kink)
    return with_infinite(r, w1_tail_infinite(p, q))
