r"""The laws in ball arithmetic (python-flint): what the certified path needs, keyed by law type.

For each component law (not a mixture) this module gives, from the law's float parameters taken
as exact binary numbers:

* ``log_density(c, x, analytic)``: :math:`\log p(x)` for a complex ball ``x`` on a stretch where
  ``c`` is positive (inside its support), honouring Arb's ``analytic`` flag (Johansson 2018);
* ``cdf(c, x)`` and ``sf(c, x)``: rigorous enclosures at a real ball;
* ``tail(c, t)``: on the right tail :math:`[t, \infty)` (``t >= 1`` and past the centre), upper
  bounds of :math:`\int p`, :math:`\int x p`, :math:`\int x^2 p` and :math:`\int \log(x) p`
  (``inf`` where the moment is), and an envelope
  :math:`-\log p(x) \le c_0 + c_1 x + c_2 x^2 + c_3 \log x` with non-negative coefficients, and
  :math:`\log \max p`. The left tail is the right tail of the reflected law (:func:`reflect`).

Only the certified path imports it (it imports python-flint at import).

References:
  F. Johansson, *Numerical integration in arbitrary-precision ball arithmetic*, ICMS 2018,
  LNCS 10931, pp. 255-263 (the algorithm behind ``acb.integral``).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from flint import acb, arb

from divergences.continuous.laws import (
    Beta,
    Cauchy,
    Exponential,
    Laplace,
    Law,
    Mixture,
    Normal,
    StudentT,
    Uniform,
)

INF = arb("inf")


def num(x: Any) -> float:
    """A parameter leaf as a Python float (exact: the float64 the law holds)."""
    return float(np.asarray(x, dtype=np.float64))


def components(law: Law) -> list[tuple[float, Law]]:
    """``[(weight, component)]``, weights as exact floats."""
    if isinstance(law, Mixture):
        w = np.asarray(law.weights, dtype=np.float64)
        return [(float(w[k]), c) for k, c in enumerate(law.components)]
    return [(1.0, law)]


def support(c: Law) -> tuple[float, float]:
    """The support ``[lo, hi]`` of a component, exact floats (``+-inf`` allowed)."""
    if isinstance(c, Uniform | Beta):
        return num(c.low), num(c.high)
    if isinstance(c, Exponential):
        return num(c.loc), math.inf
    return -math.inf, math.inf


def centre_and_width(c: Law) -> tuple[float, float]:
    """A centre and a width of the bulk of a component (for the layout of the integral)."""
    if isinstance(c, Normal | Laplace | Cauchy | StudentT):
        return num(c.loc), num(c.scale)
    if isinstance(c, Exponential):
        return num(c.loc), 1 / num(c.rate)
    lo, hi = support(c)
    return 0.5 * (lo + hi), hi - lo


def _t_const(nu: arb) -> arb:
    r""":math:`\Gamma((\\nu+1)/2) / (\sqrt{\nu\pi}\,\Gamma(\nu/2))`."""
    return ((nu + 1) / 2).gamma() / ((nu * arb.pi()).sqrt() * (nu / 2).gamma())


def log_density_fn(c: Law) -> Any:
    """``(x, analytic) -> log p(x)`` for a component, its constants computed once."""
    if isinstance(c, Normal):
        mu, s = arb(num(c.loc)), arb(num(c.scale))
        inv = 1 / s
        const = (s * (2 * arb.pi()).sqrt()).log()

        def normal(x: acb, analytic: bool) -> acb:
            z = (x - mu) * inv
            return -z * z / 2 - const

        return normal
    if isinstance(c, StudentT | Cauchy):
        nu = arb(1.0) if isinstance(c, Cauchy) else arb(num(c.df))
        mu, s = arb(num(c.loc)), arb(num(c.scale))
        inv = 1 / s
        const = (_t_const(nu) / s).log()
        half = (nu + 1) / 2

        def student(x: acb, analytic: bool) -> acb:
            z = (x - mu) * inv
            return const - half * (1 + z * z / nu).log(analytic=analytic)

        return student
    return lambda x, analytic: log_density(c, x, analytic)


def log_density(c: Law, x: acb, analytic: bool) -> acb:
    r""":math:`\log p(x)` on a stretch inside the component's support (analytic there)."""
    if isinstance(c, Normal):
        mu, s = arb(num(c.loc)), arb(num(c.scale))
        z = (x - mu) / s
        return -z * z / 2 - (s * (2 * arb.pi()).sqrt()).log()
    if isinstance(c, Laplace):
        mu, b = arb(num(c.loc)), arb(num(c.scale))
        return -((x - mu) / b).real_abs(analytic=analytic) - (2 * b).log()
    if isinstance(c, Uniform):
        return acb(-(arb(num(c.high)) - arb(num(c.low))).log())
    if isinstance(c, Exponential):
        lam = arb(num(c.rate))
        return lam.log() - lam * (x - arb(num(c.loc)))
    if isinstance(c, Beta):
        a, b = arb(num(c.a)), arb(num(c.b))
        lo, hi = arb(num(c.low)), arb(num(c.high))
        w = hi - lo
        t = (x - lo) / w
        norm = a.lgamma() + b.lgamma() - (a + b).lgamma() + w.log()
        return (a - 1) * t.log(analytic=analytic) + (b - 1) * (1 - t).log(analytic=analytic) - norm
    if isinstance(c, StudentT | Cauchy):
        nu = arb(1.0) if isinstance(c, Cauchy) else arb(num(c.df))
        mu, s = arb(num(c.loc)), arb(num(c.scale))
        z = (x - mu) / s
        return (_t_const(nu) / s).log() - (nu + 1) / 2 * (1 + z * z / nu).log(analytic=analytic)
    raise ValueError(f"unsupported law {c!r}")


