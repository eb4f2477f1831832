"""Exact linear-programming solvers run on the host: NumPy in, NumPy out, no JAX.

* :func:`solve_transport`: the Kantorovich primal LP over couplings, by POT's network simplex
  (``ot.emd``), with its LP dual variables.
* :func:`solve_kr_dual`: the Kantorovich-Rubinstein dual LP over potentials on the union of the
  supports, by scipy's HiGHS. Quadratically many constraints: for small problems and for
  checking strong duality against the primal, not for speed.

Both work in float64 and raise :class:`~divergences.SolverError`, with its
:class:`~divergences.wasserstein._results.Status`, whenever the solver does not report an
optimal solution, and the transport plan is checked to be a coupling of ``(a, b)`` whatever
the solver says: a solver that stops short never returns a number. (Called back from a trace,
:mod:`divergences.wasserstein._bridge` turns the error into NaN and a status.)

Scale: both solvers compare with absolute tolerances (POT's network simplex takes a reduced cost
above ``-2.2e-15`` as optimal; HiGHS's feasibility tolerances are absolute too), so each solves
the problem with its costs divided by a power of two that brings the largest into [0.5, 1), and
multiplies the value and the potentials back. That is exact, so a problem scaled by ``2^k`` is
solved identically, and every scale gets the accuracy of scale 1: the optimality gap of the
network simplex is at most ~2.2e-15 times the largest cost (a reduced cost above ``-EPSILON`` on
each unit of moved mass), plus rounding.

Size: :func:`check_dense_size` refuses, before anything is allocated, problems whose dense
cost matrix and network-simplex graph would not fit in memory.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np

from divergences.wasserstein._results import SolverError, Status

__all__ = [
    "DENSE_BYTES_PER_PAIR",
    "DENSE_MAX_PAIRS",
    "KR_LP_MAX_POINTS",
    "HostDual",
    "HostPrimal",
    "check_coupling_host",
    "check_dense_size",
    "check_kr_lp_size",
    "default_max_iter",
    "kr_dual_failures",
    "plan_arcs",
    "solve_kr_dual",
    "solve_transport",
    "transport_failures",
]

_HIGHS_TIGHT = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
    "presolve": False,
}

# POT's network simplex result codes (``log["result_code"]``) and scipy's linprog statuses, as
# the one Status of every solver.
_POT_STATUS = {0: Status.INFEASIBLE, 1: Status.OPTIMAL, 2: Status.UNBOUNDED, 3: Status.PIVOT_CAP}
_LINPROG_STATUS = {
    0: Status.OPTIMAL,
    1: Status.PIVOT_CAP,
    2: Status.INFEASIBLE,
    3: Status.UNBOUNDED,
    4: Status.NUMERICAL,
}
#: Relative tolerance (of the total mass) on a plan's marginals: far above the rounding of a
#: network simplex's flows (sums along tree paths, ~(n + m) ulps), far below any real defect.
COUPLING_RTOL = 1e-9

#: Bytes the dense network simplex holds per pair ``(x_i, y_j)``: the float64 cost matrix (8),
#: POT's full bipartite graph (costs, flows and states of its n m arcs, and the returned plan:
#: measured 33 bytes per pair at n = m = 2000 and 4000), and under ``jit`` the plan handed back
#: to JAX (8). Rounded up to 48.
DENSE_BYTES_PER_PAIR = 48

#: The largest ``n * m`` the dense method takes: 2^27 pairs (about 11,600 points a side), which
#: is 6 GiB at :data:`DENSE_BYTES_PER_PAIR`, what an ordinary 16 GiB machine can spare beside
#: the user's session; the network simplex needs minutes there already (6 s at 4000 a side,
#: growing like (n m)^1.2). Past ~24,000 points a side the process was killed on a 23 GiB
#: machine: refusing up front keeps the user's session.
DENSE_MAX_PAIRS = 2**27

#: The largest ``n + m`` of the Kantorovich-Rubinstein dual LP (``method="lp"``), which has
#: ``(n + m)^2`` constraints with two non-zeros each: 3000 points is 9e6 constraints, about 2 GiB
#: in HiGHS and far beyond the few hundred points the method is meant for.
KR_LP_MAX_POINTS = 3000


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def check_dense_size(n: int, m: int, *, method: str = "the dense network simplex") -> None:
    """Refuses, before allocating anything, a dense problem past :data:`DENSE_MAX_PAIRS`.

    Raises:
      MemoryError: saying the memory the problem needs and what to do instead.
    """
    if n * m > DENSE_MAX_PAIRS:
        raise MemoryError(
            f"W1 between {n} and {m} points by {method} needs the dense {n} x {m} cost matrix "
            f"and transport graph, about {_gib(DENSE_BYTES_PER_PAIR * n * m)} "
            f"({DENSE_BYTES_PER_PAIR} bytes per pair); it takes at most {DENSE_MAX_PAIRS} pairs "
            f"({_gib(DENSE_BYTES_PER_PAIR * DENSE_MAX_PAIRS)}). Use w1_1d for points on the "
            "line, w1_primal(..., method='sparse') for a Euclidean cost (it never forms the "
            "matrix), or subsample both measures"
        )


def check_kr_lp_size(n_all: int) -> None:
    """Refuses a Kantorovich-Rubinstein dual LP on more than :data:`KR_LP_MAX_POINTS` points."""
    if n_all > KR_LP_MAX_POINTS:
        raise MemoryError(
            f"the Kantorovich-Rubinstein dual LP (method='lp') on {n_all} points has "
            f"{n_all * (n_all - 1)} constraints, about {_gib(250.0 * n_all * n_all)} in HiGHS; "
            f"it takes at most {KR_LP_MAX_POINTS} points. Use method='primal' (one network "
            "simplex solve and its c-transform) instead"
        )


def _normaliser(cost: np.ndarray) -> int:
    """The exponent ``e`` with ``max cost * 2^-e`` in [0.5, 1); 0 for an all-zero matrix."""
    top = float(np.max(cost, initial=0.0))
    return int(np.frexp(top)[1]) if top > 0 else 0


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
    }


#: A field of :class:`HostPrimal` / :class:`HostDual`: a NumPy array from the host solver, or
#: the ``jax.ShapeDtypeStruct`` / array the bridge puts in its place. (No generic NamedTuple
#: before Python 3.11.)
HostField = Any


class HostPrimal(NamedTuple):
    plan: HostField  # (n, m)
    u: HostField  # (n,)
    v: HostField  # (m,)
    value: HostField  # ()


class HostDual(NamedTuple):
    f: HostField  # (n + m,)
    flow: HostField  # (n + m, n + m)
    value: HostField  # ()


def default_max_iter(n: int, m: int) -> int:
    """The pivot cap of the network simplex: generous, growing with the problem size.

    POT's default of 1e5 pivots is too few from a few thousand points on (at n = m = 10^4 it
    stops about 10% above the optimum). The cap only matters when it is hit, so it is set far
    above the pivot counts seen in practice.
    """
    return max(100_000, 50 * n * m)


def _transport(cost: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> tuple:
    """POT's network simplex on the cost scaled into [0.5, 1); its status alongside."""
    import ot  # imported here: POT takes half a second to import, paid only by an LP solve

    cost = np.asarray(cost, dtype=np.float64)
    e = _normaliser(cost)
    unit = np.ascontiguousarray(np.ldexp(cost, -e))
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    with warnings.catch_warnings():
        # POT warns (and returns a number) when it stops short; the status is checked by the
        # callers and turned into an error instead, so its warning is redundant here.
        warnings.simplefilter("ignore")
        plan, log = ot.emd(a, b, unit, numItermax=int(max_iter), log=True, check_marginals=False)
    sol = HostPrimal(
        plan,
        np.ldexp(np.asarray(log["u"]), e),
        np.ldexp(np.asarray(log["v"]), e),
        np.ldexp(np.asarray(log["cost"]), e),
    )
    status = _POT_STATUS.get(int(log["result_code"]), Status.FAILED)
    if status == Status.OPTIMAL and not check_coupling_host(plan, a, b):
        status = Status.NOT_A_COUPLING
    return sol, status


