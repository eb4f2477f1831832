r"""The beta law :math:`\mathrm{Beta}(a, b)` carried to ``[low, high]``: all it states.

The density :math:`t^{a-1}(1-t)^{b-1}/B(a, b)`, :math:`t = (x - \text{low})/(\text{high} -
\text{low})`, behaves like a power at each end (``_end_exponents``: :math:`a - 1` and :math:`b - 1`)
and may be unbounded there. In ball arithmetic its distribution function is the regularized
incomplete beta function :math:`I_t(a, b)` (Arb's ``beta_lower``), and KL between two beta laws on
the same interval has a closed form in :math:`\psi` and :math:`\log B`.

References:
  Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, vol. 2, ch. 25, Wiley 1995.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeGuard

import jax
import jax.numpy as jnp
from jax.scipy import special as jsp

from divergences.continuous._src import ball
from divergences.continuous._src.ball import num
from divergences.continuous._src.interface import (
    EDGE_MARKS,
    Law,
    centred_piece,
    check,
    finite,
    param,
    positive,
)

__all__ = ["Beta"]


class Beta(Law):
    r"""The beta law :math:`\mathrm{Beta}(a, b)` carried to ``[low, high]``.

    The density is unbounded at ``low`` when ``a < 1`` (at ``high`` when ``b < 1``).

    Args:
      a: the first shape, finite and > 0.
      b: the second shape, finite and > 0.
      low: the left end, finite; default 0.
      high: the right end, finite and > ``low``; default 1.
    """

    _fields = ("a", "b", "low", "high")
    a: Any
    b: Any
    low: Any
    high: Any

    def __init__(self, a: Any, b: Any, low: Any = 0.0, high: Any = 1.0) -> None:
        a, b = param(a, "a"), param(b, "b")
        low, high = param(low, "low"), param(high, "high")
        positive(a, "a", "a shape of the beta law")
        positive(b, "b", "a shape of the beta law")
        finite(low, "low")
        finite(high, "high")
        check(
            high > low,
            "high must be > low (a beta law on [low, high]), got low={low}, high={high}",
            low=low,
            high=high,
        )
        self._set(a=a, b=b, low=low, high=high)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        width = self.high - self.low
        t = (jnp.asarray(x) - self.low) / width
        # The ends are decided apart, so that no infinite term reaches a gradient (a quadrature
        # node that rounds onto an end has weight 0, but inf * 0 is NaN): the power of the end
        # decides +inf, the constant or -inf there.
        inside = (t > 0) & (t < 1)
        ts = jnp.where(inside, t, 0.5)
        norm = jsp.betaln(self.a, self.b) + jnp.log(width)
        lp = jsp.xlogy(self.a - 1, ts) + jsp.xlog1py(self.b - 1, -ts) - norm
        power = jnp.where(t == 0, self.a - 1, self.b - 1)
        at_end = jnp.where(power == 0, -norm, jnp.where(power < 0, jnp.inf, -jnp.inf))
        at_end = jnp.where((t == 0) | (t == 1), at_end, -jnp.inf)
        return jnp.where(inside, lp, at_end)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        t = jnp.clip((jnp.asarray(x) - self.low) / (self.high - self.low), 0.0, 1.0)
        return jsp.betainc(self.a, self.b, t)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        t = jnp.clip((jnp.asarray(x) - self.low) / (self.high - self.low), 0.0, 1.0)
        return jsp.betainc(self.b, self.a, 1 - t)

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return self.low, self.high

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        t = jax.random.beta(key, self.a, self.b, shape, jnp.result_type(float))
        return self.low + (self.high - self.low) * t

    def _breakpoints(self) -> jax.Array:
        return self.low + (self.high - self.low) * jnp.asarray(EDGE_MARKS)

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("none", None), ("none", None)

    def _end_exponents(self) -> tuple[Any, Any]:
        return self.a - 1, self.b - 1

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return Beta(2.5, 3.5), Beta(3.0, 2.0)

    def _affine(self, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
        return Beta(self.a, self.b, point(self.low), point(self.high))

    def _shift_parts(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (num(self.low), num(self.high)), (num(self.a), num(self.b))

    # --- ball arithmetic -----------------------------------------------------------------------

    def _ball_parameters(self) -> tuple[Any, Any, Any, Any]:
        arb = ball.arb
        lo, hi = arb(num(self.low)), arb(num(self.high))
        return arb(num(self.a)), arb(num(self.b)), lo, hi - lo

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        a, b, lo, w = self._ball_parameters()
        norm = a.lgamma() + b.lgamma() - (a + b).lgamma() + w.log()

        def log_density(x: Any, analytic: bool) -> Any:
            t = (x - lo) / w
            return (
                (a - 1) * t.log(analytic=analytic) + (b - 1) * (1 - t).log(analytic=analytic) - norm
            )

        return log_density

    def _ball_cdf(self, x: Any) -> Any:
        # I_t(a, b) is increasing in t: at a ball, the union of its values at the ends, clipped
        # to [0, 1] where the ball leaves the support.
        a, b, lo, w = self._ball_parameters()
        t = (x - lo) / w
        ends = []
        for e in (t.lower(), t.upper()):
            if e <= 0:
                ends.append(ball.arb(0))
            elif e >= 1:
                ends.append(ball.arb(1))
            else:
                ends.append(e.beta_lower(a, b, regularized=True))
        return ends[0].union(ends[1])

    def _ball_cdf_piece(self, x: Any, a_: float, b_: float, analytic: bool) -> Any:
        a, b, lo, w = self._ball_parameters()
        t = (x - lo) / w
        if analytic and not (t.real > 0 and (1 - t).real > 0):
            return ball.acb("nan")  # a branch point of t^a or (1 - t)^b inside the ball
        if not analytic:  # a real segment of the support: the union at its ends, as above
            if not x.imag.is_zero():
                return ball.acb("nan")
            return ball.acb(self._ball_cdf(x.real))
        # Arb's bound on a wide complex ball is loose: at the centre, plus the mean value term.
        return centred_piece(
            self, x, analytic, lambda c: ((c - lo) / w).beta_lower(a, b, regularized=True)
        )

    def _ball_marks(self) -> list[float]:
        # Geometric towards each end, where the density may be singular: the ends of the pieces
        # the ball-arithmetic integration starts from (as the fast path's panels).
        lo, hi = num(self.low), num(self.high)
        return [lo + (hi - lo) * float(u) for u in EDGE_MARKS]

    def _ball_strips(self, rtol: float) -> list[tuple[float, float]]:
        # At each end the density is ~ t^(s-1) / B(a, b) (s the shape there), so the mass of
        # [0, d] is about d^s / (s B(a, b)): d is chosen for a mass of 1e-12 rtol (as if s were
        # 1 where s > 1, so that the strip is as thin as a bounded density allows: another law
        # puts little mass there too), at most 1e-3 of the width, at least one float past the end.
        lo, hi = num(self.low), num(self.high)
        a, b = num(self.a), num(self.b)
        log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
        strips = []
        for shape, end, inward in ((a, lo, math.inf), (b, hi, -math.inf)):
            power = min(shape, 1.0)
            d = min(math.exp((math.log(1e-12 * rtol) + math.log(shape) + log_beta) / power), 1e-3)
            x = end + math.copysign(d * (hi - lo), inward)
            if x == end:
                x = math.nextafter(end, inward)
            strips.append((min(end, x), max(end, x)))
        return strips

    def _ball_envelope(self, end: float, a: float, b: float) -> tuple[Any, Any]:
        r"""At its left end, :math:`p(x) = u^{a-1}\,w^{-a}(1 - u/w)^{b-1}/B(a, b)`, :math:`u = x - \text{low}`.

        ``w`` is the width: the factor :math:`(1 - u/w)^{b-1}` is analytic on the strip, so its
        range over ``[a, b]`` in ball arithmetic gives the two constants. At the right end the
        same with the shapes swapped; elsewhere the default (exponent 0).
        """
        lo, hi = num(self.low), num(self.high)
        if end not in (lo, hi) or not (lo <= a <= b <= hi):
            return super()._ball_envelope(end, a, b)
        arb = ball.arb
        sa, sb, low, w = self._ball_parameters()
        if end == hi:  # mirrored: u = high - x, the shapes swapped
            sa, sb = sb, sa
            u = (low + w - arb(b)).union(low + w - arb(a))
        else:
            u = (arb(a) - low).union(arb(b) - low)
        other = (sb - 1) * (-(u / w)).log1p()
        c = (other - _log_beta(sa, sb) - sa * w.log()).exp()
        if not c.is_finite():  # the strip reaches the other end: no bound from this side
            return sa - 1, arb(0).union(arb("inf"))
        return sa - 1, c

    def _mirror(self) -> Law:
        return Beta(num(self.b), num(self.a), -num(self.high), -num(self.low))

    def _same_interval(self, other: Law) -> TypeGuard[Beta]:
        """Whether ``other`` is a beta law on the same interval."""
        return type(other) is Beta and (num(self.low), num(self.high)) == (
            num(other.low),
            num(other.high),
        )

    def _ball_chi_square_closed_form(self, other: Law) -> Any:
        r"""Two beta laws on one interval, :math:`2a_p > a_q` and :math:`2b_p > b_q` (else infinite).

        :math:`\int p^2/q - 1 = B(2a_p - a_q, 2b_p - b_q)\,B(a_q, b_q) / B(a_p, b_p)^2 - 1`.
        """
        if not self._same_interval(other):
            return None
        ap, bp, _, _ = self._ball_parameters()
        aq, bq, _, _ = other._ball_parameters()
        log_ratio = _log_beta(2 * ap - aq, 2 * bp - bq) + _log_beta(aq, bq) - 2 * _log_beta(ap, bp)
        return log_ratio.expm1()

    def _ball_kl_closed_form(self, other: Law) -> Any:
        r"""Two beta laws on one interval.

        :math:`\log\frac{B(a_q, b_q)}{B(a_p, b_p)} + (a_p - a_q)\psi(a_p) + (b_p - b_q)\psi(b_p)
        + (a_q - a_p + b_q - b_p)\psi(a_p + b_p)`.
        """
        if not self._same_interval(other):
            return None
        ap, bp, _, _ = self._ball_parameters()
        aq, bq, _, _ = other._ball_parameters()
        return (
            _log_beta(aq, bq)
            - _log_beta(ap, bp)
            + (ap - aq) * ap.digamma()
            + (bp - bq) * bp.digamma()
            + (aq - ap + bq - bp) * (ap + bp).digamma()
        )


def _log_beta(a: Any, b: Any) -> Any:
    r""":math:`\log B(a, b)` of two balls."""
    return a.lgamma() + b.lgamma() - (a + b).lgamma()
