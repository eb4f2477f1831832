r"""The logistic law, density :math:`\frac{e^{-z}}{s(1 + e^{-z})^2}`, :math:`z = (x - \mu)/s`.

Its distribution function is the sigmoid :math:`F(x) = 1/(1 + e^{-z})`; its tails are
exponential: on :math:`[t, \infty)`, :math:`t \ge \mu`, the density is at most
:math:`e^{-z}/s`, which bounds the tail's mass (:math:`1 - F(t) \le e^{-z_0}`) and moments as
for a Laplace law, and :math:`-\log p \le z + 2\log 2 + \log s` there.

References:
  Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, vol. 2, ch. 23, Wiley 1995.
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

__all__ = ["Logistic"]


class Logistic(LocationScaleLaw):
    r"""The logistic law, density :math:`\frac{e^{-z}}{s(1 + e^{-z})^2}`, :math:`z = (x - \mu)/s`.

    Its mean is :math:`\mu`, its variance :math:`s^2\pi^2/3`; it is the law of
    :math:`\mu + s\log(U/(1 - U))` for a uniform :math:`U`.

    Args:
      loc: the centre :math:`\mu`, finite; default 0.
      scale: :math:`s`, finite and > 0; default 1.

    Example:
      >>> import jax.numpy as jnp
      >>> from divergences import continuous as dvc
      >>> p = dvc.Logistic(1.0, 2.0)
      >>> float(p.cdf(1.0)), round(float(p.prob(1.0)), 6)  # 1/2 and 1/(4s) at the centre
      (0.5, 0.125)
    """

    _marks = SYM_EXP_MARKS

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        z = (jnp.asarray(x) - self.loc) / self.scale
        # -|z| - 2 log(1 + e^-|z|): the density is even in z, and no exponential overflows.
        a = jnp.abs(z)
        return -a - 2 * jnp.log1p(jnp.exp(-a)) - jnp.log(self.scale)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        return jax.nn.sigmoid((jnp.asarray(x) - self.loc) / self.scale)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return jax.nn.sigmoid(-(jnp.asarray(x) - self.loc) / self.scale)

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        return self.loc + self.scale * jax.random.logistic(key, shape, jnp.result_type(float))

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("exp", self.scale), ("exp", self.scale)

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return Logistic(0.5, 1.5), Logistic(-1.0, 0.75)

    # --- ball arithmetic -----------------------------------------------------------------------

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        mu, s = ball.arb(num(self.loc)), ball.arb(num(self.scale))
        log_s = s.log()

        def log_density(x: Any, analytic: bool) -> Any:
            z = (x - mu) / s
            return -z - 2 * (1 + (-z).exp()).log(analytic=analytic) - log_s

        return log_density

    def _ball_density_max(self) -> Any:
        return 1 / (4 * ball.arb(num(self.scale)))

    def _ball_cdf(self, x: Any) -> Any:
        z = (x - ball.arb(num(self.loc))) / ball.arb(num(self.scale))
        return 1 / (1 + (-z).exp())

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        # meromorphic: a pole inside the ball makes the quotient non-finite, as Arb requires
        return self._ball_cdf(x)

    def _right_tail(self, t: float) -> Tail:
        arb = ball.arb
        mu, s, tt = arb(num(self.loc)), arb(num(self.scale)), arb(t)
        e = (-(tt - mu) / s).exp()  # p <= e^{-z} / s on the tail, so each moment is at most
        zero = arb(0)  # the Laplace law's (of scale s) times 2
        env = (abs(mu) / s + abs(s.log()) + 2 * arb(2).log(), 1 / s, zero, zero)
        m1 = e * (tt + s)
        return Tail(
            e / (1 + e), m1, e * (tt * tt + 2 * s * tt + 2 * s * s), m1, env, -(4 * s).log()
        )

    def _tail_reach(self, rtol: float) -> float:
        return math.log(1e12 / rtol) + 5
