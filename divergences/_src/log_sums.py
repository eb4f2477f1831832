r"""The sums of log terms, KL, JS, entropy and cross-entropy: fast, certified, relatively accurate.

Built with :func:`~divergences._src.numerics.certified_sum` on the conventions and the cost model
of :mod:`divergences._src.numerics` (zero mass, fusion, custom JVPs). The KL and JS terms are those
of :mod:`divergences._src.terms`, where each divergence's term is written; their exact kernels,
relatively accurate term by term, are its :func:`~divergences._src.terms.kl_accurate` and
:func:`~divergences._src.terms.js_accurate`, described below with the sums' fast paths.

**KL.** The sum is ``sum q phi(p/q)`` with ``phi(t) = t log t - t + 1 >= 0``, that is
``sum p log(p/q) - p + q``: every term is non-negative, so the result is never negative, also for
masses whose totals differ by a rounding (it is then Csiszar's I-divergence, which differs from
``sum p log(p/q)`` by ``sum q - sum p``; for totals that are equal it is KL). Each term is
evaluated to within 4.1 ulp (measured against mpmath over t = p/q from e^-6 to e^6 and masses
from 1e-300 to 1, float64 and float32), by one of two formulas chosen per element without a
comparison, ``z = min(floor(3|u|), 1)``, ``term = (1 - z) near + z far``:

* ``near`` (``|u| < 1/3`` with ``u = (p - q)/(p + q)``, i.e. ``1/2 < p/q < 2``): the term is
  ``s u^2 (1 + u (1 + u) B(u^2))`` with ``s = p + q`` and ``atanh(u) = u + u^3 B(u^2)``. Here
  ``p - q`` is exact (Sterbenz), ``u`` is within an ulp, ``u (1 + u) B`` lies in [-0.08, 0.16], so
  no step cancels. ``B`` is a degree-10 fit (float64) or 8 Taylor terms (float32).
* ``far``: ``p log(max(p/q, tiny)) - (p - q)``; for ``p/q`` outside [1/2, 2] the two parts are at
  most 3.6 times their difference. ``p/q`` cannot overflow: both masses are at least ``tiny``.

The blend is ``(1 - z) near + z far`` rather than ``near + z (far - near)``: the difference of
two nearly equal tiny terms can underflow. For the same reason the exact kernels run on the
masses times ``2^512`` (float64; ``2^64`` in float32) and divide the sum back
(:func:`~divergences._src.numerics.upscaled_sum`): KL and JS are homogeneous of degree one, and a
term below the normal range (XLA flushes it to 0) can matter where the total is normal.

**JS.** Twice JS is ``sum s/2 j(u)`` with ``j(u) = (1+u) log(1+u) + (1-u) log(1-u) >= 0``. For
``|u| < 1/2``: ``j = u (log1p(u) - log1p(-u)) + log1p(-u^2)``, ``~ 2u^2 - u^2`` (at most half
cancels); for ``|u| >= 1/2`` the defining form. Measured within 5.0 ulp per term. XLA's float64
``log1p`` is off by up to 120 ulp near -0.41 on CPU, so :func:`accurate_log1p` is used.

**Fast paths, certified.** Those exact kernels take about 60 fused operations per element. The
short sums take 8 (KL) or 15 (JS): they are computed first, and returned when the rounding
bound says they are accurate. Both are stationary in their one rounded ratio: a relative rounding
``d`` of it moves the sum by ``O(d^2)`` only, so it costs no ``eps`` of its own (the defining
``sum p log(p/q) - (p - q)`` is not: the rounding of ``p/q`` costs up to ``eps/2`` in all, however
small KL is). Counted below with ``eps`` the machine epsilon (the ulp of 1), a logarithm within
an ulp of its result, and ``S = sum |p - q|``.

KL is summed as ``p log r - q (r - 1)`` with ``r = fl(p/q)`` (:func:`_kl_fast`), whose derivative
in ``r`` is ``p/r - q = 0``. The logarithm and the product after it cost ``1.5 eps p |log r|``,
and ``p |log r| <= term + |p - q|``; the product ``q (r - 1)`` costs ``eps/2 |p - q|``; ``r - 1``
is exact for ``r`` in [1/2, 2] (Sterbenz) and costs ``eps/2 |p - q|`` elsewhere, where the term is
at least ``0.307 |p - q|``; the subtraction ``eps/2`` of the term. With a margin of ``eps/2`` of
the term for the second-order parts, the absolute error is at most ``eps (4.13 KL + 2 S)``, and
Pinsker's inequality gives ``S <= sqrt(2 KL)``: a relative error of at most ``eps (4.13 +
2.83/sqrt(KL))``, below 16 ulp for ``KL >= 0.06`` (:data:`KL_FAST_THRESHOLD`). Twice JS is summed
as ``h log(w) + l log(2 - w)`` with ``h = max(p, q)``, ``l = min(p, q)``, ``w = fl(1 + t)``, ``t =
|p - q|/(p + q)`` (:func:`_js_fast`): ``2 - w`` is exact, so both logarithms are of ``1 + t'`` and
``1 - t'`` for one rounded ``t'``, where the term is stationary. Its two logarithms and products
cost ``1.5 eps`` of ``M = sum h log(1 + t) + l |log(1 - t)|``, the addition of the two ``eps/2``
of the term, the second-order parts and the floor at ``1 - eps`` at most ``eps/4`` of the value:
at most ``eps (1.5 M + 0.75 V)`` with ``V = 2 JS``. With ``l |log(1 - t)| = s/2 g(t)``, ``g(t) =
-(1 - t) log(1 - t) = t - sum_k t^k/(k (k - 1)) <= t - t^2/2`` and ``s/2 t^2 >= s/2 j(t) / (2 log
2)`` (``j(t)/t^2`` grows to ``2 log 2`` at ``t = 1``), ``M = V + 2 sum l |log(1 - t)| <= S +
(1 - 1/(2 log 2)) V``: at most ``eps (1.17 V + 1.5 S)``. Pinsker's inequality on ``KL(p || m)``
and ``KL(q || m)`` gives ``S <= 2 sqrt(V)``: at most ``eps (1.17 + 3/sqrt(V))``, below 16 ulp for
``V >= 0.042`` (:data:`JS_FAST_THRESHOLD`). Measured against mpmath on 600 pairs above the
thresholds, float64 and float32: at most 2.4 ulp (KL) and 2.5 ulp (JS), and 2.9 ulp for JS where
every ``t`` is the same (Pinsker's equality case) at ``V = 0.043``. Independent uniform masses
(KL about 0.088, twice JS about 0.043) are then one pass of each sum, where the defining sums
needed ``KL >= 0.1`` and ``V >= 0.09``. The bounds leave out the rounding of the reduction
itself, as every path here does (the terms are
non-negative, and the backend rounds their sum as it rounds any sum).

Below the threshold, or where KL's fast sum is NaN (``p = q = 0``, ``0/0``), one ``lax.cond``
runs the next kernel: the short series where the fast sum is at most :data:`SERIES_MAX` (above it
the series cannot hold), the exact kernel otherwise (:func:`_fast_then_series`), so that a
moderate value costs two passes, not three.

**Short series, certified.** Below the thresholds the inputs are most often near-identical
(every ``|u| < 2^-8``, :data:`NEAR_U`): there the near formulas above need only their first
terms (KL: ``B`` to ``v^2`` in float64, ``B = 1/3`` in float32; JS: ``j(u) = v (1 + v/6 +
v^2/15 + v^3/28)`` in float64, ``v (1 + v/6)`` in float32), 15 to 20 fused operations and no
logarithm. The certificate is summed with
the value: each point adds ``floor(v / NEAR_U^2)``, 0 where it is near and at least 1 where it
is not, so a sum below 1 is the series' value (the true one is below 0.2 here) and a sum of 1 or
more sends the batch entry on to the exact kernel. Near-identical inputs thus cost the fast
pass plus a pass a third of the exact kernel's (measured in ``benchmarks/``), with each term to
within 2 ulp (against mpmath). The measured errors of the fast paths are far
below the bound (a few ulp); the tests hold every path to 32 ulp against mpmath.

**Entropy, cross-entropy** are ``-sum p log max(p, tiny)`` and ``-sum p log q``: every term is
non-negative and nothing cancels; the logarithm is taken of the mass itself, never of a rounded
reciprocal (``log(1/q)`` carries half an ulp of absolute error, most of the value near ``q = 1``).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from divergences._src.numerics import (
    Accept,
    Kernel,
    accurate_log1p,
    certified_sum,
    horner,
    into_range,
    log_ratio_on,
    not_nan,
    safe_denominator,
    support_mask,
    upscale,
    upscaled_sum,
    xlog1p_ratio,
)
from divergences._src.precision import power_of_two_below
from divergences._src.terms import js_accurate, kl_accurate

__all__ = [
    "GAN_FAST_THRESHOLD",
    "JS_FAST_THRESHOLD",
    "KL_FAST_THRESHOLD",
    "NEAR_U",
    "cross_entropy_sum",
    "entropy_sum",
    "gan_sum",
    "js_sum",
    "kl_sum",
    "kl_terms",
]


def _kl_coefficients(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(d/dp, d/dq)`` of ``p log(p/q) - p + q``: ``log(p/q)`` and ``1 - p/q``, zero-mass safe.

    Where ``p = 0`` the derivative in ``p`` (``-inf``, one-sided) is replaced by 0, the derivative
    along the face of the simplex; the one in ``q`` is 1 (the term is ``q`` there). Where
    ``q = 0 < p`` the value is ``inf`` and the coefficients are finite but carry no meaning.
    """
    mp = support_mask(p)
    ps = safe_denominator(p)
    qs = safe_denominator(q)
    return mp * jnp.log(ps / qs), 1 - p / qs


