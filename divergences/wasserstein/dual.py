r"""Wasserstein-1 as the Kantorovich-Rubinstein dual: a sup over 1-Lipschitz potentials."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._numerics import safe_sqrt
from divergences._typing import ArrayLike
from divergences._validation import is_traced, require
from divergences.wasserstein._bridge import envelope_value, host_solve
from divergences.wasserstein._host.dense import (
    HostDual,
    check_dense_size,
    check_kr_lp_size,
    kr_dual_failures,
    solve_kr_dual,
    solve_transport,
)
from divergences.wasserstein._host.sparse import (
    check_sparse_memory,
    kr_potential_host,
    matched_total,
    solve_sparse_host,
    sparse_failures,
    weighted_nearest_host,
)
from divergences.wasserstein._measures import (
    Measures,
    as_points,
    check_measures,
    check_metric,
    one_program,
)
from divergences.wasserstein._results import W1Dual
from divergences.wasserstein.checks import lipschitz_violation_host, lipschitz_violation_of
from divergences.wasserstein.cost import (
    Metric,
    homogeneity,
    pairwise_cost,
    pairwise_cost_host,
    scale_exponent,
    scale_traced,
    times_power_of_two,
)
from divergences.wasserstein.primal import (
    check_max_iter,
    check_sparse_options,
    choose_method,
    transport_traced,
)

__all__ = ["W1Dual", "kr_potential", "w1_dual"]

METHODS = ("auto", "primal", "sparse", "lp")
sg = jax.lax.stop_gradient


def choose_dual_method(method: Any, metric: Metric, n: int, m: int) -> str:
    """``"primal"``, ``"sparse"`` or ``"lp"`` for :func:`w1_dual`; ValueError for a bad choice.

    ``"auto"`` routes like :func:`divergences.w1_primal`: the sparse solver for Euclidean
    problems above :data:`~divergences.wasserstein.primal.SPARSE_MIN_PAIRS` pairs.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(
            f"method must be one of {', '.join(repr(t) for t in METHODS)}; got {method!r}"
        )
    if method == "sparse" and metric != "euclidean":
        raise ValueError(f"method='sparse' needs metric='euclidean'; got metric={metric!r}")
    if method == "auto":
        return "sparse" if choose_method("auto", metric, n, m) == "sparse" else "primal"
    return method


