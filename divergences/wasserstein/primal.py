"""Wasserstein-1 as the Kantorovich primal LP over couplings, with a certified interval."""

from __future__ import annotations

from typing import Any

from divergences._src.array_types import ArrayLike
from divergences.wasserstein._src.problem import SolverOptions, make_problem
from divergences.wasserstein._src.results import W1Primal
from divergences.wasserstein._src.runner import PRIMAL, run
from divergences.wasserstein.cost import Metric

__all__ = ["W1Primal", "w1_primal"]


def w1_primal(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    metric: Metric = "euclidean",
    method: str = "auto",
    options: SolverOptions | None = None,
    **keywords: Any,
) -> W1Primal:
    r"""W1 between two discrete measures by the primal LP: its plan and a certified interval.

    .. math::
       W_1(\mu, \nu) = \min_{P \ge 0,\ P \mathbf{1} = a,\ P^\top \mathbf{1} = b}
       \sum_{ij} P_{ij}\, c(x_i, y_j).

    ``lower_bound <= W1 <= upper_bound`` holds in real arithmetic for the measures as given
    (two samples: their empirical measures; the laws behind them: :mod:`divergences.estimate`),
    in every dtype and mode (``a=None``: exactly :math:`1/n`; past the largest float: ``inf``).
    Host (``"dense"``, ``"sparse"``, ``"line"``) or XLA (``"sinkhorn"``): :doc:`/concepts/wasserstein`.

    Args:
      x: support of :math:`\mu = \sum_i a_i \delta_{x_i}`, shape ``(n, d)``, or ``(n,)``.
      y: support of :math:`\nu = \sum_j b_j \delta_{y_j}`, shape ``(m, d)`` or ``(m,)``.
      a: weights of ``x``, >= 0, summing to 1; ``None`` for uniform.
      b: weights of ``y``, the same total as ``a``; ``None`` for uniform.
      metric: the ground cost (:func:`divergences.cost_matrix`); ``"sqeuclidean"`` gives W2^2.
      method: ``"auto"`` (exact, on every backend: ``"dense"`` up to 2000 x 2000 Euclidean pairs,
        then ``"line"`` for d = 1, else ``"sparse"``), one of those, or ``"sinkhorn"`` (to rtol).
      options: the method's record (``dv.DenseOptions``, ``dv.SparseOptions``, ...), or
      **keywords: its fields instead (those the method takes, ``None`` for its default; any
        other refused, ``None`` too; the table: :doc:`/concepts/wasserstein`).

    Returns:
      :class:`~divergences.W1Primal` ``(value, plan, u, v, lower_bound, upper_bound, method)``.

    Raises:
      ValueError: for invalid input, naming the argument (an option the method, or the one
        ``"auto"`` chose, does not take: naming both); also under ``dv.checked(jax.jit(...))``.
      SolverError: for a solve short of its certificate (``.status``); NaN under ``jit``.
      MemoryError: for a problem the method cannot hold, before anything is allocated.

    References:
      Villani, *Optimal Transport*, 2009, Def. 6.1; Peyre & Cuturi, *Computational OT*, Sec. 3.3.

    Example:
      >>> import divergences as dv
      >>> sol = dv.w1_primal([[0.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [2.0, 1.0]])
      >>> float(sol.value), sol.plan.todense().tolist()
      (2.0, [[0.5, 0.0], [0.0, 0.5]])
    """
    problem = make_problem(
        x, y, a, b, metric=metric, method=method, options=options, keywords=keywords, dual=False
    )
    return run(problem, PRIMAL)
