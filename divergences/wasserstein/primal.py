r"""Wasserstein-1 as the Kantorovich primal LP over couplings, solved exactly on the host."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._numerics import safe_sqrt
from divergences._typing import ArrayLike
from divergences.wasserstein._bridge import envelope_value, host_solve
from divergences.wasserstein._host import native
from divergences.wasserstein._host.dense import (
    DENSE_MAX_PAIRS,
    check_dense_size,
    default_max_iter,
    plan_arcs,
    solve_transport,
    transport_failures,
)
from divergences.wasserstein._host.sparse import (
    check_sparse_memory,
    solve_sparse_host,
    sparse_failures,
)
from divergences.wasserstein._measures import Measures, check_measures, check_metric, one_program
from divergences.wasserstein._results import SolverError, SparsePlan, Status, W1Primal, outward
from divergences.wasserstein.cost import (
    Metric,
    pairwise_cost,
    scale_traced,
    scaled_cost_host,
    times_power_of_two,
)

__all__ = ["W1Primal", "w1_primal"]

sg = jax.lax.stop_gradient


def check_max_iter(max_iter: Any, n: int, m: int) -> int:
    """Returns the pivot cap, or raises a ValueError for anything but a positive integer."""
    if max_iter is None:
        return default_max_iter(n, m)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer or None; got {max_iter!r}")
    return int(max_iter)


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
    :data:`~divergences.wasserstein._host.dense.DENSE_MAX_PAIRS` (2^27) pairs it raises a
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
        of two samples of one 2-D law: about 12 s and a few hundred MB on two CPU cores; of a
        translated copy, a few seconds); copies
        of one point are merged into one atom first (exact). Needs the compiled extension.
        ``"auto"`` (default): ``"sparse"`` for Euclidean problems above
        :data:`SPARSE_MIN_PAIRS` pairs, else ``"dense"``; without the extension, ``"dense"``
        up to its memory limit.
      rtol: ``"sparse"`` stops once ``upper_bound - lower_bound <= rtol * value`` (or when no
        pair has a negative reduced cost: the plan is then optimal).
      max_rounds: ``"sparse"``: the cap on pricing rounds; stopping there with a gap above
        ``rtol`` raises :class:`~divergences.CertificateError` (a SolverError carrying the
        solution and bounds reached).

    Returns:
      A :class:`W1Primal` ``(value, plan, u, v, lower_bound, upper_bound)``. The plan is a
      :class:`~divergences.SparsePlan` (arcs) for every method and size: ``plan.to_dense(n,
      m)`` gives the matrix.

    Raises:
      ValueError: for invalid points, weights or metric (the message names the argument).
        Under ``dv.checked(jax.jit(...))`` the same ValueError, with the same message; under a
        plain ``jax.jit`` value rules are not checked and input that breaks one gives NaN
        (the solver is not run on it).
      SolverError: whenever the solve stops short of a certified optimum: a pivot or round
        cap, infeasibility, flow left on artificial arcs, a plan that is not a coupling,
        bounds that cross (``"sparse"``: a :class:`~divergences.CertificateError`), or the
        sparse solver not built in this install; ``.status`` says which. Inside ``jax.jit``
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
      >>> sol.plan.to_dense(2, 2).tolist()
      [[0.5, 0.0], [0.0, 0.5]]
    """
    check_metric(metric)
    ms = check_measures(x, y, a, b)
    n, m = ms.x.shape[0], ms.y.shape[0]
    if choose_method(method, metric, n, m) == "sparse":
        rtol, max_rounds = check_sparse_options(rtol, max_rounds)
        if max_iter is not None:
            check_max_iter(max_iter, n, m)
        return _primal_sparse(ms, rtol=rtol, max_rounds=max_rounds, max_pivots=max_iter)
    cap = check_max_iter(max_iter, n, m)
    check_dense_size(n, m)
    dtype = ms.x.dtype
    if not ms.traced:
        cost, k = scaled_cost_host(ms.x, ms.y, metric)
        sol = solve_transport(cost, ms.a, ms.b, cap)
        lower, upper = dense_bounds(cost, ms.a, ms.b, sol.plan, sol.v)
        rows, cols, mass = plan_arcs(sol.plan)
        # Fresh arrays from the solver, referenced nowhere else: the JAX buffers may alias them.
        with np.errstate(over="ignore"):  # inf only where the true number exceeds the range
            lo, hi = outward(math.ldexp(lower, k), _ldexp_up(upper, k), dtype)
            host = (
                np.ldexp(sol.value, k).astype(dtype),
                mass.astype(dtype),
                np.ldexp(sol.u, k).astype(dtype),
                np.ldexp(sol.v, k).astype(dtype),
            )
        value, mass, u, v = jax.device_put(host, may_alias=True)
        # device_put, not jnp.asarray: the latter compiles a program per new shape.
        rows, cols, lo, hi = jax.device_put(
            (rows, cols, np.asarray(lo, dtype), np.asarray(hi, dtype))
        )
        return W1Primal(value, SparsePlan(rows, cols, mass), u, v, lo, hi)
    return _primal_traced(ms, metric, cap)


