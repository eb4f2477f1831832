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
   a network simplex otherwise, whose first basis is the coarse plan handed down to the
   points (a spanning tree, where its flows are positive) or else the monotone plan; each
   starts from a
   potential of the coarse solve: its c-transform, or, where the coarse plan is mostly one
   common displacement (or nearly so, and that potential's dual objective on the graph is
   clearly the higher) and for the simplex, a potential integrated from the coarse plan's
   directions of transport; both warm-started from round to round;
5. pricing of all :math:`n m` pairs without forming them: with the Kantorovich pair
   :math:`(u, v)` of the graph's optimum, :math:`\min_j c(x_i, y_j) - v_j` is a weighted
   nearest-neighbour query, answered exactly by a k-d tree with branch and bound; pairs of
   negative reduced cost join the graph and the LP is solved again.

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

This module is the driver: the input checked and scaled, copies merged into atoms, the
certified bounds and the status; steps 1 to 4 are :mod:`.coarse_to_fine` (with
:mod:`.curve`, :mod:`.start_potential` and :mod:`.nearest`), step 5 the compiled extension.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from divergences._src.interval import Interval
from divergences._src.options import integer_option, rtol_option
from divergences._src.scaling import EPS
from divergences.wasserstein._src.host import native
from divergences.wasserstein._src.host.atoms import merge_duplicates, split_plan
from divergences.wasserstein._src.host.coarse_to_fine import ARTIFICIAL_MESSAGE, solve_scaled
from divergences.wasserstein._src.host.dense import DENSE_RTOL, default_max_iter, refine_per_arc
from divergences.wasserstein._src.host.host_problem import HostProblem
from divergences.wasserstein._src.host.memory import (
    available_memory_bytes,
    check_memory,
    thread_stack_bytes,
)
from divergences.wasserstein._src.host.nearest import weighted_nearest
from divergences.wasserstein._src.host.protocol import Coupling
from divergences.wasserstein._src.host.threads import check_threads, resolve_threads
from divergences.wasserstein._src.keywords import check_max_iter
from divergences.wasserstein._src.results import (
    CertificateError,
    SolverError,
    Status,
    kantorovich_pair,
)

__all__ = [
    "GRAPH_SOLVERS",
    "REFINE_MAX_PAIRS",
    "SOLVER",
    "SPARSE_RTOL",
    "SparseHostSolution",
    "SparseOptions",
    "check_sparse_memory",
    "matched_total",
    "solve_sparse_host",
    "sparse_failures",
    "sparse_memory_bytes",
]

#: The graph solver of the sparse LP: ``"auto"`` or ``"assignment"`` (shortest augmenting
#: paths for assignment problems, the network simplex for the others) or ``"simplex"``
#: (always the network simplex).
GRAPH_SOLVERS = ("auto", "simplex", "assignment")

# Address space the sparse solver takes, with headroom: per point (arcs, spanning tree, k-d
# trees, the plan handed back), and once (see benchmarks/history-to-2026-11-25.md); each thread of the native
# solver adds its stack (memory.thread_stack_bytes).
_BYTES_PER_POINT = 2_000
_BASE_BYTES = 50_000_000

#: The most pairs the sparse method forms the dense cost matrix for, to certify to ``rtol`` a
#: solution whose certificate at the largest cost is wider (:meth:`SparseColumnGeneration.refine`;
#: the cost matrix and the network simplex's graph in about 200 MB).
REFINE_MAX_PAIRS = 2**22
#: The certified relative gap of a call that leaves ``rtol`` None.
SPARSE_RTOL = 1e-9


class Arcs(NamedTuple):
    """A plan's arcs: ``P[rows[k], cols[k]] += mass[k]``."""

    rows: np.ndarray
    cols: np.ndarray
    mass: np.ndarray


class SparseHostSolution(NamedTuple):
    """What the host solver returns: NumPy arrays and floats."""

    value: float  # cost of the plan (= upper_bound before widening)
    plan: Arcs
    u: np.ndarray  # (n,) the Kantorovich pair (u, v) = (f(x), -f(y)) of the potential f:
    v: np.ndarray  # (m,) u_i + v_j <= |x_i - y_j| for all pairs
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
    stacks = resolve_threads(threads) * thread_stack_bytes()
    return _BYTES_PER_POINT * (n + m) + _BASE_BYTES + stacks


