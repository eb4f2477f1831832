r"""Each certified quantity's integral over the line, as an Arb ball.

The integrand of each quantity on balls (its term of :mod:`divergences._src.terms`, written on the
log densities, with the ``analytic`` flag where it has a branch point), its tail bound and its
bound on a strip at a beta law's end (:mod:`~divergences.continuous._src.strips`), handed to
:func:`~divergences.continuous._src.integrals.integral`: JS, KL, total variation (with the laws'
common part left out), the squared Hellinger distance and Pearson's chi-square (its tails bounded
for Gaussian tails).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from divergences._src import terms
from divergences.continuous._src import strips
from divergences.continuous._src.ball import ball_exp, load_flint, num
from divergences.continuous._src.common_part import same_law, without_common_part
from divergences.continuous._src.effort import Tolerance
from divergences.continuous._src.integrals import (
    active,
    density_floats,
    integral,
    mixture_log_density,
    sum_pieces,
)
from divergences.continuous._src.interface import Law, exact_components
from divergences.continuous._src.tail_bounds import dot, mass_tails, tails

__all__ = ["chi_ball", "js_ball", "kl_ball", "sqh_ball", "tv_ball"]


def _ops(log2: Any = None) -> tuple[Any, Any]:
    """The term operations on balls (:func:`divergences._src.terms.ball_ops`), by ``analytic``."""
    return terms.ball_ops(log2, False), terms.ball_ops(log2, True)


def js_ball(p: Law, q: Law, tol: Tolerance) -> Any:
    flint = load_flint()
    if same_law(p, q):
        return flint.arb(0)
    log2 = flint.arb(2).log()
    ops = _ops(log2)

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return 0.5 * log2 * ball_exp(lp if lq is None else lq)
        return terms.JENSEN_SHANNON.on_logs(lp, lq, ops[an]) / 2  # its term is twice JS's

    tail = mass_tails(p, q, 0.5 * math.log(2) * (1 + 1e-15))
    return integral(p, q, h, tail, tol, strip_bound=strips.js_strip(p, q))


def kl_ball(p: Law, q: Law, tol: Tolerance) -> Any:
    ops = _ops()

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None:
            return lq.exp()
        return terms.KL.on_logs(lp, lq, ops[an])

    def bound(t: float, left: bool) -> Any:
        tp, tq = tails(p, t, left), tails(q, t, left)
        arb = load_flint().arb
        if tp.m0.is_zero():
            return tq.m0
        env = tuple(ep + eq for ep, eq in zip(tp.envelope, tq.envelope, strict=True))
        extra = tp.log_max.max(arb(0)) + tq.log_max.max(arb(0))
        env = (env[0] + extra, *env[1:])
        # |p log p - p log q| + p + q integrated over the tail.
        return dot(env, tp) + tp.m0 + tq.m0

    return integral(p, q, h, bound, tol, strip_bound=strips.kl_strip(p, q))


def tv_ball(p: Law, q: Law, tol: Tolerance) -> Any:
    """``1/2 int |P - Q|`` with the common part of ``p`` and ``q`` left out exactly."""
    big_p, big_q = without_common_part(p, q)
    if not big_p and not big_q:  # the same law: 0 exactly
        return load_flint().arb(0)

    ops = _ops()

    def h(lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return (lp if lq is None else lq).exp() / 2
        return terms.TOTAL_VARIATION.on_logs(lp, lq, ops[an])

    def piece(a: float, b: float) -> Callable[[Any, bool], Any] | None:
        lp, lq = mixture_log_density(active(big_p, a, b)), mixture_log_density(active(big_q, a, b))
        if lp is None and lq is None:
            return None
        return lambda x, an: h(
            None if lp is None else lp(x, an), None if lq is None else lq(x, an), an
        )

    dp, dq = density_floats(big_p), density_floats(big_q)

    def crossing(x: np.ndarray) -> np.ndarray:
        return dp(x) - dq(x)

    return sum_pieces(p, q, piece, mass_tails(p, q, 0.5), tol, crossing=crossing)


def sqh_ball(p: Law, q: Law, tol: Tolerance) -> Any:
    ops = _ops()

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return (lp if lq is None else lq).exp() / 2
        # The squared Hellinger term sums to twice the squared distance.
        return terms.SQUARED_HELLINGER.on_logs(lp, lq, ops[an]) / 2

    return integral(p, q, h, mass_tails(p, q, 0.5), tol, strip_bound=strips.hellinger_strip(p, q))


def chi_ball(p: Law, q: Law, tol: Tolerance) -> Any:
    ops = _ops()

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None:
            return lq.exp()
        return terms.PEARSON.on_logs(lp, lq, ops[an])

    tail = lambda t, left: _chi_tail(p, q, t, left)  # noqa: E731
    return integral(p, q, h, tail, tol, strip_bound=strips.chi_square_strip(p, q))


def _chi_tail(p: Law, q: Law, t: float, left: bool) -> Any:
    """Bound of the tail of (p - q)^2 / q <= p^2 / q + q, Gaussian components only."""
    arb = load_flint().arb
    qn: list[tuple[float, Any]] = [(w, c) for w, c in exact_components(q) if _gaussian(c)]
    pu: list[tuple[float, Any]] = [
        (w, c) for w, c in exact_components(p) if any(kind != "none" for kind, _ in c._tails())
    ]
    if any(not _gaussian(c) for _, c in pu) or (pu and not qn):
        raise NotImplementedError("a certified chi_square with tails that are not Gaussian")
    total = tails(q, t, left).m0
    if not pu:
        return total
    wk, k = max(qn, key=lambda wc: num(wc[1].scale))
    sign = -1.0 if left else 1.0
    mk, sk = arb(sign * num(k.loc)), arb(num(k.scale))
    tt = arb(t)
    for w, c in pu:
        mi, si = arb(sign * num(c.loc)), arb(num(c.scale))
        # p_i^2 / q_k = C exp(-a x^2 + b x + c0), integrated over [t, inf) with erfc.
        a = 1 / (si * si) - 1 / (2 * sk * sk)
        if not a > 0:
            return arb("inf")
        b = 2 * mi / (si * si) - mk / (sk * sk)
        c0 = -mi * mi / (si * si) + mk * mk / (2 * sk * sk)
        pref = sk / (si * si * (2 * arb.pi()).sqrt())
        integral = (
            (c0 + b * b / (4 * a)).exp()
            * (arb.pi() / a).sqrt()
            / 2
            * ((a.sqrt()) * (tt - b / (2 * a))).erfc()
        )
        total += arb(w) / arb(wk) * pref * integral
    return total


def _gaussian(c: Law) -> bool:
    """Whether both tails of a component are Gaussian (a normal law: ``loc`` and ``scale``)."""
    return all(kind == "gauss" for kind, _ in c._tails())
