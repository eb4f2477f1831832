r"""Wasserstein-1 as the Kantorovich-Rubinstein dual: a sup over 1-Lipschitz potentials."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.array_types import ArrayLike
from divergences._src.errors import is_traced, require
from divergences._src.metrics import check_metric
from divergences.wasserstein._src.discrete_measures import as_points
from divergences.wasserstein._src.host.threads import check_threads
from divergences.wasserstein._src.problem import SolverOptions, make_problem
from divergences.wasserstein._src.results import W1Dual
from divergences.wasserstein._src.runner import DUAL, potential_values, run
from divergences.wasserstein.cost import Metric

__all__ = ["W1Dual", "kr_potential", "w1_dual"]


def w1_dual(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    metric: Metric = "euclidean",
    method: str = "auto",
    options: SolverOptions | None = None,
    **keywords: Any,
) -> W1Dual:
    r"""W1 by the Kantorovich-Rubinstein dual: a 1-Lipschitz potential, the WGAN critic.

    .. math::
       W_1(\mu, \nu) = \sup_{\mathrm{Lip}(f) \le 1}\ \sum_i a_i f(x_i) - \sum_j b_j f(y_j),

    with the supremum attained, for a metric cost, between the measures as given (two samples:
    their empirical measures; the laws behind them: :mod:`divergences.estimate`). The potential
    is the c-transform of a primal solve's column dual, on the union ``z = (x_1, ..., y_m)``;
    :func:`divergences.kr_potential` evaluates it anywhere. ``"lp"`` solves the dual LP (HiGHS),
    to check strong duality on small problems. Methods, promises: :doc:`/concepts/wasserstein`.

    Args:
      x: support of :math:`\mu`, shape ``(n, d)``, or ``(n,)`` for points on the line.
      y: support of :math:`\nu`, shape ``(m, d)`` or ``(m,)``.
      a: weights of ``x``, >= 0, summing to 1; ``None`` for uniform.
      b: weights of ``y``, the same total as ``a``; ``None`` for uniform.
      metric: the ground cost, a metric (:func:`divergences.cost_matrix`).
      method: a method of :func:`divergences.w1_primal` (the c-transform of its solve; ``"auto"``
        chooses as it does), or ``"lp"``.
      options: the method's record, as for :func:`divergences.w1_primal` (``"lp"``:
        ``dv.LPOptions``), or
      **keywords: its fields; one the method does not take is a ValueError naming both.

    Returns:
      A :class:`~divergences.W1Dual` ``(value, f, points, lipschitz_violation, method)``.

    Raises:
      ValueError: for invalid input or an option the method does not take, naming the
        argument; also under ``dv.checked(jax.jit(...))``.
      SolverError: for a solve short of its optimum or of ``rtol``; NaN under ``jit``.
      MemoryError: for a problem the method cannot hold, before anything is allocated.

    References:
      Villani, *Optimal Transport*, 2009, Remark 6.5; Arjovsky et al., *WGAN*, 2017, Theorem 3.

    Example:
      >>> import divergences as dv
      >>> dual = dv.w1_dual([0.0, 1.0], [3.0, 4.0])
      >>> round(float(dual.value), 12), [round(float(t), 12) for t in dual.f - dual.f[0]]
      (3.0, [0.0, -1.0, -3.0, -4.0])
    """
    problem = make_problem(
        x, y, a, b, metric=metric, method=method, options=options, keywords=keywords, dual=True
    )
    return run(problem, DUAL)


def kr_potential(
    dual: W1Dual, z: ArrayLike, *, metric: Metric = "euclidean", threads: int | None = None
) -> jax.Array:
    r"""The Kantorovich-Rubinstein potential of a :func:`w1_dual` result at any points.

    McShane's extension of ``dual.f`` from its points :math:`z_k` (``dual.points``),

    .. math:: f(z) = \min_k\ c(z, z_k) + f(z_k),

    the largest 1-Lipschitz function equal to ``dual.f`` on the samples: for ``method="dense"``,
    ``"sparse"``, ``"line"`` and ``"sinkhorn"`` the c-transform the solve produced. Its gradient
    :math:`\nabla_z c(z, z_{k^*})` at the minimising sample is the critic's gradient that a WGAN
    generator follows; ``dual`` carries none. A named metric is queried on the host (for the
    Euclidean cost a weighted nearest-neighbour search on a k-d tree, else by blocks), by
    callback under ``jit`` and ``vmap``, which return the eager call's bits (subnormals
    included); a callable metric by blocks in JAX.

    Args:
      dual: a :class:`W1Dual` from :func:`divergences.w1_dual`, eager or traced.
      z: where to evaluate, shape ``(q, d)`` with the dimension of ``dual.points``, or ``(q,)``.
      metric: the cost ``dual`` was solved with.
      threads: threads of the k-d tree query; ``None``: ``$DIVERGENCES_NUM_THREADS``, else all.

    Returns:
      :math:`f(z)`, shape ``(q,)``, in the dtype of ``dual.f``.

    Raises:
      ValueError: if ``z`` is not finite or of another dimension than ``dual.points``, or
        ``dual`` is not a finite potential on its points; also under ``dv.checked(jax.jit(...))``.
      SolverError: where the query on the host fails (``MemoryError`` where it runs out of
        memory); the same error under ``dv.checked(jax.jit(...))``.

    References:
      McShane, *Extension of range of functions*, Bull. AMS 40, 1934.

    Example:
      >>> import divergences as dv
      >>> dual = dv.w1_dual([0.0, 1.0], [3.0, 4.0])
      >>> f = dv.kr_potential(dual, [-1.0, 2.0, 10.0])
      >>> [round(float(t), 12) + 0.0 for t in f]  # + 0.0: a zero of either sign reads 0.0
      [3.0, 0.0, 4.0]
    """
    check_metric(metric)
    f, points = dual.f, dual.points
    if np.ndim(points) != 2 or np.ndim(f) != 1 or np.shape(f)[0] != np.shape(points)[0]:
        raise ValueError(
            "dual must be a W1Dual: f of shape (N,) on points of shape (N, d); got f "
            f"{np.shape(f)}, points {np.shape(points)}"
        )
    q = as_points(z, "z")
    d = np.shape(points)[1]
    if q.shape[1] != d:
        raise ValueError(
            f"z must have points of dimension {d}, the dimension of dual.points; got shape "
            f"{q.shape}"
        )
    xp = jnp if is_traced((f, points, q)) else np
    valid = require(
        xp.all(xp.isfinite(f)),
        "dual.f contains NaN or inf; a potential from a failed solve (under jax.jit) cannot "
        "be evaluated",
    )
    valid = valid & require(
        xp.all(xp.isfinite(points)),
        "dual.points contains NaN or inf; the potential's sites must be finite",
    )
    return potential_values(f, points, q, metric, check_threads(threads), valid)