def _ldexp_up(t: float, k: int) -> float:
    """``t * 2^k``, or inf where it overflows (an upper bound stays one)."""
    try:
        return math.ldexp(t, k)
    except OverflowError:
        return math.inf


#: ``method="auto"`` takes the sparse solver for Euclidean problems above this many pairs
#: (2000 x 2000). Measured (benchmarks/README.md, uniform 2-D clouds): the sparse solver is
#: already faster at 1000 x 1000 (0.04 s against 0.12 s) and at 10^4 is 24x faster with 20x
#: less memory; below the threshold the dense path, the better tested one, is kept.
SPARSE_MIN_PAIRS = 4_000_000
METHODS = ("auto", "dense", "sparse")


def choose_method(method: Any, metric: Metric, n: int, m: int) -> str:
    """``"dense"`` or ``"sparse"`` for :func:`w1_primal`; ValueError for an unknown choice.

    ``"auto"`` takes the sparse solver for Euclidean problems above :data:`SPARSE_MIN_PAIRS`
    pairs. Where the compiled extension is not built, it takes the dense solver up to its
    memory limit and past it raises the SolverError that says how to get the sparse one.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(
            f"method must be one of {', '.join(repr(t) for t in METHODS)}; got {method!r}"
        )
    if method == "sparse" and metric != "euclidean":
        raise ValueError(f"method='sparse' needs metric='euclidean'; got metric={metric!r}")
    if method == "auto":
        if metric != "euclidean" or n * m <= SPARSE_MIN_PAIRS:
            return "dense"
        if native.available() or n * m > DENSE_MAX_PAIRS:
            return "sparse"  # without the extension, its error says how to get it
        return "dense"
    return method


def check_sparse_options(rtol: Any, max_rounds: Any) -> tuple[float, int]:
    """Returns ``(rtol, max_rounds)`` or raises a ValueError naming the option."""
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float, np.floating, np.integer)):
        raise ValueError(f"rtol must be a number in [0, 1); got {rtol!r}")
    if not 0 <= float(rtol) < 1:
        raise ValueError(f"rtol must be in [0, 1); got {rtol!r}")
    if (
        isinstance(max_rounds, bool)
        or not isinstance(max_rounds, (int, np.integer))
        or max_rounds < 1
    ):
        raise ValueError(f"max_rounds must be a positive integer; got {max_rounds!r}")
    return float(rtol), int(max_rounds)


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


def _padded_arcs(
    rows: np.ndarray, cols: np.ndarray, mass: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A plan's arcs padded with zero-mass arcs to the static length ``k = n + m`` (a basic
    plan has at most ``n + m - 1``), as the bridge's traced results need."""
    if rows.shape[0] > k:
        raise SolverError(
            f"the host solver returned a plan of {rows.shape[0]} arcs, more than a basic "
            f"plan's {k - 1}; use the eager call for this problem",
            Status.FAILED,
        )
    out = np.zeros(k, np.int32), np.zeros(k, np.int32), np.zeros(k)
    out[0][: rows.shape[0]], out[1][: rows.shape[0]], out[2][: rows.shape[0]] = rows, cols, mass
    return out


def _plan_shapes(
    n: int, m: int, dtype: Any, scalars: tuple[int, ...]
) -> tuple[jax.ShapeDtypeStruct, ...]:
    """The traced results of a primal host solve: the arcs (rows, columns, masses) padded to
    ``n + m``, the potentials ``u`` and ``v``, and the solver's scalars."""
    return (
        jax.ShapeDtypeStruct((n + m,), jnp.int32),
        jax.ShapeDtypeStruct((n + m,), jnp.int32),
        jax.ShapeDtypeStruct((n + m,), dtype),
        jax.ShapeDtypeStruct((n,), dtype),
        jax.ShapeDtypeStruct((m,), dtype),
        jax.ShapeDtypeStruct(scalars, dtype),
    )


