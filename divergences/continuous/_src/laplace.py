r"""The Laplace law, density :math:`\frac{1}{2b} e^{-|x - \mu|/b}`: all it states.

Tails: exponential, in closed form (mass :math:`\tfrac12 e^{-(t-\mu)/b}`, moments by parts).

References:
  Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, vol. 2, ch. 24, Wiley 1995.
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
    SYM_EXP_MARKS,
    Law,
)
from divergences.continuous._src.location_scale import LocationScaleLaw

__all__ = ["Laplace"]


class Laplace(LocationScaleLaw):
    r"""The Laplace law, density :math:`\frac{1}{2b} e^{-|x - \mu|/b}`.

    Args:
      loc: the centre :math:`\mu`, finite.
      scale: :math:`b`, finite and > 0.
    """

    _scale_is = "the scale b"
    _marks = SYM_EXP_MARKS

    def __init__(self, loc: Any, scale: Any) -> None:
        super().__init__(loc, scale)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        return -jnp.abs((jnp.asarray(x) - self.loc) / self.scale) - jnp.log(2 * self.scale)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        z = (jnp.asarray(x) - self.loc) / self.scale
        half_tail = 0.5 * jnp.exp(-jnp.abs(z))
        return jnp.where(z < 0, half_tail, 1 - half_tail)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        z = (jnp.asarray(x) - self.loc) / self.scale
        half_tail = 0.5 * jnp.exp(-jnp.abs(z))
        return jnp.where(z > 0, half_tail, 1 - half_tail)

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        return self.loc + self.scale * jax.random.laplace(key, shape, jnp.result_type(float))

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("exp", self.scale), ("exp", self.scale)

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return Laplace(0.5, 1.5), Laplace(-1.0, 0.75)

    # --- ball arithmetic -----------------------------------------------------------------------

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        mu, b = ball.arb(num(self.loc)), ball.arb(num(self.scale))
        const = (2 * b).log()

        def log_density(x: Any, analytic: bool) -> Any:
            return -((x - mu) / b).real_abs(analytic=analytic) - const

        return log_density

    def _ball_density_max(self) -> Any:
        return 1 / (2 * ball.arb(num(self.scale)))

    def _ball_cdf(self, x: Any) -> Any:
        arb = ball.arb
        z = (x - arb(num(self.loc))) / arb(num(self.scale))
        if z < 0:
            return z.exp() / 2
        if z >= 0:
            return 1 - (-z).exp() / 2
        return arb(0.5).union(z.exp() / 2).union(1 - (-z).exp() / 2)

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        mu = num(self.loc)
        z = (x - ball.arb(mu)) / ball.arb(num(self.scale))
        if b <= mu:
            return z.exp() / 2
        return 1 - (-z).exp() / 2

    def _right_tail(self, t: float) -> Tail:
        arb = ball.arb
        mu, b, tt = arb(num(self.loc)), arb(num(self.scale)), arb(t)
        e = (-(tt - mu) / b).exp() / 2
        zero = arb(0)
        env = (abs(mu) / b + abs((2 * b).log()), 1 / b, zero, zero)
        m1 = e * (tt + b)
        return Tail(e, m1, e * (tt * tt + 2 * b * tt + 2 * b * b), m1, env, -(2 * b).log())

    def _tail_reach(self, rtol: float) -> float:
        return math.log(1e12 / rtol) + 5