def w1_dual(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    metric: Metric = "euclidean",
    method: str = "auto",
    max_iter: int | None = None,
    rtol: float = 1e-9,
    max_rounds: int = 100,
) -> W1Dual:
    r"""A W1 critic by an LP on the host (not jit-compiled; works under jit by callback): see w1_1d.

    The LP is solved on the host, outside XLA; under ``jax.jit`` it runs through
    ``jax.pure_callback``. The jittable path with no LP is :func:`divergences.w1_1d`, for
    points on the line.

    The Kantorovich-Rubinstein duality, the form of :math:`W_1` behind the WGAN critic:

    .. math::
       W_1(\mu, \nu) = \sup_{\mathrm{Lip}(f) \le 1}\
       \sum_i a_i f(x_i) - \sum_j b_j f(y_j),

    with the supremum attained. The potential is returned on the union of the supports
    ``z = (x_1, ..., x_n, y_1, ..., y_m)`` (x's points first), where it is 1-Lipschitz, and
    :func:`divergences.kr_potential` evaluates it anywhere else.

    Methods:

    * ``"primal"``: one primal solve by the dense network simplex (as
      ``w1_primal(..., method="dense")``), then the c-transform of its column dual ``v``,
      :math:`f(z) = \min_j\, [c(z, y_j) - v_j]`. For a metric cost each
      :math:`z \mapsto c(z, y_j) - v_j` is 1-Lipschitz, so their minimum is; and
      :math:`f(x_i) \ge u_i`, :math:`f(y_j) \le -v_j` make it attain the primal value. Holds
      the :math:`n \times m` cost matrix (refused past ``DENSE_MAX_PAIRS`` pairs).
    * ``"sparse"`` (Euclidean cost only): the same c-transform, of the potential of
      ``w1_primal(..., method="sparse")``'s solve (column generation with exact k-d-tree
      pricing, never forming the matrix), evaluated on the union by a k-d tree. Memory
      :math:`O(n + m)`, for point clouds of :math:`10^4`-:math:`10^5` points in low dimension.
      Its value is the certificate's lower bound: within ``rtol`` of :math:`W_1` (``rtol=0``:
      exact, the plan optimal). Weights whose totals differ within the validation tolerance
      are solved with ``b`` scaled to the total of ``a``, as the dense solver does.
    * ``"lp"``: the independent KR dual LP, variables :math:`f` on the union, constraints
      :math:`f_k - f_l \le c(z_k, z_l)` for all pairs, :math:`f(z_1) = 0`, solved by scipy's
      HiGHS. Quadratically many constraints: for small problems (a few hundred points at
      most), to check strong duality with a second, separate solver.
    * ``"auto"`` (default): ``"sparse"`` for Euclidean problems above
      :data:`~divergences.wasserstein.primal.SPARSE_MIN_PAIRS` pairs (as
      :func:`divergences.w1_primal` routes), else ``"primal"``.

    All need a *metric* cost for the equality with :math:`W_1` (not ``"sqeuclidean"``).
    All solve the problem scaled by powers of two (exactly, see :func:`divergences.w1_primal`),
    so every coordinate scale gets the accuracy of scale 1: the c-transform that of the network
    simplex, ``"lp"`` HiGHS's feasibility tolerance, 1e-10 times the largest cost.
    Gradients of ``value`` are the envelope derivatives documented in
    :func:`divergences.w1_primal` (for ``"lp"``, from HiGHS's optimal flow and the potential;
    for ``"sparse"``, through the arcs of the sparse plan).

    Args:
      x: support of :math:`\mu`, shape ``(n, d)``, or ``(n,)`` for points on the line.
      y: support of :math:`\nu`, shape ``(m, d)`` or ``(m,)``.
      a: weights of ``x``, >= 0, summing to 1; ``None`` for uniform.
      b: weights of ``y``; ``None`` for uniform.
      metric: the ground cost, see :func:`divergences.cost_matrix`.
      method: ``"auto"``, ``"primal"``, ``"sparse"`` or ``"lp"``, see above.
      max_iter: pivot cap of the network simplex (``"primal"``, ``"sparse"``); ``None`` for a
        cap that grows with ``n * m`` (``"sparse"``: no cap).
      rtol: ``"sparse"`` stops once its certified bounds agree to ``rtol`` relative, as in
        :func:`divergences.w1_primal`.
      max_rounds: ``"sparse"``: the cap on pricing rounds.

    Returns:
      A :class:`W1Dual` ``(value, f, points, lipschitz_violation)``.

    Raises:
      ValueError: for invalid points, weights, metric, method or options; the same, with the
        same message, under ``dv.checked(jax.jit(...))`` (under a plain ``jit``, input that
        breaks a value rule gives NaN and is not solved).
      SolverError: if the LP solver does not report an optimal solution, or (``"sparse"``,
        a :class:`~divergences.CertificateError`) stops at a cap before its bounds meet
        ``rtol``. Inside ``jax.jit`` a callback cannot raise it: the results are NaN, and
        ``dv.checked(jax.jit(...))`` raises a SolverError.
      MemoryError: before anything is allocated, for ``n * m`` above ``DENSE_MAX_PAIRS``
        (``"primal"``), ``n + m`` above ``KR_LP_MAX_POINTS`` (``"lp"``), or a sparse problem
        beyond the machine's memory; the message says the size needed.

    References:
      Kantorovich & Rubinstein, *On a space of completely additive functions*, Vestnik
      Leningrad Univ. 13, 1958; Villani, *Optimal Transport: Old and New*, 2009, Remark 6.5;
      Peyre & Cuturi, *Computational Optimal Transport*, 2019, Sec. 6.1 (c-transforms);
      Arjovsky, Chintala & Bottou, *Wasserstein GAN*, ICML 2017, Theorem 3.

    Example:
      >>> import divergences as dv
      >>> x, y = [0.0, 1.0], [3.0, 4.0]
      >>> dual = dv.w1_dual(x, y)
      >>> round(float(dual.value), 12), round(float(dv.w1_dual(x, y, method="lp").value), 9)
      (3.0, 3.0)
      >>> [round(float(t), 12) for t in dual.f - dual.f[0]]  # f(z) = -z up to a constant
      [0.0, -1.0, -3.0, -4.0]
      >>> float(dual.lipschitz_violation)
      0.0
      >>> sparse = dv.w1_dual(x, y, method="sparse")
      >>> round(float(sparse.value), 12)
      3.0
    """
    check_metric(metric)
    ms = check_measures(x, y, a, b)
    n, m = ms.x.shape[0], ms.y.shape[0]
    method = choose_dual_method(method, metric, n, m)
    if method == "sparse":
        rtol, max_rounds = check_sparse_options(rtol, max_rounds)
        if max_iter is not None:
            check_max_iter(max_iter, n, m)
        check_sparse_memory(n, m)
        options = _SparseOptions(rtol, max_rounds, max_iter)
        return _dual_sparse(ms, options)
    cap = check_max_iter(max_iter, n, m)
    if method == "primal":
        check_dense_size(n, m)
    else:
        check_kr_lp_size(n + m)
    dtype = ms.x.dtype
    if not ms.traced:
        points = np.concatenate([ms.x, ms.y])
        wa, wb = ms.a.astype(np.float64, copy=False), ms.b.astype(np.float64, copy=False)
        # Solved on the points scaled by 2^-e into (-1, 1): no cost overflows or underflows,
        # and the solvers' absolute tolerances act at the scale of the problem. The potential,
        # value and violation carry the cost's unit, 2^k, and are scaled back exactly.
        degree = homogeneity(metric)
        e = 0 if degree is None else scale_exponent(ms.x, ms.y, degree=degree)
        k = 0 if degree is None else degree * e
        scaled = np.ldexp(points.astype(np.float64), -e)
        if method == "primal":
            cost = pairwise_cost_host(scaled[:n], scaled[n:], metric)
            sol = solve_transport(cost, wa, wb, cap)
            f = c_transform_host(scaled, scaled[n:], sol.v, metric)
            value = wa @ f[:n] - wb @ f[n:]
        else:
            kr = solve_kr_dual(pairwise_cost_host(scaled, scaled, metric), wa, wb)
            f, value = kr.f, kr.value
        violation = potential_violation_host(f, scaled, metric)
        return _dual_from_host(value, f, points, violation, k, dtype)
    return _dual_traced(ms, method, metric, cap)


