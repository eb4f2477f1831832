r"""Kullback-Leibler divergence between discrete distributions."""

from __future__ import annotations

import jax

from divergences._src.array_types import ArrayLike, Base
from divergences._src.numerics import kl_sum, log_of_base
from divergences._src.validation import check_base, check_pmf_pair, compiled, keeps_input_precision

__all__ = ["kl"]


@keeps_input_precision
def kl(p: ArrayLike, q: ArrayLike, *, base: Base = None, axis: int = -1) -> jax.Array:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)`.

    The argument order is the math: ``kl(p, q)`` is KL(p || q), the expectation under ``p``;
    ``kl(q, p)`` is the reverse direction. KL is not symmetric.

    Conventions: :math:`0 \log(0/q) = 0` for every :math:`q \ge 0` (including 0), and
    :math:`p \log(p/0) = +\infty` for :math:`p > 0`: the result is ``inf``, never NaN and never a
    large finite number.

    Numerics: the sum is taken as :math:`\sum_i p_i \log(p_i/q_i) - p_i + q_i`, whose terms are
    each :math:`\ge 0`, so the result is never negative. For masses whose totals are equal this is
    KL; for masses accepted within the sum tolerance it is the generalized (I-)divergence, which
    differs from :math:`\sum p \log(p/q)` by :math:`\sum q - \sum p`. It is accurate to a few
    ulp relative wherever the true value is a normal number, near-identical ``p`` and ``q``
    included (each term within 4.1 ulp, measured against mpmath; see ``divergences._src.numerics``).

    Gradients: finite wherever the value is. They are those of the sum above:
    :math:`\partial/\partial p_i = \log(p_i/q_i)` and :math:`\partial/\partial q_i = 1 - p_i/q_i`,
    the textbook :math:`\log(p_i/q_i) + 1` and :math:`-p_i/q_i` up to constant vectors, which
    changes nothing along the simplex. Where :math:`p_i = 0` the derivative in :math:`p_i` (one-sided
    :math:`-\infty`) is taken as 0, the derivative along the face of the simplex, and the one in
    :math:`q_i` is 1.

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
    return _kl(p, q, log_of_base(base, p.dtype), axis=axis)


@compiled(static_argnames="axis")
def _kl(p: jax.Array, q: jax.Array, log_base: jax.Array, *, axis: int) -> jax.Array:
    return kl_sum(p, q, axis) / log_base
