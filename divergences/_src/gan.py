r"""The optimal discriminator and the value function of the original GAN game."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.array_types import ArrayLike, Base
from divergences._src.domain import (
    check_base,
    check_in_unit_interval,
    check_pmf_pair,
    check_same_shape_after_broadcast,
)
from divergences._src.errors import is_traced
from divergences._src.log_sums import gan_sum
from divergences._src.numerics import log_of_base, support_mask, upscaled_sum, xlog_ratio
from divergences._src.precision import flush_subnormals, keeps_input_precision

__all__ = ["gan_value", "optimal_discriminator"]


@keeps_input_precision
def optimal_discriminator(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> jax.Array:
    r"""The discriminator that maximises the GAN value for fixed G: :math:`D^* = p / (p + q)`.

    Here ``p`` is the data distribution and ``q`` the generator's. Where :math:`p_i + q_i = 0`
    the point has no weight under either distribution and every :math:`D_i` gives the same value;
    this function returns :math:`1/2` there (the choice that is symmetric in p and q), with a
    finite gradient.

    Args:
      p: data distribution, masses along ``axis``.
      q: generator distribution, masses along ``axis``; broadcasts against ``p``.
      axis: the axis holding the masses.

    Precision: where :math:`q_i < \epsilon\, p_i` (machine epsilon) the quotient rounds to
    exactly 1, and :func:`gan_value` at that ``d`` has the term :math:`q_i \log 0 = -\infty`
    although the exact value is finite. For the value at the optimum call ``gan_value(p, q)``
    without a discriminator: it is computed from the masses, never from ``d``, and is finite and
    relatively accurate for every pair.

    Returns:
      D*, elementwise, with the broadcast shape of ``p`` and ``q``; values in [0, 1].

    References:
      Goodfellow et al., *Generative Adversarial Nets*, NeurIPS 2014, Proposition 1.

    Example:
      >>> import divergences as dv
      >>> dv.optimal_discriminator([0.8, 0.2, 0.0], [0.2, 0.8, 0.0]).tolist()
      [0.8, 0.2, 0.5]
    """
    p, q = check_pmf_pair(p, q, axis=axis)
    return _compiled_discriminator(p, q)


@jax.custom_jvp
def _discriminator(p: jax.Array, q: jax.Array) -> jax.Array:
    """``p / (p + q)``, 1/2 where both vanish (masses below ``tiny`` count as 0: has_mass)."""
    p, q = flush_subnormals(p), flush_subnormals(q)
    s = p + q
    off = 1 - support_mask(s)
    return (p + 0.5 * off) / (s + off)


@_discriminator.defjvp
def _discriminator_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    # dD = (q dp - p dq) / s^2, taken as ((q/s) dp - (p/s) dq) / s: s^2 underflows for masses
    # near the smallest normal number while each quotient is finite. 0 where p = q = 0.
    p, q = flush_subnormals(primals[0]), flush_subnormals(primals[1])
    dp, dq = tangents
    s = p + q
    off = 1 - support_mask(s)
    ss = s + off
    return _discriminator(p, q), ((q / ss) * dp - (p / ss) * dq) / ss


_compiled_discriminator = jax.jit(_discriminator)


def _xlog1m(x: jax.Array, y: jax.Array) -> jax.Array:
    """``x * log(1 - y)``, 0 where ``x = 0`` (even for ``y = 1``); gradient-safe.

    As :func:`divergences._src.numerics.xlog_ratio` (``x log(y / 1)`` for the other half of the value)
    with ``log1p(-y)``, accurate for small ``y``, in place of ``log(1 - y)``. The log is taken
    where ``x > 0`` or ``y < 1``, so the derivative in ``x`` at ``x = 0`` is the finite
    ``log(1 - y)`` when ``y < 1`` and 0 when ``y = 1``.
    """
    m = jnp.maximum(support_mask(x), support_mask(1 - y))
    return x * jnp.log1p(-(y * m))


@keeps_input_precision
def gan_value(
    p: ArrayLike,
    q: ArrayLike,
    d: ArrayLike | None = None,
    *,
    base: Base = None,
    axis: int = -1,
) -> jax.Array:
    r"""The GAN value :math:`V(G, D) = \mathbb{E}_p \log D + \mathbb{E}_q \log(1 - D)`.

    On a finite space :math:`V = \sum_i p_i \log d_i + q_i \log(1 - d_i)`; at the optimal
    discriminator :math:`D^* = p/(p+q)`, :math:`V(G, D^*) = -\log 4 + 2\,\mathrm{JS}(p \,\|\, q)`.
    Without ``d`` the value at :math:`D^*` is :math:`-\sum_i p_i \log(1 + q_i/p_i) + q_i \log(1 +
    p_i/q_i)`, terms of one sign: in :math:`[-\log 4, 0]` and relatively accurate for every pair,
    near disjoint supports too, where the identity cancels (on masses off 1 by a rounding the two
    differ by :math:`\log 2\,(\sum p + \sum q - 2)`); its gradient is :math:`(\log D^*,
    \log(1 - D^*))`. With ``d`` it is the sum as written (see the GAN page of the docs).

    Conventions: a term with zero weight is 0 (``d = 0`` where ``p = 0``, ``d = 1`` where
    ``q = 0``); ``d = 0`` where ``p > 0`` gives ``-inf``.

    Args:
      p: data distribution, masses along ``axis``.
      q: generator distribution, masses along ``axis``.
      d: discriminator outputs in [0, 1], one per outcome or a single value, broadcast against
        ``p`` and ``q``; ``None`` (the default) for :math:`D^*`.
      base: logarithm base; ``None`` for nats, ``2`` for bits.
      axis: the axis holding the masses.

    Returns:
      V(G, D) <= 0, with ``axis`` reduced; V(G, D*) in [-log 4, 0] when ``d`` is omitted.

    Raises:
      ValueError: for invalid masses, a bad ``base`` or ``axis``, or a ``d`` outside [0, 1] or of
        a shape that does not broadcast (the message names the argument).

    References:
      Goodfellow et al., *Generative Adversarial Nets*, NeurIPS 2014, eq. (1) and Theorem 1.

    Example:
      >>> import math, divergences as dv
      >>> p, q = [0.8, 0.2], [0.3, 0.7]
      >>> v = dv.gan_value(p, q, dv.optimal_discriminator(p, q))
      >>> bool(abs(v - (-math.log(4) + 2 * dv.js_divergence(p, q))) < 1e-6)
      True
      >>> bool(abs(dv.gan_value(p, q) - v) < 1e-12)  # d omitted: the value at D*
      True
    """
    check_base(base)
    p, q = check_pmf_pair(p, q, axis=axis)
    if d is None:
        return _value_at_optimum(p, q, log_of_base(base, p.dtype), axis=axis)
    disc = check_in_unit_interval(d, "d")
    if disc.ndim == 0:  # one value for every outcome: a constant discriminator
        disc = (jnp if is_traced(disc) else np).broadcast_to(disc, p.shape)
    p, q, disc = check_same_shape_after_broadcast({"p": p, "q": q, "d": disc}, axis=axis)
    return _value(p, q, disc, log_of_base(base, p.dtype), axis=axis)


@functools.partial(jax.jit, static_argnames="axis")
def _value_at_optimum(p: jax.Array, q: jax.Array, log_base: jax.Array, *, axis: int) -> jax.Array:
    # sum p log(p/s) + q log(q/s) in terms of one sign (log_sums.gan_sum): -log 4 + 2 JS, its value
    # on pmfs, cancels near disjoint supports (0.0 for -4.7e-19 at p = [1, 0], q = [1e-20, 1]).
    return gan_sum(p, q, axis) / log_base


@functools.partial(jax.jit, static_argnames="axis")
def _value(
    p: jax.Array, q: jax.Array, d: jax.Array, log_base: jax.Array, *, axis: int
) -> jax.Array:
    # Linear in (p, q) for a given d: summed on upscaled masses (numerics.upscaled_sum), since a
    # term p log d below the normal range (1.5 tiny log 0.9) is flushed to 0 by XLA where the
    # value is normal.
    return upscaled_sum(_gan_terms, p, q, axis=axis, given=(d,)) / log_base


def _gan_terms(p: jax.Array, q: jax.Array, d: jax.Array) -> jax.Array:
    """``p log d + q log(1 - d)`` with zero-weight terms at 0."""
    return xlog_ratio(p, d, jnp.ones_like(d)) + _xlog1m(q, d)
