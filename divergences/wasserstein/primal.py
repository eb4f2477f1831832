r"""Wasserstein-1 as the Kantorovich primal LP over couplings: solved exactly on the host, or
certified to a relative gap in XLA (``method="sinkhorn"``)."""

from __future__ import annotations

from divergences._src.typing import ArrayLike
from divergences.wasserstein._problem import make_problem
from divergences.wasserstein._results import W1Primal
from divergences.wasserstein._runner import run_primal
from divergences.wasserstein.cost import Metric

__all__ = ["W1Primal", "w1_primal"]


def w1_primal(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    metric: Metric = "euclidean",
    max_iter: int | None = None,
    method: str = "auto",
    rtol: float | None = None,
    max_rounds: int = 100,
    threads: int | None = None,
) -> W1Primal:
    r"""Exact W1 between two discrete measures, with its optimal plan and a certified interval.

    .. math::
       W_1(\mu, \nu) = \min_{P \ge 0,\ P \mathbf{1} = a,\ P^\top \mathbf{1} = b}
       \sum_{ij} P_{ij}\, c(x_i, y_j),
       \quad \mu = \sum_i a_i \delta_{x_i},\ \nu = \sum_j b_j \delta_{y_j}.

    Methods, each a different promise:

    * **exact and certified**, on the host (not in XLA): ``"dense"``, POT's network simplex on
      the :math:`n \times m` cost matrix; ``"sparse"`` (Euclidean only, the compiled
      extension), column generation with exact k-d-tree pricing that never forms the matrix,
      for large clouds in low dimension, to a certified relative gap ``rtol`` (default
      ``1e-9``). Its time follows the size and the geometry: more rounds where the transport
      moves mass far compared with the points' spacing (``benchmarks/README.md``,
      "Geometries", gives both). Under ``jax.jit`` and ``jax.vmap`` (one host solve per
      element) the same host code runs through ``jax.pure_callback`` and returns the same bits.
    * **certified to rtol**, in XLA: ``"sinkhorn"``, log-domain Sinkhorn with
      epsilon-scaling that never leaves the compiled program (no host callback: ``jit``,
      ``vmap`` in lockstep, ``grad``, sharding, GPU and TPU), stopped once its certified
      interval has ``(upper_bound - lower_bound) / upper_bound <= rtol`` (default ``1e-3``;
      smaller on request, float64 for ``1e-6``). ``value`` is the cost of its plan, the
      Sinkhorn plan rounded onto the marginals (Altschuler, Weed & Rigollet 2017), inside the
      interval; the plan has all :math:`n m` arcs up to :math:`2^{22}` pairs, else the 16
      largest of each row (the costs then go by blocks: memory :math:`O((n + m) \times
      \text{block})`). Named metrics only. Eager and traced calls run one jitted program.
      See :mod:`divergences.wasserstein._device.sinkhorn`.
    * ``"auto"``: ``"sinkhorn"`` where ``jax.default_backend()`` is ``"gpu"`` or ``"tpu"``
      (named metrics), else the exact host solvers: ``"sparse"`` above 2000 x 2000 Euclidean
      pairs, ``"dense"`` below.

    Every result carries ``lower_bound <= W1 <= upper_bound``, true in real arithmetic for the
    points and weights as given, the rounding of the costs included, in every dtype; a solve
    that stops short of a certified optimum (or, for ``"sinkhorn"``, of ``rtol``) is a
    :class:`~divergences.SolverError`. The problem is solved on the points scaled by a power of
    two (exact), so every scale gets the accuracy of scale 1. ``metric="sqeuclidean"`` gives
    :math:`W_2^2`, not :math:`W_1`. The jittable path with no LP is
    :func:`divergences.w1_1d`, for points on the line.

    ``jax.grad`` is the envelope theorem's:
    :math:`\partial W_1 / \partial x_i = \sum_j P_{ij} \nabla_x c(x_i, y_j)`,
    :math:`\partial W_1 / \partial a = u - \bar u`, :math:`\partial W_1 / \partial b = v -
    \bar v` (sub/supergradients where the plan or duals are not unique; for ``"sinkhorn"``,
    through its plan and its dual pair).

    Args:
      x: support of :math:`\mu`, shape ``(n, d)``, or ``(n,)`` for points on the line.
      y: support of :math:`\nu`, shape ``(m, d)`` or ``(m,)``.
      a: weights of ``x``, >= 0, summing to 1; ``None`` for uniform.
      b: weights of ``y``; ``None`` for uniform. Same total mass as ``a``.
      metric: the ground cost, see :func:`divergences.cost_matrix`.
      max_iter: the cap on pivots (``"sinkhorn"``: on iterations, checked every 10); ``None``
        for a generous one (``"sparse"``: none; ``"sinkhorn"``: 20000).
      method: ``"auto"``, ``"dense"``, ``"sparse"`` or ``"sinkhorn"``.
      rtol: ``"sparse"`` and ``"sinkhorn"`` stop once their certified bounds agree to ``rtol``
        relative; ``None`` for the method's default (``1e-9`` for ``"sparse"``, ``1e-3`` for
        ``"sinkhorn"``, which needs ``rtol > 0``).
      max_rounds: ``"sparse"``: the cap on pricing rounds.
      threads: threads of the compiled code (``"sparse"``, and the k-d tree of the
        certificate); ``None`` for ``$DIVERGENCES_NUM_THREADS``, else every available CPU.

    Returns:
      A :class:`~divergences.W1Primal` ``(value, plan, u, v, lower_bound, upper_bound)``; the
      plan is a :class:`~divergences.SparsePlan` (``plan.todense()`` is the matrix).

    Raises:
      ValueError: for invalid points, weights, metric or options, naming the argument; the
        value rules also under ``dv.checked(jax.jit(...))`` (a plain ``jit`` gives NaN).
      SolverError: a cap, infeasibility, a plan that is not a coupling, the sparse solver not
        built; ``.status`` says which (``"sinkhorn"``: ``PIVOT_CAP`` at ``max_iter`` with the
        gap above ``rtol``, the gap reached in the message). Under ``jit`` the results are NaN
        and ``dv.checked(jax.jit(...))`` raises it, with the same message and status.
      MemoryError: for a problem the method cannot hold, before anything is allocated.

    References:
      Villani, *Optimal Transport: Old and New*, 2009, Def. 6.1; Peyre & Cuturi,
      *Computational Optimal Transport*, 2019, Sec. 3.3 and Prop. 9.2; Arjovsky, Chintala &
      Bottou, *Wasserstein GAN*, ICML 2017, eq. (1).

    Example:
      >>> import divergences as dv
      >>> sol = dv.w1_primal([[0.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [2.0, 1.0]])
      >>> float(sol.value), bool(sol.lower_bound <= 2.0 <= sol.upper_bound)
      (2.0, True)
      >>> sol.plan.todense().tolist()
      [[0.5, 0.0], [0.0, 0.5]]
      >>> fast = dv.w1_primal([[0.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [2.0, 1.0]], method="sinkhorn")
      >>> bool(fast.lower_bound <= 2.0 <= fast.upper_bound)
      True
      >>> bool(fast.upper_bound - fast.lower_bound <= 1e-3 * fast.upper_bound)
      True
    """
    problem = make_problem(
        x, y, a, b, metric=metric, method=method, max_iter=max_iter, rtol=rtol,
        max_rounds=max_rounds, threads=threads, dual=False,
    )  # fmt: skip
    return run_primal(problem)
