r"""The normal law :math:`N(\mu, \sigma^2)`: all it states, in JAX and in ball arithmetic.

Tails: Gaussian, bounded by ``erfc`` (the tail mass :math:`Q(z_0)` and the moments
:math:`\mu Q + \sigma\varphi(z_0)`, :math:`\mu^2 Q + 2\mu\sigma\varphi + \sigma^2(z_0\varphi + Q)`).
KL, TV and W1 between two normals have closed forms (TV from the two points where the
densities cross, W1 from the one point where the distribution functions cross), which keep
their precision where the laws are close together and an integrand of :math:`p - q` would not.

References:
  Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, vol. 1, ch. 13, Wiley 1994.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.scipy import special as jsp

from divergences.continuous._src import ball
from divergences.continuous._src.ball import Tail, num
from divergences.continuous._src.interface import (
    SYM_MARKS,
    Law,
)
from divergences.continuous._src.location_scale import LocationScaleLaw

__all__ = ["Normal"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Normal(LocationScaleLaw):
    r"""The normal law :math:`N(\mu, \sigma^2)`; ``scale`` is the standard deviation :math:`\sigma`.

    Args:
      loc: the mean :math:`\mu`, finite.
      scale: the standard deviation :math:`\sigma`, finite and > 0.
    """

    _scale_is = "a standard deviation"
    _marks = SYM_MARKS

    def __init__(self, loc: Any, scale: Any) -> None:
        super().__init__(loc, scale)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        z = (jnp.asarray(x) - self.loc) / self.scale
        return -0.5 * z * z - jnp.log(self.scale) - _LOG_SQRT_2PI

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        return jsp.ndtr((jnp.asarray(x) - self.loc) / self.scale)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return jsp.ndtr(-(jnp.asarray(x) - self.loc) / self.scale)

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        return self.loc + self.scale * jax.random.normal(key, shape, jnp.result_type(float))

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("gauss", self.scale), ("gauss", self.scale)

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return Normal(0.5, 1.5), Normal(-1.0, 0.75)

    # --- ball arithmetic -----------------------------------------------------------------------

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        mu, s = ball.arb(num(self.loc)), ball.arb(num(self.scale))
        inv = 1 / s
        const = (s * (2 * ball.arb.pi()).sqrt()).log()

        def log_density(x: Any, analytic: bool) -> Any:
            z = (x - mu) * inv
            return -z * z / 2 - const

        return log_density

    def _ball_density_max(self) -> Any:
        return 1 / (ball.arb(num(self.scale)) * (2 * ball.arb.pi()).sqrt())

    def _ball_cdf(self, x: Any) -> Any:
        z = (x - ball.arb(num(self.loc))) / ball.arb(num(self.scale))
        return (-z / ball.arb(2).sqrt()).erfc() / 2

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        return self._ball_cdf(x)

    def _right_tail(self, t: float) -> Tail:
        arb = ball.arb
        mu, s = arb(num(self.loc)), arb(num(self.scale))
        z0 = (arb(t) - mu) / s
        q = (z0 / arb(2).sqrt()).erfc() / 2
        phi = (-z0 * z0 / 2).exp() / (2 * arb.pi()).sqrt()
        m1 = mu * q + s * phi
        m2 = mu * mu * q + 2 * mu * s * phi + s * s * (z0 * phi + q)
        lc = (s * (2 * arb.pi()).sqrt()).log()
        zero = arb(0)
        env = (mu * mu / (s * s) + abs(lc), zero, 1 / (s * s), zero)
        return Tail(q, m1, m2, m1, env, -lc)

    def _tail_reach(self, rtol: float) -> float:
        # the tail mass is below e^{-z^2/2} ~ 1e-12 rtol: far below any width asked for
        return math.sqrt(2 * math.log(1e12 / rtol)) + 2

    def _ball_kl_closed_form(self, other: Law) -> Any:
        r""":math:`\log\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12`."""
        if type(other) is not Normal:
            return None
        arb = ball.arb
        mp, sp = arb(num(self.loc)), arb(num(self.scale))
        mq, sq = arb(num(other.loc)), arb(num(other.scale))
        return (sq / sp).log() + (sp * sp + (mp - mq) ** 2) / (2 * sq * sq) - arb(0.5)

    def _ball_tv_closed_form(self, other: Law) -> Any:
        r"""TV of two normals: :math:`|D(x_2) - D(x_1)|`, :math:`D = F_p - F_q`.

        The densities cross where :math:`A x^2 + B x + C = 0`, :math:`A = \sigma_p^{-2} -
        \sigma_q^{-2}`, :math:`B = 2(\mu_q\sigma_q^{-2} - \mu_p\sigma_p^{-2})`, :math:`C =
        \mu_p^2\sigma_p^{-2} - \mu_q^2\sigma_q^{-2} - 2\log(\sigma_q/\sigma_p)`, and one law
        is above the other between the roots (found by the stable pair :math:`x = c/A`,
        :math:`x = C/c`, :math:`c = -(B + \operatorname{sign}(B)\sqrt{B^2 - 4AC})/2`); with equal
        scales, :math:`2\Phi(|\mu_p - \mu_q| / (2\sigma)) - 1`. None where the balls cannot
        tell the roots apart from 0 (the integral is used).
        """
        if type(other) is not Normal:
            return None
        arb = ball.arb
        mp, sp = arb(num(self.loc)), arb(num(self.scale))
        mq, sq = arb(num(other.loc)), arb(num(other.scale))
        if num(self.scale) == num(other.scale):
            return (abs(mp - mq) / (2 * arb(2).sqrt() * sp)).erf()
        ip, iq = 1 / (sp * sp), 1 / (sq * sq)
        a = ip - iq
        b = 2 * (mq * iq - mp * ip)
        c = mp * mp * ip - mq * mq * iq - 2 * (sq / sp).log()
        disc = b * b - 4 * a * c
        if not (a != 0 and disc > 0):
            return None
        sign = 1 if float(b.mid()) >= 0 else -1
        half = -(b + sign * disc.sqrt()) / 2
        if not half != 0:
            return None

        def diff(x: Any) -> Any:
            return self._ball_cdf(x) - other._ball_cdf(x)

        return abs(diff(c / half) - diff(half / a))

    def _ball_w1_closed_form(self, other: Law) -> Any:
        r"""W1 of two normals of unequal scales: :math:`|L| + |\mu_q - \mu_p - L|`.

        :math:`F_p - F_q` changes sign once, at :math:`z = (\mu_p - \mu_q)/(\sigma_q -
        \sigma_p)` standard deviations from each mean, and
        :math:`\int_{-\infty}^t \Phi((x - \mu)/\sigma)\,dx = \sigma(z\Phi(z) + \varphi(z))`
        gives the part left of it, :math:`L = (\mu_q - \mu_p)\Phi(z) + (\sigma_p -
        \sigma_q)\varphi(z)`; the whole integral of :math:`F_p - F_q` is :math:`\mu_q - \mu_p`.
        Equal scales are a shift (:math:`|\mu_p - \mu_q|`, the caller's closed form).
        """
        if type(other) is not Normal or num(self.scale) == num(other.scale):
            return None
        arb = ball.arb
        mp, sp = arb(num(self.loc)), arb(num(self.scale))
        mq, sq = arb(num(other.loc)), arb(num(other.scale))
        z = (mp - mq) / (sq - sp)
        cdf = (-z / arb(2).sqrt()).erfc() / 2
        phi = (-z * z / 2).exp() / (2 * arb.pi()).sqrt()
        left = (mq - mp) * cdf + (sp - sq) * phi
        return abs(left) + abs(mq - mp - left)