def solve_sparse_host(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    rtol: float = SPARSE_RTOL,
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
    x, y, a, b = _checked_input(x, y, a, b, graph_solver)
    n, m = x.shape[0], y.shape[0]
    count = resolve_threads(threads)
    check_sparse_memory(n, m, threads=count)
    native.load()  # a clear error before any work where the extension is not built
    b = matched_total(a, b)
    kx, ky = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
    centre, scale = _centre_and_half_extent(x, y)
    xs = np.ascontiguousarray((x[kx] - centre) / scale)
    ys = np.ascontiguousarray((y[ky] - centre) / scale)
    # Copies of one point (after scaling: points equal before are equal after) as one atom.
    atoms_x = merge_duplicates(xs, a[kx])
    atoms_y = merge_duplicates(ys, b[ky])
    sol = solve_scaled(
        atoms_x.points, atoms_y.points, atoms_x.mass, atoms_y.mass,
        rtol=rtol, max_rounds=max_rounds,
        max_pivots=2**62 if max_pivots is None else max_pivots, graph_solver=graph_solver,
        threads=count,
    )  # fmt: skip
    arc_x, arc_y, arc_mass = split_plan(
        sol.rows, sol.cols, sol.mass, atoms_x, a[kx], atoms_y, b[ky]
    )
    rows, cols = kx[arc_x], ky[arc_y]
    # The potential f(z) = min_j |z - y_j| - v_j = min_j |z - y_j| + f(y_j) over the kept y's,
    # in the original units, at every point, kept or not (copies share their atom's).
    f_x = np.empty(n)
    f_y = np.empty(m)
    f_x[kx] = sol.f_x[atoms_x.atom] * scale
    f_y[ky] = sol.f_y[atoms_y.atom] * scale
    rest_x, rest_y = np.flatnonzero(a <= 0), np.flatnonzero(b <= 0)
    if rest_x.size or rest_y.size:
        f_x[rest_x] = weighted_nearest(x[rest_x], y[ky], f_y[ky], threads=count)[0]
        f_y[rest_y] = weighted_nearest(y[rest_y], y[ky], f_y[ky], threads=count)[0]
    u, v = kantorovich_pair(f_x, f_y)
    # Bounds in the original units. The upper bound is the plan's cost, summed exactly
    # (fsum) from freshly computed distances; the lower bound is the scaled solve's KR value.
    # Both are widened by a bound on the rounding of the distances and potentials behind them.
    # Distances of the scaled points (no overflow at coordinates near 1e308), scaled back.
    cost = np.sqrt(np.sum((xs[arc_x] - ys[arc_y]) ** 2, axis=1))
    upper = math.fsum((arc_mass * cost).tolist()) * scale
    lower = sol.lower * scale
    slack = 64 * EPS * scale * (1.0 + sol.dual_max) * max(a.sum(), b.sum())
    # Same normalisation as the dense solver: a.u == b.v (u + k, v - k keeps u_i + v_j).
    shift = (math.fsum((b * v).tolist()) - math.fsum((a * u).tolist())) / 2
    u, v = u + shift, v - shift
    coupling = _is_coupling(rows, cols, arc_mass, a, b)
    # A plan that is not a coupling (a pivot cap on the network simplex) bounds nothing: +inf.
    lower_bound, upper_bound = lower - slack, (upper + slack if coupling else math.inf)
    gap = upper_bound - lower_bound
    status = _checked_status(Status(sol.status), coupling, gap, rtol * abs(upper))
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
            f"{gap / max(abs(upper), 1e-300):.3e}; the solution reached is the .result of the "
            "eager call's CertificateError",
            result,
            reason=message,
        )
    return result


