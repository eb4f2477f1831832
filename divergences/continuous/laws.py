r"""Continuous laws on the real line, as JAX pytrees.

Each law is a small immutable object whose parameters are the leaves of a pytree, so that
``jax.jit``, ``jax.vmap`` over a parameter (a curve in theta) and ``jax.grad`` in a parameter work
through every method and every divergence of :mod:`divergences.continuous`: ``Normal(loc,
scale)``, ``Laplace(loc, scale)`` (:math:`\frac{1}{2b}e^{-|x-\mu|/b}`), ``Uniform(low, high)``,
``Exponential(rate, loc=0)`` (on :math:`[c, \infty)`), ``Beta(a, b, low=0, high=1)`` (carried to
``[low, high]``), ``StudentT(df, loc=0, scale=1)``, ``Cauchy(loc=0, scale=1)`` and
``Mixture(weights, components)`` (:math:`\sum_k w_k p_k`, components not mixtures).

Every law has ``log_prob(x)``, ``prob(x)``, ``cdf(x)``, ``sf(x)`` (JAX, elementwise),
``support()`` (its hull ``(lo, hi)``, possibly infinite) and ``sample(key, shape)`` (draws in
JAX from a ``jax.random`` key; the samplers are in the private ``_sampling`` module).
:func:`shift` and :func:`scale` give :math:`X + t` and :math:`sX` (``s > 0``) within each family.

What the certified path needs (Arb evaluations of the log-density and CDF, exact tail masses
and moments, envelopes of :math:`-\log p` in the tails) lives in the private module
``divergences.continuous._arb``, keyed by the law's type; it imports python-flint, which this
module never does.

A law built from concrete values checks them at construction (``ValueError`` naming the
argument); built from traced values the checks are :func:`divergences.checked`'s. Rebuilding a
law from its leaves (``jax.tree_util``) never re-validates.

Example:
  >>> import jax.numpy as jnp
  >>> from divergences import continuous as dvc
  >>> p = dvc.Mixture(jnp.array([0.3, 0.7]), (dvc.Normal(-1.0, 1.0), dvc.Laplace(2.0, 0.5)))
  >>> round(float(p.cdf(jnp.inf)), 6)
  1.0

References:
  Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, vols. 1-2, Wiley 1994-95.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import special as jsp

from divergences._src.errors import is_traced
from divergences._src.precision import sum_tolerance
from divergences.continuous import _sampling
from divergences.continuous._law import (
    EDGE_MARKS,
    EXP_MARKS,
    SYM_EXP_MARKS,
    SYM_MARKS,
    SYM_POLY_MARKS,
    UNIFORM_MARKS,
    Law,
    check,
    finite,
    param,
    positive,
    standardised,
)

__all__ = [
    "Beta",
    "Cauchy",
    "Exponential",
    "Laplace",
    "Law",
    "Mixture",
    "Normal",
    "StudentT",
    "Uniform",
    "scale",
    "shift",
]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)


class Normal(Law):
    r"""The normal law :math:`N(\mu, \sigma^2)`; ``scale`` is the standard deviation :math:`\sigma`.

    Args:
      loc: the mean :math:`\mu`, finite.
      scale: the standard deviation :math:`\sigma`, finite and > 0.
    """

    _fields = ("loc", "scale")
    _draw = _sampling.normal
    loc: Any
    scale: Any

    def __init__(self, loc: Any, scale: Any) -> None:
        loc, scale = param(loc, "loc"), param(scale, "scale")
        finite(loc, "loc")
        positive(scale, "scale", "a standard deviation")
        self._set(loc=loc, scale=scale)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        z = standardised(self, x)
        return -0.5 * z * z - jnp.log(self.scale) - _LOG_SQRT_2PI

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        return jsp.ndtr(standardised(self, x))

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return jsp.ndtr(-standardised(self, x))

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return -jnp.inf, jnp.inf

    def _breakpoints(self) -> jax.Array:
        return self.loc + self.scale * jnp.asarray(SYM_MARKS)

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("gauss", self.scale), ("gauss", self.scale)


class Laplace(Law):
    r"""The Laplace law, density :math:`\frac{1}{2b} e^{-|x - \mu|/b}`.

    Args:
      loc: the centre :math:`\mu`, finite.
      scale: :math:`b`, finite and > 0.
    """

    _fields = ("loc", "scale")
    _draw = _sampling.laplace
    loc: Any
    scale: Any

    def __init__(self, loc: Any, scale: Any) -> None:
        loc, scale = param(loc, "loc"), param(scale, "scale")
        finite(loc, "loc")
        positive(scale, "scale", "the scale b")
        self._set(loc=loc, scale=scale)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        return -jnp.abs(standardised(self, x)) - jnp.log(2 * self.scale)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        z = standardised(self, x)
        half_tail = 0.5 * jnp.exp(-jnp.abs(z))
        return jnp.where(z < 0, half_tail, 1 - half_tail)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        z = standardised(self, x)
        half_tail = 0.5 * jnp.exp(-jnp.abs(z))
        return jnp.where(z > 0, half_tail, 1 - half_tail)

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return -jnp.inf, jnp.inf

    def _breakpoints(self) -> jax.Array:
        return self.loc + self.scale * jnp.asarray(SYM_EXP_MARKS)

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("exp", self.scale), ("exp", self.scale)


class Uniform(Law):
    """The uniform law on ``[low, high]``.

    Args:
      low: the left end, finite.
      high: the right end, finite and > ``low``.
    """

    _fields = ("low", "high")
    _draw = _sampling.uniform
    low: Any
    high: Any

    def __init__(self, low: Any, high: Any) -> None:
        low, high = param(low, "low"), param(high, "high")
        finite(low, "low")
        finite(high, "high")
        check(high > low, "high must be > low (a uniform law on [low, high])")
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

    def _breakpoints(self) -> jax.Array:
        return self.low + (self.high - self.low) * jnp.asarray(UNIFORM_MARKS)

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("none", None), ("none", None)


class Exponential(Law):
    r"""The exponential law of rate :math:`\lambda`, shifted to start at ``loc``.

    Args:
      rate: :math:`\lambda`, finite and > 0 (the mean is ``loc + 1/rate``).
      loc: the left end of the support, finite; default 0.
    """

    _fields = ("rate", "loc")
    _draw = _sampling.exponential
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

    def _breakpoints(self) -> jax.Array:
        return self.loc + jnp.asarray(EXP_MARKS) / self.rate

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("none", None), ("exp", 1 / self.rate)


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
    _draw = _sampling.beta
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
        check(high > low, "high must be > low (a beta law on [low, high])")
        self._set(a=a, b=b, low=low, high=high)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        width = self.high - self.low
        t = (jnp.asarray(x) - self.low) / width
        inside = (t >= 0) & (t <= 1)
        ts = jnp.where(inside, t, 0.5)
        lp = (
            jsp.xlogy(self.a - 1, ts)
            + jsp.xlog1py(self.b - 1, -ts)
            - jsp.betaln(self.a, self.b)
            - jnp.log(width)
        )
        return jnp.where(inside, lp, -jnp.inf)

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

    def _breakpoints(self) -> jax.Array:
        return self.low + (self.high - self.low) * jnp.asarray(EDGE_MARKS)

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("none", None), ("none", None)


class StudentT(Law):
    r"""Student's t law with :math:`\nu` degrees of freedom, location and scale.

    Its tails decay like :math:`|x|^{-(\nu + 1)}`: moments of order :math:`\ge \nu` are infinite.

    Args:
      df: :math:`\nu`, finite and > 0.
      loc: the centre, finite; default 0.
      scale: :math:`s`, finite and > 0; default 1.
    """

    _fields = ("df", "loc", "scale")
    _draw = _sampling.student_t
    df: Any
    loc: Any
    scale: Any

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> None:
        df, loc, scale = param(df, "df"), param(loc, "loc"), param(scale, "scale")
        positive(df, "df", "the degrees of freedom")
        finite(loc, "loc")
        positive(scale, "scale", "the scale s")
        self._set(df=df, loc=loc, scale=scale)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        z = standardised(self, x)
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
        z = standardised(self, x)
        nu = self.df
        # P(|T| > |z|) = I_{nu / (nu + z^2)}(nu/2, 1/2), written without cancellation.
        az = jnp.abs(z)
        w = jnp.where(az > 1, nu / az / (nu / az + az), nu / (nu + z * z))
        half_tail = 0.5 * jsp.betainc(0.5 * nu, 0.5, w)
        return jnp.where(z < 0, half_tail, 1 - half_tail)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return StudentT(self.df, -self.loc, self.scale).cdf(-jnp.asarray(x))

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return -jnp.inf, jnp.inf

    def _breakpoints(self) -> jax.Array:
        return self.loc + self.scale * jnp.asarray(SYM_POLY_MARKS)

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("poly", self.df), ("poly", self.df)


class Cauchy(Law):
    r"""The Cauchy law, density :math:`\frac{1}{\pi s (1 + z^2)}`: no mean, no variance.

    Args:
      loc: the median, finite; default 0.
      scale: :math:`s`, finite and > 0; default 1.
    """

    _fields = ("loc", "scale")
    _draw = _sampling.cauchy
    loc: Any
    scale: Any

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0) -> None:
        loc, scale = param(loc, "loc"), param(scale, "scale")
        finite(loc, "loc")
        positive(scale, "scale", "the scale s")
        self._set(loc=loc, scale=scale)

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        z = standardised(self, x)
        return -_LOG_PI - jnp.log(self.scale) - jnp.log1p(z * z)

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        z = standardised(self, x)
        # F(z) = atan(-1/z) / pi for z < 0: no cancellation in 1/2 + atan(z)/pi far left.
        zs = jnp.where(z < -1, z, -1.0)
        return jnp.where(z < -1, jnp.arctan(-1 / zs) / math.pi, 0.5 + jnp.arctan(z) / math.pi)

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return Cauchy(-self.loc, self.scale).cdf(-jnp.asarray(x))

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return -jnp.inf, jnp.inf

    def _breakpoints(self) -> jax.Array:
        return self.loc + self.scale * jnp.asarray(SYM_POLY_MARKS)

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("poly", jnp.ones_like(self.scale)), ("poly", jnp.ones_like(self.scale))


_KIND_ORDER = {"none": 0, "gauss": 1, "exp": 2, "poly": 3}


class Mixture(Law):
    r"""A finite mixture :math:`\sum_k w_k p_k` of the laws above.

    Args:
      weights: the weights :math:`w_k`, a 1-D array, each > 0 (leave a component of weight 0
        out), summing to 1 within :func:`divergences._src.validation.sum_tolerance` of float64
        (never renormalised).
      components: a tuple of laws (not mixtures), one per weight.
    """

    _fields = ("weights", "components")
    _draw = _sampling.mixture
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
        check(xp.all(xp.isfinite(w) & (w > 0)), "weights must be finite and > 0")
        tol = sum_tolerance(np.float64)
        check(
            xp.abs(xp.sum(w) - 1) <= tol,
            f"weights do not sum to 1 (tolerance {tol:.1e}); divergences never renormalises: "
            "pass weights / weights.sum() if that is what you mean",
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

    def _breakpoints(self) -> jax.Array:
        return jnp.concatenate([c._breakpoints() for c in self.components])

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return _heaviest([c._tails()[0] for c in self.components]), _heaviest(
            [c._tails()[1] for c in self.components]
        )

    def _components(self) -> tuple[tuple[Any, Law], ...]:
        return tuple((self.weights[k], c) for k, c in enumerate(self.components))


def _heaviest(tails: list[tuple[str, Any]]) -> tuple[str, Any]:
    """The slowest decay among components' tails: its kind, and its extreme parameter."""
    kind = max((t[0] for t in tails), key=_KIND_ORDER.__getitem__)
    params = [jnp.asarray(t[1]) for t in tails if t[0] == kind]
    if kind == "none":
        return kind, None
    stack = jnp.stack(params)
    return kind, jnp.min(stack) if kind == "poly" else jnp.max(stack)


