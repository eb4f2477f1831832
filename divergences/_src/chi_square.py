r"""Pearson chi-square divergence."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from divergences._src.array_types import ArrayLike
from divergences._src.domain import on_pmf_pair
from divergences._src.log_sums import kl_sum
from divergences._src.numerics import upscaled_sum
from divergences._src.precision import keeps_input_precision
from divergences._src.terms import PEARSON

__all__ = ["chi_square"]


@keeps_input_precision
def chi_square(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> jax.Array:
    r"""Pearson chi-square divergence :math:`\chi^2(p \,\|\, q) = \sum_i (p_i - q_i)^2 / q_i`.

    Direction: the denominator is the second argument, ``q``, as in Pearson's statistic with
    expected frequencies ``q``; it is the f-divergence of :math:`f(t) = (t - 1)^2`. The other
    direction, Neyman's :math:`\chi^2`, is ``chi_square(q, p)``.
    Equivalently :math:`\sum_i p_i^2 / q_i - 1`. Bounds KL from above:
    :math:`\mathrm{KL}(p \,\|\, q) \le \log(1 + \chi^2(p \,\|\, q))`.

    Range: :math:`\chi^2 \ge 0`, and :math:`\log(1 + \chi^2) \ge \mathrm{KL}` for every accepted
    input (with :func:`divergences.kl`) up to the rounding of the two computed values,
    :math:`(2n + 34)\,\epsilon\,(1 + \mathrm{KL})` for ``n`` masses: masses accepted within the sum
    tolerance could give a KL above :math:`\log(1 + \chi^2)` by about that tolerance; the value
    is then raised to :math:`e^{\mathrm{KL}} - 1` (a relative change within the tolerance times
    :math:`3 + \log(1 + \chi^2)`). On pmfs that sum to 1 up to their rounding the value is the
    sum itself, within a few ulp. This costs a KL pass beside the sum.

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
    return on_pmf_pair(_chi_square, p, q, axis=axis)


@functools.partial(jax.jit, static_argnames="axis")
def _chi_square(p: jax.Array, q: jax.Array, *, axis: int) -> jax.Array:
    # (p - q) * ((p - q) / q): q = 0 < p gives p * inf = inf even where p^2 underflows, and the
    # derivative never forms q^2 (see terms.square_over). Upscaled where the sum is small
    # (numerics.upscaled_sum): a term below the normal range is flushed to 0 by XLA.
    chi = upscaled_sum(PEARSON.masses, p, q, axis=axis, bounded=PEARSON.bounded)
    return _at_least_expm1_kl(chi, p, q, axis)


def _at_least_expm1_kl(chi: jax.Array, p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """``chi`` raised where ``log(1 + chi)`` is below ``KL(p || q)`` by more than their rounding.

    For pmfs the bound KL <= log(1 + chi^2) is Jensen's inequality, ``E_p log(p/q) <= log
    E_p(p/q)``, an equality where ``p`` is ``q`` restricted to a subset and renormalised: there
    the two computed values may be in either order by their rounding, and masses accepted within
    the sum tolerance ``t`` put KL above by up to ``t (3 + log(1 + chi^2))``. Only the latter
    moves the value: the rounding of the kernels is a few ulp per term (:mod:`divergences._src.numerics`)
    and that of an ``n``-term sum of non-negative terms at most ``(n - 1) eps``, so each of KL
    and ``log1p(chi)`` is within ``(n + 17) eps (1 + KL)`` near the bound, and a gap above twice
    that, ``slack``, is the input's. There ``chi`` becomes ``expm1(KL + slack)``, which keeps the
    bound against a KL computed apart (:func:`divergences.kl`). Exact pmfs thus keep the sum's
    few-ulp accuracy (an ``expm1`` of a rounded KL near 700 moved it by 1e-12), and the value
    depends on no bit of KL unless the input is off by more than rounding, so a row alone and in
    a batch agree where the sums do.
    """
    kl = kl_sum(p, q, axis)
    eps = float(jnp.finfo(chi.dtype).eps)
    slack = (2 * p.shape[axis] + 34) * eps * (1 + kl)
    return jnp.where(jnp.log1p(chi) < kl - slack, jnp.expm1(kl + slack), chi)
