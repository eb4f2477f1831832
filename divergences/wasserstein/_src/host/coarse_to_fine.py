r"""The coarse-to-fine scheme: the scaled solve, its candidate graph seeded by a coarse solve.

The points are renumbered along a space-filling curve; above :data:`_COARSE_MIN` points, runs
of :data:`_COARSE_FACTOR` consecutive points are merged into one at their barycentre and that
coarse problem is solved first, the same way (recursively). Its plan and potential give the
fine problem its candidate arcs (nearest neighbours, and neighbours moved by each cell's
coarse displacement) and the graph solver's start: a potential, and for the network simplex
the coarse plan handed down to the points as its first basis (:func:`disaggregated_plan`);
the compiled column generation then prices all pairs and solves to its certificate.

References: Schmitzer, *A sparse multiscale algorithm for dense optimal transport*, JMIV 56,
2016 (coarse-to-fine candidate sets); Gerber & Maggioni, *Multiscale strategies for computing
optimal transport*, JMLR 18, 2017 (coarsening by merged cells).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from divergences.wasserstein._src.host import native
from divergences.wasserstein._src.host.curve import curve_order
from divergences.wasserstein._src.host.nearest import weighted_k_nearest, weighted_nearest
from divergences.wasserstein._src.host.start_potential import integrated_potential
from divergences.wasserstein._src.host.threads import resolve_threads
from divergences.wasserstein._src.results import SolverError, Status

__all__ = ["ARTIFICIAL_MESSAGE", "solve_scaled"]

# Candidate graph: neighbours each way, and neighbours of each point moved by its cell's coarse
# displacement.
_KNN = 4
_DISP_ARCS = 6
# Below this many points in all the graph is seeded by neighbours alone; above, a coarse
# problem with 1/_COARSE_FACTOR as many points (cells of consecutive points along the curve,
# merged) is solved first, recursively.
_COARSE_MIN = 4000
_COARSE_FACTOR = 8
# Arcs per chunk of arc_dual_objective.
_CHUNK = 1 << 18
# Equal sizes and equal weights (an assignment problem): the graph is solved by shortest
# augmenting paths instead of the network simplex, whose pivots there are nearly all
# degenerate (benchmarks/history-to-2026-11-25.md). They start from the coarse potential's c-transform,
# unless the coarse plan's mean displacement is more than this share of its mean distance
# (1 for a translated copy, far less where the directions vary): from the potential
# integrated from the coarse plan's directions then (integrated_potential), which is exactly
# the optimal one for a translated copy, certified in its first round. Where the directions
# vary, even slightly, the c-transform is mostly the better start (fewer nodes settled by the
# first augmenting paths). Between _COMPARE_DRIFT and _MAX_DRIFT both starts are built, and
# the integrated one is taken where its dual objective on the candidate arcs
# (arc_dual_objective) exceeds the c-transform's by more than _START_MARGIN of it: by 0.2-1.0%
# on a 3-D sample shifted (drift 0.995-0.998; its coarse cells are wide against the shift),
# where it saves rounds and paths, and by at most 0.13% on a rotated copy (drift 0.995-0.996),
# where the c-transform is the better start (benchmarks/history-to-2026-11-25.md).
_MAX_DRIFT = 0.999
_COMPARE_DRIFT = 0.99
_START_MARGIN = 1.5e-3

# Arcs of negative reduced cost a pricing round adds per point (its least ones), for the
# network simplex and for the assignment solver: one takes tens of rounds where the plan moves
# far from the first graph, each re-optimised (33 rounds on GRF smooth at 256^2), where a few
# bring the neighbours of each new target in the same round
# (benchmarks/history-to-2026-11-25.md, "More arcs a pricing round").
_ARCS_PER_POINT = 8
_ARCS_PER_POINT_ASSIGNMENT = 1

#: The message of a solve that left flow on the artificial arcs.
ARTIFICIAL_MESSAGE = (
    "the sparse W1 solver left flow on its artificial arcs (an internal failure); "
    "use method='dense' for this problem"
)


def _barycentres(p: np.ndarray, w: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The barycentre and total mass of each cell of points (``cell`` sorted, from 0)."""
    mass = np.bincount(cell, weights=w)
    centre = np.stack([np.bincount(cell, weights=w * p[:, k]) for k in range(p.shape[1])], 1)
    return np.ascontiguousarray(centre / mass[:, None]), mass / mass.sum()


