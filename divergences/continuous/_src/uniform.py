"""The uniform law on ``[low, high]``: all it states, in JAX and in ball arithmetic.

Its log-density is a constant on the support, so the integrator needs no bound of its own at the
ends: it cuts the line there (:meth:`~divergences.continuous._src.interface.Law._ball_marks`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from divergences.continuous._src import ball
from divergences.continuous._src.ball import num
from divergences.continuous._src.interface import UNIFORM_MARKS, Law, check, finite, param

__all__ = ["Uniform"]


class Uniform(Law):
    """The uniform law on ``[low, high]``.

    Args:
      low: the left end, finite.
      high: the right end, finite and > ``low``.
    """

    _fields = ("low", "high")
    low: Any
    high: Any

    def __init__(self, low: Any, high: Any) -> None:
        low, high = param(low, "low"), param(high, "high")
        finite(low, "low")
        finite(high, "high")
        check(
            high > low,
            "high must be > low (a uniform law on [low, high]), got low={low}, high={high}",
            low=low,
            high=high,
        )
        self._set(low=low, high=high)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        x = jnp.asarray(x)
        inside = (x >= self.low) & (x <= self.high)
        return jnp.where(inside, -jnp.log(self.high - self.low), -jnp.inf)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        t = (jnp.asarray(x) - self.low) / (self.high - self.low)
        return jnp.clip(t, 0.0, 1.0)

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return self.low, self.high

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        u = jax.random.uniform(key, shape, jnp.result_type(float))
        return self.low + (self.high - self.low) * u

    def _breakpoints(self) -> jax.Array:
        return self.low + (self.high - self.low) * jnp.asarray(UNIFORM_MARKS)

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("none", None), ("none", None)

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return Uniform(-0.5, 2.0), Uniform(-1.0, 3.0)

    def _affine(self, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
        return Uniform(point(self.low), point(self.high))

    def _shift_parts(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (num(self.low), num(self.high)), ()

    # --- ball arithmetic -----------------------------------------------------------------------

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        value = ball.acb(-(ball.arb(num(self.high)) - ball.arb(num(self.low))).log())
        return lambda x, analytic: value

    def _ball_density_max(self) -> Any:
        return 1 / (ball.arb(num(self.high)) - ball.arb(num(self.low)))

    def _ball_cdf(self, x: Any) -> Any:
        lo, hi = ball.arb(num(self.low)), ball.arb(num(self.high))
        t = (x - lo) / (hi - lo)
        return t.max(ball.arb(0)).min(ball.arb(1))

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        lo, hi = ball.arb(num(self.low)), ball.arb(num(self.high))
        return (x - lo) / (hi - lo)

    def _mirror(self) -> Law:
        return Uniform(-num(self.high), -num(self.low))