def shift(law: Law, t: Any) -> Law:
    """The law of :math:`X + t` for :math:`X` of law ``law``, in the same family.

    Args:
      law: any law of this module.
      t: the shift, finite.

    Returns:
      A law of the same type (a mixture shifts each component).
    """
    return _affine(law, lambda x: x + t, lambda s: s)


def scale(law: Law, s: Any) -> Law:
    """The law of :math:`sX` (``s > 0``) for :math:`X` of law ``law``, in the same family.

    Args:
      law: any law of this module.
      s: the factor, finite and > 0.

    Returns:
      A law of the same type (a mixture scales each component).
    """
    s_arr = param(s, "s")
    positive(s_arr, "s", "a scale factor")
    return _affine(law, lambda x: x * s, lambda w: w * s)


def _affine(law: Law, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
    if isinstance(law, Mixture):
        return Mixture(law.weights, tuple(_affine(c, point, width) for c in law.components))
    if isinstance(law, Normal | Laplace | Cauchy):
        return type(law)(point(law.loc), width(law.scale))
    if isinstance(law, StudentT):
        return StudentT(law.df, point(law.loc), width(law.scale))
    if isinstance(law, Uniform):
        return Uniform(point(law.low), point(law.high))
    if isinstance(law, Beta):
        return Beta(law.a, law.b, point(law.low), point(law.high))
    if isinstance(law, Exponential):
        return Exponential(law.rate / width(1.0), point(law.loc))
    raise ValueError(f"law must be a law of divergences.continuous, got {law!r}")
