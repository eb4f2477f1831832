r"""The f-GAN generators' table, published by :mod:`divergences.generators`.

In the core, beside the f-divergence that evaluates them (:mod:`._src.f_divergence`), so that the
core imports nothing above it; the conventions and the table are documented on the public module.
Each generator of the table carries its route (:class:`Route`): the term of
:mod:`divergences._src.terms` it sums, so that :func:`divergences.f_divergence`, the fast
quadrature and the certified enclosures of :mod:`divergences.continuous` compute it by that
term's closed form; :func:`routed` is the one place that decides whether a generator has one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from divergences._src import terms
from divergences._src.log_sums import gan_sum, js_sum, kl_sum
from divergences._src.numerics import safe_sqrt, support_mask, upscaled_sum, xlog_ratio
from divergences._src.terms import Pairwise, Term, swapped

__all__ = [
    "GAN",
    "GENERATORS",
    "JENSEN_SHANNON",
    "KL",
    "NEYMAN",
    "PEARSON",
    "REVERSE_KL",
    "SQUARED_HELLINGER",
    "TOTAL_VARIATION",
    "FGenerator",
    "Route",
    "routed",
]

_LOG2 = math.log(2.0)

Elementwise = Callable[[jax.Array], jax.Array]
#: A reduction ``total(p, q, axis)`` of a term over ``axis``.
Reduction = Callable[[jax.Array, jax.Array, int], jax.Array]


class Route(NamedTuple):
    r"""How the library computes a generator's :math:`D_f` by a term of :mod:`._src.terms`.

    :math:`D_f(p \| q) = \text{shift} + \sum_i \text{term}(p_i, q_i)` (an integral for
    continuous laws), with ``p`` and ``q`` exchanged where ``swapped``; ``shift`` is
    :math:`f(1)`, exact (the GAN's :math:`-\log 4`). On masses, a route with ``uncentred``
    returns that sum instead.

    Attributes:
      term: the :class:`~divergences._src.terms.Term` summed.
      swapped: whether the term is evaluated at ``(q, p)``.
      shift: :math:`f(1)`, added to the sum.
      total: optional, ``total(p, q, axis)``: the term's certified sum of
        :mod:`divergences._src.log_sums` where it has one (``kl_sum`` for KL, ``js_sum`` for
        Jensen-Shannon, the same kernels as :func:`divergences.kl` and
        :func:`divergences.js_divergence`), relatively accurate to a few ulp with a hand-written
        derivative; without it, the sum of ``term.masses`` on the upscaled masses.
      uncentred: optional, ``uncentred(p, q, axis)``: :math:`\sum_i q_i f(p_i/q_i)` on masses,
        in terms of one sign, for a generator whose ``shift`` and sum cancel (the GAN's
        :math:`-\log 4 + 2\,\mathrm{JS}` near disjoint supports, :func:`.log_sums.gan_sum`).
        The same on pmfs; on masses off 1 it is the textbook sum, not the centred one.
    """

    term: Term
    swapped: bool = False
    shift: float = 0.0
    total: Reduction | None = None
    uncentred: Reduction | None = None

    @property
    def masses(self) -> Pairwise:
        """The term on the masses, its arguments exchanged where the route says so."""
        return swapped(self.term.masses) if self.swapped else self.term.masses

    def summed(self, p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
        r""":math:`\sum_i \text{term}(p_i, q_i)` over ``axis`` (exchanged where ``swapped``).

        By ``total`` where the route has one, else by
        :func:`~divergences._src.numerics.upscaled_sum` of the term, so that terms below the
        normal range count.
        """
        a, b = (q, p) if self.swapped else (p, q)
        if self.total is not None:
            return self.total(a, b, axis)
        return upscaled_sum(self.term.masses, a, b, axis=axis, bounded=self.term.bounded)

    def divergence(self, p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
        """:math:`D_f` on masses: ``uncentred`` where the route has it, else ``shift + summed``."""
        if self.uncentred is None:
            return self.shift + self.summed(p, q, axis)
        return self.uncentred(*((q, p) if self.swapped else (p, q)), axis)


class FGenerator(NamedTuple):
    r"""A generator of an f-divergence with what the variational bound needs.

    Attributes:
      name: a short label.
      f: the convex generator, elementwise; finite at 0 where the math is.
      conjugate: the convex conjugate :math:`f^*(t) = \sup_{u \ge 0} (ut - f(u))`, elementwise,
        on ``conjugate_domain``.
      derivative: :math:`f'(u)`; :math:`T^* = f'(p/q)` attains the variational bound.
      slope_at_infinity: :math:`\lim_{t\to\infty} f(t)/t`, the cost per unit of mass of ``p``
        where ``q = 0``.
      conjugate_domain: the interval (lower, upper) where :math:`f^*` is finite; its ends are
        excluded unless ``closed_ends`` says otherwise.
      divergence: what :math:`D_f` equals in this package's names.
      term: optional, ``term(p, q)``: the summand :math:`q\,\tilde f(p/q)` of the generator
        centred at 1, :math:`\tilde f(u) = f(u) - f(1) - f'(1)(u - 1)`, elementwise, never
        forming an overflowing ``p/q``, non-negative, 0 where ``p = q = 0``, ``p`` times the slope
        of :math:`\tilde f` where ``q = 0 < p``. :func:`f_divergence` returns
        :math:`f(1) + \sum_i` ``term``; without it, :math:`q f(p/q)` as written.
      weighted_conjugate: optional, ``weighted_conjugate(q, t)``: :math:`q\, f^*(t)`,
        elementwise, 0 where ``q = 0``, evaluated so that it stays finite where the product is
        (``q`` tiny, ``t`` huge); ``t = -inf`` gives :math:`-q f(0)`, the limit. Without it,
        ``q * conjugate(t)`` is used.
      closed_ends: whether the lower and upper ends of ``conjugate_domain`` belong to it
        (:math:`f^*` finite there), e.g. both ends for total variation.
      route: the table's generators only: the term :math:`D_f` sums (a ``Route``); a generator
        of your own, even a ``_replace`` copy of one of them, is checked and evaluated as written.

    Example:
      A generator of your own, here the reverse KL again, written out:

      >>> import math
      >>> import jax.numpy as jnp
      >>> import divergences as dv
      >>> rkl = dv.FGenerator(
      ...     "reverse KL", f=lambda u: -jnp.log(u), conjugate=lambda t: -1 - jnp.log(-t),
      ...     derivative=lambda u: -1 / u, slope_at_infinity=0.0,
      ...     conjugate_domain=(-math.inf, 0.0), divergence="kl(q, p)")
      >>> p, q = [0.8, 0.2], [0.3, 0.7]
      >>> bool(abs(dv.f_divergence(p, q, rkl) - dv.kl(q, p)) < 1e-6)
      True
    """

    name: str
    f: Elementwise
    conjugate: Elementwise
    derivative: Elementwise
    slope_at_infinity: float
    conjugate_domain: tuple[float, float]
    divergence: str
    term: Pairwise | None = None
    weighted_conjugate: Pairwise | None = None
    closed_ends: tuple[bool, bool] = (False, False)
    route: Route | None = None


# --- stable elementwise pieces -------------------------------------------------------------


def _xlogx(u: jax.Array) -> jax.Array:
    return xlog_ratio(u, u, jnp.ones_like(u))


def _masked_log(q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(m, log q)`` with ``m`` the support mask of ``q`` and ``log 1 = 0`` off it."""
    m = support_mask(q)
    return m, jnp.log(q * m + (1 - m))


def _kl_weighted_conjugate(q: jax.Array, t: jax.Array) -> jax.Array:
    # q exp(t - 1) = exp(t - 1 + log q): finite where the product is (q tiny, t large).
    m, log_q = _masked_log(q)
    return m * jnp.exp(t - 1 + log_q)


def _pearson_conjugate(t: jax.Array) -> jax.Array:
    # sup over u >= 0 of u t - (u - 1)^2: t^2/4 + t for t >= -2, and -f(0) = -1 below.
    s = jnp.maximum(t, -2.0)
    return s * (0.25 * s + 1)


def _pearson_weighted_conjugate(q: jax.Array, t: jax.Array) -> jax.Array:
    s = jnp.maximum(t, -2.0)
    return (q * s) * (0.25 * s + 1)  # q s first: q tiny times s huge is finite


def _js_conjugate(t: jax.Array) -> jax.Array:
    # -log(2 - e^t) = -log 2 - log(-expm1(t - log 2)): no cancellation in 2 - e^t near t = log 2.
    return -_LOG2 - jnp.log(-jnp.expm1(t - _LOG2))


def _gan_conjugate(t: jax.Array) -> jax.Array:
    return -jnp.log(-jnp.expm1(t))  # -log(1 - e^t), exact near t = 0


def _scaled(conjugate: Elementwise) -> Pairwise:
    """``q * conjugate(t)``, for conjugates whose value stays in range wherever the product does."""

    def weighted(q: jax.Array, t: jax.Array) -> jax.Array:
        return q * conjugate(t)

    return weighted


def _rkl_conjugate(t: jax.Array) -> jax.Array:
    return -1 - jnp.log(-t)


def _neyman_conjugate(t: jax.Array) -> jax.Array:
    return 2 - 2 * jnp.sqrt(1 - t)


def _sqh_conjugate(t: jax.Array) -> jax.Array:
    return 1 / (1 - t) - 1  # t / (1 - t), and -1 (not NaN) at t = -inf


def _tv_conjugate(t: jax.Array) -> jax.Array:
    return t


def _tabled(name: str, route: Route, **fields: Any) -> FGenerator:
    """A generator of the table: its summand on the masses is its route's term."""
    return FGenerator(name, term=route.masses, route=route, **fields)


def routed(f: Any) -> Route | None:
    """The route of ``f`` where ``f`` is one of the table's generators, else None.

    The table's own records only: a route says that ``f`` is exactly that term's generator, which
    nothing checks, so a generator of your own (a copy of a table entry made with ``_replace``
    included, whose ``f`` may differ) is checked and evaluated as written.
    """
    name = getattr(f, "name", None)
    if isinstance(f, FGenerator) and isinstance(name, str) and GENERATORS.get(name) is f:
        return f.route
    return None


KL = _tabled(
    "KL",
    Route(terms.KL, total=kl_sum),
    f=_xlogx,
    conjugate=lambda t: jnp.exp(t - 1),
    derivative=lambda u: 1 + jnp.log(u),
    slope_at_infinity=math.inf,
    conjugate_domain=(-math.inf, math.inf),
    divergence="kl(p, q)",
    weighted_conjugate=_kl_weighted_conjugate,
)
REVERSE_KL = _tabled(
    "reverse KL",
    Route(terms.KL, swapped=True, total=kl_sum),
    f=lambda u: -jnp.log(u),
    conjugate=_rkl_conjugate,
    derivative=lambda u: -1 / u,
    slope_at_infinity=0.0,
    conjugate_domain=(-math.inf, 0.0),
    divergence="kl(q, p)",
    weighted_conjugate=_scaled(_rkl_conjugate),
)
PEARSON = _tabled(
    "Pearson chi^2",
    Route(terms.PEARSON),
    f=lambda u: (u - 1) ** 2,
    conjugate=_pearson_conjugate,
    derivative=lambda u: 2 * (u - 1),
    slope_at_infinity=math.inf,
    conjugate_domain=(-math.inf, math.inf),
    divergence="chi_square(p, q)",
    weighted_conjugate=_pearson_weighted_conjugate,
)
NEYMAN = _tabled(
    "Neyman chi^2",
    Route(terms.PEARSON, swapped=True),
    f=lambda u: (1 - u) ** 2 / u,
    conjugate=_neyman_conjugate,
    derivative=lambda u: 1 - (1 / u) ** 2,
    slope_at_infinity=1.0,
    conjugate_domain=(-math.inf, 1.0),
    divergence="chi_square(q, p)",
    weighted_conjugate=_scaled(_neyman_conjugate),
    closed_ends=(False, True),  # f*(1) = 2
)
SQUARED_HELLINGER = _tabled(
    "squared Hellinger",
    Route(terms.SQUARED_HELLINGER),
    f=lambda u: (safe_sqrt(u) - 1) ** 2,
    conjugate=_sqh_conjugate,
    derivative=lambda u: 1 - 1 / jnp.sqrt(u),
    slope_at_infinity=1.0,
    conjugate_domain=(-math.inf, 1.0),
    divergence="2 * hellinger(p, q)**2",
    weighted_conjugate=_scaled(_sqh_conjugate),
)
JENSEN_SHANNON = _tabled(
    "Jensen-Shannon",
    Route(terms.JENSEN_SHANNON, total=js_sum),
    f=lambda u: _xlogx(u) - (u + 1) * jnp.log((u + 1) / 2),
    conjugate=_js_conjugate,
    derivative=lambda u: _LOG2 - jnp.log1p(1 / u),  # log(2u / (1 + u)), exact at u = inf
    slope_at_infinity=_LOG2,
    conjugate_domain=(-math.inf, _LOG2),
    divergence="2 * js_divergence(p, q)",
    weighted_conjugate=_scaled(_js_conjugate),
)
GAN = _tabled(
    "GAN",
    # Centred at 1 it is Jensen-Shannon; on masses its value is the GAN value at D*, summed whole.
    Route(terms.JENSEN_SHANNON, shift=-math.log(4.0), total=js_sum, uncentred=gan_sum),
    f=lambda u: _xlogx(u) - (u + 1) * jnp.log(u + 1),
    conjugate=_gan_conjugate,
    derivative=lambda u: -jnp.log1p(1 / u),  # log(u / (u + 1)), exact at u = inf
    slope_at_infinity=0.0,
    conjugate_domain=(-math.inf, 0.0),
    divergence="2 * js_divergence(p, q) - log(4)",
    weighted_conjugate=_scaled(_gan_conjugate),
)
TOTAL_VARIATION = _tabled(
    "total variation",
    Route(terms.TOTAL_VARIATION),
    f=lambda u: 0.5 * jnp.abs(u - 1),
    conjugate=_tv_conjugate,
    derivative=lambda u: 0.5 * jnp.sign(u - 1),
    slope_at_infinity=0.5,
    conjugate_domain=(-0.5, 0.5),
    divergence="total_variation(p, q)",
    weighted_conjugate=_scaled(_tv_conjugate),
    closed_ends=(True, True),
)

#: The f-GAN table, by name.
GENERATORS: dict[str, FGenerator] = {
    g.name: g
    for g in (
        KL,
        REVERSE_KL,
        PEARSON,
        NEYMAN,
        SQUARED_HELLINGER,
        JENSEN_SHANNON,
        GAN,
        TOTAL_VARIATION,
    )
}