def kl_terms(p: jax.Array, q: jax.Array, difference: jax.Array | None = None) -> jax.Array:
    r"""Elementwise generalized KL terms :math:`p \log(p/q) - p + q \ge 0`, each relatively accurate.

    For building sums with weights (mutual information); :func:`kl_sum` is the fast reduction.
    ``difference``, where given, is a more accurate ``p - q`` (:func:`kl_accurate`); it carries
    no derivative: the terms are differentiated in ``p`` and ``q`` alone, as ``p - q`` is.
    """
    p, q = jnp.broadcast_arrays(p, q)
    d = p - q if difference is None else jnp.broadcast_to(difference, p.shape)
    return _kl_terms(p, q, lax.stop_gradient(d))


@jax.custom_jvp
def _kl_terms(p: jax.Array, q: jax.Array, d: jax.Array) -> jax.Array:
    # Each term at unit scale: p, q and d divided by the power of two 2^e <= p + q (exact), so
    # that p + q lies in [1, 2) and no step of kl_accurate sees a number near the bottom of the
    # range, then multiplied back. On the masses as given, u = d / s and u^2 came from quotients
    # of masses near tiny: XLA rewrites (A / B)^2 with a B it knows as a constant into
    # A^2 (1 / B)^2 (0 * inf where B is 1e-307; jit of a closure over the joint gave NaN), and a
    # backend that keeps subnormal numbers reads its intermediate results differently from one
    # that flushes them. At unit scale both read the same numbers. The term is of degree one, so
    # the scaling changes no digit where the result is normal; the derivative is the custom
    # one below, of degree zero, taken on the masses as given.
    scale = lax.stop_gradient(safe_denominator(power_of_two_below(p + q)))
    inverse = 1 / scale
    unit = lax.optimization_barrier((p * inverse, q * inverse, d * inverse))
    return kl_accurate(*unit) * scale


