r"""f-divergences, the generators of the f-GAN table, and their variational lower bound.

For a convex :math:`f` with :math:`f(1) = 0`,

.. math:: D_f(p \,\|\, q) = \sum_i q_i\, f\!\left(\frac{p_i}{q_i}\right),

with the conventions :math:`0 f(0/0) = 0` and, where :math:`q_i = 0 < p_i`,
:math:`q_i f(p_i/q_i) = p_i \lim_{t\to\infty} f(t)/t` (the generator's ``slope_at_infinity``).
Every f-divergence has the variational lower bound of Nguyen, Wainwright & Jordan (2010),

.. math:: D_f(p \,\|\, q) \ge \sup_T\; \mathbb{E}_p[T] - \mathbb{E}_q[f^*(T)],

where :math:`f^*(t) = \sup_u\, (u t - f(u))` is the convex conjugate; it is tight at
:math:`T^* = f'(p/q)`. This is the objective the f-GAN discriminator maximises.

Factor conventions, stated once (they differ between sources):

======================  ==========================================  ================================
generator               f(u)                                        D_f equals
======================  ==========================================  ================================
``KL``                  u log u                                     KL(p || q)
``REVERSE_KL``          -log u                                      KL(q || p)
``PEARSON``             (u - 1)^2                                   chi_square(p, q)
``NEYMAN``              (1 - u)^2 / u                               chi_square(q, p)
``SQUARED_HELLINGER``   (sqrt(u) - 1)^2                             2 hellinger(p, q)^2
``JENSEN_SHANNON``      u log u - (u + 1) log((u + 1) / 2)          2 js_divergence(p, q)
``GAN``                 u log u - (u + 1) log(u + 1)                2 js_divergence(p, q) - log 4
``TOTAL_VARIATION``     |u - 1| / 2                                 total_variation(p, q)
======================  ==========================================  ================================

The ``GAN`` generator has :math:`f(1) = -\log 4`, not 0, so its "divergence" of p from itself is
:math:`-\log 4`: it is the GAN value at the optimal discriminator (Goodfellow et al., 2014).

Example:
  >>> import divergences as dv
  >>> p, q = [0.8, 0.2], [0.3, 0.7]
  >>> [round(float(dv.f_divergence(p, q, g)), 4) for g in dv.f_generators.GENERATORS.values()]
  [0.5341, 0.5827, 1.1905, 1.5625, 0.2719, 0.265, -1.1213, 0.5]

References:
  Ali & Silvey, J. Roy. Statist. Soc. B 28(1), 1966; Csiszar, Studia Sci. Math. Hungar. 2, 1967;
  Nguyen, Wainwright & Jordan, IEEE Trans. Inf. Theory 56(11), 2010; Nowozin, Cseke & Tomioka,
  *f-GAN: Training Generative Neural Samplers using Variational Divergence Minimization*,
  NeurIPS 2016, Tables 1 and 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._numerics import log_of_base, safe_sqrt, support_mask
from divergences._typing import ArrayLike, Base
from divergences._validation import as_float_array, check_base, check_pmf_pair, is_traced

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
    "f_divergence",
    "optimal_critic",
    "variational_bound",
]

_LOG2 = math.log(2.0)


class FGenerator(NamedTuple):
    """A generator of an f-divergence with what the variational bound needs.

    Attributes:
      name: a short label.
      f: the convex generator, elementwise; finite at 0 where the math is.
      conjugate: the convex conjugate :math:`f^*(t) = \\sup_u (ut - f(u))`, elementwise, on
        ``conjugate_domain``.
      derivative: :math:`f'(u)`; :math:`T^* = f'(p/q)` attains the variational bound.
      slope_at_infinity: :math:`\\lim_{t\\to\\infty} f(t)/t`, the cost per unit of mass of ``p``
        where ``q = 0``.
      conjugate_domain: the open interval (lower, upper) where :math:`f^*` is finite.
      divergence: what :math:`D_f` equals in this package's names.

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
    f: Callable[[jax.Array], jax.Array]
    conjugate: Callable[[jax.Array], jax.Array]
    derivative: Callable[[jax.Array], jax.Array]
    slope_at_infinity: float
    conjugate_domain: tuple[float, float]
    divergence: str


def _xlogx(u: jax.Array) -> jax.Array:
    m = support_mask(u)
    return u * jnp.log(u * m + (1 - m))


