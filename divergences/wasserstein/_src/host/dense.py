"""The dense transport solver on the host: POT's network simplex. NumPy in, NumPy out, no JAX.

:func:`solve_transport` solves the Kantorovich primal LP over couplings by POT's network
simplex (``ot.emd``), with its LP dual variables; :data:`SOLVER` is it behind the engine's
protocol (:class:`~.protocol.TransportSolver`), the ``"dense"`` method.
It works in float64 and raises :class:`~divergences.SolverError`, with its
:class:`~divergences.wasserstein._src.results.Status`, whenever the solver does not report an
optimal solution, and the transport plan is checked to be a coupling of ``(a, b)`` whatever
the solver says: a solver that stops short never returns a number. (Called back from a trace,
:mod:`divergences.wasserstein._src.runner` turns the error into NaN and a status.)

Scale: the network simplex compares with absolute tolerances (it takes a reduced cost above
``-2.2e-15`` as optimal), so it solves
the problem with its costs divided by a power of two that brings the largest into [0.5, 1), and
multiplies the value and the potentials back. That is exact, so a problem scaled by ``2^k`` is
solved identically, and every scale gets the accuracy of scale 1: the optimality gap of the
network simplex is at most ~2.2e-15 times the largest cost (a reduced cost above ``-EPSILON`` on
each unit of moved mass), plus rounding.

Far points of tiny mass: the certificate (:func:`~.certify.plan_bounds`) takes its allowances
at the largest cost, and the network simplex compares at that scale too. Where W1 is far below
the largest cost (a point at 1e300 of weight 1e-300 beside points in the unit square), the
interval would be wider than W1 itself: :meth:`DenseSimplex.refine` then takes the bounds per
arc (:func:`~.certify.arc_bounds`) and, where those are still wider than :data:`DENSE_RTOL`,
solves again on the reduced costs (each row's least cost, then each column's, taken out: a far
row's costs, equal in float64, become zeros), unless the width is the rounding of the network
simplex's potentials along its tree (from a few hundred points on), which neither removes.
What it cannot close to :data:`DENSE_RTOL` (far
points on both sides and a W1 below the largest cost's last bits) is a
:class:`~divergences.SolverError` with status ``NUMERICAL``, never a wide interval: split the
problem by scale. Uniform weights on both sides (:func:`common_factor`) are certified as exact,
the bounds scaled by the common factor, so that far points matched to far points keep a few
ulps. Below the floor of the scaled problem (a W1 under about :math:`2^{-1070}`
times the largest coordinate, where the scaled costs are subnormal) the interval is as wide as
that floor.

Size: :func:`check_dense_size` refuses, before anything is allocated, problems whose dense
cost matrix and network-simplex graph would not fit in memory.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from divergences._src.interval import Interval
from divergences._src.scaling import EPS, scale_exponent
from divergences.wasserstein._src.host.certify import ArcBounds, arc_bounds
from divergences.wasserstein._src.host.costs import host_costs
from divergences.wasserstein._src.host.host_problem import HostProblem
from divergences.wasserstein._src.host.memory import check_memory, format_bytes
from divergences.wasserstein._src.host.protocol import Coupling
from divergences.wasserstein._src.host.threads import check_threads
from divergences.wasserstein._src.keywords import check_max_iter
from divergences.wasserstein._src.results import SolverError, Status

__all__ = [
    "DENSE_BYTES_PER_PAIR",
    "DENSE_MAX_PAIRS",
    "DENSE_RTOL",
    "SOLVER",
    "DenseOptions",
    "HostPrimal",
    "check_coupling_host",
    "check_dense_size",
    "common_factor",
    "default_max_iter",
    "refine_per_arc",
    "solve_transport",
    "transport_failures",
]

# POT's network simplex result codes (``log["result_code"]``) as the one Status of every solver.
_POT_STATUS = {0: Status.INFEASIBLE, 1: Status.OPTIMAL, 2: Status.UNBOUNDED, 3: Status.PIVOT_CAP}
#: Relative tolerance (of the total mass) on a plan's marginals: far above the rounding of a
#: network simplex's flows (sums along tree paths, ~(n + m) ulps), far below any real defect.
COUPLING_RTOL = 1e-9

#: Bytes the dense network simplex holds per pair ``(x_i, y_j)``: the float64 cost matrix (8),
#: POT's full bipartite graph (costs, flows and states of its n m arcs, and the returned plan;
#: benchmarks/history-to-2026-11-25.md has the measurement), and under ``jit`` the plan handed back to JAX (8).
#: Rounded up to 48.
DENSE_BYTES_PER_PAIR = 48

#: The width the dense method certifies, relative to W1 (beside a floor of a few ulps of the dual
#: pair's terms where W1 is 0): a few hundred ulps at most, a few in practice.
DENSE_RTOL = 2.0**-40
#: The relative width past which the refinement refuses (SolverError, status NUMERICAL) rather
#: than return an interval wider than ``rtol``: far above the weights' rounding, far below the
#: widths a cost scale beyond float64's resolution leaves (1e285 of a W1 of order 1).
REFUSE_RTOL = 2.0**-20

#: The largest ``n * m`` the dense method takes: 2^27 pairs (about 11,600 points a side), which
#: is 6 GiB at :data:`DENSE_BYTES_PER_PAIR`, what an ordinary 16 GiB machine can spare beside
#: the user's session; the network simplex needs minutes there already. Past it, memory can
#: run out in code that ends the process: refusing up front keeps the user's session.
DENSE_MAX_PAIRS = 2**27


def check_dense_size(n: int, m: int, *, method: str = "the dense network simplex") -> None:
    """Refuses, before allocating anything, a dense problem past :data:`DENSE_MAX_PAIRS`.

    Raises:
      MemoryError: saying the memory the problem needs and what to do instead.
    """
    if n * m > DENSE_MAX_PAIRS:
        raise MemoryError(
            f"W1 between {n} and {m} points by {method} needs the dense {n} x {m} cost matrix "
            f"and transport graph, about {format_bytes(DENSE_BYTES_PER_PAIR * n * m)} "
            f"({DENSE_BYTES_PER_PAIR} bytes per pair); it takes at most {DENSE_MAX_PAIRS} pairs "
            f"({format_bytes(DENSE_BYTES_PER_PAIR * DENSE_MAX_PAIRS)}). Use w1_1d for points on the "
            "line, w1_primal(..., method='sparse') for a Euclidean cost (it never forms the "
            "matrix), subsample both measures, or take method='sinkhorn' for a named metric: "
            "an interval certified to rtol (1e-3 by default), not the exact value"
        )


def normaliser(cost: np.ndarray) -> int:
    """The exponent ``e`` with ``max cost * 2^-e`` in [0.5, 1); 0 for an all-zero matrix."""
    return scale_exponent(cost, clip=False) if cost.size else 0


def transport_failures(max_iter: int, n: int, m: int) -> dict[Status, str]:
    """The message of each failing status of the network simplex (one text, eager and traced)."""
    where = f"(problem {n} x {m}, max_iter {max_iter})"
    stop = "the network simplex stopped before optimality:"
    return {
        Status.PIVOT_CAP: f"{stop} it reached max_iter pivots {where}; raise max_iter",
        Status.INFEASIBLE: f"{stop} the problem is infeasible {where}; check that a and b have "
        "equal total mass",
        Status.UNBOUNDED: f"{stop} the problem is unbounded {where}; check that the costs are "
        "finite",
        Status.NOT_A_COUPLING: f"{stop} its plan's marginals are not (a, b) {where}; use "
        "method='sparse' or report the problem",
        Status.NUMERICAL: f"the network simplex's solution could not be certified to a few ulps "
        f"{where}: the costs span more binades than float64 resolves (W1 far below the largest "
        "cost, e.g. points far apart carrying masses of every size); split the problem by "
        "scale, or round the far points' coordinates",
    }


class HostPrimal(NamedTuple):
    """POT's solution: its plan's positive entries (row-major), its LP duals and its cost."""

    rows: np.ndarray  # (arcs,) int32
    cols: np.ndarray  # (arcs,) int32
    mass: np.ndarray  # (arcs,) float64, positive
    u: np.ndarray  # (n,)
    v: np.ndarray  # (m,)
    value: float


def default_max_iter(n: int, m: int) -> int:
    """The pivot cap of the network simplex: generous, growing with the problem size.

    POT's default of 1e5 pivots is too few from a few thousand points on (at n = m = 10^4 it
    stops about 10% above the optimum). The cap only matters when it is hit, so it is set far
    above the pivot counts seen in practice.
    """
    return max(100_000, 50 * n * m)


def _unit_costs(cost: np.ndarray, e: int) -> np.ndarray:
    """``cost * 2^-e``, C-contiguous: one multiplication where ``2^-e`` is a normal float.

    A product by a power of two is rounded once, as ``ldexp`` rounds, so the two give the same
    bits (gradual underflow on: the host's arithmetic is IEEE's, also in a callback); the
    product is a plain vectorised loop, ``ldexp`` a library call per entry.
    """
    if e == 0:
        return np.ascontiguousarray(cost)
    if -1021 <= -e <= 1023:
        return np.ascontiguousarray(cost * math.ldexp(1.0, -e))
    return np.ascontiguousarray(np.ldexp(cost, -e))


def _transport(cost: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> tuple:
    """POT's network simplex on the cost scaled into [0.5, 1); its status alongside."""
    import ot  # imported here: POT takes half a second to import, paid only by an LP solve

    cost = np.asarray(cost, dtype=np.float64)
    e = normaliser(cost)
    unit = _unit_costs(cost, e)
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    with warnings.catch_warnings():
        # POT warns (and returns a number) when it stops short; the status is checked by the
        # callers and turned into an error instead, so its warning is redundant here.
        warnings.simplefilter("ignore")
        plan, log = ot.emd(a, b, unit, numItermax=int(max_iter), log=True, check_marginals=False)
    rows, cols, entries = _entries(plan)
    positive = entries > 0
    sol = HostPrimal(
        rows[positive],
        cols[positive],
        entries[positive],
        np.ldexp(np.asarray(log["u"]), e),
        np.ldexp(np.asarray(log["v"]), e),
        np.ldexp(np.asarray(log["cost"]), e),
    )
    status = _POT_STATUS.get(int(log["result_code"]), Status.FAILED)
    if status == Status.OPTIMAL and not _coupling_arcs(rows, cols, entries, a, b):
        status = Status.NOT_A_COUPLING
    return sol, status


