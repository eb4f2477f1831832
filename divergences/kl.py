r"""Kullback-Leibler divergence between discrete distributions."""

from __future__ import annotations

import jax

from divergences._numerics import kl_sum, log_of_base
from divergences._typing import ArrayLike, Base
from divergences._validation import check_base, check_pmf_pair

__all__ = ["kl"]


def kl(p: ArrayLike, q: ArrayLike, *, base: Base = None, axis: int = -1) -> jax.Array:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)`.

    The argument order is the math: ``kl(p, q)`` is KL(p || q), the expectation under ``p``;
    ``kl(q, p)`` is the reverse direction. KL is not symmetric.

    Conventions: :math:`0 \log(0/q) = 0` for every :math:`q \ge 0` (including 0), and
    :math:`p \log(p/0) = +\infty` for :math:`p > 0`: the result is ``inf``, never NaN and never a
    large finite number. Gradients: a zero-mass term is the constant 0, so the gradient is finite
    wherever the value is; elsewhere it is :math:`\partial/\partial p_i = \log(p_i/q_i) + 1` and
    :math:`\partial/\partial q_i = -p_i/q_i`.

    Args:
      p: probability masses along ``axis`` (the "true" distribution).
      q: probability masses along ``axis`` (the model); broadcasts against ``p``.
      base: logarithm base; ``None`` for nats, ``2`` for bits.
      axis: the axis holding the masses.

    Returns:
      KL(p || q) >= 0, with ``axis`` reduced; 0 iff p = q.

    References:
      Kullback & Leibler, *On Information and Sufficiency*, Ann. Math. Statist. 22(1), 1951;
      Cover & Thomas, *Elements of Information Theory*, 2nd ed., 2006, eq. (2.26).

    Example:
      >>> import divergences as dv
      >>> round(float(dv.kl([0.5, 0.5], [0.9, 0.1])), 6)
      0.510826
      >>> float(dv.kl([0.5, 0.5], [1.0, 0.0]))
      inf
    """
    check_base(base)
    p, q = check_pmf_pair(p, q, axis=axis)
    return kl_sum(p, q, axis) / log_of_base(base, p.dtype)