def _checked_input(
    x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, graph_solver: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The points and weights as float64 arrays, once the input rules of the solver hold.

    Raises:
      ValueError: for an unknown ``graph_solver``, non-finite points or weights, or negative
        weights.
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
    return x, y, a, b


def _centre_and_half_extent(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The centre of the bounding box of ``x`` and ``y``, and its largest half-side (1 if 0).

    Halves are taken first: neither the centre nor the half-side overflows near 1e308.
    """
    both = np.concatenate([x, y])
    lo, hi = both.min(axis=0), both.max(axis=0)
    centre = lo / 2 + hi / 2
    scale = float(np.max(hi / 2 - lo / 2))
    if not scale > 0:
        scale = 1.0
    return centre, scale


def _checked_status(reported: Status, coupling: bool, gap: float, tolerance: float) -> Status:
    """The status of a solve once its plan and bounds are checked.

    ``NOT_A_COUPLING`` for a plan that is not one, ``BOUNDS_CROSSED`` for a ``gap`` (upper
    minus lower bound) below 0 or NaN, ``WITHIN_TOLERANCE`` for a stop at a cap with the gap
    already within ``tolerance`` (``rtol`` times the plan's cost); else the status the solver
    reported.
    """
    if not coupling:
        return Status.NOT_A_COUPLING
    if not gap >= 0:  # crossed, or NaN
        return Status.BOUNDS_CROSSED
    if reported in (Status.ROUND_CAP, Status.PIVOT_CAP) and gap <= tolerance:
        return Status.WITHIN_TOLERANCE  # stopped at a cap, but already certified
    return reported


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
    """The message of each status the sparse solver's result may stop with.

    The first sentence of its :class:`CertificateError` (the bounds reached follow), and of the
    refinement's error; a missing extension or memory raise their own errors.
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
        Status.ARTIFICIAL_FLOW: ARTIFICIAL_MESSAGE,
        Status.NOT_A_COUPLING: "the sparse W1 solver stopped with a plan that is not a coupling "
        f"of (a, b) {where}; raise max_iter (or leave it None), or use method='dense'",
        Status.BOUNDS_CROSSED: "the sparse W1 solver stopped with certified bounds that cross "
        f"or are NaN {where}; use method='dense' for this problem",
        Status.NUMERICAL: "the sparse W1 solver's solution could not be certified to rtol "
        f"{where}: the costs span more binades than float64 resolves (W1 far below the largest "
        "cost, e.g. points far apart carrying masses of every size); split the problem by "
        "scale, or round the far points' coordinates",
    }


def check_sparse_memory(n: int, m: int, *, threads: int | None = None) -> None:
    """Refuses a sparse solve that would not fit in the memory available, before any work.

    The memory available is :func:`~divergences.wasserstein._src.host.memory.available_memory_bytes`
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


class SparseOptions(NamedTuple):
    """The options of ``method="sparse"``: ``dv.w1_primal(x, y, options=dv.SparseOptions(...))``.

    The same fields are the call's keywords (``max_rounds=3``); None is the method's own.
    ``max_rounds`` is this method's alone.
    """

    #: The certified relative gap it stops at, in [0, 1) (None: :data:`SPARSE_RTOL`).
    rtol: float = SPARSE_RTOL
    #: The cap on pricing rounds, each an exact search for the arcs of negative reduced cost.
    max_rounds: int = 100
    #: The cap on the network simplex's pivots; None for none.
    max_iter: int | None = None
    #: The compiled code's threads (None: ``$DIVERGENCES_NUM_THREADS``, else the CPUs).
    threads: int | None = None


class SparseColumnGeneration:
    """The ``"sparse"`` method: column generation with exact k-d-tree pricing.

    Around the compiled graph solvers (:func:`solve_sparse_host`), for large Euclidean point
    clouds in low dimension; memory linear in ``n + m``.
    """

    name = "sparse"
    euclidean_only = True
    Options = SparseOptions
    keywords = SparseOptions._fields

    def options(self, n: int, m: int, given: SparseOptions) -> SparseOptions:
        """``given`` checked, ``rtol`` None made :data:`SPARSE_RTOL`."""
        return SparseOptions(
            rtol_option(given.rtol, zero=True, default=SPARSE_RTOL),
            integer_option(given.max_rounds, "max_rounds"),
            check_max_iter(given.max_iter),
            check_threads(given.threads),
        )

    def check(self, n: int, m: int, options: SparseOptions) -> None:
        check_sparse_memory(n, m, threads=options.threads)

    def solve(self, problem: HostProblem, options: SparseOptions) -> Coupling:
        sol = solve_sparse_host(
            problem.x, problem.y, problem.a, problem.b,
            rtol=options.rtol, max_rounds=options.max_rounds, max_pivots=options.max_iter,
            threads=options.threads,
        )  # fmt: skip
        rows, cols, mass = sol.plan
        return Coupling(rows, cols, mass, sol.u, sol.v, sol.value, Status(sol.status))

    def certified_rtol(self, options: SparseOptions) -> float:
        """The relative width it certifies (:meth:`refine` where the first bounds are wider).

        ``rtol``, or for a smaller one (0: solved to optimality) the few ulps of the dense LP's
        certificate, :data:`~.dense.DENSE_RTOL`: the rounding of the costs and sums is left.
        """
        return max(options.rtol, DENSE_RTOL)

    def refine(
        self,
        problem: HostProblem,
        options: SparseOptions,
        sol: Coupling,
        bounds: Interval,
        *,
        allowance: float = math.inf,
    ) -> tuple[Coupling, Interval]:
        """A solution certified to ``rtol``, or a SolverError (status NUMERICAL).

        ``allowance`` (the part of the width charged at the largest cost) is not used: the
        sparse solver's ``rtol`` is a promise of its own, never returned wider than that.

        Called where the certificate (:func:`~.certify.plan_bounds`, its allowances at the
        largest cost) is wider than ``rtol``: a far point of tiny mass, its costs near the
        largest float beside W1 of order 1. The solve here works on the points translated and
        scaled to extent 1, where the near points may have merged into one, so its plan can be
        far from optimal there too. Up to :data:`REFINE_MAX_PAIRS` pairs the bounds are taken
        per arc on the whole cost matrix, and if need be the LP solved again on its reduced
        costs (:func:`~.dense.refine_per_arc`); past that, or where that stays wider than
        ``rtol``, a SolverError: never a success with a gap above ``rtol``.
        """
        n, m = problem.x.shape[0], problem.y.shape[0]
        failures = sparse_failures(n, m, options.rtol, options.max_rounds, options.max_iter)
        failure = failures[Status.NUMERICAL]
        if n * m > REFINE_MAX_PAIRS:
            raise SolverError(
                f"{failure}; W1 is in [{bounds.lower_bound!r}, {bounds.upper_bound!r}] in the problem's units "
                f"(scaled by a power of two), and at {n} x {m} pairs the dense matrix that "
                f"could narrow it is past {REFINE_MAX_PAIRS} pairs",
                Status.NUMERICAL,
            )
        cap = default_max_iter(n, m) if options.max_iter is None else options.max_iter
        return refine_per_arc(
            problem, cap, sol, bounds, rtol=self.certified_rtol(options), failure=failure
        )


SOLVER = SparseColumnGeneration()
