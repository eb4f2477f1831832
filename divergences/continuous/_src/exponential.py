r"""The exponential law of rate :math:`\lambda` on :math:`[c, \infty)`: all it states.

Its left tail is empty (the support starts at ``loc``); its right tail is exponential, in closed
form (mass :math:`e^{-\lambda(t - c)}`, moments by parts).

References:
  Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, vol. 1, ch. 19, Wiley 1994.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from divergences.continuous._src import ball
from divergences.continuous._src.ball import Tail, num
from divergences.continuous._src.interface import (
    EXP_MARKS,
    Law,
    UnboundedLaw,
    finite,
    param,
    positive,
)

__all__ = ["Exponential"]


class Exponential(UnboundedLaw):
    r"""The exponential law of rate :math:`\lambda`, shifted to start at ``loc``.

    Args:
      rate: :math:`\lambda`, finite and > 0 (the mean is ``loc + 1/rate``).
      loc: the left end of the support, finite; default 0.
    """

    _fields = ("rate", "loc")
    rate: Any
    loc: Any

    def __init__(self, rate: Any, loc: Any = 0.0) -> None:
        rate, loc = param(rate, "rate"), param(loc, "loc")
        positive(rate, "rate", "the rate of an exponential law")
        finite(loc, "loc")
        self._set(rate=rate, loc=loc)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        y = jnp.asarray(x) - self.loc
        inside = y >= 0
        return jnp.where(
            inside, jnp.log(self.rate) - self.rate * jnp.where(inside, y, 0.0), -jnp.inf
        )

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        y = jnp.maximum(jnp.asarray(x) - self.loc, 0.0)
        return -jnp.expm1(-self.rate * y)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        y = jnp.maximum(jnp.asarray(x) - self.loc, 0.0)
        return jnp.exp(-self.rate * y)

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return self.loc, jnp.inf

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        return self.loc + jax.random.exponential(key, shape, jnp.result_type(float)) / self.rate

    def _breakpoints(self) -> jax.Array:
        return self.loc + jnp.asarray(EXP_MARKS) / self.rate

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("none", None), ("exp", 1 / self.rate)

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return Exponential(1.5, 0.0), Exponential(0.75, 0.0)

    def _affine(self, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
        return Exponential(self.rate / width(1.0), point(self.loc))

    def _shift_parts(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (num(self.loc),), (num(self.rate),)

    # --- ball arithmetic -----------------------------------------------------------------------

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        lam, loc = ball.arb(num(self.rate)), ball.arb(num(self.loc))
        log_lam = lam.log()
        return lambda x, analytic: log_lam - lam * (x - loc)

    def _ball_density_max(self) -> Any:
        return ball.arb(num(self.rate))

    def _ball_cdf(self, x: Any) -> Any:
        y = (x - ball.arb(num(self.loc))).max(ball.arb(0))
        return -(-ball.arb(num(self.rate)) * y).expm1()

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        return -(-ball.arb(num(self.rate)) * (x - ball.arb(num(self.loc)))).expm1()

    def _ball_marks(self) -> list[float]:
        loc, width = num(self.loc), 1 / num(self.rate)
        return [loc] + [loc + k * width for k in (-5, 0, 5)]

    def _ball_tail_start(self, *, left: bool) -> float:
        return -math.inf if left else num(self.loc)

    def _ball_tail(self, t: float, *, left: bool) -> Tail:
        if left:
            return ball.empty_tail()
        arb = ball.arb
        lam, loc, tt = arb(num(self.rate)), arb(num(self.loc)), arb(t)
        e = (-lam * (tt - loc)).exp()
        m1 = e * (tt + 1 / lam)
        zero = arb(0)
        env = (lam * abs(loc) + abs(lam.log()), lam, zero, zero)
        return Tail(e, m1, e * (tt * tt + 2 * tt / lam + 2 / (lam * lam)), m1, env, lam.log())

    def _ball_truncation(self, rtol: float, *, left: bool) -> float:
        if left:
            return -math.inf
        loc = num(self.loc)
        return max(loc, loc + (math.log(1e12 / rtol) + 5) / num(self.rate))
