r"""Pearson chi-square divergence."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from divergences._numerics import kl_sum
from divergences._typing import ArrayLike
from divergences._validation import check_pmf_pair, compiled, keeps_input_precision
from divergences.generators import _square_over

__all__ = ["chi_square"]


@keeps_input_precision
def chi_square(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> jax.Array:
    r"""Pearson chi-square divergence :math:`\chi^2(p \,\|\, q) = \sum_i (p_i - q_i)^2 / q_i`.

    Direction: the denominator is the second argument, ``q``, as in Pearson's statistic with
    expected frequencies ``q``; it is the f-divergence of :math:`f(t) = (t - 1)^2`. The other
    direction, Neyman's :math:`\chi^2`, is ``chi_square(q, p)``.
    Equivalently :math:`\sum_i p_i^2 / q_i - 1`. Bounds KL from above:
    :math:`\mathrm{KL}(p \,\|\, q) \le \log(1 + \chi^2(p \,\|\, q))`.

    Range: :math:`\chi^2 \ge 0`, and :math:`\chi^2 \ge e^{\mathrm{KL}} - 1` for every accepted input
    (with :func:`divergences.kl`): masses accepted within the sum tolerance could give a KL above
    :math:`\log(1 + \chi^2)` by about that tolerance; the value is then raised to
    :math:`e^{\mathrm{KL}} - 1` (a relative change within the tolerance times
    :math:`3 + \log(1 + \chi^2)`). This costs a KL pass beside the sum.

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
    return _chi_square(p, q, axis=axis)


@compiled(static_argnames="axis")
def _chi_square(p: jax.Array, q: jax.Array, *, axis: int) -> jax.Array:
    # (p - q) * ((p - q) / q): q = 0 < p gives p * inf = inf even where p^2 underflows, and the
    # derivative never forms q^2 (see f_divergence._square_over).
    chi = jnp.sum(_square_over(p - q, q), axis=axis)
    return _at_least_expm1_kl(chi, p, q, axis)


def _at_least_expm1_kl(chi: jax.Array, p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """``chi`` raised where ``log(1 + chi) < KL(p || q)``, so that KL <= log(1 + chi^2) holds.

    For pmfs the bound is Jensen's inequality, ``E_p log(p/q) <= log E_p(p/q)``, an equality where
    ``p`` is ``q`` restricted to a subset and renormalised: there rounding alone can put the
    computed KL an ulp above, and masses accepted within the sum tolerance ``t`` put it above by
    up to ``t (3 + log(1 + chi^2))``. Where that happens ``chi`` is replaced by
    ``expm1(KL (1 + 4 eps))``, a change within that tolerance, relative; the exponent's margin of
    4 eps keeps the bound against a KL computed apart (:func:`divergences.kl`), rounded anew.
    """
    kl = kl_sum(p, q, axis)
    eps = float(jnp.finfo(chi.dtype).eps)
    return jnp.where(jnp.log1p(chi) < kl, jnp.expm1(kl * (1 + 4 * eps)), chi)
