r"""Ground cost matrices :math:`C_{ij} = c(x_i, y_j)` between two point clouds.

The Wasserstein-1 distance takes a *metric* as its cost. The trap of the lectures: with the
squared Euclidean cost the same LP gives :math:`W_2^2`, the *square* of the 2-Wasserstein
distance, which is not :math:`W_1` and not even a metric (it fails the triangle inequality).
``metric="sqeuclidean"`` is offered because it is the usual cost of :math:`W_2`, but the
functions named ``w1_*`` only compute :math:`W_1` when the cost is a metric.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from divergences._src.array_types import ArrayLike
from divergences._src.metrics import check_metric
from divergences.wasserstein._src.discrete_measures import as_points
from divergences.wasserstein._src.pairwise import Metric, cost_matrix_unchecked

__all__ = ["Metric", "cost_matrix"]


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