def _dual_from_host(
    value: Any, f: np.ndarray, points: np.ndarray, violation: float, k: int, dtype: Any
) -> W1Dual:
    """The eager result: ``f`` centred, value, potential and violation scaled back by 2^k."""
    f = f - (np.max(f) + np.min(f)) / 2  # centred: |f| <= diameter / 2, the least it can be
    # Inf only where the number itself exceeds the largest float (the documented result).
    with np.errstate(over="ignore"):
        host = (np.ldexp(value, k), np.ldexp(f, k), points, np.ldexp(violation, k))
    # Fresh arrays from the solver, referenced nowhere else: the JAX buffers may alias them.
    return W1Dual(
        *jax.device_put(
            tuple(np.asarray(t).astype(dtype, copy=False) for t in host), may_alias=True
        )
    )


@one_program
def _dual_traced(ms: Measures, method: str, metric: Metric, cap: int) -> W1Dual:
    """The traced path of :func:`w1_dual` (jit, vmap, grad): host solvers via callbacks, on
    the points scaled by a power of two (see :func:`divergences.w1_primal`), scaled back."""
    n = ms.x.shape[0]
    dtype = ms.x.dtype
    xs, ys, k = scale_traced(ms.x, ms.y, metric)
    points = jnp.concatenate([xs, ys])
    wa, wb = ms.a, ms.b
    if method == "primal":
        to_y = pairwise_cost(points, ys, metric)  # (n + m, m); its first n rows are C
        cost = to_y[:n]
        rows, cols, mass, u, v, _ = transport_traced(cost, wa, wb, cap, ms.valid)
        f = sg(jnp.min(to_y - v[None, :], axis=1))
        kr_value = jnp.dot(wa, f[:n]) - jnp.dot(wb, f[n:])
        # The KR objective in the forward pass, the primal's envelope derivative backwards:
        # envelope_value(0, ...) is exactly 0 but carries that derivative.
        plan_cost = jnp.sum(mass * cost[rows, cols])
        value = sg(kr_value) + envelope_value(jnp.zeros((), dtype), plan_cost, wa, wb, u, v)
    else:
        cost = pairwise_cost(points, points, metric)
        kr = _kr_dual_callback(cost, wa, wb, ms.valid)
        f = kr.f
        fx, fy = f[:n], f[n:]
        # Envelope theorem for the KR LP: d value / d cost = optimal flow, d / d a = f(x),
        # d / d b = -f(y).
        value = envelope_value(kr.value, jnp.sum(kr.flow * cost), wa, wb, fx, -fy)
    # A max over all pairs of an elementwise expression: XLA fuses it, no N x N buffer.
    violation = sg(lipschitz_violation_of(f, pairwise_cost(sg(points), sg(points), metric)))
    return _dual_scaled_back(value, f, violation, k, ms)


