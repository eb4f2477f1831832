r"""Each divergence's pointwise term, written once, and the forms derived from it in this module.

Every f-divergence of the library is the sum over outcomes (or the integral over the line) of one
term: the summand of the f-GAN generator of that name centred at 1,
:math:`q\,\tilde f(p/q)` with :math:`\tilde f(u) = f(u) - f(1) - f'(1)(u - 1) \ge 0`
(:mod:`divergences.generators`). Centred, a term is non-negative point by point, and its sum is
the generator's :math:`D_f` less :math:`f(1)`:

======================  ============================================  ==========================
term                    summand                                       its sum
======================  ============================================  ==========================
``KL``                  :math:`p \log(p/q) - p + q`                   ``kl(p, q)``
``PEARSON``             :math:`(p - q)^2 / q`                         ``chi_square(p, q)``
``SQUARED_HELLINGER``   :math:`(\sqrt p - \sqrt q)^2`                 ``2 hellinger(p, q)**2``
``JENSEN_SHANNON``      :math:`p \log\frac{2p}{p+q} + q \log\frac{2q}{p+q}`  ``2 js_divergence(p, q)``
``TOTAL_VARIATION``     :math:`|p - q| / 2`                           ``total_variation(p, q)``
======================  ============================================  ==========================

The reverse KL and Neyman's chi-square are ``KL`` and ``PEARSON`` with ``p`` and ``q`` swapped;
the GAN generator's term is ``JENSEN_SHANNON`` (its :math:`f(1) = -\log 4` is the shift of its
route, :class:`~divergences._src.f_generators.Route`).

A :class:`Term` holds three forms of its formula:

* ``on_logs(lp, lq, ops)``, **the definition**: the summand from the logarithms of the two
  densities, written once against an operations object (:class:`TermOps`), so that the same code
  runs on ``jax.numpy`` arrays (:data:`JAX_OPS`, the fast quadrature of
  :mod:`divergences.continuous.fast`) and on python-flint's complex balls (:func:`ball_ops`, the
  certified enclosures of :mod:`divergences.continuous.certified`).
* ``integrand(lp, lq)``: the fast quadrature's form, zero-density safe (0 where both densities
  vanish, ``q`` where ``p = 0``, ``inf`` where ``q = 0 < p`` for KL and Pearson) and
  gradient-safe. It is ``on_logs`` on :data:`JAX_OPS` where that is exact in floats; KL and
  Pearson derive a form of their own, said in their docstrings (:func:`_kl_integrand`,
  :func:`_pearson_integrand`), because the definition overflows or cancels in floats where the
  value does not.
* ``masses(p, q)``: the discrete kernels' form, on the masses themselves rather than their
  logarithms (which a zero mass does not have), with the zero-mass conventions of
  :mod:`divergences._src.numerics`: 0 where ``p = q = 0``, ``p`` times the slope of
  :math:`\tilde f` where ``q = 0 < p``, never a ratio that could overflow, finite gradients at
  zero mass. :func:`divergences.f_divergence` sums it for the table's generators, and
  :func:`divergences.chi_square`, :func:`divergences.hellinger` and
  :func:`divergences.total_variation` are its sums.

KL and Jensen-Shannon have one more discrete form each, relatively accurate term by term and
select-free (:func:`kl_accurate`, :func:`js_accurate`): the exact kernels of
:func:`divergences.kl` and :func:`divergences.js_divergence`, whose sums with certified fast
paths are built in :mod:`divergences._src.log_sums`.

A new divergence of the f-GAN kind is one :class:`Term` here (its three forms), a generator in
:mod:`divergences._src.f_generators` whose route names it, and, for continuous laws, its entry in
the fast and certified modules' ``_TERM_SUMS``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.numerics import (
    ATANH_TAIL,
    abs_subgradient,
    accurate_log1p,
    horner,
    safe_denominator,
    safe_sqrt,
    support_mask,
    xlog_ratio,
)

__all__ = [
    "JAX_OPS",
    "JENSEN_SHANNON",
    "KL",
    "PEARSON",
    "SQUARED_HELLINGER",
    "TOTAL_VARIATION",
    "Pairwise",
    "Term",
    "TermOps",
    "ball_ops",
    "js_accurate",
    "kl_accurate",
    "root_difference",
    "square_over",
    "swapped",
]

_LOG2 = math.log(2.0)

#: An elementwise function of the two masses (or of the two log-densities).
Pairwise = Callable[[Any, Any], Any]


class TermOps(NamedTuple):
    r"""The operations a term's definition is written with, on arrays or on balls.

    ``exp``, ``expm1`` and ``abs`` are elementwise; ``log_mean(lp, lq)`` is
    :math:`\log\frac{p + q}{2}` from the two log-densities; ``xlog_diff(l, m)`` is
    :math:`e^l (l - m)`. On arrays, the last two hold a vanishing density at 0 (no ``-inf`` times
    0); on balls a vanishing density is never passed (the piece has no such law).
    """

    exp: Callable[[Any], Any]
    expm1: Callable[[Any], Any]
    abs: Callable[[Any], Any]
    log_mean: Pairwise
    xlog_diff: Pairwise


def _log_mean(lp: jax.Array, lq: jax.Array) -> jax.Array:
    """``log((p + q)/2)``, and 0 (not ``-inf``) where both densities vanish."""
    lm = jnp.logaddexp(lp, lq) - _LOG2
    return jnp.where(lm == -jnp.inf, 0.0, lm)


def _xlog_diff(lp: jax.Array, la: jax.Array) -> jax.Array:
    """``e^{lp} (lp - la)``, 0 where ``lp = -inf``, gradient-safe."""
    off = lp == -jnp.inf
    lps = jnp.where(off, 0.0, lp)
    las = jnp.where(off, 0.0, la)
    return jnp.where(off, 0.0, jnp.exp(lps) * (lps - las))


#: The operations on ``jax.numpy`` arrays: the fast quadrature's.
JAX_OPS = TermOps(jnp.exp, jnp.expm1, jnp.abs, _log_mean, _xlog_diff)


def ball_ops(log2: Any, analytic: bool) -> TermOps:
    r"""The operations on python-flint balls (``acb``): the certified enclosures'.

    Args:
      log2: :math:`\log 2` as a ball of the working precision.
      analytic: the flag ``acb.integral`` passes: where it is set, a function with a branch cut
        (``abs``, ``log``) must say whether the ball meets it (python-flint's ``analytic=``).
    """
    return TermOps(
        exp=lambda x: x.exp(),
        expm1=lambda x: x.expm1(),
        abs=lambda x: x.real_abs(analytic=analytic),
        log_mean=lambda lp, lq: (lp.exp() + lq.exp()).log(analytic=analytic) - log2,
        xlog_diff=lambda lx, lm: lx.exp() * (lx - lm),
    )


class Term(NamedTuple):
    """One divergence's pointwise term: its definition and the forms derived from it.

    Attributes:
      name: the name of the generator whose summand it is (``"KL"``, ...).
      summand: the formula, as text.
      on_logs: ``on_logs(lp, lq, ops)``, the definition, from the log-densities, on
        :class:`TermOps`.
      integrand: ``integrand(lp, lq)``, the fast quadrature's form on ``jax.numpy`` arrays.
      masses: ``masses(p, q)``, the discrete kernels' form on the masses.
      bounded: whether ``masses(p, q)`` is at most a fixed multiple of ``p + q`` (for masses at
        or above ``tiny``), so that its sums may run on upscaled masses without overflow
        (:func:`~divergences._src.numerics.upscaled_sum`); Pearson's ``(p - q)^2 / q`` is not.
    """

    name: str
    summand: str
    on_logs: Callable[[Any, Any, TermOps], Any]
    integrand: Pairwise
    masses: Pairwise
    bounded: bool = True


def swapped(term: Pairwise) -> Pairwise:
    """``term`` with its two arguments exchanged: the reverse KL's and Neyman's summands."""

    def exchanged(p: Any, q: Any) -> Any:
        return term(q, p)

    return exchanged


def _nonnegative(x: jax.Array) -> jax.Array:
    """``max(x, 0)`` that passes the gradient through at ``x = 0``.

    A tie of ``maximum`` would halve it; a term that is non-negative in exact arithmetic loses
    only its rounding.
    """
    return jnp.where(x < 0, 0.0, x)


def _zero_density_logs(
    lp: jax.Array, lq: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """``(p_off, q_off, lp, lq)``: where each density vanishes, and both logs set to 0 there."""
    p_off, q_off = lp == -jnp.inf, lq == -jnp.inf
    either = p_off | q_off
    return p_off, q_off, jnp.where(either, 0.0, lp), jnp.where(either, 0.0, lq)


def _at_zero_density(
    p_off: jax.Array, q_off: jax.Array, lq: jax.Array, both: jax.Array
) -> jax.Array:
    """``q`` where ``p = 0``, ``inf`` where ``q = 0 < p``, ``both`` elsewhere (KL, Pearson)."""
    q = jnp.exp(jnp.where(q_off, -jnp.inf, lq))
    return jnp.where(p_off, q, jnp.where(q_off, jnp.inf, both))


# --- KL ----------------------------------------------------------------------------------------


def _kl_of_log_ratio(d: Any, lq: Any, ops: TermOps) -> Any:
    r""":math:`q\,(e^d d - (e^d - 1))` with :math:`d = \log(p/q)`: :math:`p \log(p/q) - p + q`."""
    return ops.exp(lq) * (ops.exp(d) * d - ops.expm1(d))


def _kl_on_logs(lp: Any, lq: Any, ops: TermOps) -> Any:
    return _kl_of_log_ratio(lp - lq, lq, ops)


def _kl_integrand(lp: jax.Array, lq: jax.Array) -> jax.Array:
    """The KL term from log-densities, in floats.

    Near ``p = q`` (``|d| < 1``, ``d = log(p/q)``) the definition, which has no cancellation
    there; elsewhere ``p d - p + q``, the same summand without forming ``e^d`` alone (which
    overflows where ``p`` is large against ``q``), held at 0 below.
    """
    p_off, q_off, lps, lqs = _zero_density_logs(lp, lq)
    d = lps - lqs
    near = jnp.abs(d) < 1
    dn = jnp.where(near, d, 0.0)
    close = _kl_of_log_ratio(dn, lqs, JAX_OPS)
    pe, qe = jnp.exp(lps), jnp.exp(lqs)
    far = pe * d - pe + qe
    both = jnp.where(near, close, far)
    return _at_zero_density(p_off, q_off, lq, jnp.where(both < 0, 0.0, both))


def _kl_masses(p: jax.Array, q: jax.Array) -> jax.Array:
    """``p log(p/q) - p + q`` by :func:`~divergences._src.numerics.xlog_ratio`, held at 0 below."""
    return _nonnegative(xlog_ratio(p, p, q) - p + q)


def kl_accurate(p: jax.Array, q: jax.Array, difference: jax.Array | None = None) -> jax.Array:
    r"""Elementwise :math:`q\,\varphi(p/q) = p \log(p/q) - p + q`, relatively accurate, select-free.

    Near ``p = q`` (``|u| < 1/3`` with ``u = (p - q)/(p + q)``, that is ``1/2 < p/q < 2``) the term is
    ``s u^2 (1 + u (1 + u) B(u^2))`` with ``s = p + q``: ``p - q`` is exact there (Sterbenz), every
    factor is positive or close to 1, and nothing cancels. Elsewhere it is ``p log(p/q) - (p - q)``,
    whose two parts are at most a factor 3.6 larger than their difference. The switch is the number
    ``z = min(floor(3|u|), 1)``, arithmetic rather than a comparison, so that XLA fuses it.
    Conventions: 0 where ``p = q = 0``, ``q`` where ``p = 0``, ``+inf`` where ``q = 0 < p``.
    Each term is within 4.1 ulp; :mod:`divergences._src.log_sums` sums it (:func:`divergences.kl`).
    ``difference``, where given, is ``p - q`` computed more accurately than from the rounded
    ``p`` and ``q`` (mutual information's conditional less its marginal, from the departure of
    the joint from independence): ``u`` and the far form take it in place of ``fl(p) - fl(q)``.
    """
    tiny = jnp.finfo(p.dtype).tiny
    mp, mq = support_mask(p), support_mask(q)
    s = p + q
    d = p - q if difference is None else difference
    u = d / safe_denominator(s)  # 0 where p = q = 0
    v = u * u
    near = s * v * (1 + u * (1 + u) * horner(v, ATANH_TAIL[np.dtype(p.dtype)]))
    far = p * jnp.log(jnp.maximum(p / safe_denominator(q), tiny)) - d  # finite everywhere
    z = jnp.minimum(jnp.floor(3 * jnp.abs(u)), 1)
    term = (1 - z) * near + z * far  # not near + z (far - near): the difference can underflow
    infinite = mp * (1 - mq)  # 1 exactly where q = 0 < p
    return term + infinite / (1 - infinite)  # + inf there, + 0 elsewhere


KL = Term(
    "KL",
    "p log(p/q) - p + q",
    on_logs=_kl_on_logs,
    integrand=_kl_integrand,
    masses=_kl_masses,
)


# --- Pearson chi-square ------------------------------------------------------------------------


def _pearson_on_logs(lp: Any, lq: Any, ops: TermOps) -> Any:
    return ops.exp(lq) * ops.expm1(lp - lq) ** 2


def _pearson_integrand(lp: jax.Array, lq: jax.Array) -> jax.Array:
    r"""The Pearson term from log-densities, in floats.

    The definition's product :math:`q\,\mathrm{expm1}(d)^2` formed as
    ``exp(lq + 2 log|expm1(d)|)``: the square alone overflows where ``p`` is large against ``q``
    while the product does not.
    """
    p_off, q_off, lps, lqs = _zero_density_logs(lp, lq)
    d = lps - lqs
    pos = d > 0
    ds = jnp.where(d == 0, 1.0, d)
    log_abs = jnp.where(
        pos, ds + jnp.log(-jnp.expm1(-jnp.abs(ds))), jnp.log(-jnp.expm1(-jnp.abs(ds)))
    )
    both = jnp.where(d == 0, 0.0, jnp.exp(lqs + 2 * log_abs))
    return _at_zero_density(p_off, q_off, lq, both)


@jax.custom_jvp
def square_over(d: jax.Array, q: jax.Array) -> jax.Array:
    """Elementwise ``d^2 / q`` (``q >= 0``): 0 where ``d = q = 0``, ``inf`` where ``q = 0 != d``.

    Written ``d (d / q)`` so that neither ``d^2`` (which underflows) nor ``q^2`` is formed.
    """
    off = 1 - support_mask(jnp.abs(d) + q)
    return d * (d / (q + off))


@square_over.defjvp
def _square_over_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    d, q = primals
    dd, dq = tangents
    off = 1 - support_mask(jnp.abs(d) + q)
    r = d / (q + off)
    # d(d^2/q) = 2 (d/q) dd - (d/q)^2 dq: finite wherever (d/q)^2 is, that is wherever the exact
    # derivative is a finite float.
    return square_over(d, q), 2 * r * dd - r * (r * dq)


def _pearson_masses(p: jax.Array, q: jax.Array) -> jax.Array:
    """``(p - q)^2 / q`` by :func:`square_over`: non-negative, ``inf`` where ``q = 0 < p``."""
    return square_over(p - q, q)


PEARSON = Term(
    "Pearson chi^2",
    "(p - q)^2 / q",
    on_logs=_pearson_on_logs,
    integrand=_pearson_integrand,
    masses=_pearson_masses,
    bounded=False,
)


# --- squared Hellinger, Jensen-Shannon, total variation: the definition serves the quadrature ---


def _hellinger_on_logs(lp: Any, lq: Any, ops: TermOps) -> Any:
    return (ops.exp(lp / 2) - ops.exp(lq / 2)) ** 2


def _hellinger_integrand(lp: jax.Array, lq: jax.Array) -> jax.Array:
    return _hellinger_on_logs(lp, lq, JAX_OPS)


@jax.custom_jvp
def root_difference(p: jax.Array, q: jax.Array) -> jax.Array:
    r"""Elementwise :math:`\sqrt p - \sqrt q` (``p, q >= 0``), relatively accurate; 0 at ``p = q = 0``.

    Formed as :math:`(p - q) / (\sqrt p + \sqrt q)`: ``p - q`` is exact where the masses are
    within a factor 2 of each other (Sterbenz) and the sum of the roots does not cancel, so the
    result is within four roundings (2 eps; measured 1.4) where :math:`\sqrt p - \sqrt q` loses
    every digit that ``p`` and ``q`` share. A ``p - q`` below the normal range, which XLA flushes,
    loses only a square below it too (:math:`(\sqrt p - \sqrt q)^2 \le |p - q|`), which the
    sums of squared Hellinger terms take on upscaled masses
    (:func:`~divergences._src.numerics.upscaled_sum`).
    The derivative is that of ``safe_sqrt(p) - safe_sqrt(q)``
    (:func:`~divergences._src.numerics.safe_sqrt`): :math:`dp / (2\sqrt p)` where ``p > 0`` and 0
    where ``p = 0``, likewise in ``q``.
    """
    return (p - q) / safe_denominator(jnp.sqrt(p) + jnp.sqrt(q))


@root_difference.defjvp
def _root_difference_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    (p, q), (dp, dq) = primals, tangents
    _, dsp = jax.jvp(safe_sqrt, (p,), (dp,))
    _, dsq = jax.jvp(safe_sqrt, (q,), (dq,))
    return root_difference(p, q), dsp - dsq


def _hellinger_masses(p: jax.Array, q: jax.Array) -> jax.Array:
    """``(sqrt p - sqrt q)^2`` by :func:`root_difference`: relatively accurate near ``p = q``.

    The derivative is that of ``(safe_sqrt(p) - safe_sqrt(q))^2``: ``1 - sqrt(q/p)`` in ``p``
    where ``p > 0``, 0 where ``p = 0`` (that entry's root held at 0), likewise in ``q``.
    """
    return root_difference(p, q) ** 2


SQUARED_HELLINGER = Term(
    "squared Hellinger",
    "(sqrt(p) - sqrt(q))^2",
    on_logs=_hellinger_on_logs,
    integrand=_hellinger_integrand,
    masses=_hellinger_masses,
)


def _js_on_logs(lp: Any, lq: Any, ops: TermOps) -> Any:
    lm = ops.log_mean(lp, lq)
    return ops.xlog_diff(lp, lm) + ops.xlog_diff(lq, lm)


def _js_integrand(lp: jax.Array, lq: jax.Array) -> jax.Array:
    """The definition on :data:`JAX_OPS`, held at 0 below (it is non-negative up to rounding)."""
    t = _js_on_logs(lp, lq, JAX_OPS)
    return jnp.where(t < 0, 0.0, t)


def _js_masses(p: jax.Array, q: jax.Array) -> jax.Array:
    """``(p + q) (log 2 - H(p/(p+q)))`` as ``p log(2p/s) + q log(2q/s)``, ``s = p + q``.

    The mixture is not halved: ``(p + q)/2`` underflows for masses near the smallest normal
    number.
    """
    s = p + q
    return _nonnegative(xlog_ratio(p, 2 * p, s) + xlog_ratio(q, 2 * q, s))


def js_accurate(p: jax.Array, q: jax.Array) -> jax.Array:
    r"""Elementwise ``p log(2p/s) + q log(2q/s)`` (``s = p + q``), relatively accurate, select-free.

    With ``u = (p - q)/s`` the term is ``s/2 j(u)``, ``j(u) = (1+u) log(1+u) + (1-u) log(1-u)``.
    For ``|u| < 1/2``, ``j = u (log1p(u) - log1p(-u)) + log1p(-u^2)``: the first part is
    ``2 u atanh(u) ~ 2u^2`` (two logarithms of opposite signs, added), the second ``~ -u^2``, so at
    most half of the first cancels. For ``|u| >= 1/2`` the defining form, where the two parts are
    at most 3.7 times their sum. ``u`` is kept in ``[-1 + eps/2, 1 - eps/2]`` so that the
    logarithms stay finite; where ``p = 0`` that changes ``0 * log(...)`` only, which is 0.
    Each term is within 5.0 ulp; :mod:`divergences._src.log_sums` sums it
    (:func:`divergences.js_divergence`).
    """
    s = p + q
    u = (p - q) / safe_denominator(s)  # 0 where p = q = 0
    edge = 1 - float(jnp.finfo(p.dtype).epsneg)
    # One-sided floors (u <= 1 always): a max and a min together would become a clamp, which XLA
    # does not fuse on CPU.
    a = accurate_log1p(jnp.maximum(u, -edge))
    b = accurate_log1p(jnp.maximum(-u, -edge))
    v = u * u
    near = u * (a - b) + accurate_log1p(-jnp.minimum(v, 0.25))
    far = (1 + u) * a + (1 - u) * b
    z = jnp.minimum(jnp.floor(2 * jnp.abs(u)), 1)
    return 0.5 * s * ((1 - z) * near + z * far)


JENSEN_SHANNON = Term(
    "Jensen-Shannon",
    "p log(2p/(p+q)) + q log(2q/(p+q))",
    on_logs=_js_on_logs,
    integrand=_js_integrand,
    masses=_js_masses,
)


def _tv_on_logs(lp: Any, lq: Any, ops: TermOps) -> Any:
    return ops.abs(ops.exp(lp) - ops.exp(lq)) / 2


def _tv_integrand(lp: jax.Array, lq: jax.Array) -> jax.Array:
    return _tv_on_logs(lp, lq, JAX_OPS)


def _tv_masses(p: jax.Array, q: jax.Array) -> jax.Array:
    """``|p - q|/2`` with the subgradient 0 at ``p = q`` (:func:`~.numerics.abs_subgradient`)."""
    return 0.5 * abs_subgradient(p - q)


TOTAL_VARIATION = Term(
    "total variation",
    "|p - q| / 2",
    on_logs=_tv_on_logs,
    integrand=_tv_integrand,
    masses=_tv_masses,
)
