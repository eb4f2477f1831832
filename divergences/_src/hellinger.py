r"""Hellinger distance."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from divergences._src.array_types import ArrayLike
from divergences._src.domain import on_pmf_pair
from divergences._src.numerics import upscaled_root
from divergences._src.precision import keeps_input_precision
from divergences._src.terms import SQUARED_HELLINGER

__all__ = ["hellinger"]


@keeps_input_precision
def hellinger(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> jax.Array:
    r"""Hellinger distance :math:`H(p, q) = \frac{1}{\sqrt 2}\,\| \sqrt p - \sqrt q \|_2`.

    Normalised so that ``0 <= H <= 1``, with 1 exactly for disjoint supports; equivalently
    :math:`H^2 = 1 - \sum_i \sqrt{p_i q_i}`. The f-GAN table's "squared Hellinger" generator
    :math:`(\sqrt t - 1)^2` gives :math:`2 H^2`. A metric.

    Gradients: :math:`\sqrt{\cdot}` has an infinite one-sided derivative at 0; at zero mass this
    function returns the derivative with that entry's :math:`\sqrt{p_i}` held at 0 (0 for that
    coordinate), and at ``p = q`` the subgradient 0.

    Accuracy: relative, near-identical pairs included, each term summed as
    :math:`\big((p_i - q_i) / (\sqrt{p_i} + \sqrt{q_i})\big)^2`, where :math:`p_i - q_i` is exact
    for masses within a factor 2 (:math:`\sqrt{p_i} - \sqrt{q_i}` loses the digits they share).

    Range: at most 1 for every accepted input; masses accepted within the sum tolerance could
    give :math:`H^2` up to 1 plus that tolerance, returned as 1.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``; broadcasts against ``p``.
      axis: the axis holding the masses.

    Returns:
      H(p, q) in [0, 1], with ``axis`` reduced.

    References:
      Hellinger, *Neue Begruendung der Theorie quadratischer Formen*, J. reine angew. Math. 136,
      1909; Le Cam & Yang, *Asymptotics in Statistics*, 2000, sec. 3.2.

    Example:
      >>> import divergences as dv
      >>> float(dv.hellinger([1.0, 0.0], [0.0, 1.0]))
      1.0
    """
    return on_pmf_pair(_hellinger, p, q, axis=axis)


@functools.partial(jax.jit, static_argnames="axis")
def _hellinger(p: jax.Array, q: jax.Array, *, axis: int) -> jax.Array:
    # The root of H^2 summed on upscaled masses (numerics.upscaled_root): a term
    # (sqrt p - sqrt q)^2 below the normal range would be flushed to 0 by XLA, and H^2 with it,
    # where H itself is normal (H = 1.5e-155 at p = 1.21 tiny, q = tiny against the reverse).
    h = upscaled_root(_half_squared_hellinger, p, q, axis=axis)
    return jnp.where(h > 1, 1.0, h).astype(h.dtype)


def _half_squared_hellinger(p: jax.Array, q: jax.Array) -> jax.Array:
    return 0.5 * SQUARED_HELLINGER.masses(p, q)
