r"""Finite mixtures :math:`\sum_k w_k p_k` of the other laws: what a mixture states of itself.

A mixture states its JAX side (log-density by a stable log-sum-exp, distribution function, draws
by composition) and its layout hints from its components'; the certified path reads its weighted
components (``_components``) and asks each for its own ball arithmetic, so a mixture may hold any
law of :mod:`divergences.continuous` but another mixture.

References:
  Devroye, *Non-Uniform Random Variate Generation*, Springer 1986, ch. XIV.4 (the composition
  method).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced
from divergences._src.precision import sum_tolerance
from divergences.continuous._src import ball
from divergences.continuous._src.ball import num
from divergences.continuous._src.interface import TAIL_ORDER, Law, check, param
from divergences.continuous._src.normal import Normal

__all__ = ["Mixture"]


class Mixture(Law):
    r"""A finite mixture :math:`\sum_k w_k p_k` of the laws above.

    Args:
      weights: the weights :math:`w_k`, a 1-D array, each > 0 (leave a component of weight 0
        out), summing to 1 within 1.5e-8 (the square root of float64's machine epsilon, as a
        float64 pmf of the package), never renormalised.
      components: a tuple of laws (not mixtures), one per weight.
    """

    _fields = ("weights", "components")
    weights: Any
    components: tuple[Law, ...]

    def __init__(self, weights: Any, components: Any) -> None:
        components = tuple(components)
        if not components:
            raise ValueError("components must hold at least one law")
        for c in components:
            if not isinstance(c, Law) or isinstance(c, Mixture):
                raise ValueError(
                    f"components must be laws of divergences.continuous other than Mixture, got {c!r}"
                )
        w = param(weights, "weights")
        if w.ndim != 1 or w.shape[0] != len(components):
            raise ValueError(
                f"weights must be a 1-D array with one weight per component ({len(components)}), "
                f"got shape {w.shape}"
            )
        xp = jnp if is_traced(w) else np
        check(xp.all(xp.isfinite(w) & (w > 0)), "weights must be finite and > 0, got {w}", w=w)
        tol = sum_tolerance(np.float64)
        check(
            xp.abs(xp.sum(w) - 1) <= tol,
            f"weights do not sum to 1 (sum {{total}}, tolerance {tol:.1e}); divergences never "
            "renormalises: pass weights / weights.sum() if that is what you mean",
            total=xp.sum(w),
        )
        self._set(weights=w, components=components)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        x = jnp.asarray(x)
        terms = jnp.stack(
            [jnp.log(self.weights[k]) + c.log_prob(x) for k, c in enumerate(self.components)]
        )
        top = jax.lax.stop_gradient(jnp.max(terms, axis=0))
        top = jnp.where(jnp.isfinite(top), top, 0.0)
        total = jnp.sum(jnp.exp(terms - top), axis=0)
        off = total == 0
        return jnp.where(off, -jnp.inf, jnp.log(jnp.where(off, 1.0, total)) + top)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        return sum(
            (self.weights[k] * c.cdf(x) for k, c in enumerate(self.components)),
            start=jnp.zeros(()),
        )

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return sum(
            (self.weights[k] * c.sf(x) for k, c in enumerate(self.components)),
            start=jnp.zeros(()),
        )

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        ends = [c.support() for c in self.components]
        lo = jnp.min(jnp.stack([jnp.asarray(e[0], dtype=float) for e in ends]))
        hi = jnp.max(jnp.stack([jnp.asarray(e[1], dtype=float) for e in ends]))
        return lo, hi

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        # A component index from the categorical law of the weights, then every component's
        # draw of the whole shape (each with its own key), kept where its index is drawn: K
        # draws for one, so that the program has static shapes under jit and vmap.
        pick, *keys = jax.random.split(key, 1 + len(self.components))
        index = jax.random.categorical(pick, jnp.log(self.weights), shape=shape)
        draws = jnp.stack([c._draw(k, shape) for c, k in zip(self.components, keys, strict=True)])
        return jnp.take_along_axis(draws, index[None], axis=0)[0]

    def _breakpoints(self) -> jax.Array:
        return jnp.concatenate([c._breakpoints() for c in self.components])

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return _heaviest([c._tails()[0] for c in self.components]), _heaviest(
            [c._tails()[1] for c in self.components]
        )

    def _components(self) -> tuple[tuple[Any, Law], ...]:
        return tuple((self.weights[k], c) for k, c in enumerate(self.components))

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return (
            Mixture(np.array([0.3, 0.7]), (Normal(-1.0, 1.0), Normal(1.5, 0.5))),
            Mixture(np.array([0.6, 0.4]), (Normal(0.0, 0.75), Normal(2.0, 1.5))),
        )

    # The certified integrals read a mixture's components (``_components``) and call their own
    # ball arithmetic; a mixture's is their weighted sum, for the shared law suite.

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        parts = [(ball.arb(num(w)), c._ball_log_density()) for w, c in self._components()]

        def log_density(x: Any, analytic: bool) -> Any:
            return sum((w * f(x, analytic).exp() for w, f in parts), ball.acb(0)).log(
                analytic=analytic
            )

        return log_density

    def _ball_cdf(self, x: Any) -> Any:
        return sum((ball.arb(num(w)) * c._ball_cdf(x) for w, c in self._components()), ball.arb(0))

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        return sum(
            (
                ball.arb(num(w)) * c._ball_cdf_piece(x, a, b, analytic)
                for w, c in self._components()
            ),
            ball.acb(0),
        )

    def _affine(self, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
        return Mixture(self.weights, tuple(c._affine(point, width) for c in self.components))


def _heaviest(tails: list[tuple[str, Any]]) -> tuple[str, Any]:
    """The slowest decay among components' tails: its kind, and its extreme parameter."""
    kind = max((t[0] for t in tails), key=TAIL_ORDER.__getitem__)
    if kind == "none":  # every component bounded on that side: no parameter to stack
        return kind, None
    stack = jnp.stack([jnp.asarray(t[1]) for t in tails if t[0] == kind])
    return kind, jnp.min(stack) if kind == "poly" else jnp.max(stack)
