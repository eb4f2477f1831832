r"""Divergences between continuous laws on the line: a fast JAX path and a certified one.

:mod:`divergences.continuous.laws` holds the laws (JAX pytrees: ``jit``, ``vmap`` over a parameter
and ``grad`` in it work). The fast path (:mod:`divergences.continuous.fast`, re-exported here)
integrates by Gauss-Kronrod quadrature on a support-aware panel layout and returns
``Quadrature(value, error)``; the certified path (:mod:`divergences.continuous.certified`, host
only, python-flint from the ``certified`` extra) returns an ``Enclosure`` that holds in real
arithmetic.

Example:
  >>> from divergences import continuous as dvc
  >>> p, q = dvc.Normal(0.0, 1.0), dvc.Normal(1.0, 1.0)
  >>> round(float(dvc.kl(p, q).value), 10)  # (mu_p - mu_q)^2 / 2
  0.5
"""

from __future__ import annotations

from divergences.continuous import certified, laws
from divergences.continuous.fast import (
    LogisticDiscriminator,
    Quadrature,
    chi_square,
    f_divergence,
    gan_value,
    hellinger,
    js_divergence,
    kl,
    optimal_discriminator,
    total_variation,
    w1,
)
from divergences.continuous.laws import (
    Beta,
    Cauchy,
    Exponential,
    Gamma,
    Laplace,
    Law,
    Logistic,
    Mixture,
    Normal,
    StudentT,
    Uniform,
    scale,
    shift,
)

__all__ = [
    "Beta",
    "Cauchy",
    "Exponential",
    "Gamma",
    "Laplace",
    "Law",
    "Logistic",
    "LogisticDiscriminator",
    "Mixture",
    "Normal",
    "Quadrature",
    "StudentT",
    "Uniform",
    "certified",
    "chi_square",
    "f_divergence",
    "gan_value",
    "hellinger",
    "js_divergence",
    "kl",
    "laws",
    "optimal_discriminator",
    "scale",
    "shift",
    "total_variation",
    "w1",
]
