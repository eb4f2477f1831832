r"""Wasserstein-1 as the Kantorovich primal LP over couplings, solved exactly on the host."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from divergences._typing import ArrayLike
from divergences.wasserstein._lp import (
    SOLVER_FAILED,
    HostPrimal,
    check_dense_size,
    default_max_iter,
    solve_transport,
    transport_failures,
    transport_or_nan,
)
from divergences.wasserstein._measures import Measures, check_measures, check_metric
from divergences.wasserstein.cost import (
    Metric,
    pairwise_cost,
    scale_traced,
    scaled_cost_host,
    times_power_of_two,
)

__all__ = ["W1Primal", "w1_primal"]

sg = jax.lax.stop_gradient


class W1Primal(NamedTuple):
    r"""Solution of the Kantorovich primal LP.

    Attributes:
      value: the optimal cost :math:`W_1 = \sum_{ij} P_{ij} c(x_i, y_j)`, a scalar.
      plan: an optimal coupling :math:`P`, shape ``(n, m)``: rows sum to ``a``, columns to
        ``b``, entries >= 0. When the totals of ``a`` and ``b`` differ within the validation
        tolerance (sqrt(eps)), the solver scales ``b`` to the total of ``a``: the column sums
        then match ``b`` to that tolerance, not to rounding. Not unique in general (uniform weights are degenerate); this is
        the vertex the network simplex stops at.
      u: LP dual variable of the row constraints, shape ``(n,)``.
      v: LP dual variable of the column constraints, shape ``(m,)``. Together
        :math:`u_i + v_j \le c(x_i, y_j)` with equality where :math:`P_{ij} > 0`, and
        ``value = a @ u + b @ v``; normalised so that ``a @ u == b @ v``.
      lower_bound: a certified lower bound on :math:`W_1`: the dual objective
        :math:`\sum_i a_i u'_i + \sum_j b_j v_j` of the exactly feasible pair
        :math:`u'_i = \min_j c(x_i, y_j) - v_j` (``"dense"``), or the Kantorovich-Rubinstein
        value of the 1-Lipschitz c-transform (``"sparse"``), widened by its rounding. No
        gradient.
      upper_bound: the cost of the returned (feasible) plan, an upper bound. The relative gap
        is ``(upper_bound - lower_bound) / value``. No gradient.

    With ``method="sparse"`` the plan is a :class:`~divergences.SparsePlan` (arcs: ``rows``,
    ``cols``, ``mass``) rather than a matrix, and ``u = f(x)``, ``v = -f(y)`` for the
    Kantorovich-Rubinstein potential :math:`f(z) = \min_j \|z - y_j\| - v_j`.
    """

    value: jax.Array
    plan: Any  # (n, m) array, or a SparsePlan for method="sparse"
    u: jax.Array
    v: jax.Array
    lower_bound: jax.Array
    upper_bound: jax.Array


def check_max_iter(max_iter: Any, n: int, m: int) -> int:
    """Returns the pivot cap, or raises a ValueError for anything but a positive integer."""
    if max_iter is None:
        return default_max_iter(n, m)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer or None; got {max_iter!r}")
    return int(max_iter)


def transport_callback(
    cost: jax.Array, a: jax.Array, b: jax.Array, max_iter: int, valid: Any = True
) -> HostPrimal:
    """Calls the host network simplex from traced code (jit, vmap, grad) on constant inputs.

    The inputs are passed through ``stop_gradient``: the callback has no derivative rule and
    needs none, the derivative is built around it by :func:`envelope_value`. The callback never
    raises (an exception there reaches the user as JAX's opaque runtime error, and would come
    before the input checks): input that broke a rule (``valid`` false) is not solved and a
    solver that stops short gives NaN; its status becomes a check, raised as
    :class:`SolverError` by ``dv.checked``.
    """
    n, m = cost.shape
    dtype = cost.dtype
    shapes = (
        HostPrimal(
            plan=jax.ShapeDtypeStruct((n, m), dtype),
            u=jax.ShapeDtypeStruct((n,), dtype),
            v=jax.ShapeDtypeStruct((m,), dtype),
            value=jax.ShapeDtypeStruct((), dtype),
        ),
        jax.ShapeDtypeStruct((), jnp.int32),
    )

    def host(c: np.ndarray, wa: np.ndarray, wb: np.ndarray, ok: np.ndarray) -> tuple:
        sol, status = transport_or_nan(c, wa, wb, max_iter, ok)
        return HostPrimal(*(np.asarray(t, dtype=dtype) for t in sol)), status

    # "sequential": under vmap the host solver is called once per batch element.
    sol, status = jax.pure_callback(
        host, shapes, sg(cost), sg(a), sg(b), jnp.asarray(valid), vmap_method="sequential"
    )
    for code, message in transport_failures(max_iter, n, m).items():
        checkify.debug_check(status != code, SOLVER_FAILED + message)
    return sol


def envelope_value(
    value: jax.Array,
    cost: jax.Array,
    a: jax.Array,
    b: jax.Array,
    plan: jax.Array,
    u: jax.Array,
    v: jax.Array,
) -> jax.Array:
    r"""``value`` in the forward pass, with the envelope theorem's derivative attached.

    The optimal value :math:`W(C, a, b) = \min_P \langle P, C \rangle` has, where the optimal
    plan and duals are unique, :math:`\partial W / \partial C = P`,
    :math:`\partial W / \partial a = u` and :math:`\partial W / \partial b = v` (elsewhere these
    are sub/supergradients). ``C`` carries the derivative on to the points through the
    differentiable cost, :math:`\partial W / \partial x_i = \sum_j P_{ij} \nabla_x c(x_i, y_j)`.
    The weights live on the simplex, so only the centred duals :math:`u - \bar u` and
    :math:`v - \bar v` (the components tangent to it) are meaningful; those are used.

    Why added zero terms (``t - stop_gradient(t)``) rather than a ``custom_vjp``: they are
    exactly 0 in the forward pass, give the right derivative in forward *and* reverse mode
    (``jax.jacfwd``, ``jax.grad``, higher order: the plan is piecewise constant), and compose
    with ``vmap`` with no rule to write.
    """
    pc = jnp.sum(plan * cost)
    return (
        value
        + (pc - sg(pc))
        + jnp.dot(u - jnp.mean(u), a - sg(a))
        + jnp.dot(v - jnp.mean(v), b - sg(b))
    )


def w1_primal(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    metric: Metric = "euclidean",
    max_iter: int | None = None,
    method: str = "auto",
    rtol: float = 1e-9,
    max_rounds: int = 100,
) -> W1Primal:
    r"""Exact W1 by an LP on the host (not jit-compiled; works under jit by callback): see w1_1d.

    The LP is solved by POT's network simplex on the host, outside XLA; under ``jax.jit`` it
    runs through ``jax.pure_callback``. The jittable path with no LP is
    :func:`divergences.w1_1d`, for points on the line.

    The Kantorovich primal problem between :math:`\mu = \sum_i a_i \delta_{x_i}` and
    :math:`\nu = \sum_j b_j \delta_{y_j}`:

    .. math::
       W_1(\mu, \nu) = \min_{P \ge 0,\ P \mathbf{1} = a,\ P^\top \mathbf{1} = b}
       \sum_{ij} P_{ij}\, c(x_i, y_j),

    solved exactly by the network simplex of POT (``ot.emd``). Its status is checked every
    time: a solver that stops short (pivot cap, infeasible input) raises
    :class:`~divergences.SolverError`, never returns a number.

    Scale: :math:`W_1` is positively homogeneous and translation invariant, so the LP is solved
    on the points scaled by a power of two into (-1, 1) and the costs scaled into [0.5, 1),
    and the value is scaled back; both scalings are exact. Multiplying the points by
    :math:`2^k` multiplies the result by exactly :math:`2^k`, and every coordinate scale gets
    the accuracy of scale 1: the network simplex's optimality gap is at most ~2.2e-15 times
    the largest cost :math:`C_{\max}`, so the relative error is at most about
    :math:`10^{-14}\, C_{\max} / W_1` plus rounding (1e-14 or better wherever :math:`W_1` is
    not much smaller than the diameter of the points). Distances are computed without overflow
    or underflow (hypot-style); the value is inf only where :math:`W_1` itself exceeds the
    largest float. With ``"sqeuclidean"`` the value scales like the square.

    Size: the dense method holds about 48 bytes per pair :math:`(x_i, y_j)`; past
    :data:`~divergences.wasserstein._lp.DENSE_MAX_PAIRS` (2^27) pairs it raises a
    ``MemoryError`` up front, with the memory needed, rather than exhaust the machine.

    With ``metric="sqeuclidean"`` the same LP gives :math:`W_2^2`, **not** :math:`W_1`: the
    name ``w1`` only holds for a metric cost.

    Transformations: concrete input is solved directly on the host. Under ``jax.jit``,
    ``jax.vmap`` (one host solve per batch element) and ``jax.grad`` the solve is a
    ``jax.pure_callback`` and the derivative is the envelope theorem's:
    :math:`\partial W_1 / \partial x_i = \sum_j P_{ij} \nabla_x c(x_i, y_j)` (and likewise for
    ``y``), :math:`\partial W_1 / \partial a = u - \bar u`,
    :math:`\partial W_1 / \partial b = v - \bar v` (gradients tangent to the simplex). Where the
    optimal plan or duals are not unique (ties, uniform weights) these are sub/supergradients.

    Args:
      x: support of :math:`\mu`, shape ``(n, d)``, or ``(n,)`` for points on the line.
      y: support of :math:`\nu`, shape ``(m, d)`` or ``(m,)``, same ``d``.
      a: weights of ``x``, shape ``(n,)``, >= 0, summing to 1; ``None`` for uniform.
      b: weights of ``y``, shape ``(m,)``; ``None`` for uniform. Same total mass as ``a``.
      metric: the ground cost, see :func:`divergences.cost_matrix`.
      max_iter: pivot cap of the network simplex; ``None`` for a generous cap that grows with
        ``n * m``. ``"sparse"``: the cap on its graph solver's pivots (on its augmenting
        paths where sizes and weights are all equal), none by default.
      method: ``"dense"``: the network simplex on the full :math:`n \times m` cost matrix
        (POT). ``"sparse"`` (Euclidean cost only): column generation on a sparse candidate graph
        seeded by a coarse solve, with exact k-d-tree pricing, never forming the matrix,
        certified by the bounds; for large point clouds in low dimension (10^5 points a side
        of two samples of one 2-D law: about 30 s and a few hundred MB on two CPU cores). ``"auto"`` (default): ``"sparse"`` for Euclidean
        problems above :data:`SPARSE_MIN_PAIRS` pairs, else ``"dense"``.
      rtol: ``"sparse"`` stops once ``upper_bound - lower_bound <= rtol * value`` (or when no
        pair has a negative reduced cost: the plan is then optimal).
      max_rounds: ``"sparse"``: the cap on pricing rounds; stopping there with a gap above
        ``rtol`` raises :class:`~divergences.wasserstein._sparse.CertificateError` (a
        SolverError carrying the bounds reached).

    Returns:
      A :class:`W1Primal` ``(value, plan, u, v, lower_bound, upper_bound)``.

    Raises:
      ValueError: for invalid points, weights or metric (the message names the argument).
        Under ``dv.checked(jax.jit(...))`` the same ValueError, with the same message; under a
        plain ``jax.jit`` value rules are not checked and input that breaks one gives NaN
        (the solver is not run on it).
      SolverError: if the LP solver does not report an optimal solution. Inside ``jax.jit``
        a callback cannot raise it: the value, plan and duals are NaN, and
        ``dv.checked(jax.jit(...))`` raises the SolverError with the eager message.
      MemoryError: for the dense method with ``n * m`` above ``DENSE_MAX_PAIRS``, or a sparse
        problem beyond the machine's memory, before anything is allocated.

    References:
      Villani, *Optimal Transport: Old and New*, 2009, Def. 6.1; Peyre & Cuturi,
      *Computational Optimal Transport*, 2019, Sec. 3.3 (network simplex) and Prop. 9.2
      (envelope gradients); Arjovsky, Chintala & Bottou, *Wasserstein GAN*, ICML 2017, eq. (1).

    Example:
      >>> import divergences as dv
      >>> sol = dv.w1_primal([[0.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [2.0, 1.0]])
      >>> round(float(sol.value), 12)
      2.0
      >>> sol.plan.tolist()
      [[0.5, 0.0], [0.0, 0.5]]
    """
    check_metric(metric)
    ms = check_measures(x, y, a, b)
    n, m = ms.x.shape[0], ms.y.shape[0]
    if choose_method(method, metric, n, m) == "sparse":
        from divergences.wasserstein._sparse import check_sparse_options, primal_sparse

        rtol, max_rounds = check_sparse_options(rtol, max_rounds)
        if max_iter is not None:
            check_max_iter(max_iter, n, m)
        return primal_sparse(ms, rtol=rtol, max_rounds=max_rounds, max_pivots=max_iter)
    cap = check_max_iter(max_iter, n, m)
    check_dense_size(n, m)
    dtype = ms.x.dtype
    if not ms.traced:
        cost, k = scaled_cost_host(ms.x, ms.y, metric)
        sol = solve_transport(cost, ms.a, ms.b, cap)
        lower, upper = dense_bounds(cost, ms.a, ms.b, sol.plan, sol.v)
        # Fresh arrays from the solver, referenced nowhere else: the JAX buffers may alias them.
        with np.errstate(over="ignore"):  # inf only where the true number exceeds the range
            host = (
                np.ldexp(sol.value, k),
                sol.plan,
                np.ldexp(sol.u, k),
                np.ldexp(sol.v, k),
                np.ldexp(np.float64(lower), k),
                np.ldexp(np.float64(upper), k),
            )
        return W1Primal(
            *jax.device_put(tuple(t.astype(dtype, copy=False) for t in host), may_alias=True)
        )
    return _primal_traced(ms, metric, cap)


#: ``method="auto"`` takes the sparse solver for Euclidean problems above this many pairs
#: (2000 x 2000). Measured (benchmarks/README.md, uniform 2-D clouds): the sparse solver is
#: already faster at 1000 x 1000 (0.04 s against 0.12 s) and at 10^4 is 24x faster with 20x
#: less memory; below the threshold the dense path, the better tested one, is kept.
SPARSE_MIN_PAIRS = 4_000_000
METHODS = ("auto", "dense", "sparse")


def choose_method(method: Any, metric: Metric, n: int, m: int) -> str:
    """``"dense"`` or ``"sparse"`` for :func:`w1_primal`; ValueError for an unknown choice."""
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(
            f"method must be one of {', '.join(repr(t) for t in METHODS)}; got {method!r}"
        )
    if method == "sparse" and metric != "euclidean":
        raise ValueError(f"method='sparse' needs metric='euclidean'; got metric={metric!r}")
    if method == "auto":
        return "sparse" if metric == "euclidean" and n * m > SPARSE_MIN_PAIRS else "dense"
    return method


def dense_bounds(
    cost: np.ndarray, a: np.ndarray, b: np.ndarray, plan: np.ndarray, v: np.ndarray
) -> tuple[float, float]:
    r"""Certified bounds from a dense solve: the plan's cost above, and below the dual value of
    :math:`(u', v)` with :math:`u'_i = \min_j C_{ij} - v_j`, feasible for every pair by
    construction (the solver's own ``u`` is feasible only up to its rounding). Both are summed
    exactly (``math.fsum``) and widened by the rounding of the terms behind them."""
    u = np.min(cost - v[None, :], axis=1)
    slack = (
        8
        * np.finfo(np.float64).eps
        * (float(np.max(cost, initial=0.0)) + float(np.max(np.abs(v), initial=0.0)))
    )
    lower = math.fsum((a * u).tolist()) + math.fsum((b * v).tolist()) - slack
    used = plan > 0
    upper = math.fsum((plan[used] * cost[used]).tolist()) + slack
    return lower, upper


def _primal_traced(ms: Measures, metric: Metric, cap: int) -> W1Primal:
    """The traced path: costs of the points scaled by a power of two, the callback, and the
    value and duals scaled back (exact, so every scale is solved like scale 1)."""
    xs, ys, k = scale_traced(ms.x, ms.y, metric)
    cost = pairwise_cost(xs, ys, metric)
    sol = transport_callback(cost, ms.a, ms.b, cap, ms.valid)
    value = envelope_value(sol.value, cost, ms.a, ms.b, sol.plan, sol.u, sol.v)
    lower = sg(jnp.dot(ms.a, jnp.min(cost - sol.v[None, :], axis=1)) + jnp.dot(ms.b, sol.v))
    upper = sg(jnp.sum(sol.plan * cost))
    back = [times_power_of_two(t, k) for t in (value, sol.u, sol.v, lower, upper)]
    return W1Primal(back[0], sol.plan, *back[1:])