def density_bound(c: Law) -> arb:
    """An upper bound of the density (``inf`` for a beta law with a shape below 1)."""
    if isinstance(c, Normal):
        return 1 / (arb(num(c.scale)) * (2 * arb.pi()).sqrt())
    if isinstance(c, Laplace):
        return 1 / (2 * arb(num(c.scale)))
    if isinstance(c, Uniform):
        return 1 / (arb(num(c.high)) - arb(num(c.low)))
    if isinstance(c, Exponential):
        return arb(num(c.rate))
    if isinstance(c, StudentT | Cauchy):
        nu = arb(1.0) if isinstance(c, Cauchy) else arb(num(c.df))
        return _t_const(nu) / arb(num(c.scale))
    return INF


def cdf(c: Law, x: arb) -> arb:
    """:math:`F(x)` at a real ball ``x``."""
    if isinstance(c, Normal):
        z = (x - arb(num(c.loc))) / arb(num(c.scale))
        return (-z / arb(2).sqrt()).erfc() / 2
    if isinstance(c, Laplace):
        z = (x - arb(num(c.loc))) / arb(num(c.scale))
        if z < 0:
            return z.exp() / 2
        if z >= 0:
            return 1 - (-z).exp() / 2
        return arb(0.5).union(z.exp() / 2).union(1 - (-z).exp() / 2)
    if isinstance(c, Uniform):
        lo, hi = arb(num(c.low)), arb(num(c.high))
        t = (x - lo) / (hi - lo)
        return t.max(arb(0)).min(arb(1))
    if isinstance(c, Exponential):
        y = (x - arb(num(c.loc))).max(arb(0))
        return -(-arb(num(c.rate)) * y).expm1()
    if isinstance(c, Cauchy):
        z = (x - arb(num(c.loc))) / arb(num(c.scale))
        return arb(0.5) + z.atan() / arb.pi()
    raise NotImplementedError(
        f"a certified distribution function of {type(c).__name__} is not available"
    )


def sf(c: Law, x: arb) -> arb:
    """:math:`1 - F(x)` at a real ball ``x`` (accurate in the right tail)."""
    return cdf(reflect(c), -x)


def reflect(c: Law) -> Law:
    """The law of :math:`-X` (for an exponential law: its reflection's tails are all it needs)."""
    if isinstance(c, Normal | Laplace | Cauchy):
        return type(c)(-num(c.loc), num(c.scale))
    if isinstance(c, StudentT):
        return StudentT(num(c.df), -num(c.loc), num(c.scale))
    if isinstance(c, Uniform):
        return Uniform(-num(c.high), -num(c.low))
    if isinstance(c, Beta):
        return Beta(num(c.b), num(c.a), -num(c.high), -num(c.low))
    if isinstance(c, Exponential):
        return _Reflected(c)
    raise ValueError(f"unsupported law {c!r}")


class _Reflected(Law):
    """The reflection of an exponential law (support ``(-inf, -loc]``): used for its tails only."""

    _fields = ("law",)
    law: Exponential

    def __init__(self, law: Exponential) -> None:
        self._set(law=law)


class Tail(NamedTuple):
    """Bounds on the right tail ``[t, inf)``: moments (upper bounds) and the envelope."""

    m0: arb
    m1: arb
    m2: arb
    mlog: arb
    envelope: tuple[arb, arb, arb, arb]  # c0 + c1 x + c2 x^2 + c3 log x >= -log p, all >= 0
    log_max: arb  # log of an upper bound of the density


_ZERO = arb(0)


def tail_start(c: Law) -> float:
    """The smallest ``t`` at which :func:`tail` applies to the right tail of ``c``."""
    if isinstance(c, Normal | Laplace):
        return num(c.loc)
    if isinstance(c, StudentT | Cauchy):
        return num(c.loc) + max(num(c.scale), 1.0)
    if isinstance(c, Exponential):
        return num(c.loc)
    if isinstance(c, _Reflected):
        return -math.inf
    return support(c)[1]