def _entries(plan: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of a dense plan that are not 0 (NaN included), row-major, int32 indices.

    One test of the flat plan and the positions of its few entries: a basic plan has at most
    ``n + m - 1``, and NumPy finds them in a flat boolean array many times faster than in a
    two-dimensional one.
    """
    m = plan.shape[1]
    flat = plan.reshape(-1)
    where = np.flatnonzero(flat != 0)
    rows, cols = np.divmod(where, max(m, 1))
    return rows.astype(np.int32), cols.astype(np.int32), flat[where]


def check_coupling_host(plan: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether a dense ``plan`` is a coupling of ``(a, b)`` to :data:`COUPLING_RTOL` of the mass.

    True when it is finite, non-negative, and has marginals ``a`` and ``b`` (``b`` scaled to
    ``a``'s total, as the solvers take it), each to :data:`COUPLING_RTOL` of the total mass.
    """
    return _coupling_arcs(*_entries(np.asarray(plan, np.float64)), a, b)


def _coupling_arcs(
    rows: np.ndarray, cols: np.ndarray, entries: np.ndarray, a: np.ndarray, b: np.ndarray
) -> bool:
    """:func:`check_coupling_host` on a plan's entries that are not 0 (:func:`_entries`)."""
    total = max(math.fsum(a.tolist()), 1e-300)
    tol = COUPLING_RTOL * total
    total_b = math.fsum(b.tolist())
    b = b * (total / total_b) if total_b > 0 else b
    if not np.all(np.isfinite(entries)) or np.min(entries, initial=0.0) < -tol:
        return False
    row_sums = np.bincount(rows, weights=entries, minlength=a.shape[0])
    col_sums = np.bincount(cols, weights=entries, minlength=b.shape[0])
    return bool(
        np.max(np.abs(row_sums - a), initial=0.0) <= tol
        and np.max(np.abs(col_sums - b), initial=0.0) <= tol
    )


def solve_transport(cost: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> HostPrimal:
    """Optimal coupling and LP duals of ``min <P, C>`` s.t. ``P 1 = a, P^T 1 = b, P >= 0``.

    The duals ``(u, v)`` satisfy ``u_i + v_j <= C_ij`` with equality on the support of the
    plan, and ``a.u + b.v`` is the optimal value. POT normalises them so that ``a.u = b.v`` and
    gives points of zero weight feasible duals. Solved on ``C`` divided by a power of two (see
    the module docstring), so the result does not depend on the scale of ``C``.

    Raises:
      SolverError: if the network simplex does not report an optimal solution, or its plan is
        not a coupling of ``(a, b)``; ``.status`` says which.
    """
    sol, status = _transport(cost, a, b, max_iter)
    if status != Status.OPTIMAL:
        message = transport_failures(max_iter, *np.shape(cost)).get(
            status, f"the network simplex stopped before optimality ({status.name})"
        )
        raise SolverError(message, status)
    return sol


class DenseOptions(NamedTuple):
    """The options of ``method="dense"``: ``dv.w1_primal(x, y, options=dv.DenseOptions(...))``.

    The same fields are the call's keywords (``max_iter=...``); None is the method's own.
    Exact, it takes no ``rtol``.
    """

    #: The network simplex's pivot cap (None: :func:`default_max_iter` of the problem's size).
    max_iter: int | None = None
    #: The compiled code's threads for the certificate's queries (None: the default).
    threads: int | None = None


class DenseSimplex:
    r"""The ``"dense"`` method: POT's network simplex on the full :math:`n \times m` cost matrix.

    Exact for every metric, and the better tested path; memory grows like :math:`n m`
    (:data:`DENSE_BYTES_PER_PAIR`), refused past :data:`DENSE_MAX_PAIRS` pairs.
    """

    name = "dense"
    euclidean_only = False
    Options = DenseOptions
    keywords = DenseOptions._fields

    def options(self, n: int, m: int, given: DenseOptions) -> DenseOptions:
        """``given`` checked, ``max_iter`` None made :func:`default_max_iter`."""
        cap = check_max_iter(given.max_iter)
        return DenseOptions(
            default_max_iter(n, m) if cap is None else cap, check_threads(given.threads)
        )

    def check(self, n: int, m: int, options: DenseOptions) -> None:
        check_dense_size(n, m)
        check_memory(
            DENSE_BYTES_PER_PAIR * n * m,
            what="the dense network simplex",
            scope=f"for the {n} x {m} cost matrix and transport graph",
            instead="Use method='sparse' for a Euclidean cost (it never forms the matrix), "
            "w1_1d for points on the line, or subsample both measures",
        )

    def solve(self, problem: HostProblem, options: DenseOptions) -> Coupling:
        cap = _cap(problem, options)
        sol = solve_transport(problem.pair_costs(), problem.a, problem.b, cap)
        return Coupling(sol.rows, sol.cols, sol.mass, sol.u, sol.v, float(sol.value))

    def certified_rtol(self, options: DenseOptions) -> float:
        """The relative width it certifies (:meth:`refine` where the first bounds are wider)."""
        return DENSE_RTOL

    def refine(
        self,
        problem: HostProblem,
        options: DenseOptions,
        sol: Coupling,
        bounds: Interval,
        *,
        allowance: float = math.inf,
    ) -> tuple[Coupling, Interval]:
        """A solution certified to :data:`DENSE_RTOL`, or a SolverError (status NUMERICAL).

        Called where :func:`~.certify.plan_certificate` left the interval wider than that, with
        ``allowance`` the part of its width charged at the largest cost
        (:func:`refine_per_arc`).
        """
        n, m = problem.x.shape[0], problem.y.shape[0]
        cap = _cap(problem, options)
        return refine_per_arc(
            problem, cap, sol, bounds, allowance=allowance,
            rtol=DENSE_RTOL, failure=transport_failures(cap, n, m)[Status.NUMERICAL],
        )  # fmt: skip


def _cap(problem: HostProblem, options: DenseOptions) -> int:
    """The pivot cap of ``options``, :func:`default_max_iter` where it holds None."""
    n, m = problem.x.shape[0], problem.y.shape[0]
    return default_max_iter(n, m) if options.max_iter is None else options.max_iter


def refine_per_arc(
    problem: HostProblem,
    max_pivots: int,
    sol: Coupling,
    bounds: Interval,
    *,
    rtol: float,
    failure: str,
    allowance: float = math.inf,
) -> tuple[Coupling, Interval]:
    """A solution certified to ``rtol`` from the whole cost matrix, or a SolverError (NUMERICAL).

    For a solution whose bounds from :func:`~.certify.plan_bounds` (allowances at the largest
    cost) are wider than ``rtol``: the bounds are taken per arc (:func:`~.certify.arc_bounds`),
    and where still too wide the LP is solved again by the network simplex on its reduced costs
    (each row's least cost, then each column's, taken out: the same optimal plans, and a far
    row's costs, all equal in float64, become zeros instead of setting the network simplex's
    scale; at most ``max_pivots`` pivots). Every interval found holds W1, so their intersection
    does. ``failure`` is the message of the SolverError where the interval stays wider than
    ``rtol``.

    Where the allowances charged at the largest cost (``allowance``, which the bounds per arc
    can take back) are under half the width, and the width is within :data:`REFUSE_RTOL`, the
    bounds are returned as they are: what is left is the rounding of the solver's own
    potentials, which neither the bounds per arc nor a second solve of the same LP remove, and
    the rule at the end would accept them, the narrower interval it finds as well.
    """
    width = bounds.upper_bound - bounds.lower_bound
    if 2 * allowance < width and _tight(
        bounds.lower_bound, bounds.upper_bound, 0.0, max(rtol, REFUSE_RTOL)
    ):
        return sol, bounds
    cost = problem.pair_costs()
    factor = common_factor(problem)
    spread = 0.0 if factor is not None else _weight_spread(problem)
    hub = _hub(problem, cost)

    def certify(c: Coupling) -> ArcBounds:
        out = arc_bounds(
            cost=cost, a=problem.a, b=problem.b, b_spread=spread, rows=c.rows, cols=c.cols,
            mass=np.asarray(c.mass, np.float64), v=np.asarray(c.v, np.float64),
            error=_matrix_error(problem), hub=hub,
        )  # fmt: skip
        if factor is None:
            return out
        return out._replace(bounds=_times(out.bounds, factor))

    best = certify(sol)
    best = best._replace(floor=max(best.floor, _scale_floor(problem, cost)))
    lo, hi = (
        max(bounds.lower_bound, best.bounds.lower_bound),
        min(bounds.upper_bound, best.bounds.upper_bound),
    )
    if _tight(lo, hi, best.floor, rtol):
        return sol, Interval(lo, hi)
    again = _reduced_solve(cost, problem.a, problem.b, max_pivots)
    second = certify(again)
    lo, hi = max(lo, second.bounds.lower_bound), min(hi, second.bounds.upper_bound)
    floor = max(best.floor, second.floor)
    if second.bounds.upper_bound <= best.bounds.upper_bound:
        sol = again
    # What rounding of the weights leaves (float32 totals equal only to rounding, repeated
    # points) can stay above rtol after both certificates; an interval that is still tight to
    # REFUSE_RTOL is returned as certified, a wider one (a far point's cost scale) is refused.
    if not _tight(lo, hi, floor, max(rtol, REFUSE_RTOL)):
        raise SolverError(
            f"{failure}; W1 is in [{lo!r}, {hi!r}] in the problem's units (scaled by a power "
            "of two)",
            Status.NUMERICAL,
        )
    return sol, Interval(lo, hi)


def _matrix_error(problem: HostProblem) -> tuple[float, float]:
    r"""``(rho, tau)`` of the cost matrix computed here (:func:`~.costs.host_costs`).

    The compiled k-d tree's :math:`	au = d\, 2^{-530}` (its squares may underflow) is not this
    matrix's: its small Euclidean costs are recomputed hypot-style, so what is left absolute is the
    scaling of a coordinate into the subnormal range, within :math:`2^{-1075}` each, moving a
    cost by at most :math:`2 d\, 2^{-1075}` (a square's rounding below the normal range adds as
    much per term); for the squared cost, times twice the largest difference (below
    :math:`2^{26}`, the points scaled into :math:`(-2^{24}, 2^{24})`).
    """
    rho, tau = problem.error
    if problem.metric is None:
        return rho, tau
    d = problem.x.shape[1]
    if problem.metric == "sqeuclidean":
        return rho, min(tau, (d + 1) * 2.0**-1040)
    return rho, min(tau, 8 * (d + 1) * 2.0**-1074)


def _scale_floor(problem: HostProblem, cost: np.ndarray) -> float:
    r"""The few ulps of the weighted cost scale :math:`S = a^\top C b \ge W_1` that a width may take.

    The weights are floats: their rounding (``1/n``, totals equal only to rounding) moves W1 by
    a few ulps of :math:`S`, not of W1, so where W1 is far below :math:`S` (identical measures:
    0) no certificate is narrower. The documented promise of the exact paths is a width of at
    most :math:`64 (d + 8)\, \epsilon\, S` beside ``rtol`` of W1 (docs/concepts/wasserstein.md).
    :math:`S` weighs each cost by both masses, so a far point of tiny mass adds its cost times
    its mass only, which is what keeps that case certified to ``rtol``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        scale = float(problem.a @ cost @ problem.b)
    if not np.isfinite(scale):
        return 0.0
    d = problem.x.shape[1]
    return 64 * (d + 8) * EPS * scale


def _tight(lo: float, hi: float, floor: float, rtol: float) -> bool:
    """Whether ``[lo, hi]`` is within ``rtol`` of W1, beside ``floor``."""
    return hi - lo <= rtol * max(abs(lo), abs(hi)) + floor


def common_factor(problem: HostProblem) -> Fraction | None:
    r"""The :math:`\alpha` with exact weights :math:`(a^*, b^*) = \alpha (a, b)`, or None.

    The exact weights are :math:`a^* = \alpha a` (:math:`\alpha = 1 / \sum_i a_i` where ``a``
    is the uniform :math:`1/n` rounded, else 1) and :math:`b^* = \beta b` as given, at
    :math:`a^*`'s total (:math:`\beta = \alpha \sum_i a_i / \sum_j b_j`, sums exact): where ``b``
    is as given (not rescaled) and :math:`\sum a = \sum b` exactly, :math:`\beta = \alpha`, and
    :math:`W_1(a^*, b^*) = \alpha\, W_1(a, b)` exactly: the weights' rounding moves no mass
    between points (the same :math:`1/n` on both sides, a far point matched to a far point),
    and the problem as solved is certified with exact weights, its bounds times :math:`\alpha`.
    """
    if problem.rescaled:
        return None
    total_a = sum(map(Fraction, problem.a.tolist()), Fraction(0))
    total_b = sum(map(Fraction, problem.b.tolist()), Fraction(0))
    if total_a != total_b or total_a == 0:
        return None
    return 1 / total_a if problem.uniform_rows else Fraction(1)


def _times(bounds: Interval, factor: Fraction) -> Interval:
    """``bounds`` times the positive rational ``factor``, rounded outward."""
    if factor == 1:
        return bounds
    near = float(factor)
    lo_f = near if Fraction(near) <= factor else math.nextafter(near, 0.0)
    hi_f = near if Fraction(near) >= factor else math.nextafter(near, math.inf)
    lo = bounds.lower_bound * (lo_f if bounds.lower_bound >= 0 else hi_f)
    hi = bounds.upper_bound * (hi_f if bounds.upper_bound >= 0 else lo_f)
    return Interval(math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf))


def _weight_spread(problem: HostProblem) -> float:
    """A bound on :math:`|b^*_j / b_j - 1|`, ``b^*`` the exact weights ``b`` stands for.

    0 where the totals are exactly equal (the weights as given); where ``b`` was scaled to
    ``a``'s total, the rounding of that scaling (four roundings of a half ulp).
    """
    if problem.weight_error > 0:
        return 4 * EPS
    total_a = sum(map(Fraction, problem.a.tolist()), Fraction(0))
    total_b = sum(map(Fraction, problem.b.tolist()), Fraction(0))
    if total_a == total_b or total_b == 0:
        return 0.0
    return math.nextafter(float(abs(total_a - total_b) / total_b), math.inf) * 2


def _hub(problem: HostProblem, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The costs to and from the heaviest point of ``y`` and the triangle inequality's factor.

    None for a callable metric (no triangle inequality to rely on).
    """
    if problem.metric is None or problem.y.shape[0] == 0:
        return None
    j = int(np.argmax(problem.b))
    to_y = host_costs(problem.y[j : j + 1], problem.y, problem.metric)[0]
    return cost[:, j], to_y, 2.0 if problem.metric == "sqeuclidean" else 1.0


def _reduced_solve(cost: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> Coupling:
    """The network simplex on the reduced costs, its column potential back on the costs."""
    live_a, live_b = a > 0, b > 0
    row = np.min(np.where(live_b[None, :], cost, np.inf), axis=1, initial=np.inf)
    row = np.where(np.isfinite(row), row, 0.0)
    reduced = cost - row[:, None]
    col = np.min(np.where(live_a[:, None], reduced, np.inf), axis=0, initial=np.inf)
    col = np.where(np.isfinite(col), col, 0.0)
    reduced = np.maximum(reduced - col[None, :], 0.0)
    sol = solve_transport(reduced, a, b, max_iter)
    rows, cols, mass = sol.rows, sol.cols, sol.mass
    value = math.fsum((mass * cost[rows, cols]).tolist())
    return Coupling(rows, cols, mass, sol.u + row, sol.v + col, value)


SOLVER = DenseSimplex()