def _dual_scaled_back(
    value: jax.Array, f: jax.Array, violation: jax.Array, k: Any, ms: Measures
) -> W1Dual:
    """The traced result: ``f`` centred as in the eager path, all scaled back by 2^k."""
    f = f - (jnp.max(f) + jnp.min(f)) / 2
    back = [times_power_of_two(t, k) for t in (value, f, violation)]
    return W1Dual(back[0], back[1], sg(jnp.concatenate([ms.x, ms.y])), back[2])


# ---------------------------------------------------------------------------------------------
# method="sparse": the c-transform of the sparse solver's potential
# ---------------------------------------------------------------------------------------------


class _SparseOptions(NamedTuple):
    rtol: float
    max_rounds: int
    max_pivots: int | None


class _SparseDualHost(NamedTuple):
    """One sparse solve on scaled points, as NumPy: the plan's arcs, the c-transform ``f`` on
    the union, its KR value and its Lipschitz violation."""

    rows: np.ndarray
    cols: np.ndarray
    mass: np.ndarray
    f: np.ndarray
    value: float
    violation: float


def _sparse_dual_host(
    xs: np.ndarray, ys: np.ndarray, a: np.ndarray, b: np.ndarray, options: _SparseOptions
) -> _SparseDualHost:
    r"""Solves by the sparse solver and takes the c-transform of its column potential,
    :math:`f(z) = \min_{j:\ b_j > 0} \|z - y_j\| - v_j`, on the union (exact, k-d tree).

    Raises what :func:`solve_sparse_host` raises (CertificateError at a cap).
    """
    n = xs.shape[0]
    a = np.asarray(a, np.float64)
    b = matched_total(a, np.asarray(b, np.float64))  # the value below uses the same b
    sol = solve_sparse_host(
        xs, ys, a, b,
        rtol=options.rtol, max_rounds=options.max_rounds, max_pivots=options.max_pivots,
    )  # fmt: skip
    points = np.concatenate([xs, ys]).astype(np.float64)
    keep = b > 0
    f = kr_potential_host(ys[keep], -sol.v[keep], points)
    value = float(a @ f[:n] - b @ f[n:])
    violation = potential_violation_host(f, points, "euclidean")
    return _SparseDualHost(sol.plan.rows, sol.plan.cols, sol.plan.mass, f, value, violation)


def _dual_sparse(ms: Measures, options: _SparseOptions) -> W1Dual:
    """``w1_dual(..., method="sparse")``, eager or traced (one callback, envelope gradients)."""
    n = ms.x.shape[0]
    dtype = ms.x.dtype
    if not ms.traced:
        e = scale_exponent(ms.x, ms.y)
        points = np.concatenate([ms.x, ms.y])
        scaled = np.ldexp(points.astype(np.float64), -e)
        sol = _sparse_dual_host(scaled[:n], scaled[n:], ms.a, ms.b, options)
        return _dual_from_host(sol.value, sol.f, points, sol.violation, e, dtype)
    return _dual_sparse_traced(ms, options)


