r"""Wasserstein-1 as the Kantorovich-Rubinstein dual: a sup over 1-Lipschitz potentials."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.typing import ArrayLike
from divergences._src.validation import is_traced, require
from divergences.wasserstein._host.costs import homogeneity, scale_exponent
from divergences.wasserstein._host.potentials import nearest_site
from divergences.wasserstein._host.sparse import check_threads
from divergences.wasserstein._measures import as_points, check_metric
from divergences.wasserstein._problem import make_problem
from divergences.wasserstein._results import W1Dual
from divergences.wasserstein._runner import host_solve, run_dual
from divergences.wasserstein.cost import Metric, pairwise_cost

__all__ = ["W1Dual", "kr_potential", "w1_dual"]

sg = jax.lax.stop_gradient


def w1_dual(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    metric: Metric = "euclidean",
    method: str = "auto",
    max_iter: int | None = None,
    rtol: float | None = None,
    max_rounds: int = 100,
    threads: int | None = None,
) -> W1Dual:
    r"""A W1 critic by an LP on the host (under jit by callback), or in XLA with method="sinkhorn".

    The LPs are solved on the host, outside XLA; under ``jax.jit`` they run through
    ``jax.pure_callback``. ``method="sinkhorn"`` never leaves XLA (certified to ``rtol``). The
    jittable path with no LP on the line is :func:`divergences.w1_1d`.

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
    * ``"sinkhorn"`` (named metrics): the c-transform of the column potential of
      ``w1_primal(..., method="sinkhorn")``'s solve, in XLA (no host callback: ``jit``,
      ``vmap``, ``grad``, GPU and TPU). Its value is the KR objective of that potential: at
      least the solve's certified lower bound up to rounding, within ``rtol`` (default
      ``1e-3``) of :math:`W_1` and never above it by more than ``lipschitz_violation`` times
      the mass moved; ``lipschitz_violation`` is computed over all :math:`(n + m)^2` pairs by
      blocks, rounding allowed for.
    * ``"lp"``: the independent KR dual LP, variables :math:`f` on the union, constraints
      :math:`f_k - f_l \le c(z_k, z_l)` for all pairs, :math:`f(z_1) = 0`, solved by scipy's
      HiGHS. Quadratically many constraints: for small problems (a few hundred points at
      most), to check strong duality with a second, separate solver.
    * ``"auto"`` (default): ``"sinkhorn"`` where ``jax.default_backend()`` is ``"gpu"`` or
      ``"tpu"``; on a CPU ``"sparse"`` for Euclidean problems above
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
      method: ``"auto"``, ``"primal"``, ``"sparse"``, ``"sinkhorn"`` or ``"lp"``, see above.
      max_iter: pivot cap of the network simplex (``"primal"``, ``"sparse"``), iteration cap
        of ``"sinkhorn"``; ``None`` for a cap that grows with ``n * m`` (``"sparse"``: no
        cap; ``"sinkhorn"``: 20000).
      rtol: ``"sparse"`` and ``"sinkhorn"`` stop once their certified bounds agree to
        ``rtol`` relative, as in :func:`divergences.w1_primal`; ``None`` for the method's
        default (``1e-9``, ``1e-3``).
      max_rounds: ``"sparse"``: the cap on pricing rounds.
      threads: threads of the compiled code (the sparse solver, the k-d tree queries);
        ``None`` for ``$DIVERGENCES_NUM_THREADS``, else every available CPU.

    Returns:
      A :class:`W1Dual` ``(value, f, points, lipschitz_violation)``.

    Raises:
      ValueError: for invalid points, weights, metric, method or options; the same, with the
        same message, under ``dv.checked(jax.jit(...))`` (under a plain ``jit``, input that
        breaks a value rule gives NaN and is not solved).
      SolverError: if the LP solver does not report an optimal solution, or (``"sparse"``,
        a :class:`~divergences.CertificateError`; ``"sinkhorn"``, status ``PIVOT_CAP``) stops
        at a cap before its bounds meet ``rtol``. Inside ``jax.jit`` a callback cannot raise
        it: the results are NaN, and ``dv.checked(jax.jit(...))`` raises the SolverError.
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
      >>> float(dual.lipschitz_violation) < 1e-6  # a certified bound: the rounding of f
      True
      >>> sparse = dv.w1_dual(x, y, method="sparse")
      >>> round(float(sparse.value), 12)
      3.0
    """
    problem = make_problem(
        x, y, a, b, metric=metric, method=method, max_iter=max_iter, rtol=rtol,
        max_rounds=max_rounds, threads=threads, dual=True,
    )  # fmt: skip
    return run_dual(problem)


def kr_potential(
    dual: W1Dual, z: ArrayLike, *, metric: Metric = "euclidean", threads: int | None = None
) -> jax.Array:
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
    threads = check_threads(threads)
    if not traced and not callable(metric):
        sites = np.asarray(points, np.float64)
        query = np.asarray(q, np.float64)
        degree = homogeneity(metric) or 1
        e = scale_exponent(sites, query, degree=degree)
        scaled_f = np.ldexp(np.asarray(f, np.float64), -degree * e)
        values = nearest_site(
            np.ldexp(sites, -e), scaled_f, np.ldexp(query, -e), metric, threads=threads
        )
        with np.errstate(over="ignore"):
            return jax.device_put(np.ldexp(values, degree * e).astype(dtype, copy=False))
    valid = valid & jnp.all(jnp.isfinite(q))  # a broken rule: NaN, and no query on the host
    return _kr_potential_program(
        sg(jnp.asarray(f, dtype)),
        sg(jnp.asarray(points, dtype)),
        jnp.asarray(q, dtype),
        metric,
        threads,
        valid,
    )


@functools.partial(jax.jit, static_argnames=("metric", "threads"))
def _kr_potential_program(
    f: jax.Array, points: jax.Array, z: jax.Array, metric: Metric, threads: int | None, valid: Any
) -> jax.Array:
    """The traced path of :func:`kr_potential` (and a callable metric's, eager too). Euclidean
    cost: the argmin on the host (the k-d tree, a callback), the value
    :math:`c(z, z_{k^*}) + f_{k^*}` in JAX, which carries the derivative in ``z``. Other
    costs: the :math:`q \times N` minimum in JAX (no callback: a callable metric is JAX code,
    which a callback must not run)."""
    if metric != "euclidean":
        value = jnp.min(pairwise_cost(z, points, metric) + f[None, :], axis=1)
        return jnp.where(jnp.asarray(valid), value, jnp.nan)
    q = z.shape[0]

    def argmin(sites: np.ndarray, weights: np.ndarray, query: np.ndarray) -> np.ndarray:
        sites, weights = sites.astype(np.float64), weights.astype(np.float64)
        query = query.astype(np.float64)
        e = scale_exponent(sites, query)  # the Euclidean cost is 1-homogeneous
        scaled_z = np.ldexp(query, -e)
        arg = nearest_site(
            np.ldexp(sites, -e), np.ldexp(weights, -e), scaled_z, "euclidean", argmin=True,
            threads=threads,
        )  # fmt: skip
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
