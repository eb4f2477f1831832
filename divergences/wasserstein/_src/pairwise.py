r"""The cost matrices of named metrics and of callables, in JAX: differentiable, scaled exactly.

The private side of :func:`divergences.cost_matrix` (:mod:`divergences.wasserstein.cost`), for
validated points: the matrix of a named metric by its spec's formula (the Euclidean norm free of
overflow and underflow by one power of two, hypot-style where a square could underflow) or of a
callable, and the exact scaling by a power of two, read by the runner, the device solvers, the
envelope derivatives and the 1-D formula.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.metrics import Euclidean, MetricSpec, Ops, named_metric
from divergences._src.numerics import abs_subgradient, safe_sqrt
from divergences._src.scaling import scale_exponent

__all__ = ["Metric", "cost_matrix_unchecked", "times_power_of_two"]

#: A metric by name, a metric's spec (``Minkowski(p=3)``) or a callable
#: ``c(x_i, y_j) -> scalar`` on two points of shape ``(d,)``.
Metric = str | MetricSpec | Callable[[jax.Array, jax.Array], jax.Array]

#: The operations of the differentiable costs: the subgradient 0 where a difference is 0.
_DIFFERENTIABLE = Ops(jnp, jnp.sum, abs_subgradient, safe_sqrt, lax.stop_gradient)


#: Scaled coordinates (in (-1, 1)) at least this large in magnitude, when not 0, keep every
#: distance between distinct points free of underflow: two such coordinates that differ, differ by
#: at least an ulp of 2^-400, 2^-452, whose square 2^-904 is normal.
_SMALLEST_SAFE_COORDINATE = 2.0**-400


def _norm(x: jax.Array, y: jax.Array) -> jax.Array:
    r"""``|x_i - y_j|_2`` for all pairs, with neither overflow nor underflow.

    Fast path: the points are scaled by one power of two into (-1, 1) (exact), so no difference
    or square overflows, and the norm is :math:`2^e \sqrt{\sum_k d_k^2}`: one multiply per
    pair more than the plain norm, fused by XLA. Only when some non-zero scaled coordinate is
    below 2^-400 (a cloud spanning ~120 orders of magnitude), where a square could underflow,
    is the matrix computed hypot-style instead, each difference scaled by its largest
    component: :math:`m \sqrt{\sum_k (d_k / m)^2}` (about 3x the time). The scale factors
    carry no derivative (each expression equals the norm for every positive factor), so the
    gradient is the unit vector, and the subgradient 0 at coincident points (``safe_sqrt``).
    """
    e = scale_exponent(x, y, xp=jnp)
    xs, ys = times_power_of_two(x, -e), times_power_of_two(y, -e)
    both = jnp.abs(jnp.concatenate([xs, ys]))
    risky = jnp.any((both > 0) & (both < _SMALLEST_SAFE_COORDINATE))

    def plain(xs: jax.Array, ys: jax.Array) -> jax.Array:
        diff = xs[:, None, :] - ys[None, :, :]
        return safe_sqrt(jnp.sum(diff * diff, axis=-1))

    def hypot_style(xs: jax.Array, ys: jax.Array) -> jax.Array:
        # The derivative is the unit vector r / |r|, attached by an added zero term, not by
        # differentiating m sqrt(sum (d / m)^2): that chain multiplies the incoming cotangent by
        # m (as small as 2^-1074) before dividing by it, and a cotangent already scaled down (a
        # caller's own power of two) then falls below the normal range, where XLA's CPU flushes
        # it to 0 (seen: a zero gradient at points 2^-270 apart).
        diff = xs[:, None, :] - ys[None, :, :]
        d = lax.stop_gradient(diff)
        m = jnp.max(jnp.abs(d), axis=-1, keepdims=True)
        m = jnp.where(m > 0, m, jnp.ones_like(m))
        r = d / m
        length = jnp.sqrt(jnp.sum(r * r, axis=-1))
        unit = r / jnp.where(length > 0, length, 1.0)[..., None]  # 0 at coincident points
        return m[..., 0] * length + jnp.sum(unit * (diff - d), axis=-1)

    return times_power_of_two(lax.cond(risky, hypot_style, plain, xs, ys), e)


def cost_matrix_unchecked(x: jax.Array, y: jax.Array, metric: Metric) -> jax.Array:
    """The cost matrix of validated ``(n, d)`` and ``(m, d)`` arrays, in JAX (differentiable).

    A named metric is one compiled program per shape (:func:`_named_cost`); a callable is
    traced where it is called, so that a new function object costs no compilation of its own.
    """
    if callable(metric):
        row = jax.vmap(metric, in_axes=(None, 0))
        return jax.vmap(row, in_axes=(0, None))(x, y)
    return _named_cost(x, y, metric)


@functools.partial(jax.jit, static_argnames="metric")
def _named_cost(x: jax.Array, y: jax.Array, metric: str | MetricSpec) -> jax.Array:
    """:func:`cost_matrix_unchecked` for a metric by name, jitted.

    Called outside :func:`jax.jit`, JAX would otherwise compile each of the Euclidean norm's
    operations on its own at every new shape, and trace and compile its ``lax.cond`` again on every
    call (its branches are new functions each time). Inside a caller's ``jit`` it is inlined.
    """
    spec = named_metric(metric)
    if spec == Euclidean() and x.shape[1] > 1:
        return _norm(x, y)
    return spec.costs(x[:, None, :] - y[None, :, :], _DIFFERENTIABLE)


def times_power_of_two(x: jax.Array, e: jax.Array | int) -> jax.Array:
    """``x * 2^e``, exact, in JAX, for ``|e| <= 1000`` (the factor is a normal float).

    ``x`` keeps its derivative (times the factor), the exponent has none.
    """
    factor = jnp.ldexp(jnp.ones((), x.dtype), jnp.asarray(e, jnp.int32))
    return x * lax.stop_gradient(factor)
