r"""Exact Wasserstein-1 between large point clouds: column generation with a certificate.

The host solver behind ``w1_primal(..., method="sparse")``. For Euclidean points in low
dimension it never forms the :math:`n \times m` cost matrix:

1. the points are renumbered along a space-filling curve (near points get near indices);
2. a coarse problem, solved the same way, recursively: cells of 8 consecutive points merged
   into one at their barycentre with their total mass. It keeps the fine problem's local
   surpluses and deficits of mass, so its plan and its Kantorovich potential describe the
   fine plan's large-scale flows;
3. a sparse candidate graph: nearest neighbours both ways, the neighbours of each point moved
   by its cell's coarse displacement, and the monotone plan along the curve, which keeps the
   graph feasible;
4. the transportation LP on that graph, solved exactly (``_ot_native``, C++): by shortest
   augmenting paths (from all free sources at once) when the sizes and all weights are equal
   (an assignment problem, where the primal simplex's pivots are nearly all degenerate), by
   a network simplex otherwise, whose first basis is the monotone plan; each starts from a
   potential of the coarse solve: its c-transform, or, where the coarse plan is mostly one
   common displacement and for the simplex, a potential integrated from the coarse plan's
   directions of transport; both warm-started from round to round;
5. pricing of all :math:`n m` pairs without forming them: with the potentials :math:`(u, v)` of
   the graph's optimum, :math:`\min_j c(x_i, y_j) - v_j` is a weighted nearest-neighbour query,
   answered exactly by a k-d tree with branch and bound; pairs of negative reduced cost join
   the graph and the LP is solved again.

Every round yields a certificate: the plan is feasible, so its cost is an upper bound, and
the c-transform :math:`f(z) = \min_j \|z - y_j\| - v_j` is exactly 1-Lipschitz on all of
:math:`\mathbb{R}^d`, so :math:`\sum_i a_i f(x_i) - \sum_j b_j f(y_j)` is a lower bound
(Kantorovich-Rubinstein). The rounds stop when no pair has a negative reduced cost (the plan
is optimal) or when the bounds agree to ``rtol``.

References: Dantzig & Wolfe, Oper. Res. 8, 1960 (column generation); Ahuja, Magnanti & Orlin,
*Network Flows*, 1993, ch. 9, 11, 12 (network simplex, shortest augmenting paths); Jonker &
Volgenant, Computing 38, 1987 (shortest augmenting paths for assignment, row reduction);
Schmitzer, *A sparse multiscale algorithm for dense optimal transport*, JMIV 56, 2016
(coarse-to-fine candidate sets); Gerber & Maggioni, *Multiscale strategies for computing
optimal transport*, JMLR 18, 2017 (coarsening by merged cells); Villani, *Optimal Transport:
Old and New*, 2009, Thm 5.10 and Remark 6.5 (c-transform, KR duality).
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from divergences._src.options import integer_option
from divergences.wasserstein._host import native as _native_module
from divergences.wasserstein._host.atoms import merge_duplicates, split_plan
from divergences.wasserstein._host.memory import (
    available_memory_bytes,
    check_memory,
    thread_stack_bytes,
)
from divergences.wasserstein._host.protocol import Coupling, Options
from divergences.wasserstein._results import CertificateError, SolverError, Status

if TYPE_CHECKING:
    from divergences.wasserstein._host.problem import HostProblem

__all__ = [
    "GRAPH_SOLVERS",
    "SparseHostSolution",
    "check_sparse_memory",
    "check_threads",
    "kr_potential_host",
    "matched_total",
    "solve_sparse_host",
    "sparse_failures",
    "sparse_memory_bytes",
    "weighted_nearest_host",
]

#: The graph solver of the sparse LP: ``"auto"`` or ``"assignment"`` (shortest augmenting
#: paths for assignment problems, the network simplex for the others) or ``"simplex"``
#: (always the network simplex).
GRAPH_SOLVERS = ("auto", "simplex", "assignment")

# Candidate graph: neighbours each way, and neighbours of each point moved by its cell's coarse
# displacement. (Arcs nearly tight under the coarse potential were also tried, twice: they did
# not cut the rounds.)
_KNN = 4
_DISP_ARCS = 6
# Below this many points in all the graph is seeded by neighbours alone; above, a coarse
# problem with 1/_COARSE_FACTOR as many points (cells of consecutive points along the curve,
# merged) is solved first, recursively.
_COARSE_MIN = 4000
_COARSE_FACTOR = 8
# Neighbours of each coarse cell in the least-squares fit of the simplex's start potential,
# the most cells it is fitted over, and the conjugate gradient's stop (see
# _integrated_potential).
_INTEGRATE_KNN = 6
_INTEGRATE_MAX = 60_000
_INTEGRATE_RTOL = 1e-8
_INTEGRATE_ITER = 2000
# Equal sizes and equal weights (an assignment problem): the graph is solved by shortest
# augmenting paths instead of the network simplex, whose pivots there are nearly all
# degenerate (benchmarks/README.md). They start from the coarse potential's c-transform,
# unless the coarse plan's mean displacement is more than this share of its mean distance
# (1 for a translated copy, about 1/sqrt(n) over W1 for two samples of one law, 0.98-0.996
# for a rotated copy or two gaussians): from the potential integrated from the coarse plan's
# directions then (_integrated_potential), which is exactly the optimal one for a translated
# copy, certified in its first round. Where the directions vary, even slightly, the
# c-transform is the better start (fewer nodes settled by the first augmenting paths).
_MAX_DRIFT = 0.999
# Address space the sparse solver takes, with headroom: per point (arcs, spanning tree, k-d
# trees, the plan handed back), and once (see benchmarks/README.md); each thread of the native
# solver adds its stack (memory.thread_stack_bytes).
_BYTES_PER_POINT = 2_000
_BASE_BYTES = 50_000_000


#: The environment variable that sets the native solver's threads.
THREADS_VARIABLE = "DIVERGENCES_NUM_THREADS"


def check_threads(threads: int | None) -> int | None:
    """``threads`` as an ``int``, or None.

    For the public functions to check their option before any work (and at trace time under
    ``jit``).

    Raises:
      ValueError: unless ``threads`` is None or a positive integer (a bool is not one).
    """
    note = f"for ${THREADS_VARIABLE} where it is set, else the CPUs this process may use"
    return integer_option(threads, "threads", none=True, note=note)


def _threads(threads: int | None = None) -> int:
    """Threads for the native solver's queries.

    ``threads`` where given, else ``$DIVERGENCES_NUM_THREADS`` where it is set, else the CPUs
    this process may use.
    """
    chosen = check_threads(threads)
    if chosen is not None:
        return chosen
    setting = os.environ.get(THREADS_VARIABLE, "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(
                f"the environment variable {THREADS_VARIABLE} must be a positive integer; "
                f"got {setting!r}"
            )
        return int(setting)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _native() -> Any:
    """The compiled module; a SolverError (status NOT_BUILT) saying how to get it if absent."""
    return _native_module.load()


class Arcs(NamedTuple):
    """A plan's arcs: ``P[rows[k], cols[k]] += mass[k]``."""

    rows: np.ndarray
    cols: np.ndarray
    mass: np.ndarray


