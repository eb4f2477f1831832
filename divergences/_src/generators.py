r"""The f-GAN generators' table and its stable pieces, published by :mod:`divergences.generators`.

In the core, beside the f-divergence that evaluates them (:mod:`._src.f_divergence`), so that the
core imports nothing above it; the conventions and the table are documented on the public module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from divergences._src.numerics import abs_subgradient, safe_sqrt, support_mask, xlog_ratio

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
]

_LOG2 = math.log(2.0)

Elementwise = Callable[[jax.Array], jax.Array]
Pairwise = Callable[[jax.Array, jax.Array], jax.Array]


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
        centred at 1, :math:`\tilde f(u) = f(u) - f(1) - f'(1)(u - 1)`, elementwise, evaluated
        without forming ``p/q`` where that could overflow, non-negative, 0 where ``p = q = 0`` and
        ``p`` times the slope of :math:`\tilde f` where ``q = 0 < p``. :func:`f_divergence`
        returns :math:`f(1) + \sum_i` ``term``. Without it, :math:`q f(p/q)` is evaluated as
        written.
      weighted_conjugate: optional, ``weighted_conjugate(q, t)``: :math:`q\, f^*(t)`,
        elementwise, 0 where ``q = 0``, evaluated so that it stays finite where the product is
        (``q`` tiny, ``t`` huge); ``t = -inf`` gives :math:`-q f(0)`, the limit. Without it,
        ``q * conjugate(t)`` is used.
      closed_ends: whether the lower and upper ends of ``conjugate_domain`` belong to it
        (:math:`f^*` finite there), e.g. both ends for total variation.

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


# --- stable elementwise pieces -------------------------------------------------------------


@jax.custom_jvp
def _square_over(d: jax.Array, q: jax.Array) -> jax.Array:
    """Elementwise ``d^2 / q`` (``q >= 0``): 0 where ``d = q = 0``, ``inf`` where ``q = 0 != d``.

    Written ``d (d / q)`` so that neither ``d^2`` (which underflows) nor ``q^2`` is formed.
    """
    off = 1 - support_mask(jnp.abs(d) + q)
    return d * (d / (q + off))


@_square_over.defjvp
def _square_over_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    d, q = primals
    dd, dq = tangents
    off = 1 - support_mask(jnp.abs(d) + q)
    r = d / (q + off)
    # d(d^2/q) = 2 (d/q) dd - (d/q)^2 dq: finite wherever (d/q)^2 is, that is wherever the exact
    # derivative is a finite float.
    return _square_over(d, q), 2 * r * dd - r * (r * dq)


def _nonnegative(x: jax.Array) -> jax.Array:
    """``max(x, 0)`` that passes the gradient through at ``x = 0``.

    A tie of ``maximum`` would halve it; a term that is non-negative in exact arithmetic loses
    only its rounding.
    """
    return jnp.where(x < 0, 0.0, x)


def _kl_term(p: jax.Array, q: jax.Array) -> jax.Array:
    # q phi(p/q), phi(u) = u log u - u + 1 >= 0: the KL summand centred at 1.
    return _nonnegative(xlog_ratio(p, p, q) - p + q)


def _js_term(p: jax.Array, q: jax.Array) -> jax.Array:
    # p log(2p / (p + q)) + q log(2q / (p + q)) = (p + q) (log 2 - H(p/(p+q))) >= 0. The mixture
    # is not halved: (p + q) / 2 underflows for masses near the smallest normal number.
    s = p + q
    return _nonnegative(xlog_ratio(p, 2 * p, s) + xlog_ratio(q, 2 * q, s))


def _hellinger_term(p: jax.Array, q: jax.Array) -> jax.Array:
    return (safe_sqrt(p) - safe_sqrt(q)) ** 2


def _tv_term(p: jax.Array, q: jax.Array) -> jax.Array:
    return 0.5 * abs_subgradient(p - q)


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


KL = FGenerator(
    "KL",
    f=_xlogx,
    conjugate=lambda t: jnp.exp(t - 1),
    derivative=lambda u: 1 + jnp.log(u),
    slope_at_infinity=math.inf,
    conjugate_domain=(-math.inf, math.inf),
    divergence="kl(p, q)",
    term=_kl_term,
    weighted_conjugate=_kl_weighted_conjugate,
)
REVERSE_KL = FGenerator(
    "reverse KL",
    f=lambda u: -jnp.log(u),
    conjugate=_rkl_conjugate,
    derivative=lambda u: -1 / u,
    slope_at_infinity=0.0,
    conjugate_domain=(-math.inf, 0.0),
    divergence="kl(q, p)",
    term=lambda p, q: _kl_term(q, p),
    weighted_conjugate=_scaled(_rkl_conjugate),
)
PEARSON = FGenerator(
    "Pearson chi^2",
    f=lambda u: (u - 1) ** 2,
    conjugate=_pearson_conjugate,
    derivative=lambda u: 2 * (u - 1),
    slope_at_infinity=math.inf,
    conjugate_domain=(-math.inf, math.inf),
    divergence="chi_square(p, q)",
    term=lambda p, q: _square_over(p - q, q),
    weighted_conjugate=_pearson_weighted_conjugate,
)
NEYMAN = FGenerator(
    "Neyman chi^2",
    f=lambda u: (1 - u) ** 2 / u,
    conjugate=_neyman_conjugate,
    derivative=lambda u: 1 - (1 / u) ** 2,
    slope_at_infinity=1.0,
    conjugate_domain=(-math.inf, 1.0),
    divergence="chi_square(q, p)",
    term=lambda p, q: _square_over(q - p, p),
    weighted_conjugate=_scaled(_neyman_conjugate),
    closed_ends=(False, True),  # f*(1) = 2
)
SQUARED_HELLINGER = FGenerator(
    "squared Hellinger",
    f=lambda u: (safe_sqrt(u) - 1) ** 2,
    conjugate=_sqh_conjugate,
    derivative=lambda u: 1 - 1 / jnp.sqrt(u),
    slope_at_infinity=1.0,
    conjugate_domain=(-math.inf, 1.0),
    divergence="2 * hellinger(p, q)**2",
    term=_hellinger_term,
    weighted_conjugate=_scaled(_sqh_conjugate),
)
JENSEN_SHANNON = FGenerator(
    "Jensen-Shannon",
    f=lambda u: _xlogx(u) - (u + 1) * jnp.log((u + 1) / 2),
    conjugate=_js_conjugate,
    derivative=lambda u: _LOG2 - jnp.log1p(1 / u),  # log(2u / (1 + u)), exact at u = inf
    slope_at_infinity=_LOG2,
    conjugate_domain=(-math.inf, _LOG2),
    divergence="2 * js_divergence(p, q)",
    term=_js_term,
    weighted_conjugate=_scaled(_js_conjugate),
)
GAN = FGenerator(
    "GAN",
    f=lambda u: _xlogx(u) - (u + 1) * jnp.log(u + 1),
    conjugate=_gan_conjugate,
    derivative=lambda u: -jnp.log1p(1 / u),  # log(u / (u + 1)), exact at u = inf
    slope_at_infinity=0.0,
    conjugate_domain=(-math.inf, 0.0),
    divergence="2 * js_divergence(p, q) - log(4)",
    term=_js_term,  # centred at 1, the GAN generator is the Jensen-Shannon one
    weighted_conjugate=_scaled(_gan_conjugate),
)
TOTAL_VARIATION = FGenerator(
    "total variation",
    f=lambda u: 0.5 * jnp.abs(u - 1),
    conjugate=_tv_conjugate,
    derivative=lambda u: 0.5 * jnp.sign(u - 1),
    slope_at_infinity=0.5,
    conjugate_domain=(-0.5, 0.5),
    divergence="total_variation(p, q)",
    term=_tv_term,
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
