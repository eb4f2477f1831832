r"""Pearson chi-square divergence."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from divergences._numerics import support_mask
from divergences._typing import ArrayLike
from divergences._validation import check_pmf_pair

__all__ = ["chi_square"]


def chi_square(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> jax.Array:
    r"""Pearson chi-square divergence :math:`\chi^2(p \,\|\, q) = \sum_i (p_i - q_i)^2 / q_i`.

    Direction: the denominator is the second argument, ``q``, as in Pearson's statistic with
    expected frequencies ``q``; it is the f-divergence of :math:`f(t) = (t - 1)^2`. The other
    direction, Neyman's :math:`\chi^2`, is ``chi_square(q, p)``.
    Equivalently :math:`\sum_i p_i^2 / q_i - 1`. Bounds KL from above:
    :math:`\mathrm{KL}(p \,\|\, q) \le \log(1 + \chi^2(p \,\|\, q))`.

    Conventions: :math:`0^2 / 0 = 0`; :math:`p_i > 0 = q_i` gives :math:`+\infty`. The gradient
    is finite wherever the value is, with terms where both masses are 0 held at 0.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis`` (the reference, in the denominator).
      axis: the axis holding the masses.

    Returns:
      chi^2(p || q) >= 0, with ``axis`` reduced.

    References:
      Pearson, Philosophical Magazine 50(302), 1900; Nowozin, Cseke & Tomioka, *f-GAN*,
      NeurIPS 2016, Table 1.

    Example:
      >>> import divergences as dv
      >>> round(float(dv.chi_square([0.5, 0.5], [0.25, 0.75])), 6)
      0.333333
    """
    p, q = check_pmf_pair(p, q, axis=axis)
    # 1 where either mass is positive: there the term is (p - q)^2 / q exactly; elsewhere 0 / 1.
    # Written (p - q) * ((p - q) / q) so that q = 0 < p gives p * inf = inf even when p^2
    # underflows to 0 (which would give 0 / 0 = NaN).
    off = 1 - support_mask(p + q)
    d = p - q
    return jnp.sum(d * (d / (q + off)), axis=axis)