class SparseHostSolution(NamedTuple):
    """What the host solver returns: NumPy arrays and floats."""

    value: float  # cost of the plan (= upper_bound before widening)
    plan: Arcs
    u: np.ndarray  # (n,) f(x_i): with v, u_i + v_j <= |x_i - y_j| for all pairs
    v: np.ndarray  # (m,) -f(y_j)
    lower_bound: float
    upper_bound: float
    status: int
    rounds: int
    pivots: int
    arcs: int


def sparse_memory_bytes(n: int, m: int, *, threads: int | None = None) -> int:
    """Memory (address space) the sparse solver needs for ``n + m`` points.

    On ``threads`` threads (None: as :func:`solve_sparse_host` picks them): an estimate with
    headroom that bounds its peak, the stacks of its threads included.
    """
    stacks = _threads(threads) * thread_stack_bytes()
    return _BYTES_PER_POINT * (n + m) + _BASE_BYTES + stacks


def _curve_order(p: np.ndarray) -> np.ndarray:
    """Indices of the points along a space-filling curve (Hilbert in 2-D, Morton otherwise)."""
    n, d = p.shape
    if d == 1:
        return np.argsort(p[:, 0], kind="stable")
    lo = p.min(axis=0)
    span = float(np.max(p.max(axis=0) - lo))
    bits = 16 if d <= 3 else max(1, 60 // d)
    scale = ((1 << bits) - 1) / span if span > 0 else 0.0
    q = np.floor((p - lo) * scale).astype(np.uint64)
    if d == 2:
        x, y = q[:, 0].copy(), q[:, 1].copy()
        key = np.zeros(n, np.uint64)
        side = np.uint64(1 << bits)
        s = np.uint64(1 << (bits - 1))
        while s > 0:
            rx = (x & s) > 0
            ry = (y & s) > 0
            key += s * s * ((np.uint64(3) * rx.astype(np.uint64)) ^ ry.astype(np.uint64))
            flip = ~ry & rx
            x = np.where(flip, side - np.uint64(1) - x, x)
            y = np.where(flip, side - np.uint64(1) - y, y)
            swap = ~ry
            x, y = np.where(swap, y, x), np.where(swap, x, y)
            s = s // np.uint64(2)
    else:
        key = np.zeros(n, np.uint64)
        for bit in range(bits):
            for c in range(d):
                key |= ((q[:, c] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(bit * d + c)
    return np.argsort(key, kind="stable")


def kr_potential_host(
    sites: np.ndarray, weights: np.ndarray, z: np.ndarray, *, threads: int | None = None
) -> np.ndarray:
    r""":math:`f(z) = \min_j \|z - s_j\| + w_j` at every row of ``z``, exactly (k-d tree).

    On ``threads`` threads (see :func:`weighted_nearest_host`).
    """
    return weighted_nearest_host(sites, weights, z, threads=threads)[0]


def weighted_nearest_host(
    sites: np.ndarray, weights: np.ndarray, z: np.ndarray, *, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\min_j \|z - s_j\| + w_j` at every row of ``z`` and its argmin ``j``, exactly.

    By the compiled k-d tree on ``threads`` threads (None: ``$DIVERGENCES_NUM_THREADS`` where
    it is set, else the CPUs this process may use), or where the extension is not built by
    SciPy's (same result up to ties of the argmin; on one thread unless ``threads`` is given).

    Raises:
      ValueError: for ``threads`` neither None nor a positive integer.
    """
    chosen = check_threads(threads)
    if not _native_module.available():
        return _native_module.weighted_nearest_scipy(sites, weights, z, workers=chosen or 1)
    sites = np.ascontiguousarray(sites, dtype=np.float64)
    z = np.ascontiguousarray(z, dtype=np.float64)
    res = _native().c_transform(
        z, sites, np.ascontiguousarray(weights, np.float64), threads=_threads(chosen)
    )
    return np.asarray(res["value"]), np.asarray(res["argmin"])


def _weighted_knn(
    points: np.ndarray,
    sites: np.ndarray,
    weights: np.ndarray,
    k: int,
    *,
    threads: int | None = None,
) -> np.ndarray:
    r"""The ``k`` sites of least :math:`\|p - s_j\| + w_j` for every point ``p`` (native)."""
    k = min(k, sites.shape[0])
    res = _native().k_nearest(
        np.ascontiguousarray(points, np.float64),
        np.ascontiguousarray(sites, np.float64),
        np.ascontiguousarray(weights, np.float64),
        k,
        threads=_threads(threads),
    )
    return np.asarray(res["index"]).reshape(points.shape[0], k)


def _barycentres(p: np.ndarray, w: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The barycentre and total mass of each cell of points (``cell`` sorted, from 0)."""
    mass = np.bincount(cell, weights=w)
    centre = np.stack([np.bincount(cell, weights=w * p[:, k]) for k in range(p.shape[1])], 1)
    return np.ascontiguousarray(centre / mass[:, None]), mass / mass.sum()


class _Seed(NamedTuple):
    """What the coarse solve leaves for the fine one."""

    keys: np.ndarray  # candidate arcs (i, j) as int64 keys i * m + j, deduplicated
    assignment: bool  # solve the graph by shortest augmenting paths (else the network simplex)
    # The duals to start from, u = f(x) and v = -f(y): for augmenting paths, f is the coarse
    # potential's c-transform; for the simplex, the potential integrated from the coarse
    # plan's directions (its first basis starts there).
    u0: np.ndarray
    v0: np.ndarray


def _integrated_potential(
    centres: np.ndarray,
    disp: np.ndarray,
    points: np.ndarray,
    cell: np.ndarray,
    *,
    max_cells: int = _INTEGRATE_MAX,
    threads: int | None = None,
) -> np.ndarray:
    r"""A potential at ``points`` whose gradient is the coarse plan's direction of transport.

    A Kantorovich potential f of W1 falls at unit rate along each transport ray: where the
    mass at a coarse cell's barycentre :math:`c_k` travels in the unit direction :math:`e_k`
    (``disp[k]`` normalised: the cell's mean displacement, leaving a source cell or arriving
    at a sink cell), :math:`\nabla f = -e_k`. The values :math:`g_k = f(c_k)` are fitted by
    least squares to :math:`g_l - g_k = -\langle (e_k + e_l)/2, c_l - c_k \rangle` over each
    cell's nearest cells (a graph Laplacian system, one value pinned per connected
    component: positive definite, solved by :func:`_conjugate_gradient`), and a point gets
    :math:`g_k - \langle e_k, z - c_k \rangle` from its cell ``cell``. Where the directions are one and the same (a translated copy) this is exactly
    the linear optimal potential, which the coarse plan's own duals are not: those are a
    vertex of the coarse dual polytope, off the linear one by far more than the fine
    problem's near-ties along the rays allow, so nearly every fine point would price a
    violated arc. It only seeds the network simplex's first basis (see ``SimplexGraph``):
    any values would be exact, so the fit is solved to a tolerance, not exactly.

    Products of the points with a vector are ``einsum``'s loops, not BLAS: OpenBLAS ends the
    process when its work buffer cannot be allocated.
    """
    norm = np.linalg.norm(disp, axis=1)
    e = np.zeros_like(disp)
    moving = norm > 0
    e[moving] = disp[moving] / norm[moving, None]
    # The fit is made for the difference from the linear potential of the mean direction:
    # the solver's rounding then scales with that difference, which is 0 for a translated
    # copy (the pricing slows down sharply once the potential's noise exceeds its tie
    # tolerance of a few ulps).
    mean = e.sum(axis=0)
    length = float(np.linalg.norm(mean))
    mean = mean / length if length > 0 else mean
    e = e - mean
    count = centres.shape[0]
    linear = np.einsum("ij,j->i", points, mean)
    # One direction throughout (to rounding): the fit's answer is 0, no solve needed. Past
    # max_cells cells the fit would cost more than it saves: the linear potential alone.
    if count < 2 or count > max_cells or not np.max(np.abs(e)) > 1e-12:
        return -linear
    g = np.zeros(count)
    k = min(_INTEGRATE_KNN + 1, count)
    near = _weighted_knn(centres, centres, np.zeros(count), k, threads=threads)
    r = np.repeat(np.arange(count), k)
    s = near.ravel().astype(np.int64)
    r, s = r[r != s], s[r != s]
    rhs = -np.sum((e[r] + e[s]) / 2 * (centres[s] - centres[r]), axis=1)
    rows = np.arange(r.shape[0])
    incidence = scipy.sparse.csr_matrix(
        (np.concatenate([-np.ones(r.shape[0]), np.ones(r.shape[0])]),
         (np.concatenate([rows, rows]), np.concatenate([r, s]))),
        shape=(r.shape[0], count),
    )  # fmt: skip
    laplacian = (incidence.T @ incidence).tocsr()
    _, component = scipy.sparse.csgraph.connected_components(laplacian, directed=False)
    free = np.ones(count, bool)
    free[np.unique(component, return_index=True)[1]] = False  # one pinned per component
    if np.any(free):
        g[free] = _conjugate_gradient(
            laplacian[free][:, free].tocsr(),
            (incidence.T @ rhs)[free],
            rtol=_INTEGRATE_RTOL,
            max_iter=_INTEGRATE_ITER,
        )
    return (g[cell] - np.sum(e[cell] * (points - centres[cell]), axis=1)) - linear


def _conjugate_gradient(
    matrix: scipy.sparse.csr_matrix, rhs: np.ndarray, *, rtol: float, max_iter: int
) -> np.ndarray:
    r"""An approximate solution of ``matrix @ g = rhs``, ``matrix`` sparse and positive definite.

    Conjugate gradients preconditioned by the diagonal, from 0, until the residual is within
    ``rtol`` of ``rhs`` or after ``max_iter`` steps, whichever comes first.

    It allocates only NumPy arrays (SciPy's sparse product, sums by NumPy rather than BLAS),
    so that running out of memory is a :class:`MemoryError`; SuperLU's factorisation,
    which it replaces, dereferences a null pointer when an allocation fails.

    Reference: Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., 2003, Alg. 9.1.
    """
    diagonal = matrix.diagonal()
    inverse = np.where(diagonal > 0, 1.0 / np.where(diagonal > 0, diagonal, 1.0), 1.0)
    g = np.zeros_like(rhs)
    residual = rhs.copy()
    step = inverse * residual
    rz = float(np.sum(residual * step))
    stop = rtol * math.sqrt(float(np.sum(rhs * rhs)))
    for _ in range(max_iter):
        if math.sqrt(float(np.sum(residual * residual))) <= stop:
            break
        image = matrix @ step
        curvature = float(np.sum(step * image))
        if not curvature > 0:  # 0 or NaN: at the solution to rounding, or not definite
            break
        alpha = rz / curvature
        g += alpha * step
        residual -= alpha * image
        z = inverse * residual
        rz, rz_old = float(np.sum(residual * z)), rz
        step = z + (rz / rz_old) * step
    return g


def _candidates(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    graph_solver: str,
    *,
    threads: int | None = None,
) -> _Seed:
    """The candidate graph, the graph solver and its start.

    Seeded by a coarse solve above ``_COARSE_MIN`` points.
    """
    n, m = x.shape[0], y.shape[0]
    # Equal sizes and one weight for all: an assignment problem, solved by shortest augmenting
    # paths from a potential f of the coarse solve (v = -f(y); the first solve takes
    # u_i = min_j c_ij - v_j over the arcs): its c-transform, or the integrated potential where
    # the coarse plan is mostly one common displacement (see _MAX_DRIFT).
    assignment = (
        graph_solver != "simplex" and n == m and bool(np.all(a == a[0]) and np.all(b == a[0]))
    )
    u0, v0 = np.zeros(n), np.zeros(m)
    zx, zy = np.zeros(n), np.zeros(m)
    keys = [
        np.repeat(np.arange(n, dtype=np.int64), min(_KNN, m)) * m
        + _weighted_knn(x, y, zy, _KNN, threads=threads).ravel(),
        _weighted_knn(y, x, zx, _KNN, threads=threads).ravel().astype(np.int64) * m
        + np.repeat(np.arange(m, dtype=np.int64), min(_KNN, n)),
    ]
    if n + m > _COARSE_MIN:
        # The coarse problem: runs of _COARSE_FACTOR consecutive points (the points come
        # numbered along the space-filling curve, so a run is a compact cell) merged into one
        # point at their barycentre carrying their total mass. Unlike a subsample, it keeps
        # the fine problem's local surpluses and deficits of mass, so its potential and plan
        # describe the fine plan's large-scale flows.
        cx, cy = np.arange(n) // _COARSE_FACTOR, np.arange(m) // _COARSE_FACTOR
        xc, ac = _barycentres(x, a, cx)
        yc, bc = _barycentres(y, b, cy)
        try:
            coarse = _solve_scaled(
                xc, yc, ac, bc,
                rtol=1e-6, max_rounds=50, graph_solver=graph_solver, threads=threads,
            )  # fmt: skip
        except SolverError:
            coarse = None  # a coarse solve only seeds the graph; the fine rounds do not need it
        if coarse is not None:
            # The coarse plan's mean displacement of each cell, given to its points:
            # candidates are the neighbours of x_i + displacement.
            step = yc[coarse.cols] - xc[coarse.rows]
            disp_x = np.zeros_like(xc)
            disp_y = np.zeros_like(yc)
            np.add.at(disp_x, coarse.rows, step * coarse.mass[:, None])
            np.add.at(disp_y, coarse.cols, -step * coarse.mass[:, None])
            disp_x /= ac[:, None]
            disp_y /= bc[:, None]
            # Sums by einsum's loops, not BLAS (see _integrated_potential).
            moved = float(np.einsum("k,k->", coarse.mass, np.linalg.norm(step, axis=1)))
            # |mean displacement| / mean distance of the coarse plan: 1 for a translated copy.
            mean_step = np.einsum("k,kd->d", coarse.mass, step)
            drift = math.sqrt(float(np.sum(mean_step**2))) / moved if moved > 0 else 0.0
            if assignment and drift <= _MAX_DRIFT:
                f_y = -coarse.v  # the coarse potential f at its own y points
                u0 = kr_potential_host(yc, f_y, x, threads=threads)
                v0 = -kr_potential_host(yc, f_y, y, threads=threads)
            else:
                # One fit over the cells of both clouds, so that f at x and at y share
                # their constant; mass arrives at a y cell along minus its displacement.
                f = _integrated_potential(
                    np.concatenate([xc, yc]),
                    np.concatenate([disp_x, -disp_y]),
                    np.concatenate([x, y]),
                    np.concatenate([cx, xc.shape[0] + cy]),
                    threads=threads,
                )
                u0, v0 = f[:n], -f[n:]
            keys.append(
                np.repeat(np.arange(n, dtype=np.int64), min(_DISP_ARCS, m)) * m
                + _weighted_knn(x + disp_x[cx], y, zy, _DISP_ARCS, threads=threads).ravel()
            )
            keys.append(
                _weighted_knn(y + disp_y[cy], x, zx, _DISP_ARCS, threads=threads)
                .ravel()
                .astype(np.int64)
                * m
                + np.repeat(np.arange(m, dtype=np.int64), min(_DISP_ARCS, n))
            )
    return _Seed(np.unique(np.concatenate(keys)), assignment, u0, v0)


class _Scaled(NamedTuple):
    rows: np.ndarray
    cols: np.ndarray
    mass: np.ndarray
    u: np.ndarray  # f(x)
    v: np.ndarray  # -f(y)
    upper: float
    lower: float
    status: int
    rounds: int
    pivots: int
    arcs: int
    pi_max: float


def _solve_scaled(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    rtol: float,
    max_rounds: int,
    max_pivots: int = 2**62,
    graph_solver: str = "auto",
    threads: int | None = None,
) -> _Scaled:
    """The native solve on points of extent about 1 with positive weights.

    On ``threads`` threads (None: see :func:`_threads`).
    """
    n, m = x.shape[0], y.shape[0]
    # The points along a space-filling curve, each cloud about its own mean: the first plan
    # is the monotone one along it (a translated copy then gets the identity: at n = 3000,
    # 26k pivots instead of 287k). The problem is solved renumbered in that order, so that
    # near points have near indices: the tree walks and k-d tree queries of the solver then
    # touch memory that is mostly in cache.
    order = _curve_order(np.concatenate([x - x.mean(axis=0), y - y.mean(axis=0)]))
    ox = order[order < n]
    oy = order[order >= n] - n
    x, y = np.ascontiguousarray(x[ox]), np.ascontiguousarray(y[oy])
    a, b = np.ascontiguousarray(a[ox]), np.ascontiguousarray(b[oy])
    keys, assignment, u0, v0 = _candidates(x, y, a, b, graph_solver, threads=threads)
    ci = (keys // m).astype(np.int32)
    cj = (keys % m).astype(np.int32)
    # The points come numbered along the curve: the first basis is the monotone plan in index
    # order (the binding's default). Reduced costs above -rc_tol count as non-negative: a few
    # ulps of the potentials.
    res = _native().solve(
        x, y, a, b,
        arc_rows=ci, arc_cols=cj,
        rtol=float(rtol), rc_tol=1e-13, max_rounds=int(max_rounds), max_pivots=int(max_pivots),
        threads=_threads(threads), assignment=assignment,
        u0=np.ascontiguousarray(u0, np.float64), v0=np.ascontiguousarray(v0, np.float64),
    )  # fmt: skip
    status = int(res["status"])
    if status == Status.ARTIFICIAL_FLOW:
        raise SolverError(_ARTIFICIAL_MESSAGE, Status.ARTIFICIAL_FLOW)
    # Back to the caller's numbering.
    fx_out, fy_out = np.empty(n), np.empty(m)
    fx_out[ox], fy_out[oy] = np.asarray(res["f_x"]), np.asarray(res["f_y"])
    pi_max = max(float(np.max(np.abs(res["u"]))), float(np.max(np.abs(res["v"]))))
    return _Scaled(
        ox[np.asarray(res["rows"])].astype(np.int32),
        oy[np.asarray(res["cols"])].astype(np.int32),
        np.asarray(res["mass"]),
        fx_out, -fy_out,
        float(res["upper_bound"]), float(res["lower_bound"]), status,
        int(res["rounds"]), int(res["pivots"]), int(res["arcs"]), pi_max,
    )  # fmt: skip


def solve_sparse_host(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    rtol: float = 1e-9,
    max_rounds: int = 100,
    max_pivots: int | None = None,
    graph_solver: str = "auto",
    threads: int | None = None,
) -> SparseHostSolution:
    """Exact W1 (Euclidean) between ``(x, a)`` and ``(y, b)`` with its certificate.

    Points of zero weight are set aside (they carry no mass; their potentials are the
    c-transform's values), and copies of one point are merged into one atom carrying their
    total mass (exact: the problem on the atoms has the same value, and its plan split back to
    the copies is an optimal coupling of the original measures; duplicated and tied supports
    otherwise multiply the solver's rounds). The problem is solved translated and scaled to
    extent 1 and the results scaled back. The native solver's queries run on ``threads``
    threads (None: ``$DIVERGENCES_NUM_THREADS`` where it is set, else the CPUs this process
    may use).

    Whatever the compiled solver reports, the result is checked here: the plan must be a
    coupling of ``(a, b)`` and the certified bounds must not cross. A stop short of a certified
    optimum raises :class:`CertificateError` (with the solution reached and its
    :class:`Status`); a cap reached with bounds already within ``rtol`` is certified
    (``WITHIN_TOLERANCE``).

    Raises:
      CertificateError: a cap stopped it before the bounds met ``rtol``, the bounds crossed or
        are NaN, or the plan is not a coupling.
      SolverError: flow left on the artificial arcs, or the extension not built.
      ValueError: for non-finite points or weights, an unknown ``graph_solver``, or
        ``threads`` neither None nor a positive integer.
      MemoryError: for a problem beyond the memory available (physical, or the address space
        left under ``RLIMIT_AS``), before anything is allocated; or, should an allocation
        fail all the same, from where it failed.
    """
    if graph_solver not in GRAPH_SOLVERS:
        raise ValueError(
            f"graph_solver must be one of {', '.join(map(repr, GRAPH_SOLVERS))}; "
            f"got {graph_solver!r}"
        )
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    for name, t in (("x", x), ("y", y), ("a", a), ("b", b)):
        if not np.all(np.isfinite(t)):
            raise ValueError(f"{name} contains NaN or inf; the sparse W1 solver needs finite input")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("a and b must be >= 0 for the sparse W1 solver")
    n, m = x.shape[0], y.shape[0]
    count = _threads(threads)
    check_sparse_memory(n, m, threads=count)
    _native()  # a clear error before any work where the extension is not built
    b = matched_total(a, b)
    kx, ky = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
    both = np.concatenate([x, y])
    lo, hi = both.min(axis=0), both.max(axis=0)
    # Halves first: neither the centre nor the half-extent overflows near 1e308.
    centre = lo / 2 + hi / 2
    scale = float(np.max(hi / 2 - lo / 2))
    if not scale > 0:
        scale = 1.0
    xs = np.ascontiguousarray((x[kx] - centre) / scale)
    ys = np.ascontiguousarray((y[ky] - centre) / scale)
    # Copies of one point (after scaling: points equal before are equal after) as one atom.
    atoms_x = merge_duplicates(xs, a[kx])
    atoms_y = merge_duplicates(ys, b[ky])
    sol = _solve_scaled(
        atoms_x.points, atoms_y.points, atoms_x.mass, atoms_y.mass,
        rtol=rtol, max_rounds=max_rounds,
        max_pivots=2**62 if max_pivots is None else max_pivots, graph_solver=graph_solver,
        threads=count,
    )  # fmt: skip
    arc_x, arc_y, arc_mass = split_plan(
        sol.rows, sol.cols, sol.mass, atoms_x, a[kx], atoms_y, b[ky]
    )
    rows, cols = kx[arc_x], ky[arc_y]
    # The potential f(z) = min_j |z - y_j| - v_j over the kept y's, in the original units;
    # u = f(x), v = -f(y) at every point, kept or not (copies share their atom's).
    u = np.empty(n)
    v = np.empty(m)
    u[kx] = sol.u[atoms_x.atom] * scale
    v[ky] = sol.v[atoms_y.atom] * scale
    rest_x, rest_y = np.flatnonzero(a <= 0), np.flatnonzero(b <= 0)
    if rest_x.size or rest_y.size:
        f_sites = -v[ky]
        u[rest_x] = kr_potential_host(y[ky], f_sites, x[rest_x], threads=count)
        v[rest_y] = -kr_potential_host(y[ky], f_sites, y[rest_y], threads=count)
    # Bounds in the original units. The upper bound is the plan's cost, summed exactly
    # (fsum) from freshly computed distances; the lower bound is the scaled solve's KR value.
    # Both are widened by a bound on the rounding of the distances and potentials behind them.
    # Distances of the scaled points (no overflow at coordinates near 1e308), scaled back.
    cost = np.sqrt(np.sum((xs[arc_x] - ys[arc_y]) ** 2, axis=1))
    upper = math.fsum((arc_mass * cost).tolist()) * scale
    lower = sol.lower * scale
    slack = 64 * np.finfo(np.float64).eps * scale * (1.0 + sol.pi_max) * max(a.sum(), b.sum())
    # Same normalisation as the dense solver: a.u == b.v (u + k, v - k keeps u_i + v_j).
    shift = (math.fsum((b * v).tolist()) - math.fsum((a * u).tolist())) / 2
    u, v = u + shift, v - shift
    status = Status(sol.status)
    coupling = _is_coupling(rows, cols, arc_mass, a, b)
    # A plan that is not a coupling (a pivot cap on the network simplex) bounds nothing: +inf.
    lower_bound, upper_bound = lower - slack, (upper + slack if coupling else math.inf)
    gap = upper_bound - lower_bound
    if not coupling:
        status = Status.NOT_A_COUPLING
    elif not gap >= 0:  # crossed, or NaN
        status = Status.BOUNDS_CROSSED
    elif status in (Status.ROUND_CAP, Status.PIVOT_CAP) and gap <= rtol * abs(upper):
        status = Status.WITHIN_TOLERANCE  # stopped at a cap, but already certified
    result = SparseHostSolution(
        value=upper,
        plan=Arcs(rows.astype(np.int64), cols.astype(np.int64), arc_mass),
        u=u,
        v=v,
        lower_bound=lower_bound,
        upper_bound=upper_bound,
        status=int(status),
        rounds=sol.rounds,
        pivots=sol.pivots,
        arcs=sol.arcs,
    )
    if not status.ok:
        message = sparse_failures(n, m, rtol, max_rounds, max_pivots).get(
            status, f"the sparse W1 solver stopped short of the optimum ({status.name})"
        )
        raise CertificateError(
            f"{message}. It stopped after {sol.rounds} rounds and {sol.pivots} pivots with the "
            f"bounds [{lower_bound:.17g}, {upper_bound:.17g}], relative gap "
            f"{gap / max(abs(upper), 1e-300):.3e}; the solution reached is this error's .result",
            result,
        )
    return result


def _is_coupling(
    rows: np.ndarray, cols: np.ndarray, mass: np.ndarray, a: np.ndarray, b: np.ndarray
) -> bool:
    """True when the arcs are a coupling of ``(a, b)``.

    Finite, non-negative masses whose marginals are ``a`` and ``b`` to ``1e-9`` of the total
    mass (the rounding of the graph solvers' flows is ~(n + m) ulps; a real defect is far
    larger).
    """
    tol = 1e-9 * max(math.fsum(a.tolist()), 1e-300)
    if not (np.all(np.isfinite(mass)) and np.min(mass, initial=0.0) >= -tol):
        return False
    rows_sum = np.bincount(rows, weights=mass, minlength=a.shape[0])
    cols_sum = np.bincount(cols, weights=mass, minlength=b.shape[0])
    return bool(np.max(np.abs(rows_sum - a)) <= tol and np.max(np.abs(cols_sum - b)) <= tol)


def matched_total(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b`` scaled to ``a``'s total.

    Totals accepted as equal by the input rules may still differ by rounding (float32 input,
    weights 1/n); the solver would leave the difference on its artificial arcs. The dense
    solver does the same. ``b`` itself where the totals agree.
    """
    total_a, total_b = math.fsum(a.tolist()), math.fsum(b.tolist())
    if total_b > 0 and total_a != total_b:
        return b * (total_a / total_b)
    return b


def sparse_failures(
    n: int, m: int, rtol: float, max_rounds: int, max_pivots: int | None
) -> dict[Status, str]:
    """The message of each failing status of the sparse solver.

    Eager and traced alike (the eager error adds the bounds reached).
    """
    where = (
        f"(problem {n} x {m}, rtol {rtol:g}, max_rounds {max_rounds}, "
        f"max_iter {'None' if max_pivots is None else max_pivots})"
    )
    return {
        Status.ROUND_CAP: "the sparse W1 solver stopped at max_rounds before its certified "
        f"bounds met rtol {where}; raise max_rounds or rtol",
        Status.PIVOT_CAP: "the sparse W1 solver stopped at max_iter pivots before its "
        f"certified bounds met rtol {where}; raise max_iter or rtol",
        Status.ARTIFICIAL_FLOW: _ARTIFICIAL_MESSAGE,
        Status.NOT_A_COUPLING: "the sparse W1 solver stopped with a plan that is not a coupling "
        f"of (a, b) {where}; raise max_iter (or leave it None), or use method='dense'",
        Status.BOUNDS_CROSSED: "the sparse W1 solver stopped with certified bounds that cross "
        f"or are NaN {where}; use method='dense' for this problem",
        Status.NOT_BUILT: _native_module.NOT_BUILT_MESSAGE,
        Status.OUT_OF_MEMORY: f"the sparse W1 solver ran out of memory {where}; subsample "
        "the point clouds",
    }


_ARTIFICIAL_MESSAGE = (
    "the sparse W1 solver left flow on its artificial arcs (an internal failure); "
    "use method='dense' for this problem"
)


def check_sparse_memory(n: int, m: int, *, threads: int | None = None) -> None:
    """Refuses a sparse solve that would not fit in the memory available, before any work.

    The memory available is :func:`~divergences.wasserstein._host.memory.available_memory_bytes`
    (physical memory, and on POSIX the address space left under ``RLIMIT_AS``). Past it an
    allocation may fail in code that ends the process instead of raising.

    Raises:
      MemoryError: saying the memory needed, what is available and what to do instead.
    """
    check_memory(
        sparse_memory_bytes(n, m, threads=threads),
        what="the sparse W1 solver",
        scope=f"for {n} + {m} points",
        instead="Subsample the point clouds (w1_1d takes points on the line at any size), or "
        "run it where more memory is free",
        available=available_memory_bytes(),
    )


class SparseColumnGeneration:
    """The ``"sparse"`` method: column generation with exact k-d-tree pricing.

    Around the compiled graph solvers (:func:`solve_sparse_host`), for large Euclidean point
    clouds in low dimension; memory linear in ``n + m``.
    """

    name = "sparse"
    euclidean_only = True
    #: The certified relative gap of a call that leaves ``rtol`` None.
    default_rtol = 1e-9

    def check(self, n: int, m: int, options: Options) -> None:
        check_sparse_memory(n, m, threads=options.threads)

    def _rtol(self, options: Options) -> float:
        return self.default_rtol if options.rtol is None else options.rtol

    def solve(self, problem: HostProblem, options: Options) -> Coupling:
        sol = solve_sparse_host(
            problem.x, problem.y, problem.a, problem.b,
            rtol=self._rtol(options), max_rounds=options.max_rounds, max_pivots=options.max_iter,
            threads=options.threads,
        )  # fmt: skip
        rows, cols, mass = sol.plan
        return Coupling(rows, cols, mass, sol.u, sol.v, sol.value, Status(sol.status))

    def failures(self, n: int, m: int, options: Options) -> dict[Status, str]:
        return sparse_failures(n, m, self._rtol(options), options.max_rounds, options.max_iter)


SOLVER = SparseColumnGeneration()
