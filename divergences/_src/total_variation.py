r"""Total variation distance."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from divergences._src.array_types import ArrayLike
from divergences._src.domain import on_pmf_pair
from divergences._src.numerics import upscaled_sum
from divergences._src.precision import keeps_input_precision
from divergences._src.terms import TOTAL_VARIATION

__all__ = ["total_variation"]


@keeps_input_precision
def total_variation(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> jax.Array:
    r"""Total variation distance :math:`\mathrm{TV}(p, q) = \tfrac12 \sum_i |p_i - q_i|`.

    Equal to :math:`\sup_A |p(A) - q(A)|`, so ``0 <= TV <= 1`` with 1 exactly for disjoint
    supports. It is the f-divergence of :math:`f(t) = \tfrac12 |t - 1|`. Pinsker's inequality:
    :math:`\mathrm{TV} \le \sqrt{\mathrm{KL}/2}` (KL in nats), for pmfs; masses accepted within
    the sum tolerance can pass it (``p = (1 + t) q`` gives a TV of ``t/2`` and a KL of about
    ``t^2/2 - t^3/6``: above the bound by a relative ``t/6``). The gradient of :math:`|x|` at 0
    is taken as 0.

    Range: the value is at most 1 for every accepted input. Masses accepted within the sum
    tolerance (``sqrt(eps)``) could give up to 1 plus that tolerance (1.0003 in float32); such a
    value is returned as 1, the value of the pmfs within the tolerance of the input.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``; broadcasts against ``p``.
      axis: the axis holding the masses.

    Returns:
      TV(p, q) in [0, 1], with ``axis`` reduced.

    References:
      Tsybakov, *Introduction to Nonparametric Estimation*, 2009, sec. 2.4; Pinsker, 1964.

    Example:
      >>> import divergences as dv
      >>> round(float(dv.total_variation([0.8, 0.2], [0.3, 0.7])), 6)
      0.5
    """
    return on_pmf_pair(_total_variation, p, q, axis=axis)


@functools.partial(jax.jit, static_argnames="axis")
def _total_variation(p: jax.Array, q: jax.Array, *, axis: int) -> jax.Array:
    # |p - q| / 2 with derivative sign(p - q) / 2, which is 0 at p = q (jnp.abs gives 1 there),
    # on the upscaled masses: p - q is below the normal range for masses near tiny (1.5 tiny and
    # tiny), and XLA flushes it to 0 where the total need not be.
    tv = upscaled_sum(TOTAL_VARIATION.masses, p, q, axis=axis)
    return jnp.where(tv > 1, 1.0, tv).astype(tv.dtype)