def tail(c: Law, t: float) -> Tail:
    """Bounds on ``[t, inf)`` for a component; ``t >= max(1, tail_start(c))``."""
    tt = arb(t)
    zero_env = (_ZERO, _ZERO, _ZERO, _ZERO)
    if isinstance(c, _Reflected) or (isinstance(c, Uniform | Beta) and t >= support(c)[1]):
        return Tail(_ZERO, _ZERO, _ZERO, _ZERO, zero_env, -INF)
    if isinstance(c, Normal):
        mu, s = arb(num(c.loc)), arb(num(c.scale))
        z0 = (tt - mu) / s
        q = (z0 / arb(2).sqrt()).erfc() / 2
        phi = (-z0 * z0 / 2).exp() / (2 * arb.pi()).sqrt()
        m1 = mu * q + s * phi
        m2 = mu * mu * q + 2 * mu * s * phi + s * s * (z0 * phi + q)
        lc = (s * (2 * arb.pi()).sqrt()).log()
        env = (mu * mu / (s * s) + abs(lc), _ZERO, 1 / (s * s), _ZERO)
        return Tail(q, m1, m2, m1, env, -lc)
    if isinstance(c, Laplace):
        mu, b = arb(num(c.loc)), arb(num(c.scale))
        e = (-(tt - mu) / b).exp() / 2
        env = (abs(mu) / b + abs((2 * b).log()), 1 / b, _ZERO, _ZERO)
        m1 = e * (tt + b)
        return Tail(e, m1, e * (tt * tt + 2 * b * tt + 2 * b * b), m1, env, -(2 * b).log())
    if isinstance(c, Exponential):
        lam, loc = arb(num(c.rate)), arb(num(c.loc))
        e = (-lam * (tt - loc)).exp()
        m1 = e * (tt + 1 / lam)
        env = (lam * abs(loc) + abs(lam.log()), lam, _ZERO, _ZERO)
        return Tail(e, m1, e * (tt * tt + 2 * tt / lam + 2 / (lam * lam)), m1, env, lam.log())
    if isinstance(c, StudentT | Cauchy):
        nu = arb(1.0) if isinstance(c, Cauchy) else arb(num(c.df))
        mu, s = arb(num(c.loc)), arb(num(c.scale))
        const = _t_const(nu)
        k = const * nu ** ((nu + 1) / 2) * s**nu
        u0 = tt - mu  # >= max(s, 1)
        m0 = k * u0 ** (-nu) / nu
        m1 = k * u0 ** (1 - nu) / (nu - 1) + abs(mu) * m0 if nu > 1 else INF
        m2 = 2 * k * u0 ** (2 - nu) / (nu - 2) + 2 * mu * mu * m0 if nu > 2 else INF
        mlog = k * u0 ** (-nu) * (u0.log() / nu + 1 / (nu * nu)) + abs(mu) / u0 * m0
        lc = (const / s).log()
        env = (
            abs(lc) + (nu + 1) / 2 * (1 + (1 + abs(mu)) ** 2 / (s * s)).log(),
            _ZERO,
            _ZERO,
            nu + 1,
        )
        return Tail(m0, m1, m2, mlog, env, lc)
    raise ValueError(f"no tail bounds for {c!r} at {t}")


def law_tail(law: Law, t: float, *, left: bool) -> Tail:
    r"""Bounds on ``[t, inf)`` (``left``: on ``(-inf, -t]``) for a law, mixtures included.

    Moments add up with the weights; the envelope of :math:`-\log p` is that of the component
    with the slowest decay plus :math:`-\\log w_k` (since :math:`p \ge w_k p_k`); the density
    bound is :math:`\sum_k w_k \max p_k`.
    """
    parts = []
    dmax = _ZERO
    for w, c in components(law):
        cc = reflect(c) if left else c
        tl = tail(cc, t)
        parts.append((arb(w), tl))
        if not tl.m0.is_zero():
            dmax += arb(w) * density_bound(c)
    m0 = sum((w * tl.m0 for w, tl in parts), _ZERO)
    m1 = sum((w * tl.m1 if not tl.m0.is_zero() else _ZERO for w, tl in parts), _ZERO)
    m2 = sum((w * tl.m2 if not tl.m0.is_zero() else _ZERO for w, tl in parts), _ZERO)
    mlog = sum((w * tl.mlog if not tl.m0.is_zero() else _ZERO for w, tl in parts), _ZERO)
    live = [(w, tl) for w, tl in parts if not tl.m0.is_zero()]
    if not live:
        return Tail(_ZERO, _ZERO, _ZERO, _ZERO, (INF, INF, INF, INF), -INF)

    def slowness(item: tuple[arb, Tail]) -> tuple[float, float, float]:
        e = item[1].envelope
        return (float(e[2].upper()), float(e[1].upper()), float(e[3].upper()))

    wb, best = min(live, key=slowness)
    env = (best.envelope[0] + abs(wb.log()), *best.envelope[1:])
    return Tail(m0, m1, m2, mlog, env, dmax.log())