KL = FGenerator(
    "KL",
    f=_xlogx,
    conjugate=lambda t: jnp.exp(t - 1),
    derivative=lambda u: 1 + jnp.log(u),
    slope_at_infinity=math.inf,
    conjugate_domain=(-math.inf, math.inf),
    divergence="kl(p, q)",
)
REVERSE_KL = FGenerator(
    "reverse KL",
    f=lambda u: -jnp.log(u),
    conjugate=lambda t: -1 - jnp.log(-t),
    derivative=lambda u: -1 / u,
    slope_at_infinity=0.0,
    conjugate_domain=(-math.inf, 0.0),
    divergence="kl(q, p)",
)
PEARSON = FGenerator(
    "Pearson chi^2",
    f=lambda u: (u - 1) ** 2,
    conjugate=lambda t: t**2 / 4 + t,
    derivative=lambda u: 2 * (u - 1),
    slope_at_infinity=math.inf,
    conjugate_domain=(-math.inf, math.inf),
    divergence="chi_square(p, q)",
)
NEYMAN = FGenerator(
    "Neyman chi^2",
    f=lambda u: (1 - u) ** 2 / u,
    conjugate=lambda t: 2 - 2 * jnp.sqrt(1 - t),
    derivative=lambda u: 1 - 1 / u**2,
    slope_at_infinity=1.0,
    conjugate_domain=(-math.inf, 1.0),
    divergence="chi_square(q, p)",
)
SQUARED_HELLINGER = FGenerator(
    "squared Hellinger",
    f=lambda u: (safe_sqrt(u) - 1) ** 2,
    conjugate=lambda t: 1 / (1 - t) - 1,  # t / (1 - t), and -1 (not NaN) at t = -inf
    derivative=lambda u: 1 - 1 / jnp.sqrt(u),
    slope_at_infinity=1.0,
    conjugate_domain=(-math.inf, 1.0),
    divergence="2 * hellinger(p, q)**2",
)
JENSEN_SHANNON = FGenerator(
    "Jensen-Shannon",
    f=lambda u: _xlogx(u) - (u + 1) * jnp.log((u + 1) / 2),
    conjugate=lambda t: -jnp.log(2 - jnp.exp(t)),
    derivative=lambda u: _LOG2 - jnp.log1p(1 / u),  # log(2u / (1 + u)), exact at u = inf
    slope_at_infinity=_LOG2,
    conjugate_domain=(-math.inf, _LOG2),
    divergence="2 * js_divergence(p, q)",
)
GAN = FGenerator(
    "GAN",
    f=lambda u: _xlogx(u) - (u + 1) * jnp.log(u + 1),
    conjugate=lambda t: -jnp.log1p(-jnp.exp(t)),
    derivative=lambda u: -jnp.log1p(1 / u),  # log(u / (u + 1)), exact at u = inf
    slope_at_infinity=0.0,
    conjugate_domain=(-math.inf, 0.0),
    divergence="2 * js_divergence(p, q) - log(4)",
)
TOTAL_VARIATION = FGenerator(
    "total variation",
    f=lambda u: 0.5 * jnp.abs(u - 1),
    conjugate=lambda t: t,
    derivative=lambda u: 0.5 * jnp.sign(u - 1),
    slope_at_infinity=0.5,
    conjugate_domain=(-0.5, 0.5),
    divergence="total_variation(p, q)",
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


def f_divergence(
    p: ArrayLike,
    q: ArrayLike,
    f: FGenerator | Callable[[jax.Array], jax.Array],
    *,
    slope_at_infinity: float | None = None,
    base: Base = None,
    axis: int = -1,
) -> jax.Array:
    r"""The f-divergence :math:`D_f(p \,\|\, q) = \sum_i q_i f(p_i / q_i)`.

    Conventions: a point where both masses are 0 contributes 0; a point with :math:`q_i = 0 < p_i`
    contributes :math:`p_i \cdot \lim_{t\to\infty} f(t)/t`, which is ``inf`` for superlinear
    generators such as KL and Pearson. The generator is evaluated at ``p/q`` on the support of
    ``q`` only, so ``f`` may be infinite at 0 (reverse KL) without producing NaN.

    Range: ``f`` is evaluated at the ratio ``p/q``, which for a mass ``q_i`` within a few orders
    of magnitude of the dtype's smallest normal number (``np.finfo(dtype).tiny``) and ``p_i`` of
    order 1 is so large that ``f`` overflows (``u log u`` and ``(u - 1)^2`` beyond the largest
    float). The dedicated functions (:func:`divergences.kl`, :func:`divergences.js_divergence`,
    :func:`divergences.chi_square`, ...) never form the ratio and stay finite there (masses
    below ``tiny``, subnormal numbers, count as 0 on XLA:CPU, which flushes them).

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``.
      f: an :class:`FGenerator` (which carries its slope at infinity), or a convex callable with
        ``f(1) = 0`` applied elementwise.
      slope_at_infinity: :math:`\lim_{t\to\infty} f(t)/t` for a plain callable. Needed only where
        ``q = 0 < p``: a concrete input with such a point and no slope raises ``ValueError``;
        under ``jit`` the slope then defaults to ``inf``.
      base: logarithm base; the value is divided by ``log(base)`` whatever the generator, which
        is meaningful for the generators built on ``log`` (KL, reverse KL, Jensen-Shannon, GAN)
        and changes the others (Pearson, Neyman, squared Hellinger, TV) by that factor.
      axis: the axis holding the masses.

    Returns:
      D_f(p || q), with ``axis`` reduced.

    Example:
      >>> import divergences as dv
      >>> p, q = [0.8, 0.2], [0.3, 0.7]
      >>> bool(abs(dv.f_divergence(p, q, dv.f_generators.JENSEN_SHANNON)
      ...          - 2 * dv.js_divergence(p, q)) < 1e-6)
      True
    """
    check_base(base)
    p, q = check_pmf_pair(p, q, axis=axis)
    slope: float
    if isinstance(f, FGenerator):
        slope = f.slope_at_infinity if slope_at_infinity is None else slope_at_infinity
        fn = f.f
    elif slope_at_infinity is not None:
        fn, slope = f, slope_at_infinity
    else:
        if not (is_traced(p) or is_traced(q)) and np.any(
            (np.asarray(q) == 0) & (np.asarray(p) > 0)
        ):
            raise ValueError(
                "q is zero where p is positive, where D_f depends on lim f(t)/t as t -> inf; "
                "pass slope_at_infinity (inf for KL-like generators) or use an FGenerator"
            )
        fn, slope = f, math.inf
    mq = support_mask(q)
    offq = 1 - mq
    ratio = p * mq / (q + offq) + offq  # p/q on the support of q, 1 (harmless) off it
    body = jnp.sum(q * fn(ratio), axis=axis)
    outside = support_mask(p) * offq  # 1 where q = 0 < p
    if math.isinf(slope):
        value = jnp.where(jnp.any(outside > 0, axis=axis), jnp.inf, body)
    else:
        value = body + slope * jnp.sum(p * outside, axis=axis)
    return value / log_of_base(base, value.dtype)


def optimal_critic(
    p: ArrayLike, q: ArrayLike, generator: FGenerator, *, axis: int = -1
) -> jax.Array:
    r"""The critic :math:`T^* = f'(p/q)` at which the variational bound equals :math:`D_f`.

    ``p/q`` is taken as ``inf`` where ``q = 0 < p``, ``0`` where ``p = 0 < q`` and ``1`` where
    both vanish, so ``T*`` may hold ``+-inf`` (KL's :math:`1 + \log 0`); :func:`variational_bound`
    gives such entries zero weight where their mass is zero.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``.
      generator: the f-divergence's generator.
      axis: the axis holding the masses.

    Returns:
      T*, elementwise, in the broadcast shape of ``p`` and ``q``.

    Example:
      >>> import divergences as dv
      >>> t = dv.optimal_critic([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], dv.f_generators.KL)
      >>> [round(float(v), 6) for v in t]  # 1 + log(p/q)
      [1.693147, 1.693147, -inf]
    """
    p, q = check_pmf_pair(p, q, axis=axis)
    off = 1 - support_mask(p + q)
    return generator.derivative((p + off) / (q + off))


def _weighted_sum(w: jax.Array, values: jax.Array, axis: int) -> jax.Array:
    """``sum(w * values)`` where a zero weight makes the term 0 even for infinite values."""
    # The double where keeps the gradient finite: the inner one removes the infinite values the
    # outer one discards, so no 0 * inf reaches the backward pass.
    positive = w > 0
    safe = jnp.where(positive, values, 0)
    return jnp.sum(jnp.where(positive, w * safe, 0), axis=axis)


def variational_bound(
    p: ArrayLike, q: ArrayLike, t: ArrayLike, generator: FGenerator, *, axis: int = -1
) -> jax.Array:
    r"""The f-GAN objective :math:`\mathbb{E}_p[T] - \mathbb{E}_q[f^*(T)] \le D_f(p \,\|\, q)`.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``.
      t: the critic's value at each outcome; entries where ``q > 0`` must lie in the
        generator's ``conjugate_domain`` (outside it :math:`f^*` is infinite or undefined).
      generator: the f-divergence's generator.
      axis: the axis holding the masses.

    Returns:
      The lower bound, with ``axis`` reduced; equal to :func:`f_divergence` at
      :func:`optimal_critic`.

    Example:
      >>> import divergences as dv
      >>> g = dv.f_generators.KL
      >>> p, q = [0.8, 0.2], [0.3, 0.7]
      >>> t = dv.optimal_critic(p, q, g)
      >>> bool(abs(dv.variational_bound(p, q, t, g) - dv.kl(p, q)) < 1e-6)
      True
    """
    p, q = check_pmf_pair(p, q, axis=axis)
    t = as_float_array(t, "t").astype(p.dtype)
    try:
        t = jnp.broadcast_to(t, p.shape)
    except ValueError:
        raise ValueError(
            f"t has shape {t.shape}, which does not broadcast to the masses' shape {p.shape}"
        ) from None
    conj = generator.conjugate(jnp.where(q > 0, t, 0))
    if not is_traced(t) and not is_traced(q):
        if np.isnan(np.asarray(t)).any():
            raise ValueError("t contains NaN; a critic's values must be numbers")
        outside = np.isnan(np.asarray(conj)) & (np.asarray(q) > 0)
        if outside.any():
            lo, hi = generator.conjugate_domain
            raise ValueError(
                f"t is outside the domain ({lo}, {hi}) of the {generator.name} conjugate where "
                f"q > 0 (e.g. t = {float(np.asarray(t)[outside].flat[0])!r}); f*(t) is not defined there"
            )
    return _weighted_sum(p, t, axis) - _weighted_sum(q, conj, axis)
