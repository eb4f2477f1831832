r"""Bounds of the certified integrals beyond the integrated pieces, from the laws' own bounds.

:func:`tails` gathers a law's bounds on a tail (mixtures included: moments add up with the
weights); :func:`law_mass` bounds the mass on a strip; :class:`MassBound` is the bound of an
integrand at most a factor times ``p + q``, on a tail and on a strip.
"""

from __future__ import annotations

from typing import Any

from divergences.continuous._src import ball
from divergences.continuous._src.ball import Tail, load_flint
from divergences.continuous._src.interface import Law, exact_components

__all__ = ["MassBound", "dot", "law_mass", "mass_tails", "tails"]


def law_mass(law: Law, a: float, b: float) -> Any:
    """An upper bound (the upper end of a ball) of the mass ``law`` puts on ``[a, b]``."""
    return sum((ball.arb(w) * c._ball_mass(a, b) for w, c in exact_components(law)), ball.arb(0))


def tails(law: Law, t: float, left: bool) -> Tail:
    r"""Bounds on ``[t, inf)`` (``left``: on ``(-inf, -t]``) for a law, mixtures included.

    Moments add up with the weights; the envelope of :math:`-\log p` is that of the component
    with the slowest decay plus :math:`-\log w_k` (since :math:`p \ge w_k p_k`); the density
    bound is :math:`\sum_k w_k \max p_k`, each component's from its tail's own ``log_max``
    (the one place a law states it there).
    """
    arb = ball.arb
    zero = arb(0)
    parts = []
    dmax = zero
    for w, c in exact_components(law):
        tl = c._ball_tail(t, left=left)
        parts.append((arb(w), tl))
        if not tl.m0.is_zero():
            dmax += arb(w) * tl.log_max.exp()
    m0 = sum((w * tl.m0 for w, tl in parts), zero)
    live = [(w, tl) for w, tl in parts if not tl.m0.is_zero()]
    m1 = sum((w * tl.m1 for w, tl in live), zero)
    m2 = sum((w * tl.m2 for w, tl in live), zero)
    mlog = sum((w * tl.mlog for w, tl in live), zero)
    if not live:
        inf = arb("inf")
        return Tail(zero, zero, zero, zero, (inf, inf, inf, inf), -inf)

    def slowness(item: tuple[Any, Tail]) -> tuple[float, float, float]:
        e = item[1].envelope
        return (float(e[2].upper()), float(e[1].upper()), float(e[3].upper()))

    wb, best = min(live, key=slowness)
    env = (best.envelope[0] + abs(wb.log()), *best.envelope[1:])
    return Tail(m0, m1, m2, mlog, env, dmax.log())


def dot(env: tuple[Any, ...], tl: Any) -> Any:
    """``sum_j env_j * moment_j`` with ``0 * inf = 0``."""
    arb = load_flint().arb
    total = arb(0)
    for c, m in zip(env, (tl.m0, tl.m1, tl.m2, tl.mlog), strict=True):
        if c != 0:
            total += c * m
    return total


class MassBound:
    """A bound ``factor`` times the two laws' mass, on a tail and on a strip.

    For an integrand at most ``factor (p + q)``: the JS, Hellinger and TV summands.
    """

    def __init__(self, p: Law, q: Law, factor: float) -> None:
        self.p, self.q, self.factor = p, q, factor

    def __call__(self, t: float, left: bool) -> Any:
        """On the tail beyond ``t`` (``left``: below ``-t``)."""
        return self.factor * (tails(self.p, t, left).m0 + tails(self.q, t, left).m0)

    def strip(self, a: float, b: float) -> Any:
        """On the strip ``[a, b]``: a ball from 0 to the bound."""
        return ball.arb(0).union(self.factor * (law_mass(self.p, a, b) + law_mass(self.q, a, b)))


def mass_tails(p: Law, q: Law, factor: float) -> MassBound:
    """The bound of an integrand at most ``factor (p + q)`` beyond the integrated pieces."""
    return MassBound(p, q, factor)