@_kl_terms.defjvp
def _kl_terms_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    p, q, d = primals
    dp, dq, _ = tangents
    cp, cq = _kl_coefficients(p, q)
    return _kl_terms(p, q, d), dp * cp + dq * cq


#: The fast KL sum is returned when it is at least this (nats): there its error is below 16 ulp.
KL_FAST_THRESHOLD = 0.06
#: Likewise for twice the Jensen-Shannon divergence (:func:`js_sum`).
JS_FAST_THRESHOLD = 0.042


def _kl_fast(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """KL as ``sum p log r - q (r - 1)``, ``r = fl(p/q)``: stationary in the rounding of ``r``.

    Eight fused operations and a logarithm. ``p = 0 < q`` gives ``r = 0`` and the term ``q``
    (``log`` of ``max(r, tiny)``, times 0); ``q = 0 < p`` gives ``r = inf`` and the term ``+inf``
    (``min(r, max)`` keeps ``q (r - 1)`` at 0 there); ``p = q = 0`` gives NaN, which sends the
    sum on (the module docstring: the short series, then the exact kernel). A ratio above the
    largest float (a subnormal ``q`` kept by a GPU) gives ``+inf`` too, as for a ``q`` that
    counts as 0.
    """
    info = jnp.finfo(p.dtype)
    r = p / q
    return jnp.sum(
        p * jnp.log(jnp.maximum(r, info.tiny)) - q * (jnp.minimum(r, info.max) - 1), axis=axis
    )


#: The short series below are exact to the ulp where every ``|u| = |p - q|/(p + q)`` is below this.
NEAR_U = 2.0**-8

# KL: atanh(u) = u + u^3 B(u^2) with B(v) = 1/3 + v/5 + v^2/7 + ...; for v < 2^-16 the terms left
# out move the term by at most |u| v^3/9 < 2^-59 relative (float64), |u| v/5 < 2^-26 (float32,
# where B is its first term: a tenth of an ulp).
_KL_NEAR_TAIL = {
    np.dtype(np.float64): (1.0 / 3, 1.0 / 5, 1.0 / 7),
    np.dtype(np.float32): (1.0 / 3,),
}
# JS: j(u) = (1+u) log(1+u) + (1-u) log(1-u) = v (1 + v/6 + v^2/15 + v^3/28 + ...), the k-th
# coefficient 1/(k (2k - 1)); the first left out is below v^4/45 < 2^-66 (float64), v^2/15 < 2^-35
# (float32).
_JS_NEAR_SERIES = {
    np.dtype(np.float64): (1.0 / 6, 1.0 / 15, 1.0 / 28),
    np.dtype(np.float32): (1.0 / 6,),
}


def _series(v: jax.Array, coefficients: tuple[float, ...]) -> Any:
    """:func:`horner`, or the constant itself for a single coefficient (no operation at all)."""
    return coefficients[0] if len(coefficients) == 1 else horner(v, coefficients)


def _near_u(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """``(s, u, v, flag)`` for the short series: ``s = p + q``, ``u = (p - q)/s``, ``v = u^2``.

    ``flag`` is 0 where ``|u| < NEAR_U`` and at least 1 elsewhere (``floor(v / NEAR_U^2)``), so that
    a sum of terms plus flags is the series' value when every point is near and at least 1 when
    some point is not: the certificate travels in the sum itself, and the loop stays one fused
    loop (no comparison). ``max(s, tiny)`` makes ``u = 0`` where ``p = q = 0``; ``q = 0 < p``
    gives ``u = 1``, a far point.
    """
    s = p + q
    u = (p - q) / jnp.maximum(s, jnp.finfo(p.dtype).tiny)
    v = u * u
    return s, u, v, jnp.floor(v * (1.0 / NEAR_U**2))


def _kl_near_sum(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """KL by the short series where every ``|u| < NEAR_U``; at least 1 where some point is not.

    The term is ``s u^2 (1 + u (1 + u) B(u^2))`` as in :func:`kl_accurate`, with ``B`` cut to
    the terms that matter for ``|u| < NEAR_U``: about 20 fused operations and no logarithm, where
    the exact kernel takes 60 and two logarithms. Run on the upscaled masses, like the exact one.
    """
    scale = upscale(p)
    p, q = p * scale, q * scale
    s, u, v, flag = _near_u(p, q)
    b = _series(v, _KL_NEAR_TAIL[np.dtype(p.dtype)])
    return jnp.sum(s * v * (1 + u * (1 + u) * b) + flag * scale, axis=axis) / scale


def _js_near_sum(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """Twice JS by its series ``s/2 v (1 + v/6 + ...)`` where every ``|u| < NEAR_U``; else >= 1."""
    scale = upscale(p)
    p, q = p * scale, q * scale
    s, _, v, flag = _near_u(p, q)
    series = 1 + v * _series(v, _JS_NEAR_SERIES[np.dtype(p.dtype)])
    return jnp.sum((0.5 * s) * v * series + flag * scale, axis=axis) / scale


def _at_least(threshold: float) -> Accept:
    """Accepts a fast sum at or above ``threshold`` (or ``+inf``); refuses NaN (``0/0``).

    At or above the threshold the fast sum's rounding error, of the order of
    ``eps * sum |p - q|``, is small against the value.
    """
    return lambda value: value >= threshold


def _series_certified(near: jax.Array) -> jax.Array:
    """Accepts a short series' sum below 1 (every point near).

    The series runs below the fast paths' thresholds only, where the true value is below 0.2: a
    sum of 1 or more is the certificate failing, never a value.
    """
    return near < 1


#: Above this a fast sum (KL, twice JS) is too large for the short series to hold on masses whose
#: totals are below 64: where every ``|u| < NEAR_U`` each term is at most ``s u^2 (1 + 2^-7)``,
#: so the sum is at most ``2^-16 (1 + 2^-7)`` times the totals.
SERIES_MAX = 2.0**-10


def _fast_then_series(fast: Kernel, threshold: float, series: Kernel) -> Kernel:
    """One stage of :func:`certified_sum`: the fast sum, else the short series, else NaN.

    The fast sum is returned where it is at least ``threshold`` (:func:`_at_least`); below it the
    series' sum where its certificate holds (:func:`_series_certified`); NaN elsewhere, which
    sends the sum on to the exact kernel. The series runs only where it can hold: not where the
    fast sum is above :data:`SERIES_MAX` (it is NaN where ``p = q = 0``, and the series is tried
    there), so that a moderate value (``1e-3 <= KL < 0.06``) costs the fast pass and the exact
    one, not a third pass that could only refuse. Skipping the series is never wrong, only
    slower: the exact kernel is always right.
    """

    def kernel(*args: Any) -> jax.Array:
        *arrays, axis = args
        value = fast(*arrays, axis)
        accepted = _at_least(threshold)(value)
        hopeful = ~accepted & ~(value > SERIES_MAX)

        def refused() -> jax.Array:
            near = lax.cond(
                jnp.any(hopeful),
                lambda: series(*arrays, axis),
                lambda: jnp.full_like(value, jnp.inf),
            )
            held = hopeful & _series_certified(near)
            return jnp.where(accepted, value, jnp.where(held, near, jnp.nan))

        return lax.cond(jnp.all(accepted), lambda: value, refused)

    return kernel


def _kl_exact(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """The sum of :func:`kl_accurate`, on the upscaled masses (:func:`upscaled_sum`)."""
    return upscaled_sum(kl_accurate, p, q, axis=axis)


kl_sum = certified_sum(
    arity=2,
    fast=[(_fast_then_series(_kl_fast, KL_FAST_THRESHOLD, _kl_near_sum), not_nan)],
    exact=_kl_exact,
    coefficients=_kl_coefficients,
    name="kl_sum",
    doc=r"""``sum(p log(p/q) - p + q, axis)``: KL for masses summing to one, never negative.

    Fast path: ``p log r - q (r - 1)``, ``r = p/q``, summed (:func:`_kl_fast`), returned where
    the sum is at least :data:`KL_FAST_THRESHOLD`; then the short series where its certificate
    holds (:func:`_kl_near_sum`); otherwise (``p = q = 0`` somewhere, or neither certified) the
    sum of :func:`kl_terms`. The derivative is
    :func:`_kl_coefficients`.
    """,
)


def _js_fast(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """Twice JS as ``sum h log(w) + l log(2 - w)``, ``w = fl(1 + t)``: one pass, no NaN.

    ``h = max(p, q)``, ``l = min(p, q)`` and ``t = |p - q|/(p + q)``, so that the term is ``h
    log(1 + t) + l log(1 - t)``. The defining ``p log(2p/s) + q log(2q/s)`` rounds ``2p/s`` and
    ``2q/s`` apart, each by up to half an ulp, an absolute error of up to ``eps`` in a sum of twice
    JS however small. Here ``2 - w`` is exact (Sterbenz: ``w`` is in [1, 2]), so both arguments
    are ``1 + t'`` and ``1 - t'`` of one ``t' = w - 1``, the rounded ``t`` rounded once more; the
    term is stationary in ``t`` (its derivative is ``h/(1 + t) - l/(1 - t) = 0``), so neither
    rounding costs anything to first order, and no correction is needed. Where ``w`` rounds to 2
    the second logarithm takes ``2 l/(p + q)`` (``1 - t`` itself, ``2 - w`` being 0), floored at
    the dtype's tiny so that ``l = 0`` gives a zero term; ``p = q = 0`` gives ``t = 0``, a zero
    term.
    """
    info = jnp.finfo(p.dtype)
    s = jnp.maximum(p + q, info.tiny)  # not halved: (p + q) / 2 underflows near the tiny
    low = jnp.minimum(p, q)
    w = 1 + jnp.minimum(jnp.abs(p - q) / s, 1.0)
    # 2 - w, not 1 - t: exact, and of the same t' as w (1 - t would round t apart a second time).
    # Where w rounds to 2 (the smaller mass below eps/2 of the sum), 2 - w is 0 and 2 l / s is
    # 1 - t itself; floored at tiny, so that l = 0 gives 0 log(tiny) = 0. Disjoint supports
    # then give h log 2, log 2 exactly rounded (JS of [1, 0] and [0, 1] is 1 bit, not 1 - ulp).
    # floor(w - 1) is that case's indicator (w - 1 is exact in [0, 1]), without a comparison:
    # (w == 2) lowers to a select on XLA CPU, and made the whole sum 7 times slower there.
    far = (2 - w) + jnp.floor(w - 1) * (2 * low / s)
    return jnp.sum(
        jnp.maximum(p, q) * jnp.log(w) + low * jnp.log(jnp.maximum(far, info.tiny)), axis=axis
    )


def _js_exact(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """The sum of :func:`js_accurate`, on the upscaled masses (:func:`upscaled_sum`)."""
    return upscaled_sum(js_accurate, p, q, axis=axis)


def _js_coefficients(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(d/dp, d/dq)`` of ``p log(2p/s) + q log(2q/s)``, ``s = p + q``, zero-mass safe.

    On the support of ``p``: ``log(2p/s) + 1 - p/s - q/s = log(2p/s)``. Off it the ``p``-term is
    held at 0 and only the ``q``-term moves: ``-q/s``, which is -1 where ``q > 0`` and 0 where
    ``q = 0`` too. Likewise for ``q``.
    """
    s = p + q
    mp, mq = support_mask(p), support_mask(q)
    coef_p = log_ratio_on(mp, 2 * p, s) - (1 - mp) * mq
    coef_q = log_ratio_on(mq, 2 * q, s) - (1 - mq) * mp
    return coef_p, coef_q


js_sum = certified_sum(
    arity=2,
    fast=[(_fast_then_series(_js_fast, JS_FAST_THRESHOLD, _js_near_sum), not_nan)],
    exact=_js_exact,
    coefficients=_js_coefficients,
    name="js_sum",
    doc=r"""Twice the Jensen-Shannon divergence in nats, ``sum(p log(2p/s) + q log(2q/s))``, s = p + q.

    Every term is non-negative, so no normalisation is needed for the sign. Fast path:
    ``sum h log(w) + l log(2 - w)`` (:func:`_js_fast`: one division, two logarithms),
    returned where it is at least :data:`JS_FAST_THRESHOLD`; then the short series where its
    certificate holds; otherwise the sum of :func:`js_accurate`.
    """,
)


def _gan_terms(p: jax.Array, q: jax.Array) -> jax.Array:
    """``p log1p(q/p) + q log1p(p/q) = -(p log(p/s) + q log(q/s)) >= 0``, ``s = p + q``.

    Each part is :func:`~divergences._src.numerics.xlog1p_ratio`, 0 where its mass is 0: the
    rounded quotient moves ``log1p`` by at most as much relatively (its condition number is below
    1 for positive arguments) and :func:`accurate_log1p` adds about an ulp, so each term is within
    a few ulp however small, e.g. ``q (1 + log(p/q))`` for ``q`` far below ``p``.
    """
    return xlog1p_ratio(p, q) + xlog1p_ratio(q, p)


def _gan_coefficients(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(d/dp, d/dq)`` of ``p log(p/s) + q log(q/s)``: ``log(p/s) = -log1p(q/p)``, zero-mass safe.

    As :func:`_js_coefficients` (whose ``log(2p/s)`` this is less ``log 2``): where ``p = 0 < q``
    the ``p``-term is held at 0 and the ``q``-term's ``-q/s = -1`` remains; 0 where both vanish.
    ``-log1p(q/p)`` rather than ``log(p/s)``, whose quotient underflows where ``p`` is near tiny.
    """
    mp, mq = support_mask(p), support_mask(q)
    coef_p = -accurate_log1p((q * mp) / safe_denominator(p * mp)) - (1 - mp) * mq
    coef_q = -accurate_log1p((p * mq) / safe_denominator(q * mq)) - (1 - mq) * mp
    return coef_p, coef_q


#: The fast GAN sum is returned at or below this (nats): there its error is below 10 ulp.
GAN_FAST_THRESHOLD = -0.125


def _gan_fast(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """``sum p log(p/s) + q log(q/s)`` as written, ``s = p + q``: eleven fused operations.

    Every term has one sign, so only the logarithms' arguments cost more than their own ulps:
    ``fl(p/s)`` moves ``log`` by ``eps/2`` absolutely, ``p eps/2`` in the term; with the logarithm
    and the product, at most ``eps/2 (sum p + sum q) + 2 eps |V|`` in all, a relative
    ``eps (1/|V| + 2)``: 10 ulp at :data:`GAN_FAST_THRESHOLD`. ``max(s, tiny)`` makes ``p = q = 0``
    a zero term; a quotient below ``tiny`` (``p`` near it) is held there, a change of at most
    ``p log 2``, which is below ``tiny`` too.
    """
    tiny = jnp.finfo(p.dtype).tiny
    s = jnp.maximum(p + q, tiny)
    return jnp.sum(
        p * jnp.log(jnp.maximum(p / s, tiny)) + q * jnp.log(jnp.maximum(q / s, tiny)), axis=axis
    )


_LOG4 = math.log(4.0)

gan_sum = certified_sum(
    arity=2,
    fast=[(_gan_fast, lambda value: value <= GAN_FAST_THRESHOLD)],
    exact=lambda p, q, axis: -upscaled_sum(_gan_terms, p, q, axis=axis),
    coefficients=_gan_coefficients,
    finish=lambda value, p, q, axis: into_range(value, -_LOG4, 0.0),
    name="gan_sum",
    doc=r"""The GAN value at the optimal discriminator, ``sum p log(p/s) + q log(q/s)``, ``s = p + q``.

    Fast path: the sum as written (:func:`_gan_fast`), returned at or below
    :data:`GAN_FAST_THRESHOLD`. Otherwise ``-sum p log1p(q/p) + q log1p(p/q)`` (:func:`_gan_terms`)
    on the upscaled masses. Both sum terms of one sign, relatively accurate wherever the value is a
    normal number: the identity
    ``-log 4 + 2 JS`` (equal on pmfs) cancels near disjoint supports, where the value is
    ``-q (1 + log(p/q))`` for a mass ``q`` far below ``p``. In ``[-log 4, 0]``: masses whose
    totals exceed 1 within the tolerance are held at ``-log 4`` (the tangent is the unmoved
    sum's); 0 exactly at disjoint supports. The derivative is :func:`_gan_coefficients`.
    """,
)


def _entropy_fast(p: jax.Array, axis: int) -> jax.Array:
    """``-sum(p log p, axis)`` with ``0 log 0 = 0``: ``max(p, tiny)`` inside the logarithm."""
    tiny = jnp.finfo(p.dtype).tiny
    return -jnp.sum(p * jnp.log(jnp.maximum(p, tiny)), axis=axis)


def _entropy_coefficients(p: jax.Array) -> tuple[jax.Array]:
    """The entropy's derivative, ``-(log p + 1)`` on the support and 0 at ``p = 0``.

    At ``p = 0`` the one-sided ``-inf`` is replaced by 0, the derivative along the face of the
    simplex.
    """
    m = support_mask(p)
    return (-m * (jnp.log(p + (1 - m)) + 1),)


_entropy_sum = certified_sum(
    arity=1,
    exact=_entropy_fast,
    coefficients=_entropy_coefficients,
    name="_entropy_sum",
    doc="``-sum(p log p, axis)`` with ``0 log 0 = 0`` (:func:`_entropy_fast`), no NaN.",
)


def _entropy_in_range(p: jax.Array, axis: int) -> jax.Array:
    """:func:`_entropy_sum` moved into ``[0, log n]``, its range for a pmf of ``n`` masses.

    Masses accepted within the sum tolerance ``t`` can leave it: a single mass ``1 + t`` has
    ``H = -(1 + t) log(1 + t) < 0``, ``n`` masses ``(1 + t)/n`` have ``H = log n + t (log n - 1) +
    O(t^2)``; the value is moved by at most ``t (1 + log n)``, the entropy of a pmf within the
    tolerance of the input.
    """
    return into_range(_entropy_sum(p, axis), 0.0, math.log(p.shape[axis]))


#: ``-sum(p log p, axis)`` in ``[0, log n]`` (see :func:`_entropy_in_range`).
entropy_sum = jax.jit(_entropy_in_range, static_argnums=1)


def _cross_entropy_fast(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """``-sum(p log q, axis)`` as written: NaN where ``p = q = 0``."""
    return -jnp.sum(p * jnp.log(q), axis=axis)


def _cross_entropy_exact(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """``-sum(p log q, axis)``, masked: 0 where ``p = 0``, ``+inf`` where ``q = 0 < p``."""
    mp, mq = support_mask(p), support_mask(q)
    # log 1 = 0 where p = q = 0; log 0 = -inf where q = 0 < p.
    return -jnp.sum(p * jnp.log(q + (1 - mq) * (1 - mp)), axis=axis)


def _cross_entropy_coefficients(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The cross-entropy's derivatives: ``(-log q, -p/q)``, zero-mass safe.

    ``-log q`` also at ``p = 0`` (the sum is linear in ``p``), and 0 where ``q = 0`` too; ``-p/q``
    is 0 where ``p = 0``.
    """
    mp, mq = support_mask(p), support_mask(q)
    qs = q + (1 - mq)
    return -mq * jnp.log(qs), -mp * p / qs


cross_entropy_sum = certified_sum(
    arity=2,
    fast=[(_cross_entropy_fast, not_nan)],
    exact=_cross_entropy_exact,
    coefficients=_cross_entropy_coefficients,
    finish=lambda value, p, q, axis: jnp.maximum(value, _entropy_in_range(p, axis)),
    name="cross_entropy_sum",
    doc="""``-sum(p log q, axis)``: 0 where ``p = 0``, ``+inf`` where ``q = 0 < p``; at least ``H(p)``.

    ``-p log q``, not ``p log(1/q)``: the rounding of ``1/q`` costs up to half an ulp of absolute
    error in the logarithm, which is most of the value where ``q`` is near 1. Every term is
    non-negative for ``q <= 1``, so the sum is relatively accurate. NaN (``0 log 0``) sends the
    sum to the masked kernel. ``H(p, q) - H(p) = sum p log(p/q)`` is ``>= 0`` for pmfs but can be
    ``-log(sum q / sum p) ~ -2t`` for masses accepted within the sum tolerance ``t``: the value is
    at least :func:`_entropy_in_range` (the same kernel as :func:`entropy_sum`), moved by at most
    that.
    """,
)
