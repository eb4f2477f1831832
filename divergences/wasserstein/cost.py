r"""Ground cost matrices :math:`C_{ij} = c(x_i, y_j)` between two point clouds.

The Wasserstein-1 distance takes a *metric* as its cost. The trap of the lectures: with the
squared Euclidean cost the same LP gives :math:`W_2^2`, the *square* of the 2-Wasserstein
distance, which is not :math:`W_1` and not even a metric (it fails the triangle inequality).
``metric="sqeuclidean"`` is offered because it is the usual cost of :math:`W_2`, but the
functions named ``w1_*`` only compute :math:`W_1` when the cost is a metric.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.array_types import ArrayLike
from divergences._src.metrics import Euclidean, MetricSpec, Ops, check_metric, named_metric
from divergences._src.numerics import abs_subgradient, safe_sqrt
from divergences._src.scaling import scale_exponent
from divergences.wasserstein._src.discrete_measures import as_points

__all__ = ["Metric", "cost_matrix"]

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


def cost_matrix(x: ArrayLike, y: ArrayLike, *, metric: Metric = "euclidean") -> jax.Array:
    r"""Cost matrix :math:`C_{ij} = c(x_i, y_j)` between two sets of points.

    Metrics by name, for points :math:`x, y \in \mathbb{R}^d`:

    * ``"euclidean"``: :math:`\|x - y\|_2` (the cost of :math:`W_1` in the WGAN lectures);
    * ``"sqeuclidean"``: :math:`\|x - y\|_2^2`. **Not a metric**: an optimal-transport value
      with this cost is :math:`W_2^2`, not :math:`W_1`;
    * ``"cityblock"``: :math:`\|x - y\|_1`;
    * ``"chebyshev"``: :math:`\|x - y\|_\infty`;
    * ``dv.Minkowski(p=p)``: :math:`\|x - y\|_p`, for a finite :math:`p \ge 1`;
    * a callable ``c(x_i, y_j)`` taking two points of shape ``(d,)`` and returning a scalar,
      written in JAX so that it can be traced and differentiated.

    The matrix is computed from differences ``x_i - y_j``, so coincident points give exactly 0;
    the Euclidean norm is taken hypot-style, so it overflows or underflows only where the distance
    does. Gradients are finite everywhere (the subgradient 0 at coincident points).

    Args:
      x: points, shape ``(n, d)``, or ``(n,)`` for points on the line.
      y: points, shape ``(m, d)`` or ``(m,)``; same dimension ``d`` as ``x``.
      metric: a name above, a spec (``dv.Minkowski(p=3)``) or a callable.

    Returns:
      The ``(n, m)`` matrix, in the floating dtype of the inputs.

    Raises:
      ValueError: for non-finite points, points of different dimension, an unknown metric.

    References:
      Peyre & Cuturi, *Computational Optimal Transport*, 2019, Sec. 2.4.

    Example:
      >>> import divergences as dv
      >>> dv.cost_matrix([[0.0, 0.0], [3.0, 4.0]], [[0.0, 0.0]]).ravel().tolist()
      [0.0, 5.0]
      >>> dv.cost_matrix([[3.0, 4.0]], [[0.0, 0.0]], metric="sqeuclidean").item()
      25.0
      >>> round(dv.cost_matrix([[3.0, 4.0]], [[0.0, 0.0]], metric=dv.Minkowski(p=3)).item(), 6)
      4.497941
    """
    check_metric(metric)
    xp = as_points(x, "x")
    yp = as_points(y, "y")
    if xp.shape[1] != yp.shape[1]:
        raise ValueError(
            f"x and y must have points of the same dimension: x has shape {xp.shape}, "
            f"y has shape {yp.shape}"
        )
    dtype = jnp.result_type(xp, yp)
    return cost_matrix_unchecked(xp.astype(dtype), yp.astype(dtype), metric)
