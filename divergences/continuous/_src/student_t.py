r"""Student's t law and the Cauchy law (its case :math:`\nu = 1`): all they state.

One set of formulas serves both: the density
:math:`\frac{C_\nu}{s}\bigl(1 + z^2/\nu\bigr)^{-(\nu+1)/2}`, :math:`C_\nu = \Gamma(\frac{\nu+1}2) /
(\sqrt{\nu\pi}\,\Gamma(\frac\nu2))`, and its tails: beyond :math:`t \ge \mu + \max(s, 1)` the
envelope :math:`p(x) \le K (x - \mu)^{-(\nu+1)}`, :math:`K = C_\nu \nu^{(\nu+1)/2} s^\nu`, gives the
tail's mass and moments (``inf`` where a moment of order :math:`\ge \nu` is asked for). The
Cauchy law adds a distribution function in ball arithmetic (:math:`\tfrac12 + \arctan(z)/\pi`,
written with logarithms on a piece so that Arb sees its branch cuts).

References:
  Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, vol. 2, chs. 16 and 28,
  Wiley 1995.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.scipy import special as jsp

from divergences.continuous._src import ball
from divergences.continuous._src.ball import Tail, num, t_constant
from divergences.continuous._src.interface import (
    SYM_POLY_MARKS,
    Law,
    centred_piece,
    finite,
    param,
    positive,
)
from divergences.continuous._src.location_scale import LocationScaleLaw

__all__ = ["Cauchy", "StudentT"]

_LOG_PI = math.log(math.pi)


class _LocationScaleT(LocationScaleLaw):
    """What Student's t and Cauchy laws share: their ball arithmetic, for a degree ``_nu()``."""

    _marks = SYM_POLY_MARKS

    @abc.abstractmethod
    def _nu(self) -> float:
        r"""The degrees of freedom :math:`\nu`."""

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        arb = ball.arb
        nu = arb(self._nu())
        mu, s = arb(num(self.loc)), arb(num(self.scale))
        inv = 1 / s
        const = (t_constant(nu) / s).log()
        half = (nu + 1) / 2

        def log_density(x: Any, analytic: bool) -> Any:
            z = (x - mu) * inv
            return const - half * (1 + z * z / nu).log(analytic=analytic)

        return log_density

    def _ball_density_max(self) -> Any:
        return t_constant(ball.arb(self._nu())) / ball.arb(num(self.scale))

    def _ball_tail_start(self, *, left: bool) -> float:
        mu = -num(self.loc) if left else num(self.loc)
        return mu + max(num(self.scale), 1.0)

    def _right_tail(self, t: float) -> Tail:
        arb = ball.arb
        nu = arb(self._nu())
        mu, s = arb(num(self.loc)), arb(num(self.scale))
        const = t_constant(nu)
        k = const * nu ** ((nu + 1) / 2) * s**nu
        u0 = arb(t) - mu  # >= max(s, 1)
        m0 = k * u0 ** (-nu) / nu
        m1 = k * u0 ** (1 - nu) / (nu - 1) + abs(mu) * m0 if nu > 1 else arb("inf")
        m2 = 2 * k * u0 ** (2 - nu) / (nu - 2) + 2 * mu * mu * m0 if nu > 2 else arb("inf")
        mlog = k * u0 ** (-nu) * (u0.log() / nu + 1 / (nu * nu)) + abs(mu) / u0 * m0
        lc = (const / s).log()
        zero = arb(0)
        env = (
            abs(lc) + (nu + 1) / 2 * (1 + (1 + abs(mu)) ** 2 / (s * s)).log(),
            zero,
            zero,
            nu + 1,
        )
        return Tail(m0, m1, m2, mlog, env, lc)

    def _tail_reach(self, rtol: float) -> float:
        return min((1e3 / rtol) ** (1 / self._nu()), 1e30)