@one_program
def _dual_sparse_traced(ms: Measures, options: _SparseOptions) -> W1Dual:
    """The traced path of :func:`_dual_sparse`: one callback, envelope gradients."""
    n, m = ms.x.shape[0], ms.y.shape[0]
    dtype = ms.x.dtype
    xs, ys, k = scale_traced(ms.x, ms.y, "euclidean")
    arcs = n + m  # a basic plan has at most n + m - 1 arcs: padded with zero mass to n + m

    def solve(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple:
        sol = _sparse_dual_host(x, y, a, b, options)
        rows, cols, mass = np.zeros(arcs, np.int32), np.zeros(arcs, np.int32), np.zeros(arcs)
        used = sol.rows.shape[0]
        rows[:used], cols[:used], mass[:used] = sol.rows, sol.cols, sol.mass
        return rows, cols, mass, sol.f, np.array([sol.value, sol.violation])

    shapes = (
        jax.ShapeDtypeStruct((arcs,), jnp.int32),
        jax.ShapeDtypeStruct((arcs,), jnp.int32),
        jax.ShapeDtypeStruct((arcs,), dtype),
        jax.ShapeDtypeStruct((n + m,), dtype),
        jax.ShapeDtypeStruct((2,), dtype),
    )
    rows, cols, mass, f, scalars = host_solve(
        solve, shapes, xs, ys, ms.a, ms.b, valid=ms.valid,
        failures=sparse_failures(n, m, options.rtol, options.max_rounds, options.max_pivots),
        what="the sparse W1 solver",
    )  # fmt: skip
    diff = xs[rows] - ys[cols]
    cost = safe_sqrt(jnp.sum(diff * diff, axis=-1))
    # The KR value forward; backwards the envelope theorem, through the plan's arcs.
    value = envelope_value(sg(scalars[0]), jnp.sum(mass * cost), ms.a, ms.b, f[:n], -f[n:])
    return _dual_scaled_back(value, sg(f), sg(scalars[1]), k, ms)


# ---------------------------------------------------------------------------------------------
# The potential as a function: c-transforms, McShane's extension, the Lipschitz check
# ---------------------------------------------------------------------------------------------


def c_transform_host(
    points: np.ndarray, y: np.ndarray, v: np.ndarray, metric: Metric, *, rows: int = 512
) -> np.ndarray:
    r""":math:`f(z) = \min_j c(z, y_j) - v_j` at each point, a block of rows at a time."""
    out = np.empty(points.shape[0])
    for start in range(0, points.shape[0], rows):
        block = slice(start, start + rows)
        out[block] = np.min(pairwise_cost_host(points[block], y, metric) - v[None, :], axis=1)
    return out


def nearest_host(
    sites: np.ndarray,
    weights: np.ndarray,
    z: np.ndarray,
    metric: Metric,
    *,
    argmin: bool = False,
    rows: int = 512,
) -> np.ndarray:
    r""":math:`g(z) = \min_l c(z, s_l) + w_l` at each row of ``z``, or (``argmin=True``) the
    minimising ``l``.

    Euclidean cost: the sparse solver's pricing oracle, a k-d tree with branch and bound on the
    additive weights, exact, :math:`O((N + q) \log N)`. Other costs: the cost matrix a block of
    rows at a time, :math:`O(q N)` time, :math:`O(\text{rows} \cdot N)` memory.
    """
    sites = np.ascontiguousarray(sites, np.float64)
    weights = np.ascontiguousarray(weights, np.float64)
    z = np.ascontiguousarray(z, np.float64)
    if metric == "euclidean":
        if argmin:
            return weighted_nearest_host(sites, weights, z)[1]
        return kr_potential_host(sites, weights, z)
    out = np.empty(z.shape[0], np.int32 if argmin else np.float64)
    for start in range(0, z.shape[0], rows):
        block = slice(start, start + rows)
        shifted = pairwise_cost_host(z[block], sites, metric) + weights[None, :]
        out[block] = np.argmin(shifted, axis=1) if argmin else np.min(shifted, axis=1)
    return out


def potential_violation_host(f: np.ndarray, points: np.ndarray, metric: Metric) -> float:
    r""":func:`~divergences.lipschitz_violation` of ``f`` on ``points``, over all pairs.

    For the Euclidean cost by one weighted nearest-neighbour query per point:
    :math:`\max_{kl} f_k - f_l - c(z_k, z_l) = \max_k f_k - \min_l [c(z_k, z_l) + f_l]`
    (:math:`O(N \log N)`, exact); other costs by blocks of rows.
    """
    if metric != "euclidean":
        return lipschitz_violation_host(f, points, metric)
    lowest = nearest_host(points, f, points, metric)
    return max(0.0, float(np.max(f - lowest)))


def kr_potential(dual: W1Dual, z: ArrayLike, *, metric: Metric = "euclidean") -> jax.Array:
    r"""The Kantorovich-Rubinstein potential of a :func:`w1_dual` result at any points.

    A host query (not jit-compiled; works under jit by callback), differentiable in ``z``.

    :func:`divergences.w1_dual` returns the potential :math:`f` on the union of the supports
    :math:`z_1, \dots, z_N` (``dual.points``). Its value at a new point is McShane's extension

    .. math:: f(z) = \min_k\ c(z, z_k) + f(z_k),

    the largest 1-Lipschitz function equal to :math:`f` on the samples. For
    ``method="primal"`` and ``"sparse"`` this *is* the c-transform the solve produced,
    :math:`f(z) = \min_j c(z, y_j) - v_j`, everywhere: that function is 1-Lipschitz, so the
    minimum over :math:`k` is attained at its own argmin :math:`y_j`. For ``method="lp"``
    it is the 1-Lipschitz extension of HiGHS's potential. On the samples themselves it
    returns ``dual.f`` to within ``dual.lipschitz_violation`` (a few ulps of the largest cost
    for ``"primal"`` and ``"sparse"``; for ``"lp"``, up to HiGHS's feasibility tolerance).

    Euclidean cost: an exact weighted nearest-neighbour query on a k-d tree (branch and bound
    on the additive weights), :math:`O((N + q) \log N)`, any size. Other costs: by blocks of
    the :math:`q \times N` cost matrix. The points are scaled by a power of two first (exact),
    so every coordinate scale is evaluated like scale 1.

    Gradient: :math:`\nabla f(z) = \nabla_z c(z, z_{k^*})` at the minimising sample
    :math:`k^*` (the unit vector away from it, for the Euclidean cost): the critic's gradient
    that the WGAN generator follows. ``dual`` carries no gradient.

    Args:
      dual: a :class:`W1Dual` from :func:`divergences.w1_dual` (eager or under a
        transformation).
      z: where to evaluate, shape ``(q, d)`` with the dimension of ``dual.points``, or
        ``(q,)`` for points on the line.
      metric: the cost ``dual`` was solved with (the same as given to ``w1_dual``).

    Returns:
      :math:`f(z)`, shape ``(q,)``, in the dtype of ``dual.f``.

    Raises:
      ValueError: if ``z`` is not finite or its dimension differs from ``dual.points``', or
        ``dual`` is not a potential on its points (shapes), or ``dual.f`` or ``dual.points``
        is not finite (a failed solve under ``jit``); the value rules as the same ValueError under
        ``dv.checked(jax.jit(...))``.

    References:
      McShane, *Extension of range of functions*, Bull. AMS 40, 1934; Villani, *Optimal
      Transport: Old and New*, 2009, Def. 5.7 (c-transform); Arjovsky, Chintala & Bottou,
      *Wasserstein GAN*, ICML 2017.

    Example:
      >>> import divergences as dv
      >>> dual = dv.w1_dual([0.0, 1.0], [3.0, 4.0])
      >>> [round(float(t), 12) for t in dv.kr_potential(dual, [-1.0, 2.0, 10.0])]
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
    traced = is_traced((f, points, q))
    xp = jnp if traced else np
    valid = require(
        xp.all(xp.isfinite(f)),
        "dual.f contains NaN or inf; a potential from a failed solve (under jax.jit) cannot "
        "be evaluated",
    )
    valid = valid & require(
        xp.all(xp.isfinite(points)),
        "dual.points contains NaN or inf; the potential's sites must be finite",
    )
    dtype = jnp.result_type(f, points, q)
    if not traced:
        sites = np.asarray(points, np.float64)
        query = np.asarray(q, np.float64)
        degree = homogeneity(metric)
        e = 0 if degree is None else scale_exponent(sites, query, degree=degree)
        k = 0 if degree is None else degree * e
        scaled_f = np.ldexp(np.asarray(f, np.float64), -k)
        values = nearest_host(np.ldexp(sites, -e), scaled_f, np.ldexp(query, -e), metric)
        with np.errstate(over="ignore"):
            return jax.device_put(np.ldexp(values, k).astype(dtype, copy=False))
    valid = valid & jnp.all(jnp.isfinite(q))  # a broken rule: NaN, and no query on the host
    return _kr_potential_traced(
        sg(jnp.asarray(f, dtype)), sg(jnp.asarray(points, dtype)), q.astype(dtype), metric, valid
    )


@functools.partial(jax.jit, static_argnames="metric")
def _kr_potential_traced(
    f: jax.Array, points: jax.Array, z: jax.Array, metric: Metric, valid: Any
) -> jax.Array:
    """The traced path of :func:`kr_potential`. Euclidean cost: the argmin on the host (the
    k-d tree, a callback), the value :math:`c(z, z_{k^*}) + f_{k^*}` in JAX, which carries the
    derivative in ``z``. Other costs: the :math:`q \times N` minimum in JAX (no callback: a
    callable metric is JAX code, which a callback must not run)."""
    if metric != "euclidean":
        value = jnp.min(pairwise_cost(z, points, metric) + f[None, :], axis=1)
        return jnp.where(jnp.asarray(valid), value, jnp.nan)
    q = z.shape[0]

    def argmin(sites: np.ndarray, weights: np.ndarray, query: np.ndarray) -> np.ndarray:
        sites, weights = sites.astype(np.float64), weights.astype(np.float64)
        query = query.astype(np.float64)
        e = scale_exponent(sites, query)  # the Euclidean cost is 1-homogeneous
        scaled_z = np.ldexp(query, -e)
        arg = nearest_host(
            np.ldexp(sites, -e), np.ldexp(weights, -e), scaled_z, metric, argmin=True
        )
        return arg.astype(np.int32)

    arg = host_solve(
        argmin,
        jax.ShapeDtypeStruct((q,), jnp.int32),
        points,
        f,
        z,
        valid=valid,
        failures={},
        what="the k-d tree query of kr_potential",
    )
    nearest = points[arg]
    cost = jax.vmap(lambda s, t: pairwise_cost(s[None], t[None], "euclidean")[0, 0])(z, nearest)
    value = cost + f[arg]
    return jnp.where(jnp.asarray(valid), value, jnp.nan)


def _kr_dual_callback(cost: jax.Array, a: jax.Array, b: jax.Array, valid: Any) -> HostDual:
    n_all = cost.shape[0]
    dtype = cost.dtype
    shapes = HostDual(
        f=jax.ShapeDtypeStruct((n_all,), dtype),
        flow=jax.ShapeDtypeStruct((n_all, n_all), dtype),
        value=jax.ShapeDtypeStruct((), dtype),
    )

    def solve(c: np.ndarray, wa: np.ndarray, wb: np.ndarray) -> HostDual:
        return solve_kr_dual(c, wa.astype(np.float64), wb.astype(np.float64))

    result: HostDual = host_solve(
        solve, shapes, cost, a, b, valid=valid, failures=kr_dual_failures(n_all),
        what="HiGHS",
    )  # fmt: skip
    return result
