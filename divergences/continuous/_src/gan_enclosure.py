r"""The certified GAN value :math:`\int p\log D + \int q \log(1 - D)` at one tolerance.

At the optimal discriminator, :math:`2\,\mathrm{JS}(p \| q) - \log 4`; for a logistic
discriminator :math:`D = \sigma(wx + b)`, the integral of
:math:`-p\,\mathrm{softplus}(-(wx+b)) - q\,\mathrm{softplus}(wx+b)`, its tails bounded with
:math:`\mathrm{softplus}(y) \le |y| + \log 2` and first moments, and on a strip at a beta law's
end by the same bound times the laws' masses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from divergences.continuous._src.ball import load_flint
from divergences.continuous._src.effort import Precision, Tolerance
from divergences.continuous._src.enclosure import ARB, Enclosure, enclosure_of, infinite
from divergences.continuous._src.infinite import logistic_infinite
from divergences.continuous._src.integrals import integral
from divergences.continuous._src.interface import Law
from divergences.continuous._src.tail_bounds import law_mass, tails
from divergences.continuous._src.term_integrals import js_ball

__all__ = ["gan_enclosure"]


def gan_enclosure(p: Law, q: Law, tol: Tolerance, d: Any) -> Enclosure:
    if isinstance(d, str) and d == "optimal":
        with Precision(tol.rtol):
            ball = 2 * js_ball(p, q, tol) - 2 * load_flint().arb(2).log()
            return enclosure_of(ball, ARB, -2 * math.log(2) * (1 + 1e-15), 0.0)
    if bool(logistic_infinite(p, q, d)):
        return infinite(-1.0, "tails")
    with Precision(tol.rtol):
        flint = load_flint()
        arb, acb = flint.arb, flint.acb
        wt, bs = arb(float(np.asarray(d.weight))), arb(float(np.asarray(d.bias)))

        def softplus(y: Any, an: bool) -> Any:
            # log(1 + e^y), for y of either sign without overflow.
            if y.real > 0:
                return y + (1 + (-y).exp()).log(analytic=an)
            return (1 + y.exp()).log(analytic=an)

        def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
            y = wt * x + bs
            out = acb(0)
            if lp is not None:
                out -= lp.exp() * softplus(-y, an)
            if lq is not None:
                out -= lq.exp() * softplus(y, an)
            return out

        def bound(t: float, left: bool) -> Any:
            tp, tq = tails(p, t, left), tails(q, t, left)
            c = abs(bs) + arb(2).log()
            return c * (tp.m0 + tq.m0) + abs(wt) * (
                (0 if tp.m0.is_zero() else tp.m1) + (0 if tq.m0.is_zero() else tq.m1)
            )

        strip = _softplus_strip_bound(p, q, wt, bs)
        ball = integral(p, q, h, bound, tol, sign=-1.0, strip_bound=strip)
        return enclosure_of(ball, ARB, hi_clip=0.0)


def _softplus_strip_bound(p: Law, q: Law, wt: Any, bs: Any) -> Callable[[float, float], Any]:
    r"""``(a, b)`` -> a ball around the GAN integrand's integral on a strip ``[a, b]`` at an end.

    There :math:`\mathrm{softplus}(\pm y) \le |y| + \log 2 \le |w| \max(|a|, |b|) + |b| +
    \log 2` for :math:`y = wx + b`, times the two laws' masses.
    """
    arb = load_flint().arb

    def strip(a: float, b: float) -> Any:
        c = abs(wt) * max(abs(a), abs(b)) + abs(bs) + arb(2).log()
        return arb(0).union(-c * (law_mass(p, a, b) + law_mass(q, a, b)))

    return strip
