r"""Continuous laws on the real line, as JAX pytrees.

Each law is a small immutable object whose parameters are the leaves of a pytree, so that
``jax.jit``, ``jax.vmap`` over a parameter (a curve in theta) and ``jax.grad`` in a parameter work
through every method and every divergence of :mod:`divergences.continuous` (but the distribution
functions of a beta law in its shapes and of Student's in ``df``: JAX's ``betainc`` has no
derivative in those):
``Normal(loc, scale)``, ``Laplace(loc, scale)`` (:math:`\frac{1}{2b}e^{-|x-\mu|/b}`),
``Logistic(loc=0, scale=1)`` (:math:`F = 1/(1 + e^{-(x-\mu)/s})`), ``Uniform(low, high)``,
``Exponential(rate, loc=0)`` (on :math:`[c, \infty)`), ``Gamma(shape, scale, loc=0)``
(:math:`u^{k-1}e^{-u}/(\Gamma(k)\theta)`, :math:`u = (x - c)/\theta`), ``Beta(a, b, low=0,
high=1)`` (carried to ``[low, high]``), ``StudentT(df, loc=0, scale=1)``, ``Cauchy(loc=0, scale=1)`` and
``Mixture(weights, components)`` (:math:`\sum_k w_k p_k`, components not mixtures).

Every law has ``log_prob(x)``, ``prob(x)``, ``cdf(x)``, ``sf(x)`` (JAX, elementwise),
``support()`` (its hull ``(lo, hi)``, possibly infinite) and ``sample(key, shape)`` (draws in
JAX from a ``jax.random`` key). :func:`shift` and :func:`scale` give :math:`X + t` and :math:`sX`
(``s > 0``) within each family.

Each family lives in a file of its own under the private package ``divergences.continuous._src``
(``normal.py``, ``beta.py``, ...), with everything it knows: its JAX side above, the hints of the
fast path's quadrature, and what the certified path needs in ball arithmetic (its log-density and
distribution function as Arb balls, its tails' masses, moments and envelopes). The integrators
call these methods, named by the base class ``divergences.continuous._src.interface.Law``, and
never ask a law for its type; python-flint stays optional (imported, guarded, by
``divergences.continuous._src.ball``).

A law built from concrete values checks them at construction (``ValueError`` naming the
argument and its value); from traced values the checks are :func:`divergences.checked`'s. A law
rebuilt from its leaves (``jax.tree_util``) skips it: every function here runs it again.

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

from collections.abc import Callable
from typing import Any

from divergences.continuous._src.beta import Beta
from divergences.continuous._src.exponential import Exponential
from divergences.continuous._src.gamma import Gamma
from divergences.continuous._src.interface import Law, param, positive
from divergences.continuous._src.laplace import Laplace
from divergences.continuous._src.logistic import Logistic
from divergences.continuous._src.mixture import Mixture
from divergences.continuous._src.normal import Normal
from divergences.continuous._src.student_t import Cauchy, StudentT
from divergences.continuous._src.uniform import Uniform

__all__ = [
    "Beta",
    "Cauchy",
    "Exponential",
    "Gamma",
    "Laplace",
    "Law",
    "Logistic",
    "Mixture",
    "Normal",
    "StudentT",
    "Uniform",
    "scale",
    "shift",
]


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
    if not isinstance(law, Law):
        raise ValueError(f"law must be a law of divergences.continuous, got {law!r}")
    return law._affine(point, width)