def check_coupling_host(plan: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``plan`` (dense) is a coupling of ``(a, b)`` to :data:`COUPLING_RTOL` of the
    total mass: finite, non-negative, marginals ``a`` and ``b`` (``b`` scaled to ``a``'s total,
    as the solvers take it)."""
    total = max(math.fsum(a.tolist()), 1e-300)
    tol = COUPLING_RTOL * total
    b = b * (total / math.fsum(b.tolist())) if math.fsum(b.tolist()) > 0 else b
    with np.errstate(invalid="ignore"):
        return bool(
            np.all(np.isfinite(plan))
            and np.min(plan, initial=0.0) >= -tol
            and np.max(np.abs(plan.sum(axis=1) - a), initial=0.0) <= tol
            and np.max(np.abs(plan.sum(axis=0) - b), initial=0.0) <= tol
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


def plan_arcs(plan: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arcs ``(rows, cols, mass)`` of the positive entries of a dense plan, row-major."""
    rows, cols = np.nonzero(plan > 0)
    return rows.astype(np.int32), cols.astype(np.int32), plan[rows, cols]


def solve_kr_dual(cost_union: np.ndarray, a: np.ndarray, b: np.ndarray) -> HostDual:
    r"""The Kantorovich-Rubinstein dual LP on the union :math:`z = (x_1..x_n, y_1..y_m)`.

    .. math:: \max_f \sum_i a_i f(x_i) - \sum_j b_j f(y_j)
       \quad\text{s.t.}\quad f_k - f_l \le c(z_k, z_l) \ \forall k \ne l, \quad f_0 = 0.

    The LP dual of this problem is a min-cost flow on the complete graph over the union with
    net supply ``a - b``; its optimal flow (HiGHS's constraint marginals) is returned too, as
    the envelope derivative of the value with respect to the costs.

    Raises:
      SolverError: if HiGHS does not report an optimal solution; ``.status`` says why.
    """
    sol, status = _kr_dual(cost_union, a, b)
    if status != Status.OPTIMAL:
        message = kr_dual_failures(cost_union.shape[0]).get(status, f"HiGHS failed ({status.name})")
        raise SolverError(message, status)
    return sol


def kr_dual_failures(n_all: int) -> dict[Status, str]:
    """The message of each failing status of the KR LP (one text, eager and traced)."""
    what = f"HiGHS did not solve the Kantorovich-Rubinstein dual LP ({n_all} points)"
    return {
        Status.PIVOT_CAP: f"{what}: iteration limit reached",
        Status.INFEASIBLE: f"{what}: the problem is infeasible; check that the costs are a metric",
        Status.UNBOUNDED: f"{what}: the problem is unbounded; check that a and b have equal "
        "total mass",
        Status.NUMERICAL: f"{what}: numerical difficulties",
    }


def _kr_dual(cost_union: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[HostDual, Status]:
    """HiGHS on the costs scaled into [0.5, 1) (its tolerances are absolute); value, potential
    and flow in the units of ``cost_union``; linprog's status alongside."""
    import scipy.optimize  # imported here, like POT above: only the LP option pays for it
    import scipy.sparse

    cost_union = np.asarray(cost_union, dtype=np.float64)
    e = _normaliser(cost_union)
    cost_union = np.ldexp(cost_union, -e)
    n_all = cost_union.shape[0]
    objective = -np.concatenate([a, -b]).astype(np.float64)  # linprog minimises
    rows, cols = np.nonzero(~np.eye(n_all, dtype=bool))
    n_con = rows.shape[0]
    con = np.arange(n_con)
    a_ub = scipy.sparse.csr_array(
        (
            np.concatenate([np.ones(n_con), -np.ones(n_con)]),
            (np.concatenate([con, con]), np.concatenate([rows, cols])),
        ),
        shape=(n_con, n_all),
    )
    bounds = [(0.0, 0.0)] + [(None, None)] * (n_all - 1)
    res = scipy.optimize.linprog(
        objective,
        A_ub=a_ub if n_con else None,
        b_ub=cost_union[rows, cols] if n_con else None,
        bounds=bounds,
        method="highs",
        # HiGHS's default feasibility tolerances (1e-7) let constraints between points a few
        # 1e-10 apart be broken by as much; the tightest it accepts keeps them at rounding.
        # Presolve off: on near-ties its reductions cost another ~1e-11 (the LP is small).
        options=_HIGHS_TIGHT,
    )
    status = _LINPROG_STATUS.get(int(res.status), Status.FAILED)
    if status != Status.OPTIMAL:
        return HostDual(None, None, None), status
    flow = np.zeros((n_all, n_all))
    if n_con:
        flow[rows, cols] = -np.asarray(res.ineqlin.marginals)
    # The flow is d value / d cost: scale-free. Potential and value carry the cost's unit.
    return HostDual(np.ldexp(np.asarray(res.x), e), flow, np.ldexp(-res.fun, e)), Status.OPTIMAL
