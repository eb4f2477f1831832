r"""Kullback-Leibler divergence between discrete distributions."""

from __future__ import annotations

import functools

import jax

from divergences._src.array_types import ArrayLike, Base
from divergences._src.domain import check_base, on_pmf_pair
from divergences._src.log_sums import kl_sum
from divergences._src.numerics import log_of_base
from divergences._src.precision import keeps_input_precision

__all__ = ["kl"]


@keeps_input_precision
def kl(p: ArrayLike, q: ArrayLike, *, base: Base = None, axis: int = -1) -> jax.Array:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)`.

    ``kl(p, q)`` is KL(p || q), the expectation under ``p``; KL is not symmetric.

    Conventions: :math:`0 \log(0/q) = 0` for every :math:`q \ge 0` (including 0), and
    :math:`p \log(p/0) = +\infty` for :math:`p > 0`: the result is ``inf``, never NaN and never a
    large finite number.

    The sum is taken term by term as :math:`p_i \log(p_i/q_i) - p_i + q_i \ge 0`: never negative,
    accurate to a few ulp, with finite gradients wherever the value is finite (see the KL page of
    the docs for the accuracy and the gradients at zero mass).

    Args:
      p: probability masses along ``axis`` (the "true" distribution).
      q: probability masses along ``axis`` (the model); broadcasts against ``p``.
      base: logarithm base; ``None`` for nats, ``2`` for bits.
      axis: the axis holding the masses.

    Returns:
      KL(p || q) >= 0, with ``axis`` reduced; 0 iff p = q.

    Raises:
      ValueError: for masses that are negative, not finite or do not sum to 1, shapes that do
        not broadcast, or a bad ``base`` or ``axis`` (the message names the argument).

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
    return on_pmf_pair(_kl, p, q, axis=axis, extra=lambda dtype: (log_of_base(base, dtype),))


@functools.partial(jax.jit, static_argnames="axis")
def _kl(p: jax.Array, q: jax.Array, log_base: jax.Array, *, axis: int) -> jax.Array:
    return kl_sum(p, q, axis) / log_base
