r"""Ground cost matrices :math:`C_{ij} = c(x_i, y_j)` between two point clouds.

The Wasserstein-1 distance takes a *metric* as its cost. The trap of the lectures: with the
squared Euclidean cost the same LP gives :math:`W_2^2`, the *square* of the 2-Wasserstein
distance, which is not :math:`W_1` and not even a metric (it fails the triangle inequality).
``metric="sqeuclidean"`` is offered because it is the usual cost of :math:`W_2`, but the
functions named ``w1_*`` only compute :math:`W_1` when the cost is a metric.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from divergences._numerics import safe_sqrt
from divergences._typing import ArrayLike
from divergences.wasserstein._measures import as_points, check_metric

__all__ = ["Metric", "cost_matrix"]

#: A metric by name or a callable ``c(x_i, y_j) -> scalar`` on two points of shape ``(d,)``.
Metric = str | Callable[[jax.Array, jax.Array], jax.Array]


def pairwise_cost(x: jax.Array, y: jax.Array, metric: Metric) -> jax.Array:
    """The cost matrix of validated ``(n, d)`` and ``(m, d)`` arrays, in JAX (differentiable)."""
    if callable(metric):
        row = jax.vmap(metric, in_axes=(None, 0))
        return jax.vmap(row, in_axes=(0, None))(x, y)
    diff = x[:, None, :] - y[None, :, :]
    if metric in ("cityblock", "chebyshev"):
        # |d| as d * sign(d): the same value, and derivative sign(d), which is the subgradient 0
        # at d = 0 (jnp.abs differentiates to 1 there, a one-sided choice).
        absdiff = diff * lax.stop_gradient(jnp.sign(diff))
        if metric == "cityblock":
            return jnp.sum(absdiff, axis=-1)
        return jnp.max(absdiff, axis=-1)
    if metric == "euclidean":
        # The norm's derivative at coincident points is 0/0; safe_sqrt makes it the
        # subgradient 0, so x = y gives a finite gradient, never NaN.
        return safe_sqrt(jnp.sum(diff * diff, axis=-1))
    return jnp.sum(diff * diff, axis=-1)  # sqeuclidean


def pairwise_cost_host(x: np.ndarray, y: np.ndarray, metric: Metric) -> np.ndarray:
    """The same matrix in float64 NumPy, for the host solvers (scipy's C loops for names)."""
    if callable(metric):
        return np.asarray(pairwise_cost(jnp.asarray(x), jnp.asarray(y), metric), dtype=np.float64)
    # Imported here: scipy.spatial takes longer to import than the rest of the package.
    from scipy.spatial.distance import cdist

    return cdist(np.asarray(x, np.float64), np.asarray(y, np.float64), metric=metric)


def cost_matrix(x: ArrayLike, y: ArrayLike, *, metric: Metric = "euclidean") -> jax.Array:
    r"""Cost matrix :math:`C_{ij} = c(x_i, y_j)` between two sets of points.

    Metrics by name, for points :math:`x, y \in \mathbb{R}^d`:

    * ``"euclidean"``: :math:`\|x - y\|_2` (the cost of :math:`W_1` in the WGAN lectures);
    * ``"sqeuclidean"``: :math:`\|x - y\|_2^2`. **Not a metric**: an optimal-transport value
      with this cost is :math:`W_2^2`, not :math:`W_1`;
    * ``"cityblock"``: :math:`\|x - y\|_1`;
    * ``"chebyshev"``: :math:`\|x - y\|_\infty`;
    * a callable ``c(x_i, y_j)`` taking two points of shape ``(d,)`` and returning a scalar,
      written in JAX so that it can be traced and differentiated.

    The matrix is computed from differences ``x_i - y_j`` (never from the expansion
    :math:`|x|^2 + |y|^2 - 2 x \cdot y`), so coincident points give exactly 0. Gradients are
    finite everywhere: at coincident points the Euclidean norm's derivative is the subgradient
    0, and so are those of ``|.|`` and ``max``.

    Args:
      x: points, shape ``(n, d)``, or ``(n,)`` for points on the line.
      y: points, shape ``(m, d)`` or ``(m,)``; same dimension ``d`` as ``x``.
      metric: a name above or a callable.

    Returns:
      The ``(n, m)`` matrix, in the floating dtype of the inputs.

    Raises:
      ValueError: for non-finite points, points of different dimension, an unknown metric.

    References:
      Peyre & Cuturi, *Computational Optimal Transport*, Found. Trends Mach. Learn. 11, 2019,
      Sec. 2.4 (the p-Wasserstein distances and their costs).

    Example:
      >>> import divergences as dv
      >>> dv.cost_matrix([[0.0, 0.0], [3.0, 4.0]], [[0.0, 0.0]]).ravel().tolist()
      [0.0, 5.0]
      >>> dv.cost_matrix([[3.0, 4.0]], [[0.0, 0.0]], metric="sqeuclidean").item()
      25.0
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
    return pairwise_cost(xp.astype(dtype), yp.astype(dtype), metric)
