r"""Pearson chi-square divergence."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from divergences._typing import ArrayLike
from divergences._validation import check_pmf_pair
from divergences.generators import _square_over

__all__ = ["chi_square"]


def chi_square(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> jax.Array:
    r"""Pearson chi-square divergence :math:`\chi^2(p \,\|\, q) = \sum_i (p_i - q_i)^2 / q_i`.

    Direction: the denominator is the second argument, ``q``, as in Pearson's statistic with
    expected frequencies ``q``; it is the f-divergence of :math:`f(t) = (t - 1)^2`. The other
    direction, Neyman's :math:`\chi^2`, is ``chi_square(q, p)``.
    Equivalently :math:`\sum_i p_i^2 / q_i - 1`. Bounds KL from above:
    :math:`\mathrm{KL}(p \,\|\, q) \le \log(1 + \chi^2(p \,\|\, q))`.

    Conventions: :math:`0^2 / 0 = 0`; :math:`p_i > 0 = q_i` gives :math:`+\infty`. Each term
    :math:`(p_i - q_i)^2 / q_i` is computed as :math:`(p_i - q_i)\,((p_i - q_i)/q_i)`, non-negative
    by construction (so :math:`\chi^2 \ge 0` for every accepted input) and finite down to the
    smallest normal mass. The gradient is finite wherever its exact value is a finite float, with
    terms where both masses are 0 held at 0 (its part in :math:`q_i`,
    :math:`1 - (p_i/q_i)^2`, leaves the float range where :math:`p_i/q_i > 10^{154}`).

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
    # (p - q) * ((p - q) / q): q = 0 < p gives p * inf = inf even where p^2 underflows, and the
    # derivative never forms q^2 (see f_divergence._square_over).
    return jnp.sum(_square_over(p - q, q), axis=axis)
