r"""Two-sided bounds of KL, chi-square, JS and Hellinger integrals on a strip at a support's end.

Near an end :math:`e` of a beta law's support the density is a power of :math:`u = |x - e|`
that may be singular, and the ball-arithmetic integrator skips the strip :math:`u \le d`
(``Law._ball_strips``). For TV the laws' masses there bound the integral; for
:math:`p\log(p/q)` and :math:`p^2/q` they do not, and the bound is built from envelopes instead.

Each law states its density on a piece ``[a, b]`` of the strip as
:math:`c_-u^\alpha \le p_k \le c_+u^\alpha` (``Law._ball_envelope``: a beta law from its own
formula, any other law from its density's range, :math:`\alpha = 0`). A mixture
:math:`\sum_k w_k p_k` keeps one power: with :math:`\alpha = \min_k \alpha_k` and
:math:`u \le u_b`, :math:`u^{\alpha_k} \le u_b^{\alpha_k - \alpha}u^\alpha`, so
:math:`p \le (\sum_k w_k c_{+,k} u_b^{\alpha_k - \alpha})\,u^\alpha`, and
:math:`p \ge (\sum_{\alpha_k = \alpha} w_k c_{-,k})\,u^\alpha` (:func:`envelope`). Then each
integral is a closed form:

* :math:`\int_{u_a}^{u_b} u^s\,du = \frac{u_b^{s+1} - u_a^{s+1}}{s + 1}` (:math:`s > -1`),
* :math:`\int u^s \log u\,du = \frac{u^{s+1}((s+1)\log u - 1)}{(s+1)^2}`, split at :math:`u = 1`
  where :math:`\log u` changes sign;

KL's integrand :math:`p\log p - p\log q - p + q \ge 0` and chi-square's :math:`p^2/q - 2p + q`
are enclosed term by term (:func:`kl_strip`, :func:`chi_square_strip`), and JS's as half the
sum of the centred KL integrands of ``p`` and ``q`` against :math:`(p + q)/2` (:func:`js_strip`),
Hellinger's as :math:`\tfrac12(p + q) - \sqrt{pq}` (:func:`hellinger_strip`). Both sides are kept: a
strip at a float's resolution from an end (the right end of ``[0, 1]``) may hold a part of the
value that a one-sided bound would leave as the interval's width.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from divergences.continuous._src import ball
from divergences.continuous._src.integrals import active
from divergences.continuous._src.interface import Law, exact_components, support_floats

__all__ = ["Envelope", "chi_square_strip", "envelope", "hellinger_strip", "js_strip", "kl_strip"]


class Envelope(NamedTuple):
    r"""A mixture's density between two powers on ``u`` in ``[u_a, u_b]``.

    Attributes:
      alpha: the exponent, an exact ball.
      lower: :math:`c_- \ge 0` with :math:`c_- u^\alpha \le p`.
      upper: :math:`c_+` with :math:`p \le c_+ u^\alpha` (``inf`` where unbounded).
    """

    alpha: Any
    lower: Any
    upper: Any


def envelope(
    law: Law | list[tuple[float, Law]], end: float, a: float, b: float, ua: Any, ub: Any
) -> Envelope | None:
    r"""The components of ``law`` on ``[a, b]`` as one power of the distance to ``end``.

    None where no component is supported on ``[a, b]``; the distance lies in ``[ua, ub]``.
    :math:`\alpha` is the smallest exponent (the lower end of its ball, where the exponents are
    not exact). A component with a larger exponent adds to the lower constant its own times
    :math:`\min u^{\alpha_k - \alpha}` (0 where ``ua`` is 0).
    """
    arb = ball.arb
    parts = [(arb(w), *c._ball_envelope(end, a, b)) for w, c in active(law, a, b)]
    if not parts:
        return None
    alpha = parts[0][1]
    for _, s, _ in parts[1:]:
        alpha = alpha.min(s)
    alpha = alpha.lower()  # an exact point at or below every exponent, rounded as they may be
    upper, lower = arb(0), arb(0)
    for w, s, c in parts:
        upper += w * c.upper() * ub ** (s - alpha)
        if (s - alpha).is_zero():
            lower += w * c.lower()
        elif not ua.is_zero():
            lower += w * c.lower() * (ua ** (s - alpha)).min(ub ** (s - alpha))
    return Envelope(alpha, lower.lower().max(arb(0)), upper.upper())


def _between(low: Any, high: Any) -> Any:
    """The ball from the lower end of ``low`` to the upper end of ``high``."""
    return low.lower().union(high.upper())


def _power(s: Any, ua: Any, ub: Any) -> Any:
    r""":math:`\int_{u_a}^{u_b} u^s\,du`; ``inf`` where it diverges."""
    arb = ball.arb
    if not s > -1:
        if ua.is_zero():
            return arb("inf")
        if s == -1:
            return (ub / ua).log()
    return (ub ** (s + 1) - (arb(0) if ua.is_zero() else ua ** (s + 1))) / (s + 1)


def _log_power(s: Any, ua: Any, ub: Any) -> tuple[Any, Any]:
    r"""``(negative, positive)`` parts of :math:`\int_{u_a}^{u_b} u^s \log u\,du`, for :math:`s > -1`."""
    arb = ball.arb
    one = arb(1)

    def g(u: Any) -> Any:
        if u.is_zero():
            return arb(0)
        return u ** (s + 1) * ((s + 1) * u.log() - 1) / ((s + 1) ** 2)

    neg = g(ub.min(one)) - g(ua) if ua < one else arb(0)
    pos = g(ub) - g(ua.max(one)) if ub > one else arb(0)
    return neg, pos


class _Moments(NamedTuple):
    r"""Balls around :math:`\int p` and :math:`\int p \log u` over a piece, from an envelope."""

    mass: Any
    log: Any


def _moments(env: Envelope, ua: Any, ub: Any) -> _Moments:
    r"""With :math:`c_-u^\alpha \le p \le c_+u^\alpha`: :math:`\int p` and :math:`\int p\log u`."""
    if not env.alpha > -1:
        inf = ball.arb(0).union(ball.arb("inf"))
        return _Moments(inf, inf - inf)
    power = _power(env.alpha, ua, ub)
    neg, pos = _log_power(env.alpha, ua, ub)
    mass = _between(env.lower * power, env.upper * power)
    # log u <= 0 below 1: there p log u lies between c+ u^a log u and c- u^a log u.
    log = _between(env.upper * neg + env.lower * pos, env.lower * neg + env.upper * pos)
    return _Moments(mass, log)


def _against_log(env: Envelope, m: _Moments) -> Any:
    r"""A ball around :math:`\int p \log r` for a density :math:`r` with envelope ``env``.

    :math:`\log c_- + \alpha\log u \le \log r \le \log c_+ + \alpha\log u` pointwise.
    """
    low = env.lower.log() * m.mass + env.alpha * m.log
    high = env.upper.log() * m.mass + env.alpha * m.log
    if not (low.is_finite() and high.is_finite()):
        return ball.arb(0).union(ball.arb("inf")) - ball.arb(0).union(ball.arb("inf"))
    return _between(low, high)


def _piece(
    p: Law, q: Law, a: float, b: float, *more: list[tuple[float, Law]]
) -> tuple[Any, Any, list[Envelope | None]]:
    """``u_a, u_b`` and the envelopes of ``p``, ``q`` (and ``more``) on ``[a, b]``.

    The distance is to the end of a component's support nearest the piece.
    """
    arb = ball.arb
    ends = {
        e
        for law in (p, q)
        for _, c in exact_components(law)
        for e in support_floats(c)
        if math.isfinite(e)
    }
    end = min(ends, key=lambda e: max(a - e, e - b, 0.0))
    if end <= a:
        ua, ub = arb(a) - end, arb(b) - end
    else:
        ua, ub = end - arb(b), end - arb(a)
    ua, ub = ua.lower().max(arb(0)), ub.upper()
    laws: list[Law | list[tuple[float, Law]]] = [p, q, *more]
    return ua, ub, [envelope(law, end, a, b, ua, ub) for law in laws]


def _finite_or_unbounded(x: Any) -> Any:
    """``x`` clipped below at 0; ``[0, inf]`` where its upper end is not finite."""
    arb = ball.arb
    if not x.upper().is_finite():
        return arb(0).union(arb("inf"))
    low = x.lower() if x.lower().is_finite() else arb(0)
    return low.max(arb(0)).union(x.upper())


def kl_strip(p: Law, q: Law) -> Callable[[float, float], Any]:
    r"""``(a, b)`` -> a ball around :math:`\int_a^b p\log(p/q) - p + q` on a strip at an end.

    :math:`\int p\log p` and :math:`\int p\log q` from the envelopes of ``p`` and ``q``; the
    integrand is :math:`\ge 0`, so is the ball's lower end.
    """

    def bound(a: float, b: float) -> Any:
        ua, ub, (ep, eq) = _piece(p, q, a, b)
        return _finite_or_unbounded(_centred_kl(ep, eq, ua, ub))

    return bound


def _centred_kl(ep: Envelope | None, eq: Envelope | None, ua: Any, ub: Any) -> Any:
    r"""A ball around :math:`\int p\log(p/q) - p + q` over the piece, from the envelopes."""
    if eq is None:  # p lives where q does: a piece outside q is outside p too
        return ball.arb(0)
    mq = _moments(eq, ua, ub).mass
    if ep is None:
        return mq
    mp = _moments(ep, ua, ub)
    return _against_log(ep, mp) - _against_log(eq, mp) - mp.mass + mq


def js_strip(p: Law, q: Law) -> Callable[[float, float], Any]:
    r"""``(a, b)`` -> a ball around JS's integrand's integral on a strip at an end.

    With :math:`m = (p + q)/2`, the integrand :math:`\tfrac12(p\log\frac{p}{m} + q\log\frac{q}{m})`
    is half the sum of the centred KL integrands of ``p`` and of ``q`` against ``m`` (their
    :math:`-p + m` and :math:`-q + m` cancel): two-sided, where the laws' masses on the strip
    bound it on one side only, and a strip next to an end at 1, a float wide, may hold a part of
    the value far above ``rtol``.
    """
    m = [(w / 2, c) for law in (p, q) for w, c in exact_components(law)]

    def bound(a: float, b: float) -> Any:
        ua, ub, (ep, eq, em) = _piece(p, q, a, b, m)
        return _finite_or_unbounded((_centred_kl(ep, em, ua, ub) + _centred_kl(eq, em, ua, ub)) / 2)

    return bound


def chi_square_strip(p: Law, q: Law) -> Callable[[float, float], Any]:
    r"""``(a, b)`` -> a ball around :math:`\int_a^b (p - q)^2/q` on a strip at an end.

    :math:`\frac{c_{p-}^2}{c_{q+}}u^{2\alpha_p - \alpha_q} \le p^2/q \le
    \frac{c_{p+}^2}{c_{q-}}u^{2\alpha_p - \alpha_q}`, integrable where :math:`2\alpha_p - \alpha_q
    > -1` (else the value is infinite, decided before); minus :math:`2\int p`, plus :math:`\int q`.
    """

    def bound(a: float, b: float) -> Any:
        ua, ub, (ep, eq) = _piece(p, q, a, b)
        if eq is None:
            return ball.arb(0)
        mq = _moments(eq, ua, ub).mass
        if ep is None:
            return _finite_or_unbounded(mq)
        power = _power(2 * ep.alpha - eq.alpha, ua, ub)
        if not (power.is_finite() and eq.lower > 0):
            return ball.arb(0).union(ball.arb("inf"))
        square = _between(ep.lower**2 / eq.upper * power, ep.upper**2 / eq.lower * power)
        return _finite_or_unbounded(square - 2 * _moments(ep, ua, ub).mass + mq)

    return bound


def hellinger_strip(p: Law, q: Law) -> Callable[[float, float], Any]:
    r"""``(a, b)`` -> a ball around :math:`\int_a^b \tfrac12(\sqrt p - \sqrt q)^2` on a strip at an end.

    :math:`\tfrac12\int p + \tfrac12\int q - \int\sqrt{pq}`, with
    :math:`\sqrt{c_{p-}c_{q-}}\,u^{(\alpha_p + \alpha_q)/2} \le \sqrt{pq} \le
    \sqrt{c_{p+}c_{q+}}\,u^{(\alpha_p + \alpha_q)/2}`.
    """

    def bound(a: float, b: float) -> Any:
        ua, ub, (ep, eq) = _piece(p, q, a, b)
        masses = [_moments(e, ua, ub).mass for e in (ep, eq) if e is not None]
        half = sum(masses, ball.arb(0)) / 2
        if ep is None or eq is None:
            return _finite_or_unbounded(half)
        power = _power((ep.alpha + eq.alpha) / 2, ua, ub)
        low, high = (ep.lower * eq.lower).sqrt(), (ep.upper * eq.upper).sqrt()
        return _finite_or_unbounded(half - _between(low * power, high * power))

    return bound