class _Seed(NamedTuple):
    """What the coarse solve leaves for the fine one."""

    keys: np.ndarray  # candidate arcs (i, j) as int64 keys i * m + j, deduplicated
    assignment: bool  # solve the graph by shortest augmenting paths (else the network simplex)
    # The potential f to start from, at x and at y: for augmenting paths, the coarse
    # potential's c-transform; for the simplex, the potential integrated from the coarse
    # plan's directions (its first basis starts there).
    f0_x: np.ndarray
    f0_y: np.ndarray
    # For the simplex: the coarse plan handed down to the points (a forest, as rows and cols),
    # its first basis where its flows are positive; empty without a coarse solve.
    basis_rows: np.ndarray
    basis_cols: np.ndarray


def _end_times(group: np.ndarray, mass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each element of a grouped sequence ends on the time line, and each group's total.

    Group ``g`` (``group`` non-decreasing) spans ``[g, g + 1]``, its elements in turn by their
    share of its total, the last one ending at ``g + 1`` exactly: two sequences of the same
    groups meet at every group's boundary, whatever the rounding of their sums.
    """
    cum = np.cumsum(mass)
    first = np.searchsorted(group, group, side="left")
    last = np.searchsorted(group, group, side="right") - 1
    before = cum[first] - mass[first]
    total = cum[last] - before
    return group + (cum - before) / total, total


def _staircase(
    group_p: np.ndarray, mass_p: np.ndarray, group_q: np.ndarray, mass_q: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The north-west corner plan of two sequences of masses in the same groups, group by group.

    ``(index into p, index into q, mass)`` of each piece, in order: the intervals between the
    merged ends of both sequences' elements on the time line of :func:`_end_times`, each of
    its length times its group's total in ``p``.
    """
    ends_p, total_p = _end_times(group_p, mass_p)
    ends_q, _ = _end_times(group_q, mass_q)
    edges = np.concatenate([[float(group_p[0])], np.union1d(ends_p, ends_q)])
    mid = edges[:-1] / 2 + edges[1:] / 2
    ip = np.minimum(np.searchsorted(ends_p, mid, side="left"), ends_p.size - 1)
    iq = np.minimum(np.searchsorted(ends_q, mid, side="left"), ends_q.size - 1)
    return ip, iq, np.diff(edges) * total_p[ip]


def disaggregated_plan(
    a: np.ndarray, b: np.ndarray, coarse: native.GraphSolution
) -> tuple[np.ndarray, np.ndarray]:
    r"""The coarse plan handed down to the points: the support of a plan nearly coupling (a, b).

    Each coarse arc :math:`(I, J)` of mass :math:`F_{IJ}` is shared out by two north-west
    corner rules: the points of cell :math:`I` (in curve order) against the arcs out of
    :math:`I` (ordered by :math:`J`), then the pieces :math:`(i, J)` arriving at cell
    :math:`J` (ordered by :math:`i`) against its points. A basis (a spanning tree) of the
    coarse problem gives a spanning tree of the fine one, whose flows for (a, b) are the
    pieces' masses up to rounding; pieces below ``1e-12`` of the total are left out (the
    graph solver hangs what they would carry on its artificial arcs). The cells are those of
    :func:`_candidates`: runs of :data:`_COARSE_FACTOR` consecutive points, the coarse plan in
    cell numbers.
    """
    n, m = a.shape[0], b.shape[0]
    order = np.lexsort((coarse.cols, coarse.rows))
    rows, cols, flows = coarse.rows[order], coarse.cols[order], coarse.mass[order]
    i, piece, g = _staircase(np.arange(n) // _COARSE_FACTOR, a, rows, flows)
    # The pieces at each coarse sink cell, ordered by their source point.
    order = np.lexsort((i, cols[piece]))
    i, piece, g = i[order], piece[order], g[order]
    k, j, h = _staircase(cols[piece], g, np.arange(m) // _COARSE_FACTOR, b)
    keep = h > 1e-12 * math.fsum(a.tolist())
    return i[k[keep]].astype(np.int32), j[keep].astype(np.int32)


def _first_basis(
    a: np.ndarray, b: np.ndarray, coarse: native.GraphSolution, assignment: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The simplex's first basis: the coarse plan handed down; none for augmenting paths."""
    if assignment:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return disaggregated_plan(a, b, coarse)


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
    # paths from a potential f of the coarse solve (the first solve takes
    # f(x_i) = min_j c_ij + f(y_j) over the arcs): its c-transform, or the integrated potential
    # where the coarse plan is mostly one common displacement (see _MAX_DRIFT).
    assignment = (
        graph_solver != "simplex" and n == m and bool(np.all(a == a[0]) and np.all(b == a[0]))
    )
    f0_x, f0_y = np.zeros(n), np.zeros(m)
    zx, zy = np.zeros(n), np.zeros(m)
    keys = [
        np.repeat(np.arange(n, dtype=np.int64), min(_KNN, m)) * m
        + weighted_k_nearest(x, y, zy, _KNN, threads=threads).ravel(),
        weighted_k_nearest(y, x, zx, _KNN, threads=threads).ravel().astype(np.int64) * m
        + np.repeat(np.arange(m, dtype=np.int64), min(_KNN, n)),
    ]
    coarse = None
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
            coarse = solve_scaled(
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
            # Sums by einsum's loops, not BLAS (see integrated_potential).
            moved = float(np.einsum("k,k->", coarse.mass, np.linalg.norm(step, axis=1)))
            # |mean displacement| / mean distance of the coarse plan: 1 for a translated copy.
            mean_step = np.einsum("k,kd->d", coarse.mass, step)
            drift = math.sqrt(float(np.sum(mean_step**2))) / moved if moved > 0 else 0.0
            keys.append(
                np.repeat(np.arange(n, dtype=np.int64), min(_DISP_ARCS, m)) * m
                + weighted_k_nearest(x + disp_x[cx], y, zy, _DISP_ARCS, threads=threads).ravel()
            )
            keys.append(
                weighted_k_nearest(y + disp_y[cy], x, zx, _DISP_ARCS, threads=threads)
                .ravel()
                .astype(np.int64)
                * m
                + np.repeat(np.arange(m, dtype=np.int64), min(_DISP_ARCS, n))
            )
    arcs = np.unique(np.concatenate(keys))
    basis_rows = basis_cols = np.zeros(0, np.int32)
    if coarse is not None:
        basis_rows, basis_cols = _first_basis(a, b, coarse, assignment)
        integrated = None
        if not assignment or drift > _COMPARE_DRIFT:
            # One fit over the cells of both clouds, so that f at x and at y share their
            # constant; mass arrives at a y cell along minus its displacement.
            f = integrated_potential(
                np.concatenate([xc, yc]),
                np.concatenate([disp_x, -disp_y]),
                np.concatenate([x, y]),
                np.concatenate([cx, xc.shape[0] + cy]),
                threads=threads,
            )
            integrated = f[:n], f[n:]
        if assignment and drift <= _MAX_DRIFT:
            f0_x = weighted_nearest(x, yc, coarse.f_y, threads=threads)[0]
            f0_y = weighted_nearest(y, yc, coarse.f_y, threads=threads)[0]
            if integrated is not None:
                start = arc_dual_objective(x, y, arcs, f0_y)
                other = arc_dual_objective(x, y, arcs, integrated[1])
                if other > start + _START_MARGIN * abs(start):
                    f0_x, f0_y = integrated
        elif integrated is not None:
            f0_x, f0_y = integrated
    return _Seed(arcs, assignment, f0_x, f0_y, basis_rows, basis_cols)


def arc_dual_objective(x: np.ndarray, y: np.ndarray, arcs: np.ndarray, f_y: np.ndarray) -> float:
    r"""The assignment dual objective of a potential's values at the ``y`` points, on a graph of arcs.

    With the Kantorovich pair's column duals :math:`v_j = -f(y_j)`,

    .. math:: D(f) = \sum_i \min_{(i, j) \in A} \left(\|x_i - y_j\| + f(y_j)\right)
        - \sum_j f(y_j)

    is the objective of ``v`` with the best row duals for it on the arcs ``A`` (so that the
    pair is feasible there): a lower bound on the cost of any assignment (unit masses) on
    those arcs, equal to the least one at an optimal ``f`` (LP duality; Ahuja, Magnanti &
    Orlin, *Network Flows*, 1993, ch. 12). ``arcs`` are keys ``i * m + j``, every row with at
    least one arc. Summed by chunks of arcs, so that its memory stays a few MiB at any size.
    """
    m = y.shape[0]
    best = np.full(x.shape[0], np.inf)
    for lo in range(0, arcs.size, _CHUNK):
        key = arcs[lo : lo + _CHUNK]
        i, j = key // m, key % m
        step = x[i] - y[j]
        r = np.sqrt(np.einsum("kd,kd->k", step, step)) + f_y[j]
        np.minimum.at(best, i, r)
    return math.fsum(best.tolist()) - math.fsum(f_y.tolist())


def solve_scaled(
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
) -> native.GraphSolution:
    """The native solve on points of extent about 1 with positive weights.

    On ``threads`` threads (None: see :func:`~.threads.resolve_threads`); the answer in the
    caller's numbering of the points.
    """
    n, m = x.shape[0], y.shape[0]
    # The points along a space-filling curve, each cloud about its own mean: the first plan
    # is the monotone one along it (a translated copy then gets the identity, far fewer
    # pivots; benchmarks/history-to-2026-11-25.md). The problem is solved renumbered in that order, so that
    # near points have near indices: the tree walks and k-d tree queries of the solver then
    # touch memory that is mostly in cache.
    order = curve_order(np.concatenate([x - x.mean(axis=0), y - y.mean(axis=0)]))
    ox = order[order < n]
    oy = order[order >= n] - n
    x, y = np.ascontiguousarray(x[ox]), np.ascontiguousarray(y[oy])
    a, b = np.ascontiguousarray(a[ox]), np.ascontiguousarray(b[oy])
    keys, assignment, f0_x, f0_y, basis_rows, basis_cols = _candidates(
        x, y, a, b, graph_solver, threads=threads
    )
    ci = (keys // m).astype(np.int32)
    cj = (keys % m).astype(np.int32)
    # The first basis of the simplex: the coarse plan handed down (basis_rows, basis_cols), or
    # where there is none or its flows are not positive, the monotone plan in index order (the
    # points come numbered along the curve; the binding's default). Reduced costs above
    # -rc_tol count as non-negative: a few ulps of the potentials.
    res = native.solve_graph(
        x, y, a, b,
        arc_rows=ci, arc_cols=cj, f0_x=f0_x, f0_y=f0_y,
        rtol=rtol, rc_tol=1e-13, max_rounds=max_rounds, max_pivots=max_pivots,
        threads=resolve_threads(threads), assignment=assignment,
        basis_rows=basis_rows, basis_cols=basis_cols,
        arcs_per_point=_ARCS_PER_POINT_ASSIGNMENT if assignment else _ARCS_PER_POINT,
    )  # fmt: skip
    if res.status == Status.ARTIFICIAL_FLOW:
        raise SolverError(ARTIFICIAL_MESSAGE, Status.ARTIFICIAL_FLOW)
    # Back to the caller's numbering.
    f_x, f_y = np.empty(n), np.empty(m)
    f_x[ox], f_y[oy] = res.f_x, res.f_y
    rows, cols = ox[res.rows].astype(np.int32), oy[res.cols].astype(np.int32)
    return res._replace(rows=rows, cols=cols, f_x=f_x, f_y=f_y)