def transport_traced(cost: jax.Array, a: jax.Array, b: jax.Array, cap: int, valid: Any) -> tuple:
    """The dense network simplex on a traced cost matrix, through the bridge: the plan's arcs
    (padded to ``n + m``), the duals and the value (NaN where the solve stopped short)."""
    n, m = cost.shape
    dtype = cost.dtype
    arcs = n + m

    def solve(c: np.ndarray, wa: np.ndarray, wb: np.ndarray) -> tuple:
        sol = solve_transport(c, wa, wb, cap)
        return (*_padded_arcs(*plan_arcs(sol.plan), arcs), sol.u, sol.v, sol.value)

    shapes = _plan_shapes(n, m, dtype, ())
    return host_solve(
        solve, shapes, cost, a, b, valid=valid,
        failures=transport_failures(cap, n, m), what="the network simplex",
    )  # fmt: skip


@one_program
def _primal_traced(ms: Measures, metric: Metric, cap: int) -> W1Primal:
    """The traced dense path: costs of the points scaled by a power of two, the host solve
    through the bridge, and the value and duals scaled back (exact, so every scale is solved
    like scale 1)."""
    xs, ys, k = scale_traced(ms.x, ms.y, metric)
    cost = pairwise_cost(xs, ys, metric)
    rows, cols, mass, u, v, host_value = transport_traced(cost, ms.a, ms.b, cap, ms.valid)
    plan_cost = jnp.sum(mass * cost[rows, cols])
    value = envelope_value(host_value, plan_cost, ms.a, ms.b, u, v)
    lower = sg(jnp.dot(ms.a, jnp.min(cost - v[None, :], axis=1)) + jnp.dot(ms.b, v))
    back = [times_power_of_two(t, k) for t in (value, u, v, lower, sg(plan_cost))]
    return W1Primal(back[0], SparsePlan(rows, cols, mass), *back[1:])


def _primal_sparse(
    ms: Measures, *, rtol: float, max_rounds: int, max_pivots: int | None
) -> W1Primal:
    """``w1_primal`` by the sparse solver, eager or traced (through the bridge)."""
    check_sparse_memory(ms.x.shape[0], ms.y.shape[0])
    dtype = ms.x.dtype
    if not ms.traced:
        sol = solve_sparse_host(
            ms.x, ms.y, ms.a, ms.b, rtol=rtol, max_rounds=max_rounds, max_pivots=max_pivots
        )
        lo, hi = outward(sol.lower_bound, sol.upper_bound, dtype)
        # device_put, not jnp.asarray: the latter compiles a program per new shape.
        rows, cols = jax.device_put((sol.plan.rows, sol.plan.cols))
        mass, value, u, v, lo, hi = jax.device_put(
            tuple(np.asarray(t, dtype) for t in (sol.plan.mass, sol.value, sol.u, sol.v, lo, hi))
        )
        return W1Primal(value, SparsePlan(rows, cols, mass), u, v, lo, hi)
    return _primal_sparse_traced(ms, rtol, max_rounds, max_pivots)


@one_program
def _primal_sparse_traced(
    ms: Measures, rtol: float, max_rounds: int, max_pivots: int | None
) -> W1Primal:
    """The traced path of :func:`_primal_sparse`: one callback, envelope gradients."""
    n, m = ms.x.shape[0], ms.y.shape[0]
    dtype = ms.x.dtype
    arcs = n + m  # a basic plan has at most n + m - 1 arcs: padded with zero mass to n + m

    def padded(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple:
        sol = solve_sparse_host(x, y, a, b, rtol=rtol, max_rounds=max_rounds, max_pivots=max_pivots)
        arcs_padded = _padded_arcs(sol.plan.rows, sol.plan.cols, sol.plan.mass, arcs)
        lo, hi = outward(sol.lower_bound, sol.upper_bound, dtype)
        return (*arcs_padded, sol.u, sol.v, np.array([sol.value, lo, hi]))

    shapes = _plan_shapes(n, m, dtype, (3,))
    rows, cols, mass, u, v, scalars = host_solve(
        padded, shapes, ms.x, ms.y, ms.a, ms.b, valid=ms.valid,
        failures=sparse_failures(n, m, rtol, max_rounds, max_pivots),
        what="the sparse W1 solver",
    )  # fmt: skip
    diff = ms.x[rows] - ms.y[cols]
    cost = safe_sqrt(jnp.sum(diff * diff, axis=-1))
    value = envelope_value(scalars[0], jnp.sum(mass * cost), ms.a, ms.b, u, v)
    return W1Primal(value, SparsePlan(rows, cols, mass), u, v, scalars[1], scalars[2])
