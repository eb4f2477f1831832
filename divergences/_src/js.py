r"""Jensen-Shannon divergence and distance."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.array_types import ArrayLike, Base
from divergences._src.domain import check_base, check_base_above_one, on_pmf_pair
from divergences._src.log_sums import js_sum
from divergences._src.numerics import flush_floor, log_of_base, safe_sqrt, upscaled_root
from divergences._src.precision import keeps_input_precision
from divergences._src.terms import js_accurate

__all__ = ["js_distance", "js_divergence"]

_LOG2 = math.log(2.0)


def _js_nats(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    # JS = 1/2 sum p log(2p / (p+q)) + 1/2 sum q log(2q / (p+q)), a sum of non-negative terms (see
    # log_sums.js_sum). Its top, log 2 (disjoint supports), is log 2 (sum p + sum q) / 2: above
    # log 2 when the masses sum to a hair above one, so the result is capped there.
    return jnp.minimum(0.5 * js_sum(p, q, axis), _LOG2)


@keeps_input_precision
def js_divergence(p: ArrayLike, q: ArrayLike, *, base: Base = None, axis: int = -1) -> jax.Array:
    r"""Jensen-Shannon divergence, with the factor 1/2.

    .. math::
       \mathrm{JS}(p \,\|\, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12\mathrm{KL}(q \,\|\, m),
       \qquad m = \tfrac12 (p + q).

    Symmetric, and :math:`0 \le \mathrm{JS} \le \log 2` nats (1 bit), with equality on the right
    exactly when the supports are disjoint. Some texts drop the 1/2; their JS is twice this one and
    is bounded by :math:`2 \log 2`. This is the divergence, not its square root: for the metric use
    :func:`js_distance`.

    Conventions: as :func:`divergences.kl` (0 log 0 = 0); the value is always finite. Each term
    :math:`p \log(2p/(p+q)) + q \log(2q/(p+q))` is non-negative and is evaluated to within a few
    ulp, near-identical ``p`` and ``q`` included, so the result is relatively accurate wherever it
    is a normal number. It is capped at :math:`\log 2`: masses that sum to one only within the
    tolerance could otherwise exceed it by a rounding. The cap is exact on every backend; at
    disjoint supports the value is :math:`\log 2` to within those few ulp (the backend's
    logarithm and sum decide the last bit). Gradients are finite everywhere, with zero-mass
    terms held at 0.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``; broadcasts against ``p``.
      base: logarithm base; ``None`` for nats, ``2`` for bits.
      axis: the axis holding the masses.

    Returns:
      JS(p || q) in [0, log 2] nats, with ``axis`` reduced.

    References:
      Lin, *Divergence Measures Based on the Shannon Entropy*, IEEE Trans. Inf. Theory 37(1),
      1991; Goodfellow et al., *Generative Adversarial Nets*, NeurIPS 2014, Theorem 1.

    Example:
      >>> import divergences as dv
      >>> float(dv.js_divergence([1.0, 0.0], [0.0, 1.0], base=2))
      1.0
    """
    check_base(base)
    return on_pmf_pair(_js, p, q, axis=axis, extra=lambda dtype: (log_of_base(base, dtype),))


@functools.partial(jax.jit, static_argnames="axis")
def _js(p: jax.Array, q: jax.Array, log_base: jax.Array, *, axis: int) -> jax.Array:
    return _js_nats(p, q, axis) / log_base


@keeps_input_precision
def js_distance(p: ArrayLike, q: ArrayLike, *, base: Base = None, axis: int = -1) -> jax.Array:
    r"""Jensen-Shannon distance :math:`\sqrt{\mathrm{JS}(p \,\|\, q)}`, a metric on distributions.

    Never NaN (SciPy's ``jensenshannon`` returns NaN where its JS rounds below 0), and
    relatively accurate where JS is a normal number: the square root of the accurate JS (float32
    included: ``js_distance`` of two pmfs that differ by 6e-5 is right to a few ulp, where the
    defining sum returned a value three times too large). Where JS itself falls below the
    dtype's normal range (masses near the smallest normal number), which XLA flushes to 0, the
    distance is the root of the sum taken on the masses times a power of two, divided by the
    root of that power: it is relatively accurate there too.
    At ``p = q`` the square root has no derivative; the gradient returned there is 0, a
    subgradient.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``; broadcasts against ``p``.
      base: logarithm base of the JS inside the root; ``None`` for nats, ``2`` for bits. It
        must exceed 1: in a base below 1 the JS is negative and has no square root.
      axis: the axis holding the masses.

    Returns:
      sqrt(JS(p || q)) in [0, sqrt(log 2)] (in [0, 1] with ``base=2``), with ``axis`` reduced.

    References:
      Endres & Schindelin, *A New Metric for Probability Distributions*, IEEE Trans. Inf. Theory
      49(7), 2003.

    Example:
      >>> import divergences as dv
      >>> float(dv.js_distance([0.3, 0.7], [0.3, 0.7]))
      0.0
    """
    check_base(base)
    check_base_above_one(
        base, "js_distance", "in a base below 1 the JS is negative and has no square root"
    )
    return on_pmf_pair(_js_root, p, q, axis=axis, extra=lambda dtype: (log_of_base(base, dtype),))


@functools.partial(jax.jit, static_argnames="axis")
def _js_root(p: jax.Array, q: jax.Array, log_base: jax.Array, *, axis: int) -> jax.Array:
    js = jnp.maximum(_js(p, q, log_base, axis=axis), 0)
    # Where JS is small it may be below the normal range, flushed to 0 by XLA while its root is
    # normal: there the root is taken of the sum on the upscaled masses (numerics.upscaled_root), and
    # divided by the root of the scale. One lax.cond on the sums: nothing more where none is.
    small = flush_floor(js)
    return lax.cond(
        jnp.all(js >= small),
        lambda: safe_sqrt(js),
        lambda: jnp.where(js >= small, safe_sqrt(js), _small_js_root(p, q, log_base, axis)),
    )


def _small_js_root(p: jax.Array, q: jax.Array, log_base: jax.Array, axis: int) -> jax.Array:
    """``sqrt(JS)`` from the terms of :func:`~divergences._src.terms.js_accurate` upscaled."""
    return upscaled_root(_half_js, p, q, axis=axis) / jnp.sqrt(log_base)


def _half_js(p: jax.Array, q: jax.Array) -> jax.Array:
    """The terms of JS in nats: half those of :func:`~divergences._src.terms.js_accurate`."""
    return 0.5 * js_accurate(p, q)