class StudentT(_LocationScaleT):
    r"""Student's t law with :math:`\nu` degrees of freedom, location and scale.

    Its tails decay like :math:`|x|^{-(\nu + 1)}`: moments of order :math:`\ge \nu` are infinite.

    Args:
      df: :math:`\nu`, finite and > 0.
      loc: the centre, finite; default 0.
      scale: :math:`s`, finite and > 0; default 1.
    """

    _fields = ("df", "loc", "scale")
    df: Any

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> None:
        df, loc, scale = param(df, "df"), param(loc, "loc"), param(scale, "scale")
        positive(df, "df", "the degrees of freedom")
        finite(loc, "loc")
        positive(scale, "scale", "the scale s")
        self._set(df=df, loc=loc, scale=scale)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        z = (jnp.asarray(x) - self.loc) / self.scale
        nu = self.df
        const = (
            jsp.gammaln(0.5 * (nu + 1))
            - jsp.gammaln(0.5 * nu)
            - 0.5 * (jnp.log(nu) + _LOG_PI)
            - jnp.log(self.scale)
        )
        return const - 0.5 * (nu + 1) * jnp.log1p(z * z / nu)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        z = (jnp.asarray(x) - self.loc) / self.scale
        nu = self.df
        # P(|T| > |z|) = I_{nu / (nu + z^2)}(nu/2, 1/2), written without cancellation.
        az = jnp.abs(z)
        w = jnp.where(az > 1, nu / az / (nu / az + az), nu / (nu + z * z))
        half_tail = 0.5 * jsp.betainc(0.5 * nu, 0.5, w)
        return jnp.where(z < 0, half_tail, 1 - half_tail)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return StudentT(self.df, -self.loc, self.scale).cdf(-jnp.asarray(x))

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        draw = jax.random.t(key, self.df, shape, jnp.result_type(float))
        return self.loc + self.scale * draw

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("poly", self.df), ("poly", self.df)

    def _power_tail(self) -> tuple[Any, Any]:
        nu = self.df
        lc = (
            jsp.gammaln(0.5 * (nu + 1))
            - jsp.gammaln(0.5 * nu)
            - 0.5 * math.log(math.pi)
            + 0.5 * (nu - 1) * jnp.log(nu)
        )
        return nu, jnp.exp(lc) * self.scale**nu / nu

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return StudentT(4.5, 0.5, 1.5), StudentT(3.0, -1.0, 0.75)

    def _ball_cdf(self, x: Any) -> Any:
        """Not available in ball arithmetic: the certified W1 refuses a Student t law."""
        raise NotImplementedError("a certified distribution function of StudentT is not available")

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        """Not available, as :meth:`_ball_cdf`."""
        raise NotImplementedError("a certified distribution function of StudentT is not available")

    def _affine(self, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
        return StudentT(self.df, point(self.loc), width(self.scale))

    def _shift_parts(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (num(self.loc),), (num(self.df), num(self.scale))

    def _nu(self) -> float:
        return num(self.df)


class Cauchy(_LocationScaleT):
    r"""The Cauchy law, density :math:`\frac{1}{\pi s (1 + z^2)}`: no mean, no variance.

    Args:
      loc: the median, finite; default 0.
      scale: :math:`s`, finite and > 0; default 1.
    """

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        z = (jnp.asarray(x) - self.loc) / self.scale
        return -_LOG_PI - jnp.log(self.scale) - jnp.log1p(z * z)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        z = (jnp.asarray(x) - self.loc) / self.scale
        # F(z) = atan(-1/z) / pi for z < 0: no cancellation in 1/2 + atan(z)/pi far left.
        zs = jnp.where(z < -1, z, -1.0)
        return jnp.where(z < -1, jnp.arctan(-1 / zs) / math.pi, 0.5 + jnp.arctan(z) / math.pi)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return Cauchy(-self.loc, self.scale).cdf(-jnp.asarray(x))

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        return self.loc + self.scale * jax.random.cauchy(key, shape, jnp.result_type(float))

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("poly", jnp.ones_like(self.scale)), ("poly", jnp.ones_like(self.scale))

    def _power_tail(self) -> tuple[Any, Any]:
        return jnp.ones(()), self.scale / math.pi

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return Cauchy(0.5, 1.5), Cauchy(-1.0, 0.75)

    def _nu(self) -> float:
        return 1.0

    def _ball_cdf(self, x: Any) -> Any:
        z = (x - ball.arb(num(self.loc))) / ball.arb(num(self.scale))
        return ball.arb(0.5) + z.atan() / ball.arb.pi()

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        loc, s = ball.arb(num(self.loc)), ball.arb(num(self.scale))

        def at(c: Any) -> Any:
            # atan z = (log(1 + iz) - log(1 - iz)) / 2i, with the branch cuts checked.
            iz = ball.acb(0, 1) * (c - loc) / s
            logs = (1 + iz).log(analytic=analytic) - (1 - iz).log(analytic=analytic)
            return ball.arb(0.5) + logs / ball.acb(0, 2) / ball.arb.pi()

        # The two logarithms' radii do not cancel: at the centre, plus the mean value term.
        return centred_piece(self, x, analytic, at)
